"""WorkflowService: workflows (Create/Get/Update/Delete, ListWorkflows, BatchGetWorkflows) and their runs
(StartWorkflowRun, GetWorkflowRun(s) with their graph and statistics, Get/PutWorkflowRunProperties,
ResumeWorkflowRun, StopWorkflowRun), as Glue shapes them.

A workflow is its triggers (CreateTrigger with WorkflowName) and the jobs and crawlers they start or
watch. A run freezes the triggers as they were when it started; the engine moves it along.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..catalog.common import utcnow
from ..config import Settings
from ..crawler.service import CRAWL_STATES
from ..crawler.service import LOG_GROUP as CRAWL_LOG_GROUP
from ..errors import (
    AlreadyExistsException,
    ConcurrentRunsExceededException,
    EntityNotFoundException,
    IllegalWorkflowStateException,
    InvalidInputException,
)
from ..events import wake_scheduler
from ..jobs.runs import ACTIVE, _run_shape
from ..operations import glue_operation
from ..pagination import decode_token, encode_token, page_by_name
from ..store import Store
from ..store.models import CrawlRow, JobRunRow, TriggerFiringRow, TriggerRow, WorkflowRow, WorkflowRunRow
from . import graph
from .engine import Engine, Launch, new_workflow_run_id

MAX_DESCRIPTION = 120000
_STATISTICS = {
    "SUCCEEDED": "SucceededActions",
    "FAILED": "FailedActions",
    "STOPPED": "StoppedActions",
    "TIMEOUT": "TimeoutActions",
    "ERROR": "ErroredActions",
    "WAITING": "WaitingActions",
    "STARTING": "RunningActions",
    "RUNNING": "RunningActions",
    "STOPPING": "RunningActions",
}
_CRAWL_STATISTICS = {"COMPLETED": "SucceededActions", "FAILED": "FailedActions", "STOPPED": "StoppedActions"}


def workflow_triggers(session: Session, workflow_name: str) -> list[dict[str, Any]]:
    from .triggers import trigger_shape

    query = select(TriggerRow).where(TriggerRow.workflow_name == workflow_name).order_by(TriggerRow.id)
    return [trigger_shape(r) for r in session.scalars(query)]


class WorkflowService:
    """Every workflow operation, one method each (see ``gluelab.operations``)."""

    def __init__(self, store: Store, settings: Settings, engine: Engine):
        self.store = store
        self.settings = settings
        self.engine = engine

    # -- workflows ---------------------------------------------------------------------------------
    @glue_operation("CreateWorkflow")
    def create_workflow(self, request: dict[str, Any]) -> dict[str, Any]:
        _check(request)
        now = utcnow()
        with self.store.write() as session:
            if self._find(session, request["Name"]) is not None:
                raise AlreadyExistsException(f"Workflow with name {request['Name']} already exists")
            session.add(
                WorkflowRow(
                    name=request["Name"],
                    description=request.get("Description"),
                    default_run_properties=dict(request.get("DefaultRunProperties") or {}),
                    max_concurrent_runs=request.get("MaxConcurrentRuns"),
                    tags=dict(request.get("Tags") or {}),
                    created_on=now,
                    last_modified_on=now,
                )
            )
        return {"Name": request["Name"]}

    @glue_operation("UpdateWorkflow")
    def update_workflow(self, request: dict[str, Any]) -> dict[str, Any]:
        _check(request)
        with self.store.write() as session:
            row = self._workflow(session, request["Name"])
            if "Description" in request:
                row.description = request["Description"]
            if "DefaultRunProperties" in request:
                row.default_run_properties = dict(request["DefaultRunProperties"] or {})
            if "MaxConcurrentRuns" in request:
                row.max_concurrent_runs = request["MaxConcurrentRuns"]
            row.last_modified_on = utcnow()
        return {"Name": request["Name"]}

    @glue_operation("GetWorkflow")
    def get_workflow(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.read() as session:
            row = self._workflow(session, request["Name"])
            return {"Workflow": self._shape(session, row, bool(request.get("IncludeGraph")))}

    @glue_operation("BatchGetWorkflows")
    def batch_get_workflows(self, request: dict[str, Any]) -> dict[str, Any]:
        found, missing = [], []
        with self.store.read() as session:
            for name in request["Names"]:
                row = self._find(session, name)
                if row is None:
                    missing.append(name)
                else:
                    found.append(self._shape(session, row, bool(request.get("IncludeGraph"))))
        return {"Workflows": found, "MissingWorkflows": missing}

    @glue_operation("ListWorkflows")
    def list_workflows(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.read() as session:
            rows, token = page_by_name(session, WorkflowRow, request, "workflows")
            return {"Workflows": [r.name for r in rows], **token}

    @glue_operation("DeleteWorkflow")
    def delete_workflow(self, request: dict[str, Any]) -> dict[str, Any]:
        """The workflow, its triggers and its run records go (the jobs and crawlers stay); running job
        runs and crawls of it carry on outside it."""
        name = request["Name"]
        with self.store.write() as session:
            row = self._find(session, name)
            if row is not None:
                run_ids = list(
                    session.scalars(select(WorkflowRunRow.run_id).where(WorkflowRunRow.workflow_name == name))
                )
                session.execute(delete(TriggerRow).where(TriggerRow.workflow_name == name))
                session.execute(delete(WorkflowRunRow).where(WorkflowRunRow.workflow_name == name))
                if run_ids:
                    session.execute(
                        delete(TriggerFiringRow).where(TriggerFiringRow.workflow_run_id.in_(run_ids))
                    )
                session.delete(row)
        return {"Name": name}

    # -- runs --------------------------------------------------------------------------------------
    @glue_operation("StartWorkflowRun")
    def start_workflow_run(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.write() as session:
            run_id, launch = self.engine.start_workflow_run(
                session, request["Name"], properties=request.get("RunProperties")
            )
        self.engine.launch(launch)
        wake_scheduler(self.settings)
        return {"RunId": run_id}

    @glue_operation("GetWorkflowRun")
    def get_workflow_run(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.read() as session:
            run = self._run(session, request["Name"], request["RunId"])
            return {"Run": self._run_shape(session, run, bool(request.get("IncludeGraph")))}

    @glue_operation("GetWorkflowRuns")
    def get_workflow_runs(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        limit = request.get("MaxResults") or 100
        after = decode_token(request.get("NextToken"), f"workflow-runs:{name}", int)
        include = request.get("IncludeGraph", True)
        with self.store.read() as session:
            self._workflow(session, name)
            query = select(WorkflowRunRow).where(WorkflowRunRow.workflow_name == name)
            if after is not None:
                query = query.where(WorkflowRunRow.id < after)
            rows = list(session.scalars(query.order_by(WorkflowRunRow.id.desc()).limit(limit + 1)))
            token = {}
            if len(rows) > limit:
                token = {"NextToken": encode_token(f"workflow-runs:{name}", rows[limit - 1].id)}
            return {"Runs": [self._run_shape(session, r, bool(include)) for r in rows[:limit]], **token}

    @glue_operation("GetWorkflowRunProperties")
    def get_workflow_run_properties(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.read() as session:
            run = self._run(session, request["Name"], request["RunId"])
            return {"RunProperties": dict(run.properties or {})}

    @glue_operation("PutWorkflowRunProperties")
    def put_workflow_run_properties(self, request: dict[str, Any]) -> dict[str, Any]:
        """Merges: given keys are overwritten or added; the others stay. Only this run sees them."""
        with self.store.write() as session:
            run = self._run(session, request["Name"], request["RunId"], for_update=True)
            run.properties = {**(run.properties or {}), **request["RunProperties"]}
        return {}

    @glue_operation("StopWorkflowRun")
    def stop_workflow_run(self, request: dict[str, Any]) -> dict[str, Any]:
        """RUNNING → STOPPING: nothing more starts, running job runs and crawls are stopped; STOPPED
        once they have ended."""
        with self.store.write() as session:
            run = self._run(session, request["Name"], request["RunId"], for_update=True)
            if run.status != "RUNNING":
                raise IllegalWorkflowStateException(f"Workflow run {run.run_id} is {run.status}, not RUNNING")
            run.status = "STOPPING"
            jobs = session.execute(
                select(JobRunRow.job_name, JobRunRow.run_id).where(
                    JobRunRow.workflow_run_id == run.run_id, JobRunRow.state.in_((*ACTIVE, "WAITING"))
                )
            ).all()
            crawlers = list(
                session.scalars(
                    select(CrawlRow.crawler_name).where(
                        CrawlRow.workflow_run_id == run.run_id, CrawlRow.state == "RUNNING"
                    )
                )
            )
            self.engine.settle(session, run.run_id)
        for job_name, run_id in jobs:
            self.engine.jobs.batch_stop_job_run(JobName=job_name, JobRunIds=[run_id])
        for crawler in crawlers:
            try:
                self.engine.crawlers.stop_crawler(Name=crawler)
            except Exception:  # noqa: BLE001 - it ended meanwhile, or is stopping already
                pass
        wake_scheduler(self.settings)
        return {}

    @glue_operation("ResumeWorkflowRun")
    def resume_workflow_run(self, request: dict[str, Any]) -> dict[str, Any]:
        """A new run of a COMPLETED run: the chosen job and crawler nodes run again, then whatever their
        triggers start; the other nodes keep their outcome from the original run."""
        with self.store.write() as session:
            # The workflow first, as StartWorkflowRun locks it: one writer at a time counts its runs.
            self._workflow(session, request["Name"], for_update=True)
            original = self._run(session, request["Name"], request["RunId"], for_update=True)
            if original.status != "COMPLETED":
                raise IllegalWorkflowStateException(
                    f"Workflow run {original.run_id} is {original.status}; only COMPLETED runs can be resumed"
                )
            triggers = list(original.triggers)
            by_id = {graph.node_id(k): k for k in graph.structure(triggers)[0]}
            chosen = []
            for node in request["NodeIds"]:
                key = by_id.get(node)
                if key is None:
                    raise InvalidInputException(f"Node {node} is not in the graph of run {original.run_id}")
                if key.startswith("TRIGGER:"):
                    raise InvalidInputException(f"Node {node} is a trigger; resume job and crawler nodes")
                if not self._node_runs(session, original, key):
                    raise InvalidInputException(f"Node {node} ({key}) did not run in run {original.run_id}")
                chosen.append(key)
            minimal = [
                k for k in chosen if not any(k in graph.downstream(triggers, [o]) for o in chosen if o != k)
            ]
            workflow = self._workflow(session, original.workflow_name)
            limit = workflow.max_concurrent_runs
            if limit and self.engine.active_workflow_runs(session, workflow.name) >= limit:
                raise ConcurrentRunsExceededException(
                    f"Concurrent runs exceeded for workflow: {workflow.name}"
                )
            run_id = new_workflow_run_id()
            session.add(
                WorkflowRunRow(
                    run_id=run_id,
                    workflow_name=original.workflow_name,
                    previous_run_id=original.run_id,
                    status="RUNNING",
                    properties=dict(original.properties or {}),
                    started_on=utcnow(),
                    triggers=triggers,
                    rerun=sorted(graph.downstream(triggers, minimal)),
                )
            )
            session.flush()
            launch = Launch()
            for key in minimal:
                starter = next(t for t in triggers if key in graph.action_keys(t))
                launch += self.engine.fire_actions(
                    session, starter, (original.workflow_name, run_id), only={key}
                )
            session.flush()
            self.engine.settle(session, run_id)
        self.engine.launch(launch)
        wake_scheduler(self.settings)
        return {"RunId": run_id, "NodeIds": [graph.node_id(k) for k in minimal]}

    # -- shapes ------------------------------------------------------------------------------------
    def _shape(self, session: Session, row: WorkflowRow, include_graph: bool) -> dict[str, Any]:
        last = session.scalar(
            select(WorkflowRunRow)
            .where(WorkflowRunRow.workflow_name == row.name)
            .order_by(WorkflowRunRow.id.desc())
            .limit(1)
        )
        shape: dict[str, Any] = {
            "Name": row.name,
            "Description": row.description,
            "DefaultRunProperties": dict(row.default_run_properties or {}),
            "CreatedOn": row.created_on,
            "LastModifiedOn": row.last_modified_on,
            "MaxConcurrentRuns": row.max_concurrent_runs,
        }
        if last is not None:
            shape["LastRun"] = self._run_shape(session, last, include_graph)
        if include_graph:
            shape["Graph"] = self._graph(session, workflow_triggers(session, row.name), None)
        return {k: v for k, v in shape.items() if v is not None}

    def _run_shape(self, session: Session, run: WorkflowRunRow, include_graph: bool) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "Name": run.workflow_name,
            "WorkflowRunId": run.run_id,
            "PreviousRunId": run.previous_run_id,
            "WorkflowRunProperties": dict(run.properties or {}),
            "StartedOn": run.started_on,
            "CompletedOn": run.completed_on,
            "Status": run.status,
            "ErrorMessage": run.error_message,
            "Statistics": self._statistics(session, run.run_id),
            "StartingEventBatchCondition": dict(run.event_batch) if run.event_batch else None,
        }
        if include_graph:
            shape["Graph"] = self._graph(session, list(run.triggers), run)
        return {k: v for k, v in shape.items() if v is not None}

    @staticmethod
    def _statistics(session: Session, run_id: str) -> dict[str, int]:
        stats = dict.fromkeys(
            (
                "TotalActions",
                "TimeoutActions",
                "FailedActions",
                "StoppedActions",
                "SucceededActions",
                "RunningActions",
                "ErroredActions",
                "WaitingActions",
            ),
            0,
        )
        for state in session.scalars(select(JobRunRow.state).where(JobRunRow.workflow_run_id == run_id)):
            stats["TotalActions"] += 1
            stats[_STATISTICS.get(state, "RunningActions")] += 1
        for state in session.scalars(select(CrawlRow.state).where(CrawlRow.workflow_run_id == run_id)):
            stats["TotalActions"] += 1
            stats[_CRAWL_STATISTICS.get(state, "RunningActions")] += 1
        return stats

    def _graph(
        self, session: Session, triggers: list[dict[str, Any]], run: WorkflowRunRow | None
    ) -> dict[str, Any]:
        keys, edges = graph.structure(triggers)
        by_name = {t["Name"]: t for t in triggers}
        nodes = []
        for key in keys:
            kind, name = key.split(":", 1)
            node: dict[str, Any] = {"Type": kind, "Name": name, "UniqueId": graph.node_id(key)}
            if kind == "TRIGGER":
                node["TriggerDetails"] = {"Trigger": by_name[name]}
            elif kind == "JOB":
                runs = self._node_runs(session, run, key) if run is not None else []
                node["JobDetails"] = {"JobRuns": [_run_shape(r) for r in runs]}
            else:
                crawls = self._node_runs(session, run, key) if run is not None else []
                node["CrawlerDetails"] = {"Crawls": [_crawl_shape(c) for c in crawls]}
            nodes.append(node)
        return {
            "Nodes": nodes,
            "Edges": [{"SourceId": graph.node_id(a), "DestinationId": graph.node_id(b)} for a, b in edges],
        }

    def _node_runs(self, session: Session, run: WorkflowRunRow, key: str) -> list[Any]:
        """A node's job runs or crawls in ``run`` (newest first); a resumed run shows the original's for
        the nodes it did not run again."""
        kind, name = key.split(":", 1)
        for run_id in self.engine.lineage(session, run, key):
            if kind == "JOB":
                query = select(JobRunRow).where(
                    JobRunRow.workflow_run_id == run_id, JobRunRow.job_name == name
                )
                found = list(session.scalars(query.order_by(JobRunRow.id.desc())))
            else:
                query = select(CrawlRow).where(
                    CrawlRow.workflow_run_id == run_id, CrawlRow.crawler_name == name
                )
                found = list(session.scalars(query.order_by(CrawlRow.id.desc())))
            if found:
                return found
        return []

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _find(session: Session, name: str, for_update: bool = False) -> WorkflowRow | None:
        query = select(WorkflowRow).where(WorkflowRow.name == name)
        return session.scalar(query.with_for_update() if for_update else query)

    def _workflow(self, session: Session, name: str, for_update: bool = False) -> WorkflowRow:
        row = self._find(session, name, for_update)
        if row is None:
            raise EntityNotFoundException(f"Workflow with name: {name} not found")
        return row

    def _run(self, session: Session, name: str, run_id: str, for_update: bool = False) -> WorkflowRunRow:
        self._workflow(session, name)
        query = select(WorkflowRunRow).where(
            WorkflowRunRow.run_id == run_id, WorkflowRunRow.workflow_name == name
        )
        row = session.scalar(query.with_for_update() if for_update else query)
        if row is None:
            raise EntityNotFoundException(f"Workflow run {run_id} of workflow {name} not found")
        return row


def _check(request: dict[str, Any]) -> None:
    limit = request.get("MaxConcurrentRuns")
    if limit is not None and limit < 1:
        raise InvalidInputException(
            f"MaxConcurrentRuns must be at least 1 (leave it out for no limit), not {limit}"
        )
    if len(request.get("Description") or "") > MAX_DESCRIPTION:
        raise InvalidInputException(f"Description is longer than {MAX_DESCRIPTION} characters")
    for key, value in (request.get("DefaultRunProperties") or {}).items():
        if not isinstance(value, str):
            raise InvalidInputException(f"DefaultRunProperties[{key!r}] must be a string")


def _crawl_shape(crawl: CrawlRow) -> dict[str, Any]:
    shape = {
        "State": CRAWL_STATES.get(crawl.state, "RUNNING"),
        "StartedOn": crawl.start_time,
        "CompletedOn": crawl.end_time,
        "ErrorMessage": crawl.error_message,
        "LogGroup": CRAWL_LOG_GROUP,
        "LogStream": crawl.crawler_name,
    }
    return {k: v for k, v in shape.items() if v is not None}


__all__ = ["WorkflowService", "workflow_triggers"]
