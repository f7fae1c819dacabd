"""The names of the replication streams."""

__all__ = ["IDENTITY"]

IDENTITY = "identity"  # the home region's identity rows, to every linked region
