"""Job definitions: CreateJob, UpdateJob (which replaces the whole definition, as Glue's does), GetJob,
GetJobs, ListJobs, BatchGetJobs and DeleteJob, with Glue's defaults and the checks Glue makes."""

from __future__ import annotations

import signal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..catalog.common import utcnow
from ..config import Settings
from ..errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException
from ..operations import glue_operation
from ..pagination import page_by_name
from ..runtime.glue_versions import DEFAULT_GLUE_VERSION
from ..runtime.paths import check_location
from ..store import Store
from ..store.models import JobRow
from .arguments import check_locations
from .processes import signal_group

JOB_TYPES = ("glueetl", "pythonshell", "gluestreaming")
SPARK_TYPES = ("glueetl", "gluestreaming")
PYTHON_SHELL_CAPACITIES = (0.0625, 1.0)
MAX_TIMEOUT = 10080  # minutes: Glue's limit is below 7 days


def default_timeout(glue_version: str | None) -> int:
    """Minutes: 2,880 (48 h) for Glue 4.0 and earlier, 480 (8 h) for 5.0 and later."""
    try:
        major = float(glue_version or DEFAULT_GLUE_VERSION)
    except ValueError:
        return 480
    return 2880 if major < 5 else 480


def normalise(definition: dict[str, Any]) -> dict[str, Any]:
    """A CreateJob/JobUpdate definition checked and completed with Glue's defaults; raises
    InvalidInputException for what Glue refuses."""
    job = {k: v for k, v in definition.items() if v is not None}
    command = dict(job.get("Command") or {})
    kind = command.get("Name") or "glueetl"
    if kind == "glueray":
        raise InvalidInputException("Ray jobs (glueray) cannot run in gluelab; use glueetl or pythonshell")
    if kind not in JOB_TYPES:
        raise InvalidInputException(
            f"Command.Name {kind!r} is not a job type gluelab runs; one of: {', '.join(JOB_TYPES)}"
        )
    if not command.get("ScriptLocation"):
        raise InvalidInputException("Command.ScriptLocation is required")
    check_location(command["ScriptLocation"], "Command.ScriptLocation")
    command["Name"] = kind
    command.setdefault("PythonVersion", "3.9" if kind == "pythonshell" else "3")
    job["Command"] = command
    job.setdefault("GlueVersion", DEFAULT_GLUE_VERSION)
    timeout = job.setdefault("Timeout", default_timeout(job["GlueVersion"]))
    if timeout > MAX_TIMEOUT:
        raise InvalidInputException(f"Timeout must be at most {MAX_TIMEOUT} minutes, not {timeout}")
    job.setdefault("MaxRetries", 0)
    if job["MaxRetries"] < 0:
        raise InvalidInputException("MaxRetries must not be negative")
    execution = dict(job.get("ExecutionProperty") or {})
    execution.setdefault("MaxConcurrentRuns", 1)
    if execution["MaxConcurrentRuns"] < 1:
        raise InvalidInputException("ExecutionProperty.MaxConcurrentRuns must be at least 1")
    job["ExecutionProperty"] = execution
    job.setdefault("JobMode", "SCRIPT")
    job.setdefault("ExecutionClass", "STANDARD")
    if job["ExecutionClass"] == "FLEX" and kind != "glueetl":
        raise InvalidInputException("ExecutionClass FLEX is only for glueetl jobs")
    _check_capacity(job, kind)
    for key in ("DefaultArguments", "NonOverridableArguments"):
        for name in job.get(key) or {}:
            if not name.startswith("--"):
                raise InvalidInputException(f"{key} names start with --: {name!r}")
        check_locations(job.get(key) or {}, key)
    return job


