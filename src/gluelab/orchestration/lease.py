"""A named lease in the store: one holder at a time, renewed while it lives, taken over when it expires
(or at once, when its holder is a dead process on this host). Work done under the lease ``fence``s its
transaction: the transaction renews the lease, and fails if the lease has passed to someone else, so
two schedulers on one database never both commit a firing."""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..catalog.common import utcnow
from ..jobs import processes
from ..store import Store
from ..store.models import LeaseRow

TTL_SECONDS = 10.0


class LeaseLost(RuntimeError):
    """Another process holds the lease now; the transaction that found it out is rolled back."""


class Lease:
    def __init__(self, store: Store, name: str, ttl: float = TTL_SECONDS):
        self.store = store
        self.name = name
        self.ttl = dt.timedelta(seconds=ttl)
        pid = os.getpid()
        self.holder = f"{socket.gethostname()}|{pid}|{processes.start_time(pid)}|{uuid.uuid4().hex[:8]}"

    def acquire(self) -> bool:
        """Take or renew the lease; False while someone else holds it."""
        now = utcnow()
        try:
            with self.store.write() as session:
                row = session.scalar(select(LeaseRow).where(LeaseRow.name == self.name).with_for_update())
                if row is None:
                    session.add(LeaseRow(name=self.name, holder=self.holder, expires_at=now + self.ttl))
                    return True
                if row.holder != self.holder and row.expires_at > now and not _dead(row.holder):
                    return False
                row.holder, row.expires_at = self.holder, now + self.ttl
                return True
        except IntegrityError:  # another process inserted it first
            return False

    def fence(self, session: Session) -> None:
        """Renew the lease inside ``session``'s transaction; LeaseLost if it is no longer ours."""
        result = session.execute(
            update(LeaseRow)
            .where(LeaseRow.name == self.name, LeaseRow.holder == self.holder)
            .values(expires_at=utcnow() + self.ttl)
        )
        if result.rowcount != 1:
            raise LeaseLost(f"the {self.name} lease is held by another process now")

    def holder_now(self) -> str | None:
        with self.store.read() as session:
            return session.scalar(select(LeaseRow.holder).where(LeaseRow.name == self.name))

    def release(self) -> None:
        with self.store.write() as session:
            row = session.scalar(select(LeaseRow).where(LeaseRow.name == self.name))
            if row is not None and row.holder == self.holder:
                session.delete(row)


def _dead(holder: str) -> bool:
    """A holder on this host whose process is gone (SIGKILLed) need not be waited for."""
    try:
        host, pid, started, _ = holder.split("|")
    except ValueError:
        return False
    return host == socket.gethostname() and not processes.alive(int(pid), started or None)
