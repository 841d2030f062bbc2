"""The development endpoint (issue: development endpoint), measured in one run against a real
``gluelab serve`` with one warm session spare:

1. A trivial statement's round trip (submit, then poll until it is available, polling without pause),
   p50 over N statements, through Livy REST and through the Glue interactive-sessions API (boto3).
   Target p50 <= 20 ms over REST. And through the "Glue PySpark (local)" kernel (jupyter_client's
   execute until its reply), with the time its first Spark cell took (Spark starts in the kernel).
2. A new session ready (POST /sessions until ``idle``), warm (adopting the spare) and cold (pool empty),
   against a cold ``SparkSession.builder.getOrCreate()`` in a fresh interpreter. Target warm <= 0.2x.
3. Memory (RSS, with child processes): the server without sessions (target <= 200 MB) and an idle
   session (its Python process and Spark's JVM).

    .venv/bin/python bench/bench_sessions.py [--statements 50]

Results also go to bench/results/sessions.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import requests
from rich.console import Console
from rich.table import Table

from common import results_path

REPO = Path(__file__).resolve().parent.parent
console = Console()
RESULTS = results_path("sessions")
TARGET_ROUND_TRIP_MS = 20  # a trivial statement through Livy REST, p50
TARGET_WARM_RATIO = 0.2  # new session ready from a warm spare / cold getOrCreate in a fresh interpreter
TARGET_SERVER_RSS_MB = 200  # ``gluelab serve`` without sessions (MB = 10^6 bytes)
COLD_SPARK = (
    "import time; t = time.perf_counter()\n"
    "from pyspark.sql import SparkSession\n"
    "SparkSession.builder.master('local[2]').config('spark.ui.enabled', 'false').getOrCreate()"
    ".range(1).collect()\n"
    "print(time.perf_counter() - t)"
)


def rss_mb(pid: int, children: bool = True) -> float:
    process = psutil.Process(pid)
    members = [process, *(process.children(recursive=True) if children else [])]
    return sum(p.memory_info().rss for p in members) / 1e6


class Endpoint:
    def __init__(self, work: Path):
        from gluelab.api.server import spawn_server

        self.home = work / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("GLUELAB_")}
        env.update(GLUELAB_WARM_POOL_SIZE="0", GLUELAB_SESSION_POOL_SIZE="1")
        self.log = open(work / "serve.out", "ab")  # noqa: SIM115
        self.proc, info = spawn_server(self.home, env, self.log, 60)
        self.url = info["url"]
        self.token = (self.home / "token").read_text().strip()
        self.auth = ("gluelab", self.token)
        self.http = requests.Session()
        self.http.auth = self.auth

    def spare_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        root = self.home / "logs" / "session-spares"
        while not any((f / "ready").exists() for f in root.glob("*")):
            if time.monotonic() > deadline:
                raise SystemExit("no warm spare became ready")
            time.sleep(0.1)

    def new_session(self) -> tuple[int, float]:
        started = time.perf_counter()
        session = self.http.post(self.url + "/sessions", json={"kind": "pyspark"}).json()
        while self.http.get(f"{self.url}/sessions/{session['id']}").json()["state"] != "idle":
            time.sleep(0.01)
        return session["id"], time.perf_counter() - started

    def livy_round_trip(self, session: int) -> float:
        started = time.perf_counter()
        posted = self.http.post(f"{self.url}/sessions/{session}/statements", json={"code": "1"}).json()
        while (
            self.http.get(f"{self.url}/sessions/{session}/statements/{posted['id']}").json()["state"]
            != "available"
        ):
            pass
        return time.perf_counter() - started

    def close(self) -> None:
        for session in self.http.get(self.url + "/sessions").json()["sessions"]:
            self.http.delete(f"{self.url}/sessions/{session['id']}")
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def kernel_measures(work: Path, statements: int) -> dict[str, float]:
    """The local kernel: its first Spark cell (Spark starting in the kernel), then trivial cells."""
    from jupyter_client.manager import start_new_kernel

    env = {k: v for k, v in os.environ.items() if not k.startswith("GLUELAB_")}
    env["GLUELAB_HOME"] = str(work / "kernel-home")
    manager, client = start_new_kernel(kernel_name="glue_pyspark_local", env=env, startup_timeout=120)
    try:
        started = time.perf_counter()
        reply = client.execute_interactive("spark.range(1).count()", timeout=300, output_hook=lambda m: None)
        first = time.perf_counter() - started
        assert reply["content"]["status"] == "ok", reply["content"]
        times = []
        for i in range(statements + 5):
            started = time.perf_counter()
            client.execute_interactive("1", timeout=60, output_hook=lambda m: None)
            if i >= 5:
                times.append(time.perf_counter() - started)
        time.sleep(2)
        rss = rss_mb(manager.provisioner.process.pid)
    finally:
        client.stop_channels()
        manager.shutdown_kernel()
    return {
        "kernel_first_spark_cell_s": first,
        "kernel_round_trip_p50_ms": statistics.median(times) * 1000,
        "kernel_idle_rss_mb": rss,
    }


def glue_round_trip(glue: Any, session_id: str) -> float:
    started = time.perf_counter()
    statement_id = glue.run_statement(SessionId=session_id, Code="1")["Id"]
    while glue.get_statement(SessionId=session_id, Id=statement_id)["Statement"]["State"] != "AVAILABLE":
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=50)
    args = parser.parse_args()
    import boto3
    import botocore.config

    results: dict[str, Any] = {
        "statements": args.statements,
        "targets": {
            "livy_round_trip_p50_ms": TARGET_ROUND_TRIP_MS,
            "warm_vs_cold_getorcreate": TARGET_WARM_RATIO,
            "server_rss_mb": TARGET_SERVER_RSS_MB,
        },
    }
    with tempfile.TemporaryDirectory(prefix="gluelab-bench-sessions-") as tmp:
        endpoint = Endpoint(Path(tmp))
        try:
            time.sleep(2)
            results["server_rss_mb"] = rss_mb(endpoint.proc.pid, children=False)
            endpoint.spare_ready()
            time.sleep(3)  # the spare settles
            warm_id, warm = endpoint.new_session()
            # the pool refills after a take; drain it so the next session is cold
            root = endpoint.home / "logs" / "session-spares"
            time.sleep(1)
            deadline = time.monotonic() + 120
            while not any((f / "ready").exists() for f in root.glob("*")) and time.monotonic() < deadline:
                time.sleep(0.2)
            endpoint.new_session()  # takes the refilled spare
            _, cold = endpoint.new_session()  # none left: cold
            results.update(warm_ready_s=warm, cold_session_ready_s=cold)
            time.sleep(3)  # the warm session sits idle
            from gluelab.config import Settings
            from gluelab.services import Services
            from gluelab.store.models import SessionRow

            services = Services(Settings.load({"GLUELAB_HOME": str(endpoint.home)}))
            with services.store.read() as db:
                session_pid = db.get(SessionRow, warm_id).pid
            results["idle_session_rss_mb"] = rss_mb(session_pid)
            for _ in range(5):
                endpoint.livy_round_trip(warm_id)
            livy = [endpoint.livy_round_trip(warm_id) for _ in range(args.statements)]
            glue = boto3.client(
                "glue",
                endpoint_url=endpoint.url,
                region_name="us-east-1",
                aws_access_key_id="gluelab",
                aws_secret_access_key=endpoint.token,
                config=botocore.config.Config(retries={"max_attempts": 1}),
            )
            name = f"livy-{warm_id}"
            for _ in range(5):
                glue_round_trip(glue, name)
            glue_times = [glue_round_trip(glue, name) for _ in range(args.statements)]
            results["livy_round_trip_p50_ms"] = statistics.median(livy) * 1000
            results["glue_round_trip_p50_ms"] = statistics.median(glue_times) * 1000
            services.close()
        finally:
            endpoint.close()
        with tempfile.TemporaryDirectory(prefix="gluelab-bench-kernel-") as tmp:
            results.update(kernel_measures(Path(tmp), args.statements))
    out = subprocess.run([sys.executable, "-c", COLD_SPARK], capture_output=True, text=True, check=True)
    results["cold_getorcreate_s"] = float(out.stdout.strip().splitlines()[-1])
    results["warm_vs_cold_getorcreate"] = results["warm_ready_s"] / results["cold_getorcreate_s"]

    table = Table("measure", "value", "target", "")

    def row(name: str, value: str, target: str, ok: bool | None) -> None:
        table.add_row(name, value, target, "" if ok is None else ("PASS" if ok else "MISSED"))

    row(
        "trivial statement, Livy REST, p50",
        f"{results['livy_round_trip_p50_ms']:.1f} ms",
        f"<= {TARGET_ROUND_TRIP_MS} ms",
        results["livy_round_trip_p50_ms"] <= TARGET_ROUND_TRIP_MS,
    )
    row("trivial statement, Glue API (boto3), p50", f"{results['glue_round_trip_p50_ms']:.1f} ms", "", None)
    row(
        "trivial cell, local kernel (jupyter_client), p50",
        f"{results['kernel_round_trip_p50_ms']:.1f} ms",
        "",
        None,
    )
    row("local kernel: first Spark cell", f"{results['kernel_first_spark_cell_s']:.2f} s", "", None)
    row("new session ready, warm", f"{results['warm_ready_s']:.3f} s", "", None)
    row("new session ready, cold", f"{results['cold_session_ready_s']:.2f} s", "", None)
    row("cold getOrCreate (fresh interpreter)", f"{results['cold_getorcreate_s']:.2f} s", "baseline", None)
    row(
        "warm session / cold getOrCreate",
        f"{results['warm_vs_cold_getorcreate']:.3f}x",
        f"<= {TARGET_WARM_RATIO}x",
        results["warm_vs_cold_getorcreate"] <= TARGET_WARM_RATIO,
    )
    row(
        "server RSS, no sessions",
        f"{results['server_rss_mb']:.0f} MB",
        f"<= {TARGET_SERVER_RSS_MB} MB",
        results["server_rss_mb"] <= TARGET_SERVER_RSS_MB,
    )
    row("idle session RSS (Python + JVM)", f"{results['idle_session_rss_mb']:.0f} MB", "report", None)
    row("idle local kernel RSS (Python + JVM)", f"{results['kernel_idle_rss_mb']:.0f} MB", "report", None)
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
