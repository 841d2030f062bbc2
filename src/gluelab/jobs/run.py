"""The run process: ``python -m gluelab.jobs.run RUN_ID`` (a cold start), or a warm spare handed a run.

It takes the run (records its pid), writes the run's logs, runs the user's code through the job type's
launcher and records how it ended, with the run's metrics. It enforces its own Timeout and honours a stop
(SIGTERM: streaming queries end after their current micro-batch), so a run ends honestly even when no
supervisor is running; then it launches what its end made ready (a retry, a queued run).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..catalog.common import utcnow
from ..runtime import user_errors
from ..services import Services, open_services
from .arguments import flag, notes
from .end_note import EndNote, StoreUnwritable, store_failure
from .launchers import launcher_for
from .logs import RunLogs
from .metrics import read_metrics
from .runs import STOP_GRACE_SECONDS

LIVE_METRICS_SECONDS = 5.0


class RunStopped(BaseException):
    """Raised in the user's code when the run is stopped (BaseException: ``except Exception`` in a
    script does not swallow it)."""


def error_message(exc: BaseException) -> str:
    """Glue's ErrorMessage: the user's error first (type and message), then the line of their code it came
    from; gluelab's own frames are left out (the run's run.log keeps the full trace)."""
    return user_errors.summary(exc)


def _kill_self() -> None:
    if os.getpgid(0) == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)  # the JVM and Python workers go with us
    os.kill(os.getpid(), signal.SIGKILL)


class Watchdog(threading.Thread):
    """Ends the run at its deadline (TIMEOUT, then the process group is killed) and, with
    ``--enable-metrics``, saves live metrics as the run goes on."""

    def __init__(
        self, services: Services, ctx: dict[str, Any], event_log_dir: Path | None, note: EndNote | None = None
    ):
        super().__init__(name="gluelab-run-watchdog", daemon=True)
        self.services, self.ctx, self.event_log_dir, self.note = services, ctx, event_log_dir, note
        self.live = event_log_dir is not None and flag(ctx["Arguments"], "--enable-metrics")
        self.done = threading.Event()

    def run(self) -> None:
        deadline = self.ctx["Deadline"]
        while not self.done.is_set():
            left = (deadline - utcnow()).total_seconds() if deadline else 3600.0
            if left <= 0:
                self._time_out()
                return
            wait = min(left, LIVE_METRICS_SECONDS) if self.live else left
            if self.done.wait(wait):
                return
            if self.live and self.event_log_dir is not None:
                try:
                    self.services.jobs.record_metrics(self.ctx["RunId"], read_metrics(self.event_log_dir))
                except Exception as exc:  # noqa: BLE001 - live metrics are best effort; the end records them
                    if store_failure(exc) is None:
                        raise

    def _time_out(self) -> None:
        minutes = self.ctx["Options"].get("Timeout")
        message = f"Job run timed out after {minutes} minute(s) (the job's Timeout)"
        try:
            ready = _store_write(self.services.jobs.finish_run, self.ctx["RunId"], "TIMEOUT", message)
            self.services.jobs.executor.launch_all(ready)
        except StoreUnwritable as failure:
            if self.note is not None:
                self.note.write("TIMEOUT", message, failure.reason, "end")
        finally:
            _kill_self()


class RunProcess:
    def __init__(self, services: Services, run_id: str, warm: Any = None):
        self.services = services
        self.run_id = run_id
        self.warm = warm
        self.stop_requested = threading.Event()
        self.in_user_code = False

    def execute(self) -> str:
        """Run to the end; returns the final state recorded (or found, when the run was not ours). When
        the store cannot be written, the run's end is left in its ``EndNote`` for the supervisor."""
        jobs = self.services.jobs
        ctx = jobs.run_context(self.run_id)
        logs = RunLogs(Path(ctx["LogDir"]))
        note = EndNote(logs.dir)
        self.outcome: tuple[str, str | None, str] = ("FAILED", None, "start")  # state, error, stage
        try:
            state = self._execute(ctx, logs, note)
        except StoreUnwritable as failure:
            state, error, stage = self.outcome
            kept = note.write(state, error, failure.reason, stage)
            logs.note(
                f"the run could not write to the store ({failure.reason}): its end ({state}) is "
                + ("left in " + note.path.name + " for the supervisor to record" if kept else "lost")
            )
            logs.close()
            return state
        note.discard()
        return state

    def _execute(self, ctx: dict[str, Any], logs: RunLogs, note: EndNote) -> str:
        jobs = self.services.jobs
        kind = ctx["Options"].get("JobType", "glueetl")
        launcher_type = launcher_for(ctx["Options"])
        event_dir: Path | None = None
        if launcher_type.uses_spark:
            event_dir = Path(self.warm.event_log_dir) if self.warm else logs.dir / "spark-events"
        claimed = _store_write(
            jobs.claim_run, self.run_id, os.getpid(), self.warm is not None, event_dir and str(event_dir)
        )
        if not claimed:
            logs.note(f"run not started here: it is {jobs.run_context(self.run_id)['State']}")
            return jobs.run_context(self.run_id)["State"]
        if self.warm is not None:
            self.warm.adopt_logs(logs)
        signal.signal(signal.SIGTERM, self._on_stop)
        watchdog = Watchdog(self.services, ctx, event_dir, note)
        watchdog.start()
        launcher = launcher_type(self.services.settings, ctx, logs, self.warm)
        logs.note(
            f"run {self.run_id} of job {ctx['JobName']} (attempt {ctx['Attempt']}), type {kind}"
            + (" (notebook)" if ctx["Options"].get("JobMode") == "NOTEBOOK" else "")
        )
        logs.note(f"script {ctx['Options']['ScriptLocation']} ({ctx['Options']['Script']})")
        for line in notes(ctx["Arguments"]):
            logs.note(line)
        state, error = "FAILED", None
        try:
            launcher.prepare()
            if not _store_write(jobs.mark_running, self.run_id):
                raise RunStopped()
            logs.note("RUNNING: user code starts")
            live_logs = flag(ctx["Arguments"], "--enable-continuous-cloudwatch-log")
            with logs.redirected("stdout", "stderr", line_buffered=live_logs):
                self.in_user_code = True
                try:
                    if self.stop_requested.is_set():  # a stop that came just before user code
                        raise RunStopped()
                    status = launcher.run()
                finally:
                    self.in_user_code = False
            if self.stop_requested.is_set():
                state = "STOPPED"
            elif status == 0:
                state = "SUCCEEDED"
            else:
                error = f"The script exited with status {status}"
        except StoreUnwritable:
            raise
        except RunStopped:
            state = "STOPPED"
        except BaseException as exc:  # noqa: BLE001 - any failure of user code is the run's outcome
            error = error_message(exc)
            logs.note("ERROR " + user_errors.full_trace(exc))  # the full trace, gluelab's frames too
            try:
                with logs.path("stderr").open("a") as err:  # what the user reads: their error, their frames
                    err.write(user_errors.shown(exc, "(the full trace is in the run's run.log)") + "\n")
            except OSError as write_error:
                logs.note(f"the error could not be written to stderr.log: {write_error}")
        finally:
            try:
                launcher.close()
            except Exception as exc:  # noqa: BLE001
                logs.note(f"closing Spark failed: {exc}")
        watchdog.done.set()
        metrics = read_metrics(event_dir) if event_dir is not None else {}
        logs.note(f"{state}" + (f": {error}" if error else ""))
        self.outcome = (state, error, "end")
        ready = _store_write(jobs.finish_run, self.run_id, state, error, metrics)
        logs.close()
        jobs.executor.launch_all(ready)
        return state

    def _on_stop(self, signum: int, frame: Any) -> None:
        """SIGTERM (BatchStopJobRun): streaming queries stop after their micro-batch; other code is
        interrupted. Whatever happens, the process is gone after the grace period."""
        if self.stop_requested.is_set():
            return
        self.stop_requested.set()
        killer = threading.Timer(STOP_GRACE_SECONDS - 2, _kill_self)
        killer.daemon = True
        killer.start()
        queries = _streaming_queries()
        if queries:
            threading.Thread(target=_stop_gracefully, args=(queries,), daemon=True).start()
        elif self.in_user_code:
            raise RunStopped()


