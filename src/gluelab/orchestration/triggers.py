"""TriggerService: CreateTrigger, GetTrigger(s), ListTriggers, BatchGetTriggers, UpdateTrigger,
DeleteTrigger, StartTrigger, StopTrigger, and gluelab's PutTriggerEvent and GetScheduleFireTimes, with
the checks Glue makes.

ON_DEMAND triggers stay CREATED and fire on StartTrigger. SCHEDULED, CONDITIONAL and EVENT triggers are
ACTIVATED (StartOnCreation or StartTrigger) or not; the scheduler fires the activated ones. An EVENT
trigger starts its workflow on batches of events: files arriving under the s3:// prefix named by its
``gluelab:event-source`` tag (Glue gets them from EventBridge), or events posted with PutTriggerEvent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..catalog.common import utcnow
from ..config import Settings
from ..errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException
from ..events import record_event, wake_scheduler
from ..jobs.arguments import check_arguments
from ..jobs.definitions import MAX_TIMEOUT
from ..operations import glue_operation, gluelab_operation
from ..pagination import page_by_name
from ..runtime.paths import is_s3, to_local
from ..store import Store
from ..store.models import CrawlerRow, JobRow, TriggerRow, WorkflowRow
from . import watcher
from .engine import Engine
from .schedule import check_min_interval, parse_schedule

TYPES = ("SCHEDULED", "CONDITIONAL", "ON_DEMAND", "EVENT")
START_TYPES = ("SCHEDULED", "ON_DEMAND", "EVENT")  # a workflow's one start trigger is one of these
WATCHED_JOB_STATES = ("SUCCEEDED", "STOPPED", "FAILED", "TIMEOUT")
WATCHED_CRAWL_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")
EVENT_SOURCE_TAG = "gluelab:event-source"
MIN_SCHEDULE_MINUTES = 5  # Glue refuses schedules that fire more often
DEFAULT_BATCH_WINDOW = 900


class TriggerService:
    """Every trigger operation, one method each (see ``gluelab.operations``)."""

    def __init__(self, store: Store, settings: Settings, engine: Engine):
        self.store = store
        self.settings = settings
        self.engine = engine

    @glue_operation("CreateTrigger")
    def create_trigger(self, request: dict[str, Any]) -> dict[str, Any]:
        start = bool(request.get("StartOnCreation"))
        if start and request["Type"] == "ON_DEMAND":
            raise InvalidInputException("StartOnCreation is not supported for ON_DEMAND triggers")
        now = utcnow()
        with self.store.write() as session:
            if self._find(session, request["Name"]) is not None:
                raise AlreadyExistsException(f"Trigger with name {request['Name']} already exists")
            definition = self._check(session, request, creating=True)
            tags = dict(request.get("Tags") or {})
            row = TriggerRow(
                name=request["Name"],
                workflow_name=definition.get("WorkflowName"),
                type=definition["Type"],
                state="CREATED",
                tags=tags,
                event_source=self._event_source(tags, definition["Type"]),
                created_on=now,
                last_modified_on=now,
            )
            _apply(row, definition)
            session.add(row)
            if start:
                self._activate(session, row)
        if start:
            wake_scheduler(self.settings)
        return {"Name": request["Name"]}

    @glue_operation("GetTrigger")
    def get_trigger(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.read() as session:
            return {"Trigger": trigger_shape(self._trigger(session, request["Name"]))}

    @glue_operation("GetTriggers")
    def get_triggers(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.read() as session:
            rows, token = self._page(session, request)
            return {"Triggers": [trigger_shape(r) for r in rows], **token}

    @glue_operation("ListTriggers")
    def list_triggers(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.read() as session:
            rows, token = self._page(session, request, tags=request.get("Tags") or {})
            return {"TriggerNames": [r.name for r in rows], **token}

    @glue_operation("BatchGetTriggers")
    def batch_get_triggers(self, request: dict[str, Any]) -> dict[str, Any]:
        found, missing = [], []
        with self.store.read() as session:
            for name in request["TriggerNames"]:
                row = self._find(session, name)
                if row is None:
                    missing.append(name)
                else:
                    found.append(trigger_shape(row))
        return {"Triggers": found, "TriggersNotFound": missing}

    @glue_operation("UpdateTrigger")
    def update_trigger(self, request: dict[str, Any]) -> dict[str, Any]:
        update = {k: v for k, v in request["TriggerUpdate"].items() if k != "Name"}
        with self.store.write() as session:
            row = self._trigger(session, request["Name"], for_update=True)
            merged = {**trigger_shape(row), **update}
            definition = self._check(session, merged, creating=False)
            _apply(row, definition)
            row.last_modified_on = utcnow()
            if row.state == "ACTIVATED":
                self.engine.schedule_next(row, utcnow())
            return {"Trigger": trigger_shape(row)}

    @glue_operation("DeleteTrigger")
    def delete_trigger(self, request: dict[str, Any]) -> dict[str, Any]:
        """Silent when the trigger does not exist, as on Glue."""
        with self.store.write() as session:
            row = self._find(session, request["Name"])
            if row is not None:
                watcher.forget(session, row.name)
                session.delete(row)
        return {"Name": request["Name"]}

    @glue_operation("StartTrigger")
    def start_trigger(self, request: dict[str, Any]) -> dict[str, Any]:
        """ON_DEMAND: fire now (a workflow's start trigger starts a workflow run); others: activate."""
        with self.store.write() as session:
            row = self._trigger(session, request["Name"], for_update=True)
            if row.type != "ON_DEMAND":
                self._activate(session, row)
                launch = None
            elif row.workflow_name:
                _, launch = self.engine.start_workflow_run(session, row.workflow_name)
            else:
                launch = self.engine.fire_actions(session, trigger_shape(row))
        if launch is not None:
            self.engine.launch(launch)
        wake_scheduler(self.settings)
        return {"Name": request["Name"]}

    @glue_operation("StopTrigger")
    def stop_trigger(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.write() as session:
            row = self._trigger(session, request["Name"], for_update=True)
            if row.type == "ON_DEMAND":
                raise InvalidInputException(f"Trigger {row.name} is ON_DEMAND: there is nothing to stop")
            row.state = "DEACTIVATED"
            row.next_fire_at = None
            row.last_modified_on = utcnow()
        return {"Name": request["Name"]}

    @gluelab_operation("PutTriggerEvent", "TriggerName", "Source")
    def put_trigger_event(self, request: dict[str, Any]) -> dict[str, Any]:
        """gluelab's own action: an event for an activated EVENT trigger (what EventBridge delivers on
        Glue). It is stored before this returns; the trigger batches it."""
        with self.store.write() as session:
            row = self._trigger(session, request["TriggerName"])
            if row.type != "EVENT":
                raise InvalidInputException(f"Trigger {row.name} is {row.type}, not an EVENT trigger")
            if row.state != "ACTIVATED":
                raise InvalidInputException(f"Trigger {row.name} is {row.state}: start it to receive events")
            event_id = record_event(session, "POSTED", trigger_name=row.name, source=request["Source"])
        wake_scheduler(self.settings)
        return {"EventId": event_id}

    @gluelab_operation("GetScheduleFireTimes", "Schedule", optional=("Count",))
    def get_schedule_fire_times(self, request: dict[str, Any]) -> dict[str, Any]:
        """gluelab's own action: a cron(...) or rate(...) expression checked as CreateTrigger checks it,
        in English, with its next ``Count`` (default 5, at most 50) fire times in UTC."""
        count = request.get("Count", 5)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 50:
            raise InvalidInputException("Count must be an integer from 1 to 50")
        schedule = parse_schedule(request["Schedule"])
        check_min_interval(schedule, MIN_SCHEDULE_MINUTES)
        return {
            "Schedule": request["Schedule"],
            "Description": schedule.describe(),
            "FireTimes": schedule.fire_times(utcnow(), count),
        }

    # -- checks ------------------------------------------------------------------------------------
    def _check(self, session: Session, request: dict[str, Any], creating: bool) -> dict[str, Any]:
        """The trigger's definition, checked; raises InvalidInputException or EntityNotFoundException."""
        kind = request["Type"]
        if kind not in TYPES:
            raise InvalidInputException(f"Type must be one of {', '.join(TYPES)}, not {kind!r}")
        definition = {k: request.get(k) for k in ("Type", "WorkflowName", "Description")}
        schedule = request.get("Schedule")
        if kind == "SCHEDULED":
            if not schedule:
                raise InvalidInputException("A SCHEDULED trigger needs a Schedule, e.g. cron(0 12 * * ? *)")
            check_min_interval(parse_schedule(schedule), MIN_SCHEDULE_MINUTES)
            definition["Schedule"] = schedule
        elif schedule:
            raise InvalidInputException(f"Only SCHEDULED triggers take a Schedule; this one is {kind}")
        predicate = request.get("Predicate")
        if kind == "CONDITIONAL":
            definition["Predicate"] = self._check_predicate(session, predicate)
        elif predicate and predicate.get("Conditions"):
            raise InvalidInputException(f"Only CONDITIONAL triggers take a Predicate; this one is {kind}")
        batching = request.get("EventBatchingCondition")
        if kind == "EVENT":
            if not request.get("WorkflowName"):
                raise InvalidInputException("An EVENT trigger starts a workflow: it needs a WorkflowName")
            definition["EventBatchingCondition"] = _check_batching(batching)
        elif batching:
            raise InvalidInputException(
                f"Only EVENT triggers take an EventBatchingCondition; this one is {kind}"
            )
        definition["Actions"] = self._check_actions(session, request.get("Actions") or [])
        if creating and request.get("WorkflowName"):
            self._check_workflow(session, request["Name"], request["WorkflowName"], kind)
        return definition

    @staticmethod
    def _check_predicate(session: Session, predicate: dict[str, Any] | None) -> dict[str, Any]:
        conditions = (predicate or {}).get("Conditions") or []
        if not conditions:
            raise InvalidInputException("A CONDITIONAL trigger needs a Predicate with at least one Condition")
        logical = (predicate or {}).get("Logical")
        if logical is None and len(conditions) > 1:
            raise InvalidInputException("A Predicate with more than one Condition needs Logical: AND or ANY")
        if logical not in (None, "AND", "ANY"):
            raise InvalidInputException(f"Predicate.Logical must be AND or ANY, not {logical!r}")
        checked = []
        for n, condition in enumerate(conditions, 1):
            where = f"Condition {n}"
            if condition.get("LogicalOperator", "EQUALS") != "EQUALS":
                raise InvalidInputException(f"{where}: LogicalOperator must be EQUALS")
            job, crawler = condition.get("JobName"), condition.get("CrawlerName")
            if bool(job) == bool(crawler):
                raise InvalidInputException(
                    f"{where} names either a JobName or a CrawlerName, not both or none"
                )
            if job:
                if condition.get("State") not in WATCHED_JOB_STATES:
                    raise InvalidInputException(
                        f"{where}: State must be one of {', '.join(WATCHED_JOB_STATES)} "
                        f"(a trigger watches finished runs), not {condition.get('State')!r}"
                    )
                _must_exist(session, JobRow, job, "Job")
                checked.append({"LogicalOperator": "EQUALS", "JobName": job, "State": condition["State"]})
            else:
                if condition.get("CrawlState") not in WATCHED_CRAWL_STATES:
                    raise InvalidInputException(
                        f"{where}: CrawlState must be one of {', '.join(WATCHED_CRAWL_STATES)}, "
                        f"not {condition.get('CrawlState')!r}"
                    )
                _must_exist(session, CrawlerRow, crawler, "Crawler")
                checked.append(
                    {
                        "LogicalOperator": "EQUALS",
                        "CrawlerName": crawler,
                        "CrawlState": condition["CrawlState"],
                    }
                )
        return {"Logical": logical or "AND", "Conditions": checked}

    @staticmethod
    def _check_actions(session: Session, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not actions:
            raise InvalidInputException("A trigger needs at least one Action (a JobName or a CrawlerName)")
        checked = []
        for n, action in enumerate(actions, 1):
            job, crawler = action.get("JobName"), action.get("CrawlerName")
            if bool(job) == bool(crawler):
                raise InvalidInputException(
                    f"Action {n} names either a JobName or a CrawlerName, not both or none"
                )
            if job:
                _must_exist(session, JobRow, job, "Job")
                if action.get("Arguments"):
                    check_arguments(action["Arguments"], f"Action {n} Arguments")
                timeout = action.get("Timeout")
                if timeout is not None and not 1 <= timeout <= MAX_TIMEOUT:
                    raise InvalidInputException(f"Action {n}: Timeout must be 1 to {MAX_TIMEOUT} minutes")
            else:
                _must_exist(session, CrawlerRow, crawler, "Crawler")
                if action.get("Arguments") or action.get("Timeout"):
                    raise InvalidInputException(
                        f"Action {n} starts a crawler: it takes no Arguments or Timeout"
                    )
            checked.append({k: v for k, v in action.items() if v is not None})
        return checked

    def _check_workflow(self, session: Session, name: str, workflow: str, kind: str) -> None:
        if session.scalar(select(WorkflowRow).where(WorkflowRow.name == workflow)) is None:
            raise EntityNotFoundException(f"Workflow with name: {workflow} not found")
        if kind in START_TYPES:
            query = select(TriggerRow.name).where(
                TriggerRow.workflow_name == workflow, TriggerRow.type.in_(START_TYPES)
            )
            other = session.scalar(query)
            if other is not None:
                raise InvalidInputException(
                    f"Workflow {workflow} already has a start trigger ({other}); a workflow has exactly one. "
                    "Make this trigger CONDITIONAL, or delete the other."
                )

    def _event_source(self, tags: dict[str, str], kind: str) -> str | None:
        source = tags.get(EVENT_SOURCE_TAG)
        if source is None:
            return None
        if kind != "EVENT":
            raise InvalidInputException(f"The {EVENT_SOURCE_TAG} tag is for EVENT triggers")
        if not is_s3(source):
            raise InvalidInputException(f"{EVENT_SOURCE_TAG} must be an s3:// prefix, not {source!r}")
        to_local(source, self.settings.warehouse_dir)  # refuses prefixes outside the warehouse
        return source

    # -- state -------------------------------------------------------------------------------------
    def _activate(self, session: Session, row: TriggerRow) -> None:
        now = utcnow()
        if row.state != "ACTIVATED":
            row.state = "ACTIVATED"
            row.activated_on = now
            if row.event_source:  # files already there are not arrivals
                watcher.baseline(session, row.name, row.event_source, self.settings.warehouse_dir)
        row.last_modified_on = now
        self.engine.schedule_next(row, now)

    # -- helpers -----------------------------------------------------------------------------------
    def _page(
        self, session: Session, request: dict[str, Any], tags: dict[str, str] | None = None
    ) -> tuple[list[TriggerRow], dict[str, Any]]:
        rows, token = page_by_name(session, TriggerRow, request, "triggers", tags=tags)
        job = request.get("DependentJobName")
        if job:
            rows = [r for r in rows if any(a.get("JobName") == job for a in r.actions)]
        return rows, token

    @staticmethod
    def _find(session: Session, name: str, for_update: bool = False) -> TriggerRow | None:
        query = select(TriggerRow).where(TriggerRow.name == name)
        return session.scalar(query.with_for_update() if for_update else query)

    def _trigger(self, session: Session, name: str, for_update: bool = False) -> TriggerRow:
        row = self._find(session, name, for_update)
        if row is None:
            raise EntityNotFoundException(f"Trigger with name: {name} not found")
        return row


def _must_exist(session: Session, model: Any, name: str, what: str) -> None:
    if session.scalar(select(model.id).where(model.name == name)) is None:
        raise EntityNotFoundException(f"{what} with name: {name} not found")


def _check_batching(batching: dict[str, Any] | None) -> dict[str, Any]:
    if not batching:
        return {"BatchSize": 1, "BatchWindow": DEFAULT_BATCH_WINDOW}
    size = batching.get("BatchSize")
    window = batching.get("BatchWindow", DEFAULT_BATCH_WINDOW)
    if not isinstance(size, int) or not 1 <= size <= 100:
        raise InvalidInputException(f"EventBatchingCondition.BatchSize must be 1 to 100 events, not {size!r}")
    if not isinstance(window, int) or not 1 <= window <= 900:
        raise InvalidInputException(
            f"EventBatchingCondition.BatchWindow must be 1 to 900 seconds, not {window!r}"
        )
    return {"BatchSize": size, "BatchWindow": window}


def _apply(row: TriggerRow, definition: dict[str, Any]) -> None:
    row.description = definition.get("Description")
    row.schedule = definition.get("Schedule")
    row.predicate = definition.get("Predicate")
    row.actions = definition["Actions"]
    row.event_batching = definition.get("EventBatchingCondition")


def trigger_shape(row: TriggerRow) -> dict[str, Any]:
    shape = {
        "Name": row.name,
        "WorkflowName": row.workflow_name,
        "Id": row.name,
        "Type": row.type,
        "State": row.state,
        "Description": row.description,
        "Schedule": row.schedule,
        "Actions": [dict(a) for a in row.actions],
        "Predicate": dict(row.predicate) if row.predicate else None,
        "EventBatchingCondition": dict(row.event_batching) if row.event_batching else None,
    }
    return {k: v for k, v in shape.items() if v is not None}
