"""Crawlers, their crawls, and custom classifiers; a partition change counter on tables.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tables") as batch:
        batch.add_column(sa.Column("partition_version", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "crawlers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("database_name", sa.String(255)),
        sa.Column("description", sa.Text),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("schedule", sa.Text),
        sa.Column("classifiers", sa.JSON, nullable=False),
        sa.Column("table_prefix", sa.String(128)),
        sa.Column("schema_change_policy", sa.JSON, nullable=False),
        sa.Column("recrawl_policy", sa.JSON, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("configuration", sa.Text),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("creation_time", sa.DateTime, nullable=False),
        sa.Column("last_updated", sa.DateTime, nullable=False),
        sa.Column("memory", sa.JSON, nullable=False),
        sa.UniqueConstraint("name", name="uq_crawlers_name"),
    )
    op.create_table(
        "crawls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("crawl_id", sa.String(64), nullable=False),
        sa.Column(
            "crawler_name", sa.String(255), sa.ForeignKey("crawlers.name", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("start_time", sa.DateTime, nullable=False),
        sa.Column("end_time", sa.DateTime),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("error_message", sa.Text),
        sa.Column("log_path", sa.Text),
        sa.Column("pid", sa.Integer),
        sa.Column("stop_requested", sa.Boolean, nullable=False),
        sa.Column("progress", sa.JSON, nullable=False),
        sa.UniqueConstraint("crawl_id", name="uq_crawls_crawl_id"),
    )
    op.create_index("ix_crawls_crawler_start", "crawls", ["crawler_name", "start_time"])
    op.create_table(
        "classifiers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("creation_time", sa.DateTime, nullable=False),
        sa.Column("last_updated", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", name="uq_classifiers_name"),
    )


def downgrade() -> None:
    with op.batch_alter_table("tables") as batch:
        batch.drop_column("partition_version")
    op.drop_table("classifiers")
    op.drop_index("ix_crawls_crawler_start", table_name="crawls")
    op.drop_table("crawls")
    op.drop_table("crawlers")
