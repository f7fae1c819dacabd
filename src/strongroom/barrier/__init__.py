"""Encryption at rest: the master key wraps a keyring; the keyring seals every stored value."""
