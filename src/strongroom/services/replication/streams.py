"""The names of the replication streams."""

IDENTITY = "identity"  # the home region's identity rows, to every linked region
