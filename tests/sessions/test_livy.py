"""The Livy REST face against a real ``gluelab serve``: pylivy's own integration tests, Livy's semantics
(states, outputs, SQL, cancel, heartbeats) and its error answers."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import ServerProcess

from .conftest import Livy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def session(livy: Livy):  # type: ignore[no-untyped-def]
    created = livy.create({"kind": "pyspark", "heartbeatTimeoutInSecond": 60})
    yield created["id"]
    livy.delete(created["id"])


def pylivy_sources(root: Path) -> Path:
    """pylivy 0.8.0's source distribution (its tests are not in the wheel), from PyPI."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
        + ["livy==0.8.0", "-d", str(root)],
        check=True,
        capture_output=True,
    )
    with tarfile.open(root / "livy-0.8.0.tar.gz") as archive:
        archive.extractall(root, filter="data")
    return root / "livy-0.8.0"


def test_pylivy_integration_suite(endpoint: ServerProcess, tmp_path: Path) -> None:
    """pylivy's tests/test_integration.py, unmodified: the PySpark and SQL sessions (its Scala, SparkR
    and jar-batch cases need interpreters gluelab does not run)."""
    sources = pylivy_sources(tmp_path)
    url = endpoint.url.replace("http://", f"http://gluelab:{endpoint.token}@")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests/test_integration.py"]
        + ["--integration", url, "-k", "not SPARKR and not params0 and not batch", "-W", "ignore"],
        cwd=sources,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout


def test_session_shape_and_statements(livy: Livy, session: int) -> None:
    shape = livy.request("GET", f"/sessions/{session}").json()
    for key in ("id", "state", "kind", "log", "proxyUser", "appId", "appInfo", "name"):
        assert key in shape
    assert shape["state"] == "idle" and shape["kind"] == "pyspark"
    assert shape["appId"].startswith("local-")
    first = livy.run(session, "spark")
    assert first["output"]["status"] == "ok"
    assert "SparkSession" in first["output"]["data"]["text/plain"]
    assert livy.run(session, "sc.parallelize(range(100)).map(lambda x: x * 2).reduce(lambda x, y: x + y)")[
        "output"
    ]["data"] == {"text/plain": "9900"}
    assert "GlueContext" in livy.run(session, "glueContext")["output"]["data"]["text/plain"]
    statement = livy.run(session, "import os")
    assert statement["output"]["data"]["text/plain"] == ""
    assert statement["progress"] == 1.0 and statement["completed"] >= statement["started"] > 0


def test_sparkmagic_sql_code_gives_clean_json_lines(livy: Livy, session: int) -> None:
    """The exact code sparkmagic's %%sql sends: only JSON lines, even the first time (no toJSON warning)."""
    code = (
        'import sys\nfor yQeKOYBsFgLWWGWZJu3y in spark.sql(u"""SELECT 1 AS a, \'é\' AS b\n """)'
        ".toJSON(use_unicode=(sys.version_info.major > 2)).take(2500): print(yQeKOYBsFgLWWGWZJu3y)"
    )
    output = livy.run(session, code)["output"]
    assert output["data"]["text/plain"] == '{"a":1,"b":"é"}'


def test_sql_statement_kind(livy: Livy, session: int) -> None:
    output = livy.run(session, "SELECT id, id * 2 AS twice FROM range(3)", kind="sql")["output"]
    table = output["data"]["application/json"]
    assert [f["name"] for f in table["schema"]["fields"]] == ["id", "twice"]
    assert table["data"] == [[0, 0], [1, 2], [2, 4]]
    error = livy.run(session, "not valid SQL!", kind="sql")["output"]
    assert error["status"] == "error" and error["ename"] == "ParseException"


def test_statement_listing_and_log(livy: Livy, session: int) -> None:
    listing = livy.request(
        "GET", f"/sessions/{session}/statements", params={"order": "desc", "size": 2}
    ).json()
    assert listing["total_statements"] >= 2
    assert listing["statements"][0]["id"] > listing["statements"][1]["id"]
    log = livy.request("GET", f"/sessions/{session}/log", params={"from": 0, "size": 1000}).json()
    assert log["id"] == session and log["from"] == 0 and log["total"] >= len(log["log"]) > 0
    assert any("ready" in line for line in log["log"])
    assert livy.request("GET", f"/sessions/{session}/state").json() == {"id": session, "state": "idle"}


