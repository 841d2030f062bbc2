"""Request bodies against a real ``gluelab serve``: what the headers decide (authentication, a declared
size over the route's limit) is answered before the body is read, a chunked body is cut off at the limit,
and the server's memory does not grow with what a client sends (issue 22, point 3).

Each large request declares (or streams) 300 MB; the client sends while it listens, as AWS's SDKs do, and
stops once the answer is there. How much it managed to send before that is the proof that the server
stopped reading: a few MB of socket buffers, not 300."""

from __future__ import annotations

import base64
import json
import select
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import botocore.config
import pytest
import requests
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.helpers import ServerProcess, free_port, gluelab_env, start_jupyter, stop_process

HUGE = 300 * 1024 * 1024
MOST_SENT = 64 * 1024 * 1024  # socket buffers on both sides hold a few MB; a read body would be 300
MOST_GROWN_KB = 50 * 1024  # the server's resident memory may not grow more than this
GLUE = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSGlue.GetDatabases"}


@dataclass
class Answer:
    status: int | None
    headers: dict[str, str]
    body: bytes
    sent: int  # bytes of the body the client got out before the answer (or the connection's end)

    def json(self) -> dict:
        return json.loads(self.body)


def exchange(
    server: ServerProcess,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | int,
    *,
    chunked: bool = False,
    host: str | None = None,
) -> Answer:
    """Send ``body`` (or that many filler bytes; declared, or in chunks of at most 1 MiB) while reading the
    answer; stop sending once the server answers or stops reading. ``host``: the Host header, if not the
    server's address."""
    address = (server.info["host"], int(server.info["port"]))
    host = host or f"{address[0]}:{address[1]}"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    size = body if isinstance(body, int) else len(body)
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    pieces = _pieces(body, chunked)
    sent, received, pending, writing = 0, b"", b"", True
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        sock.setblocking(False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _complete(received, method):
            readable, writable, _ = select.select([sock], [sock] if writing else [], [], 1.0)
            if readable:
                try:
                    data = sock.recv(1 << 16)
                except ConnectionResetError:
                    break
                if not data:
                    break
                received += data
            elif writable:
                if not pending:
                    pending = next(pieces, b"")
                    if not pending:
                        writing = False
                        continue
                try:
                    count = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    writing = False  # the server closed: read what it said
                    continue
                pending = pending[count:]
                sent += count
    head, _, answer = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n") if head else [""]
    status = int(status_line.split()[1]) if status_line.startswith("HTTP/") else None
    found = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    return Answer(status, found, answer, sent)


def _pieces(body: bytes | int, chunked: bool) -> Iterator[bytes]:
    """The body on the wire: 1 MiB slices (each a chunk when ``chunked``, then the last chunk)."""
    size = body if isinstance(body, int) else len(body)
    filler = b"x" * (1 << 20)
    for start in range(0, size, 1 << 20):
        piece = (
            filler[: min(1 << 20, size - start)] if isinstance(body, int) else body[start : start + (1 << 20)]
        )
        yield b"%x\r\n" % len(piece) + piece + b"\r\n" if chunked else piece
    if chunked:
        yield b"0\r\n\r\n"


def _complete(received: bytes, method: str) -> bool:
    head, found, body = received.partition(b"\r\n\r\n")
    if not found:
        return False
    if method == "HEAD":
        return True
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def basic(token: str) -> str:
    return "Basic " + base64.b64encode(f"gluelab:{token}".encode()).decode()


def signed(
    server: ServerProcess, *, key_id: str = "gluelab", service: str = "glue", url: str = "/"
) -> dict[str, str]:
    """Headers botocore signs for a tiny body; the test then declares (or streams) a huge one."""
    request = AWSRequest(
        method="POST" if service == "glue" else "PUT",
        url=server.url + url,
        data=b"{}",
        headers=dict(GLUE) if service == "glue" else {},
    )
    signer = SigV4Auth if service == "glue" else S3SigV4Auth
    signer(Credentials(key_id, server.token), service, "us-east-1").add_auth(request)
    return {k: v for k, v in request.headers.items() if k.lower() != "content-length"}


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("bodies") / "home", GLUELAB_SCHEDULER="false").start()
    proc.client().get_databases()  # warm up: the first requests import and allocate what they need
    requests.get(proc.url + "/sessions", auth=("gluelab", proc.token), timeout=30)
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def baseline(serve: ServerProcess) -> int:
    return rss_kb(serve.pid)


