"""``gluelab workflows``: workflows, their runs as text graphs with states, run properties, resume and
stop. ``run`` follows a run to its end; when no scheduler is running (no ``gluelab serve``, no lab), it
runs one itself while it follows, so conditional triggers fire."""

from __future__ import annotations

import time
from typing import Any

import typer
from rich.table import Table
from rich.tree import Tree

from .jobs import STATE_STYLE
from .render import console, print_json, when
from .state import services

app = typer.Typer(
    no_args_is_help=True, help="Workflows: graphs of triggers, jobs and crawlers, and their runs."
)

JSON_OPTION = typer.Option(False, "--json", help="Print Glue-shaped JSON instead of a summary.")
NAME = typer.Argument(..., help="The workflow's name.")
RUN_ID = typer.Argument(None, help="A run id (default: the latest run).")
RUN_STYLE = {"COMPLETED": "green", "RUNNING": "cyan", "STOPPED": "yellow", "ERROR": "red"}


def _properties(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, not {pair!r}")
        out[key] = value
    return out


@app.command()
def create(
    name: str = NAME,
    description: str = typer.Option(None, "--description"),
    prop: list[str] = typer.Option(
        [], "--property", "-p", help="A default run property KEY=VALUE (repeatable)."
    ),
    max_concurrent_runs: int = typer.Option(
        None, "--max-concurrent-runs", help="Runs at once (default: no limit)."
    ),
) -> None:
    """Create a workflow (CreateWorkflow); add triggers with ``gluelab triggers create --workflow``."""
    request: dict[str, Any] = {"Name": name}
    optional = {
        "Description": description,
        "DefaultRunProperties": _properties(prop) or None,
        "MaxConcurrentRuns": max_concurrent_runs,
    }
    request.update({k: v for k, v in optional.items() if v is not None})
    services().workflows.create_workflow(request)
    console.print(f"created workflow [bold]{name}[/]")


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """Every workflow and its last run."""
    names: list[str] = []
    token = None
    while True:
        page = services().workflows.list_workflows(**({"NextToken": token} if token else {}))
        names += page["Workflows"]
        token = page.get("NextToken")
        if not token:
            break
    workflows = services().workflows.batch_get_workflows(Names=names)["Workflows"] if names else []
    if as_json:
        print_json({"Workflows": workflows})
        return
    table = Table(
        "Name", "Last run", "Status", "Started", "Description", title=f"{len(workflows)} workflow(s)"
    )
    for w in workflows:
        last = w.get("LastRun") or {}
        table.add_row(
            w["Name"],
            last.get("WorkflowRunId", "")[:15],
            _status(last.get("Status", "")),
            when(last.get("StartedOn")),
            w.get("Description", ""),
        )
    console.print(table)


def _status(status: str) -> str:
    style = RUN_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else status


@app.command()
def show(name: str = NAME, as_json: bool = JSON_OPTION) -> None:
    """A workflow's graph of triggers, jobs and crawlers."""
    workflow = services().workflows.get_workflow(Name=name, IncludeGraph=True)["Workflow"]
    if as_json:
        print_json({"Workflow": workflow})
        return
    console.print(render_graph(f"workflow {name}", workflow["Graph"], with_runs=False))


@app.command()
def delete(name: str = NAME) -> None:
    """Delete a workflow and its triggers (DeleteWorkflow); its jobs and crawlers stay."""
    services().workflows.delete_workflow(Name=name)
    console.print(f"deleted workflow {name}")


@app.command()
def run(
    name: str = NAME,
    prop: list[str] = typer.Option([], "--property", "-p", help="A run property KEY=VALUE (repeatable)."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow the run to its end."),
) -> None:
    """Start a workflow run (StartWorkflowRun) and follow it: exits 0 when every node it ran succeeded."""
    request: dict[str, Any] = {"Name": name}
    if prop:
        request["RunProperties"] = _properties(prop)
    run_id = services().workflows.start_workflow_run(request)["RunId"]
    console.print(f"started run [bold]{run_id}[/] of workflow [bold]{name}[/]")
    if wait:
        _follow(name, run_id)


def _follow(name: str, run_id: str) -> None:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..orchestration.scheduler import Scheduler

    scheduler = Scheduler(services())
    scheduler.start()  # works only if no other scheduler holds the lease
    try:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task(f"{name}: RUNNING", total=None)
            while True:
                got = services().workflows.get_workflow_run(Name=name, RunId=run_id)["Run"]
                stats = got["Statistics"]
                failed = stats["FailedActions"] + stats["ErroredActions"] + stats["TimeoutActions"]
                bar.update(
                    task,
                    description=f"{name}: {got['Status']} · {stats['SucceededActions']} succeeded, "
                    f"{stats['RunningActions']} running, {failed} failed",
                )
                if got["Status"] not in ("RUNNING", "STOPPING"):
                    break
                time.sleep(0.5)
    finally:
        scheduler.close()
    _print_run(name, run_id)
    stats = got["Statistics"]
    if got["Status"] != "COMPLETED" or stats["SucceededActions"] != stats["TotalActions"]:
        raise typer.Exit(1)


@app.command()
def runs(name: str = NAME, as_json: bool = JSON_OPTION) -> None:
    """A workflow's runs, newest first."""
    got = services().workflows.get_workflow_runs(Name=name, IncludeGraph=False)["Runs"]
    if as_json:
        print_json({"Runs": got})
        return
    table = Table("Run", "Status", "Started", "Completed", "Actions", "Resumed from", title=f"runs of {name}")
    for r in got:
        s = r["Statistics"]
        table.add_row(
            r["WorkflowRunId"],
            _status(r["Status"]),
            when(r.get("StartedOn")),
            when(r.get("CompletedOn")),
            f"{s['SucceededActions']}/{s['TotalActions']} succeeded",
            r.get("PreviousRunId", ""),
        )
    console.print(table)


@app.command()
def status(name: str = NAME, run_id: str = RUN_ID, as_json: bool = JSON_OPTION) -> None:
    """A run as a graph with each node's state (GetWorkflowRun with its graph)."""
    if as_json:
        print_json(
            {"Run": services().workflows.get_workflow_run(Name=name, RunId=_run_id(name, run_id))["Run"]}
        )
        return
    _print_run(name, _run_id(name, run_id))


def _run_id(name: str, run_id: str | None) -> str:
    if run_id:
        return run_id
    last = services().workflows.get_workflow(Name=name)["Workflow"].get("LastRun")
    if not last:
        raise typer.BadParameter(f"workflow {name} has no runs yet")
    return last["WorkflowRunId"]


def _print_run(name: str, run_id: str) -> None:
    got = services().workflows.get_workflow_run(Name=name, RunId=run_id, IncludeGraph=True)["Run"]
    title = f"workflow {name} · run {run_id} · {_status(got['Status'])}"
    if got.get("ErrorMessage"):
        title += f" · [red]{got['ErrorMessage']}[/]"
    console.print(render_graph(title, got.get("Graph") or {"Nodes": [], "Edges": []}, with_runs=True))
    s = got["Statistics"]
    console.print(
        f"{s['TotalActions']} action(s): {s['SucceededActions']} succeeded, {s['FailedActions']} failed, "
        f"{s['ErroredActions']} errored, {s['TimeoutActions']} timed out, {s['StoppedActions']} stopped, "
        f"{s['RunningActions']} running, {s['WaitingActions']} waiting"
    )


def render_graph(title: str, graph: dict[str, Any], with_runs: bool) -> Tree:
    """The graph as a tree from its start trigger; a node reached a second time is named, not repeated."""
    nodes = {n["UniqueId"]: n for n in graph["Nodes"]}
    children: dict[str, list[str]] = {}
    targets = set()
    for edge in graph["Edges"]:
        children.setdefault(edge["SourceId"], []).append(edge["DestinationId"])
        targets.add(edge["DestinationId"])
    tree = Tree(title)
    shown: set[str] = set()

    def add(parent: Tree, node_id: str) -> None:
        node = nodes[node_id]
        label = _label(node, with_runs)
        if node_id in shown:
            parent.add(f"{label} [dim](see above)[/]")
            return
        shown.add(node_id)
        branch = parent.add(label)
        for child in children.get(node_id, []):
            add(branch, child)

    for node_id in [i for i in nodes if i not in targets]:  # start triggers (and unattached nodes)
        add(tree, node_id)
    return tree


def _label(node: dict[str, Any], with_runs: bool) -> str:
    kind, name = node["Type"], node["Name"]
    if kind == "TRIGGER":
        trigger = node["TriggerDetails"]["Trigger"]
        from .triggers import _when

        return f"[bold]◆ {name}[/] [dim]{trigger['Type']}: {_when(trigger)}[/]"
    if kind == "JOB":
        runs = node["JobDetails"]["JobRuns"]
        label = f"job [bold]{name}[/]"
        if not with_runs:
            return label
        if not runs:
            return f"{label} [dim]not run[/]"
        state = runs[0]["JobRunState"]
        style = STATE_STYLE.get(state, "cyan")
        extra = f" · {runs[0]['ErrorMessage']}" if runs[0].get("ErrorMessage") else ""
        return f"{label} [{style}]{state}[/]{extra} [dim]{runs[0]['Id'][:15]}[/]"
    crawls = node["CrawlerDetails"]["Crawls"]
    label = f"crawler [bold]{name}[/]"
    if not with_runs:
        return label
    if not crawls:
        return f"{label} [dim]not run[/]"
    state = crawls[0]["State"]
    style = {"SUCCEEDED": "green", "FAILED": "red", "CANCELLED": "yellow"}.get(state, "cyan")
    return f"{label} [{style}]{state}[/]"


@app.command()
def properties(
    name: str = NAME,
    run_id: str = RUN_ID,
    set_: list[str] = typer.Option(
        [], "--set", help="Merge KEY=VALUE into the run's properties (repeatable)."
    ),
) -> None:
    """A run's properties (GetWorkflowRunProperties); ``--set`` merges some in (PutWorkflowRunProperties)."""
    run_id = _run_id(name, run_id)
    if set_:
        services().workflows.put_workflow_run_properties(
            Name=name, RunId=run_id, RunProperties=_properties(set_)
        )
    print_json(services().workflows.get_workflow_run_properties(Name=name, RunId=run_id)["RunProperties"])


@app.command()
def resume(
    name: str = NAME,
    run_id: str = RUN_ID,
    node: list[str] = typer.Option(
        ..., "--node", "-n", help="A job or crawler to run again, by name or node id."
    ),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow the new run to its end."),
) -> None:
    """Run failed nodes of a COMPLETED run again, and what depends on them (ResumeWorkflowRun)."""
    run_id = _run_id(name, run_id)
    graph = services().workflows.get_workflow_run(Name=name, RunId=run_id, IncludeGraph=True)["Run"]["Graph"]
    by_name = {n["Name"]: n["UniqueId"] for n in graph["Nodes"] if n["Type"] != "TRIGGER"}
    ids = [by_name.get(n, n) for n in node]
    resumed = services().workflows.resume_workflow_run(Name=name, RunId=run_id, NodeIds=ids)
    names = {v: k for k, v in by_name.items()}
    restarted = ", ".join(names.get(i, i) for i in resumed["NodeIds"])
    console.print(f"resumed as run [bold]{resumed['RunId']}[/]: {restarted} run again")
    if wait:
        _follow(name, resumed["RunId"])


@app.command()
def stop(name: str = NAME, run_id: str = RUN_ID) -> None:
    """Stop a run (StopWorkflowRun): running jobs and crawlers stop, nothing more starts."""
    run_id = _run_id(name, run_id)
    services().workflows.stop_workflow_run(Name=name, RunId=run_id)
    console.print(f"stopping run {run_id} of {name}")
