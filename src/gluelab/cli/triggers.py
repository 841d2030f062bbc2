"""``gluelab triggers``: Glue triggers (on-demand, scheduled, conditional, event), their state and their
next fire times; ``gluelab triggers next`` explains any schedule expression."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from ..catalog.common import utcnow
from ..orchestration.schedule import describe, parse_schedule
from ..orchestration.triggers import EVENT_SOURCE_TAG
from .jobs import _arguments
from .render import console, print_json, when
from .state import services

app = typer.Typer(
    no_args_is_help=True, help="Triggers: start jobs and crawlers on demand, on a schedule, on events."
)

JSON_OPTION = typer.Option(False, "--json", help="Print Glue-shaped JSON instead of a summary.")
NAME = typer.Argument(..., help="The trigger's name.")


def _condition(text: str) -> dict[str, str]:
    """``job:NAME=STATE`` or ``crawler:NAME=STATE``."""
    kind, colon, rest = text.partition(":")
    name, eq, state = rest.rpartition("=")
    if not colon or not eq or kind not in ("job", "crawler") or not name:
        raise typer.BadParameter(f"expected job:NAME=STATE or crawler:NAME=STATE, not {text!r}")
    if kind == "job":
        return {"LogicalOperator": "EQUALS", "JobName": name, "State": state.upper()}
    return {"LogicalOperator": "EQUALS", "CrawlerName": name, "CrawlState": state.upper()}


@app.command()
def create(
    name: str = NAME,
    kind: str = typer.Option(..., "--type", help="ON_DEMAND, SCHEDULED, CONDITIONAL or EVENT."),
    job: list[str] = typer.Option([], "--job", "-j", help="A job to start (repeatable)."),
    crawler: list[str] = typer.Option([], "--crawler", "-c", help="A crawler to start (repeatable)."),
    arg: list[str] = typer.Option([], "--arg", "-a", help="KEY=VALUE passed to the jobs it starts."),
    timeout: int = typer.Option(None, "--timeout", help="Timeout (minutes) of the job runs it starts."),
    schedule: str = typer.Option(
        None, "--schedule", help="SCHEDULED: cron(...) in UTC, e.g. cron(0 2 * * ? *)."
    ),
    when_: list[str] = typer.Option(
        [], "--when", help="CONDITIONAL: job:NAME=SUCCEEDED|FAILED|STOPPED|TIMEOUT or crawler:NAME=STATE."
    ),
    logical: str = typer.Option(None, "--logical", help="AND (all conditions) or ANY (one of them)."),
    workflow: str = typer.Option(None, "--workflow", "-w", help="The workflow it belongs to."),
    batch_size: int = typer.Option(None, "--batch-size", help="EVENT: events per workflow run (1-100)."),
    batch_window: int = typer.Option(None, "--batch-window", help="EVENT: seconds to wait for a batch."),
    event_source: str = typer.Option(
        None, "--event-source", help="EVENT: s3:// prefix whose new files are events."
    ),
    start: bool = typer.Option(
        True, "--start/--no-start", help="Activate it now (not for ON_DEMAND, which fires on `start`)."
    ),
    description: str = typer.Option(None, "--description"),
) -> None:
    """Create a trigger (CreateTrigger)."""
    kind = kind.upper()
    args = _arguments(arg) or None
    actions: list[dict[str, Any]] = [
        {k: v for k, v in {"JobName": j, "Arguments": args, "Timeout": timeout}.items() if v is not None}
        for j in job
    ]
    actions += [{"CrawlerName": c} for c in crawler]
    request: dict[str, Any] = {"Name": name, "Type": kind, "Actions": actions}
    if when_:
        request["Predicate"] = {"Conditions": [_condition(w) for w in when_]}
        if logical or len(when_) > 1:
            request["Predicate"]["Logical"] = (logical or "AND").upper()
    if batch_size or batch_window:
        request["EventBatchingCondition"] = {
            k: v
            for k, v in {"BatchSize": batch_size or 1, "BatchWindow": batch_window}.items()
            if v is not None
        }
    optional = {
        "Schedule": schedule,
        "WorkflowName": workflow,
        "Description": description,
        "Tags": {EVENT_SOURCE_TAG: event_source} if event_source else None,
        "StartOnCreation": (start and kind != "ON_DEMAND") or None,
    }
    request.update({k: v for k, v in optional.items() if v is not None})
    services().triggers.create_trigger(request)
    state = services().triggers.get_trigger(Name=name)["Trigger"]["State"]
    console.print(f"created trigger [bold]{name}[/] ({kind}, {state})")
    if schedule:
        _print_next(schedule, 3)


@app.command("list")
def list_(
    workflow: str = typer.Option(None, "--workflow", "-w", help="Only this workflow's triggers."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Every trigger, its state and what it starts."""
    triggers: list[dict[str, Any]] = []
    token = None
    while True:
        page = services().triggers.get_triggers(**({"NextToken": token} if token else {}))
        triggers += page["Triggers"]
        token = page.get("NextToken")
        if not token:
            break
    if workflow:
        triggers = [t for t in triggers if t.get("WorkflowName") == workflow]
    if as_json:
        print_json({"Triggers": triggers})
        return
    table = Table("Name", "Type", "State", "Workflow", "When", "Starts", title=f"{len(triggers)} trigger(s)")
    for t in triggers:
        table.add_row(
            t["Name"], t["Type"], _state(t["State"]), t.get("WorkflowName", ""), _when(t), _starts(t)
        )
    console.print(table)


