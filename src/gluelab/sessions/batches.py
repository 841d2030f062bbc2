"""Livy batches as gluelab job runs. ``POST /batches`` makes a job named ``livy-batch-<id>`` (the Python
file as its script, the body's Spark settings as ``--conf`` and its files as Glue's special parameters)
and starts a run whose script gets the batch's ``args`` as its own ``sys.argv``; the batch's state,
log and kill are that run's. So batches are supervised, logged and listed like every other run.
A refused batch leaves no job behind (only its id is used up: Livy never reuses one)."""

from __future__ import annotations

import fcntl
import json
import re
from typing import Any

from ..errors import EntityNotFoundException, GlueError
from ..jobs import JobService
from ..jobs.arguments import POSITIONAL_ARGV
from ..jobs.logs import read_lines
from .spec import FORCED, LIVY_SPARK_FIELDS, LivyBodyError, check_livy_fields, plan

PREFIX = "livy-batch-"
BATCH_FIELDS = {"file": str, "className": str, "args": list, **LIVY_SPARK_FIELDS}
# Livy's file lists, as Glue's special parameters (plan() would make the first two Spark settings).
FILE_ARGUMENTS = {"pyFiles": "--extra-py-files", "jars": "--extra-jars", "files": "--extra-files"}
AS_ARGUMENTS = {"jars": "spark.jars", "pyFiles": "spark.submit.pyFiles"}
STATES = {
    "STARTING": "starting",
    "WAITING": "starting",
    "RUNNING": "running",
    "STOPPING": "running",
    "SUCCEEDED": "success",
    "FAILED": "dead",
    "ERROR": "dead",
    "TIMEOUT": "dead",
    "STOPPED": "killed",
}


def check_batch_body(body: Any) -> dict[str, Any]:
    check_livy_fields(body, BATCH_FIELDS)
    if not body.get("file"):
        raise LivyBodyError("Field file is required: the Python file the batch runs")
    if body.get("className") or not str(body["file"]).endswith(".py"):
        raise LivyBodyError("gluelab runs Python batches (a .py file); JVM classes and jars are not run")
    for key in ("args", "jars", "pyFiles", "files"):
        if not all(isinstance(v, str) for v in body.get(key) or []):
            raise LivyBodyError(f"Field {key} must be a list of strings")
    return {k: v for k, v in body.items() if v is not None}


def _lines(log_dir: str | None) -> list[str]:
    """A batch's log: gluelab's notes on the run, then what the script printed, then its errors."""
    if not log_dir:
        return []
    return [line for stream in ("run", "stdout", "stderr") for line in read_lines(log_dir, stream)]


def _job_name(batch_id: int) -> str:
    return f"{PREFIX}{batch_id}"


def _description(body: dict[str, Any]) -> str:
    """The job's Description: the batch's body as JSON, or (when that is longer than Glue's 2048
    characters) the fields a batch's answer shows."""
    full = json.dumps({"livy": body}, ensure_ascii=False)
    if len(full) <= 2048:
        return full
    return json.dumps({"livy": {k: body[k] for k in ("name", "proxyUser") if k in body}}, ensure_ascii=False)


def _described(description: str | None) -> dict[str, Any]:
    """The batch's body back from its job's Description ({} for a job that was not made by Livy)."""
    try:
        found = json.loads(description or "{}").get("livy", {})
    except (ValueError, AttributeError):
        return {}
    return found if isinstance(found, dict) else {}


