"""Job bookmarks: the state per job, and a snapshot per committed run (for rewinds).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_bookmarks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job_name", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(255)),
        sa.Column("previous_run_id", sa.String(255)),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("reset_at", sa.DateTime),
        sa.Column("reset_to_run_id", sa.String(255)),
        sa.UniqueConstraint("job_name", name="uq_job_bookmarks_job_name"),
    )
    op.create_table(
        "job_bookmark_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "job_name",
            sa.String(255),
            sa.ForeignKey("job_bookmarks.job_name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("run_id", sa.String(255), nullable=False),
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("previous_run_id", sa.String(255)),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("committed_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("job_name", "run_id", name="uq_job_bookmark_runs_job_run"),
    )


def downgrade() -> None:
    op.drop_table("job_bookmark_runs")
    op.drop_table("job_bookmarks")
