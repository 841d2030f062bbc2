"""Job runs: StartJobRun, GetJobRun, GetJobRuns, BatchStopJobRun and gluelab's GetJobRunMetrics, and the
run lifecycle the executor and the run processes drive through the store.

A run is STARTING when accepted (or WAITING when its job is at ``MaxConcurrentRuns`` and queuing is on),
RUNNING once its process starts the user's code, then SUCCEEDED, FAILED, TIMEOUT or STOPPED (through
STOPPING). A FAILED attempt below ``MaxRetries`` makes the next attempt; a finished run lets the oldest
WAITING run of its job start. Every transition is a compare-and-set in one transaction, so the run
process, the supervisor and any CLI can record states without stepping on one another.
"""

from __future__ import annotations

import datetime as dt
import signal
import socket
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..catalog.common import utcnow
from ..errors import ConcurrentRunsExceededException, EntityNotFoundException, InvalidInputException
from ..events import record_event, wake_scheduler
from ..operations import glue_operation, gluelab_operation
from ..pagination import decode_token, encode_token
from ..runtime.paths import check_location, to_local
from ..runtime.spark import WORKER_TYPES
from ..store.models import JobRunRow
from . import logs as run_logs
from . import processes
from .arguments import check_arguments, check_locations, merge_arguments
from .definitions import MAX_TIMEOUT, SPARK_TYPES, normalise
from .metrics import read_metrics

ACTIVE = ("STARTING", "RUNNING", "STOPPING")  # these count against MaxConcurrentRuns
UNFINISHED = (*ACTIVE, "WAITING")
FINISHED = ("STOPPED", "SUCCEEDED", "FAILED", "TIMEOUT", "ERROR", "EXPIRED")
LOG_GROUP = "/aws-glue/jobs"
STOP_GRACE_SECONDS = 15.0  # a stopped run gets this long to end on SIGTERM before it is killed
ORPHAN_SECONDS = 120.0  # a STARTING run no process has claimed by then never will be
_RUN_OVERRIDES = ("Timeout", "WorkerType", "NumberOfWorkers", "MaxCapacity", "ExecutionClass")


def new_run_id() -> str:
    return "jr_" + uuid.uuid4().hex + uuid.uuid4().hex


def script_path(location: str, warehouse: Path) -> Path:
    """The local file of a ScriptLocation (s3:// in the warehouse, file:// or an absolute path); a relative
    one is refused (InvalidInputException), never taken from the server's working directory."""
    check_location(location, "ScriptLocation")
    return to_local(location, warehouse)


