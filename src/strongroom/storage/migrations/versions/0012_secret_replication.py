"""Cross-region secret replication: replication columns of secrets, replicas, work requests

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 16:00:00
"""

import sqlalchemy as sa
from alembic import op

from strongroom.storage.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("secrets") as batch:
        batch.add_column(sa.Column("replication_config", sa.JSON, nullable=True))
        batch.add_column(sa.Column("source_region", sa.JSON, nullable=True))
        batch.add_column(sa.Column("replica_seq", sa.Integer, nullable=True))
    op.create_table(
        "secret_replicas",
        sa.Column("secret_id", sa.String(255), primary_key=True),
        sa.Column("region", sa.String(64), primary_key=True),
        sa.Column("applied_seq", sa.Integer, nullable=False),
        sa.Column("wanted_seq", sa.Integer, nullable=False),
        sa.Column("applied_version", sa.Integer, nullable=True),
        sa.Column("time_applied", UTCDateTime(), nullable=True),
        sa.Column("time_changed", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("removed", sa.Boolean, nullable=False),
    )
    op.create_table(
        "work_requests",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("tenancy_id", sa.String(255), nullable=False),
        sa.Column("compartment_id", sa.String(255), nullable=False),
        sa.Column("operation_type", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(255), nullable=False),
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("action_type", sa.String(16), nullable=False),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("remote", sa.JSON, nullable=True),
        sa.Column("logs", sa.JSON, nullable=False),
        sa.Column("time_accepted", UTCDateTime(), nullable=False),
        sa.Column("time_finished", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_work_requests_resource", "work_requests", ["resource_id", "time_accepted"])
    op.create_index(
        "ix_work_requests_compartment", "work_requests", ["compartment_id", "time_accepted"]
    )


def downgrade() -> None:
    op.drop_table("work_requests")
    op.drop_table("secret_replicas")
    with op.batch_alter_table("secrets") as batch:
        batch.drop_column("replica_seq")
        batch.drop_column("source_region")
        batch.drop_column("replication_config")
