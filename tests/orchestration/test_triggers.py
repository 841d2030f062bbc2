"""Triggers through the service layer on SQLite and PostgreSQL: on-demand and conditional chains outside
workflows (Glue's rule: only trigger-started runs fire dependents), scheduled triggers and missed fire
times, event triggers batching files and posted events, crawler schedules, and every kind of bad input."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from gluelab.catalog.common import utcnow
from gluelab.config import Settings
from gluelab.errors import (
    AlreadyExistsException,
    EntityNotFoundException,
    InvalidInputException,
    NoScheduleException,
    SchedulerNotRunningException,
)
from gluelab.orchestration.scheduler import Scheduler
from gluelab.services import Services
from gluelab.store import Store
from gluelab.store.models import CrawlerRow, TriggerRow
from tests.orchestration.orchestration_helpers import (
    finished_run,
    job_runs,
    landing_crawler,
    step_job,
    wait_for,
)

CHAIN = {"Conditions": [{"LogicalOperator": "EQUALS", "JobName": "extract", "State": "SUCCEEDED"}]}


@pytest.fixture
def scheduler(services: Services) -> Iterator[Scheduler]:
    scheduler = Scheduler(services)
    scheduler.start()
    yield scheduler
    scheduler.close()


def _finished(services: Services, job: str, count: int = 1) -> list[dict]:
    def done() -> list[dict] | None:
        runs = job_runs(services, job)
        ended = [
            r for r in runs if r["JobRunState"] in ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR")
        ]
        return runs if len(ended) >= count else None

    return wait_for(done, what=f"{count} finished run(s) of {job}")


def _set_next_fire(store: Store, name: str, when: dt.datetime) -> None:
    with store.write() as session:
        session.execute(update(TriggerRow).where(TriggerRow.name == name).values(next_fire_at=when))


def _next_fire(store: Store, name: str) -> dt.datetime | None:
    with store.read() as session:
        return session.scalar(select(TriggerRow.next_fire_at).where(TriggerRow.name == name))


def test_only_trigger_started_runs_fire_conditional_triggers(
    services: Services, scheduler: Scheduler, tmp_path: Path
):
    for name in ("extract", "load"):
        step_job(services, tmp_path, name)
    tr = services.triggers
    tr.create_trigger(
        Name="kick", Type="ON_DEMAND", Actions=[{"JobName": "extract", "Arguments": {"--day": "1"}}]
    )
    tr.create_trigger(Name="chain", Type="CONDITIONAL", Predicate=CHAIN, Actions=[{"JobName": "load"}])
    assert tr.get_trigger(Name="chain")["Trigger"]["State"] == "CREATED"

    # A deactivated conditional trigger does not fire.
    tr.start_trigger(Name="kick")
    _finished(services, "extract")
    time.sleep(1.5)
    assert job_runs(services, "load") == []

    # Activated: a manual StartJobRun does not fire it (Glue's rule) ...
    assert tr.start_trigger(Name="chain") == {"Name": "chain"}
    assert tr.get_trigger(Name="chain")["Trigger"]["State"] == "ACTIVATED"
    services.jobs.start_job_run(JobName="extract")
    _finished(services, "extract", 2)
    time.sleep(1.5)
    assert job_runs(services, "load") == []

    # ... a trigger-started run does, with the predecessor recorded.
    tr.start_trigger(Name="kick")
    runs = _finished(services, "extract", 3)
    load = _finished(services, "load")[0]
    assert load["TriggerName"] == "chain" and load["JobRunState"] == "SUCCEEDED"
    assert load["PredecessorRuns"] == [{"JobName": "extract", "RunId": runs[0]["Id"]}]
    assert runs[0]["TriggerName"] == "kick" and runs[0]["Arguments"]["--day"] == "1"
    assert "--WORKFLOW_RUN_ID" not in load["Arguments"]

    tr.stop_trigger(Name="chain")
    assert tr.get_trigger(Name="chain")["Trigger"]["State"] == "DEACTIVATED"


def test_a_trigger_whose_job_is_gone_records_an_error_run(services: Services, tmp_path: Path):
    step_job(services, tmp_path, "temp")
    services.triggers.create_trigger(Name="t", Type="ON_DEMAND", Actions=[{"JobName": "temp"}])
    services.jobs.delete_job(JobName="temp")
    services.triggers.start_trigger(Name="t")
    step_job(services, tmp_path, "temp")  # the job is back: its runs show the failed attempt
    [run] = job_runs(services, "temp")
    assert run["JobRunState"] == "ERROR" and run["TriggerName"] == "t"
    assert "EntityNotFoundException: Job with name: temp not found" in run["ErrorMessage"]


def test_a_scheduled_trigger_fires_when_due_and_follows_the_missed_policy(
    services: Services, settings: Settings, tmp_path: Path
):
    step_job(services, tmp_path, "nightly")
    tr = services.triggers
    tr.create_trigger(
        Name="midnight",
        Type="SCHEDULED",
        Schedule="cron(0 0 * * ? *)",
        StartOnCreation=True,
        Actions=[{"JobName": "nightly", "Timeout": 30}],
    )
    now = utcnow()
    tomorrow = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert _next_fire(services.store, "midnight") == tomorrow
    scheduler = Scheduler(services)
    assert scheduler.tick() and job_runs(services, "nightly") == []  # not due

    # Due a few seconds ago: fires once, and the next fire time moves on.
    _set_next_fire(services.store, "midnight", now - dt.timedelta(seconds=5))
    scheduler.tick()
    scheduler.tick()
    [run] = _finished(services, "nightly")
    assert run["TriggerName"] == "midnight" and run["Timeout"] == 30 and run["JobRunState"] == "SUCCEEDED"
    assert _next_fire(services.store, "midnight") == tomorrow

    # Missed by hours (no scheduler ran): run-once (the default) fires once ...
    _set_next_fire(services.store, "midnight", now - dt.timedelta(hours=5))
    scheduler.tick()
    assert len(_finished(services, "nightly", 2)) == 2
    # ... skip fires nothing and moves on.
    skipping = Services(
        Settings.load(env={**settings.child_env(), "GLUELAB_MISSED_SCHEDULES": "skip"}), services.store
    )
    _set_next_fire(services.store, "midnight", now - dt.timedelta(hours=5))
    skipper = Scheduler(skipping)
    skipper.lease = scheduler.lease  # the same holder: this test's one scheduler
    skipper.tick()
    time.sleep(1)
    assert len(job_runs(services, "nightly")) == 2
    assert _next_fire(services.store, "midnight") == tomorrow

    # A deactivated trigger has no next fire time; reactivated, it has one again.
    tr.stop_trigger(Name="midnight")
    assert _next_fire(services.store, "midnight") is None
    tr.start_trigger(Name="midnight")
    assert _next_fire(services.store, "midnight") == tomorrow
    scheduler.lease.release()


def test_a_scheduled_workflow_trigger_at_its_run_limit_records_an_error_run(
    services: Services, tmp_path: Path
):
    step_job(services, tmp_path, "w1")
    services.workflows.create_workflow(Name="capped", MaxConcurrentRuns=1)
    services.triggers.create_trigger(
        Name="hourly",
        WorkflowName="capped",
        Type="SCHEDULED",
        Schedule="cron(0 * * * ? *)",
        StartOnCreation=True,
        Actions=[{"JobName": "w1"}],
    )
    scheduler = Scheduler(services)
    _set_next_fire(services.store, "hourly", utcnow() - dt.timedelta(seconds=1))
    scheduler.tick()
    first = services.workflows.get_workflow_runs(Name="capped")["Runs"]
    assert [r["Status"] for r in first] == ["RUNNING"]
    _set_next_fire(services.store, "hourly", utcnow() - dt.timedelta(seconds=1))
    scheduler.tick()
    runs = services.workflows.get_workflow_runs(Name="capped")["Runs"]
    assert runs[0]["Status"] == "ERROR"
    assert runs[0]["ErrorMessage"] == "Concurrent runs exceeded for workflow: capped"
    first_id = first[0]["WorkflowRunId"]
    status = lambda: services.workflows.get_workflow_run(Name="capped", RunId=first_id)["Run"]["Status"]  # noqa: E731
    wait_for(lambda: scheduler.tick() and status() == "COMPLETED", what="the first run to complete")
    scheduler.lease.release()


def test_an_event_trigger_batches_posted_events_and_arriving_files(
    services: Services, scheduler: Scheduler, tmp_path: Path
):
    step_job(services, tmp_path, "ingest")
    services.workflows.create_workflow(Name="arrivals")
    landing = services.settings.warehouse_dir / "lake" / "incoming"
    landing.mkdir(parents=True)
    (landing / "before.csv").write_text("x\n1\n")  # already there: not an arrival
    services.triggers.create_trigger(
        Name="on-files",
        WorkflowName="arrivals",
        Type="EVENT",
        EventBatchingCondition={"BatchSize": 3, "BatchWindow": 3},
        Actions=[{"JobName": "ingest"}],
        StartOnCreation=True,
        Tags={"gluelab:event-source": "s3://lake/incoming/"},
    )
    runs = lambda: services.workflows.get_workflow_runs(Name="arrivals")["Runs"]  # noqa: E731

    # Two posted events wait for a third ...
    first = services.triggers.put_trigger_event(TriggerName="on-files", Source="manual-1")["EventId"]
    services.triggers.put_trigger_event(TriggerName="on-files", Source="manual-2")
    time.sleep(1.0)
    assert runs() == []
    # ... which a new file brings: one run for the batch of three.
    (landing / "day=1").mkdir()
    (landing / "day=1" / "a.csv").write_text("x\n2\n")
    (landing / ".a.csv.tmp").write_text("partial")  # hidden: ignored
    [run] = wait_for(runs, what="the batch's workflow run")
    assert run["StartingEventBatchCondition"]["BatchSize"] == 3
    properties = run["WorkflowRunProperties"]
    assert json.loads(properties["aws:eventIds"])[0] == first
    assert json.loads(properties["gluelab:eventSources"]) == [
        "manual-1",
        "manual-2",
        "s3://lake/incoming/day=1/a.csv",
    ]
    finished_run(services, "arrivals", run["WorkflowRunId"])
    assert job_runs(services, "ingest")[0]["Arguments"]["--WORKFLOW_RUN_ID"] == run["WorkflowRunId"]

    # A lone event starts a run once the window (3 s) has passed.
    services.triggers.put_trigger_event(TriggerName="on-files", Source="manual-3")
    posted = time.monotonic()
    wait_for(lambda: len(runs()) == 2, what="the window's run")
    assert time.monotonic() - posted >= 2.0
    assert runs()[0]["StartingEventBatchCondition"]["BatchSize"] == 1
    finished_run(services, "arrivals", runs()[0]["WorkflowRunId"])

    services.triggers.stop_trigger(Name="on-files")
    with pytest.raises(InvalidInputException, match="DEACTIVATED: start it"):
        services.triggers.put_trigger_event(TriggerName="on-files", Source="late")


def test_crawler_schedules_start_stop_and_fire(services: Services):
    landing_crawler(services)
    crawlers = services.crawlers
    with pytest.raises(NoScheduleException):
        crawlers.start_crawler_schedule(CrawlerName="landing")
    crawlers.update_crawler_schedule(CrawlerName="landing", Schedule="cron(30 4 * * ? *)")
    assert crawlers.get_crawler(Name="landing")["Crawler"]["Schedule"] == {
        "ScheduleExpression": "cron(30 4 * * ? *)",
        "State": "SCHEDULED",
    }
    with pytest.raises(InvalidInputException, match="at most every 5 minutes"):
        crawlers.update_crawler_schedule(CrawlerName="landing", Schedule="cron(* * * * ? *)")
    scheduler = Scheduler(services)
    with services.store.write() as session:
        session.execute(
            update(CrawlerRow)
            .where(CrawlerRow.name == "landing")
            .values(next_fire_at=utcnow() - dt.timedelta(seconds=2))
        )
    scheduler.tick()
    wait_for(lambda: crawlers.list_crawls(CrawlerName="landing")["Crawls"], what="the scheduled crawl")
    wait_for(
        lambda: crawlers.get_crawler(Name="landing")["Crawler"]["State"] == "READY", what="the crawl to end"
    )
    assert services.catalog.get_table(DatabaseName="lake", Name="landing")["Table"]["Name"] == "landing"
    crawlers.stop_crawler_schedule(CrawlerName="landing")
    assert crawlers.get_crawler(Name="landing")["Crawler"]["Schedule"]["State"] == "NOT_SCHEDULED"
    with pytest.raises(SchedulerNotRunningException):
        crawlers.stop_crawler_schedule(CrawlerName="landing")
    scheduler.lease.release()


def test_trigger_listing_updates_and_deletion(services: Services, tmp_path: Path):
    for name in ("x", "y"):
        step_job(services, tmp_path, name)
    tr = services.triggers
    tr.create_trigger(Name="tx", Type="ON_DEMAND", Actions=[{"JobName": "x"}], Tags={"team": "data"})
    tr.create_trigger(
        Name="ty",
        Type="SCHEDULED",
        Schedule="cron(0 12 ? * MON-FRI *)",
        Actions=[{"JobName": "y"}],
        Description="weekdays",
    )
    assert tr.list_triggers()["TriggerNames"] == ["tx", "ty"]
    assert tr.list_triggers(Tags={"team": "data"})["TriggerNames"] == ["tx"]
    assert [t["Name"] for t in tr.get_triggers(DependentJobName="y")["Triggers"]] == ["ty"]
    page = tr.get_triggers(MaxResults=1)
    assert [t["Name"] for t in page["Triggers"]] == ["tx"]
    assert [t["Name"] for t in tr.get_triggers(NextToken=page["NextToken"])["Triggers"]] == ["ty"]
    found = tr.batch_get_triggers(TriggerNames=["ty", "zz"])
    assert (
        found["TriggersNotFound"] == ["zz"] and found["Triggers"][0]["Schedule"] == "cron(0 12 ? * MON-FRI *)"
    )
    updated = tr.update_trigger(
        Name="ty", TriggerUpdate={"Schedule": "cron(0 6 * * ? *)", "Description": "daily"}
    )
    assert (
        updated["Trigger"]["Schedule"] == "cron(0 6 * * ? *)" and updated["Trigger"]["Description"] == "daily"
    )
    assert updated["Trigger"]["Type"] == "SCHEDULED" and updated["Trigger"]["State"] == "CREATED"
    with pytest.raises(AlreadyExistsException):
        tr.create_trigger(Name="tx", Type="ON_DEMAND", Actions=[{"JobName": "x"}])
    assert tr.delete_trigger(Name="tx") == {"Name": "tx"}
    assert tr.delete_trigger(Name="tx") == {"Name": "tx"}  # silent when absent
    with pytest.raises(EntityNotFoundException, match="Trigger with name: tx not found"):
        tr.get_trigger(Name="tx")
    with pytest.raises(InvalidInputException, match="ON_DEMAND"):
        tr.create_trigger(Name="od", Type="ON_DEMAND", Actions=[{"JobName": "x"}], StartOnCreation=True)
    tr.create_trigger(Name="od", Type="ON_DEMAND", Actions=[{"JobName": "x"}])
    with pytest.raises(InvalidInputException, match="nothing to stop"):
        tr.stop_trigger(Name="od")


def _job(name: str = "x", **extra) -> dict:  # type: ignore[no-untyped-def]
    return {"JobName": name, **extra}


BAD_TRIGGERS = [
    ({"Type": "HOURLY", "Actions": [_job()]}, InvalidInputException, "enum value set"),
    ({"Type": "SCHEDULED", "Actions": [_job()]}, InvalidInputException, "needs a Schedule"),
    (
        {"Type": "SCHEDULED", "Schedule": "cron(0 0 * * *)", "Actions": [_job()]},
        InvalidInputException,
        "6 fields",
    ),
    (
        {"Type": "SCHEDULED", "Schedule": "cron(61 0 * * ? *)", "Actions": [_job()]},
        InvalidInputException,
        "61",
    ),
    (
        {"Type": "SCHEDULED", "Schedule": "cron(0 0 1 * MON *)", "Actions": [_job()]},
        InvalidInputException,
        "'?'",
    ),
    (
        {"Type": "SCHEDULED", "Schedule": "rate(1 minute)", "Actions": [_job()]},
        InvalidInputException,
        "5 minutes",
    ),
    ({"Type": "SCHEDULED", "Schedule": "every day", "Actions": [_job()]}, InvalidInputException, "cron(...)"),
    (
        {"Type": "ON_DEMAND", "Schedule": "cron(0 0 * * ? *)", "Actions": [_job()]},
        InvalidInputException,
        "Only SCHEDULED",
    ),
    ({"Type": "CONDITIONAL", "Actions": [_job()]}, InvalidInputException, "needs a Predicate"),
    (
        {"Type": "CONDITIONAL", "Predicate": {"Conditions": [_job(State="RUNNING")]}, "Actions": [_job()]},
        InvalidInputException,
        "SUCCEEDED, STOPPED, FAILED, TIMEOUT",
    ),
    (
        {
            "Type": "CONDITIONAL",
            "Predicate": {"Conditions": [_job(State="FAILED"), _job(State="TIMEOUT")]},
            "Actions": [_job()],
        },
        InvalidInputException,
        "needs Logical",
    ),
    (
        {
            "Type": "CONDITIONAL",
            "Predicate": {"Conditions": [{"CrawlerName": "nope", "CrawlState": "SUCCEEDED"}]},
            "Actions": [_job()],
        },
        EntityNotFoundException,
        "Crawler with name: nope",
    ),
    (
        {
            "Type": "CONDITIONAL",
            "Predicate": {"Conditions": [{"CrawlerName": "c", "CrawlState": "RUNNING"}]},
            "Actions": [_job()],
        },
        InvalidInputException,
        "CrawlState",
    ),
    ({"Type": "ON_DEMAND", "Actions": []}, InvalidInputException, "at least one Action"),
    (
        {"Type": "ON_DEMAND", "Actions": [{"JobName": "x", "CrawlerName": "c"}]},
        InvalidInputException,
        "not both",
    ),
    ({"Type": "ON_DEMAND", "Actions": [_job("ghost")]}, EntityNotFoundException, "Job with name: ghost"),
    ({"Type": "ON_DEMAND", "Actions": [_job(Timeout=20000)]}, InvalidInputException, "Timeout must be 1 to"),
    (
        {"Type": "ON_DEMAND", "Actions": [_job(Arguments={"day": "1"})]},
        InvalidInputException,
        "start with --",
    ),
    ({"Type": "EVENT", "Actions": [_job()]}, InvalidInputException, "needs a WorkflowName"),
    (
        {"Type": "ON_DEMAND", "Actions": [_job()], "EventBatchingCondition": {"BatchSize": 2}},
        InvalidInputException,
        "Only EVENT",
    ),
    (
        {"Type": "ON_DEMAND", "Actions": [_job()], "Tags": {"gluelab:event-source": "s3://lake/x/"}},
        InvalidInputException,
        "for EVENT triggers",
    ),
]


@pytest.mark.parametrize(("request_", "error", "message"), BAD_TRIGGERS)
def test_bad_triggers_get_glue_errors_and_leave_nothing(
    services: Services, tmp_path: Path, request_, error, message
):
    step_job(services, tmp_path, "x")
    with pytest.raises(error, match=message):
        services.triggers.create_trigger(Name="bad", **request_)
    assert services.triggers.list_triggers()["TriggerNames"] == []


def test_bad_event_triggers(services: Services, tmp_path: Path):
    step_job(services, tmp_path, "x")
    services.workflows.create_workflow(Name="w")
    base = {"Name": "e", "WorkflowName": "w", "Type": "EVENT", "Actions": [_job()]}
    with pytest.raises(InvalidInputException, match="(?i)batchSize"):
        services.triggers.create_trigger(**base, EventBatchingCondition={"BatchSize": 0})
    with pytest.raises(InvalidInputException, match="(?i)batchWindow"):
        services.triggers.create_trigger(**base, EventBatchingCondition={"BatchSize": 5, "BatchWindow": 901})
    with pytest.raises(InvalidInputException, match="outside the warehouse|leaves"):
        services.triggers.create_trigger(**base, Tags={"gluelab:event-source": "s3://lake/../../../etc/"})
    with pytest.raises(InvalidInputException, match="s3:// prefix"):
        services.triggers.create_trigger(**base, Tags={"gluelab:event-source": "/etc/"})
    services.triggers.create_trigger(**base)
    with pytest.raises(InvalidInputException, match="CREATED: start it"):
        services.triggers.put_trigger_event(TriggerName="e", Source="s")
    services.triggers.create_trigger(Name="od", Type="ON_DEMAND", Actions=[_job()])
    with pytest.raises(InvalidInputException, match="not an EVENT trigger"):
        services.triggers.put_trigger_event(TriggerName="od", Source="s")
    assert services.triggers.get_trigger(Name="e")["Trigger"]["EventBatchingCondition"] == {
        "BatchSize": 1,
        "BatchWindow": 900,
    }


def test_schedule_fire_times_for_a_schedule_builder(services: Services):
    triggers = services.triggers
    answer = triggers.get_schedule_fire_times(Schedule="cron(15 6 ? * MON-FRI *)", Count=3)
    assert answer["Description"] == "At 06:15 UTC, Monday through Friday"
    times = answer["FireTimes"]
    assert len(times) == 3 and times == sorted(times) and times[0] > utcnow()
    assert all(t.weekday() < 5 and (t.hour, t.minute) == (6, 15) for t in times)
    assert len(triggers.get_schedule_fire_times(Schedule="rate(2 hours)")["FireTimes"]) == 5
    for bad, message in (
        ({"Schedule": "cron(0 6 * * * *)"}, "Invalid schedule expression"),
        ({"Schedule": "rate(1 minute)"}, "at most every 5 minutes"),
        ({"Schedule": "cron(0 6 * * ? *)", "Count": 0}, "Count must be an integer from 1 to 50"),
        ({"Schedule": "cron(0 6 * * ? *)", "Count": "3"}, "Count must be an integer from 1 to 50"),
        ({}, "GetScheduleFireTimes needs Schedule"),
    ):
        with pytest.raises(InvalidInputException, match=message):
            triggers.get_schedule_fire_times(**bad)
