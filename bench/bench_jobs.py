"""Job-run benchmark (issue: jobs and job runs), ratios measured in one run:

1. StartJobRun -> the first line of user code with Spark ready, on a warm spare, vs a bare
   ``python script.py`` that builds its own SparkSession (launch -> the same line). Target <= 0.1x.
2. A trivial Spark job end to end (StartJobRun -> SUCCEEDED seen by a poller) vs the same script run bare
   (its process's wall time). Target <= 1.2x. Reported for a warm start and for a cold one.
3. Resident memory of one warm spare (its Python and Spark's JVM) and of the idle supervisor
   (``gluelab serve``). Targets <= 700 MB and <= 200 MB (10^6 bytes).

    .venv/bin/python bench/bench_jobs.py [--repeat 3]

Results also go to bench/results/jobs.json.
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

import boto3
import botocore.config
from rich.console import Console
from rich.table import Table

from common import results_path

console = Console()
RESULTS = results_path("jobs")
TARGET_WARM_READY = 0.1  # StartJobRun -> first line on a warm spare / bare launch -> first line
TARGET_END_TO_END = 1.2  # StartJobRun -> SUCCEEDED / the bare script's wall time
TARGET_SPARE_RSS_MB = 700  # one ready warm spare, Python and Spark's JVM (MB = 10^6 bytes)
TARGET_SUPERVISOR_RSS_MB = 200  # the idle ``gluelab serve``
SCRIPT = """
import time
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
print("ready", time.time(), flush=True)
print("count", spark.range(1000).selectExpr("id % 10 AS k").groupBy("k").count().count(), flush=True)
"""


def rss_bytes(pid: int, tree: bool) -> int:
    """Resident memory of ``pid`` (and, with ``tree``, of all its descendants), from /proc."""
    pids = [pid]
    if tree:
        children = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
        parents: dict[int, list[int]] = {}
        for line in children.split("\n"):
            if line.strip():
                child, parent = map(int, line.split())
                parents.setdefault(parent, []).append(child)
        i = 0
        while i < len(pids):
            pids += parents.get(pids[i], [])
            i += 1
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def wait_spare(home: Path, timeout: float = 300) -> int:
    """The pid of a ready warm spare (the pool writes ``ready`` in its folder)."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        for ready in (home / "logs" / "spares").glob("*/ready"):
            return int((ready.parent / "pid").read_text())
        time.sleep(0.1)
    raise SystemExit("no warm spare became ready")


def run_bare(script: Path, env: dict[str, str]) -> tuple[float, float]:
    """(launch -> ready line, wall time) of ``python script.py``."""
    started = time.time()
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, check=True)
    wall = time.time() - started
    ready = next(float(line.split()[1]) for line in out.stdout.splitlines() if line.startswith("ready"))
    return ready - started, wall


