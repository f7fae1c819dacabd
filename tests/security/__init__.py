"""Security properties checked without a server: isolation, opacity, file permissions."""
