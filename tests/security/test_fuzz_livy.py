"""Property-based fuzzing of Livy's REST face over real HTTP, against a real ``gluelab serve`` on SQLite and
on PostgreSQL (the Glue API's counterpart is tests/api/test_fuzz.py, whose store helpers this reuses).

Random methods, paths (ids small, huge and not numbers at all), query strings, headers (credentials right,
wrong and malformed) and bodies (session and batch settings of every JSON type, invalid JSON and UTF-8,
deep nesting, huge numbers and strings, declared or chunked) on every Livy route. For every request:

1. the server never answers 5xx, and every 4xx is a JSON body with ``msg``;
2. a request without the token gets nothing but 401 (or the 404 of a path no route takes, or 405);
3. the store's rows are the same after the request as before, unless the request succeeded at deleting.

Nothing here starts Spark or a job run, by construction: a ``POST /sessions`` or ``POST /batches`` body
that parses to an object always carries one value that is surely refused (or, for a batch, a script that
does not exist, so that the start is refused after the job was made: that job must go again).

``GLUELAB_FUZZ_EXAMPLES`` (default 50) sets the examples per test; raise it for a longer hunt.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from gluelab.store.models import SessionRow
from tests.api.test_fuzz import (
    FUZZ_SETTINGS,
    HUGE_INTS,
    LONG_TEXT,
    SHORT_TEXT,
    StoreView,
    _last_error,
    diff,
    store_url,
)
from tests.helpers import ServerProcess
from tests.security.test_bodies import Answer, exchange

SERVER_ENV = {"GLUELAB_SCHEDULER": "false"}  # nothing else writes to the store between two snapshots
SESSION = 1  # the seeded session: STOPPED, with a log, so reads find it and statements are refused
CREATE_PATH = re.compile(r"/(sessions|batches)/?")  # tornado matches routes on the raw path
NO_SCRIPT = "/nonexistent-gluelab-fuzz"

# -- strategies --------------------------------------------------------------------------------------
# fmt: off
IDS = st.one_of(
    st.sampled_from([
        str(SESSION), "0", "2", "01", "2147483647", "2147483648", "9223372036854775808", "9" * 30, "9" * 5000,
        "-1", "1.0", "abc", "%31", "%D9%A1", "1%00", "", "%20",
    ]),
    st.integers(0, 10**6).map(str),
)
JUNK_SEGMENT = st.one_of(
    SHORT_TEXT, st.sampled_from(["..", ".", "%2e%2e", "%2F", "%ff", "\u00e9", "x" * 300]),
)
TEMPLATES = [
    "/version", "/sessions", "/sessions/", "/sessions/{}", "/sessions/{}/state", "/sessions/{}/log",
    "/sessions/{}/statements", "/sessions/{}/statements/{}", "/sessions/{}/statements/{}/cancel",
    "/sessions/{}/completion", "/batches", "/batches/", "/batches/{}", "/batches/{}/state", "/batches/{}/log",
    "/sessions/{}/{}", "/batches/{}/{}/{}", "/version/{}", "/sessions//{}", "/batches/{}/",
]
QUERY_VALUES = st.one_of(
    st.sampled_from(["0", "1", "-1", "abc", "1.5", "1e3", "", " 1", "\u0663", "desc", "asc"]),
    st.sampled_from(HUGE_INTS).map(str), st.just("9" * 5000), SHORT_TEXT,
)
QUERY_KEYS = st.sampled_from(["from", "size", "order", "kind", "code", "id"]) | SHORT_TEXT
METHODS = st.sampled_from(
    ["GET"] * 4 + ["POST"] * 4 + ["DELETE"] * 2 + ["PUT", "PATCH", "HEAD", "OPTIONS", "FUZZ"]
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.sampled_from([0, -1, 1, 2, 1024, *HUGE_INTS]), st.integers(),
    st.floats(allow_nan=False, allow_infinity=False), SHORT_TEXT, LONG_TEXT,
    st.sampled_from(
        ["512m", "2g", "1024", "0g", "lots", "17t", "10m", "soon", "pyspark", "sql", "spark", "/a.py"]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(SHORT_TEXT, inner, max_size=3),
    max_leaves=6,
)
SESSION_FIELDS = [
    "kind", "proxyUser", "jars", "pyFiles", "files", "driverMemory", "driverCores", "executorMemory",
    "executorCores", "numExecutors", "archives", "queue", "name", "conf", "heartbeatTimeoutInSecond", "ttl",
    "idleTimeout",
]
BATCH_FIELDS = ["file", "className", "args", *SESSION_FIELDS[1:14]]
# One of these makes any session body a refusal, whatever else it holds.
SURELY_REFUSED = [
    ("executorCores", -1), ("driverMemory", "lots"), ("numExecutors", 0), ("heartbeatTimeoutInSecond", -5),
    ("kind", "spark"), ("jars", [1]), ("name", "n" * 256), ("conf", {"a": {"b": 1}}), ("fuzzUnknown", 1),
    ("ttl", "soon"), ("driverCores", 10**30), ("queue", "\x00"),
]
SURELY_REFUSED_BATCH = [
    ("className", "org.example.Main"), ("args", "a b"), ("executorCores", 0), ("fuzzUnknown", 1),
]
RAW_BODIES = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([
        b"", b" ", b"{", b"{]", b'{"kind": }', b"{'kind': 1}", b'{"kind": "pyspark",}', b"\x00", b"\xff\xfe",
        b"\xef\xbb\xbf{}", b"{}{}", b"[]", b"null", b"0", b'"str"', b"true", b'{"numExecutors": NaN}',
        b'{"numExecutors": Infinity}', b'{"numExecutors": 1e999}', b'{"name": "\\ud800"}',
        b'{"name": "\\u0000"}', b'{"numExecutors": 1' + b"0" * 5000 + b"}", b'{"name": "\xff"}',
        "{}".encode("utf-16"), b'{"code": "1"}', b'{"code": 1}', b'{"file": "/a.py"}',
    ]),
    st.sampled_from([100, 990, 5000, 100_000]).map(lambda n: b'{"conf": ' + b"[" * n + b"]" * n + b"}"),
    st.sampled_from([1000, 100_000]).map(lambda n: b"[" * n),
    st.sampled_from([1 << 20, (1 << 20) + 1, 2 << 20]).map(lambda n: b'{"code": "' + b"x" * n + b'"}'),
)
# fmt: on


def escaped(text: str) -> str:
    """Percent-encoded for a path or a query (lone surrogates as the invalid UTF-8 they would be)."""
    return quote(text, safe="", errors="surrogatepass")


def settings_bodies(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(fields) | SHORT_TEXT, VALUES, max_size=6)


def encoded(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


BODIES = st.one_of(
    RAW_BODIES,
    settings_bodies(SESSION_FIELDS).map(encoded),
    settings_bodies(BATCH_FIELDS).map(encoded),
    st.fixed_dictionaries({"code": VALUES}, optional={"kind": VALUES}).map(encoded),
    VALUES.map(encoded),
)


def token_header(server: ServerProcess, draw: st.DrawFn) -> tuple[dict[str, str], bool]:
    """An Authorization header (or none) and whether it carries the token."""
    token = server.token
    good = [
        f"Basic {base64.b64encode(f'anyone:{token}'.encode()).decode()}",
        f"Bearer {token}",
        f"bearer  {token} ",
    ]
    bad = [
        None,
        "",
        "Basic",
        "Basic !!!",
        f"Basic {base64.b64encode(token.encode()).decode()}",
        "Bearer",
        f"Bearer {token}x",
        f"Bearer {token[:-1]}",
        "Digest x",
        f"Basic {base64.b64encode(b'a:b').decode()}",
        f"Token {token}",
        "Basic " + base64.b64encode(b"\xff:\xfe").decode(),
    ]
    header = draw(st.sampled_from(good * 3 + bad), label="authorization")
    return ({} if header is None else {"Authorization": header}), header in good


# -- the seeded store -----------------------------------------------------------------------------------
class LivyFuzzer:
    """Sends one request and checks the three properties; puts the seed back after a successful delete."""

    def __init__(self, server: ServerProcess):
        self.server = server
        self.store = StoreView(store_url(server))
        self.store.wipe()
        log_dir = server.home / "fuzz-session"
        log_dir.mkdir(exist_ok=True)
        (log_dir / "session.log").write_text("".join(f"line {n}\n" for n in range(30)))
        now = dt.datetime.now(dt.UTC)
        with sa.orm.Session(self.store.engine) as db:
            db.add(
                SessionRow(
                    id=SESSION, session_id="fuzz-session", origin="livy", kind="pyspark", status="STOPPED",
                    request={"name": "fuzz"}, tags={}, created_on=now, completed_on=now, secret="s",
                    log_dir=str(log_dir),
                )
            )  # fmt: skip
            db.commit()
        self.seed_rows = self.store.rows()
        self.seed = self.store.snapshot()
        self.requests = 0

    def exchange(self, method: str, path: str, headers: dict[str, str], body: bytes, chunked: bool) -> Answer:
        before = self.store.snapshot()
        self.requests += 1
        label = f"{method} {path[:300]} {headers} chunked={chunked} body={body[:600]!r}"
        answer = exchange(self.server, method, path, headers, body, chunked=chunked)
        if answer.status is None or answer.status >= 500:
            raise AssertionError(self.report(label, answer, "no answer" if answer.status is None else "5xx"))
        if method != "HEAD":
            try:
                payload = json.loads(answer.body)
            except ValueError:
                raise AssertionError(self.report(label, answer, "the answer is not JSON")) from None
            if answer.status >= 400 and not (
                isinstance(payload, dict) and isinstance(payload.get("msg"), str)
            ):
                raise AssertionError(self.report(label, answer, 'a 4xx without {"msg": ...}'))
        after = self.store.snapshot()
        if after != before:
            self.store.restore(self.seed_rows)
            if not (method == "DELETE" and answer.status == 200):
                raise AssertionError(self.report(label, answer, f"the store changed:\n{diff(before, after)}"))
        return answer

    def report(self, label: str, answer: Answer, problem: str) -> str:
        log = _last_error(self.server.home / "logs" / "server.log")
        return (
            f"{problem}\nrequest: {label}\nanswer: {answer.status} {answer.body[:1500]!r}\n"
            f"--- server.log, from its last ERROR ---\n{log}\n"
            f"--- serve output ---\n{self.server.output()[-3000:]}"
        )


@pytest.fixture(scope="module")
def fuzzer(server: ServerProcess) -> Iterator[LivyFuzzer]:
    fuzzer = LivyFuzzer(server)
    yield fuzzer
    print(f"\nfuzzed {fuzzer.requests} Livy requests")
    fuzzer.store.dispose()


def harmless(method: str, path: str, body: bytes, draw: st.DrawFn) -> bytes:
    """The body, made sure to be refused when it would otherwise create a session or start a batch."""
    route = CREATE_PATH.fullmatch(path.partition("?")[0])
    if method != "POST" or not route:
        return body
    try:
        parsed = json.loads(body) if body.strip() else {}
    except (ValueError, RecursionError):
        return body  # refused as not JSON
    if not isinstance(parsed, dict):
        return body  # refused: not an object
    if route.group(1) == "sessions":
        parsed.update([draw(st.sampled_from(SURELY_REFUSED), label="surely refused")])
    elif draw(st.booleans(), label="refused before the job is made"):
        parsed.update([draw(st.sampled_from(SURELY_REFUSED_BATCH), label="surely refused")])
    else:  # made, then its start refused: no such script
        name = draw(st.text("abcdefgh_0123456789", min_size=1, max_size=12), label="script")
        parsed["file"] = f"{NO_SCRIPT}/{name}.py"
    assert not Path(NO_SCRIPT).exists()
    return encoded(parsed)


def assert_token_required(answer: Answer, authorized: bool, method: str) -> None:
    if not authorized:
        assert answer.status in (401, 404, 405), (method, answer.status, answer.body[:300])


# -- the tests ------------------------------------------------------------------------------------------
@FUZZ_SETTINGS
@given(data=st.data())
def test_any_request_on_the_livy_routes(fuzzer: LivyFuzzer, data: st.DataObject) -> None:
    template = data.draw(st.sampled_from(TEMPLATES), label="route")
    parts = [data.draw(IDS | JUNK_SEGMENT.map(lambda s: escaped(s))) for _ in range(template.count("{}"))]
    path = template.format(*parts)
    query = data.draw(st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=3), label="query")
    if query:
        path += "?" + "&".join(f"{escaped(k)}={escaped(v)}" for k, v in query)
        path += data.draw(st.sampled_from(["", "&from=%ff", "&size=%", "&&", "&from=1&from=x"]), label="raw")
    method = data.draw(METHODS, label="method")
    headers, authorized = token_header(fuzzer.server, data.draw)
    if data.draw(st.booleans(), label="content type"):
        headers["Content-Type"] = data.draw(st.sampled_from(["application/json", "text/plain", "x/y; a=b"]))
    body = data.draw(
        BODIES if method in ("POST", "PUT", "PATCH") else st.just(b"") | st.just(b"{}"), label="body"
    )
    chunked = data.draw(st.booleans(), label="chunked")
    answer = fuzzer.exchange(method, path, headers, harmless(method, path, body, data.draw), chunked)
    assert_token_required(answer, authorized, method)


@FUZZ_SETTINGS
@given(data=st.data())
def test_session_and_batch_settings(fuzzer: LivyFuzzer, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(["/sessions", "/batches"]), label="path")
    fields = SESSION_FIELDS if path == "/sessions" else BATCH_FIELDS
    body = encoded(data.draw(settings_bodies(fields), label="settings"))
    headers, authorized = token_header(fuzzer.server, data.draw)
    answer = fuzzer.exchange("POST", path, headers, harmless("POST", path, body, data.draw), False)
    assert answer.status in (400, 401, 413), (answer.status, answer.body[:300])
    assert_token_required(answer, authorized, "POST")


@FUZZ_SETTINGS
@given(data=st.data())
def test_statements_and_paging(fuzzer: LivyFuzzer, data: st.DataObject) -> None:
    """Statements for the seeded (stopped) session and for none; paging through its log and listings."""
    session = data.draw(st.sampled_from([str(SESSION), "2", "2147483648"]), label="session")
    headers, _ = token_header(fuzzer.server, data.draw)
    if data.draw(st.booleans(), label="statement"):
        body = data.draw(BODIES, label="body")
        fuzzer.exchange("POST", f"/sessions/{session}/statements", headers, body, data.draw(st.booleans()))
        return
    route = data.draw(
        st.sampled_from(["/sessions", f"/sessions/{session}/log", f"/sessions/{session}/statements"])
    )
    query = data.draw(st.dictionaries(st.sampled_from(["from", "size", "order"]), QUERY_VALUES, max_size=3))
    path = route + ("?" + "&".join(f"{k}={escaped(v)}" for k, v in query.items()) if query else "")
    answer = fuzzer.exchange("GET", path, headers, b"", False)
    if answer.status == 200 and route.endswith("/log"):
        assert all(line.startswith("line ") for line in json.loads(answer.body)["log"])
