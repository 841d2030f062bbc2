"""Bad input to Livy's REST face, against a real ``gluelab serve`` on SQLite and on PostgreSQL: a 400 or
404 with Livy's error body (``{"msg": ...}``), never a 500, and a refusal changes nothing in the store
(issue 22, point 4). Every request here is refused: none starts a Spark session or a job run
(tests/sessions/test_livy.py covers the accepted ones)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.api.test_fuzz import StoreView, store_url
from tests.helpers import ServerProcess

SERVER_ENV = {"GLUELAB_SCHEDULER": "false"}  # nothing else writes to the store between two snapshots
HUGE_IDS = ["2147483648", "9223372036854775808", "99999999999999999999999", "9" * 5000]


class Refusals:
    """Livy requests with gluelab's token; each must be refused, by status, and leave the store as it was."""

    def __init__(self, server: ServerProcess):
        self.url = server.url
        self.auth = ("gluelab", server.token)
        self.store = StoreView(store_url(server))

    def refused(self, method: str, path: str, status: int, words: str = "", **kwargs: Any) -> str:
        before = self.store.snapshot()
        response = requests.request(method, self.url + path, auth=self.auth, timeout=60, **kwargs)
        assert response.status_code == status, (method, path[:80], response.status_code, response.text[:300])
        assert response.headers["Content-Type"].startswith("application/json")
        message = response.json()["msg"]
        assert isinstance(message, str) and words in message, (path[:80], message)
        assert self.store.snapshot() == before, f"{method} {path[:80]} changed the store"
        return message


@pytest.fixture(scope="module")
def livy(server: ServerProcess) -> Iterator[Refusals]:
    refusals = Refusals(server)
    yield refusals
    refusals.store.dispose()


@pytest.mark.parametrize("path", ["/sessions", "/sessions/1/log", "/sessions/1/statements", "/batches/1/log"])
@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "1e3", "0x10", "١", "+1"])
@pytest.mark.parametrize("argument", ["from", "size"])
def test_paging_arguments_must_be_whole_numbers(livy: Refusals, path: str, argument: str, value: str) -> None:
    livy.refused("GET", path, 400, argument, params={argument: value})


def test_huge_paging_arguments_page_past_the_end(livy: Refusals) -> None:
    for value in ("9" * 30, "0" * 30 + "1"):
        response = requests.get(
            livy.url + "/sessions", params={"from": value, "size": value}, auth=livy.auth, timeout=30
        )
        assert response.status_code == 200 and response.json()["sessions"] == []


@pytest.mark.parametrize("huge", HUGE_IDS, ids=lambda v: f"{len(v)} digits")
def test_ids_beyond_the_store_are_not_found(livy: Refusals, huge: str) -> None:
    for method, path in [
        ("GET", f"/sessions/{huge}"),
        ("DELETE", f"/sessions/{huge}"),
        ("GET", f"/sessions/{huge}/state"),
        ("GET", f"/sessions/{huge}/log"),
        ("GET", f"/sessions/{huge}/statements"),
        ("POST", f"/sessions/{huge}/completion"),
        ("GET", f"/sessions/{huge}/statements/1"),
        ("POST", f"/sessions/{huge}/statements/1/cancel"),
        ("GET", f"/sessions/1/statements/{huge}"),
        ("GET", f"/batches/{huge}"),
        ("DELETE", f"/batches/{huge}"),
        ("GET", f"/batches/{huge}/state"),
        ("GET", f"/batches/{huge}/log"),
    ]:
        livy.refused(method, path, 404, "not found")
    livy.refused("POST", f"/sessions/{huge}/statements", 404, "not found", json={"code": "1"})


WRONG_TYPES = [
    ({"jars": [1, 2]}, "jars"),
    ({"pyFiles": "a.py"}, "pyFiles"),
    ({"files": [None]}, "files"),
    ({"archives": [["a"]]}, "archives"),
    ({"conf": {"spark.x": {"nested": 1}}}, "conf"),
    ({"conf": {"spark.x": [1]}}, "conf"),
    ({"conf": ["spark.x=1"]}, "conf"),
    ({"conf": {"": "1"}}, "conf"),
    ({"kind": 5}, "kind"),
    ({"kind": ["pyspark"]}, "kind"),
    ({"name": 5}, "name"),
    ({"name": "nul\x00"}, "name"),
    ({"queue": "\ud800"}, "queue"),
    ({"driverCores": "two"}, "driverCores"),
    ({"driverCores": 2.5}, "driverCores"),
    ({"numExecutors": True}, "numExecutors"),
    ({"heartbeatTimeoutInSecond": "60"}, "heartbeatTimeoutInSecond"),
    ({"ttl": 60}, "ttl"),
]


