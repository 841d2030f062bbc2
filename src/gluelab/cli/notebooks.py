"""``gluelab notebooks``: promote a notebook to a (scheduled, parameterised) job, take a new snapshot
when it changed, see what changed, and read any notebook's parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..jobs.notebook_params import parameter_schema
from .jobs import _arguments
from .render import console, fail, print_json, when
from .state import services

app = typer.Typer(
    no_args_is_help=True, help="Notebook jobs: a notebook promoted to a job, run with papermill."
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of a summary.")
JOB = typer.Argument(..., help="The notebook job's name.")


def _parameters_table(parameters: list[dict[str, Any]]) -> Table:
    table = Table("parameter", "type", "default", "help", title=f"{len(parameters)} parameter(s)")
    for p in parameters:
        table.add_row(p["Name"], p["Type"], str(p.get("Default")), p.get("Help") or "")
    return table


@app.command()
def promote(
    notebook: Path = typer.Argument(..., help="The .ipynb file."),
    name: str = typer.Option(None, "--name", help="The job's name (default: the file's name)."),
    schedule: str = typer.Option(None, "--schedule", help="cron(...) or rate(...): a SCHEDULED trigger."),
    arg: list[str] = typer.Option([], "--arg", help="KEY=VALUE for the scheduled runs (repeatable)."),
    role: str = typer.Option(None, "--role", help="The job's Role (recorded)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Make a notebook a job: snapshot it, read its parameters, turn its session magics into job
    properties, and (with --schedule) schedule it."""
    request: dict[str, Any] = {"NotebookPath": str(notebook.expanduser().resolve())}
    for key, value in (("Name", name), ("Schedule", schedule), ("Role", role)):
        if value:
            request[key] = value
    if arg:
        request["Arguments"] = _arguments(arg)
    result = services().notebooks.promote_notebook(request)
    if as_json:
        print_json(result)
        return
    console.print(
        f"Job [bold]{result['Name']}[/] runs {notebook} (version {result['Version']}, {result['Hash'][:12]})"
    )
    if result["Properties"]:
        console.print(f"job properties from its magics: {result['Properties']}")
    console.print(_parameters_table(result["Parameters"]))
    if result.get("TriggerName"):
        console.print(f"scheduled by trigger {result['TriggerName']} ({schedule})")
    console.print(f"run it: gluelab jobs run {result['Name']} --arg NAME=VALUE")


@app.command()
def update(job: str = JOB, as_json: bool = JSON_OPTION) -> None:
    """Take a new snapshot of the live notebook if it changed; the next runs use it."""
    result = services().notebooks.update_notebook_job({"Name": job})
    if as_json:
        print_json(result)
    elif result["Changed"]:
        console.print(f"{job}: new version {result['Version']} ({result['Hash'][:12]})")
    else:
        console.print(f"{job}: unchanged since version {result['Version']}")


@app.command()
def diff(job: str = JOB) -> None:
    """What changed in the live notebook since the job's newest snapshot (cell sources)."""
    result = services().notebooks.get_notebook_diff({"Name": job})
    if not result["Changed"]:
        console.print(f"{job}: the live notebook matches version {result['Version']}")
        return
    print(result["Diff"], end="")


@app.command()
def show(job: str = JOB, as_json: bool = JSON_OPTION) -> None:
    """A notebook job's versions and parameters."""
    result = services().notebooks.get_notebook_job({"Name": job})
    if as_json:
        print_json(result)
        return
    table = Table("version", "hash", "created", "snapshot", title=job)
    for v in result["Versions"]:
        table.add_row(str(v["Version"]), v["Hash"][:12], when(v["CreatedOn"]), v["SnapshotPath"])
    console.print(table)
    console.print(_parameters_table(result["Parameters"]))
    if result["LiveFileChanged"]:
        console.print(
            f"the live notebook changed: gluelab notebooks diff {job}; gluelab notebooks update {job}"
        )
    elif not result["LiveFileExists"]:
        console.print("the live notebook is gone; the job runs its newest snapshot")


@app.command()
def params(
    notebook: Path = typer.Argument(..., help="The .ipynb file."), as_json: bool = JSON_OPTION
) -> None:
    """The parameters a notebook declares in its cell tagged `parameters`."""
    if not notebook.is_file():
        fail(f"{notebook}: no such file")
    schema = parameter_schema(notebook)
    if as_json:
        print_json(schema)
    else:
        console.print(_parameters_table(schema))
