"""The scheduler as users run it: inside ``gluelab serve`` (driven with boto3), SIGKILLed and restarted
without firing twice or losing an event; and two schedulers on one PostgreSQL database, of which exactly
one fires each trigger."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import update

from gluelab.catalog.common import utcnow
from gluelab.config import Settings
from gluelab.orchestration.scheduler import Scheduler
from gluelab.services import Services, open_services
from gluelab.store.models import TriggerRow
from tests.helpers import ServerProcess, create_pg_database, drop_pg_database, run_gluelab
from tests.jobs.runs_helpers import GATED, write_script
from tests.orchestration.orchestration_helpers import STEP, wait_for

FINISHED = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR")


def _shell_job(glue, name: str, script: str, arguments: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    glue.create_job(
        Name=name,
        Role="r",
        Command={"Name": "pythonshell", "ScriptLocation": script},
        DefaultArguments=arguments,
    )


def _runs(glue, job: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return glue.get_job_runs(JobName=job)["JobRuns"]


def _fire_time_passed(settings: Settings, trigger: str) -> None:
    """As if the trigger's fire time came while no scheduler ran."""
    services = open_services(settings)
    try:
        with services.store.write() as session:
            session.execute(
                update(TriggerRow)
                .where(TriggerRow.name == trigger)
                .values(next_fire_at=utcnow() - dt.timedelta(minutes=3))
            )
    finally:
        services.close()


@pytest.mark.slow
def test_a_sigkilled_scheduler_restarts_without_double_fires_or_lost_events(tmp_path: Path):
    home = tmp_path / "home"
    server = ServerProcess(home).start()
    glue = server.client()
    gate = tmp_path / "gate"
    gated = write_script(tmp_path, "gated.py", GATED)
    step = write_script(tmp_path, "step.py", STEP)
    _shell_job(glue, "extract", gated, {"--gate": str(gate)})
    for name in ("load", "ingest", "nightly"):
        _shell_job(glue, name, step, {"--broken": str(tmp_path / "never")})
    glue.create_workflow(Name="etl")
    glue.create_trigger(Name="go", WorkflowName="etl", Type="ON_DEMAND", Actions=[{"JobName": "extract"}])
    glue.create_trigger(
        Name="then-load",
        WorkflowName="etl",
        Type="CONDITIONAL",
        StartOnCreation=True,
        Predicate={"Conditions": [{"LogicalOperator": "EQUALS", "JobName": "extract", "State": "SUCCEEDED"}]},
        Actions=[{"JobName": "load"}],
    )
    glue.create_workflow(Name="arrivals")
    glue.create_trigger(
        Name="on-events",
        WorkflowName="arrivals",
        Type="EVENT",
        StartOnCreation=True,
        EventBatchingCondition={"BatchSize": 2, "BatchWindow": 900},
        Actions=[{"JobName": "ingest"}],
    )
    glue.create_trigger(
        Name="at-midnight",
        Type="SCHEDULED",
        Schedule="cron(0 0 * * ? *)",
        StartOnCreation=True,
        Actions=[{"JobName": "nightly"}],
    )
    run_id = glue.start_workflow_run(Name="etl")["RunId"]
    wait_for(lambda: [r for r in _runs(glue, "extract") if r["JobRunState"] == "RUNNING"], what="extract")
    status, body = server.call("PutTriggerEvent", {"TriggerName": "on-events", "Source": "file-1"})
    assert status == 200 and body["EventId"]

    server.kill()  # SIGKILL: no lease released, nothing cleaned up
    gate.touch()  # extract ends while no scheduler runs: its end is stored, waiting
    settings = Settings.load(env={"GLUELAB_HOME": str(home)})
    services = open_services(settings)
    try:
        wait_for(
            lambda: services.jobs.get_job_runs(JobName="extract")["JobRuns"][0]["JobRunState"] == "SUCCEEDED",
            what="extract to end",
        )
    finally:
        services.close()
    posted = run_gluelab(home, "triggers", "post-event", "on-events", "file-2")  # stored, acknowledged
    assert "stored for trigger on-events" in posted.stdout
    _fire_time_passed(settings, "at-midnight")

    restarted = ServerProcess(home).start()  # takes the dead server's lease at once
    try:
        glue = restarted.client()
        load = wait_for(lambda: [r for r in _runs(glue, "load") if r["JobRunState"] in FINISHED], what="load")
        batch = wait_for(
            lambda: glue.get_workflow_runs(Name="arrivals")["Runs"], what="the event batch's run"
        )
        nightly = wait_for(lambda: _runs(glue, "nightly"), what="the missed schedule's run")
        run = wait_for(
            lambda: (
                (r := glue.get_workflow_run(Name="etl", RunId=run_id, IncludeGraph=True)["Run"])["Status"]
                == "COMPLETED"
                and r
            ),
            what="the workflow run to complete",
        )
        time.sleep(3)  # more passes: nothing fires twice
        assert len(_runs(glue, "load")) == 1 and load[0]["JobRunState"] == "SUCCEEDED"
        assert load[0]["TriggerName"] == "then-load"
        assert len(glue.get_workflow_runs(Name="arrivals")["Runs"]) == 1
        assert batch[0]["StartingEventBatchCondition"]["BatchSize"] == 2
        assert len(_runs(glue, "nightly")) == 1 and nightly[0]["TriggerName"] == "at-midnight"
        assert run["Statistics"]["SucceededActions"] == 2
        next_fire = glue.get_trigger(Name="at-midnight")["Trigger"]["State"]
        assert next_fire == "ACTIVATED"
        assert "took the lease" in (home / "logs" / "server.log").read_text()
    finally:
        restarted.stop()