def assert_not_read(serve: ServerProcess, baseline: int, answer: Answer) -> None:
    assert answer.sent < MOST_SENT, f"the server read {answer.sent} bytes before answering"
    grown = rss_kb(serve.pid) - baseline
    assert grown < MOST_GROWN_KB, f"the server grew by {grown} kB"


# -- refused on the headers: nothing read ----------------------------------------------------------------
UNAUTHENTICATED = {
    "livy, no credentials": ("/sessions", lambda s: {}, 401),
    "livy statement, wrong token": (
        "/sessions/1/statements",
        lambda s: {"Authorization": basic("wrong")},
        401,
    ),
    "livy batch, bearer of nothing": ("/batches", lambda s: {"Authorization": "Bearer "}, 401),
    "glue, unsigned": ("/", lambda s: dict(GLUE), 403),
    "glue, unknown key": ("/", lambda s: signed(s, key_id="stranger"), 403),
    "unknown path, unsigned (S3's)": ("/no/such/path", lambda s: {}, 403),
    "unknown path, with Livy credentials": (
        "/no/such/path",
        lambda s: {"Authorization": basic(s.token)},
        404,
    ),
    "s3 upload, unknown key": (
        "/bucket/key",
        lambda s: signed(s, key_id="stranger", service="s3", url="/bucket/key"),
        403,
    ),
}


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
@pytest.mark.parametrize("case", sorted(UNAUTHENTICATED))
def test_a_refused_request_is_answered_before_its_body_is_read(
    serve: ServerProcess, baseline: int, case: str, chunked: bool
) -> None:
    path, headers, status = UNAUTHENTICATED[case]
    method = "PUT" if path == "/bucket/key" else "POST"
    answer = exchange(serve, method, path, headers(serve), HUGE, chunked=chunked)
    assert answer.status == status, (answer.status, answer.body[:300])
    if answer.headers.get("content-type", "").startswith("application/xml"):  # S3's error document
        assert b"<Code>" in answer.body
    elif path == "/":
        assert answer.json()["__type"] in (
            "MissingAuthenticationTokenException",
            "UnrecognizedClientException",
        )
    else:
        assert isinstance(answer.json()["msg"], str)
    assert_not_read(serve, baseline, answer)


# -- over the route's limit: 413 ---------------------------------------------------------------------------
OVER_LIMIT = {
    "livy session settings": ("POST", "/sessions"),
    "livy statement code": ("POST", "/sessions/1/statements"),
    "livy batch": ("POST", "/batches"),
    "livy GET takes no body": ("GET", "/sessions"),
    "livy DELETE takes no body": ("DELETE", "/sessions/1"),
    "glue": ("POST", "/"),
    "ping": ("GET", "/ping"),
}


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
@pytest.mark.parametrize("case", sorted(OVER_LIMIT))
def test_an_authenticated_body_over_its_limit_gets_413(
    serve: ServerProcess, baseline: int, case: str, chunked: bool
) -> None:
    method, path = OVER_LIMIT[case]
    headers = signed(serve) if path == "/" else {"Authorization": basic(serve.token)}
    answer = exchange(serve, method, path, headers, HUGE, chunked=chunked)
    assert answer.status == 413, (answer.status, answer.body[:300])
    reply = answer.json()
    if path == "/":
        assert reply["__type"] == "RequestEntityTooLargeException" and reply["message"]
    else:
        assert reply.get("msg") or reply.get("message")
    assert_not_read(serve, baseline, answer)


# -- what ordinary clients hear ----------------------------------------------------------------------------
class Zeros:
    """A 300 MB body that requests streams with a Content-Length (it never exists in memory)."""

    def __init__(self, size: int):
        self.left = size

    def __len__(self) -> int:
        return self.left

    def read(self, size: int = -1) -> bytes:
        size = min(self.left, 1 << 20 if size is None or size < 0 else size)
        self.left -= size
        return b"x" * size


def test_requests_and_boto3_hear_the_early_answer(serve: ServerProcess, baseline: int) -> None:
    """requests (urllib3: under sparkmagic, pylivy, boto3) reads the answer when the server stops reading."""
    url = serve.url + "/sessions"
    anonymous = requests.post(url, data=Zeros(HUGE), timeout=60)
    assert anonymous.status_code == 401 and "token" in anonymous.json()["msg"]
    too_big = requests.post(url, data=Zeros(HUGE), auth=("gluelab", serve.token), timeout=60)
    assert too_big.status_code == 413 and "1048576" in too_big.json()["msg"]
    config = botocore.config.Config(retries={"max_attempts": 1}, parameter_validation=False)
    glue = boto3.client("glue", config=config, **serve.credentials())
    with pytest.raises(ClientError) as refused:
        glue.create_database(DatabaseInput={"Name": "big", "Parameters": {"x": "y" * (20 << 20)}})
    assert refused.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    stranger = boto3.client("glue", config=config, **{**serve.credentials(), "aws_access_key_id": "stranger"})
    with pytest.raises(ClientError) as unknown:
        stranger.create_database(DatabaseInput={"Name": "big", "Parameters": {"x": "y" * (1 << 20)}})
    assert unknown.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert rss_kb(serve.pid) - baseline < MOST_GROWN_KB


