"""Spark job runs through a real ``gluelab serve`` (the supervisor, with a warm pool of one spare) and
boto3: a warm start, metrics through the API, a cold start with --conf, a script error from Spark, a
streaming job stopped and restarted without reprocessing, and the supervisor killed with SIGKILL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gluelab.jobs import logs as run_logs
from gluelab.jobs.processes import alive
from gluelab.runtime.jdbc import driver_jars
from gluelab.store import Store
from gluelab.store.models import JobRunRow
from tests.helpers import ServerProcess, run_gluelab
from tests.jobs.runs_helpers import GATED, wait_run, write_script

pytestmark = pytest.mark.slow

ETL = """
import sys, time
print("first line", time.time(), flush=True)
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
args = getResolvedOptions(sys.argv, ["JOB_NAME", "out"])
glue = GlueContext(SparkContext.getOrCreate())
job = Job(glue)
job.init(args["JOB_NAME"], args)
spark = glue.spark_session
spark.range(1000).selectExpr("id", "id % 7 AS k").write.mode("overwrite").parquet(args["out"])
print("rows", spark.read.parquet(args["out"]).groupBy("k").count().count(), flush=True)
job.commit()
"""

CONF_AND_ERROR = """
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
print("partitions", spark.conf.get("spark.sql.shuffle.partitions"), flush=True)
print("extra jar", "extra-lib.jar" in spark.sparkContext.getConf().get("spark.jars"), flush=True)
spark.sql("SELECT * FROM no_such_db.no_such_table").show()
"""

STREAMING = """
import os, sys, json, uuid
from pyspark.context import SparkContext
from pyspark.sql.types import LongType, StringType, StructField, StructType
from awsglue.context import GlueContext
from awsglue.utils import getResolvedOptions
args = getResolvedOptions(sys.argv, ["JOB_NAME", "source", "sink", "checkpoint"])
glue = GlueContext(SparkContext.getOrCreate())
schema = StructType([StructField("id", LongType()), StructField("name", StringType())])
stream = glue.spark_session.readStream.schema(schema).json(args["source"])

def batch(frame, batch_id):
    ids = [row.id for row in frame.collect()]
    with open(os.path.join(args["sink"], f"batch-{batch_id}-{uuid.uuid4().hex}.json"), "w") as f:
        json.dump(ids, f)
    print("batch", batch_id, ids, flush=True)

