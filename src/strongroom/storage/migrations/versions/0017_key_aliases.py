"""Key aliases (the Alibaba KMS API's alias/... names), unique per tenancy

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from strongroom.storage.types import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_aliases",
        sa.Column("tenancy_id", sa.String(255), primary_key=True),
        sa.Column("alias_name", sa.String(255), primary_key=True),
        sa.Column("key_id", sa.String(255), sa.ForeignKey("keys.id"), nullable=False),
        sa.Column("time_created", UTCDateTime(), nullable=False),
        sa.Column("time_updated", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_key_aliases_key", "key_aliases", ["key_id"])


def downgrade() -> None:
    op.drop_index("ix_key_aliases_key", "key_aliases")
    op.drop_table("key_aliases")
