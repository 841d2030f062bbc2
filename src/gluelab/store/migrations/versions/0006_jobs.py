"""Job definitions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("created_on", sa.DateTime, nullable=False),
        sa.Column("last_modified_on", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", name="uq_jobs_name"),
    )


def downgrade() -> None:
    op.drop_table("jobs")
