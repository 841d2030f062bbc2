"""SessionService: interactive Spark sessions, one process each (``gluelab.sessions.repl``), and Glue's
interactive-sessions operations over them. The Livy face (``gluelab.sessions.livy``) uses the same
methods. A session is a row in the store (the truth about its status) and a process that answers over
``rpc`` while it lives; a warm spare from the pool makes a new session ready at once."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..catalog.common import utcnow
from ..config import Settings
from ..errors import (
    AlreadyExistsException,
    EntityNotFoundException,
    IllegalSessionStateException,
    InvalidInputException,
)
from ..jobs import processes
from ..jobs.launchers import spark_key
from ..jobs.pool import WarmPool, claim_spare
from ..operations import glue_operation, gluelab_operation
from ..pagination import decode_token, encode_token
from ..runtime.spark import SparkSetupError
from ..store import Store
from ..store.models import SessionRow
from . import rpc
from .records import FINAL
from .spec import plan

log = logging.getLogger("gluelab.sessions")
LIVE = ("PROVISIONING", "READY", "STOPPING")
SESSION_ID = re.compile(r"[-/._#A-Za-z0-9]{1,255}")
TICK_SECONDS = 1.0
LIVY_COMMAND = {"Name": "glueetl", "PythonVersion": "3"}


@dataclass(frozen=True)
class SessionView:
    """A snapshot of a session's row."""

    id: int
    session_id: str
    origin: str
    kind: str
    status: str
    error_message: str | None
    request: dict[str, Any]
    tags: dict[str, Any]
    created_on: Any
    ready_on: Any
    completed_on: Any
    address: str | None
    secret: str
    app_id: str | None
    warm: bool
    log_dir: str | None

    @property
    def log_path(self) -> Path | None:
        return Path(self.log_dir) / "session.log" if self.log_dir else None


def _view(row: SessionRow) -> SessionView:
    return SessionView(
        row.id,
        row.session_id,
        row.origin,
        row.kind,
        row.status,
        row.error_message,
        dict(row.request),
        dict(row.tags),
        row.created_on,
        row.ready_on,
        row.completed_on,
        row.address,
        row.secret,
        row.app_id,
        row.warm,
        row.log_dir,
    )


