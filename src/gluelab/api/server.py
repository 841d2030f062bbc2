"""The HTTP face of the Glue API (tornado): the handler, the application, and ``gluelab serve``."""

from __future__ import annotations

import asyncio
import errno
import gc
import getpass
import json
import logging
import signal
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

from .. import __version__
from ..config import Settings, is_loopback
from ..errors import GlueError, InvalidSignatureException, RequestEntityTooLargeException
from ..orchestration.scheduler import Scheduler
from ..services import Services, open_services
from ..sessions import livy
from ..sessions.batches import LivyBatches
from . import protocol, s3, sts
from .auth import SigV4Verifier
from .dispatch import Dispatcher
from .running import (
    SERVER_FILE,
    announcement,
    describe_holder,
    port_holder,
    running_server,
    server_file,
    stop_hint,
    withdraw,
    write_announcement,
)

log = logging.getLogger("gluelab.api")
access_log = logging.getLogger("gluelab.access")

HEADER_CHECKED_BYTES = 64 * 1024  # a larger (or chunked) body is read only once the headers authenticate


class ServeError(RuntimeError):
    """The server cannot start; the message says why and what to do."""


@dataclass
class GlueApi:
    """What the handler needs: how to authenticate and where to dispatch."""

    dispatcher: Dispatcher
    verifier: SigV4Verifier | None
    max_request_bytes: int
    executor: ThreadPoolExecutor
    identity: dict[str, str]  # who STS GetCallerIdentity says the caller is


