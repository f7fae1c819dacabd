"""The tables of the realm and of replication between its regions (see services.replication):
the region registry, join invites, this region's signing keys, the outbox with both sides'
cursors, the replicas of this region's secrets, and work requests."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from strongroom.storage.schema_base import id_column, metadata
from strongroom.storage.types import UTCDateTime

__all__ = [
    "realm_credentials",
    "realm_invites",
    "realm_regions",
    "replication_cursors",
    "replication_inbound",
    "replication_outbox",
    "secret_replicas",
    "work_requests",
]


# Regions of the realm. realm_regions is the home region's registry, replicated to every
# region with identity; the rest is each region's own.
realm_regions = Table(
    "realm_regions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("url", String(1000), nullable=False),
    Column("is_home", Boolean, nullable=False),
    Column("state", String(16), nullable=False),  # ACTIVE | UNLINKED
    # Public keys whose signatures are accepted from the region: [{"fingerprint", "pem"}].
    Column("public_keys", JSON, nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("time_updated", UTCDateTime(), nullable=False),
)

# One-time join tokens the home region issued (only their SHA-256 is kept).
realm_invites = Table(
    "realm_invites",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("region", String(64), nullable=False),
    Column("url", String(1000), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
    Column("time_created", UTCDateTime(), nullable=False),
)

# This region's own signing keys for calls to other regions (private keys sealed).
realm_credentials = Table(
    "realm_credentials",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("private_key", LargeBinary, nullable=False),
    Column("state", String(16), nullable=False),  # active | next | retired
    Column("time_created", UTCDateTime(), nullable=False),
)

# Changes to ship to other regions, written in the transaction that made them, in commit order.
replication_outbox = Table(
    "replication_outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("stream", String(64), nullable=False),  # identity, ...
    Column("destination", String(64), nullable=True),  # None: every linked region
    Column("payload", JSON, nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Index("ix_outbox_stream_seq", "stream", "seq"),
)

# How far each destination region has acknowledged each stream (the sender's side).
replication_cursors = Table(
    "replication_cursors",
    metadata,
    Column("destination", String(64), primary_key=True),
    Column("stream", String(64), primary_key=True),
    Column("acked_seq", Integer, nullable=False),
    Column("time_acked", UTCDateTime(), nullable=True),
    Column("last_attempt", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("failures", Integer, nullable=False),
)

# How far this region has applied each source region's stream (the receiver's side).
replication_inbound = Table(
    "replication_inbound",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("stream", String(64), primary_key=True),
    Column("applied_seq", Integer, nullable=False),
    Column("time_applied", UTCDateTime(), nullable=True),
)

# The replicas of this region's secrets in other regions, as this (source) region knows them.
secret_replicas = Table(
    "secret_replicas",
    metadata,
    id_column("secret_id", primary_key=True),
    Column("region", String(64), primary_key=True),
    Column("applied_seq", Integer, nullable=False),  # the newest state the target applied
    Column("wanted_seq", Integer, nullable=False),  # the newest state shipped or to ship
    Column("applied_version", Integer, nullable=True),  # the source's latest version number
    Column("time_applied", UTCDateTime(), nullable=True),
    Column("time_changed", UTCDateTime(), nullable=False),  # when wanted_seq last moved
    Column("last_error", Text, nullable=True),
    Column("removed", Boolean, nullable=False),  # the replica is to be deleted
)

# Work requests (OCI's WorkRequest): what a call started in other regions, and how it went.
work_requests = Table(
    "work_requests",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", nullable=False),
    id_column("compartment_id", nullable=False),
    Column("operation_type", String(64), nullable=False),
    id_column("resource_id", nullable=False),
    Column("resource_type", String(64), nullable=False),
    Column("action_type", String(16), nullable=False),
    # {region: {"seq": n | None, "state": ..., "error": ...}}: one per target region.
    Column("targets", JSON, nullable=False),
    Column("remote", JSON, nullable=True),  # a forwarded write: the source's own work request
    Column("logs", JSON, nullable=False),
    Column("time_accepted", UTCDateTime(), nullable=False),
    Column("time_finished", UTCDateTime(), nullable=True),
    Index("ix_work_requests_resource", "resource_id", "time_accepted"),
    Index("ix_work_requests_compartment", "compartment_id", "time_accepted"),
    # The unfinished ones of a secret (settled as regions apply): not a scan of all it had.
    Index("ix_work_requests_open", "resource_id", "time_finished"),
)
