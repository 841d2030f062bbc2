"""The Livy REST face of the session service (what sparkmagic 0.23 and pylivy 0.8 use), served by
``gluelab serve`` at its root: ``/version``, ``/sessions[/{id}[/state|/log|/statements[/{sid}[/cancel]]]]``,
``/batches[/{id}[/state|/log]]`` (job runs: see ``batches``).
Exact status codes (201 on creation, 200 otherwise, 404 with a JSON body for anything unknown, 400 for
bad input, never a 5xx after a side effect), Livy's eleven session states, and heartbeats: any request
under ``/sessions/{id}`` keeps that session alive. Requests authenticate with gluelab's token, as the
password of HTTP Basic auth (any user name) or as a bearer token."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import tornado.web

from .. import __version__
from ..errors import EntityNotFoundException, GlueError, IllegalSessionStateException
from .batches import LivyBatches
from .service import SessionService, SessionView
from .spec import LIVY_SPARK_FIELDS, LivyBodyError, check_livy_fields, conf_value

log = logging.getLogger("gluelab.livy")
LIVY_VERSION = "0.8.0-incubating"
LOG_TAIL = 10
CREATE_FIELDS = {
    "kind": str,
    **LIVY_SPARK_FIELDS,
    "heartbeatTimeoutInSecond": int,
    "ttl": str,
    "idleTimeout": str,
}
KINDS = {"pyspark": "pyspark", "python": "pyspark", "sql": "sql"}
STATES = {"PROVISIONING": "starting", "STOPPING": "shutting_down", "STOPPED": "killed", "TIMEOUT": "dead"}


class LivyError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class LivyApi:
    sessions: SessionService
    batches: LivyBatches
    token: str
    executor: ThreadPoolExecutor


def livy_state(view: SessionView, busy: bool) -> str:
    if view.status == "READY":
        return "busy" if busy else "idle"
    if view.status == "FAILED":
        return "dead" if view.ready_on else "error"
    return STATES[view.status]


def session_json(view: SessionView, state: str, log_tail: list[str]) -> dict[str, Any]:
    body = view.request if view.origin == "livy" else {}
    return {
        "id": view.id,
        "name": body.get("name") or view.session_id,
        "appId": view.app_id,
        "owner": None,
        "proxyUser": body.get("proxyUser"),
        "state": state,
        "kind": view.kind,
        "appInfo": {"driverLogUrl": str(view.log_path) if view.log_path else None, "sparkUiUrl": None},
        "log": log_tail,
        "ttl": body.get("ttl"),
        "driverMemory": body.get("driverMemory"),
        "driverCores": body.get("driverCores", 0),
        "executorMemory": body.get("executorMemory"),
        "executorCores": body.get("executorCores", 0),
        "conf": body.get("conf") or {},
        "archives": body.get("archives") or [],
        "files": body.get("files") or [],
        "heartbeatTimeoutInSecond": body.get("heartbeatTimeoutInSecond", 0),
        "jars": body.get("jars") or [],
        "numExecutors": body.get("numExecutors", 0),
        "pyFiles": body.get("pyFiles") or [],
        "queue": body.get("queue"),
    }


def check_create_body(body: Any) -> tuple[str, dict[str, Any]]:
    """The session kind and the body to keep; LivyError 400 naming what is wrong."""
    check_livy_fields(body, CREATE_FIELDS)
    kind = KINDS.get(body.get("kind") or "pyspark")
    if kind is None:
        raise LivyError(
            400, f"Unsupported session kind {body['kind']!r}: gluelab sessions run pyspark or sql"
        )
    kept = {k: v for k, v in body.items() if v is not None and k != "kind"}
    if "conf" in kept:
        kept["conf"] = {str(k): conf_value(v) for k, v in kept["conf"].items()}
    return kind, kept


class LivyHandler(tornado.web.RequestHandler):
    def initialize(self, livy: LivyApi) -> None:
        self.livy = livy
        self._started = time.perf_counter()

    def check_xsrf_cookie(self) -> None:  # API clients, not browser forms
        pass

    def prepare(self) -> None:
        self.set_header("Content-Type", "application/json")
        if not self._authorized(self.request.headers.get("Authorization", "")):
            self.set_header("WWW-Authenticate", 'Basic realm="gluelab"')
            self._reply(401, {"msg": "Authentication required: gluelab's token as the Basic auth password"})

    def _authorized(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        given = ""
        if scheme.lower() == "basic":
            try:
                given = base64.b64decode(value.strip()).decode().partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                return False
        elif scheme.lower() == "bearer":
            given = value.strip()
        return bool(given) and hmac.compare_digest(given.encode(), self.livy.token.encode())

    def _reply(self, status: int, payload: Any) -> None:
        self.set_status(status)
        self.finish(json.dumps(payload, default=str))

    def body(self) -> Any:
        if not self.request.body.strip():
            return {}
        try:
            return json.loads(self.request.body)
        except ValueError:
            raise LivyError(400, "The request body is not JSON") from None

    async def run(self, status: int, func: Any, *args: Any) -> None:
        """Run a blocking service call off the event loop and answer with its result."""
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self.livy.executor, func, *args)
        except LivyError as error:
            self._reply(error.status, {"msg": error.message})
        except LivyBodyError as error:
            self._reply(400, {"msg": str(error)})
        except EntityNotFoundException as error:
            self._reply(404, {"msg": error.message})
        except IllegalSessionStateException as error:
            self._reply(400, {"msg": error.message})
        except GlueError as error:
            self._reply(400 if error.status < 500 else 500, {"msg": error.message})
        else:
            self._reply(status, result)
        log.info("%s %s %d %.1fms", self.request.method, self.request.path, self.get_status(), self._ms())

    def _ms(self) -> float:
        return (time.perf_counter() - self._started) * 1000

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"msg": self._reason}))

    # -- the operations, each blocking (run in the executor) ---------------------------------
    def _view(self, session: str) -> SessionView:
        try:
            return self.livy.sessions.find(row_id=int(session))
        except EntityNotFoundException:
            raise LivyError(404, f"Session '{session}' not found.") from None

    def _session(self, view: SessionView, touch: bool) -> dict[str, Any]:
        busy = self.livy.sessions.busy(view, touch=touch)
        tail = self.livy.sessions.log_tail(view, LOG_TAIL)
        return session_json(view, livy_state(view, busy), tail)


class VersionHandler(LivyHandler):
    def get(self) -> None:
        self._reply(200, {"version": LIVY_VERSION, "gluelab": __version__})


class SessionsHandler(LivyHandler):
    async def get(self) -> None:
        start = int(self.get_query_argument("from", "0") or 0)
        size = int(self.get_query_argument("size", "100") or 100)

        def listing() -> dict[str, Any]:
            views = self.livy.sessions.all()
            page = [self._session(v, touch=False) for v in views[start : start + size]]
            return {"from": start, "total": len(views), "sessions": page}

        await self.run(200, listing)

    async def post(self) -> None:
        def create() -> dict[str, Any]:
            kind, body = check_create_body(self.body())
            row_id = self.livy.sessions.open("livy", None, kind, body, {})
            view = self.livy.sessions.find(row_id=row_id)
            self.set_header("Location", f"/sessions/{row_id}")
            return self._session(view, touch=True)

        await self.run(201, create)


class SessionHandler(LivyHandler):
    async def get(self, session: str) -> None:
        await self.run(200, lambda: self._session(self._view(session), touch=True))

    async def delete(self, session: str) -> None:
        def delete() -> dict[str, Any]:
            self.livy.sessions.delete(self._view(session))
            return {"msg": "deleted"}

        await self.run(200, delete)


class SessionStateHandler(LivyHandler):
    async def get(self, session: str) -> None:
        def state() -> dict[str, Any]:
            view = self._view(session)
            return {"id": view.id, "state": livy_state(view, self.livy.sessions.busy(view))}

        await self.run(200, state)


class SessionLogHandler(LivyHandler):
    async def get(self, session: str) -> None:
        given_from = self.get_query_argument("from", None)
        size = int(self.get_query_argument("size", "100") or 100)

        def lines() -> dict[str, Any]:
            view = self._view(session)
            self.livy.sessions.busy(view)  # a heartbeat
            everything = self.livy.sessions.log_lines(view)
            start = int(given_from) if given_from else max(0, len(everything) - size)
            return {
                "id": view.id,
                "from": start,
                "total": len(everything),
                "log": everything[start : start + size],
            }

        await self.run(200, lines)


class StatementsHandler(LivyHandler):
    async def get(self, session: str) -> None:
        start = int(self.get_query_argument("from", "0") or 0)
        size = int(self.get_query_argument("size", "100") or 100)
        descending = self.get_query_argument("order", "") == "desc"

        def listing() -> dict[str, Any]:
            statements = self.livy.sessions.call(self._view(session), "list")
            if descending:
                statements.reverse()
            return {"total_statements": len(statements), "statements": statements[start : start + size]}

        await self.run(200, listing)

    async def post(self, session: str) -> None:
        def submit() -> dict[str, Any]:
            body = self.body()
            if not isinstance(body, dict) or not isinstance(body.get("code"), str):
                raise LivyError(400, 'The body must be {"code": "..."} with an optional "kind"')
            view = self._view(session)
            kind = KINDS.get(body.get("kind") or view.kind)
            if kind is None:
                raise LivyError(400, f"Unsupported statement kind {body.get('kind')!r}: pyspark or sql")
            return self.livy.sessions.call(view, "run", code=body["code"], kind=kind)

        await self.run(201, submit)


class StatementHandler(LivyHandler):
    async def get(self, session: str, statement: str) -> None:
        await self.run(200, lambda: self.livy.sessions.call(self._view(session), "get", id=int(statement)))


class CancelHandler(LivyHandler):
    async def post(self, session: str, statement: str) -> None:
        def cancel() -> dict[str, Any]:
            self.livy.sessions.call(self._view(session), "cancel", id=int(statement))
            return {"msg": "canceled"}

        await self.run(200, cancel)


class CompletionHandler(LivyHandler):
    async def post(self, session: str) -> None:
        await self.run(200, lambda: {"candidates": [], "session": self._view(session).id})


class BatchesHandler(LivyHandler):
    async def get(self) -> None:
        await self.run(200, self.livy.batches.all)

    async def post(self) -> None:
        def create() -> dict[str, Any]:
            batch = self.livy.batches.create(self.body())
            self.set_header("Location", f"/batches/{batch['id']}")
            return batch

        await self.run(201, create)


class BatchHandler(LivyHandler):
    async def get(self, batch: str) -> None:
        await self.run(200, self.livy.batches.get, int(batch))

    async def delete(self, batch: str) -> None:
        await self.run(200, self.livy.batches.delete, int(batch))


class BatchStateHandler(LivyHandler):
    async def get(self, batch: str) -> None:
        def state() -> dict[str, Any]:
            found = self.livy.batches.get(int(batch))
            return {"id": found["id"], "state": found["state"]}

        await self.run(200, state)


class BatchLogHandler(LivyHandler):
    async def get(self, batch: str) -> None:
        start = int(self.get_query_argument("from", "0") or 0)
        size = int(self.get_query_argument("size", "100") or 100)
        await self.run(200, self.livy.batches.log, int(batch), start, size)


class NotFoundHandler(LivyHandler):
    def prepare(self) -> None:
        self.set_header("Content-Type", "application/json")
        self._reply(404, {"msg": f"No such resource: {self.request.path}"})


def routes(livy: LivyApi) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"livy": livy}
    return [
        (r"/version", VersionHandler, args),
        (r"/sessions/?", SessionsHandler, args),
        (r"/sessions/(\d+)", SessionHandler, args),
        (r"/sessions/(\d+)/state", SessionStateHandler, args),
        (r"/sessions/(\d+)/log", SessionLogHandler, args),
        (r"/sessions/(\d+)/statements", StatementsHandler, args),
        (r"/sessions/(\d+)/statements/(\d+)", StatementHandler, args),
        (r"/sessions/(\d+)/statements/(\d+)/cancel", CancelHandler, args),
        (r"/sessions/(\d+)/completion", CompletionHandler, args),
        (r"/batches/?", BatchesHandler, args),
        (r"/batches/(\d+)", BatchHandler, args),
        (r"/batches/(\d+)/state", BatchStateHandler, args),
        (r"/batches/(\d+)/log", BatchLogHandler, args),
    ]