@tornado.web.stream_request_body
class GlueApiHandler(tornado.web.RequestHandler):
    """``POST /``: one Glue action per request, its body at most ``max_request_bytes``. What the headers
    decide is decided before the body is read: a declared body over the limit (413), and, for a body
    over ``HEADER_CHECKED_BYTES`` or an unsigned request, a signature that is missing or names another
    key. Such a refusal closes the connection; a chunked body is cut off at the limit. Subclasses may
    replace ``authenticate``."""

    def initialize(self, api: GlueApi) -> None:
        self.api = api
        self._chunks: list[bytes] = []
        self._size = 0
        self._limit = 0
        self._started = time.perf_counter()
        self._request_id = str(uuid.uuid4())

    def prepare(self) -> None:
        self._limit = self.api.max_request_bytes if self.request.method == "POST" else 0
        declared = livy.declared_length(self.request)
        try:
            big = declared is None or declared > HEADER_CHECKED_BYTES
            if self.request.method == "POST" and (big or "Authorization" not in self.request.headers):
                self._authenticate_headers()
            if declared is not None and declared > self._limit:
                raise self._too_large()
        except GlueError as error:
            self._refuse(error)
            return
        slack = livy.CHUNK_SLACK if declared is None else 0
        self.request.connection.set_max_body_size(self._limit + slack)

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self._size += len(chunk)
        if self._size > self._limit:
            self._chunks.clear()
            self._refuse(self._too_large())
        else:
            self._chunks.append(chunk)

    def _too_large(self) -> RequestEntityTooLargeException:
        if self.request.method != "POST":
            return RequestEntityTooLargeException(f"{self.request.method} / takes no request body.")
        return RequestEntityTooLargeException(f"The request body is larger than {self._limit} bytes.")

    def _is_sts(self) -> bool:
        return sts.is_query_request(
            self.request.headers.get("Content-Type"), self.request.headers.get("X-Amz-Target")
        )

    def _authenticate_headers(self) -> None:
        """Raise the authentication error the headers alone decide (any but InvalidSignatureException,
        which may need the body)."""
        try:
            self.authenticate(b"", "sts" if self._is_sts() else "glue")
        except InvalidSignatureException:
            pass

    def _refuse(self, error: GlueError) -> None:
        """Answer before the body is (wholly) read; tornado then closes the connection."""
        self.set_header("x-amzn-ErrorType", error.code)
        if self._is_sts():
            self._respond_xml(error.status, sts.error_body(error.code, error.message, self._request_id))
        else:
            self._respond(error.status, protocol.encode(protocol.error_payload(error)))
        access_log.info(
            "%s - %d %.1fms %s before the body",
            self.request.remote_ip,
            error.status,
            (time.perf_counter() - self._started) * 1000,
            self._request_id,
        )

    def check_xsrf_cookie(self) -> None:  # signed API calls, not browser forms
        pass

    def get(self) -> None:
        """``GET /``: who answers here (Livy clients probe the root too)."""
        self.set_header("Content-Type", "application/json")
        self.finish({"service": "gluelab", "version": __version__, "glue": "POST /", "livy": "/sessions"})

    def authenticate(self, body: bytes, service: str = "glue") -> None:
        """``service``: what the request is for (``glue`` or ``sts``); its signature must be scoped to it."""
        if self.api.verifier is not None:
            self.api.verifier.verify(
                self.request.method or "POST",
                self.request.uri or "/",
                list(self.request.headers.get_all()),
                body,
                service=service,
            )

    async def post(self) -> None:
        action = "-"
        target = self.request.headers.get("X-Amz-Target")
        query = sts.is_query_request(self.request.headers.get("Content-Type"), target)
        try:
            body = b"".join(self._chunks)
            self.authenticate(body, "sts" if query else "glue")
            if query:
                action = "sts"
                self._answer_sts(body)
            else:
                action = protocol.parse_target(target)
                self._respond(200, protocol.encode(await call_action(self.api, action, body)))
        except GlueError as error:
            self.set_header("x-amzn-ErrorType", error.code)
            if query:
                self._respond_xml(error.status, sts.error_body(error.code, error.message, self._request_id))
            else:
                self._respond(error.status, protocol.encode(protocol.error_payload(error)))
        access_log.info(
            "%s %s %d %.1fms %s",
            self.request.remote_ip,
            action,
            self.get_status(),
            (time.perf_counter() - self._started) * 1000,
            self._request_id,
        )

    def _answer_sts(self, body: bytes) -> None:
        self._respond_xml(*sts.answer(body, self.api.identity, self._request_id))

    def _respond_xml(self, status: int, payload: bytes) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/xml")
        self.set_header("x-amzn-RequestId", self._request_id)
        self.finish(payload)

    def _respond(self, status: int, payload: bytes) -> None:
        self.set_status(status)
        self.set_header("Content-Type", protocol.CONTENT_TYPE)
        self.set_header("x-amzn-RequestId", self._request_id)
        self.finish(payload)

    def log_exception(self, typ, value, tb) -> None:  # type: ignore[no-untyped-def]
        log.error("unhandled error", exc_info=(typ, value, tb))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Last resort for anything ``post`` did not turn into a Glue error: still a Glue-shaped body."""
        code = "InternalServiceException" if status_code >= 500 else "InvalidInputException"
        self.set_header("Content-Type", protocol.CONTENT_TYPE)
        self.finish(protocol.encode({"__type": code, "message": self._reason, "Message": self._reason}))


@tornado.web.stream_request_body
class PingHandler(tornado.web.RequestHandler):
    """Unauthenticated liveness probe; says nothing about the catalog, and takes no body."""

    def prepare(self) -> None:
        if livy.declared_length(self.request) != 0:
            self.set_status(413)
            self.finish({"service": "gluelab", "message": f"{self.request.method} /ping takes no body"})
            return
        self.request.connection.set_max_body_size(0)

    def data_received(self, chunk: bytes) -> None:  # none arrives: the limit is 0
        pass

    def get(self) -> None:
        self.finish({"service": "gluelab", "version": __version__, "status": "ok"})


async def call_action(api: GlueApi, action: str, body: bytes) -> dict[str, Any]:
    """Run one Glue action on the API's threads (the store and the services block); raises GlueError."""
    request = protocol.parse_body(body)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(api.executor, api.dispatcher.call, action, request)


