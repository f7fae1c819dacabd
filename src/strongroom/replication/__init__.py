"""Cross-region replication workers (outbox reader, shipper, applier); see DESIGN.md."""
