"""A session's process. ``python -m gluelab.sessions.repl --session ID`` starts Spark for session ``ID``
(a cold start); ``python -m gluelab.sessions.repl DIR SPEC_JSON`` is a warm spare, started by the
server's pool with Spark up, that a new session adopts (``adopt``) so it is ready at once.

The process binds ``spark``, ``sc``, ``sqlContext`` and ``glueContext``, answers the server over
``rpc`` (run, get, list, cancel, status, stop) and runs statements one at a time on its main thread, each
in the Spark job group named after its id (progress and cancel use it). It ends itself when idle longer
than its idle timeout (Livy's heartbeat, Glue's IdleTimeout), after Glue's Timeout, or when stopped, and
records how it ended in the store. Spark's and the process's output go to the session's log."""

from __future__ import annotations

import json
import logging
import os
import queue
import secrets
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from . import rpc
from .interpreter import Interpreter
from .namespace import start_spark
from .spec import SessionPlan, plan

log = logging.getLogger("gluelab.session")
CANCEL_GRACE_SECONDS = 1.0  # after cancelling its Spark jobs, a statement still running gets SIGINT
ADOPT_WITHIN_SECONDS = 30.0


def _interrupted(count: int) -> dict[str, Any]:
    return {
        "status": "error",
        "execution_count": count,
        "ename": "KeyboardInterrupt",
        "evalue": "",
        "traceback": [],
    }


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Statement:
    id: int
    code: str
    kind: str
    state: str = "waiting"  # waiting | running | available | cancelling | cancelled
    output: dict[str, Any] | None = None
    started: int = 0
    completed: int = 0
    cancel_requested: bool = False
    progress: float = 0.0

    def shape(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "state": self.state,
            "output": self.output,
            "progress": 1.0 if self.state in ("available", "cancelled") else self.progress,
            "started": self.started,
            "completed": self.completed,
        }


