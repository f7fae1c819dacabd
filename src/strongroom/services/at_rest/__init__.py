"""Encryption at rest: the master key (internal or on a KMIP key server), KMIP key servers
and providers, the online rekey, and unsealing at start-up."""
