"""Index partition values by key position so GetPartitions Expressions run in SQL; backfill them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import json
import math

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 1000


def _number(value):
    # Kept here, not imported: a migration must not change when application code does.
    if not isinstance(value, str):
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def upgrade() -> None:
    string_type = sa.String(1024).with_variant(sa.String(1024, collation="C"), "postgresql")
    values = op.create_table(
        "partition_values",
        sa.Column(
            "partition_id", sa.Integer, sa.ForeignKey("partitions.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("table_id", sa.Integer, sa.ForeignKey("tables.id", ondelete="CASCADE"), nullable=False),
        sa.Column("string_value", string_type),
        sa.Column("number_value", sa.Float),
    )
    op.create_index(
        "ix_partition_values_string", "partition_values", ["table_id", "position", "string_value"]
    )
    op.create_index(
        "ix_partition_values_number", "partition_values", ["table_id", "position", "number_value"]
    )

    partitions = sa.table(
        "partitions",
        sa.column("id", sa.Integer),
        sa.column("table_id", sa.Integer),
        sa.column("values", sa.JSON),
    )
    bind = op.get_bind()
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(partitions.c.id, partitions.c.table_id, partitions.c["values"])
            .where(partitions.c.id > last_id)
            .order_by(partitions.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        batch = []
        for pid, table_id, raw in rows:
            parts = json.loads(raw) if isinstance(raw, str) else raw
            for position, value in enumerate(parts or []):
                batch.append(
                    {
                        "partition_id": pid,
                        "position": position,
                        "table_id": table_id,
                        "string_value": value,
                        "number_value": _number(value),
                    }
                )
        if batch:
            bind.execute(values.insert(), batch)
        last_id = rows[-1][0]


def downgrade() -> None:
    op.drop_table("partition_values")
