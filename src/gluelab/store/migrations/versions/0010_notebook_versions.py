"""Notebook jobs: the versions (snapshots) of promoted notebooks.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notebook_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job_name", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_path", sa.Text, nullable=False),
        sa.Column("snapshot_path", sa.Text, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.Column("created_on", sa.DateTime, nullable=False),
        sa.UniqueConstraint("job_name", "version", name="uq_notebook_versions_job_version"),
    )
    op.create_index("ix_notebook_versions_job_name", "notebook_versions", ["job_name"])


def downgrade() -> None:
    op.drop_index("ix_notebook_versions_job_name", "notebook_versions")
    op.drop_table("notebook_versions")
