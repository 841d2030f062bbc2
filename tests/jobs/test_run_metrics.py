"""Job-run metrics from a real Spark event log: written by a local Spark in a child process (event logging
must be configured when the context starts, so it cannot share the test session's SparkSession)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gluelab.jobs.metrics import read_metrics

SPARK_RUN = """
import sys
from pathlib import Path
from pyspark.sql import SparkSession, functions as F

base = Path(sys.argv[1])
spark = (
    SparkSession.builder.master("local[2]").appName("metrics-test")
    .config("spark.eventLog.enabled", "true")
    .config("spark.eventLog.dir", (base / "events").as_uri())
    .config("spark.eventLog.compress", "false")
    .config("spark.eventLog.rolling.enabled", "false")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.shuffle.partitions", "4")
    .getOrCreate()
)
spark.range(1000).withColumn("k", F.col("id") % 10).write.parquet(str(base / "parquet"))
rows = spark.read.parquet(str(base / "parquet")).filter(F.col("id") >= 100).groupBy("k").count().collect()
assert sorted(r["count"] for r in rows) == [90] * 10, rows
spark.range(100).write.csv(str(base / "csv"))
spark.stop()
"""

KEYS = {
    "RecordsRead",
    "BytesRead",
    "RecordsWritten",
    "BytesWritten",
    "ShuffleBytesRead",
    "ShuffleBytesWritten",
    "ExecutorRunTimeMs",
    "ExecutorCpuTimeMs",
    "JvmGcTimeMs",
    "Tasks",
    "FailedTasks",
    "Jobs",
    "Stages",
    "ApplicationId",
    "StartTime",
    "EndTime",
    "InProgress",
}


@pytest.fixture(scope="module")
def event_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The event-log directory of one real local Spark run (1,000 parquet rows, a shuffle, 100 CSV rows)."""
    from gluelab.runtime.java import require_java

    base = tmp_path_factory.mktemp("spark-run")
    (base / "events").mkdir()
    env = {**os.environ, "JAVA_HOME": str(require_java().home), "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run(
        [sys.executable, "-c", SPARK_RUN, str(base)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return base / "events"


def test_metrics_of_a_real_spark_run(event_log: Path) -> None:
    [log] = list(event_log.iterdir())
    m = read_metrics(event_log)
    assert set(m) == KEYS
    json.dumps(m)
    assert m["RecordsWritten"] == 1100  # 1,000 parquet rows + 100 CSV rows
    assert m["RecordsRead"] >= 1000
    assert m["BytesWritten"] > 0 and m["BytesRead"] > 0
    assert m["ShuffleBytesWritten"] > 0 and m["ShuffleBytesRead"] > 0
    assert m["Tasks"] > 0 and m["FailedTasks"] == 0
    assert m["Jobs"] >= 2
    assert m["ExecutorRunTimeMs"] > 0 and m["ExecutorCpuTimeMs"] > 0
    assert m["ApplicationId"] == log.name
    assert m["StartTime"] <= m["EndTime"]
    assert m["InProgress"] is False
    stages = m["Stages"]
    assert stages and [s["StageId"] for s in stages] == sorted(s["StageId"] for s in stages)
    assert all(s["DurationMs"] >= 0 and s["Name"] and s["Status"] == "SUCCEEDED" for s in stages)
    assert sum(s["RecordsWritten"] for s in stages) == m["RecordsWritten"]
    assert sum(s["BytesRead"] for s in stages) == m["BytesRead"]
    assert sum(s["Tasks"] for s in stages) == m["Tasks"]


def test_in_progress_log_with_a_truncated_last_line(event_log: Path, tmp_path: Path) -> None:
    [log] = list(event_log.iterdir())
    text = log.read_text()
    head, last = text.rstrip("\n").rsplit("\n", 1)
    (tmp_path / f"{log.name}.inprogress").write_text(head + "\n" + last[: len(last) // 2])
    (tmp_path / f"{log.name}.zstd").write_bytes(b"\x28\xb5\x2f\xfd not read")  # compressed: ignored

    m = read_metrics(tmp_path)
    assert m["InProgress"] is True
    assert m["ApplicationId"] == log.name
    assert m["EndTime"] is None  # the last event, ApplicationEnd, was cut in half
    assert m["Tasks"] == read_metrics(event_log)["Tasks"] > 0


def test_missing_or_empty_directory_gives_zero_metrics(tmp_path: Path) -> None:
    for directory in (tmp_path, tmp_path / "missing"):
        m = read_metrics(directory)
        assert set(m) == KEYS
        assert all(
            m[k] == 0 for k in KEYS - {"Stages", "ApplicationId", "StartTime", "EndTime", "InProgress"}
        )
        assert m["Stages"] == [] and m["ApplicationId"] is None
        assert m["StartTime"] is None and m["EndTime"] is None and m["InProgress"] is False


def test_a_warm_spares_warm_up_jobs_are_not_the_runs(tmp_path: Path) -> None:
    """Jobs in the warm-up job group (run by a spare before it gets a run) are left out."""
    from gluelab.jobs.metrics import WARMUP_GROUP

    def task(stage: int, records: int) -> dict:
        return {
            "Event": "SparkListenerTaskEnd",
            "Stage ID": stage,
            "Stage Attempt ID": 0,
            "Task End Reason": {"Reason": "Success"},
            "Task Metrics": {
                "Executor Run Time": 5,
                "Input Metrics": {"Records Read": records, "Bytes Read": 1},
            },
        }

    events = [
        {"Event": "SparkListenerApplicationStart", "App ID": "local-1", "Timestamp": 1},
        {
            "Event": "SparkListenerJobStart",
            "Job ID": 0,
            "Stage IDs": [0],
            "Properties": {"spark.jobGroup.id": WARMUP_GROUP},
        },
        task(0, 100),
        {"Event": "SparkListenerStageCompleted", "Stage Info": {"Stage ID": 0, "Stage Name": "warm-up"}},
        {"Event": "SparkListenerJobStart", "Job ID": 1, "Stage IDs": [1], "Properties": {}},
        task(1, 7),
        {"Event": "SparkListenerStageCompleted", "Stage Info": {"Stage ID": 1, "Stage Name": "the run's"}},
    ]
    (tmp_path / "local-1").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    metrics = read_metrics(tmp_path)
    assert metrics["Jobs"] == 1 and metrics["Tasks"] == 1 and metrics["RecordsRead"] == 7
    assert [s["Name"] for s in metrics["Stages"]] == ["the run's"]