def test_cancel_a_running_spark_job(livy: Livy, session: int) -> None:
    code = "import time\nsc.parallelize(range(400), 4).map(lambda x: time.sleep(0.25) or x).count()"
    posted = livy.request("POST", f"/sessions/{session}/statements", json={"code": code}).json()
    deadline = time.monotonic() + 60
    while livy.request("GET", f"/sessions/{session}/statements/{posted['id']}").json()["state"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(1.5)
    statement = livy.request("GET", f"/sessions/{session}/statements/{posted['id']}").json()
    assert 0.0 <= statement["progress"] < 1.0
    assert livy.request("GET", f"/sessions/{session}").json()["state"] == "busy"
    cancel = livy.request("POST", f"/sessions/{session}/statements/{posted['id']}/cancel", json={})
    assert (cancel.status_code, cancel.json()) == (200, {"msg": "canceled"})
    started = time.monotonic()
    final = livy.wait_statement(session, posted["id"], timeout=30)
    assert final["state"] == "cancelled" and final["progress"] == 1.0
    assert livy.wait_idle(session, timeout=15)["state"] == "idle"
    assert time.monotonic() - started < 15
    assert livy.run(session, "21 * 2")["output"]["data"]["text/plain"] == "42"


def test_cancel_pure_python_code(livy: Livy, session: int) -> None:
    posted = livy.request(
        "POST", f"/sessions/{session}/statements", json={"code": "import time\ntime.sleep(120)"}
    )
    statement_id = posted.json()["id"]
    time.sleep(0.5)
    livy.request("POST", f"/sessions/{session}/statements/{statement_id}/cancel", json={})
    assert livy.wait_statement(session, statement_id, timeout=20)["state"] == "cancelled"
    assert livy.run(session, "'still here'")["output"]["data"]["text/plain"] == "'still here'"


def test_code_that_kills_its_process_leaves_others_alone(livy: Livy, session: int) -> None:
    doomed = livy.create()
    posted = livy.request(
        "POST", f"/sessions/{doomed['id']}/statements", json={"code": "import os\nos._exit(1)"}
    )
    assert posted.status_code == 201, posted.text
    deadline = time.monotonic() + 30
    while (state := livy.request("GET", f"/sessions/{doomed['id']}").json()["state"]) != "dead":
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    answer = livy.request("POST", f"/sessions/{doomed['id']}/statements", json={"code": "1"})
    assert answer.status_code == 400 and "FAILED" in answer.json()["msg"]
    assert livy.run(session, "1 + 1")["output"]["data"]["text/plain"] == "2"
    assert livy.request("DELETE", f"/sessions/{doomed['id']}").json() == {"msg": "deleted"}


def test_heartbeat_expiry_deletes_the_session(livy: Livy) -> None:
    created = livy.create({"kind": "pyspark", "heartbeatTimeoutInSecond": 2})
    time.sleep(5)
    assert livy.request("GET", f"/sessions/{created['id']}").status_code == 404


def test_warm_spare_makes_a_session_ready_at_once(endpoint: ServerProcess, livy: Livy) -> None:
    deadline = time.monotonic() + 120
    spares = endpoint.home / "logs" / "session-spares"
    while not any((f / "ready").exists() for f in spares.glob("*")):
        assert time.monotonic() < deadline, "no warm spare became ready"
        time.sleep(0.2)
    started = time.monotonic()
    created = livy.create({"kind": "pyspark", "conf": {"spark.sql.shuffle.partitions": 3}})
    ready_in = time.monotonic() - started
    try:
        assert ready_in < 3, ready_in
        value = livy.run(created["id"], "spark.conf.get('spark.sql.shuffle.partitions')")
        assert value["output"]["data"]["text/plain"] == "'3'"
        assert created["conf"] == {"spark.sql.shuffle.partitions": "3"}
    finally:
        livy.delete(created["id"])


def test_bad_requests_get_livy_errors(endpoint: ServerProcess, livy: Livy) -> None:
    unknown = livy.request("POST", "/sessions", json={"kind": "pyspark", "executorMemry": "1g"})
    assert unknown.status_code == 400 and "executorMemry" in unknown.json()["msg"]
    scala = livy.request("POST", "/sessions", json={"kind": "spark"})
    assert scala.status_code == 400 and "kind" in scala.json()["msg"]
    typed = livy.request("POST", "/sessions", json={"driverCores": "two"})
    assert typed.status_code == 400 and "driverCores" in typed.json()["msg"]
    assert livy.request("POST", "/sessions", data="{not json").status_code == 400
    missing = livy.request("GET", "/sessions/99999")
    assert missing.status_code == 404 and missing.json() == {"msg": "Session '99999' not found."}
    assert livy.request("DELETE", "/sessions/99999").status_code == 404
    assert livy.request("GET", "/session/1").status_code == 404  # pylivy's own check
    assert livy.request("GET", "/version").json()["version"] == "0.8.0-incubating"
    assert requests.get(endpoint.url + "/", timeout=10).status_code == 200
    anonymous = requests.get(endpoint.url + "/sessions", timeout=10, auth=("None", "None"))
    assert anonymous.status_code == 401 and "token" in anonymous.json()["msg"]
    assert anonymous.headers["Content-Type"].startswith("application/json")


def test_unknown_statement_is_404(livy: Livy, session: int) -> None:
    response = livy.request("GET", f"/sessions/{session}/statements/4242")
    assert response.status_code == 404 and "4242" in response.json()["msg"]
    bad = livy.request("POST", f"/sessions/{session}/statements", json={"kind": "spark", "code": "1"})
    assert bad.status_code == 400
