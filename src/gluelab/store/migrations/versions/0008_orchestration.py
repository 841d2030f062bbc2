"""Triggers, workflows and their runs, the scheduler's events, firings and lease; crawler schedules;
job runs and crawls know the workflow run they belong to.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawlers") as batch:
        batch.add_column(sa.Column("schedule_state", sa.String(16)))
        batch.add_column(sa.Column("next_fire_at", sa.DateTime))
    with op.batch_alter_table("crawls") as batch:
        batch.add_column(sa.Column("trigger_name", sa.String(255)))
        batch.add_column(sa.Column("workflow_run_id", sa.String(255)))
    op.create_index("ix_crawls_workflow_run_id", "crawls", ["workflow_run_id"])
    with op.batch_alter_table("job_runs") as batch:
        batch.add_column(sa.Column("workflow_run_id", sa.String(255)))
    op.create_index("ix_job_runs_workflow_run_id", "job_runs", ["workflow_run_id"])
    op.create_index("ix_job_runs_job_id", "job_runs", ["job_name", "id"])
    op.execute("UPDATE crawlers SET schedule_state = 'SCHEDULED' WHERE schedule IS NOT NULL")

    op.create_table(
        "triggers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("workflow_name", sa.String(255)),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("schedule", sa.Text),
        sa.Column("predicate", sa.JSON),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("event_batching", sa.JSON),
        sa.Column("event_source", sa.Text),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("created_on", sa.DateTime, nullable=False),
        sa.Column("last_modified_on", sa.DateTime, nullable=False),
        sa.Column("activated_on", sa.DateTime),
        sa.Column("next_fire_at", sa.DateTime),
        sa.UniqueConstraint("name", name="uq_triggers_name"),
    )
    op.create_index("ix_triggers_workflow_name", "triggers", ["workflow_name"])
    op.create_index("ix_triggers_next_fire_at", "triggers", ["next_fire_at"])
    op.create_table(
        "workflows",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("default_run_properties", sa.JSON, nullable=False),
        sa.Column("max_concurrent_runs", sa.Integer),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("created_on", sa.DateTime, nullable=False),
        sa.Column("last_modified_on", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", name="uq_workflows_name"),
    )
    op.create_table(
        "workflow_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(255), nullable=False),
        sa.Column("workflow_name", sa.String(255), nullable=False),
        sa.Column("previous_run_id", sa.String(255)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_message", sa.Text),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.Column("started_on", sa.DateTime, nullable=False),
        sa.Column("completed_on", sa.DateTime),
        sa.Column("triggers", sa.JSON, nullable=False),
        sa.Column("rerun", sa.JSON),
        sa.Column("event_batch", sa.JSON),
        sa.UniqueConstraint("run_id", name="uq_workflow_runs_run_id"),
    )
    op.create_index("ix_workflow_runs_workflow_id", "workflow_runs", ["workflow_name", "id"])
    op.create_index("ix_workflow_runs_status", "workflow_runs", ["status"])
    op.create_table(
        "trigger_firings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("trigger_name", sa.String(255), nullable=False),
        sa.Column("workflow_run_id", sa.String(255)),
        sa.Column("once_key", sa.String(600)),
        sa.Column("fired_on", sa.DateTime, nullable=False),
        sa.Column("predecessors", sa.JSON, nullable=False),
        sa.UniqueConstraint("once_key", name="uq_trigger_firings_once_key"),
    )
    op.create_index("ix_trigger_firings_trigger_id", "trigger_firings", ["trigger_name", "id"])
    op.create_table(
        "orchestration_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("trigger_name", sa.String(255)),
        sa.Column("name", sa.String(255)),
        sa.Column("run_id", sa.String(255)),
        sa.Column("state", sa.String(16)),
        sa.Column("workflow_run_id", sa.String(255)),
        sa.Column("source", sa.Text),
        sa.Column("received_on", sa.DateTime, nullable=False),
        sa.Column("processed", sa.Boolean, nullable=False),
        sa.Column("consumed_by", sa.String(255)),
    )
    op.create_index("ix_orchestration_events_pending", "orchestration_events", ["processed", "id"])
    op.create_index(
        "ix_orchestration_events_trigger", "orchestration_events", ["trigger_name", "processed", "id"]
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "watched_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("trigger_name", sa.String(255), nullable=False),
        sa.Column("path_hash", sa.String(64), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.UniqueConstraint("trigger_name", "path_hash", name="uq_watched_files_trigger_path"),
    )


def downgrade() -> None:
    for table in ("watched_files", "leases", "orchestration_events", "trigger_firings", "workflow_runs"):
        op.drop_table(table)
    op.drop_table("workflows")
    op.drop_table("triggers")
    op.drop_index("ix_job_runs_job_id", "job_runs")
    op.drop_index("ix_job_runs_workflow_run_id", "job_runs")
    with op.batch_alter_table("job_runs") as batch:
        batch.drop_column("workflow_run_id")
    op.drop_index("ix_crawls_workflow_run_id", "crawls")
    with op.batch_alter_table("crawls") as batch:
        batch.drop_column("workflow_run_id")
        batch.drop_column("trigger_name")
    with op.batch_alter_table("crawlers") as batch:
        batch.drop_column("next_fire_at")
        batch.drop_column("schedule_state")
