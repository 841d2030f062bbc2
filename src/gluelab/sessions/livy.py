"""The Livy REST face of the session service (what sparkmagic 0.23 and pylivy 0.8 use), served by
``gluelab serve`` at its root: ``/version``, ``/sessions[/{id}[/state|/log|/statements[/{sid}[/cancel]]]]``,
``/batches[/{id}[/state|/log]]`` (job runs: see ``batches``).
Exact status codes (201 on creation, 200 otherwise, 404 with a JSON body for anything unknown, 400 for
bad input, never a 5xx after a side effect), Livy's eleven session states, and heartbeats: any request
under ``/sessions/{id}`` keeps that session alive. Requests authenticate with gluelab's token, as the
password of HTTP Basic auth (any user name) or as a bearer token.

Bodies are read only after the headers authenticate, and only up to their route's limit
(``BODY_LIMITS``): a declared ``Content-Length`` over it is answered 413 before the body is read, a
chunked body is cut off at the limit, and either refusal closes the connection."""

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

import tornado.httputil
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
SETTINGS_BODY = 1024 * 1024  # a session's or a batch's settings, a cancel: small JSON
CODE_BODY = 8 * 1024 * 1024  # a statement or a completion: the code of a notebook cell
MAX_ID = 2**31 - 1  # ids are the store's 32-bit integers; a larger one names nothing
CHUNK_SLACK = 1024 * 1024  # lets a chunked body's last chunk reach data_received, which answers 413
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
            400, f"Unsupported session kind {body['kind'][:40]!r}: gluelab sessions run pyspark or sql"
        )
    kept = {k: v for k, v in body.items() if v is not None and k != "kind"}
    if "conf" in kept:
        kept["conf"] = {str(k): conf_value(v) for k, v in kept["conf"].items()}
    return kind, kept


def declared_length(request: tornado.httputil.HTTPServerRequest) -> int | None:
    """The body's declared size: its Content-Length, 0 for none, None for a chunked (unknown) one."""
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return None
    declared = request.headers.get("Content-Length", "0").strip()
    # tornado itself refuses a malformed length, once the handler lets it read the body
    return int(declared) if declared.isascii() and declared.isdigit() else 0


@tornado.web.stream_request_body
class LivyHandler(tornado.web.RequestHandler):
    """Livy's handlers: token auth on the headers, then a body of at most ``BODY_LIMITS[method]`` bytes
    (a method not listed takes none), buffered in ``data_received``."""

    BODY_LIMITS: dict[str, int] = {}

    def initialize(self, livy: LivyApi) -> None:
        self.livy = livy
        self._started = time.perf_counter()
        self._body = bytearray()
        self._limit = 0

    def check_xsrf_cookie(self) -> None:  # API clients, not browser forms
        pass

    def prepare(self) -> None:
        self.set_header("Content-Type", "application/json")
        if not self._authorized(self.request.headers.get("Authorization", "")):
            self.set_header("WWW-Authenticate", 'Basic realm="gluelab"')
            self._reply(401, {"msg": "Authentication required: gluelab's token as the Basic auth password"})
            return
        self._limit = self.BODY_LIMITS.get(self.request.method or "", 0)
        declared = declared_length(self.request)
        if declared is not None and declared > self._limit:
            self._too_large()
            return
        slack = CHUNK_SLACK if declared is None else 0
        self.request.connection.set_max_body_size(self._limit + slack)

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        if len(self._body) + len(chunk) > self._limit:
            self._body = bytearray()
            self._too_large()
        else:
            self._body += chunk

    def _too_large(self) -> None:
        if self._limit:
            message = f"The request body is larger than {self._limit} bytes, the limit of {self.request.path}"
        else:
            message = f"{self.request.method} {self.request.path} takes no request body"
        self._reply(413, {"msg": message})
        log.info("%s %s 413 %.1fms", self.request.method, self.request.path, self._ms())

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
        if not self._body.strip():
            return {}
        try:
            return json.loads(self._body)
        except ValueError:
            raise LivyError(400, "The request body is not JSON") from None
        except RecursionError:
            raise LivyError(400, "The request body is nested too deeply") from None

    def query_int(self, name: str, default: int) -> int:
        """A ``from`` or ``size`` query argument: a whole number from 0; LivyError 400 otherwise."""
        text = self.get_query_argument(name, "") or ""
        digits = text.strip()
        if not digits:
            return default
        if not (digits.isascii() and digits.isdigit()):
            raise LivyError(400, f"Query argument {name} must be a whole number from 0, not {text[:40]!r}")
        digits = digits.lstrip("0") or "0"
        return MAX_ID if len(digits) > 10 else min(int(digits), MAX_ID)

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
            return self.livy.sessions.find(row_id=row_id(session, f"Session '{session[:40]}' not found."))
        except EntityNotFoundException:
            raise LivyError(404, f"Session '{session}' not found.") from None

    def _session(self, view: SessionView, touch: bool) -> dict[str, Any]:
        busy = self.livy.sessions.busy(view, touch=touch)
        tail = self.livy.sessions.log_tail(view, LOG_TAIL)
        return session_json(view, livy_state(view, busy), tail)