def _state(state: str) -> str:
    return f"[green]{state}[/]" if state == "ACTIVATED" else state


def _starts(trigger: dict[str, Any]) -> str:
    return ", ".join(
        f"job {a['JobName']}" if a.get("JobName") else f"crawler {a['CrawlerName']}"
        for a in trigger["Actions"]
    )


def _when(trigger: dict[str, Any]) -> str:
    if trigger["Type"] == "SCHEDULED":
        return f"{trigger['Schedule']}: {describe(trigger['Schedule'])}"
    if trigger["Type"] == "CONDITIONAL":
        predicate = trigger["Predicate"]
        joiner = " and " if predicate.get("Logical", "AND") == "AND" else " or "
        return joiner.join(
            f"{c.get('JobName') or c.get('CrawlerName')} {c.get('State') or c.get('CrawlState')}"
            for c in predicate["Conditions"]
        )
    if trigger["Type"] == "EVENT":
        batch = trigger.get("EventBatchingCondition") or {}
        return f"{batch.get('BatchSize', 1)} event(s) or {batch.get('BatchWindow', 900)} s"
    return "on demand"


@app.command()
def show(
    name: str = NAME,
    count: int = typer.Option(5, "--next", "-n", help="Fire times to list."),
    as_json: bool = JSON_OPTION,
) -> None:
    """A trigger, and when it fires next."""
    trigger = services().triggers.get_trigger(Name=name)["Trigger"]
    if as_json:
        print_json({"Trigger": trigger})
        return
    where = f" in workflow {trigger['WorkflowName']}" if trigger.get("WorkflowName") else ""
    console.print(f"[bold]{name}[/]  {trigger['Type']}  {_state(trigger['State'])}{where}")
    if trigger.get("Description"):
        console.print(trigger["Description"])
    console.print(f"when: {_when(trigger)}")
    console.print(f"starts: {_starts(trigger)}")
    if trigger["Type"] == "SCHEDULED":
        _print_next(trigger["Schedule"], count, explain=False)


def _print_next(expression: str, count: int, explain: bool = True) -> None:
    times = parse_schedule(expression).fire_times(utcnow(), count)
    fires = "next: " + ", ".join(t.strftime("%Y-%m-%d %H:%M UTC") for t in times)
    console.print(f"{describe(expression)}; {fires}" if explain else fires)


@app.command()
def next(  # noqa: A001 - the command's name
    expression: str = typer.Argument(..., help="cron(...) or rate(...)"),
    count: int = typer.Option(5, "--count", "-n", help="How many fire times."),
) -> None:
    """Explain a schedule expression and list its next fire times (UTC and local)."""
    schedule = parse_schedule(expression)
    console.print(describe(expression))
    for moment in schedule.fire_times(utcnow(), count):
        console.print(f"  {moment.strftime('%a %Y-%m-%d %H:%M UTC')}   ({when(moment)} local)")


@app.command("start")
def start_(name: str = NAME) -> None:
    """Fire an ON_DEMAND trigger now; activate any other kind (StartTrigger)."""
    services().triggers.start_trigger(Name=name)
    state = services().triggers.get_trigger(Name=name)["Trigger"]
    console.print(f"{name}: {'fired' if state['Type'] == 'ON_DEMAND' else state['State']}")


@app.command()
def stop(name: str = NAME) -> None:
    """Deactivate a trigger (StopTrigger)."""
    services().triggers.stop_trigger(Name=name)
    console.print(f"{name}: DEACTIVATED")


@app.command()
def delete(name: str = NAME) -> None:
    """Delete a trigger (DeleteTrigger)."""
    services().triggers.delete_trigger(Name=name)
    console.print(f"deleted trigger {name}")


@app.command("post-event")
def post_event(
    name: str = NAME, source: str = typer.Argument(..., help="What happened (free text).")
) -> None:
    """Post an event to an activated EVENT trigger (what EventBridge does on Glue)."""
    event_id = services().triggers.put_trigger_event(TriggerName=name, Source=source)["EventId"]
    console.print(f"event {event_id} stored for trigger {name}")