@dataclass
class Repl:
    settings: Settings
    spark: Any
    namespace: dict[str, Any]
    row_id: int | None = None
    origin: str = "glue"
    plan: SessionPlan | None = None
    statements: dict[int, Statement] = field(default_factory=dict)
    current: Statement | None = None
    stop_reason: str | None = None
    adopted_at: float = 0.0
    spare_dir: Path | None = None

    def __post_init__(self) -> None:
        self.interpreter = Interpreter(self.namespace)
        self.queue: queue.Queue[int] = queue.Queue()
        self.lock = threading.Lock()
        self.last_active = time.monotonic()
        self.adopted = threading.Event()

    # -- requests from the server (rpc threads) ------------------------------------------
    def handle(self, op: str, args: dict[str, Any]) -> Any:
        if args.pop("touch", True):
            self.last_active = time.monotonic()
        if op == "adopt":
            return self._adopt(int(args["row_id"]))
        if op == "status":
            return {"busy": self.current is not None or not self.queue.empty(), "app_id": self._app_id()}
        if op == "run":
            return self._submit(str(args["code"]), str(args.get("kind") or "pyspark"))
        if op == "get":
            return self._get(int(args["id"])).shape()
        if op == "list":
            with self.lock:
                return [self._progressed(s).shape() for s in self.statements.values()]
        if op == "cancel":
            return self._cancel(int(args["id"]))
        if op == "stop":
            self.request_stop("STOPPED")
            return {"stopping": True}
        raise ValueError(f"unknown operation {op!r}")

    def _app_id(self) -> str | None:
        try:
            return self.spark.sparkContext.applicationId
        except Exception:  # noqa: BLE001 - Spark is stopping
            return None

    def _submit(self, code: str, kind: str) -> rpc.Reply:
        if self.stop_reason is not None:
            raise ValueError("the session is stopping")
        with self.lock:
            statement = Statement(id=len(self.statements), code=code, kind=kind)
            self.statements[statement.id] = statement
        log.info("statement %d queued (%s, %d characters)", statement.id, kind, len(code))
        return rpc.Reply(statement.shape(), lambda: self.queue.put(statement.id))

    def _get(self, statement_id: int) -> Statement:
        statement = self.statements.get(statement_id)
        if statement is None:
            raise LookupError(f"Statement {statement_id} not found")
        return self._progressed(statement)

    def _progressed(self, statement: Statement) -> Statement:
        """A running statement's progress: completed over all tasks of its Spark job group."""
        if statement.state in ("running", "cancelling"):
            try:
                tracker = self.spark.sparkContext.statusTracker()
                done = total = 0
                for job_id in tracker.getJobIdsForGroup(str(statement.id)):
                    job = tracker.getJobInfo(job_id)
                    for stage_id in job.stageIds if job else []:
                        stage = tracker.getStageInfo(stage_id)
                        if stage:
                            done += stage.numCompletedTasks
                            total += stage.numTasks
                progress = min(1.0, done / total) if total else 0.0
                with self.lock:
                    if statement.state in ("running", "cancelling"):
                        statement.progress = progress
            except Exception:  # noqa: BLE001 - progress is best effort while Spark changes under us
                pass
        return statement

    def _cancel(self, statement_id: int) -> dict[str, Any]:
        statement = self._get(statement_id)
        with self.lock:
            if statement.state == "waiting":
                statement.state = "cancelled"
                statement.progress = 1.0
                statement.completed = _now_ms()
                return statement.shape()
            if statement.state != "running":
                return statement.shape()
            statement.cancel_requested = True
            statement.state = "cancelling"
        log.info("statement %d: cancelling", statement.id)
        self.spark.sparkContext.cancelJobGroup(str(statement.id))
        threading.Thread(target=self._interrupt_later, args=(statement,), daemon=True).start()
        return statement.shape()

    def _interrupt_later(self, statement: Statement) -> None:
        """Pure Python code does not notice a cancelled job group: interrupt it as Jupyter would (again
        each second, in case an interrupt landed where it was swallowed)."""
        for _ in range(10):
            deadline = time.monotonic() + CANCEL_GRACE_SECONDS
            while time.monotonic() < deadline:
                if self.current is not statement:
                    return
                time.sleep(0.05)
            log.info("statement %d: interrupting its Python code", statement.id)
            os.kill(os.getpid(), signal.SIGINT)

    def request_stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
            log.info("stopping: %s", reason)
        current = self.current
        if current is not None and current.state == "running":
            self._cancel(current.id)

    # -- adoption (a warm spare becoming a session) ------------------------------------
    def _adopt(self, row_id: int) -> dict[str, Any]:
        from .records import load_row

        row = load_row(self.settings, row_id)
        session_plan = plan(row["origin"], row["request"], row["session_id"])
        for key, value in session_plan.runtime_conf.items():
            self.spark.conf.set(key, value)
        log_dir = Path(row["log_dir"])
        log_dir.mkdir(parents=True, exist_ok=True)
        spare_log = (self.spare_dir or log_dir) / "session.log"
        if self.spare_dir is not None and spare_log.exists():
            spare_log.rename(log_dir / "session.log")  # the process keeps writing to it
        self._become(row_id, row["origin"], session_plan, warm=True)
        self.adopted.set()
        return {"adopted": row_id}

    def _become(self, row_id: int, origin: str, session_plan: SessionPlan, warm: bool) -> None:
        from .records import mark_ready

        self.row_id, self.origin, self.plan = row_id, origin, session_plan
        self.adopted_at = self.last_active = time.monotonic()
        mark_ready(self.settings, row_id, self._app_id(), warm)
        log.info("session %d ready (%s start)", row_id, "warm" if warm else "cold")

    # -- the main thread --------------------------------------------------------------------
    def loop(self) -> str:
        """Run statements until stopped or timed out; returns how the session ended."""
        threading.Thread(target=self._watch, name="session-watchdog", daemon=True).start()
        while self.stop_reason is None:
            try:
                statement_id = self.queue.get(timeout=0.25)
            except queue.Empty:
                continue
            except KeyboardInterrupt:  # a late interrupt meant for a statement that just ended
                continue
            try:
                self._run(self.statements[statement_id])
            except KeyboardInterrupt:
                continue
        return self.stop_reason

    def _run(self, statement: Statement) -> None:
        with self.lock:
            if statement.state != "waiting":
                return
            statement.state = "running"
            statement.started = _now_ms()
            self.current = statement
        context = self.spark.sparkContext
        context.setJobGroup(str(statement.id), statement.code[:200], True)
        output: dict[str, Any] | None = None
        try:
            output = self.interpreter.execute(statement.code, statement.id, statement.kind)
        finally:  # also when an interrupt lands outside the user's code
            self._complete(statement, output or _interrupted(statement.id))

    def _complete(self, statement: Statement, output: dict[str, Any]) -> None:
        with self.lock:
            # Livy's order: the session is idle again before the statement is available.
            self.current = None
            self.last_active = time.monotonic()
            statement.progress = 1.0
            statement.completed = _now_ms()
            if statement.cancel_requested:
                statement.state = "cancelled"
            else:
                statement.output = output
                statement.state = "available"
        log.info("statement %d %s (%s)", statement.id, statement.state, output.get("status"))

    def _watch(self) -> None:
        while self.stop_reason is None:
            time.sleep(0.5)
            if self.plan is None:
                continue
            now = time.monotonic()
            idle = self.current is None and self.queue.empty()
            too_long = bool(self.plan.timeout_seconds) and now - self.adopted_at > self.plan.timeout_seconds
            if too_long or (idle and now - self.last_active > self.plan.idle_seconds):
                self.request_stop("TIMEOUT")


