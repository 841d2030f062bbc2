"""CrawlerService: crawlers, their crawls and custom classifiers, as Glue's API shapes them.

StartCrawler records a RUNNING crawl and starts it in a child process (``python -m gluelab.crawler.run``),
which writes the catalog, the crawl's progress and its log; so a crawl survives the CLI or server that
started it, and a crawl whose process died is found and marked FAILED the next time anyone looks.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..catalog.common import utcnow
from ..config import Settings
from ..errors import (
    AlreadyExistsException,
    CrawlerNotRunningException,
    CrawlerRunningException,
    CrawlerStoppingException,
    EntityNotFoundException,
    InvalidInputException,
    NoScheduleException,
    SchedulerNotRunningException,
    SchedulerRunningException,
)
from ..events import record_event, wake_scheduler
from ..jobs import logs as run_logs
from ..jobs.processes import alive
from ..operations import glue_operation, gluelab_operation
from ..orchestration.schedule import check_min_interval, parse_schedule
from ..pagination import decode_token, encode_token, page_by_name
from ..store import Store
from ..store.concurrency import lock_row
from ..store.models import ClassifierRow, CrawlerRow, CrawlRow
from .classifiers import check_custom_classifier
from .configuration import parse_configuration
from .jdbc_targets import check_jdbc_target
from .s3scan import check_exclusions

LOG_GROUP = "/aws-glue/crawlers"
MIN_SCHEDULE_MINUTES = 5  # Glue refuses schedules that fire more often
SUPPORTED_TARGETS = ("S3Targets", "JdbcTargets", "CatalogTargets")
UNSUPPORTED_TARGETS = ("MongoDBTargets", "DynamoDBTargets", "DeltaTargets", "IcebergTargets", "HudiTargets")
CLASSIFIER_KINDS = {"CsvClassifier": "csv", "JsonClassifier": "json", "XMLClassifier": "xml"}
_EXTRA_FIELDS = ("LineageConfiguration", "LakeFormationConfiguration", "CrawlerSecurityConfiguration")
CRAWL_STATES = {"COMPLETED": "SUCCEEDED", "FAILED": "FAILED", "STOPPED": "CANCELLED"}  # crawl → CrawlState
_LAST_CRAWL_STATUS = {"COMPLETED": "SUCCEEDED", "FAILED": "FAILED", "STOPPED": "CANCELLED"}


def _apply_schedule(row: CrawlerRow, expression: str | None) -> None:
    """A crawler's schedule (checked as Glue checks it) and its next fire time; a new schedule is on."""
    if not expression:
        row.schedule, row.schedule_state, row.next_fire_at = None, None, None
        return
    schedule = parse_schedule(expression)
    check_min_interval(schedule, MIN_SCHEDULE_MINUTES)
    row.schedule = expression
    row.schedule_state = row.schedule_state or "SCHEDULED"
    row.next_fire_at = schedule.next_after(utcnow()) if row.schedule_state == "SCHEDULED" else None


