"""An index of secret versions by secret and replication change (what changed since a
region last applied a secret is read through it, not by scanning every version)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 18:00:00
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_secret_versions_changes", "secret_versions", ["secret_id", "change_seq"])


def downgrade() -> None:
    op.drop_index("ix_secret_versions_changes", "secret_versions")
