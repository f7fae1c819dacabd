"""Strongroom's hazmat layer over pyca/cryptography: AEAD, ciphertext formats, keys, signing."""
