"""HTTP adapters for the OCI-compatible APIs."""
