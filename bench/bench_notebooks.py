"""Notebook-job benchmark (issue: notebook jobs), measured in one run against a real ``gluelab serve`` with
one warm spare: the same trivial Spark code as a script job and as a notebook job (promoted, run by
papermill in the run process), each StartJobRun -> SUCCEEDED on a warm spare. Target: the notebook job
costs <= 1.5 s more per run (median of N alternating runs).

    .venv/bin/python bench/bench_notebooks.py [--repeat 5]

Results also go to bench/results/notebooks.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from rich.console import Console
from rich.table import Table

from bench_jobs import wait_spare
from common import glue_client, results_path

console = Console()
RESULTS = results_path("notebooks")
TARGET_EXTRA_S = 1.5  # notebook job - script job, StartJobRun -> SUCCEEDED, medians
CODE = [
    "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()",
    "rows = spark.range(1000).selectExpr('id % 10 AS k').groupBy('k').count().count()",
    "print('count', rows, flush=True)",
]


def timed_run(glue, home: Path, job: str) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    while True:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] not in ("STARTING", "RUNNING", "WAITING", "STOPPING"):
            break
        time.sleep(0.05)
    took = time.perf_counter() - started
    if run["JobRunState"] != "SUCCEEDED":
        raise SystemExit(f"{job} run {run_id} {run['JobRunState']}: {run.get('ErrorMessage')}")
    if "warm start" not in (home / "logs" / "runs" / run_id / "run.log").read_text():
        raise SystemExit(f"{job} run {run_id} did not get the warm spare")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from gluelab.api.server import spawn_server

    work = Path(tempfile.mkdtemp(prefix="gluelab-bench-notebooks-"))
    home = work / "home"
    script = work / "trivial.py"
    script.write_text("\n".join(CODE) + "\n")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "glue_pyspark_local", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(code) for code in CODE]
    nbformat.write(notebook, work / "trivial.ipynb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLUELAB_")}
    env.update(GLUELAB_HOME=str(home), GLUELAB_WARM_POOL_SIZE="1")
    with open(work / "serve.out", "ab") as log:
        proc, info = spawn_server(home, env, log, 60)
    try:
        token = (home / "token").read_text().strip()
        glue = glue_client(info["url"], token)
        glue.create_job(Name="script", Role="r", Command={"Name": "glueetl", "ScriptLocation": str(script)})
        os.environ["GLUELAB_HOME"] = str(home)
        from gluelab.services import open_services

        services = open_services()
        services.notebooks.promote_notebook(NotebookPath=str(work / "trivial.ipynb"), Name="notebook")
        services.close()
        times: dict[str, list[float]] = {"script": [], "notebook": []}
        for _ in range(args.repeat):
            for job in ("script", "notebook"):
                wait_spare(home)
                time.sleep(1)  # the spare settles
                times[job].append(timed_run(glue, home, job))
    finally:
        proc.terminate()
        proc.wait(30)
    script_s, notebook_s = statistics.median(times["script"]), statistics.median(times["notebook"])
    results = {
        "script_run_s": script_s,
        "notebook_run_s": notebook_s,
        "extra_s": notebook_s - script_s,
        "target_extra_s": TARGET_EXTRA_S,
        "repeat": args.repeat,
        "runs": times,
    }
    table = Table("measure", "value", "target", "")
    table.add_row("script job, warm, StartJobRun -> SUCCEEDED (median)", f"{script_s:.2f} s", "baseline", "")
    table.add_row("notebook job, warm, same code (median)", f"{notebook_s:.2f} s", "", "")
    ok = results["extra_s"] <= TARGET_EXTRA_S
    table.add_row(
        "notebook extra per run",
        f"{results['extra_s']:.2f} s",
        f"<= {TARGET_EXTRA_S} s",
        "PASS" if ok else "MISSED",
    )
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
