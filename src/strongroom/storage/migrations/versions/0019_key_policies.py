"""key_policies: a key's own policy (the Alibaba KMS API's SetKeyPolicy), the document as set
and the user OCIDs its user names were bound to

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-09 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from strongroom.storage.types import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_policies",
        sa.Column("key_id", sa.String(255), sa.ForeignKey("keys.id"), primary_key=True),
        sa.Column("tenancy_id", sa.String(255), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("bindings", sa.JSON(), nullable=False),
        sa.Column("time_updated", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("key_policies")