def test_two_schedulers_on_one_postgresql_database_fire_each_trigger_once(pg_url: str, tmp_path: Path):
    url = create_pg_database()
    both: list[Services] = []
    schedulers: list[Scheduler] = []
    try:
        for n in (1, 2):
            settings = Settings.load(env={"GLUELAB_HOME": str(tmp_path / f"home{n}")}, database_url=url)
            settings.ensure_dirs()
            both.append(Services(settings))
        first = both[0]
        step = write_script(tmp_path, "step.py", STEP)
        for name in ("extract", "load", *(f"nightly{i}" for i in range(10))):
            first.jobs.create_job(
                Name=name,
                Role="r",
                Command={"Name": "pythonshell", "ScriptLocation": step},
                DefaultArguments={"--broken": str(tmp_path / "never")},
            )
        first.triggers.create_trigger(Name="kick", Type="ON_DEMAND", Actions=[{"JobName": "extract"}])
        first.triggers.create_trigger(
            Name="chain",
            Type="CONDITIONAL",
            StartOnCreation=True,
            Predicate={
                "Conditions": [{"LogicalOperator": "EQUALS", "JobName": "extract", "State": "SUCCEEDED"}]
            },
            Actions=[{"JobName": "load"}],
        )
        for i in range(10):
            first.triggers.create_trigger(
                Name=f"at-midnight-{i}",
                Type="SCHEDULED",
                Schedule="cron(0 0 * * ? *)",
                StartOnCreation=True,
                Actions=[{"JobName": f"nightly{i}"}],
            )
        schedulers = [Scheduler(s, lease_ttl=3) for s in both]
        for scheduler in schedulers:
            scheduler.start()
        wait_for(lambda: any(s.leader for s in schedulers), what="a leader")
        assert sum(s.leader for s in schedulers) == 1
        with first.store.write() as session:
            session.execute(
                update(TriggerRow)
                .values(next_fire_at=utcnow() - dt.timedelta(seconds=5))
                .where(TriggerRow.type == "SCHEDULED")
            )
        first.triggers.start_trigger(Name="kick")
        runs = lambda job: first.jobs.get_job_runs(JobName=job)["JobRuns"]  # noqa: E731
        wait_for(lambda: all(runs(f"nightly{i}") for i in range(10)) and runs("load"), what="every fire")

        # The leader goes away (its lease is released); the other takes over and fires what comes next.
        leader = next(s for s in schedulers if s.leader)
        other = next(s for s in schedulers if s is not leader)
        leader.close()
        wait_for(lambda: other.leader, timeout=30, what="the other scheduler to take over")
        with first.store.write() as session:
            session.execute(
                update(TriggerRow)
                .values(next_fire_at=utcnow() - dt.timedelta(seconds=5))
                .where(TriggerRow.name == "at-midnight-0")
            )
        wait_for(lambda: len(runs("nightly0")) == 2, what="the second fire")
        time.sleep(2)
        assert [len(runs(f"nightly{i}")) for i in range(10)] == [2] + [1] * 9
        assert len(runs("load")) == 1 and len(runs("extract")) == 1
    finally:
        for scheduler in schedulers:
            scheduler.close()
        for services in both:
            services.close()
        drop_pg_database(url)