# -- process set-up ------------------------------------------------------------------------
def _redirect_output(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)  # Spark's JVM inherits these
    handler = logging.StreamHandler(sys.__stderr__)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("gluelab")
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _serve_rpc(repl: Repl) -> tuple[str, str]:
    address = f"gluelab-session-{secrets.token_hex(8)}"
    secret = secrets.token_hex(16)
    rpc.serve(address, secret, repl.handle)
    return address, secret


def _finish(repl: Repl, reason: str) -> None:
    from .records import mark_ended

    if repl.row_id is not None:
        mark_ended(
            repl.settings, repl.row_id, reason, delete_row=repl.origin == "livy" and reason == "TIMEOUT"
        )
    done = threading.Event()

    def stop_spark() -> None:
        try:
            repl.spark.stop()
        finally:
            done.set()

    threading.Thread(target=stop_spark, daemon=True).start()
    done.wait(15)
    log.info("session ended: %s", reason)
    logging.shutdown()
    os._exit(0)


def run_session(row_id: int) -> None:
    from .records import load_row, mark_failed, set_address

    settings = Settings.load()
    row = load_row(settings, row_id)
    _redirect_output(Path(row["log_dir"]) / "session.log")
    session_plan = plan(row["origin"], row["request"], row["session_id"])
    try:
        spark, namespace = start_spark(settings, session_plan)
    except Exception as exc:  # noqa: BLE001 - the session fails and says why
        log.exception("Spark did not start")
        mark_failed(settings, row_id, f"Spark did not start: {exc}")
        raise SystemExit(1) from None
    repl = Repl(settings, spark, namespace)
    address, secret = _serve_rpc(repl)
    set_address(settings, row_id, address, secret)
    repl._become(row_id, row["origin"], session_plan, warm=False)
    _finish(repl, repl.loop())


def run_spare(directory: Path, parent: int) -> None:
    """``parent`` (the pool's server) is read when the process began: it may be gone before Spark is up."""
    from .spec import spare_spec

    settings = Settings.load()
    _redirect_output(directory / "session.log")
    session_plan = SessionPlan(spare_spec(), {}, 0, None)
    spark, namespace = start_spark(settings, session_plan)
    from ..jobs.launchers import spark_key
    from ..services import open_services

    open_services(settings).store.dispose()  # the store's modules imported before a session needs them
    repl = Repl(settings, spark, namespace, spare_dir=directory)
    address, secret = _serve_rpc(repl)
    (directory / "key").write_text(spark_key(settings, session_plan.spark))
    (directory / "pid").write_text(str(os.getpid()))
    (directory / "address").write_text(json.dumps({"address": address, "secret": secret}))
    (directory / "ready").touch()
    taken_at: float | None = None
    while not repl.adopted.wait(0.5):
        if (directory / "taken").exists():
            taken_at = taken_at or time.monotonic()
            if time.monotonic() - taken_at > ADOPT_WITHIN_SECONDS:
                os._exit(1)
        elif os.getppid() != parent or not (directory / "ready").exists():
            os._exit(0)  # the pool closed, or its server is gone
    _finish(repl, repl.loop())


def main(argv: list[str] | None = None) -> int:
    parent = os.getppid()
    args = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGINT, signal.default_int_handler)
    socket.setdefaulttimeout(None)
    if len(args) == 2 and args[0] == "--session":
        run_session(int(args[1]))
    elif len(args) == 2:
        run_spare(Path(args[0]), parent)
    else:
        print("usage: python -m gluelab.sessions.repl --session ID | DIR SPEC_JSON", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
