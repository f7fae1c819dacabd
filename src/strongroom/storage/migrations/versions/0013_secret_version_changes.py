"""The replication sequence number of each secret version's last change (what is sent again)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("secret_versions") as batch:
        batch.add_column(sa.Column("change_seq", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("secret_versions") as batch:
        batch.drop_column("change_seq")
