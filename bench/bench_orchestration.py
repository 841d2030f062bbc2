"""Triggers and the scheduler (issue: triggers, workflows and the scheduler), measured in one run against a
real ``gluelab serve`` on SQLite (and PostgreSQL for GetJobRuns):

1. A conditional trigger: job A SUCCEEDED -> job B STARTING (B's StartedOn minus A's CompletedOn, both
   stored by gluelab), p50 over N chains. Baseline: the scheduler's poll interval, what the latency would
   be without the wake-up a finishing run sends. Target p50 <= 200 ms.
2. The idle scheduler with 1,000 activated SCHEDULED triggers (none due): CPU of ``gluelab serve`` over
   30 s, as a share of one core. Baseline: the same server with no triggers. Target <= 5 %.
3. GetJobRuns (a page of 100) with 100,000 runs stored, p95 over 200 calls through boto3. Baseline: the
   same with 100 runs stored. Target p95 <= 50 ms, on SQLite and on PostgreSQL.

    .venv/bin/python bench/bench_orchestration.py [--chains 15] [--no-postgres]

Results also go to bench/results/orchestration.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from common import results_path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.helpers import create_pg_database, drop_pg_database  # noqa: E402

console = Console()
RESULTS = results_path("orchestration")
TRIVIAL = "print('ok')\n"
TARGET_CONDITIONAL_MS = 200  # job A SUCCEEDED -> job B STARTING, p50
TARGET_IDLE_CPU = 0.05  # share of one core, idle scheduler with 1,000 activated scheduled triggers
TARGET_GET_JOB_RUNS_P95_MS = 50  # GetJobRuns page of 100 with 100,000 runs stored


class Server:
    """A ``gluelab serve`` on its own home (and database), with a boto3 client."""

    def __init__(self, work: Path, name: str, database_url: str | None = None):
        from gluelab.api.server import spawn_server

        self.home = work / name
        env = {k: v for k, v in os.environ.items() if not k.startswith("GLUELAB_")}
        env.update(GLUELAB_WARM_POOL_SIZE="0")
        if database_url:
            env["GLUELAB_DATABASE_URL"] = database_url
        self.log = open(work / f"{name}.out", "ab")  # noqa: SIM115
        self.proc, info = spawn_server(self.home, env, self.log, 60)
        token = (self.home / "token").read_text().strip()
        self.glue = boto3.client(
            "glue",
            endpoint_url=info["url"],
            region_name="us-east-1",
            aws_access_key_id="gluelab",
            aws_secret_access_key=token,
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def shell_job(glue: Any, name: str, script: Path) -> None:
    glue.create_job(Name=name, Role="r", Command={"Name": "pythonshell", "ScriptLocation": str(script)})


def wait(check: Any, timeout: float = 60) -> Any:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError("timed out")


def conditional_latency(work: Path, chains: int) -> dict[str, Any]:
    from gluelab.orchestration.scheduler import POLL_SECONDS

    server = Server(work, "chain")
    try:
        glue = server.glue
        script = work / "trivial.py"
        script.write_text(TRIVIAL)
        shell_job(glue, "a", script)
        shell_job(glue, "b", script)
        glue.create_trigger(Name="kick", Type="ON_DEMAND", Actions=[{"JobName": "a"}])
        glue.create_trigger(
            Name="then-b",
            Type="CONDITIONAL",
            StartOnCreation=True,
            Predicate={"Conditions": [{"LogicalOperator": "EQUALS", "JobName": "a", "State": "SUCCEEDED"}]},
            Actions=[{"JobName": "b"}],
        )
        latencies = []
        for n in range(chains):
            glue.start_trigger(Name="kick")
            b = wait(lambda n=n: len(glue.get_job_runs(JobName="b")["JobRuns"]) > n)
            b_run = glue.get_job_runs(JobName="b")["JobRuns"][0]
            a_run = next(
                r for r in glue.get_job_runs(JobName="a")["JobRuns"] if r["JobRunState"] == "SUCCEEDED"
            )
            assert b and b_run["PredecessorRuns"][0]["RunId"] == a_run["Id"]
            latencies.append((b_run["StartedOn"] - a_run["CompletedOn"]).total_seconds())
            wait(lambda: glue.get_job_runs(JobName="b")["JobRuns"][0]["JobRunState"] == "SUCCEEDED")
        p50 = statistics.median(latencies)
        return {
            "p50_s": p50,
            "max_s": max(latencies),
            "baseline_s": POLL_SECONDS,
            "ratio": p50 / POLL_SECONDS,
        }
    finally:
        server.stop()


def idle_cpu(work: Path, triggers: int, seconds: float) -> dict[str, Any]:
    def measure(name: str, count: int) -> float:
        server = Server(work, name)
        try:
            script = work / "trivial.py"
            script.write_text(TRIVIAL)
            shell_job(server.glue, "nightly", script)
            for i in range(count):
                server.glue.create_trigger(
                    Name=f"t{i:04d}",
                    Type="SCHEDULED",
                    Schedule=f"cron({i % 60} {i % 24} * * ? *)",
                    StartOnCreation=True,
                    Actions=[{"JobName": "nightly"}],
                )
            time.sleep(3)
            before, start = server.cpu_seconds(), time.monotonic()
            time.sleep(seconds)
            return (server.cpu_seconds() - before) / (time.monotonic() - start)
        finally:
            server.stop()

    busy = measure("idle-1000", triggers)
    empty = measure("idle-0", 0)
    return {"cpu_share": busy, "baseline_share": empty, "ratio": busy / empty if empty else None}


def fill_runs(server: Server, job: str, count: int) -> None:
    """``count`` finished runs of ``job``, bulk-inserted as rows the run lifecycle writes."""
    from gluelab.config import Settings
    from gluelab.store import Store
    from gluelab.store.models import JobRunRow

    settings = Settings.load(env={"GLUELAB_HOME": str(server.home), **_db_env(server)})
    store = Store(settings.database_url)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = []
    for i in range(count):
        began = start + dt.timedelta(minutes=i)
        rows.append(
            {
                "run_id": f"jr_{uuid.uuid4().hex}{uuid.uuid4().hex}",
                "job_name": job,
                "attempt": 0,
                "state": "SUCCEEDED" if i % 10 else "FAILED",
                "arguments": {"--day": began.date().isoformat()},
                "options": {"Timeout": 480, "JobType": "pythonshell", "MaxCapacity": 0.0625},
                "started_on": began,
                "last_modified_on": began + dt.timedelta(seconds=30),
                "running_on": began + dt.timedelta(seconds=1),
                "completed_on": began + dt.timedelta(seconds=30),
                "warm": False,
                "stop_requested": False,
                "metrics": {},
            }
        )
    with store.engine.begin() as conn:
        for offset in range(0, count, 5000):
            conn.execute(sa.insert(JobRunRow), rows[offset : offset + 5000])
    if not store.is_sqlite:
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE job_runs"))
    store.dispose()


def _db_env(server: Server) -> dict[str, str]:
    url = getattr(server, "database_url", None)
    return {"GLUELAB_DATABASE_URL": url} if url else {}


def get_job_runs_p95(work: Path, backend: str, calls: int) -> dict[str, Any]:
    url = create_pg_database() if backend == "postgresql" else None
    server = Server(work, f"runs-{backend}", url)
    server.database_url = url  # type: ignore[attr-defined]
    try:
        script = work / "trivial.py"
        script.write_text(TRIVIAL)
        for job, count in (("big", 100_000), ("small", 100)):
            shell_job(server.glue, job, script)
            fill_runs(server, job, count)
        out = {}
        for job in ("big", "small"):
            for _ in range(20):
                server.glue.get_job_runs(JobName=job, MaxResults=100)
            samples = []
            for _ in range(calls):
                t0 = time.perf_counter()
                page = server.glue.get_job_runs(JobName=job, MaxResults=100)
                samples.append(time.perf_counter() - t0)
            assert len(page["JobRuns"]) == 100 and "NextToken" in page or job == "small"
            samples.sort()
            out[job] = samples[int(round(0.95 * len(samples))) - 1] * 1000
        return {"p95_ms": out["big"], "baseline_p95_ms": out["small"], "ratio": out["big"] / out["small"]}
    finally:
        server.stop()
        if url:
            drop_pg_database(url)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chains", type=int, default=15)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gluelab-bench-orchestration-"))
    results: dict[str, Any] = {
        "config": {"chains": args.chains, "idle_seconds": args.idle_seconds, "calls": args.calls},
        "targets": {
            "conditional_p50_ms": TARGET_CONDITIONAL_MS,
            "idle_cpu_share": TARGET_IDLE_CPU,
            "get_job_runs_p95_ms": TARGET_GET_JOB_RUNS_P95_MS,
        },
    }
    console.print("conditional trigger latency ...")
    results["conditional"] = conditional_latency(work, args.chains)
    console.print("idle scheduler with 1,000 scheduled triggers ...")
    results["idle"] = idle_cpu(work, 1000, args.idle_seconds)
    for backend in ("sqlite", *(() if args.no_postgres else ("postgresql",))):
        console.print(f"GetJobRuns with 100,000 runs on {backend} ...")
        results[f"get_job_runs_{backend}"] = get_job_runs_p95(work, backend, args.calls)

    table = Table("measure", "gluelab / baseline", "ratio", "target", title="orchestration benchmarks")
    c = results["conditional"]
    table.add_row(
        "A SUCCEEDED -> B STARTING (conditional trigger), p50",
        f"{c['p50_s'] * 1000:.0f} ms (max {c['max_s'] * 1000:.0f})"
        f" / poll interval {c['baseline_s'] * 1000:.0f} ms",
        f"{c['ratio']:.2f}x",
        _verdict(c["p50_s"] * 1000 <= TARGET_CONDITIONAL_MS, f"<= {TARGET_CONDITIONAL_MS} ms"),
    )
    i = results["idle"]
    table.add_row(
        "idle scheduler CPU, 1,000 activated scheduled triggers",
        f"{i['cpu_share'] * 100:.2f} % of a core / {i['baseline_share'] * 100:.2f} % with none",
        f"{i['ratio']:.2f}x" if i["ratio"] else "",
        _verdict(i["cpu_share"] <= TARGET_IDLE_CPU, f"<= {TARGET_IDLE_CPU * 100:.0f} %"),
    )
    for key, label in (("get_job_runs_sqlite", "SQLite"), ("get_job_runs_postgresql", "PostgreSQL")):
        if key in results:
            r = results[key]
            table.add_row(
                f"GetJobRuns page of 100, 100,000 runs stored, p95 ({label})",
                f"{r['p95_ms']:.1f} ms / {r['baseline_p95_ms']:.1f} ms with 100 runs",
                f"{r['ratio']:.2f}x",
                _verdict(r["p95_ms"] <= TARGET_GET_JOB_RUNS_P95_MS, f"<= {TARGET_GET_JOB_RUNS_P95_MS} ms"),
            )
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    return 0


def _verdict(ok: bool, target: str) -> str:
    return f"{target}: {'PASS' if ok else 'MISSED'}"


if __name__ == "__main__":
    sys.exit(main())
