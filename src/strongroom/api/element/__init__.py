"""Element-style JSON-RPC adapter for encryption at rest; see DESIGN.md."""