def row_id(text: str, missing: str) -> int:
    """A path's id as the store's integer; LivyError 404 with ``missing`` when no row could have it."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > MAX_ID:
        raise LivyError(404, missing)
    return int(text)


def batch_id(text: str) -> int:
    return row_id(text, f"Batch session {text[:40]} not found.")


def statement_id(text: str) -> int:
    return row_id(text, f"Statement {text[:40]} not found.")


class VersionHandler(LivyHandler):
    async def get(self) -> None:
        await self.run(200, lambda: {"version": LIVY_VERSION, "gluelab": __version__})


class SessionsHandler(LivyHandler):
    BODY_LIMITS = {"POST": SETTINGS_BODY}

    async def get(self) -> None:
        def listing() -> dict[str, Any]:
            start, size = self.query_int("from", 0), self.query_int("size", 100)
            views = self.livy.sessions.all()
            page = [self._session(v, touch=False) for v in views[start : start + size]]
            return {"from": start, "total": len(views), "sessions": page}

        await self.run(200, listing)

    async def post(self) -> None:
        def create() -> dict[str, Any]:
            kind, body = check_create_body(self.body())
            new_id = self.livy.sessions.open("livy", None, kind, body, {})
            view = self.livy.sessions.find(row_id=new_id)
            self.set_header("Location", f"/sessions/{new_id}")
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
        def lines() -> dict[str, Any]:
            given_from = self.query_int("from", -1)
            size = self.query_int("size", 100)
            view = self._view(session)
            self.livy.sessions.busy(view)  # a heartbeat
            everything = self.livy.sessions.log_lines(view)
            start = given_from if given_from >= 0 else max(0, len(everything) - size)
            return {
                "id": view.id,
                "from": start,
                "total": len(everything),
                "log": everything[start : start + size],
            }

        await self.run(200, lines)


class StatementsHandler(LivyHandler):
    BODY_LIMITS = {"POST": CODE_BODY}

    async def get(self, session: str) -> None:
        def listing() -> dict[str, Any]:
            start, size = self.query_int("from", 0), self.query_int("size", 100)
            descending = self.get_query_argument("order", "") == "desc"
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
            requested = body.get("kind")
            if requested is not None and not isinstance(requested, str):
                raise LivyError(400, "Field kind must be a string: pyspark, python or sql")
            view = self._view(session)
            kind = KINDS.get(requested or view.kind)
            if kind is None:
                raise LivyError(400, f"Unsupported statement kind {requested[:40]!r}: pyspark or sql")
            return self.livy.sessions.call(view, "run", code=body["code"], kind=kind)

        await self.run(201, submit)


class StatementHandler(LivyHandler):
    async def get(self, session: str, statement: str) -> None:
        def get() -> dict[str, Any]:
            view = self._view(session)
            return self.livy.sessions.call(view, "get", id=statement_id(statement))

        await self.run(200, get)


class CancelHandler(LivyHandler):
    BODY_LIMITS = {"POST": SETTINGS_BODY}

    async def post(self, session: str, statement: str) -> None:
        def cancel() -> dict[str, Any]:
            view = self._view(session)
            self.livy.sessions.call(view, "cancel", id=statement_id(statement))
            return {"msg": "canceled"}

        await self.run(200, cancel)


class CompletionHandler(LivyHandler):
    BODY_LIMITS = {"POST": CODE_BODY}

    async def post(self, session: str) -> None:
        await self.run(200, lambda: {"candidates": [], "session": self._view(session).id})


class BatchesHandler(LivyHandler):
    BODY_LIMITS = {"POST": SETTINGS_BODY}

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
        await self.run(200, lambda: self.livy.batches.get(batch_id(batch)))

    async def delete(self, batch: str) -> None:
        await self.run(200, lambda: self.livy.batches.delete(batch_id(batch)))


class BatchStateHandler(LivyHandler):
    async def get(self, batch: str) -> None:
        def state() -> dict[str, Any]:
            found = self.livy.batches.get(batch_id(batch))
            return {"id": found["id"], "state": found["state"]}

        await self.run(200, state)


class BatchLogHandler(LivyHandler):
    async def get(self, batch: str) -> None:
        def lines() -> dict[str, Any]:
            start, size = self.query_int("from", 0), self.query_int("size", 100)
            return self.livy.batches.log(batch_id(batch), start, size)

        await self.run(200, lines)


class NotFoundHandler(LivyHandler):
    """Any path no route takes: 404 before a body is read."""

    def prepare(self) -> None:
        self.set_header("Content-Type", "application/json")
        self._reply(404, {"msg": f"No such resource: {self.request.path[:200]}"})


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
