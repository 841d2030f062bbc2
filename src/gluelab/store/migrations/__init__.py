"""Alembic migrations of gluelab's store. Run in-process by ``Store.migrate``; never by hand."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, inspect, text

HERE = Path(__file__).parent
# The newest revision in versions/; a test keeps it equal to Alembic's head. Checking a database
# against it needs no Alembic import, which keeps every gluelab command quick to start.
HEAD = "0010"
_PROCESS_LOCK = threading.Lock()  # Alembic's context is module-global: one migration per process at a time


def _config(engine: Engine | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """Alembic's head, read from the scripts (slow; ``HEAD`` is the fast answer)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """Processes opening one SQLite file at once migrate it one after the other (PostgreSQL uses an
    advisory lock in env.py instead)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and current_revision(engine) == HEAD:
        return
    with _PROCESS_LOCK, _sqlite_file_lock(engine):
        if revision == "head" and current_revision(engine) == HEAD:
            return  # another process got there first
        from alembic import command

        command.upgrade(_config(engine), revision)