glue.forEachBatch(stream, batch, {"windowSize": "1 seconds", "checkpointLocation": args["checkpoint"]})
"""


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("supervised") / "home"
    server = ServerProcess(home, GLUELAB_WARM_POOL_SIZE="1").start()
    yield server
    server.stop()


def _wait_for_spare(home: Path, timeout: float = 180) -> None:
    until = time.monotonic() + timeout
    while not list((home / "logs" / "spares").glob("*/ready")):
        assert time.monotonic() < until, "no warm spare became ready"
        time.sleep(0.2)


def _glue_job(glue, name: str, script: str, kind: str = "glueetl", **extra) -> None:  # type: ignore[no-untyped-def]
    glue.create_job(Name=name, Role="r", Command={"Name": kind, "ScriptLocation": script}, **extra)


def test_a_warm_spare_runs_a_glue_script_and_metrics_come_through_the_api(supervised, tmp_path):
    glue = supervised.client()
    _wait_for_spare(supervised.home)
    # Spark's own writer and reader on s3:// in a warm spare: the lake's FileSystem was there from its start.
    _glue_job(
        glue, "warm", write_script(tmp_path, "etl.py", ETL), DefaultArguments={"--out": "s3://warm/out/"}
    )
    began = time.time()
    run_id = glue.start_job_run(JobName="warm")["JobRunId"]
    run = wait_run(glue.get_job_run, "warm", run_id)
    assert run["JobRunState"] == "SUCCEEDED", run
    assert run["WorkerType"] == "G.1X" and run["NumberOfWorkers"] == 10 and run["MaxCapacity"] == 10.0
    log_dir = supervised.home / "logs" / "runs" / run_id
    stdout = run_logs.read_lines(log_dir, "stdout")
    first = float(stdout[0].split()[-1])
    print(f"\nStartJobRun -> first line of user code (warm): {first - began:.3f} s")
    assert stdout[1:] == ["rows 7"]
    assert "Spark: warm start" in (log_dir / "run.log").read_text()
    assert list((supervised.home / "warehouse" / "warm" / "out").glob("part-*.parquet"))
    assert "SparkContext" in (log_dir / "spark.log").read_text() or (log_dir / "spark.log").exists()
    status, reply = supervised.call("GetJobRunMetrics", {"JobName": "warm", "RunId": run_id})
    assert status == 200, reply
    metrics = reply["Metrics"]
    assert metrics["RecordsWritten"] == 1000 and metrics["BytesWritten"] > 0
    assert metrics["RecordsRead"] >= 1000 and metrics["ExecutorRunTimeMs"] > 0
    assert metrics["Stages"] and all(s["DurationMs"] >= 0 and s["Name"] for s in metrics["Stages"])
    assert metrics["InProgress"] is False
    status, reply = supervised.call("GetJobRunMetrics", {"JobName": "warm"})
    assert status == 400 and reply["__type"] == "InvalidInputException"
    status, reply = supervised.call("GetJobRunMetrics", {"JobName": "warm", "RunId": "jr_none"})
    assert status == 400 and reply["__type"] == "EntityNotFoundException"


def test_the_cli_takes_a_warm_spare_too(supervised, tmp_path):
    """Any process that starts a run on this host hands it to a ready spare (here: the CLI's own)."""
    glue = supervised.client()
    _wait_for_spare(supervised.home)
    script = write_script(
        tmp_path, "hello.py", "from pyspark import SparkContext\nprint(SparkContext.getOrCreate().appName)\n"
    )
    _glue_job(glue, "cli_warm", script)
    out = run_gluelab(supervised.home, "jobs", "run", "cli_warm", "--follow").stdout
    assert "gluelab-warm" in out and "SUCCEEDED" in out  # the spare's Spark, already running
    run_id = glue.get_job_runs(JobName="cli_warm")["JobRuns"][0]["Id"]
    assert "Spark: warm start" in (supervised.home / "logs" / "runs" / run_id / "run.log").read_text()


def test_conf_makes_a_cold_start_and_a_spark_error_fails_the_run(supervised, tmp_path):
    glue = supervised.client()
    _glue_job(
        glue, "cold", write_script(tmp_path, "bad.py", CONF_AND_ERROR), WorkerType="G.1X", NumberOfWorkers=2
    )
    extra_jar = tmp_path / "extra-lib.jar"
    shutil.copy(driver_jars()[0], extra_jar)  # any real jar
    arguments = {
        "--conf": "spark.sql.shuffle.partitions=3",
        "--enable-metrics": "true",
        "--enable-spark-ui": "true",
        "--spark-event-logs-path": "s3://spark-logs/cold/",
        "--extra-jars": str(extra_jar),
    }
    run_id = glue.start_job_run(JobName="cold", Arguments=arguments)["JobRunId"]
    run = wait_run(glue.get_job_run, "cold", run_id)
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"].startswith("AnalysisException") and "no_such_table" in run["ErrorMessage"]
    log_dir = supervised.home / "logs" / "runs" / run_id
    assert run_logs.read_lines(log_dir, "stdout") == ["partitions 3", "extra jar True"]
    notes = (log_dir / "run.log").read_text()
    assert "cold start" in notes and "--conf: Spark configuration" in notes
    assert "Spark UI at http://" in notes
    copied = list((supervised.home / "warehouse" / "spark-logs" / "cold").iterdir())
    assert len(copied) == 1 and "SparkListenerApplicationStart" in copied[0].read_text()


def test_a_streaming_job_stops_and_restarts_without_reprocessing(supervised, tmp_path):
    glue = supervised.client()
    source, sink = tmp_path / "incoming", tmp_path / "sink"
    source.mkdir()
    sink.mkdir()
    arguments = {"--source": str(source), "--sink": str(sink), "--checkpoint": str(tmp_path / "checkpoint")}
    _glue_job(
        glue,
        "stream",
        write_script(tmp_path, "stream.py", STREAMING),
        "gluestreaming",
        DefaultArguments=arguments,
    )

    def seen() -> list[int]:
        return sorted(i for f in sink.glob("batch-*.json") for i in json.loads(f.read_text()))

    def run_until(expected: list[int]) -> None:
        run_id = glue.start_job_run(JobName="stream")["JobRunId"]
        until = time.monotonic() + 180
        while seen() != expected:
            assert time.monotonic() < until, f"sink has {seen()}, expected {expected}"
            state = glue.get_job_run(JobName="stream", RunId=run_id)["JobRun"]["JobRunState"]
            assert state in ("STARTING", "RUNNING"), state
            time.sleep(0.2)
        time.sleep(1.5)  # a few empty micro-batches go by
        glue.batch_stop_job_run(JobName="stream", JobRunIds=[run_id])
        run = wait_run(glue.get_job_run, "stream", run_id, timeout=60)
        assert run["JobRunState"] == "STOPPED", run

    (source / "a.json").write_text("\n".join(json.dumps({"id": i, "name": f"n{i}"}) for i in (1, 2, 3)))
    run_until([1, 2, 3])
    (source / "b.json").write_text("\n".join(json.dumps({"id": i, "name": f"n{i}"}) for i in (4, 5)))
    run_until([1, 2, 3, 4, 5])  # the restart reads b.json only: a.json is in the checkpoint


def test_runs_outlive_a_killed_supervisor_and_restart_reconciles(supervised, tmp_path):
    glue = supervised.client()
    gate = tmp_path / "gate"
    _glue_job(
        glue,
        "gated",
        write_script(tmp_path, "gated.py", GATED),
        "pythonshell",
        DefaultArguments={"--gate": str(gate)},
        ExecutionProperty={"MaxConcurrentRuns": 2},
    )
    survivor = glue.start_job_run(JobName="gated")["JobRunId"]
    victim = glue.start_job_run(JobName="gated")["JobRunId"]
    for run_id in (survivor, victim):
        wait_run(glue.get_job_run, "gated", run_id, ("RUNNING",))
    store = Store(f"sqlite:///{supervised.home / 'gluelab.db'}")
    with store.read() as session:
        pids = {r.run_id: r.pid for r in session.query(JobRunRow).filter(JobRunRow.job_name == "gated")}
    supervised.kill()  # the supervisor dies mid-run
    os.killpg(pids[victim], signal.SIGKILL)  # ... and so does one run, while nobody is watching
    gate.touch()  # the other one goes on and finishes on its own
    until = time.monotonic() + 30
    while alive(pids[survivor]):
        assert time.monotonic() < until
        time.sleep(0.1)
    supervised.start()
    until = time.monotonic() + 30
    while True:  # the restarted supervisor reconciles by itself: read the store, not through GetJobRun
        with store.read() as session:
            states = {r.run_id: (r.state, r.error_message) for r in session.query(JobRunRow)}
        if states[victim][0] != "RUNNING":
            break
        assert time.monotonic() < until, states
        time.sleep(0.2)
    store.dispose()
    assert states[survivor] == ("SUCCEEDED", None)
    assert states[victim][0] == "FAILED" and "ended without recording an outcome" in states[victim][1]
    assert not any(state in ("STARTING", "RUNNING", "STOPPING") for state, _ in states.values())
