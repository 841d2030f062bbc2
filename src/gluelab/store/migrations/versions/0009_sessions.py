"""Interactive sessions (the development endpoint).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.String(255), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_message", sa.Text),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("created_on", sa.DateTime, nullable=False),
        sa.Column("ready_on", sa.DateTime),
        sa.Column("completed_on", sa.DateTime),
        sa.Column("host", sa.String(255)),
        sa.Column("pid", sa.Integer),
        sa.Column("pid_started", sa.String(32)),
        sa.Column("address", sa.String(64)),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(255)),
        sa.Column("warm", sa.Boolean, nullable=False),
        sa.Column("log_dir", sa.Text),
        sa.UniqueConstraint("session_id", name="uq_sessions_session_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_sessions_status", "sessions", ["status"])


def downgrade() -> None:
    op.drop_index("ix_sessions_status", "sessions")
    op.drop_table("sessions")
