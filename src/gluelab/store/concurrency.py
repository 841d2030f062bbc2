"""Concurrent writers: lock the row a change is computed from, retry a transaction that lost a race.

SQLite lets one writer in at a time (``BEGIN IMMEDIATE``), so a write that reads a counter and stores it
plus one is serial there. PostgreSQL runs writers side by side under READ COMMITTED: two UpdateTables of
one table would both read version 5 and both archive version 6. A writer that derives a version, counter
or state from a row therefore reads it with ``lock_row`` (``SELECT ... FOR UPDATE``), and the others wait.
What still collides (two inserts of one new key, a deadlock, a serialization failure) is retried a few
times by ``retry_conflicts``; a conflict that outlasts the retries is Glue's
ConcurrentModificationException, never an internal error.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..errors import ConcurrentModificationException

T = TypeVar("T")
Row = TypeVar("Row")

ATTEMPTS = 4  # a transaction that loses this many races in a row gives up
_SQLSTATES = {
    "23505",  # unique_violation: another writer inserted the same key first
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
}
_MYSQL_ERRNOS = {1062, 1205, 1213}  # duplicate key, lock wait timeout, deadlock
_SQLITE_MESSAGES = ("unique constraint failed", "database is locked")
_SQLITE_BUSY = "database is locked"  # SQLite waited its busy timeout (30 s) already: no retry


def is_conflict(exc: BaseException) -> bool:
    """True when ``exc`` is a store error caused by a concurrent writer (not a broken store)."""
    if not isinstance(exc, DBAPIError) or exc.orig is None:
        return False
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in _SQLSTATES:
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_ERRNOS:
        return True
    message = str(orig).lower()
    return type(orig).__module__.startswith("sqlite3") and any(m in message for m in _SQLITE_MESSAGES)


def lock_row(session: Session, row: Row) -> Row | None:
    """``row`` read again, current and locked until the transaction ends (PostgreSQL, MySQL); None when
    it was deleted meanwhile. On SQLite the writer holds the whole database already: ``row`` as it is."""
    if session.get_bind().dialect.name == "sqlite":
        return row
    identity = inspect(row).identity
    fresh: Row | None = session.get(type(row), identity, with_for_update=True, populate_existing=True)
    return fresh


def retry_conflicts(work: Callable[[], T], what: str = "The change", attempts: int = ATTEMPTS) -> T:
    """Run ``work`` (one or more whole transactions) again when it loses a race with another writer;
    ConcurrentModificationException when it keeps losing. ``work`` must have no effect outside the store
    before its last transaction commits."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as exc:
            if not is_conflict(exc):
                raise
            if attempt == attempts or _SQLITE_BUSY in str(exc.orig).lower():
                raise ConcurrentModificationException(
                    f"{what} collided with concurrent changes of the same entity; nothing was changed, retry."
                ) from exc
            time.sleep(random.uniform(0.005, 0.02) * attempt)  # let the winner commit, desynchronise
    raise AssertionError("unreachable")


def retried(method: Callable[..., T]) -> Callable[..., T]:
    """``retry_conflicts`` around a service method whose only effects are its store transactions."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return retry_conflicts(
            lambda: method(*args, **kwargs), what=method.__name__.replace("_", " ").capitalize()
        )

    return wrapper
