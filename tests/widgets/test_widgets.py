"""The widgets driven from Python as a notebook user drives them: set values, click, and check what the
services then hold; a run watched to its end."""

from __future__ import annotations

from pathlib import Path

from gluelab.orchestration.triggers import EVENT_SOURCE_TAG
from gluelab.services import Services
from gluelab.widgets import RunMonitor, TriggerBuilder
from tests.jobs.runs_helpers import wait_run


def _job(services: Services, tmp_path: Path, name: str, code: str = "print('hello from', __name__)") -> None:
    script = tmp_path / f"{name}.py"
    script.write_text(code + "\n")
    services.jobs.create_job(
        Name=name, Role="r", Command={"Name": "pythonshell", "ScriptLocation": str(script)}
    )


def test_trigger_builder_creates_a_scheduled_trigger(services: Services, tmp_path: Path) -> None:
    _job(services, tmp_path, "load")
    builder = TriggerBuilder(services=services)
    assert "load" in builder.actions.options
    builder.name.value = "every-morning"
    builder.kind.value = "SCHEDULED"
    builder.schedule.value = "cron(30 6 ? * MON-FRI *)"
    assert "next:" in builder.schedule_help.value and "06:30 UTC" in builder.schedule_help.value
    builder.actions.value = ("load",)
    builder.create.click()
    assert "Created trigger" in builder.status.value
    trigger = services.triggers.get_trigger(Name="every-morning")["Trigger"]
    assert trigger["Type"] == "SCHEDULED" and trigger["Schedule"] == "cron(30 6 ? * MON-FRI *)"
    assert trigger["Actions"] == [{"JobName": "load"}] and trigger["State"] == "ACTIVATED"


def test_trigger_builder_conditions_come_from_jobs_and_crawlers(services: Services, tmp_path: Path) -> None:
    _job(services, tmp_path, "extract")
    _job(services, tmp_path, "load")
    builder = TriggerBuilder(services=services)
    builder.kind.value = "CONDITIONAL"
    assert builder.conditions in builder.children and builder.schedule not in builder.children
    assert "job:extract=SUCCEEDED" in builder.conditions.options
    builder.name.value = "after-extract"
    builder.conditions.value = ("job:extract=SUCCEEDED",)
    builder.actions.value = ("load",)
    builder.submit()
    trigger = services.triggers.get_trigger(Name="after-extract")["Trigger"]
    assert trigger["Predicate"]["Conditions"] == [
        {"LogicalOperator": "EQUALS", "JobName": "extract", "State": "SUCCEEDED"}
    ]


def test_trigger_builder_shows_glue_errors_and_creates_nothing(services: Services, tmp_path: Path) -> None:
    _job(services, tmp_path, "load")
    builder = TriggerBuilder(services=services)
    builder.schedule.value = "cron(61 * * * ? *)"
    assert "InvalidInputException" in builder.schedule_help.value
    builder.name.value = "broken"
    builder.actions.value = ("load",)
    assert builder.submit() is None and "InvalidInputException" in builder.status.value
    assert services.triggers.get_triggers().get("Triggers") == []
    builder.kind.value = "EVENT"
    builder.batch_size.value = 5
    builder.name.value = "arrivals"
    assert builder.submit() is None and "workflow" in builder.status.value.lower()  # Glue's rule
    services.workflows.create_workflow(Name="ingest")
    builder = TriggerBuilder(services=services)
    builder.kind.value, builder.name.value, builder.batch_size.value = "EVENT", "arrivals", 5
    builder.actions.value, builder.workflow.value = ("load",), "ingest"
    builder.event_prefix.value = "s3://landing/orders/"
    assert builder.submit() is not None, builder.status.value
    watched = services.triggers.list_triggers(Tags={EVENT_SOURCE_TAG: "s3://landing/orders/"})
    assert watched["TriggerNames"] == ["arrivals"]
    assert (
        services.triggers.get_trigger(Name="arrivals")["Trigger"]["EventBatchingCondition"]["BatchSize"] == 5
    )


def test_run_monitor_follows_a_run_to_its_end(services: Services, tmp_path: Path) -> None:
    _job(services, tmp_path, "report", "print('rows written: 3')")
    run_id = services.jobs.start_job_run(JobName="report")["JobRunId"]
    monitor = RunMonitor("report", run_id, services=services)
    monitor.watch(interval=0.2).join(60)
    assert monitor.final and "SUCCEEDED" in monitor.state.value and monitor.progress.value == 1.0
    assert "rows written: 3" in monitor.log_view.value
    _job(services, tmp_path, "fails", "raise SystemExit('no input file')")
    run_id = services.jobs.start_job_run(JobName="fails")["JobRunId"]
    wait_run(services.jobs.get_job_run, "fails", run_id)
    monitor = RunMonitor("fails", run_id, services=services)
    assert "FAILED" in monitor.state.value and "exited with status 1" in monitor.error.value