def make_api(services: Services, *, verify: bool = True) -> GlueApi:
    """``verify``: check SigV4 signatures with the home's token (off where another layer authenticates)."""
    settings = services.settings
    return GlueApi(
        dispatcher=Dispatcher(services),
        verifier=SigV4Verifier(settings.access_key_id, settings.token, ("glue", "sts"), settings.region)
        if verify
        else None,
        max_request_bytes=settings.max_request_bytes,
        executor=ThreadPoolExecutor(max_workers=8, thread_name_prefix="gluelab-api"),
        identity=sts.caller_identity(settings.account_id, settings.access_key_id),
    )


class Background:
    """What a serving process runs besides HTTP, in ``gluelab serve`` and in the lab alike: the executor's
    supervisor (reconciles runs an earlier process left, enforces timeouts, keeps the warm pool), the
    sessions' supervisor (the warm spare; sessions outlive the server) and the scheduler (it fires only
    while it holds the store's lease, so several processes on one store never fire twice)."""

    def __init__(self, services: Services):
        self.services = services
        self.scheduler: Scheduler | None = None

    def start(self) -> None:
        self.services.jobs.executor.supervise()
        self.services.sessions.supervise()
        if self.services.settings.scheduler:
            self.scheduler = Scheduler(self.services)
            self.scheduler.start()

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.close()
        self.services.sessions.close()
        self.services.jobs.executor.close()  # idle spares end; running runs go on and record their own end


def make_app(services: Services, *, verify: bool = True) -> tornado.web.Application:
    settings = services.settings
    api = make_api(services, verify=verify)
    batches = LivyBatches(services.jobs)
    livy_api = livy.LivyApi(services.sessions, batches, settings.token, api.executor)
    return tornado.web.Application(
        [
            s3.route(s3.make_s3_api(settings, verify=verify)),  # first: S3 is told apart by its signature
            (r"/", GlueApiHandler, {"api": api}),
            (r"/ping", PingHandler),
            *livy.routes(livy_api),
        ],
        default_handler_class=livy.NotFoundHandler,
        default_handler_args={"livy": livy_api},
        log_function=lambda handler: None,  # our handlers write their own access log
    )


def configure_logging(settings: Settings) -> Path:
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    path = settings.logs_dir / "server.log"
    handler = RotatingFileHandler(path, maxBytes=10 * 1024 * 1024, backupCount=3)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("gluelab")
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    return path


