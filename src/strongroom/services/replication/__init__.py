"""Regions of a realm: joining, region credentials, the replication outbox shipped in order
and applied once, identity writes forwarded to the home region, and the operators' view."""
