"""EKMS private endpoints, and the copy an EXTERNAL vault keeps of the one it uses

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 04:10:00
"""

import sqlalchemy as sa
from alembic import op

from strongroom.storage.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ekms_private_endpoints",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("tenancy_id", sa.String(length=255), nullable=False),
        sa.Column("compartment_id", sa.String(length=255), nullable=False),
        sa.Column("subnet_id", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("external_key_manager_ip", sa.String(length=64), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("ca_bundle", sa.Text(), nullable=False),
        sa.Column("lifecycle_state", sa.String(length=32), nullable=False),
        sa.Column("time_created", UTCDateTime(), nullable=False),
        sa.Column("time_updated", UTCDateTime(), nullable=False),
        sa.Column("freeform_tags", sa.JSON(), nullable=False),
        sa.Column("defined_tags", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_ekms_private_endpoints_compartment",
        "ekms_private_endpoints",
        ["compartment_id", "time_created"],
    )
    with op.batch_alter_table("vaults", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ekm_dial_ip", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ekm_dial_port", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ekm_ca_bundle", sa.Text(), nullable=True))
        batch_op.create_index("ix_vaults_private_endpoint", ["ekm_private_endpoint_id"])


def downgrade() -> None:
    with op.batch_alter_table("vaults", schema=None) as batch_op:
        batch_op.drop_index("ix_vaults_private_endpoint")
        batch_op.drop_column("ekm_ca_bundle")
        batch_op.drop_column("ekm_dial_port")
        batch_op.drop_column("ekm_dial_ip")
    op.drop_index("ix_ekms_private_endpoints_compartment", table_name="ekms_private_endpoints")
    op.drop_table("ekms_private_endpoints")