def spawn_server(
    home: Path, env: dict[str, str], output: Any, timeout: float = 60
) -> tuple[Any, dict[str, Any]]:
    """Start ``gluelab serve --port 0`` for ``home`` as a child process; return it and its address once it
    listens. ``output`` receives its stdout and stderr."""
    import subprocess
    import sys

    server_file = home / "run" / SERVER_FILE
    proc = subprocess.Popen(
        [sys.executable, "-m", "gluelab", "serve", "--port", "0"],
        env={**env, "GLUELAB_HOME": str(home)},
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServeError(f"gluelab serve exited with status {proc.returncode}")
        try:
            info = json.loads(server_file.read_text())
        except (OSError, ValueError):
            info = {}
        if info.get("pid") == proc.pid:
            return proc, info
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise ServeError(f"gluelab serve did not start within {timeout:.0f} s")


class Endpoint:
    """The Glue API, Livy REST and S3 listening on ``host:port`` for one home, announced in
    ``<home>/run/server.json`` (where the CLI, run processes, notebooks and the lab's status bar find it).
    ``gluelab serve`` opens one; so does the lab when no ``gluelab serve`` runs for its home."""

    def __init__(self, server: tornado.httpserver.HTTPServer, info: dict[str, Any], path: Path):
        self.server, self.info, self.path = server, info, path

    @property
    def url(self) -> str:
        return str(self.info["url"])

    def close(self) -> None:
        """Stop listening and withdraw the announcement (if it is still this process's)."""
        self.server.stop()
        withdraw(self.path)


def remote_refusal(settings: Settings, host: str, by: str = "gluelab serve") -> str | None:
    """Why ``host`` may not be bound without ``allow_remote``, or None when it may (loopback)."""
    if is_loopback(host) or settings.allow_remote:
        return None
    return (
        f"{by} would listen on {host}, which other machines may reach. {exposure(settings)} "
        "If that is what you want, pass --allow-remote (or set allow_remote = true in "
        f"{settings.home / 'config.toml'}, or GLUELAB_ALLOW_REMOTE=true); otherwise listen on "
        "127.0.0.1, the default."
    )


def exposure(settings: Settings) -> str:
    """What a client holding the token can do: the warning for a server reachable from other machines."""
    user = getpass.getuser()
    return (
        f"Whoever holds the token ({settings.token_path}) can call the Glue API, run code as {user} "
        "(job scripts, file:// locations, Livy sessions and batches), and read and write the warehouse "
        f"{settings.warehouse_dir} through S3. It is plain HTTP: signatures and Livy's Basic auth (the "
        "token itself) cross the network unencrypted."
    )


def open_endpoint(
    services: Services,
    host: str,
    port: int,
    by: str = "gluelab serve",
    allow_remote: bool = False,
) -> Endpoint:
    """Listen on ``host:port`` (0: a free port) with the Glue API and Livy REST of ``services``.
    ``ServeError`` when another process already serves this home, the port cannot be bound, or ``host``
    is not loopback and neither ``allow_remote`` nor the ``allow_remote`` setting says it may be."""
    settings = services.settings
    refusal = None if allow_remote else remote_refusal(settings, host, by)
    if refusal:
        raise ServeError(refusal)
    other = running_server(settings)
    if other is not None:
        raise ServeError(
            f"{other.get('by', 'gluelab serve')} is already running for {settings.home} at {other['url']} "
            f"(pid {other['pid']}); to stop it, {stop_hint(other)} (or use another GLUELAB_HOME)."
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sockets = tornado.netutil.bind_sockets(port, host, family=family)
    except OSError as exc:
        raise ServeError(bind_failure(host, port, exc)) from None
    server = tornado.httpserver.HTTPServer(
        make_app(services),
        max_body_size=settings.max_request_bytes,  # each handler sets its route's own limit in prepare
        chunk_size=1024 * 1024,  # bodies arrive in slices this large: fewer calls for S3 uploads
    )
    server.add_sockets(sockets)
    actual_port = sockets[0].getsockname()[1]
    info = announcement(by, host, actual_port, f"http://{host}:{actual_port}")
    path = server_file(settings)
    write_announcement(path, info)
    return Endpoint(server, info, path)


def bind_failure(host: str, port: int, exc: OSError) -> str:
    """Why ``host:port`` cannot be bound, naming the process that holds it when it can be seen."""
    message = f"cannot listen on {host}:{port}: {exc.strerror}; "
    holder = port_holder(port) if exc.errno == errno.EADDRINUSE and port else None
    if holder is not None:
        message += f"it is held by {describe_holder(holder)}; or "
    return message + "choose another --port (0 picks a free one)."


async def _serve(
    settings: Settings, host: str, port: int, ready: Any = None, allow_remote: bool = False
) -> None:
    services = open_services(settings)
    try:
        endpoint = open_endpoint(services, host, port, allow_remote=allow_remote)
    except ServeError:
        services.close()
        raise
    log.info("serving the Glue API on %s (database %s)", endpoint.url, services.store.url.render_as_string())
    background = Background(services)
    background.start()
    # Start-up objects (models, modules) never die: keep them out of the collector's full passes,
    # which otherwise pause requests for ~50 ms now and then (measured in bench/).
    gc.collect()
    gc.freeze()
    if ready is not None:
        ready(endpoint.info)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        endpoint.close()
        await endpoint.server.close_all_connections()
        background.close()
        services.close()
        log.info("stopped")


def serve(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    ready: Any = None,
    allow_remote: bool = False,
) -> None:
    """Run the API server until SIGINT or SIGTERM. ``allow_remote``: ``host`` may be other than loopback."""
    configure_logging(settings)
    port = settings.port if port is None else port
    asyncio.run(_serve(settings, host or settings.host, port, ready, allow_remote))
