"""An index of work requests by resource and finish time (the unfinished ones of a secret)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 16:30:00
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_work_requests_open", "work_requests", ["resource_id", "time_finished"])


def downgrade() -> None:
    op.drop_index("ix_work_requests_open", "work_requests")