@pytest.mark.parametrize("body, field", WRONG_TYPES, ids=[f for _, f in WRONG_TYPES])
def test_wrong_json_types_are_refused(livy: Refusals, body: dict[str, Any], field: str) -> None:
    livy.refused("POST", "/sessions", 400, field, json={"kind": "pyspark", **body})
    if "kind" not in body and "heartbeatTimeoutInSecond" not in body and "ttl" not in body:
        livy.refused("POST", "/batches", 400, field, json={"file": "/tmp/app.py", **body})


INVALID_VALUES = [
    ({"driverMemory": "lots"}, "driverMemory"),
    ({"driverMemory": "0g"}, "driverMemory"),
    ({"driverMemory": "1.5g"}, "driverMemory"),
    ({"executorMemory": "-1g"}, "executorMemory"),
    ({"executorMemory": "99999999999999999999g"}, "executorMemory"),
    ({"executorMemory": "17t"}, "executorMemory"),
    ({"executorCores": -1}, "executorCores"),
    ({"executorCores": 0}, "executorCores"),
    ({"driverCores": 10**30}, "driverCores"),
    ({"numExecutors": 1e30}, "numExecutors"),
    ({"numExecutors": 10**30}, "numExecutors"),
    ({"numExecutors": 0}, "numExecutors"),
    ({"heartbeatTimeoutInSecond": -5}, "heartbeatTimeoutInSecond"),
    ({"heartbeatTimeoutInSecond": 2**31}, "heartbeatTimeoutInSecond"),
    ({"ttl": "soon"}, "ttl"),
    ({"name": "n" * 256}, "name"),
    ({"proxyUser": "u" * 256}, "proxyUser"),
]


@pytest.mark.parametrize(
    "body, field", INVALID_VALUES, ids=[f"{f}={str(b[f])[:12]}" for b, f in INVALID_VALUES]
)
def test_invalid_session_values_are_refused_naming_the_field(
    livy: Refusals, body: dict[str, Any], field: str
) -> None:
    livy.refused("POST", "/sessions", 400, field, json={"kind": "pyspark", **body})
    if field not in ("ttl", "heartbeatTimeoutInSecond"):
        livy.refused("POST", "/batches", 400, field, json={"file": "/tmp/app.py", **body})


def test_a_twenty_megabyte_name_is_refused_unread(livy: Refusals) -> None:
    body = json.dumps({"kind": "pyspark", "name": "n" * (20 << 20)})
    livy.refused("POST", "/sessions", 413, "larger than", data=body)


def _nested(depth: int) -> str:
    return '{"conf": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [10, 990, 5000, 100_000])
def test_deeply_nested_bodies_are_refused(livy: Refusals, depth: int) -> None:
    for path in ("/sessions", "/batches", "/sessions/1/statements"):
        message = livy.refused("POST", path, 400, data=_nested(depth))
        assert "nested" in message or "conf" in message or "code" in message
    livy.refused("POST", "/sessions", 400, data="[" * depth)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe", b"[]", b"null", b"1", b'"str"', b'{"kind": NaN}', b"{}{}"],
    ids=repr,
)
def test_malformed_bodies_are_refused(livy: Refusals, body: bytes) -> None:
    for path in ("/sessions", "/batches", "/sessions/1/statements"):
        livy.refused("POST", path, 400, data=body)


@pytest.mark.parametrize(
    "body",
    [
        {"code": 5},
        {"code": ["1"]},
        {"kind": "pyspark"},
        {"code": "1", "kind": ["sql"]},
        {"code": "1", "kind": 1},
    ],
    ids=json.dumps,
)
def test_bad_statements_are_refused_before_the_session_is_looked_up(livy: Refusals, body: dict) -> None:
    livy.refused("POST", "/sessions/1/statements", 400, json=body)


def test_a_refused_batch_leaves_no_job_behind(livy: Refusals, server: ServerProcess) -> None:
    """The start is refused (no such script) after the job was made: the job goes again."""
    for body in ({"file": "/no/such.py"}, {"file": "/no/such.py", "args": ["a"], "name": "n"}):
        livy.refused("POST", "/batches", 400, "/no/such.py", json=body)
    jobs = server.client().list_jobs()["JobNames"]
    assert not [name for name in jobs if name.startswith("livy-batch-")], jobs
    listing = requests.get(livy.url + "/batches", auth=livy.auth, timeout=30).json()
    assert listing["total"] == 0 and listing["sessions"] == []
