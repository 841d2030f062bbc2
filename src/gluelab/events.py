"""The scheduler's inbox: events are rows in the store, written in the transaction of what caused them
(a trigger-started run ending, a file arriving, an event posted), and then a best-effort wake-up datagram
tells a scheduler of this home to look now rather than at its next poll."""

from __future__ import annotations

import hashlib
import socket
import uuid
from typing import Any

from sqlalchemy.orm import Session

from .catalog.common import utcnow
from .config import Settings
from .store.models import OrchestrationEventRow

RUN_ENDED_KINDS = ("JOB_RUN", "CRAWL")
ARRIVAL_KINDS = ("FILE", "POSTED")


def record_event(session: Session, kind: str, **fields: Any) -> str:
    """Add an event in ``session``'s transaction; returns its id."""
    event_id = str(uuid.uuid4())
    session.add(
        OrchestrationEventRow(event_id=event_id, kind=kind, received_on=utcnow(), processed=False, **fields)
    )
    return event_id


def wake_address(settings: Settings) -> str:
    """An abstract unix socket name (no file, no path-length limit) for the schedulers of this home."""
    digest = hashlib.sha1(str(settings.home.resolve()).encode()).hexdigest()[:20]
    return f"\0gluelab-scheduler-{digest}"


def wake_scheduler(settings: Settings) -> None:
    """Tell a listening scheduler to look at its events now; nothing happens if none listens."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.sendto(b"wake", wake_address(settings))
    except OSError:
        pass  # no scheduler here (or its queue is full, so it is awake anyway): it polls