def deadline_of(row: JobRunRow) -> dt.datetime | None:
    """When a run's Timeout expires: its minutes counted from when the run was accepted or dequeued."""
    timeout = (row.options or {}).get("Timeout")
    begun = row.options.get("DequeuedOn") if row.options else None
    start = dt.datetime.fromisoformat(begun) if begun else row.started_on
    return None if not timeout else _aware(start) + dt.timedelta(minutes=timeout)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class JobRuns:
    """The job-run operations of JobService, and the lifecycle the executor drives."""

    # -- Glue operations -------------------------------------------------------------------------
    @glue_operation("StartJobRun")
    def start_job_run(self, request: dict[str, Any]) -> dict[str, Any]:
        run_id = self.begin_run(request["JobName"], request)
        self.executor.launch(run_id)
        return {"JobRunId": run_id}

    @glue_operation("GetJobRun")
    def get_job_run(self, request: dict[str, Any]) -> dict[str, Any]:
        self.executor.reconcile_for_reading()
        with self.store.read() as session:
            row = self._run(session, request["JobName"], request["RunId"])
            return {"JobRun": _run_shape(row)}

    @glue_operation("GetJobRuns")
    def get_job_runs(self, request: dict[str, Any]) -> dict[str, Any]:
        self.executor.reconcile_for_reading()
        name = request["JobName"]
        limit = request.get("MaxResults") or 100
        after = decode_token(request.get("NextToken"), f"runs:{name}", int)
        with self.store.read() as session:
            self._job_row(session, name)
            query = select(JobRunRow).where(JobRunRow.job_name == name)
            if after is not None:
                query = query.where(JobRunRow.id < after)
            rows = list(session.scalars(query.order_by(JobRunRow.id.desc()).limit(limit + 1)))
            more = len(rows) > limit
            token = {"NextToken": encode_token(f"runs:{name}", rows[limit - 1].id)} if more else {}
            return {"JobRuns": [_run_shape(r) for r in rows[:limit]], **token}

    @glue_operation("BatchStopJobRun")
    def batch_stop_job_run(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["JobName"]
        done, errors, to_signal = [], [], []
        with self.store.write() as session:
            self._job_row(session, name, for_update=True)
            for run_id in request["JobRunIds"]:
                row = self._find_run(session, run_id, for_update=True)
                if row is None or row.job_name != name:
                    errors.append(_stop_error(name, run_id, "EntityNotFoundException", "Job run not found"))
                    continue
                if row.state in FINISHED:
                    errors.append(
                        _stop_error(name, run_id, "InvalidInputException", f"Job run is {row.state}")
                    )
                    continue
                row.stop_requested = True
                row.last_modified_on = utcnow()
                if row.state == "WAITING":
                    _finish(row, "STOPPED", None)
                    if row.trigger_name or row.workflow_run_id:  # its end may move a workflow on
                        record_event(
                            session,
                            "JOB_RUN",
                            name=name,
                            run_id=run_id,
                            state="STOPPED",
                            workflow_run_id=row.workflow_run_id,
                        )
                else:
                    row.state = "STOPPING"
                    if row.pid and row.host == socket.gethostname():
                        to_signal.append(row.pid)
                done.append({"JobName": name, "JobRunId": run_id})
        for pid in to_signal:  # SIGTERM: the run stops its streams, records STOPPED and exits
            processes.signal_group(pid, signal.SIGTERM)
        return {"SuccessfulSubmissions": done, "Errors": errors}

    @gluelab_operation("GetJobRunMetrics", "JobName", "RunId")
    def get_job_run_metrics(self, request: dict[str, Any]) -> dict[str, Any]:
        """gluelab's own action: a run's metrics from its Spark event log (records and bytes read and
        written, shuffle, executor time, stages with durations); live while ``--enable-metrics`` runs."""
        with self.store.read() as session:
            row = self._run(session, request["JobName"], request["RunId"])
            metrics = dict(row.metrics or {})
            live = row.state in ACTIVE and row.event_log_dir and row.host == socket.gethostname()
            if live and Path(row.event_log_dir).is_dir():
                metrics = read_metrics(Path(row.event_log_dir))
            return {
                "JobName": row.job_name,
                "RunId": row.run_id,
                "JobRunState": row.state,
                "Metrics": metrics,
            }

    @gluelab_operation("GetJobRunLog", "JobName", "RunId", optional=("Stream", "Offset", "MaxBytes"))
    def get_job_run_log(self, request: dict[str, Any]) -> dict[str, Any]:
        """gluelab's own action: whole lines of one of a run's logs (``Stream``: run, stdout, stderr or
        spark; stdout by default) from byte ``Offset``; poll with ``NextOffset`` to follow a running job.
        ``Finished`` says the run has ended, so what is not read yet is all there will be."""
        stream = request.get("Stream", "stdout")
        if stream not in run_logs.STREAMS:
            choices = ", ".join(run_logs.STREAMS)
            raise InvalidInputException(f"Stream must be one of {choices}, not {stream!r}")
        offset, limit = run_logs.chunk_window(request)
        with self.store.read() as session:
            row = self._run(session, request["JobName"], request["RunId"])
            state, log_dir = row.state, row.log_dir
        lines, next_offset = run_logs.read_chunk(run_logs.log_path(log_dir, stream), offset, limit)
        return {
            "JobName": request["JobName"],
            "RunId": request["RunId"],
            "Stream": stream,
            "Lines": lines,
            "NextOffset": next_offset,
            "JobRunState": state,
            "Finished": state in FINISHED,
        }

    # -- starting and queuing --------------------------------------------------------------------
    def begin_run(self, job_name: str, request: dict[str, Any], trigger_name: str | None = None) -> str:
        """Record a new run of ``job_name`` (STARTING, or WAITING when queued); returns its id."""
        with self.store.write() as session:
            return self.add_run(session, job_name, request, trigger_name=trigger_name)

    def add_run(
        self,
        session: Session,
        job_name: str,
        request: dict[str, Any],
        *,
        trigger_name: str | None = None,
        workflow: tuple[str, str] | None = None,
        predecessors: list[dict[str, str]] | None = None,
    ) -> str:
        """``begin_run`` inside the caller's transaction (a trigger firing starts all its actions in one).
        ``workflow`` is (workflow name, workflow run id): the run gets ``--WORKFLOW_NAME`` and
        ``--WORKFLOW_RUN_ID``."""
        job_row = self._job_row(session, job_name, for_update=True)
        job = {"Name": job_row.name, **job_row.definition}
        previous = None
        if request.get("JobRunId"):
            previous = self._run(session, job_name, request["JobRunId"])
        base_arguments = dict(previous.arguments) if previous is not None else {}
        given = check_arguments(request.get("Arguments") or {})
        arguments = merge_arguments(job, {**base_arguments, **given})
        if workflow is not None:
            arguments.update({"--WORKFLOW_NAME": workflow[0], "--WORKFLOW_RUN_ID": workflow[1]})
        options = self._run_options(job, request, arguments)
        queuing = request.get("JobRunQueuingEnabled", job.get("JobRunQueuingEnabled", False))
        options["JobRunQueuingEnabled"] = bool(queuing)
        if predecessors:
            options["PredecessorRuns"] = predecessors
        state, detail = "STARTING", None
        if self._active(session, job_name) >= job["ExecutionProperty"]["MaxConcurrentRuns"]:
            if not queuing:
                raise ConcurrentRunsExceededException(f"Concurrent runs exceeded for {job_name}")
            state, detail = "WAITING", _waiting_detail(job)
        now = utcnow()
        run_id = new_run_id()
        session.add(
            JobRunRow(
                run_id=run_id,
                job_name=job_name,
                attempt=0 if previous is None else previous.attempt + 1,
                previous_run_id=None if previous is None else previous.run_id,
                trigger_name=trigger_name,
                workflow_run_id=None if workflow is None else workflow[1],
                state=state,
                state_detail=detail,
                arguments=arguments,
                options=options,
                started_on=now,
                last_modified_on=now,
                log_dir=str(self.settings.logs_dir / "runs" / run_id),
                metrics={},
            )
        )
        session.flush()
        return run_id

    def add_failed_start(
        self,
        session: Session,
        job_name: str,
        message: str,
        *,
        trigger_name: str,
        workflow_run_id: str | None = None,
        arguments: dict[str, str] | None = None,
    ) -> str:
        """A trigger could not start ``job_name`` (deleted, at its run limit, no script ...): the attempt
        is recorded as an ERROR run, so the workflow's graph and the job's runs show why."""
        now = utcnow()
        run_id = new_run_id()
        session.add(
            JobRunRow(
                run_id=run_id,
                job_name=job_name,
                attempt=0,
                trigger_name=trigger_name,
                workflow_run_id=workflow_run_id,
                state="ERROR",
                arguments=dict(arguments or {}),
                options={},
                started_on=now,
                last_modified_on=now,
                completed_on=now,
                error_message=message,
                metrics={},
            )
        )
        record_event(
            session, "JOB_RUN", name=job_name, run_id=run_id, state="ERROR", workflow_run_id=workflow_run_id
        )
        return run_id

    def _run_options(
        self, job: dict[str, Any], request: dict[str, Any], arguments: dict[str, str]
    ) -> dict[str, Any]:
        """The run's sizing and limits: the job's, overridden by the request's, checked as CreateJob's."""
        merged = dict(job)
        overrides = {k: request[k] for k in _RUN_OVERRIDES if request.get(k) is not None}
        if "WorkerType" in overrides or "NumberOfWorkers" in overrides:
            merged.pop("MaxCapacity", None)
        if "MaxCapacity" in overrides:
            merged.pop("WorkerType", None)
            merged.pop("NumberOfWorkers", None)
        merged.update(overrides)
        if merged.get("WorkerType") is not None and merged["WorkerType"] not in WORKER_TYPES:
            raise InvalidInputException(
                f"Unknown WorkerType {merged['WorkerType']!r}; one of: {', '.join(WORKER_TYPES)}"
            )
        if merged.get("Timeout") is not None and not 1 <= merged["Timeout"] <= MAX_TIMEOUT:
            raise InvalidInputException(
                f"Timeout must be 1 to {MAX_TIMEOUT} minutes, not {merged['Timeout']}"
            )
        checked = normalise({k: v for k, v in merged.items() if k != "Name"})
        check_locations(arguments)
        location = arguments.get("--scriptLocation") or checked["Command"]["ScriptLocation"]
        script = script_path(location, self.settings.warehouse_dir)
        if not script.is_file():
            raise InvalidInputException(f"The script {location} does not exist ({script})")
        options = {k: checked.get(k) for k in (*_RUN_OVERRIDES, "GlueVersion", "JobMode")}
        options.update(JobType=checked["Command"]["Name"], Script=str(script), ScriptLocation=location)
        if checked.get("WorkerType") and checked["Command"]["Name"] in SPARK_TYPES:
            dpu = {"G.025X": 0.25}.get(checked["WorkerType"], WORKER_TYPES[checked["WorkerType"]][0] / 4)
            options["MaxCapacity"] = dpu * checked["NumberOfWorkers"]
        return {k: v for k, v in options.items() if v is not None}

    @staticmethod
    def _active(session: Session, job_name: str) -> int:
        query = select(func.count()).where(JobRunRow.job_name == job_name, JobRunRow.state.in_(ACTIVE))
        return session.scalar(query) or 0

    def dequeue(self, job_name: str | None = None) -> list[str]:
        """Let WAITING runs start where their job has room (oldest first); returns the runs to launch."""
        started: list[str] = []
        with self.store.write() as session:
            query = select(JobRunRow.job_name).where(JobRunRow.state == "WAITING").distinct()
            if job_name is not None:
                query = query.where(JobRunRow.job_name == job_name)
            for name in sorted(session.scalars(query)):  # one order of job locks for every writer
                job = self._find_job(session, name, for_update=True)
                if job is None:
                    continue
                room = job.definition["ExecutionProperty"]["MaxConcurrentRuns"] - self._active(session, name)
                waiting = select(JobRunRow).where(JobRunRow.job_name == name, JobRunRow.state == "WAITING")
                for row in list(session.scalars(waiting.order_by(JobRunRow.id).limit(max(room, 0)))):
                    row.state, row.state_detail = "STARTING", None
                    row.last_modified_on = utcnow()
                    row.options = {**row.options, "DequeuedOn": row.last_modified_on.isoformat()}
                    started.append(row.run_id)
        return started

    # -- the run process's side --------------------------------------------------------------------
    def resolve_run_id(self, run_id: str) -> tuple[str, str]:
        """(job name, run id) of the run whose id is ``run_id`` or starts with it (for the CLI)."""
        with self.store.read() as session:
            exact = self._find_run(session, run_id)
            if exact is not None:
                return exact.job_name, exact.run_id
            pattern = run_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = select(JobRunRow).where(JobRunRow.run_id.like(pattern, escape="\\")).limit(2)
            rows = list(session.scalars(query))
        if len(rows) != 1:
            raise EntityNotFoundException(
                f"No job run {run_id}" if not rows else f"{run_id} names more than one job run"
            )
        return rows[0].job_name, rows[0].run_id

    def run_context(self, run_id: str) -> dict[str, Any]:
        """What a run process needs: the job, the run's arguments and options, its log directory."""
        with self.store.read() as session:
            row = self._find_run(session, run_id)
            if row is None:
                raise EntityNotFoundException(f"Job run {run_id} not found")
            job = self._find_job(session, row.job_name)
            return {
                "RunId": row.run_id,
                "JobName": row.job_name,
                "Attempt": row.attempt,
                "State": row.state,
                "Job": {"Name": row.job_name, **(job.definition if job is not None else {})},
                "Arguments": dict(row.arguments),
                "Options": dict(row.options),
                "LogDir": row.log_dir,
                "Deadline": deadline_of(row),
            }

    def claim_run(self, run_id: str, pid: int, warm: bool, event_log_dir: str | None) -> bool:
        """The process that will run ``run_id`` takes it; False when it is not STARTING or was stopped
        (then it is STOPPED) or another process has it."""
        with self.store.write() as session:
            row = self._find_run(session, run_id, for_update=True)
            if row is None or row.state != "STARTING" or row.pid is not None:
                return False
            if row.stop_requested:
                _finish(row, "STOPPED", None)
                return False
            row.pid, row.host, row.pid_started = pid, socket.gethostname(), processes.start_time(pid)
            row.warm, row.event_log_dir = warm, event_log_dir
            row.last_modified_on = utcnow()
            return True

    def mark_running(self, run_id: str) -> bool:
        """STARTING → RUNNING as user code begins; False when a stop came first."""
        with self.store.write() as session:
            row = self._find_run(session, run_id, for_update=True)
            if row is None or row.state != "STARTING":
                return False
            row.state = "RUNNING"
            row.running_on = row.last_modified_on = utcnow()
            return True

    def record_metrics(self, run_id: str, metrics: dict[str, Any]) -> None:
        with self.store.write() as session:
            row = self._find_run(session, run_id)
            if row is not None:
                row.metrics = metrics

    def finish_run(
        self, run_id: str, state: str, error: str | None = None, metrics: dict[str, Any] | None = None
    ) -> list[str]:
        """End an unfinished run (a second ending is ignored); returns the runs to launch now: its retry
        and the WAITING runs its end made room for."""
        retry = None
        with self.store.write() as session:
            row = self._find_run(session, run_id)
            if row is None:
                return []
            # Job, then run: the lock order of StartJobRun and dequeue; a second ending waits, then sees
            # the first and is ignored, so a failed attempt is retried once.
            self._find_job(session, row.job_name, for_update=True)
            row = self._find_run(session, run_id, for_update=True)
            if row is None or row.state in FINISHED:
                return []
            if row.stop_requested and state in ("SUCCEEDED", "FAILED"):
                state = "STOPPED"
            _finish(row, state, error)
            if metrics is not None:
                row.metrics = metrics
            job = self._find_job(session, row.job_name)
            if state == "FAILED" and job is not None and row.attempt < job.definition.get("MaxRetries", 0):
                retry = self._retry(session, row)
            job_name = row.job_name
            if retry is None and (row.trigger_name or row.workflow_run_id):
                record_event(
                    session,
                    "JOB_RUN",
                    name=job_name,
                    run_id=row.run_id,
                    state=state,
                    workflow_run_id=row.workflow_run_id,
                )
                notify = True
            else:
                notify = False
        if notify:
            wake_scheduler(self.settings)
        return ([retry] if retry else []) + self.dequeue(job_name)

    def _retry(self, session: Session, failed: JobRunRow) -> str:
        root = failed.run_id.split("_attempt_")[0]
        now = utcnow()
        run_id = f"{root}_attempt_{failed.attempt + 1}"
        waiting = self._active(session, failed.job_name) >= self._max_runs(session, failed.job_name)
        session.add(
            JobRunRow(
                run_id=run_id,
                job_name=failed.job_name,
                attempt=failed.attempt + 1,
                previous_run_id=failed.run_id,
                trigger_name=failed.trigger_name,
                workflow_run_id=failed.workflow_run_id,
                state="WAITING" if waiting else "STARTING",
                state_detail="Waiting for a free run slot of the job" if waiting else None,
                arguments=dict(failed.arguments),
                options={k: v for k, v in failed.options.items() if k != "DequeuedOn"},
                started_on=now,
                last_modified_on=now,
                log_dir=str(self.settings.logs_dir / "runs" / run_id),
                metrics={},
            )
        )
        return run_id

    def _max_runs(self, session: Session, job_name: str) -> int:
        job = self._find_job(session, job_name)
        return 1 if job is None else job.definition["ExecutionProperty"]["MaxConcurrentRuns"]

    def unfinished_runs(self) -> list[dict[str, Any]]:
        """Every unfinished run on this host, with what the supervisor checks (pid, deadline ...)."""
        host = socket.gethostname()
        with self.store.read() as session:
            rows = session.scalars(select(JobRunRow).where(JobRunRow.state.in_(ACTIVE)))
            return [
                {
                    "RunId": r.run_id,
                    "JobName": r.job_name,
                    "State": r.state,
                    "Pid": r.pid,
                    "PidStarted": r.pid_started,
                    "Deadline": deadline_of(r),
                    "LastModifiedOn": _aware(r.last_modified_on),
                    "StartedOn": _aware(r.started_on),
                    "LogDir": r.log_dir,
                }
                for r in rows
                if r.host in (None, host)
            ]

    def delete_runs(self, session: Session, job_name: str) -> list[int]:
        """DeleteJob's part: the job's runs go; returns the pids of unfinished ones on this host."""
        pids = []
        for row in list(session.scalars(select(JobRunRow).where(JobRunRow.job_name == job_name))):
            if row.state in ACTIVE and row.pid and row.host == socket.gethostname():
                pids.append(row.pid)
            session.delete(row)
        return pids

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _find_run(session: Session, run_id: str, for_update: bool = False) -> JobRunRow | None:
        """``for_update``: locked until the transaction ends (and read afresh), for state changes."""
        query = select(JobRunRow).where(JobRunRow.run_id == run_id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return session.scalar(query)

    def _run(self, session: Session, job_name: str, run_id: str) -> JobRunRow:
        self._job_row(session, job_name)
        row = self._find_run(session, run_id)
        if row is None or row.job_name != job_name:
            raise EntityNotFoundException(f"Job run {run_id} of job {job_name} not found")
        return row


def _finish(row: JobRunRow, state: str, error: str | None) -> None:
    now = utcnow()
    row.state = state
    row.completed_on = row.last_modified_on = now
    row.state_detail = None
    if error:
        row.error_message = error[:20000]


def _waiting_detail(job: dict[str, Any]) -> str:
    limit = job["ExecutionProperty"]["MaxConcurrentRuns"]
    return f"Waiting: {limit} run(s) of job {job['Name']} already running (MaxConcurrentRuns {limit})"


def _stop_error(job_name: str, run_id: str, code: str, message: str) -> dict[str, Any]:
    detail = {"ErrorCode": code, "ErrorMessage": message}
    return {"JobName": job_name, "JobRunId": run_id, "ErrorDetail": detail}


def _run_shape(row: JobRunRow) -> dict[str, Any]:
    options = row.options or {}
    shape: dict[str, Any] = {
        "Id": row.run_id,
        "Attempt": row.attempt,
        "PreviousRunId": row.previous_run_id,
        "TriggerName": row.trigger_name,
        "JobName": row.job_name,
        "JobMode": options.get("JobMode", "SCRIPT"),
        "JobRunQueuingEnabled": options.get("JobRunQueuingEnabled", False),
        "StartedOn": row.started_on,
        "LastModifiedOn": row.last_modified_on,
        "CompletedOn": row.completed_on,
        "JobRunState": row.state,
        "Arguments": dict(row.arguments),
        "ErrorMessage": row.error_message,
        "PredecessorRuns": list(options.get("PredecessorRuns") or []),
        "ExecutionTime": _execution_time(row),
        "Timeout": options.get("Timeout"),
        "MaxCapacity": options.get("MaxCapacity"),
        "WorkerType": options.get("WorkerType"),
        "NumberOfWorkers": options.get("NumberOfWorkers"),
        "LogGroupName": LOG_GROUP,
        "GlueVersion": options.get("GlueVersion"),
        "ExecutionClass": options.get("ExecutionClass"),
        "StateDetail": row.state_detail,
    }
    return {k: v for k, v in shape.items() if v is not None}


def _execution_time(row: JobRunRow) -> int:
    if row.running_on is None:
        return 0
    end = _aware(row.completed_on) if row.completed_on else utcnow()
    return max(0, int(round((end - _aware(row.running_on)).total_seconds())))
