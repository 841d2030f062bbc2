"""Alembic environment: runs migrations on the engine ``Store.migrate`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from gluelab.store.models import Base

engine = context.config.attributes["engine"]
# SQLite: take the write lock at BEGIN (see Store); PostgreSQL: an advisory lock. Either way two
# processes starting at once migrate one after the other, and the second finds nothing to do.
with engine.execution_options(gluelab_write=True).connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(7143917)"))
        context.run_migrations()