def _millis(start: dt.datetime, end: dt.datetime | None) -> int:
    return int(((end or utcnow()) - start).total_seconds() * 1000)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class CrawlerService:
    """Every crawler and classifier operation, one method each (see ``gluelab.operations``)."""

    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings

    # -- crawlers -------------------------------------------------------------------------------
    @glue_operation("CreateCrawler")
    def create_crawler(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_definition(request)
        now = utcnow()
        with self.store.write() as session:
            if self._find(session, request["Name"]) is not None:
                raise AlreadyExistsException(f"{request['Name']} already exists")
            self._check_classifiers(session, request.get("Classifiers") or [])
            row = CrawlerRow(
                name=request["Name"],
                creation_time=now,
                last_updated=now,
                state="READY",
                version=1,
                tags=request.get("Tags") or {},
                memory={},
            )
            self._apply(row, request, creating=True)
            session.add(row)
        return {}

    @glue_operation("UpdateCrawler")
    def update_crawler(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.write() as session:
            row = self._crawler(session, request["Name"], for_update=True)
            if row.state != "READY":
                raise CrawlerRunningException(f"Crawler with name {row.name} has already started")
            merged = {**self._definition(row), **{k: v for k, v in request.items() if v is not None}}
            self._check_definition(merged)
            self._check_classifiers(session, merged.get("Classifiers") or [])
            self._apply(row, merged, creating=False)
            row.version += 1
            row.last_updated = utcnow()
        return {}

    @glue_operation("GetCrawler")
    def get_crawler(self, request: dict[str, Any]) -> dict[str, Any]:
        self.reconcile()
        with self.store.read() as session:
            row = self._crawler(session, request["Name"])
            return {"Crawler": self._shape(session, row)}

    @glue_operation("GetCrawlers")
    def get_crawlers(self, request: dict[str, Any]) -> dict[str, Any]:
        self.reconcile()
        with self.store.read() as session:
            rows, token = self._page(session, request)
            return {"Crawlers": [self._shape(session, r) for r in rows], **token}

    @glue_operation("ListCrawlers")
    def list_crawlers(self, request: dict[str, Any]) -> dict[str, Any]:
        wanted = request.get("Tags") or {}
        with self.store.read() as session:
            rows, token = self._page(session, request, tags=wanted)
            return {"CrawlerNames": [r.name for r in rows], **token}

    @glue_operation("DeleteCrawler")
    def delete_crawler(self, request: dict[str, Any]) -> dict[str, Any]:
        self.reconcile()
        with self.store.write() as session:
            row = self._crawler(session, request["Name"])
            if row.state != "READY":
                raise CrawlerRunningException(f"Crawler with name {row.name} has already started")
            for crawl in session.scalars(select(CrawlRow).where(CrawlRow.crawler_name == row.name)):
                session.delete(crawl)
            session.delete(row)
        return {}

    @glue_operation("StartCrawler")
    def start_crawler(self, request: dict[str, Any]) -> dict[str, Any]:
        crawl_id = self.begin_crawl(request["Name"])
        self.spawn(crawl_id)
        return {}

    @glue_operation("StopCrawler")
    def stop_crawler(self, request: dict[str, Any]) -> dict[str, Any]:
        self.reconcile()
        with self.store.write() as session:
            row = self._crawler(session, request["Name"], for_update=True)
            if row.state == "READY":
                raise CrawlerNotRunningException(f"Crawler with name {row.name} is not running")
            if row.state == "STOPPING":
                raise CrawlerStoppingException(f"Crawler with name {row.name} is stopping")
            row.state = "STOPPING"
            crawl = self._running_crawl(session, row.name)
            if crawl is not None:
                crawl.stop_requested = True
        return {}

    @glue_operation("StartCrawlerSchedule")
    def start_crawler_schedule(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.write() as session:
            row = self._crawler(session, request["CrawlerName"], for_update=True)
            if not row.schedule:
                raise NoScheduleException(f"Crawler {row.name} has no schedule")
            if row.schedule_state == "SCHEDULED":
                raise SchedulerRunningException(f"The schedule of crawler {row.name} is already running")
            row.schedule_state = "SCHEDULED"
            _apply_schedule(row, row.schedule)
        return {}

    @glue_operation("StopCrawlerSchedule")
    def stop_crawler_schedule(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.write() as session:
            row = self._crawler(session, request["CrawlerName"], for_update=True)
            if not row.schedule or row.schedule_state != "SCHEDULED":
                raise SchedulerNotRunningException(f"The schedule of crawler {row.name} is not running")
            row.schedule_state, row.next_fire_at = "NOT_SCHEDULED", None
        return {}

    @glue_operation("UpdateCrawlerSchedule")
    def update_crawler_schedule(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.write() as session:
            row = self._crawler(session, request["CrawlerName"], for_update=True)
            _apply_schedule(row, request.get("Schedule"))
            row.version += 1
            row.last_updated = utcnow()
        return {}

    @glue_operation("GetCrawlerMetrics")
    def get_crawler_metrics(self, request: dict[str, Any]) -> dict[str, Any]:
        self.reconcile()
        names = request.get("CrawlerNameList")
        with self.store.read() as session:
            if names:
                rows = [r for r in (self._find(session, n) for n in names) if r is not None]
                token: dict[str, Any] = {}
            else:
                rows, token = self._page(session, request)
            return {"CrawlerMetricsList": [self._metrics(session, r) for r in rows], **token}

    @glue_operation("ListCrawls")
    def list_crawls(self, request: dict[str, Any]) -> dict[str, Any]:
        self.reconcile()
        limit = request.get("MaxResults") or 100
        after = decode_token(request.get("NextToken"), f"crawls:{request['CrawlerName']}", int)
        with self.store.read() as session:
            self._crawler(session, request["CrawlerName"])
            query = select(CrawlRow).where(CrawlRow.crawler_name == request["CrawlerName"])
            if after is not None:
                query = query.where(CrawlRow.id < after)
            crawls = [
                c
                for c in session.scalars(query.order_by(CrawlRow.id.desc()))
                if _matches(c, request.get("Filters") or [])
            ]
            page = crawls[:limit]
            token = (
                {"NextToken": encode_token(f"crawls:{request['CrawlerName']}", page[-1].id)}
                if len(crawls) > limit
                else {}
            )
            return {"Crawls": [_history(c) for c in page], **token}

    @gluelab_operation("GetCrawlLog", "CrawlerName", optional=("CrawlId", "Offset", "MaxBytes"))
    def get_crawl_log(self, request: dict[str, Any]) -> dict[str, Any]:
        """gluelab's own action: whole lines of a crawl's log (``CrawlId``; the latest crawl without one)
        from byte ``Offset``; poll with ``NextOffset`` while it runs, ``Finished`` says it has ended."""
        offset, limit = run_logs.chunk_window(request)
        self.reconcile()
        with self.store.read() as session:
            self._crawler(session, request["CrawlerName"])
            query = select(CrawlRow).where(CrawlRow.crawler_name == request["CrawlerName"])
            if request.get("CrawlId") is not None:
                query = query.where(CrawlRow.crawl_id == request["CrawlId"])
            crawl = session.scalars(query.order_by(CrawlRow.id.desc()).limit(1)).first()
            if crawl is None:
                what = f"crawl {request['CrawlId']}" if request.get("CrawlId") else "crawls"
                raise EntityNotFoundException(f"Crawler {request['CrawlerName']} has no {what}")
            state, path, crawl_id = crawl.state, crawl.log_path, crawl.crawl_id
        lines, next_offset = run_logs.read_chunk(path, offset, limit) if path else ([], offset)
        return {
            "CrawlerName": request["CrawlerName"],
            "CrawlId": crawl_id,
            "Lines": lines,
            "NextOffset": next_offset,
            "State": state,
            "Finished": state != "RUNNING",
        }

    # -- classifiers ----------------------------------------------------------------------------
    @glue_operation("CreateClassifier")
    def create_classifier(self, request: dict[str, Any]) -> dict[str, Any]:
        kind, definition = _one_classifier(request)
        now = utcnow()
        with self.store.write() as session:
            if self._find_classifier(session, definition["Name"]) is not None:
                raise AlreadyExistsException(f"Classifier {definition['Name']} already exists")
            session.add(
                ClassifierRow(
                    name=definition["Name"],
                    kind=kind,
                    definition=definition,
                    version=1,
                    creation_time=now,
                    last_updated=now,
                )
            )
        return {}

    @glue_operation("UpdateClassifier")
    def update_classifier(self, request: dict[str, Any]) -> dict[str, Any]:
        kind, definition = _one_classifier(request)
        with self.store.write() as session:
            row = lock_row(session, self._classifier(session, definition["Name"]))
            if row is None:
                raise EntityNotFoundException(f"Classifier {definition['Name']} not found")
            if row.kind != kind:
                raise InvalidInputException(f"Classifier {row.name} is a {row.kind}, not a {kind}")
            row.definition = {**row.definition, **definition}
            row.version += 1
            row.last_updated = utcnow()
        return {}

    @glue_operation("GetClassifier")
    def get_classifier(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.read() as session:
            return {"Classifier": _classifier_shape(self._classifier(session, request["Name"]))}

    @glue_operation("GetClassifiers")
    def get_classifiers(self, request: dict[str, Any]) -> dict[str, Any]:
        limit = request.get("MaxResults") or 100
        after = decode_token(request.get("NextToken"), "classifiers")
        with self.store.read() as session:
            query = select(ClassifierRow).order_by(ClassifierRow.name)
            if after is not None:
                query = query.where(ClassifierRow.name > after)
            rows = list(session.scalars(query.limit(limit + 1)))
            token = (
                {"NextToken": encode_token("classifiers", rows[limit - 1].name)} if len(rows) > limit else {}
            )
            return {"Classifiers": [_classifier_shape(r) for r in rows[:limit]], **token}

    @glue_operation("DeleteClassifier")
    def delete_classifier(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.write() as session:
            session.delete(self._classifier(session, request["Name"]))
        return {}

    # -- crawl lifecycle (for the crawl process, the CLI and tests) -----------------------------
    def begin_crawl(self, name: str) -> str:
        """Mark the crawler RUNNING and record a new crawl; returns its CrawlId."""
        self.reconcile()
        with self.store.write() as session:
            return self.add_crawl(session, name)

    def add_crawl(
        self,
        session: Session,
        name: str,
        trigger_name: str | None = None,
        workflow_run_id: str | None = None,
    ) -> str:
        """``begin_crawl`` inside the caller's transaction (a trigger starts its actions in one)."""
        crawl_id = str(uuid.uuid4())
        row = self._crawler(session, name, for_update=True)
        if row.state != "READY":
            raise CrawlerRunningException(f"Crawler with name {name} has already started")
        row.state = "RUNNING"
        log_path = self.settings.logs_dir / "crawlers" / name / f"{crawl_id}.log"
        session.add(
            CrawlRow(
                crawl_id=crawl_id,
                crawler_name=name,
                state="RUNNING",
                start_time=utcnow(),
                summary={},
                log_path=str(log_path),
                stop_requested=False,
                progress={"phase": "starting"},
                trigger_name=trigger_name,
                workflow_run_id=workflow_run_id,
            )
        )
        session.flush()
        return crawl_id

    def spawn(self, crawl_id: str) -> None:
        """Start the process of a begun crawl (``python -m gluelab.crawler.run``)."""
        with self.store.read() as session:
            crawl = self._crawl(session, crawl_id)
            log_path = crawl.log_path
        assert log_path is not None
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        env = {**os.environ, **self.settings.child_env()}
        with open(log_path + ".stderr", "ab") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "gluelab.crawler.run", crawl_id],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        self.claim(crawl_id, process.pid)

    def claim(self, crawl_id: str, pid: int) -> bool:
        """The process ``pid`` runs the crawl; False when another process already does (or it ended)."""
        with self.store.write() as session:
            crawl = self._crawl(session, crawl_id)
            if crawl.state != "RUNNING" or crawl.pid not in (None, pid):
                return False
            crawl.pid = pid
            return True

    def unclaimed_crawls(self, older_than: float) -> list[str]:
        """RUNNING crawls no process has taken for ``older_than`` seconds (their starter died first)."""
        with self.store.read() as session:
            rows = session.scalars(
                select(CrawlRow).where(CrawlRow.state == "RUNNING", CrawlRow.pid.is_(None))
            )
            now = utcnow()
            return [r.crawl_id for r in rows if (now - _aware(r.start_time)).total_seconds() > older_than]

    def crawl_info(self, crawl_id: str) -> dict[str, Any]:
        """A crawl's history entry plus its progress, log path and stop flag (for the engine and CLI)."""
        with self.store.read() as session:
            crawl = self._crawl(session, crawl_id)
            crawler = self._crawler(session, crawl.crawler_name)
            return {
                **_history(crawl),
                "CrawlerName": crawl.crawler_name,
                "Crawler": self._definition(crawler),
                "Memory": dict(crawler.memory or {}),
                "Progress": dict(crawl.progress or {}),
                "LogPath": crawl.log_path,
                "StopRequested": crawl.stop_requested,
            }

    def report_progress(self, crawl_id: str, progress: dict[str, Any]) -> bool:
        """Save a running crawl's progress; returns True when a stop was requested."""
        with self.store.write() as session:
            crawl = self._crawl(session, crawl_id)
            crawl.progress = {**(crawl.progress or {}), **progress}
            return crawl.stop_requested

    def finish_crawl(
        self,
        crawl_id: str,
        state: str,
        summary: dict[str, Any],
        error: str | None = None,
        memory: dict[str, Any] | None = None,
    ) -> None:
        """End a crawl (COMPLETED, FAILED or STOPPED) and set its crawler READY."""
        with self.store.write() as session:
            crawl = self._crawl(session, crawl_id)
            # Crawler, then crawl (StartCrawler's order): a second ending waits, then sees the first.
            crawler = self._find(session, crawl.crawler_name, for_update=True)
            crawl = lock_row(session, crawl)
            if crawl is None or crawl.state != "RUNNING":
                return
            crawl.state = state
            crawl.end_time = utcnow()
            crawl.summary = summary
            crawl.error_message = error
            if crawler is not None:
                crawler.state = "READY"
                if memory is not None:
                    crawler.memory = memory
            notify = self._record_end(session, crawl)
        if notify:
            wake_scheduler(self.settings)

    @staticmethod
    def _record_end(session: Session, crawl: CrawlRow) -> bool:
        """A trigger-started crawl's end is an event for conditional triggers (CrawlState names)."""
        if not (crawl.trigger_name or crawl.workflow_run_id):
            return False
        record_event(
            session,
            "CRAWL",
            name=crawl.crawler_name,
            run_id=crawl.crawl_id,
            state=CRAWL_STATES[crawl.state],
            workflow_run_id=crawl.workflow_run_id,
        )
        return True

    def reconcile(self) -> None:
        """Crawls whose process is gone without finishing become FAILED; their crawlers READY."""
        with self.store.read() as session:
            running = list(session.scalars(select(CrawlRow).where(CrawlRow.state == "RUNNING")))
            stale = [
                c.crawl_id
                for c in running
                if c.pid is not None
                and not alive(c.pid)
                or c.pid is None
                and (utcnow() - _aware(c.start_time)).total_seconds() > 60
            ]
        for crawl_id in stale:
            with self.store.write() as session:
                crawl = self._crawl(session, crawl_id)
                if crawl.state != "RUNNING":
                    continue
                crawl.state = "FAILED"
                crawl.end_time = utcnow()
                crawl.error_message = "The crawl's process ended before the crawl finished (see its log)."
                crawler = self._find(session, crawl.crawler_name)
                if crawler is not None:
                    crawler.state = "READY"
                self._record_end(session, crawl)

    # -- helpers ---------------------------------------------------------------------------------
    def _check_definition(self, request: dict[str, Any]) -> None:
        targets = request.get("Targets") or {}
        for key in UNSUPPORTED_TARGETS:
            if targets.get(key):
                raise InvalidInputException(
                    f"{key} cannot be crawled by gluelab (no {key[: -len('Targets')]} offline); "
                    "use S3Targets, JdbcTargets or CatalogTargets"
                )
        if not any(targets.get(key) for key in SUPPORTED_TARGETS):
            raise InvalidInputException("Targets must include at least one S3, JDBC or catalog target")
        if (targets.get("S3Targets") or targets.get("JdbcTargets")) and not request.get("DatabaseName"):
            raise InvalidInputException("DatabaseName is required for S3 and JDBC targets")
        policy = request.get("SchemaChangePolicy") or {}
        recrawl = (request.get("RecrawlPolicy") or {}).get("RecrawlBehavior", "CRAWL_EVERYTHING")
        if targets.get("CatalogTargets") and policy.get("DeleteBehavior", "DEPRECATE_IN_DATABASE") != "LOG":
            raise InvalidInputException("A crawler with catalog targets must have DeleteBehavior LOG")
        if recrawl == "CRAWL_NEW_FOLDERS_ONLY" and (
            policy.get("UpdateBehavior", "UPDATE_IN_DATABASE") != "LOG"
            or policy.get("DeleteBehavior", "DEPRECATE_IN_DATABASE") != "LOG"
        ):
            raise InvalidInputException(
                "CRAWL_NEW_FOLDERS_ONLY requires SchemaChangePolicy UpdateBehavior LOG and DeleteBehavior LOG"
            )
        if recrawl == "CRAWL_EVENT_MODE":
            raise InvalidInputException("CRAWL_EVENT_MODE needs an SQS queue; gluelab has none")
        for target in targets.get("S3Targets") or []:
            if target.get("EventQueueArn") or target.get("DlqEventQueueArn"):
                raise InvalidInputException("S3 targets with event queues are not supported by gluelab")
            check_exclusions(target.get("Exclusions"))
        for target in targets.get("JdbcTargets") or []:
            check_jdbc_target(target)
        parse_configuration(request.get("Configuration"))

    def _check_classifiers(self, session: Session, names: list[str]) -> None:
        for name in names:
            if self._find_classifier(session, name) is None:
                raise EntityNotFoundException(f"Classifier {name} not found")

    @staticmethod
    def _apply(row: CrawlerRow, request: dict[str, Any], creating: bool) -> None:
        row.role = request["Role"]
        row.database_name = request.get("DatabaseName")
        row.description = request.get("Description")
        row.targets = request.get("Targets") or {}
        _apply_schedule(row, request.get("Schedule"))
        row.classifiers = list(request.get("Classifiers") or [])
        row.table_prefix = request.get("TablePrefix")
        row.schema_change_policy = {
            "UpdateBehavior": "UPDATE_IN_DATABASE",
            "DeleteBehavior": "DEPRECATE_IN_DATABASE",
            **(request.get("SchemaChangePolicy") or {}),
        }
        row.recrawl_policy = {"RecrawlBehavior": "CRAWL_EVERYTHING", **(request.get("RecrawlPolicy") or {})}
        row.configuration = request.get("Configuration")
        row.extra = {k: request[k] for k in _EXTRA_FIELDS if request.get(k) is not None}

    @staticmethod
    def _definition(row: CrawlerRow) -> dict[str, Any]:
        shape = {
            "Name": row.name,
            "Role": row.role,
            "DatabaseName": row.database_name,
            "Description": row.description,
            "Targets": row.targets,
            "Schedule": row.schedule,
            "Classifiers": row.classifiers,
            "TablePrefix": row.table_prefix,
            "SchemaChangePolicy": row.schema_change_policy,
            "RecrawlPolicy": row.recrawl_policy,
            "Configuration": row.configuration,
            **(row.extra or {}),
        }
        return {k: v for k, v in shape.items() if v is not None}

    def _shape(self, session: Session, row: CrawlerRow) -> dict[str, Any]:
        shape = self._definition(row)
        shape.pop("Schedule", None)
        if row.schedule:
            shape["Schedule"] = {
                "ScheduleExpression": row.schedule,
                "State": row.schedule_state or "SCHEDULED",
            }
        shape.update(
            State=row.state,
            CreationTime=row.creation_time,
            LastUpdated=row.last_updated,
            Version=row.version,
            LineageConfiguration=shape.get("LineageConfiguration", {"CrawlerLineageSettings": "DISABLE"}),
        )
        last = self._last_finished(session, row.name)
        if last is not None:
            shape["CrawlElapsedTime"] = 0 if row.state == "READY" else self._running_elapsed(session, row)
            shape["LastCrawl"] = {
                "Status": _LAST_CRAWL_STATUS[last.state],
                "LogGroup": LOG_GROUP,
                "LogStream": row.name,
                "MessagePrefix": last.crawl_id,
                "StartTime": last.start_time,
                **({"ErrorMessage": last.error_message} if last.error_message else {}),
            }
        elif row.state != "READY":
            shape["CrawlElapsedTime"] = self._running_elapsed(session, row)
        return shape

    def _running_elapsed(self, session: Session, row: CrawlerRow) -> int:
        crawl = self._running_crawl(session, row.name)
        return 0 if crawl is None else _millis(_aware(crawl.start_time), None)

    def _metrics(self, session: Session, row: CrawlerRow) -> dict[str, Any]:
        finished = list(
            session.scalars(
                select(CrawlRow)
                .where(CrawlRow.crawler_name == row.name, CrawlRow.state == "COMPLETED")
                .order_by(CrawlRow.id.desc())
            )
        )
        runtimes = [_millis(_aware(c.start_time), _aware(c.end_time)) / 1000 for c in finished if c.end_time]
        median = statistics.median(runtimes) if runtimes else 0.0
        metrics: dict[str, Any] = {
            "CrawlerName": row.name,
            "LastRuntimeSeconds": runtimes[0] if runtimes else 0.0,
            "MedianRuntimeSeconds": median,
            "StillEstimating": False,
            "TimeLeftSeconds": 0.0,
            "TablesCreated": 0,
            "TablesUpdated": 0,
            "TablesDeleted": 0,
        }
        if finished:
            summary = finished[0].summary or {}
            metrics.update(
                TablesCreated=summary.get("TablesCreated", 0),
                TablesUpdated=summary.get("TablesUpdated", 0),
                TablesDeleted=summary.get("TablesDeleted", 0),
            )
        running = self._running_crawl(session, row.name)
        if running is not None:
            elapsed = _millis(_aware(running.start_time), None) / 1000
            metrics["StillEstimating"] = not runtimes
            metrics["TimeLeftSeconds"] = max(0.0, median - elapsed) if runtimes else 0.0
        return metrics

    def _page(
        self, session: Session, request: dict[str, Any], tags: dict[str, str] | None = None
    ) -> tuple[list[CrawlerRow], dict[str, Any]]:
        return page_by_name(session, CrawlerRow, request, "crawlers", tags)

    @staticmethod
    def _find(session: Session, name: str, for_update: bool = False) -> CrawlerRow | None:
        query = select(CrawlerRow).where(CrawlerRow.name == name)
        return session.scalar(query.with_for_update() if for_update else query)

    def _crawler(self, session: Session, name: str, for_update: bool = False) -> CrawlerRow:
        row = self._find(session, name, for_update)
        if row is None:
            raise EntityNotFoundException(f"Crawler entry with name {name} does not exist")
        return row

    @staticmethod
    def _crawl(session: Session, crawl_id: str) -> CrawlRow:
        row = session.scalar(select(CrawlRow).where(CrawlRow.crawl_id == crawl_id))
        if row is None:
            raise EntityNotFoundException(f"Crawl {crawl_id} does not exist")
        return row

    @staticmethod
    def _running_crawl(session: Session, name: str) -> CrawlRow | None:
        return session.scalar(
            select(CrawlRow)
            .where(CrawlRow.crawler_name == name, CrawlRow.state == "RUNNING")
            .order_by(CrawlRow.id.desc())
        )

    @staticmethod
    def _last_finished(session: Session, name: str) -> CrawlRow | None:
        return session.scalar(
            select(CrawlRow)
            .where(CrawlRow.crawler_name == name, CrawlRow.state != "RUNNING")
            .order_by(CrawlRow.id.desc())
            .limit(1)
        )

    @staticmethod
    def _find_classifier(session: Session, name: str) -> ClassifierRow | None:
        return session.scalar(select(ClassifierRow).where(ClassifierRow.name == name))

    def _classifier(self, session: Session, name: str) -> ClassifierRow:
        row = self._find_classifier(session, name)
        if row is None:
            raise EntityNotFoundException(f"Classifier {name} not found")
        return row

    def classifier_definitions(self, names: list[str]) -> list[dict[str, Any]]:
        """The crawler's custom classifiers, in its order, as ``{"CsvClassifier": {...}}`` shapes."""
        with self.store.read() as session:
            rows = [self._find_classifier(session, n) for n in names]
            kinds = {v: k for k, v in CLASSIFIER_KINDS.items()}
            return [{kinds[r.kind]: dict(r.definition)} for r in rows if r is not None]


def _one_classifier(request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if request.get("GrokClassifier"):
        raise InvalidInputException("Grok classifiers are not supported by gluelab; use csv, json or xml")
    given = [(CLASSIFIER_KINDS[k], request[k]) for k in CLASSIFIER_KINDS if request.get(k)]
    if len(given) != 1:
        raise InvalidInputException("Give exactly one of CsvClassifier, JsonClassifier or XMLClassifier")
    kind, definition = given[0]
    check_custom_classifier(definition)
    if kind == "json" and not str(definition.get("JsonPath", "")).startswith("$"):
        raise InvalidInputException("JsonPath must start with $")
    if kind == "xml" and not definition.get("RowTag"):
        raise InvalidInputException("An XML classifier needs a RowTag")
    if kind == "xml" and not definition.get("Classification"):
        raise InvalidInputException("An XML classifier needs a Classification")
    return kind, dict(definition)


def _classifier_shape(row: ClassifierRow) -> dict[str, Any]:
    kinds = {v: k for k, v in CLASSIFIER_KINDS.items()}
    return {
        kinds[row.kind]: {
            **row.definition,
            "CreationTime": row.creation_time,
            "LastUpdated": row.last_updated,
            "Version": row.version,
        }
    }


def _history(crawl: CrawlRow) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "CrawlId": crawl.crawl_id,
        "State": crawl.state,
        "StartTime": crawl.start_time,
        "Summary": json.dumps(crawl.summary or {}, sort_keys=True),
        "LogGroup": LOG_GROUP,
        "LogStream": crawl.crawler_name,
        "MessagePrefix": crawl.crawl_id,
        "DPUHour": 0.0,
    }
    if crawl.end_time:
        shape["EndTime"] = crawl.end_time
    if crawl.error_message:
        shape["ErrorMessage"] = crawl.error_message
    return shape


def _matches(crawl: CrawlRow, filters: list[dict[str, Any]]) -> bool:
    for f in filters:
        field, op, value = f.get("FieldName"), f.get("FilterOperator"), f.get("FieldValue")
        if field is None or op is None or value is None:
            raise InvalidInputException("A crawl filter needs FieldName, FilterOperator and FieldValue")
        actual: Any
        wanted: Any
        if field == "CRAWL_ID":
            actual, wanted = crawl.crawl_id, value
        elif field == "STATE":
            actual, wanted = crawl.state, value
        elif field == "DPU_HOUR":
            actual, wanted = 0.0, _number(value)
        else:
            moment = crawl.start_time if field == "START_TIME" else crawl.end_time
            if moment is None:
                return False
            actual, wanted = _aware(moment), _instant(value)
        ok = {
            "EQ": actual == wanted,
            "NE": actual != wanted,
            "GT": actual > wanted,
            "GE": actual >= wanted,
            "LT": actual < wanted,
            "LE": actual <= wanted,
        }[op]
        if not ok:
            return False
    return True


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise InvalidInputException(f"{value!r} is not a number") from None


def _instant(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            return dt.datetime.fromtimestamp(float(value) / 1000, dt.UTC)
        except ValueError:
            raise InvalidInputException(f"{value!r} is not a time (ISO 8601 or epoch milliseconds)") from None
    return _aware(parsed)
