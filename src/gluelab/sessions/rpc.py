"""How the server talks to a session's process: one JSON request and one JSON reply per connection, over
an abstract unix socket (no file, no path-length limit; local only) that names the session's process,
with the session's secret in every request."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Callable
from typing import Any

TIMEOUT_SECONDS = 10.0
MAX_REPLY = 512 * 1024 * 1024


class SessionUnreachable(ConnectionError):
    """The session's process does not answer (it ended, or never started)."""


class Reply:
    """A result with something to do once it has been sent (so that work it starts, which may end the
    process, cannot overtake the answer that accepted it)."""

    def __init__(self, result: Any, then: Callable[[], None]) -> None:
        self.result = result
        self.then = then


def call(address: str, secret: str, op: str, timeout: float = TIMEOUT_SECONDS, **args: Any) -> Any:
    request = json.dumps({"secret": secret, "op": op, "args": args}).encode() + b"\n"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect("\0" + address)
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := sock.recv(1 << 16):
                chunks.append(chunk)
    except OSError as exc:
        raise SessionUnreachable(f"session process at {address} does not answer: {exc}") from None
    if not chunks:
        raise SessionUnreachable(f"session process at {address} closed the connection")
    reply = json.loads(b"".join(chunks))
    if "error" in reply:
        raise RemoteError(reply["error"]["type"], reply["error"]["message"])
    return reply["result"]


class RemoteError(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def serve(address: str, secret: str, handle: Callable[[str, dict[str, Any]], Any]) -> socketserver.BaseServer:
    """Answer requests in threads until the process ends; ``handle(op, args)`` gives the result or raises
    (a ``LookupError`` or ``ValueError`` is the caller's fault, anything else the session's)."""

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            after = None
            try:
                request = json.loads(self.rfile.readline(MAX_REPLY))
                if request.get("secret") != secret:
                    raise PermissionError("wrong session secret")
                result = handle(request["op"], request.get("args") or {})
                if isinstance(result, Reply):
                    result, after = result.result, result.then
                reply: dict[str, Any] = {"result": result}
            except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller
                reply = {"error": {"type": type(exc).__name__, "message": str(exc)}}
            self.wfile.write(json.dumps(reply, default=str).encode())
            if after is not None:
                after()

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    server = Server("\0" + address, Handler)
    threading.Thread(target=server.serve_forever, name="session-rpc", daemon=True).start()
    return server
