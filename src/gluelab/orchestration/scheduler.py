"""The scheduler: one thread in ``gluelab serve`` (and in the Jupyter server extension) that, while it
holds the store's ``scheduler`` lease, fires due schedules, reacts to the ends of trigger-started runs,
turns new files under EVENT triggers' prefixes into events and batches of events into workflow runs.

It polls the store every POLL_SECONDS, and wakes at once when a run process, the API or the CLI sends a
wake-up datagram after storing an event (see ``gluelab.events``): a conditional trigger fires on the
run's end, not on the next poll. Only one scheduler per database works at a time; the others wait for
the lease, and each firing transaction checks it still holds it.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from typing import Any

from sqlalchemy import select as sql_select

from ..catalog.common import utcnow
from ..events import wake_address
from ..store.models import TriggerRow
from . import watcher
from .lease import Lease, LeaseLost

log = logging.getLogger("gluelab.scheduler")
LEASE_NAME = "scheduler"
POLL_SECONDS = 1.0
SCAN_SECONDS = 2.0  # file arrivals
SETTLE_SECONDS = 5.0  # workflow runs whose last run was deleted, or ended while nobody listened
RELAUNCH_AFTER_SECONDS = 20.0  # a run a firing recorded that no process took (the scheduler died between)


class Scheduler:
    def __init__(self, services: Any, lease_ttl: float | None = None):
        self.services = services
        self.engine = services.engine
        self.lease = Lease(services.store, LEASE_NAME, **({"ttl": lease_ttl} if lease_ttl else {}))
        self.leader = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._last: dict[str, float] = {}

    # -- one pass ----------------------------------------------------------------------------------
    def tick(self) -> bool:
        """One pass if this scheduler holds (or takes) the lease; returns whether it did."""
        was = self.leader
        self.leader = self.lease.acquire()
        if self.leader != was:
            log.info("scheduler %s the lease (%s)", "took" if self.leader else "lost", self.lease.holder)
        if not self.leader:
            return False
        fence = self.lease.fence
        try:
            if self._due("relaunch", RELAUNCH_AFTER_SECONDS):
                self.relaunch_unclaimed()
            self.engine.fire_due(utcnow(), fence)
            if self._due("scan", SCAN_SECONDS):
                self.scan_files()
            while self.engine.process_events(fence) > 0:
                pass
            self.engine.fire_event_batches(utcnow(), fence)
            if self._due("settle", SETTLE_SECONDS):
                # Runs and crawls whose process died unrecorded end here too when no supervisor runs
                # (``gluelab workflows run`` without a server); their ends then move workflow runs on.
                self.services.jobs.executor.reconcile()
                self.services.crawlers.reconcile()
                self.engine.settle_all(fence)
        except LeaseLost:
            log.warning("scheduler lost its lease mid-pass; another scheduler carries on")
            self.leader = False
        return self.leader

    def _due(self, what: str, every: float) -> bool:
        now = time.monotonic()
        if now - self._last.get(what, 0.0) >= every:
            self._last[what] = now
            return True
        return False

    def scan_files(self) -> int:
        """New files under activated EVENT triggers' prefixes become events (one transaction each)."""
        store, warehouse = self.services.store, self.services.settings.warehouse_dir
        with store.read() as session:
            query = sql_select(TriggerRow.name, TriggerRow.event_source).where(
                TriggerRow.type == "EVENT",
                TriggerRow.state == "ACTIVATED",
                TriggerRow.event_source.is_not(None),
            )
            sources = session.execute(query).all()
        found = 0
        for name, source in sources:
            with store.write() as session:
                self.lease.fence(session)
                try:
                    found += len(watcher.arrivals(session, name, source, warehouse))
                except OSError as exc:
                    log.warning("trigger %s: cannot scan %s: %s", name, source, exc)
        return found

    def relaunch_unclaimed(self) -> None:
        """Runs and crawls a firing recorded but no process took (the scheduler was killed between its
        commit and the launch): launch them now. A second launch of a taken run loses the claim and ends."""
        jobs, crawlers = self.services.jobs, self.services.crawlers
        for run in jobs.unfinished_runs():
            age = (utcnow() - run["StartedOn"]).total_seconds()
            if run["Pid"] is None and run["State"] == "STARTING" and age > RELAUNCH_AFTER_SECONDS:
                log.info("relaunching run %s, recorded but never started", run["RunId"])
                jobs.executor.launch(run["RunId"])
        for crawl_id in crawlers.unclaimed_crawls(RELAUNCH_AFTER_SECONDS):
            log.info("relaunching crawl %s, recorded but never started", crawl_id)
            crawlers.spawn(crawl_id)

    # -- the thread --------------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._socket = _listen(self.services.settings)
        self._thread = threading.Thread(target=self._loop, name="gluelab-scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the scheduler must outlive a bad pass (store down ...)
                log.exception("scheduler pass failed")
            self._wait(POLL_SECONDS if self.leader else self.lease.ttl.total_seconds() / 4)

    def _wait(self, timeout: float) -> None:
        if self._socket is None:
            self._stop.wait(timeout)
            return
        ready, _, _ = select.select([self._socket], [], [], timeout)
        if ready:
            try:
                while True:
                    self._socket.recv(64)
            except (BlockingIOError, OSError):
                pass

    def close(self) -> None:
        self._stop.set()
        if self._socket is not None:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as poke:
                    poke.sendto(b"stop", self._socket.getsockname())
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.leader:
            try:
                self.lease.release()
            except Exception:  # noqa: BLE001 - the lease expires anyway
                log.exception("could not release the scheduler lease")
            self.leader = False


def _listen(settings: Any) -> socket.socket | None:
    """The wake-up socket; None when another scheduler of this home has it (this one then polls)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.bind(wake_address(settings))
    except OSError:
        sock.close()
        return None
    sock.setblocking(False)
    return sock