def _store_write(call: Any, *args: Any) -> Any:
    """``call(*args)``, one of gluelab's own writes to the store: a store (or disk) that cannot be written
    raises StoreUnwritable, so the run leaves its end in its note instead of crashing unexplained."""
    try:
        return call(*args)
    except Exception as exc:
        reason = store_failure(exc)
        if reason is None:
            raise
        raise StoreUnwritable(reason) from exc


def _streaming_queries() -> list[Any]:
    session = sys.modules.get("pyspark.sql") and getattr(
        sys.modules["pyspark.sql"].SparkSession, "_instantiatedSession", None
    )
    if session is None:
        return []
    try:
        return list(session.streams.active)
    except Exception:  # noqa: BLE001
        return []


def _stop_gracefully(queries: list[Any]) -> None:
    """Let each query finish the micro-batch it is in (its checkpoint then records it), then stop it."""
    until = time.monotonic() + STOP_GRACE_SECONDS - 4
    for query in queries:
        while time.monotonic() < until:
            try:
                if not query.status.get("isTriggerActive"):
                    break
            except Exception:  # noqa: BLE001
                break
            time.sleep(0.05)
        try:
            query.stop()
        except Exception:  # noqa: BLE001
            pass


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m gluelab.jobs.run RUN_ID", file=sys.stderr)
        return 2
    services = open_services()
    try:
        state = RunProcess(services, args[0]).execute()
        return 0 if state == "SUCCEEDED" else 1
    finally:
        services.close()


if __name__ == "__main__":
    sys.exit(main())
