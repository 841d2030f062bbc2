"""Job runs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(255), nullable=False),
        sa.Column("job_name", sa.String(255), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("previous_run_id", sa.String(255)),
        sa.Column("trigger_name", sa.String(255)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_detail", sa.Text),
        sa.Column("arguments", sa.JSON, nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("started_on", sa.DateTime, nullable=False),
        sa.Column("last_modified_on", sa.DateTime, nullable=False),
        sa.Column("running_on", sa.DateTime),
        sa.Column("completed_on", sa.DateTime),
        sa.Column("error_message", sa.Text),
        sa.Column("host", sa.String(255)),
        sa.Column("pid", sa.Integer),
        sa.Column("pid_started", sa.String(32)),
        sa.Column("warm", sa.Boolean, nullable=False),
        sa.Column("stop_requested", sa.Boolean, nullable=False),
        sa.Column("log_dir", sa.Text),
        sa.Column("event_log_dir", sa.Text),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.UniqueConstraint("run_id", name="uq_job_runs_run_id"),
    )
    op.create_index("ix_job_runs_job_state", "job_runs", ["job_name", "state"])
    op.create_index("ix_job_runs_state", "job_runs", ["state"])


def downgrade() -> None:
    op.drop_index("ix_job_runs_state", "job_runs")
    op.drop_index("ix_job_runs_job_state", "job_runs")
    op.drop_table("job_runs")
