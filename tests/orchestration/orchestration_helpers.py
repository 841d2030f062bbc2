"""Jobs, crawlers and waiting helpers for the trigger and workflow tests (python shell jobs and real
crawl processes: each starts in about a second)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gluelab.services import Services
from tests.jobs.runs_helpers import write_script

# Succeeds, unless the file named by --broken exists; prints its workflow arguments when it has them.
STEP = """
import os, sys
from awsglue.utils import getResolvedOptions
args = getResolvedOptions(sys.argv, ["JOB_NAME", "broken"])
print("job", args["JOB_NAME"], "run", args["JOB_RUN_ID"], flush=True)
if "--WORKFLOW_RUN_ID" in sys.argv:
    extra = getResolvedOptions(sys.argv, ["WORKFLOW_NAME", "WORKFLOW_RUN_ID"])
    print("workflow", extra["WORKFLOW_NAME"], extra["WORKFLOW_RUN_ID"], flush=True)
if os.path.exists(args["broken"]):
    raise RuntimeError(args["JOB_NAME"] + " is broken")
"""


def step_job(services: Services, folder: Path, name: str, broken: Path | None = None, **extra: Any) -> None:
    script = write_script(folder, "step.py", STEP)
    services.jobs.create_job(
        Name=name,
        Role="r",
        Command={"Name": "pythonshell", "ScriptLocation": script},
        DefaultArguments={"--broken": str(broken or folder / f"{name}.broken")},
        **extra,
    )


def landing_crawler(services: Services, name: str = "landing") -> None:
    folder = services.settings.warehouse_dir / "lake" / "landing"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-0.csv").write_text("id,amount\n1,10\n2,20\n")
    services.catalog.create_database(DatabaseInput={"Name": "lake"})
    services.crawlers.create_crawler(
        Name=name, Role="r", DatabaseName="lake", Targets={"S3Targets": [{"Path": "s3://lake/landing/"}]}
    )


def wait_for(check: Callable[[], Any], timeout: float = 90, what: str = "the condition") -> Any:
    until = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > until:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def finished_run(services: Services, workflow: str, run_id: str, timeout: float = 120) -> dict[str, Any]:
    last: dict[str, Any] = {}

    def done() -> dict[str, Any] | None:
        run = services.workflows.get_workflow_run(Name=workflow, RunId=run_id, IncludeGraph=True)["Run"]
        last.update(run)
        return run if run["Status"] in ("COMPLETED", "STOPPED", "ERROR") else None

    try:
        return wait_for(done, timeout, f"workflow run {run_id} to end")
    except AssertionError as error:
        detail = {k: last.get(k) for k in ("Status", "Statistics")}
        raise AssertionError(f"{error}: {detail}, jobs {job_states(last)}") from None


def nodes_by_name(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["Name"]: n for n in run["Graph"]["Nodes"]}


def job_states(run: dict[str, Any]) -> dict[str, list[str]]:
    """Job name → its runs' states in this workflow run (newest first)."""
    return {
        n["Name"]: [r["JobRunState"] for r in n["JobDetails"]["JobRuns"]]
        for n in run["Graph"]["Nodes"]
        if n["Type"] == "JOB"
    }


def job_runs(services: Services, job: str) -> list[dict[str, Any]]:
    return services.jobs.get_job_runs(JobName=job)["JobRuns"]
