"""keys: deletion protection (a flag and its description); indexes for a key's associations
(secrets by key, keys by external key id)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "deletion_protection", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(sa.Column("deletion_protection_description", sa.Text(), nullable=True))
        batch_op.create_index("ix_keys_external_key", ["external_key_id"])
    op.create_index("ix_secrets_key", "secrets", ["key_id"])


def downgrade() -> None:
    op.drop_index("ix_secrets_key", "secrets")
    with op.batch_alter_table("keys", schema=None) as batch_op:
        batch_op.drop_index("ix_keys_external_key")
        batch_op.drop_column("deletion_protection_description")
        batch_op.drop_column("deletion_protection")
