"""Data Catalog: databases, tables, table versions, partitions, connections.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "databases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("catalog_id", sa.String(12), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("location_uri", sa.Text),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("create_time", sa.DateTime, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.UniqueConstraint("catalog_id", "name", name="uq_databases_catalog_name"),
    )
    op.create_table(
        "tables",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "database_id", sa.Integer, sa.ForeignKey("databases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("table_type", sa.String(64)),
        sa.Column("description", sa.Text),
        sa.Column("owner", sa.String(255)),
        sa.Column("create_time", sa.DateTime, nullable=False),
        sa.Column("update_time", sa.DateTime, nullable=False),
        sa.Column("last_access_time", sa.DateTime),
        sa.Column("last_analyzed_time", sa.DateTime),
        sa.Column("storage_descriptor", sa.JSON),
        sa.Column("partition_keys", sa.JSON, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.UniqueConstraint("database_id", "name", name="uq_tables_database_name"),
    )
    op.create_table(
        "table_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("table_id", sa.Integer, sa.ForeignKey("tables.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("table_id", "version_id", name="uq_table_versions_table_version"),
    )
    op.create_table(
        "partitions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("table_id", sa.Integer, sa.ForeignKey("tables.id", ondelete="CASCADE"), nullable=False),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("values_hash", sa.String(64), nullable=False),
        sa.Column("creation_time", sa.DateTime, nullable=False),
        sa.Column("last_access_time", sa.DateTime),
        sa.Column("last_analyzed_time", sa.DateTime),
        sa.Column("storage_descriptor", sa.JSON),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.UniqueConstraint("table_id", "values_hash", name="uq_partitions_table_values"),
    )
    op.create_index("ix_partitions_table_id", "partitions", ["table_id"])
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("catalog_id", sa.String(12), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("connection_type", sa.String(64), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("match_criteria", sa.JSON, nullable=False),
        sa.Column("connection_properties", sa.JSON, nullable=False),
        sa.Column("physical_connection_requirements", sa.JSON),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("creation_time", sa.DateTime, nullable=False),
        sa.Column("last_updated_time", sa.DateTime, nullable=False),
        sa.Column("last_updated_by", sa.String(255)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.UniqueConstraint("catalog_id", "name", name="uq_connections_catalog_name"),
    )


def downgrade() -> None:
    for name in ("connections", "partitions", "table_versions", "tables", "databases"):
        op.drop_table(name)
