"""Alembic environment: runs migrations on the engine ``Store.migrate`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from gluelab.store.models import Base

engine = context.config.attributes["engine"]
# SQLite: take the write lock at BEGIN (see Store); PostgreSQL: an advisory lock. Either way two
# processes starting at once migrate one after the other, and the second finds nothing to do.
with engine.execution_options(gluelab_write=True).connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations recreate tables (copy, drop, rename); with foreign keys on, dropping the old
        # table would cascade-delete every row that refers to it. The pragma only works outside a
        # transaction, hence on the raw connection before SQLAlchemy begins one. Store.migrate gives
        # this connection to no one else afterwards.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(7143917)"))
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"migration left rows that refer to missing rows: {broken[:5]}")