def _check_capacity(job: dict[str, Any], kind: str) -> None:
    worker, count, capacity = job.get("WorkerType"), job.get("NumberOfWorkers"), job.get("MaxCapacity")
    if (worker is None) != (count is None):
        raise InvalidInputException("WorkerType and NumberOfWorkers go together: give both or neither")
    if worker is not None and capacity is not None:
        raise InvalidInputException("Give MaxCapacity or WorkerType and NumberOfWorkers, not both")
    if kind == "pythonshell":
        if worker is not None:
            raise InvalidInputException("Python shell jobs take MaxCapacity (0.0625 or 1), not WorkerType")
        job.setdefault("MaxCapacity", 0.0625)
        if job["MaxCapacity"] not in PYTHON_SHELL_CAPACITIES:
            raise InvalidInputException("A Python shell job's MaxCapacity is 0.0625 or 1")
        return
    if worker is None and capacity is None:
        job["WorkerType"], job["NumberOfWorkers"] = "G.1X", 10  # Glue's console default
    if count is not None and count < 1:
        raise InvalidInputException("NumberOfWorkers must be at least 1")
    if worker == "Z.2X":
        raise InvalidInputException("WorkerType Z.2X is for Ray jobs, which gluelab cannot run")
    if worker == "G.025X" and kind != "gluestreaming":
        raise InvalidInputException("WorkerType G.025X is only for streaming jobs")


class JobDefinitions:
    """The job-definition operations of JobService."""

    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings

    @glue_operation("CreateJob")
    def create_job(self, request: dict[str, Any]) -> dict[str, Any]:
        fields = {k: v for k, v in request.items() if k not in ("Name", "Tags")}
        definition = normalise(fields)
        now = utcnow()
        with self.store.write() as session:
            if self._find_job(session, request["Name"]) is not None:
                raise AlreadyExistsException(f"Job {request['Name']} already exists")
            session.add(
                JobRow(
                    name=request["Name"],
                    definition=definition,
                    tags=request.get("Tags") or {},
                    created_on=now,
                    last_modified_on=now,
                )
            )
        return {"Name": request["Name"]}

    @glue_operation("UpdateJob")
    def update_job(self, request: dict[str, Any]) -> dict[str, Any]:
        definition = normalise(dict(request["JobUpdate"]))
        with self.store.write() as session:
            row = self._job_row(session, request["JobName"])
            row.definition = definition
            row.last_modified_on = utcnow()
        return {"JobName": request["JobName"]}

    @glue_operation("GetJob")
    def get_job(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.read() as session:
            return {"Job": _job_shape(self._job_row(session, request["JobName"]))}

    @glue_operation("GetJobs")
    def get_jobs(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.read() as session:
            rows, token = self._page(session, request)
            return {"Jobs": [_job_shape(r) for r in rows], **token}

    @glue_operation("ListJobs")
    def list_jobs(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.read() as session:
            rows, token = self._page(session, request, request.get("Tags") or {})
            return {"JobNames": [r.name for r in rows], **token}

    @glue_operation("BatchGetJobs")
    def batch_get_jobs(self, request: dict[str, Any]) -> dict[str, Any]:
        found, missing = [], []
        with self.store.read() as session:
            for name in request["JobNames"]:
                row = self._find_job(session, name)
                if row is None:
                    missing.append(name)
                else:
                    found.append(_job_shape(row))
        return {"Jobs": found, "JobsNotFound": missing}

    @glue_operation("DeleteJob")
    def delete_job(self, request: dict[str, Any]) -> dict[str, Any]:
        """As on Glue, deleting a job that does not exist succeeds. The job's runs go with it; unfinished
        ones are stopped."""
        pids: list[int] = []
        with self.store.write() as session:
            row = self._find_job(session, request["JobName"])
            if row is not None:
                pids = self.delete_runs(session, row.name)  # type: ignore[attr-defined]
                session.delete(row)
        for pid in pids:
            signal_group(pid, signal.SIGTERM)
        return {"JobName": request["JobName"]}

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _find_job(session: Session, name: str, for_update: bool = False) -> JobRow | None:
        query = select(JobRow).where(JobRow.name == name)
        return session.scalar(query.with_for_update() if for_update else query)

    def _job_row(self, session: Session, name: str, for_update: bool = False) -> JobRow:
        row = self._find_job(session, name, for_update)
        if row is None:
            raise EntityNotFoundException(f"Job with name: {name} not found.")
        return row

    def _page(
        self, session: Session, request: dict[str, Any], tags: dict[str, str] | None = None
    ) -> tuple[list[JobRow], dict[str, Any]]:
        return page_by_name(session, JobRow, request, "jobs", tags)


def _job_shape(row: JobRow) -> dict[str, Any]:
    return {
        "Name": row.name,
        **row.definition,
        "CreatedOn": row.created_on,
        "LastModifiedOn": row.last_modified_on,
    }
