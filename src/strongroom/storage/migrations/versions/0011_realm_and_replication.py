"""Regions of a realm: region registry, join invites, region credentials, replication outbox

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 15:00:00
"""

import sqlalchemy as sa
from alembic import op

from strongroom.storage.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "realm_regions",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("is_home", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("public_keys", sa.JSON, nullable=False),
        sa.Column("time_created", UTCDateTime(), nullable=False),
        sa.Column("time_updated", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "realm_invites",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("time_created", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "realm_credentials",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("private_key", sa.LargeBinary, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("time_created", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "replication_outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("destination", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("time_created", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_outbox_stream_seq", "replication_outbox", ["stream", "seq"])
    op.create_table(
        "replication_cursors",
        sa.Column("destination", sa.String(64), primary_key=True),
        sa.Column("stream", sa.String(64), primary_key=True),
        sa.Column("acked_seq", sa.Integer, nullable=False),
        sa.Column("time_acked", UTCDateTime(), nullable=True),
        sa.Column("last_attempt", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("failures", sa.Integer, nullable=False),
    )
    op.create_table(
        "replication_inbound",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("stream", sa.String(64), primary_key=True),
        sa.Column("applied_seq", sa.Integer, nullable=False),
        sa.Column("time_applied", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    for table in (
        "replication_inbound",
        "replication_cursors",
        "replication_outbox",
        "realm_credentials",
        "realm_invites",
        "realm_regions",
    ):
        op.drop_table(table)
