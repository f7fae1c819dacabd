"""external key managers: EXTERNAL vaults' EKM metadata, external key references, EKM health

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:10:00
"""

import sqlalchemy as sa
from alembic import op

import strongroom.storage.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vaults", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ekm_endpoint_url", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("ekm_idp_url", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("ekm_client_app_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("ekm_client_secret", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("ekm_private_endpoint_id", sa.String(length=255), nullable=True)
        )
    with op.batch_alter_table("keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_key_id", sa.String(length=255), nullable=True))
    with op.batch_alter_table("key_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_key_id", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("external_key_version_id", sa.String(length=255), nullable=True)
        )
    op.create_table(
        "ekm_health",
        sa.Column("vault_id", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=512), nullable=False),
        sa.Column("time_checked", strongroom.storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["vault_id"], ["vaults.id"]),
        sa.PrimaryKeyConstraint("vault_id"),
    )


def downgrade() -> None:
    op.drop_table("ekm_health")
    with op.batch_alter_table("key_versions", schema=None) as batch_op:
        batch_op.drop_column("external_key_version_id")
        batch_op.drop_column("external_key_id")
    with op.batch_alter_table("keys", schema=None) as batch_op:
        batch_op.drop_column("external_key_id")
    with op.batch_alter_table("vaults", schema=None) as batch_op:
        batch_op.drop_column("ekm_private_endpoint_id")
        batch_op.drop_column("ekm_client_secret")
        batch_op.drop_column("ekm_client_app_id")
        batch_op.drop_column("ekm_idp_url")
        batch_op.drop_column("ekm_endpoint_url")