class LivyBatches:
    def __init__(self, jobs: JobService):
        self.jobs = jobs

    def _ids(self) -> list[int]:
        ids: list[int] = []
        token = None
        while True:
            page = self.jobs.list_jobs({"NextToken": token} if token else {})
            ids += [int(m.group(1)) for n in page["JobNames"] if (m := re.fullmatch(rf"{PREFIX}(\d+)", n))]
            token = page.get("NextToken")
            if not token:
                return sorted(ids)

    def _next_id(self) -> int:
        """Livy never reuses a batch id, even after DELETE: the next one is kept in the run directory."""
        path = self.jobs.settings.run_dir / "livy-batch-next-id"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a+") as counter:
            fcntl.flock(counter, fcntl.LOCK_EX)
            counter.seek(0)
            text = counter.read().strip()
            batch_id = max(int(text) if text.isdigit() else 0, max(self._ids(), default=-1) + 1)
            counter.seek(0)
            counter.truncate()
            counter.write(str(batch_id + 1))
        return batch_id

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        body = check_batch_body(body)
        batch_id = self._next_id()
        session_plan = plan("livy", body, body.get("name") or _job_name(batch_id))
        conf = {**session_plan.spark.conf, **session_plan.runtime_conf}
        conf = {
            k: v
            for k, v in conf.items()
            if k not in FORCED and k not in ("spark.jars", "spark.submit.pyFiles")
        }
        arguments = {POSITIONAL_ARGV: json.dumps(body.get("args") or [])}
        if conf:
            arguments["--conf"] = " --conf ".join(f"{k}={v}" for k, v in conf.items())
        for field, argument in (
            ("pyFiles", "--extra-py-files"),
            ("jars", "--extra-jars"),
            ("files", "--extra-files"),
        ):
            if body.get(field):
                arguments[argument] = ",".join(body[field])
        self.jobs.create_job(
            {
                "Name": _job_name(batch_id),
                "Role": "livy",
                "Description": _description(body),
                "Command": {"Name": "glueetl", "ScriptLocation": body["file"], "PythonVersion": "3"},
                "DefaultArguments": arguments,
                "MaxRetries": 0,
            }
        )
        try:
            self.jobs.start_job_run({"JobName": _job_name(batch_id)})
        except GlueError:
            self.jobs.delete_job({"JobName": _job_name(batch_id)})  # a refusal changes nothing
            raise
        return self.get(batch_id)

    def _run(self, batch_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            job = self.jobs.get_job({"JobName": _job_name(batch_id)})["Job"]
            runs = self.jobs.get_job_runs({"JobName": _job_name(batch_id), "MaxResults": 1})["JobRuns"]
        except EntityNotFoundException:
            raise EntityNotFoundException(f"Batch session {batch_id} not found.") from None
        if not runs:
            raise EntityNotFoundException(f"Batch session {batch_id} not found.")
        return job, runs[0]

    def get(self, batch_id: int) -> dict[str, Any]:
        job, run = self._run(batch_id)
        body = _described(job.get("Description"))
        log_dir = self.jobs.run_context(run["Id"])["LogDir"]
        return {
            "id": batch_id,
            "name": body.get("name"),
            "owner": None,
            "proxyUser": body.get("proxyUser"),
            "state": STATES.get(run["JobRunState"], "running"),
            "appId": run["Id"],
            "appInfo": {"driverLogUrl": log_dir, "sparkUiUrl": None},
            "log": _lines(log_dir)[-10:],
        }

    def all(self) -> dict[str, Any]:
        batches = []
        for batch_id in self._ids():
            try:
                batches.append(self.get(batch_id))
            except EntityNotFoundException:
                continue  # deleted meanwhile
        return {"from": 0, "total": len(batches), "sessions": batches}

    def log(self, batch_id: int, start: int, size: int) -> dict[str, Any]:
        _, run = self._run(batch_id)
        lines = _lines(self.jobs.run_context(run["Id"])["LogDir"])
        return {"id": batch_id, "from": start, "total": len(lines), "log": lines[start : start + size]}

    def delete(self, batch_id: int) -> dict[str, Any]:
        """Livy kills the batch and forgets it: the run is stopped, then the job (and its runs) deleted."""
        self._run(batch_id)
        self.jobs.delete_job({"JobName": _job_name(batch_id)})  # an unfinished run is stopped
        return {"msg": "deleted"}
