"""When each secret version row was last written (what replication sends again)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 16:00:00
"""

import sqlalchemy as sa
from alembic import op

from strongroom.storage.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("secret_versions") as batch:
        batch.add_column(sa.Column("time_changed", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("secret_versions") as batch:
        batch.drop_column("time_changed")
