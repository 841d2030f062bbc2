"""A Glue script on a real Spark standalone cluster (master and worker from pyspark's own jars, on
loopback), through ``gluelab run --master spark://127.0.0.1:<port>``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pyspark
import pytest

from gluelab.runtime.java import require_java
from tests.helpers import gluelab_env

pytestmark = pytest.mark.slow
SCRIPTS = Path(__file__).parent / "scripts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited early: {log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(log.read_text()[-3000:])


@pytest.fixture
def cluster(tmp_path: Path):
    spark_home = Path(pyspark.__file__).parent
    env = {
        **os.environ,
        "SPARK_HOME": str(spark_home),
        "JAVA_HOME": str(require_java().home),
        "SPARK_LOG_DIR": str(tmp_path / "logs"),
        "SPARK_WORKER_DIR": str(tmp_path / "work"),
        "PYSPARK_PYTHON": sys.executable,
    }
    spark_class = str(spark_home / "bin" / "spark-class")
    port, worker_ui, master_ui = free_port(), free_port(), free_port()
    master_log, worker_log = tmp_path / "master.log", tmp_path / "worker.log"
    with master_log.open("w") as out:
        master = subprocess.Popen(
            [
                spark_class,
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--webui-port",
                str(master_ui),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    procs = [master]
    try:
        wait_for_port(port, master, master_log)
        with worker_log.open("w") as out:
            worker = subprocess.Popen(
                [
                    spark_class,
                    "org.apache.spark.deploy.worker.Worker",
                    f"spark://127.0.0.1:{port}",
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    "2",
                    "--memory",
                    "4g",
                    "--webui-port",
                    str(worker_ui),
                    "--work-dir",
                    str(tmp_path / "work"),
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        procs.append(worker)
        deadline = time.monotonic() + 120
        while "Successfully registered with master" not in worker_log.read_text():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError(worker_log.read_text()[-3000:])
            time.sleep(0.5)
        yield f"spark://127.0.0.1:{port}"
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_a_glue_script_runs_on_a_standalone_cluster(cluster, tmp_path):
    home = tmp_path / "home"
    source = home / "warehouse" / "raw" / "numbers"
    source.mkdir(parents=True)
    (source / "n.csv").write_text("id,v\n" + "".join(f"{i},{i}\n" for i in range(100)))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gluelab",
            "run",
            "--master",
            cluster,
            "--worker-type",
            "G.025X",
            "--number-of-workers",
            "2",
            str(SCRIPTS / "cluster_job.py"),
            "--JOB_NAME",
            "cluster",
            "--source",
            "s3://raw/numbers/",
            "--target",
            "s3://curated/numbers/",
        ],
        env=gluelab_env(home),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-5000:]
    assert f"master: {cluster}; executors: 1; rows: 50" in result.stdout
    rows = ds.dataset(home / "warehouse" / "curated" / "numbers", format="parquet").to_table().to_pylist()
    assert sorted(r["id"] for r in rows) == list(range(50, 100))
    # Spark's own s3:// reader and writer on the executors; the paths Spark reports stay s3://.
    assert "spark read 50 rows from ['s3://curated/numbers']" in result.stdout
    doubled = ds.dataset(home / "warehouse" / "curated" / "numbers_doubled", format="parquet").to_table()
    assert sorted(doubled.column("doubled").to_pylist()) == [2.0 * v for v in range(50, 100)]
