"""The executor: starts run processes (a warm spare when one fits, else ``python -m gluelab.jobs.run``)
and, in the supervisor (``gluelab serve``), checks on them: a run whose process is gone is ended
honestly, a run past its Timeout or a stop past its grace period is killed, queued runs start when there
is room, and the warm pool is kept full. Any process may launch and reconcile; only the supervisor keeps
a pool and ticks."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from ..catalog.common import utcnow
from ..config import Settings
from . import processes
from .end_note import read_end_note, store_failure, unrecorded_verdict
from .launchers import warm_key
from .pool import WarmPool, take_spare
from .runs import ORPHAN_SECONDS, STOP_GRACE_SECONDS

log = logging.getLogger("gluelab.jobs")
TICK_SECONDS = 0.5
TIMEOUT_GRACE_SECONDS = 10.0  # the run's own watchdog goes first


class Executor:
    def __init__(self, jobs: Any, settings: Settings):
        self.jobs = jobs
        self.settings = settings
        self.pool: WarmPool | None = None
        self.children: list[subprocess.Popen[bytes]] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # -- launching -------------------------------------------------------------------------------
    def launch(self, run_id: str) -> None:
        """Start the process of a STARTING run (nothing for a WAITING one)."""
        ctx = self.jobs.run_context(run_id)
        if ctx["State"] != "STARTING":
            return
        spare = take_spare(self.settings, warm_key(self.settings, ctx), run_id)
        if spare is not None:
            log.info("run %s started warm (spare %s)", run_id, spare)
            return
        try:
            process = self._spawn(run_id, Path(ctx["LogDir"]))
        except OSError as exc:  # gluelab could not start it: Glue's ERROR, not the script's FAILED
            self.launch_all(
                self.jobs.finish_run(run_id, "ERROR", f"The run's process could not start: {exc}")
            )
            return
        with self._lock:
            self.children.append(process)

    def launch_all(self, run_ids: list[str]) -> None:
        for run_id in run_ids:
            self.launch(run_id)

    def _spawn(self, run_id: str, log_dir: Path) -> subprocess.Popen[bytes]:
        log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.settings.child_env()}
        with open(log_dir / "process.log", "ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "gluelab.jobs.run", run_id],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopping it stops Spark's JVM too
                cwd=log_dir,
            )

    # -- checking on runs --------------------------------------------------------------------------
    def reconcile(self) -> None:
        """End the runs whose process is gone without recording an outcome (on this host)."""
        now = utcnow()
        ready: list[str] = []
        for run in self.jobs.unfinished_runs():
            if run["Pid"] is None:
                note = read_end_note(run.get("LogDir"))
                if note is not None:  # its process could not even claim it: the store could not be written
                    ready += self.jobs.finish_run(run["RunId"], *unrecorded_verdict(note, False))
                elif (now - run["StartedOn"]).total_seconds() > ORPHAN_SECONDS and run["State"] == "STARTING":
                    ready += self.jobs.finish_run(
                        run["RunId"], "ERROR", "The run's process never started (its launcher ended first)"
                    )
                continue
            if processes.alive(run["Pid"], run["PidStarted"]):
                continue
            ready += self.jobs.finish_run(run["RunId"], *self._verdict(run, now))
        self.launch_all(ready)

    def reconcile_for_reading(self) -> None:
        """``reconcile`` before a read (GetJobRun): a store that cannot be written just now must not fail
        the read; the supervisor's next tick tries again."""
        try:
            self.reconcile()
        except Exception as exc:
            if store_failure(exc) is None:
                raise
            log.warning("runs not reconciled: the store cannot be written (%s)", store_failure(exc))

    @staticmethod
    def _verdict(run: dict[str, Any], now: dt.datetime) -> tuple[str, str]:
        timed_out = run["Deadline"] is not None and now >= run["Deadline"]
        note = read_end_note(run.get("LogDir"))
        if note is not None:  # the run could not write its end: the store (or its disk) failed under it
            return unrecorded_verdict(note, timed_out)
        if run["State"] == "STOPPING":
            return "STOPPED", "Stopped; the run's process ended before recording it"
        if timed_out:
            return "TIMEOUT", "Job run timed out (its process was ended at the Timeout)"
        return "FAILED", (
            f"The run's process (pid {run['Pid']}) ended without recording an outcome: it was killed "
            "or crashed (see the run's process.log and spark.log)"
        )

    def enforce(self) -> None:
        """Kill runs past their Timeout (and the grace their own watchdog has) and stops past theirs."""
        now = utcnow()
        for run in self.jobs.unfinished_runs():
            if not run["Pid"] or not processes.alive(run["Pid"], run["PidStarted"]):
                continue
            overdue = run["Deadline"] is not None and now >= run["Deadline"] + dt.timedelta(
                seconds=TIMEOUT_GRACE_SECONDS
            )
            stuck = run["State"] == "STOPPING" and (now - run["LastModifiedOn"]).total_seconds() > (
                STOP_GRACE_SECONDS + 5
            )
            if overdue or stuck:
                processes.signal_group(run["Pid"], signal.SIGKILL)
                state, message = ("TIMEOUT", "Job run timed out") if overdue else ("STOPPED", "Stopped")
                self.launch_all(self.jobs.finish_run(run["RunId"], state, message))

    def tick(self) -> None:
        with self._lock:
            self.children = [c for c in self.children if c.poll() is None]  # reap
        self.reconcile()
        self.enforce()
        self.launch_all(self.jobs.dequeue())
        if self.pool is not None:
            with self._lock:
                self.children += self.pool.maintain(busy=bool(self.children))

    # -- the supervisor --------------------------------------------------------------------------
    def supervise(self, pool_size: int | None = None) -> None:
        """Keep a warm pool and check on runs every TICK_SECONDS, in a thread, until ``close``."""
        size = self.settings.warm_pool_size if pool_size is None else pool_size
        self.pool = WarmPool(self.settings, size) if size > 0 else None
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="gluelab-executor", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the supervisor must outlive a bad tick (store down ...)
                log.exception("executor tick failed")
            self._stop.wait(TICK_SECONDS)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.pool is not None:
            with self._lock:
                self.children += self.pool.close()
            self.pool = None
