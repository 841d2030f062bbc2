"""File arrivals for EVENT triggers: each activated trigger with an event source (an s3:// prefix in the
warehouse) is scanned; a file it has not seen becomes one FILE event, stored with the file's record in
one transaction, so a file makes exactly one event across scheduler restarts. Files present when the
trigger was activated are not arrivals; hidden files (``.name``) and files still being written (changed
in the last second) wait."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..events import record_event
from ..runtime.paths import to_local, to_s3
from ..store.models import WatchedFileRow

SETTLE_SECONDS = 1.0


def _hash(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()


def files_under(root: Path, settle: float = SETTLE_SECONDS) -> Iterator[Path]:
    now = time.time()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            try:
                if now - path.stat().st_mtime < settle:
                    continue
            except OSError:
                continue
            yield path


def _seen(session: Session, trigger_name: str) -> set[str]:
    query = select(WatchedFileRow.path_hash).where(WatchedFileRow.trigger_name == trigger_name)
    return set(session.scalars(query))


def baseline(session: Session, trigger_name: str, source: str, warehouse: Path) -> None:
    """Mark the files already under ``source`` as seen (they are not arrivals)."""
    seen = _seen(session, trigger_name)
    for path in files_under(to_local(source, warehouse), settle=0):
        digest = _hash(str(path))
        if digest not in seen:
            session.add(WatchedFileRow(trigger_name=trigger_name, path_hash=digest, path=str(path)))


def forget(session: Session, trigger_name: str) -> None:
    session.execute(delete(WatchedFileRow).where(WatchedFileRow.trigger_name == trigger_name))


def arrivals(session: Session, trigger_name: str, source: str, warehouse: Path) -> list[str]:
    """Record a FILE event for each new file under ``source``; returns their s3:// URIs."""
    seen = _seen(session, trigger_name)
    found = []
    for path in files_under(to_local(source, warehouse)):
        digest = _hash(str(path))
        if digest in seen:
            continue
        uri = to_s3(path, warehouse) or path.as_uri()
        session.add(WatchedFileRow(trigger_name=trigger_name, path_hash=digest, path=str(path)))
        record_event(session, "FILE", trigger_name=trigger_name, source=uri)
        found.append(uri)
    return found