def test_bodies_within_their_limits_still_work(serve: ServerProcess) -> None:
    auth = ("gluelab", serve.token)
    glue = serve.client()
    parameters = {f"p{n}": "y" * 500_000 for n in range(8)}  # 4 MB: half of the Glue limit (8 MiB)
    glue.create_database(DatabaseInput={"Name": "bodies", "Parameters": parameters})
    assert glue.get_database(Name="bodies")["Database"]["Parameters"] == parameters
    glue.delete_database(Name="bodies")
    # A Livy settings body under 1 MiB is read and judged on its content (400 for a bad field, not 413) ...
    settings = requests.post(
        serve.url + "/sessions", json={"kind": "pyspark", "colour": "x" * 900_000}, auth=auth, timeout=30
    )
    assert settings.status_code == 400 and "colour" in settings.json()["msg"]
    # ... and a statement's code may be larger (8 MiB): it reaches the session lookup (404: no session).
    code = requests.post(
        serve.url + "/sessions/424242/statements", json={"code": "x" * (4 << 20)}, auth=auth, timeout=30
    )
    assert code.status_code == 404 and "424242" in code.json()["msg"]
    chunked = requests.post(
        serve.url + "/sessions", data=iter([b'{"kind": ', b'"scala"}']), auth=auth, timeout=30
    )
    assert chunked.status_code == 400 and "scala" in chunked.json()["msg"]
    assert requests.get(serve.url + "/sessions", auth=auth, timeout=30).json()["total"] == 0
    assert requests.get(serve.url + "/ping", timeout=30).json()["status"] == "ok"


# -- the Jupyter server extension ----------------------------------------------------------------------------
JUPYTER_TOKEN = "gluelab-bodies-test"


class Lab:
    """``jupyter server`` with gluelab's extension (no lab endpoint of its own): what ``exchange`` needs."""

    def __init__(self, port: int, proc: subprocess.Popen[bytes], log: Path):
        self.info = {"host": "127.0.0.1", "port": port}
        self.url = f"http://127.0.0.1:{port}"
        self.proc, self.log = proc, log


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("bodies-lab")
    port = free_port()
    env = gluelab_env(base / "home", GLUELAB_LAB_ENDPOINT="false", GLUELAB_SCHEDULER="false")
    env["JUPYTER_CONFIG_DIR"] = str(base / "config")
    log = base / "jupyter.log"
    proc = start_jupyter("jupyter_server", port, base, env, log, f"--IdentityProvider.token={JUPYTER_TOKEN}")
    lab = Lab(port, proc, log)
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
        try:
            if requests.get(f"{lab.url}/api/status?token={JUPYTER_TOKEN}", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    assert b"gluelab: the Glue API at" in log.read_bytes()
    yield lab
    stop_process(proc)


@pytest.mark.slow  # a Jupyter server starts and stops: ~20 s
@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_the_lab_extension_reads_no_body_before_jupyters_auth(lab: Lab, chunked: bool) -> None:
    before = rss_kb(lab.proc.pid)
    path, glue = "/gluelab/api", {"X-Amz-Target": "AWSGlue.GetDatabases"}
    anonymous = exchange(lab, "POST", path, glue, HUGE, chunked=chunked)  # type: ignore[arg-type]
    assert anonymous.status == 403 and anonymous.sent < MOST_SENT, (anonymous.status, anonymous.sent)
    logged_in = {**glue, "Authorization": f"token {JUPYTER_TOKEN}"}
    too_big = exchange(lab, "POST", path, logged_in, HUGE, chunked=chunked)  # type: ignore[arg-type]
    assert too_big.status == 413 and too_big.sent < MOST_SENT, (too_big.status, too_big.sent)
    assert json.loads(too_big.body)["__type"] == "RequestEntityTooLargeException"
    assert rss_kb(lab.proc.pid) - before < MOST_GROWN_KB
    fine = requests.post(lab.url + path, data=b"{}", headers=logged_in, timeout=30)
    assert fine.status_code == 200 and fine.json()["DatabaseList"] == []
