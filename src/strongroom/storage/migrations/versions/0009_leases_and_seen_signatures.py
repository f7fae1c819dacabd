"""Leases for work that must happen once, and the replay store of signed writes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 11:00:00
"""

import sqlalchemy as sa
from alembic import op

from strongroom.storage.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "seen_signatures",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_seen_signatures_expires", "seen_signatures", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_signatures_expires", table_name="seen_signatures")
    op.drop_table("seen_signatures")
    op.drop_table("leases")
