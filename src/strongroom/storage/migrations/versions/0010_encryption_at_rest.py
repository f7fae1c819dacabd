"""Encryption at rest: KMIP key providers and servers, master keys, async results

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from strongroom.storage.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kmip_key_providers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("time_created", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "kmip_key_servers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("hostnames", sa.JSON, nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("ca_certificate", sa.Text, nullable=False),
        sa.Column("client_certificate", sa.Text, nullable=False),
        sa.Column("provider_id", sa.Integer, sa.ForeignKey("kmip_key_providers.id"), nullable=True),
        sa.Column("time_created", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "master_keys",
        sa.Column("key_id", sa.String(36), primary_key=True),
        sa.Column("management_type", sa.String(16), nullable=False),
        sa.Column("provider_id", sa.Integer, nullable=True),
        sa.Column("kmip_uid", sa.String(255), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("time_created", UTCDateTime(), nullable=False),
        sa.Column("time_updated", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "async_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("result_type", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("error", sa.JSON, nullable=True),
        sa.Column("time_created", UTCDateTime(), nullable=False),
        sa.Column("time_updated", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("async_results")
    op.drop_table("master_keys")
    op.drop_table("kmip_key_servers")
    op.drop_table("kmip_key_providers")
