"""Livy batches through pylivy 0.8's LivyBatch against ``gluelab serve``: a PySpark file run with its own
arguments to success, its log, the listing, a failing file, a kill, and the 400s and 404s of bad input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from livy import LivyBatch
from livy.client import LivyClient
from livy.models import SessionState

from tests.helpers import ServerProcess
from tests.sessions.conftest import Livy

pytestmark = pytest.mark.slow

SUM = """
import sys
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("sum").getOrCreate()
n, target = int(sys.argv[1]), sys.argv[2]
total = spark.range(n + 1).groupBy().sum("id").collect()[0][0]
print(f"sum of 0..{n} = {total}, shuffle partitions {spark.conf.get('spark.sql.shuffle.partitions')}")
open(target, "w").write(str(total))
spark.stop()
"""


def _create(endpoint: ServerProcess, path: Path, **kwargs) -> LivyBatch:  # type: ignore[no-untyped-def]
    return LivyBatch.create(endpoint.url, file=str(path), auth=("gluelab", endpoint.token), **kwargs)


def test_a_batch_runs_with_its_arguments(endpoint: ServerProcess, tmp_path: Path) -> None:
    script = tmp_path / "sum.py"
    script.write_text(SUM)
    target = tmp_path / "total.txt"
    batch = _create(
        endpoint,
        script,
        args=["100", str(target)],
        name="sum",
        spark_conf={"spark.sql.shuffle.partitions": 3},
    )
    assert batch.wait() == SessionState.SUCCESS
    assert target.read_text() == "5050"
    log = "\n".join(batch.log())
    assert "sum of 0..100 = 5050, shuffle partitions 3" in log
    client = LivyClient(endpoint.url, auth=("gluelab", endpoint.token))
    listed = {b.batch_id: b for b in client.list_batches()}
    assert listed[batch.batch_id].state == SessionState.SUCCESS
    batch.kill()  # Livy's DELETE: the batch is forgotten
    assert client.get_batch(batch.batch_id) is None
    assert client.get_batch_log(batch.batch_id) is None


def test_a_failing_batch_is_dead(endpoint: ServerProcess, tmp_path: Path) -> None:
    script = tmp_path / "fail.py"
    script.write_text("raise SystemExit('no input given')\n")
    batch = _create(endpoint, script)
    assert batch.wait() == SessionState.DEAD
    assert "no input given" in "\n".join(batch.log())
    batch.kill()


def test_killing_a_running_batch(endpoint: ServerProcess, tmp_path: Path) -> None:
    script = tmp_path / "slow.py"
    script.write_text("import time\nprint('started', flush=True)\ntime.sleep(300)\n")
    batch = _create(endpoint, script)
    deadline = time.monotonic() + 120
    while batch.state != SessionState.RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    run = endpoint.client().get_job_runs(JobName=f"livy-batch-{batch.batch_id}")["JobRuns"][0]
    batch.kill()
    assert LivyClient(endpoint.url, auth=("gluelab", endpoint.token)).get_batch(batch.batch_id) is None
    log_dir = endpoint.home / "logs" / "runs" / run["Id"]
    deadline = time.monotonic() + 30
    while "started" not in (log_dir / "stdout.log").read_text():
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_bad_batches_are_refused(livy: Livy) -> None:
    for body, words in (
        ({"args": ["1"]}, "file is required"),
        ({"file": "/tmp/app.jar", "className": "org.example.Main"}, "Python batches"),
        ({"file": "/tmp/a.py", "args": "1 2"}, "args must be a list"),
        ({"file": "/tmp/a.py", "colour": "red"}, "Unrecognized field(s) colour"),
    ):
        response = livy.request("POST", "/batches", json=body)
        assert response.status_code == 400 and words in response.json()["msg"], response.text
    response = livy.request("GET", "/batches/987654")
    assert response.status_code == 404 and "Batch session 987654 not found" in response.json()["msg"]
    assert livy.request("DELETE", "/batches/987654").status_code == 404
