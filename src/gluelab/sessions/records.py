"""The session row as a session's own process updates it: ready (with its address), failed, ended."""

from __future__ import annotations

import datetime as dt
import os
import socket
from functools import cache
from typing import Any

from sqlalchemy import delete, select

from ..config import Settings
from ..jobs import processes
from ..store import Store
from ..store.models import SessionRow

FINAL = ("STOPPED", "FAILED", "TIMEOUT")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@cache
def _store(url: str) -> Store:
    return Store(url)


def load_row(settings: Settings, row_id: int) -> dict[str, Any]:
    with _store(settings.database_url).read() as db:
        row = db.get(SessionRow, row_id)
        if row is None:
            raise LookupError(f"session {row_id} is not in the store")
        return {
            "origin": row.origin,
            "request": dict(row.request),
            "session_id": row.session_id,
            "log_dir": row.log_dir,
        }


def set_address(settings: Settings, row_id: int, address: str, secret: str) -> None:
    with _store(settings.database_url).write() as db:
        row = db.get(SessionRow, row_id)
        if row is not None:
            row.address, row.secret = address, secret


def mark_ready(settings: Settings, row_id: int, app_id: str | None, warm: bool) -> None:
    pid = os.getpid()
    with _store(settings.database_url).write() as db:
        row = db.get(SessionRow, row_id)
        if row is None or row.status != "PROVISIONING":
            return
        row.status = "READY"
        row.ready_on = utcnow()
        row.app_id = app_id
        row.warm = warm
        row.host = socket.gethostname()
        row.pid = pid
        row.pid_started = processes.start_time(pid)


def mark_failed(settings: Settings, row_id: int, message: str) -> None:
    with _store(settings.database_url).write() as db:
        row = db.get(SessionRow, row_id)
        if row is not None and row.status not in FINAL:
            row.status = "FAILED"
            row.error_message = message
            row.completed_on = utcnow()


def mark_ended(settings: Settings, row_id: int, status: str, delete_row: bool = False) -> None:
    """STOPPED or TIMEOUT; a Livy session that expired is deleted, as Livy does."""
    with _store(settings.database_url).write() as db:
        if delete_row:
            db.execute(delete(SessionRow).where(SessionRow.id == row_id))
            return
        row = db.scalar(select(SessionRow).where(SessionRow.id == row_id))
        if row is not None and row.status not in FINAL:
            row.status = status
            row.completed_on = utcnow()
            if status == "TIMEOUT":
                row.error_message = "The session timed out (idle or total time)."