class SessionService:
    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings
        self.spare_root = settings.logs_dir / "session-spares"
        self.pool: WarmPool | None = None
        self.children: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- opening and finding sessions ---------------------------------------------------------
    def open(
        self, origin: str, session_id: str | None, kind: str, request: dict[str, Any], tags: dict
    ) -> int:
        """Record a PROVISIONING session and start (or adopt) its process; returns its row id."""
        try:
            session_plan = plan(origin, request, session_id or "livy-session")
        except (SparkSetupError, ValueError) as exc:
            raise InvalidInputException(str(exc)) from None
        with self.store.write() as db:
            if session_id is not None and db.scalar(
                select(SessionRow.id).where(SessionRow.session_id == session_id)
            ):
                raise AlreadyExistsException(f"Session already exists: {session_id}")
            row = SessionRow(
                session_id=session_id or f"pending-{secrets.token_hex(8)}",
                origin=origin,
                kind=kind,
                status="PROVISIONING",
                request=request,
                tags=tags,
                created_on=utcnow(),
                secret="",
                warm=False,
            )
            db.add(row)
            db.flush()
            if session_id is None:
                row.session_id = f"livy-{row.id}"
            row.log_dir = str(self.settings.logs_dir / "sessions" / str(row.id))
            row_id, name = row.id, row.session_id
        Path(self.settings.logs_dir / "sessions" / str(row_id)).mkdir(parents=True, exist_ok=True)
        if not self._adopt_spare(row_id, spark_key(self.settings, session_plan.spark)):
            self._start_cold(row_id)
        log.info("session %s (%d) provisioning", name, row_id)
        return row_id

    def _adopt_spare(self, row_id: int, key: str) -> bool:
        folder = claim_spare(self.spare_root, key)
        if folder is None:
            return False
        try:
            where = json.loads((folder / "address").read_text())
            pid = int((folder / "pid").read_text())
        except (OSError, ValueError):
            return False
        with self.store.write() as db:
            row = db.get(SessionRow, row_id)
            row.address, row.secret, row.pid = where["address"], where["secret"], pid
            row.pid_started, row.host = processes.start_time(pid), socket.gethostname()
        try:
            rpc.call(where["address"], where["secret"], "adopt", row_id=row_id)
        except (rpc.SessionUnreachable, rpc.RemoteError) as exc:
            log.warning("spare %s could not take session %d: %s", folder, row_id, exc)
            return False
        return True

    def _start_cold(self, row_id: int) -> None:
        log_dir = self.settings.logs_dir / "sessions" / str(row_id)
        with open(log_dir / "session.log", "ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "gluelab.sessions.repl", "--session", str(row_id)],
                env={**os.environ, **self.settings.child_env()},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a session outlives the server that started it
            )
        self.children.append(process)
        with self.store.write() as db:
            row = db.get(SessionRow, row_id)
            if row.pid is None:
                row.pid, row.pid_started = process.pid, processes.start_time(process.pid)
                row.host = socket.gethostname()

    def find(self, session_id: str | None = None, row_id: int | None = None) -> SessionView:
        """The session (its status checked against its process); EntityNotFoundException if none."""
        with self.store.write() as db:
            if row_id is not None:
                row = db.get(SessionRow, row_id)
            else:
                row = db.scalar(select(SessionRow).where(SessionRow.session_id == session_id))
            if row is None:
                raise EntityNotFoundException(
                    f"Session not found: {session_id if row_id is None else row_id}"
                )
            self._check_process(row)
            return _view(row)

    def _check_process(self, row: SessionRow) -> None:
        here = row.pid and row.host == socket.gethostname()
        if row.status in LIVE and here and not processes.alive(row.pid, row.pid_started):
            row.status = "FAILED"
            row.completed_on = utcnow()
            row.error_message = (
                f"The session's process (pid {row.pid}) ended unexpectedly; see {row.log_dir}/session.log"
            )

    def all(self) -> list[SessionView]:
        with self.store.write() as db:
            rows = list(db.scalars(select(SessionRow).order_by(SessionRow.id)))
            for row in rows:
                self._check_process(row)
            return [_view(r) for r in rows]

    # -- talking to a session's process --------------------------------------------------------
    def call(self, view: SessionView, op: str, **args: Any) -> Any:
        if view.status != "READY" or not view.address:
            raise IllegalSessionStateException(
                f"Session {view.session_id} is {view.status}"
                + (f": {view.error_message}" if view.error_message else "")
                + ("; wait until it is READY" if view.status == "PROVISIONING" else "")
            )
        try:
            return rpc.call(view.address, view.secret, op, **args)
        except rpc.SessionUnreachable:
            again = self.find(row_id=view.id)
            why = again.error_message or "its process does not answer"
            raise IllegalSessionStateException(
                f"Session {view.session_id} is {again.status}: {why}"
            ) from None
        except rpc.RemoteError as exc:
            if exc.kind == "LookupError":
                raise EntityNotFoundException(exc.message) from None
            if exc.kind == "ValueError":
                raise IllegalSessionStateException(exc.message) from None
            raise

    def busy(self, view: SessionView, touch: bool = True) -> bool:
        """Whether a statement runs or waits (asking also counts as a heartbeat unless ``touch`` is off)."""
        if view.status != "READY":
            return False
        try:
            return bool(self.call(view, "status", touch=touch)["busy"])
        except IllegalSessionStateException:
            return False

    def stop(self, view: SessionView) -> None:
        """Ask the session to end (STOPPING, then STOPPED once Spark has stopped)."""
        if view.status in FINAL:
            return
        if view.status == "READY" and view.address:
            try:
                rpc.call(view.address, view.secret, "stop")
                with self.store.write() as db:
                    row = db.get(SessionRow, view.id)
                    if row is not None and row.status == "READY":
                        row.status = "STOPPING"
                return
            except (rpc.SessionUnreachable, rpc.RemoteError):
                pass
        with self.store.write() as db:  # still starting, or not answering: end its process
            row = db.get(SessionRow, view.id)
            if row is None or row.status in FINAL:
                return
            if row.pid and row.host == socket.gethostname():
                processes.signal_group(row.pid, signal.SIGKILL)
            row.status, row.completed_on = "STOPPED", utcnow()

    def delete(self, view: SessionView) -> None:
        self.stop(view)
        with self.store.write() as db:
            row = db.get(SessionRow, view.id)
            if row is not None:
                db.delete(row)

    def log_tail(self, view: SessionView, lines: int) -> list[str]:
        """The last ``lines`` lines of the session's log, reading only the file's end (Livy clients ask for
        it on every poll)."""
        path = view.log_path
        if path is None or not path.exists():
            return []
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - 64 * 1024))
            return f.read().decode(errors="replace").splitlines()[-lines:]

    def log_lines(self, view: SessionView) -> list[str]:
        path = view.log_path
        if path is None or not path.exists():
            return []
        return path.read_text(errors="replace").splitlines()

    # -- Glue's interactive-sessions API --------------------------------------------------------
    @glue_operation("CreateSession")
    def create_session(self, request: dict[str, Any]) -> dict[str, Any]:
        session_id = request["Id"]
        if not SESSION_ID.fullmatch(session_id):
            raise InvalidInputException(
                f"Session Id {session_id!r} may only hold letters, digits and - / . _ # (1 to 255 characters)"
            )
        command = request["Command"]
        if command.get("Name") not in ("glueetl", "gluestreaming"):
            raise InvalidInputException(
                f"Command.Name must be glueetl or gluestreaming, not {command.get('Name')!r}"
            )
        fields = {k: v for k, v in request.items() if k not in ("Id", "Tags", "RequestOrigin")}
        row_id = self.open("glue", session_id, "pyspark", fields, dict(request.get("Tags") or {}))
        return {"Session": session_shape(self.find(row_id=row_id))}

    @glue_operation("GetSession")
    def get_session(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"Session": session_shape(self.find(request["Id"]))}

    @glue_operation("ListSessions")
    def list_sessions(self, request: dict[str, Any]) -> dict[str, Any]:
        limit = request.get("MaxResults") or 100
        after = decode_token(request.get("NextToken"), "sessions", int)
        wanted = request.get("Tags") or {}
        views = [
            v
            for v in self.all()
            if (after is None or v.id > after) and all(v.tags.get(k) == t for k, t in wanted.items())
        ]
        page = views[:limit]
        token = {"NextToken": encode_token("sessions", page[-1].id)} if len(views) > limit else {}
        return {"Ids": [v.session_id for v in page], "Sessions": [session_shape(v) for v in page], **token}

    @glue_operation("StopSession")
    def stop_session(self, request: dict[str, Any]) -> dict[str, Any]:
        view = self.find(request["Id"])
        if view.status in FINAL:
            raise IllegalSessionStateException(f"Session {view.session_id} is already {view.status}")
        self.stop(view)
        return {"Id": view.session_id}

    @glue_operation("DeleteSession")
    def delete_session(self, request: dict[str, Any]) -> dict[str, Any]:
        view = self.find(request["Id"])
        self.delete(view)
        return {"Id": view.session_id}

    @glue_operation("RunStatement")
    def run_statement(self, request: dict[str, Any]) -> dict[str, Any]:
        view = self.find(request["SessionId"])
        statement = self.call(view, "run", code=request["Code"], kind="pyspark")
        return {"Id": statement["id"]}

    @glue_operation("GetStatement")
    def get_statement(self, request: dict[str, Any]) -> dict[str, Any]:
        view = self.find(request["SessionId"])
        return {"Statement": statement_shape(self.call(view, "get", id=request["Id"]))}

    @glue_operation("ListStatements")
    def list_statements(self, request: dict[str, Any]) -> dict[str, Any]:
        view = self.find(request["SessionId"])
        if view.status != "READY":
            return {"Statements": []}
        return {"Statements": [statement_shape(s) for s in self.call(view, "list")]}

    @glue_operation("CancelStatement")
    def cancel_statement(self, request: dict[str, Any]) -> dict[str, Any]:
        view = self.find(request["SessionId"])
        self.call(view, "cancel", id=request["Id"])
        return {}

    # -- the pool of warm spares (kept by the server) --------------------------------------------
    def supervise(self, pool_size: int | None = None) -> None:
        size = self.settings.session_pool_size if pool_size is None else pool_size
        if size > 0:
            self.pool = WarmPool(
                self.settings, size, module="gluelab.sessions.repl", root=self.spare_root, spec={}
            )
        self._thread = threading.Thread(target=self._tick_forever, name="gluelab-sessions", daemon=True)
        self._thread.start()

    def _tick_forever(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                if self.pool is not None:
                    self.children += self.pool.maintain()
                self.children = [c for c in self.children if c.poll() is None]
            except Exception:  # noqa: BLE001 - the next tick tries again
                log.exception("session supervisor tick failed")

    @gluelab_operation("GetEndpointStatus")
    def get_endpoint_status(self, request: dict[str, Any]) -> dict[str, Any]:
        """gluelab's own action: the development endpoint: whether ``gluelab serve`` runs for this home
        and where it answers (Glue API and Livy REST), its sessions by status, its warm spares."""
        from ..api.running import running_server

        running = running_server(self.settings)
        views = self.all()
        by_status: dict[str, int] = {}
        for view in views:
            by_status[view.status] = by_status.get(view.status, 0) + 1
        return {
            "ServerRunning": running is not None,
            "Url": running["url"] if running else self.settings.endpoint_url(),
            "SessionsByStatus": by_status,
            "SessionsRunning": sum(1 for v in views if v.status in ("PROVISIONING", "READY", "STOPPING")),
            "SessionsTotal": len(views),
            "WarmSparesReady": self.ready_spares(),
            "SessionPoolSize": self.settings.session_pool_size,
        }

    def ready_spares(self) -> int:
        root = self.spare_root
        return sum(1 for f in root.iterdir() if (f / "ready").exists()) if root.is_dir() else 0

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.pool is not None:
            self.pool.close()
            self.pool = None


def _seconds(start: Any, end: Any) -> float:
    if start is None:
        return 0.0
    return max(0.0, ((end or utcnow()) - start).total_seconds())


def session_shape(view: SessionView) -> dict[str, Any]:
    """Glue's Session."""
    request = view.request
    shape: dict[str, Any] = {
        "Id": view.session_id,
        "CreatedOn": view.created_on,
        "Status": view.status,
        "Command": request.get("Command") or LIVY_COMMAND,
        "Role": request.get("Role") or "livy",
        "DefaultArguments": request.get("DefaultArguments") or {},
        "GlueVersion": request.get("GlueVersion") or "5.0",
        "Progress": 100.0 if view.status != "PROVISIONING" else 0.0,
        "IdleTimeout": request.get("IdleTimeout") or (2880 if view.origin == "glue" else 60),
    }
    for key in (
        "Description",
        "Connections",
        "MaxCapacity",
        "NumberOfWorkers",
        "WorkerType",
        "SecurityConfiguration",
        "SessionType",
    ):
        if request.get(key) is not None:
            shape[key] = request[key]
    if view.error_message:
        shape["ErrorMessage"] = view.error_message
    if view.completed_on is not None:
        shape["CompletedOn"] = view.completed_on
    execution = _seconds(view.ready_on, view.completed_on)
    shape["ExecutionTime"] = round(execution, 3)
    shape["DPUSeconds"] = round(execution * (request.get("NumberOfWorkers") or 5), 3)
    return shape


GLUE_STATES = {
    "waiting": "WAITING",
    "running": "RUNNING",
    "available": "AVAILABLE",
    "cancelling": "CANCELLING",
    "cancelled": "CANCELLED",
}


def statement_shape(statement: dict[str, Any]) -> dict[str, Any]:
    """Glue's Statement, from the session process's (Livy-shaped) statement."""
    shape: dict[str, Any] = {
        "Id": statement["id"],
        "Code": statement["code"],
        "State": GLUE_STATES[statement["state"]],
        "Progress": statement["progress"],
        "StartedOn": statement["started"],
        "CompletedOn": statement["completed"],
    }
    output = statement.get("output")
    if output is not None:
        glue_output: dict[str, Any] = {
            "ExecutionCount": output["execution_count"],
            "Status": output["status"],
        }
        if output["status"] == "ok":
            data = output.get("data") or {}
            text = data.get("text/plain")
            if text is None:
                rich = next(iter(data.values()), "")
                text = rich if isinstance(rich, str) else json.dumps(rich)
            glue_output["Data"] = {"TextPlain": text}
        else:
            glue_output.update(
                ErrorName=output["ename"], ErrorValue=output["evalue"], Traceback=output["traceback"]
            )
        shape["Output"] = glue_output
    return shape
