"""Scripts and waiting helpers for the job-run tests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

FINISHED = ("STOPPED", "SUCCEEDED", "FAILED", "TIMEOUT", "ERROR", "EXPIRED")

# A python shell script that waits for a gate file (so a test decides when a run ends), prints its
# arguments and fails when asked to.
GATED = """
import os, sys, time
from awsglue.utils import getResolvedOptions
args = getResolvedOptions(sys.argv, ["JOB_NAME", "gate"])
print("started", args["JOB_RUN_ID"], flush=True)
while not os.path.exists(args["gate"]):
    time.sleep(0.05)
print("gate open", flush=True)
"""

# Fails on its first attempt (it leaves a marker), succeeds on the next.
FLAKY = """
import os, sys
from awsglue.utils import getResolvedOptions
args = getResolvedOptions(sys.argv, ["marker"])
if not os.path.exists(args["marker"]):
    open(args["marker"], "w").close()
    raise RuntimeError("first attempt fails")
print("second attempt succeeds")
"""


def write_script(folder: Path, name: str, text: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return str(path)


def wait_run(
    get: Any, job: str, run_id: str, states: tuple[str, ...] = FINISHED, timeout: float = 120
) -> dict:
    """Poll GetJobRun (a service method or a boto3 client's) until the run is in one of ``states``."""
    until = time.monotonic() + timeout
    while True:
        run = get(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] in states:
            return run
        if time.monotonic() > until:
            raise AssertionError(f"run {run_id} still {run['JobRunState']} after {timeout} s")
        time.sleep(0.1)