def run_gluelab(glue, home: Path, arguments: dict[str, str]) -> tuple[float, float, bool]:  # type: ignore[no-untyped-def]
    """(StartJobRun -> ready line, StartJobRun -> SUCCEEDED, warm?) of one run of the job ``bench``."""
    started = time.time()
    run_id = glue.start_job_run(JobName="bench", Arguments=arguments)["JobRunId"]
    while True:
        run = glue.get_job_run(JobName="bench", RunId=run_id)["JobRun"]
        if run["JobRunState"] not in ("STARTING", "RUNNING", "WAITING", "STOPPING"):
            break
        time.sleep(0.05)
    end = time.time() - started
    if run["JobRunState"] != "SUCCEEDED":
        raise SystemExit(f"run {run_id} {run['JobRunState']}: {run.get('ErrorMessage')}")
    folder = home / "logs" / "runs" / run_id
    ready = next(
        float(line.split()[1])
        for line in (folder / "stdout.log").read_text().splitlines()
        if line.startswith("ready")
    )
    return ready - started, end, "warm start" in (folder / "run.log").read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from gluelab.api.server import spawn_server
    from gluelab.runtime.java import require_java

    work = Path(tempfile.mkdtemp(prefix="gluelab-bench-jobs-"))
    home = work / "home"
    script = work / "trivial.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLUELAB_")}
    env.update(GLUELAB_HOME=str(home), GLUELAB_WARM_POOL_SIZE="1", JAVA_HOME=str(require_java().home))
    env["PYSPARK_PYTHON"] = sys.executable
    with open(work / "serve.out", "ab") as log:
        proc, info = spawn_server(home, env, log, 60)
    try:
        token = (home / "token").read_text().strip()
        glue = boto3.client(
            "glue",
            endpoint_url=info["url"],
            region_name="us-east-1",
            aws_access_key_id="gluelab",
            aws_secret_access_key=token,
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )
        glue.create_job(Name="bench", Role="r", Command={"Name": "glueetl", "ScriptLocation": str(script)})
        spare = wait_spare(home)
        time.sleep(3)  # let the spare and the supervisor settle
        spare_rss, supervisor_rss = rss_bytes(spare, tree=True), rss_bytes(proc.pid, tree=False)
        console.print(
            f"warm spare RSS {spare_rss / 1e6:.0f} MB, idle supervisor RSS {supervisor_rss / 1e6:.0f} MB"
        )

        samples: dict[str, list[float]] = {
            k: [] for k in ("bare_ready", "bare_wall", "warm_ready", "warm_end")
        }
        samples.update(cold_ready=[], cold_end=[])
        for i in range(args.repeat):
            # Each measure starts with the pool full and idle: a spare starting up would take the cores.
            wait_spare(home)
            ready, wall = run_bare(script, env)
            samples["bare_ready"].append(ready)
            samples["bare_wall"].append(wall)
            wait_spare(home)
            ready, end, warm = run_gluelab(glue, home, {})
            assert warm, "the run did not get the warm spare"
            samples["warm_ready"].append(ready)
            samples["warm_end"].append(end)
            wait_spare(home)
            ready, end, warm = run_gluelab(glue, home, {"--conf": f"spark.gluelab.bench={i}"})  # --conf: cold
            assert not warm
            samples["cold_ready"].append(ready)
            samples["cold_end"].append(end)
            console.print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in samples.items()))
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    med = {k: statistics.median(v) for k, v in samples.items()}
    rows = [
        ("StartJobRun -> first line, warm / bare", med["warm_ready"], med["bare_ready"], TARGET_WARM_READY),
        ("end to end, warm / bare", med["warm_end"], med["bare_wall"], TARGET_END_TO_END),
        ("end to end, cold / bare", med["cold_end"], med["bare_wall"], TARGET_END_TO_END),
        ("StartJobRun -> first line, cold / bare", med["cold_ready"], med["bare_ready"], None),
    ]
    table = Table("measure", "gluelab (s)", "bare (s)", "ratio", "target", title="job runs (medians)")
    report = {
        "repeat": args.repeat,
        "samples": samples,
        "spare_rss_bytes": spare_rss,
        "supervisor_rss_bytes": supervisor_rss,
        "targets": {"spare_rss_mb": TARGET_SPARE_RSS_MB, "supervisor_rss_mb": TARGET_SUPERVISOR_RSS_MB},
    }
    for name, ours, base, target in rows:
        ratio = ours / base
        verdict = "" if target is None else f"<= {target}x " + ("PASS" if ratio <= target else "MISSED")
        table.add_row(name, f"{ours:.3f}", f"{base:.3f}", f"{ratio:.3f}x", verdict)
        report[name] = {"gluelab": ours, "bare": base, "ratio": ratio, "target": target}
    table.add_row(
        "warm spare RSS (MB)",
        f"{spare_rss / 1e6:.0f}",
        "",
        "",
        f"<= {TARGET_SPARE_RSS_MB} " + ("PASS" if spare_rss <= TARGET_SPARE_RSS_MB * 1e6 else "MISSED"),
    )
    table.add_row(
        "idle supervisor RSS (MB)",
        f"{supervisor_rss / 1e6:.0f}",
        "",
        "",
        f"<= {TARGET_SUPERVISOR_RSS_MB} "
        + ("PASS" if supervisor_rss <= TARGET_SUPERVISOR_RSS_MB * 1e6 else "MISSED"),
    )
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
