"""The store: engine and session factory, and the Alembic migrations that build and upgrade the schema.

SQLite (a file in WAL mode) by default, PostgreSQL by URL. ``read()`` gives a session for queries;
``write()`` a session whose work commits as one transaction or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from .models import Base

__all__ = ["Base", "Store", "normalize_url"]

_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg", "mysql": "mysql+pymysql"}


def normalize_url(url: str | URL) -> URL:
    """Pick the drivers gluelab ships (psycopg 3, PyMySQL) when a URL names none."""
    parsed = make_url(url)
    if parsed.drivername in _DRIVERS:
        parsed = parsed.set(drivername=_DRIVERS[parsed.drivername])
    return parsed


class Store:
    def __init__(self, url: str | URL):
        self.url = normalize_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, object] = {}
        if self.is_sqlite:
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._writer = self.engine.execution_options(gluelab_write=True)
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._writer, expire_on_commit=False)
        self._migrated = False

    # -- sessions -------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read_sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._write_sessions() as session, session.begin():
            yield session

    # -- schema ---------------------------------------------------------------------------
    def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema to ``revision`` (Alembic), keeping every row."""
        from . import migrations

        if not self.is_sqlite:
            migrations.upgrade(self.engine, revision)
        else:
            # Its own unpooled connection: migrations switch foreign keys off on it (see env.py), and
            # that connection must never serve anyone else afterwards.
            engine = create_engine(
                self.url, poolclass=NullPool, connect_args={"check_same_thread": False, "timeout": 30}
            )
            _configure_sqlite(engine)
            try:
                migrations.upgrade(engine, revision)
            finally:
                engine.dispose()
        self._migrated = revision == "head"

    def ensure_schema(self) -> None:
        if not self._migrated:
            self.migrate()

    def current_revision(self) -> str | None:
        from . import migrations

        return migrations.current_revision(self.engine)

    def table_names(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def dispose(self) -> None:
        self.engine.dispose()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event below emit BEGIN, instead of pysqlite's own guesswork.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "busy_timeout=30000",  # first, so that switching to WAL waits for other connections
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "case_sensitive_like=ON",  # LIKE in partition expressions is case-sensitive, as in Glue
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        # Writers take the write lock up front: two transactions that both read then write would
        # otherwise deadlock on lock upgrade and one would fail with "database is locked".
        immediate = connection.get_execution_options().get("gluelab_write")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
