"""The orchestration engine: what happens when a trigger fires, a trigger-started run ends, a schedule
comes due, or a batch of events is ready. Each of these is one transaction over the store (the runs a
firing starts are recorded in it); the processes are launched after it commits, through the job
executor and the crawler service, never here.

The rules users rely on (Glue's): a conditional trigger reacts only to runs started by a trigger; inside
a workflow run it reacts only to that run's jobs and crawlers, fires at most once per run, and uses the
triggers as they were when the run started; outside workflows, an AND trigger needs the latest
trigger-started run of every watched job or crawler, since it last fired, to have ended as it says.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..catalog.common import utcnow
from ..config import Settings
from ..crawler.service import CRAWL_STATES
from ..errors import (
    ConcurrentRunsExceededException,
    EntityNotFoundException,
    GlueError,
    InvalidInputException,
)
from ..jobs.runs import FINISHED, UNFINISHED
from ..store import Store
from ..store.models import (
    CrawlerRow,
    CrawlRow,
    JobRow,
    JobRunRow,
    OrchestrationEventRow,
    TriggerFiringRow,
    TriggerRow,
    WorkflowRow,
    WorkflowRunRow,
)
from .graph import node_key
from .schedule import parse_schedule

log = logging.getLogger("gluelab.scheduler")
Fence = Callable[[Session], None]
MISSED_GRACE_SECONDS = 60.0  # a fire time later than this was missed (the scheduler was down)
ACTIVE_WORKFLOW = ("RUNNING", "STOPPING")


@dataclass
class Launch:
    """What a committed firing asks to start: job runs (by id) and crawls (by id)."""

    job_runs: list[str] = field(default_factory=list)
    crawls: list[str] = field(default_factory=list)

    def __iadd__(self, other: Launch) -> Launch:
        self.job_runs += other.job_runs
        self.crawls += other.crawls
        return self


def new_workflow_run_id() -> str:
    return "wr_" + uuid.uuid4().hex + uuid.uuid4().hex


class Engine:
    def __init__(self, store: Store, settings: Settings, jobs: Any, crawlers: Any):
        self.store = store
        self.settings = settings
        self.jobs = jobs
        self.crawlers = crawlers

    # -- firing ------------------------------------------------------------------------------------
    def fire_actions(
        self,
        session: Session,
        trigger: dict[str, Any],
        workflow: tuple[str, str] | None = None,
        predecessors: list[dict[str, str]] | None = None,
        only: set[str] | None = None,
    ) -> Launch:
        """Start ``trigger``'s actions (those in ``only``, if given) in ``session``. A job the trigger
        cannot start (deleted, at its run limit, its script gone) gets an ERROR run saying why."""
        launch = Launch()
        name = trigger["Name"]
        run_id = workflow[1] if workflow else None
        for action in trigger.get("Actions") or []:
            job, crawler = action.get("JobName"), action.get("CrawlerName")
            key = node_key("JOB", job) if job else node_key("CRAWLER", crawler)
            if only is not None and key not in only:
                continue
            if job:
                arguments = dict(action.get("Arguments") or {})
                request: dict[str, Any] = {"Arguments": arguments}
                if action.get("Timeout"):
                    request["Timeout"] = action["Timeout"]
                try:
                    request["Arguments"] = self._overridable(session, job, arguments)
                    launch.job_runs.append(
                        self.jobs.add_run(
                            session,
                            job,
                            request,
                            trigger_name=name,
                            workflow=workflow,
                            predecessors=predecessors,
                        )
                    )
                except GlueError as error:
                    log.warning("trigger %s could not start job %s: %s", name, job, error)
                    self.jobs.add_failed_start(
                        session,
                        job,
                        str(error),
                        trigger_name=name,
                        workflow_run_id=run_id,
                        arguments=arguments,
                    )
            else:
                try:
                    launch.crawls.append(self.crawlers.add_crawl(session, crawler, name, run_id))
                except GlueError as error:
                    log.warning("trigger %s could not start crawler %s: %s", name, crawler, error)
        log.info("trigger %s fired%s", name, f" (workflow run {run_id})" if run_id else "")
        return launch

    @staticmethod
    def _overridable(session: Session, job_name: str, arguments: dict[str, str]) -> dict[str, str]:
        """An action's Arguments, less those the job does not let a run override (Glue ignores them)."""
        row = session.scalar(select(JobRow).where(JobRow.name == job_name))
        fixed = (row.definition.get("NonOverridableArguments") or {}) if row is not None else {}
        return {k: v for k, v in arguments.items() if k not in fixed}

    def launch(self, launch: Launch) -> None:
        """Start the processes of what a committed firing recorded."""
        for run_id in launch.job_runs:
            self.jobs.executor.launch(run_id)
        for crawl_id in launch.crawls:
            self.crawlers.spawn(crawl_id)

    # -- workflow runs -----------------------------------------------------------------------------
    def start_workflow_run(
        self,
        session: Session,
        workflow_name: str,
        properties: dict[str, str] | None = None,
        event_batch: dict[str, Any] | None = None,
        refuse_when_full: bool = True,
    ) -> tuple[str, Launch]:
        """A new run of the workflow: its triggers frozen, its start trigger's actions started. At
        MaxConcurrentRuns: ConcurrentRunsExceededException, or (``refuse_when_full`` False, a schedule
        firing) a run in ERROR saying so, as Glue records it."""
        from .workflows import workflow_triggers  # the workflow side owns how triggers are listed

        workflow = session.scalar(
            select(WorkflowRow).where(WorkflowRow.name == workflow_name).with_for_update()
        )
        if workflow is None:
            raise EntityNotFoundException(f"Workflow with name: {workflow_name} not found")
        triggers = workflow_triggers(session, workflow_name)
        start = next((t for t in triggers if t["Type"] != "CONDITIONAL"), None)
        if start is None:
            raise InvalidInputException(
                f"Workflow {workflow_name} has no start trigger (an ON_DEMAND, SCHEDULED or EVENT trigger)"
            )
        now = utcnow()
        run_id = new_workflow_run_id()
        row = WorkflowRunRow(
            run_id=run_id,
            workflow_name=workflow_name,
            status="RUNNING",
            properties={**(workflow.default_run_properties or {}), **(properties or {})},
            started_on=now,
            triggers=triggers,
            event_batch=event_batch,
        )
        limit = workflow.max_concurrent_runs
        if limit and self.active_workflow_runs(session, workflow_name) >= limit:
            message = f"Concurrent runs exceeded for workflow: {workflow_name}"
            if refuse_when_full:
                raise ConcurrentRunsExceededException(message)
            row.status, row.error_message, row.completed_on = "ERROR", message, now
            session.add(row)
            return run_id, Launch()
        session.add(row)
        session.flush()
        launch = self.fire_actions(session, start, workflow=(workflow_name, run_id))
        session.flush()
        self.settle(session, run_id)
        return run_id, launch

    @staticmethod
    def active_workflow_runs(session: Session, workflow_name: str) -> int:
        query = select(func.count()).where(
            WorkflowRunRow.workflow_name == workflow_name, WorkflowRunRow.status.in_(ACTIVE_WORKFLOW)
        )
        return session.scalar(query) or 0

    def settle(self, session: Session, run_id: str) -> None:
        """A workflow run with nothing left running and no end left to react to is COMPLETED (or
        STOPPED, when it was stopping). Glue reports COMPLETED even when nodes failed."""
        run = session.scalar(select(WorkflowRunRow).where(WorkflowRunRow.run_id == run_id))
        if run is None or run.status not in ACTIVE_WORKFLOW:
            return
        busy = session.scalar(
            select(func.count()).where(JobRunRow.workflow_run_id == run_id, JobRunRow.state.in_(UNFINISHED))
        ) or session.scalar(
            select(func.count()).where(CrawlRow.workflow_run_id == run_id, CrawlRow.state == "RUNNING")
        )
        pending = session.scalar(
            select(func.count()).where(
                OrchestrationEventRow.workflow_run_id == run_id, OrchestrationEventRow.processed.is_(False)
            )
        )
        if busy or pending:
            return
        run.status = "COMPLETED" if run.status == "RUNNING" else "STOPPED"
        run.completed_on = utcnow()
        log.info("workflow run %s of %s %s", run_id, run.workflow_name, run.status)

    def settle_all(self, fence: Fence | None = None) -> None:
        with self.store.read() as session:
            query = select(WorkflowRunRow.run_id).where(WorkflowRunRow.status.in_(ACTIVE_WORKFLOW))
            run_ids = list(session.scalars(query))
        for run_id in run_ids:
            with self.store.write() as session:
                if fence:
                    fence(session)
                self.settle(session, run_id)

    # -- runs ending -------------------------------------------------------------------------------
    def process_events(self, fence: Fence | None = None, limit: int = 200) -> int:
        """React to the stored ends of trigger-started runs, oldest first; returns how many."""
        with self.store.read() as session:
            query = (
                select(OrchestrationEventRow.id)
                .where(
                    OrchestrationEventRow.processed.is_(False),
                    OrchestrationEventRow.kind.in_(("JOB_RUN", "CRAWL")),
                )
                .order_by(OrchestrationEventRow.id)
                .limit(limit)
            )
            ids = list(session.scalars(query))
        for event_id in ids:
            with self.store.write() as session:
                if fence:
                    fence(session)
                event = session.get(OrchestrationEventRow, event_id, with_for_update=True)
                if event is None or event.processed:
                    continue
                event.processed = True
                launch = self.on_run_ended(session, event)
                session.flush()
                if event.workflow_run_id:
                    self.settle(session, event.workflow_run_id)
            self.launch(launch)
        return len(ids)

    def on_run_ended(self, session: Session, event: OrchestrationEventRow) -> Launch:
        launch = Launch()
        run = None
        if event.workflow_run_id:
            # Locked: the ends of one workflow run's nodes are reacted to one at a time (fire once per run).
            query = select(WorkflowRunRow).where(WorkflowRunRow.run_id == event.workflow_run_id)
            run = session.scalar(query.with_for_update())
            if run is None or run.status != "RUNNING":
                return launch
            candidates = [t for t in run.triggers if t["Type"] == "CONDITIONAL" and t["State"] == "ACTIVATED"]
        else:
            from .triggers import trigger_shape

            query = select(TriggerRow).where(
                TriggerRow.type == "CONDITIONAL",
                TriggerRow.state == "ACTIVATED",
                TriggerRow.workflow_name.is_(None),
            )
            candidates = [trigger_shape(r) for r in session.scalars(query)]
        kind = "JOB" if event.kind == "JOB_RUN" else "CRAWLER"
        for trigger in candidates:
            if not _watches(trigger, kind, event.name or "", event.state or ""):
                continue
            predecessors = self._satisfied(session, trigger, event, run)
            if predecessors is None:
                continue
            once_key = f"{trigger['Name']}|{run.run_id}" if run is not None else None
            if once_key and session.scalar(
                select(TriggerFiringRow.id).where(TriggerFiringRow.once_key == once_key)
            ):
                continue
            session.add(
                TriggerFiringRow(
                    trigger_name=trigger["Name"],
                    workflow_run_id=run.run_id if run is not None else None,
                    once_key=once_key,
                    fired_on=utcnow(),
                    predecessors=predecessors,
                )
            )
            workflow = (run.workflow_name, run.run_id) if run is not None else None
            launch += self.fire_actions(session, trigger, workflow, predecessors=predecessors or None)
        return launch

    def _satisfied(
        self,
        session: Session,
        trigger: dict[str, Any],
        event: OrchestrationEventRow,
        run: WorkflowRunRow | None,
    ) -> list[dict[str, str]] | None:
        """The predecessor runs when ``trigger``'s predicate holds after ``event``, else None."""
        predicate = trigger["Predicate"]
        kind = "JOB" if event.kind == "JOB_RUN" else "CRAWLER"
        own = {"JobName": event.name, "RunId": event.run_id} if kind == "JOB" else None
        if predicate.get("Logical", "AND") == "ANY":
            return [own] if own else []
        since = None if run is not None else self._since(session, trigger["Name"])
        predecessors = []
        for condition in predicate["Conditions"]:
            if condition.get("JobName"):
                found = self._latest_end(session, "JOB", condition["JobName"], run, since)
                if found is None or found.state != condition["State"]:
                    return None
                predecessors.append({"JobName": found.job_name, "RunId": found.run_id})
            else:
                crawl = self._latest_end(session, "CRAWLER", condition["CrawlerName"], run, since)
                if crawl is None or CRAWL_STATES.get(crawl.state) != condition["CrawlState"]:
                    return None
        return predecessors

    @staticmethod
    def _since(session: Session, trigger_name: str) -> dt.datetime | None:
        """Outside workflows, an AND trigger counts runs that ended after it last fired or was activated."""
        fired = session.scalar(
            select(TriggerFiringRow.fired_on)
            .where(TriggerFiringRow.trigger_name == trigger_name)
            .order_by(TriggerFiringRow.id.desc())
            .limit(1)
        )
        activated = session.scalar(select(TriggerRow.activated_on).where(TriggerRow.name == trigger_name))
        moments = [m for m in (fired, activated) if m is not None]
        return max(moments) if moments else None

    def _latest_end(
        self, session: Session, kind: str, name: str, run: WorkflowRunRow | None, since: dt.datetime | None
    ) -> Any:
        """The last ended job run (``kind`` JOB) or crawl (CRAWLER) of ``name`` that counts for a
        trigger: in ``run`` (and the runs it was resumed from), or, outside workflows, the last
        trigger-started one since ``since``."""
        model: Any = JobRunRow if kind == "JOB" else CrawlRow
        if kind == "JOB":
            base = select(JobRunRow).where(JobRunRow.job_name == name, JobRunRow.state.in_(FINISHED))
            ended_at = JobRunRow.completed_on
        else:
            base = select(CrawlRow).where(CrawlRow.crawler_name == name, CrawlRow.state != "RUNNING")
            ended_at = CrawlRow.end_time
        if run is None:
            query = base.where(model.trigger_name.is_not(None), model.workflow_run_id.is_(None))
            if since is not None:
                query = query.where(ended_at >= since)
            return session.scalar(query.order_by(model.id.desc()).limit(1))
        for run_id in self.lineage(session, run, node_key(kind, name)):
            found = session.scalar(
                base.where(model.workflow_run_id == run_id).order_by(model.id.desc()).limit(1)
            )
            if found is not None:
                return found
        return None

    @staticmethod
    def lineage(session: Session, run: WorkflowRunRow, key: str) -> list[str]:
        """The workflow runs whose record of node ``key`` counts for ``run``: the run itself, and for a
        node a resumed run does not run again, the runs it was resumed from."""
        chain = [run.run_id]
        current = run
        while current.rerun is not None and key not in current.rerun and current.previous_run_id:
            previous = session.scalar(
                select(WorkflowRunRow).where(WorkflowRunRow.run_id == current.previous_run_id)
            )
            if previous is None:
                break
            chain.append(previous.run_id)
            current = previous
        return chain

    # -- schedules ---------------------------------------------------------------------------------
    def schedule_next(self, row: TriggerRow, now: dt.datetime) -> None:
        """Set an activated SCHEDULED trigger's next fire time (after ``now``)."""
        if row.type != "SCHEDULED" or row.state != "ACTIVATED" or not row.schedule:
            row.next_fire_at = None
            return
        anchor = row.activated_on if row.activated_on else now
        row.next_fire_at = parse_schedule(row.schedule).next_after(now, anchor=anchor)

    def fire_due(self, now: dt.datetime, fence: Fence | None = None) -> int:
        """Fire the SCHEDULED triggers and crawler schedules that are due; returns how many fired."""
        with self.store.read() as session:
            triggers = list(
                session.scalars(
                    select(TriggerRow.id).where(
                        TriggerRow.next_fire_at <= now,
                        TriggerRow.state == "ACTIVATED",
                        TriggerRow.type == "SCHEDULED",
                    )
                )
            )
            crawlers = list(
                session.scalars(
                    select(CrawlerRow.id).where(
                        CrawlerRow.next_fire_at <= now, CrawlerRow.schedule_state == "SCHEDULED"
                    )
                )
            )
        fired = 0
        for trigger_id in triggers:
            with self.store.write() as session:
                if fence:
                    fence(session)
                launch = self._fire_scheduled(session, trigger_id, now)
            if launch is not None:
                fired += 1
                self.launch(launch)
        for crawler_id in crawlers:
            with self.store.write() as session:
                if fence:
                    fence(session)
                crawl_id = self._fire_crawler_schedule(session, crawler_id, now)
            if crawl_id:
                fired += 1
                self.crawlers.spawn(crawl_id)
        return fired

    def _missed(self, due: dt.datetime, now: dt.datetime, what: str) -> bool:
        """True when a late fire time is to be skipped (the setting ``missed_schedules`` is skip)."""
        late = (now - due).total_seconds() > MISSED_GRACE_SECONDS
        if late and self.settings.missed_schedules == "skip":
            log.warning("%s: skipped the fire time %s missed while no scheduler ran", what, due.isoformat())
            return True
        if late:
            log.warning("%s: running once for the fire time(s) missed since %s", what, due.isoformat())
        return False

    def _fire_scheduled(self, session: Session, trigger_id: int, now: dt.datetime) -> Launch | None:
        row = session.scalar(select(TriggerRow).where(TriggerRow.id == trigger_id).with_for_update())
        if row is None or row.state != "ACTIVATED" or row.next_fire_at is None or row.next_fire_at > now:
            return None  # another scheduler (or a user) got there first
        due = row.next_fire_at
        self.schedule_next(row, now)
        if self._missed(due, now, f"trigger {row.name}"):
            return None
        from .triggers import trigger_shape

        if row.workflow_name:
            _, launch = self.start_workflow_run(session, row.workflow_name, refuse_when_full=False)
            return launch
        return self.fire_actions(session, trigger_shape(row))

    def _fire_crawler_schedule(self, session: Session, crawler_id: int, now: dt.datetime) -> str | None:
        row = session.scalar(select(CrawlerRow).where(CrawlerRow.id == crawler_id).with_for_update())
        if row is None or row.schedule_state != "SCHEDULED" or row.next_fire_at is None:
            return None
        due = row.next_fire_at
        if due > now:
            return None
        row.next_fire_at = parse_schedule(row.schedule).next_after(now) if row.schedule else None
        if self._missed(due, now, f"crawler {row.name}"):
            return None
        if row.state != "READY":
            log.warning(
                "crawler %s is still %s at its scheduled time; this time is skipped", row.name, row.state
            )
            return None
        return self.crawlers.add_crawl(session, row.name)

    # -- event batches -----------------------------------------------------------------------------
    def fire_event_batches(self, now: dt.datetime, fence: Fence | None = None) -> int:
        """Start a workflow run for each EVENT trigger whose pending events reach BatchSize, or whose
        oldest pending event is BatchWindow old. Returns how many runs started."""
        with self.store.read() as session:
            query = select(TriggerRow.name).where(TriggerRow.type == "EVENT", TriggerRow.state == "ACTIVATED")
            names = list(session.scalars(query))
        started = 0
        for name in names:
            with self.store.write() as session:
                if fence:
                    fence(session)
                launch = self._fire_batch(session, name, now)
            if launch is not None:
                started += 1
                self.launch(launch)
        return started

    def _fire_batch(self, session: Session, name: str, now: dt.datetime) -> Launch | None:
        trigger = session.scalar(select(TriggerRow).where(TriggerRow.name == name).with_for_update())
        if trigger is None or trigger.state != "ACTIVATED" or not trigger.workflow_name:
            return None
        batching = trigger.event_batching or {"BatchSize": 1, "BatchWindow": 900}
        size, window = batching["BatchSize"], batching.get("BatchWindow", 900)
        pending = list(
            session.scalars(
                select(OrchestrationEventRow)
                .where(OrchestrationEventRow.trigger_name == name, OrchestrationEventRow.processed.is_(False))
                .order_by(OrchestrationEventRow.id)
                .limit(size)
            )
        )
        if not pending:
            return None
        waited = (now - pending[0].received_on).total_seconds()
        if len(pending) < size and waited < window:
            return None
        workflow = session.scalar(select(WorkflowRow).where(WorkflowRow.name == trigger.workflow_name))
        if workflow is None:
            return None
        if workflow.max_concurrent_runs and (
            self.active_workflow_runs(session, workflow.name) >= workflow.max_concurrent_runs
        ):
            return None  # the events wait for a free run
        properties = {
            "aws:eventIds": json.dumps([e.event_id for e in pending]),
            "gluelab:eventSources": json.dumps([e.source for e in pending]),
        }
        run_id, launch = self.start_workflow_run(
            session,
            workflow.name,
            properties=properties,
            event_batch={"BatchSize": len(pending), "BatchWindow": int(min(waited, window))},
        )
        for event in pending:
            event.processed = True
            event.consumed_by = run_id
        log.info("trigger %s: %d event(s) started workflow run %s", name, len(pending), run_id)
        return launch


def _watches(trigger: dict[str, Any], kind: str, name: str, state: str) -> bool:
    for condition in (trigger.get("Predicate") or {}).get("Conditions") or []:
        if kind == "JOB" and condition.get("JobName") == name and condition.get("State") == state:
            return True
        if (
            kind == "CRAWLER"
            and condition.get("CrawlerName") == name
            and condition.get("CrawlState") == state
        ):
            return True
    return False
