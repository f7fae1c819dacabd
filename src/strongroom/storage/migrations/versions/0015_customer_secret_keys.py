"""Users' customer secret keys (access key id and sealed secret)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from strongroom.storage.types import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_secret_keys",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("tenancy_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("display_name", sa.String(400), nullable=False),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.Column("lifecycle_state", sa.String(32), nullable=False),
        sa.Column("time_created", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_customer_secret_keys_user", "customer_secret_keys", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_customer_secret_keys_user", "customer_secret_keys")
    op.drop_table("customer_secret_keys")
