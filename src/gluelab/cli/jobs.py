"""``gluelab jobs``: define jobs (Glue's CreateJob/UpdateJob) and look at them."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from .render import console, print_json, when
from .state import services

app = typer.Typer(no_args_is_help=True, help="Jobs: Glue job definitions.")

JSON_OPTION = typer.Option(False, "--json", help="Print Glue-shaped JSON instead of a summary.")
NAME = typer.Argument(..., help="The job's name.")


def _arguments(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise typer.BadParameter(f"expected --KEY=VALUE or KEY=VALUE, not {pair!r}")
        out[key if key.startswith("--") else f"--{key}"] = value
    return out


def _definition(
    script: str,
    job_type: str,
    role: str,
    arg: list[str],
    fixed_arg: list[str],
    worker_type: str | None,
    workers: int | None,
    max_capacity: float | None,
    timeout: int | None,
    max_retries: int | None,
    max_concurrent_runs: int | None,
    glue_version: str | None,
    description: str | None,
) -> dict[str, Any]:
    definition: dict[str, Any] = {"Role": role, "Command": {"Name": job_type, "ScriptLocation": script}}
    optional = {
        "DefaultArguments": _arguments(arg) or None,
        "NonOverridableArguments": _arguments(fixed_arg) or None,
        "WorkerType": worker_type,
        "NumberOfWorkers": workers,
        "MaxCapacity": max_capacity,
        "Timeout": timeout,
        "MaxRetries": max_retries,
        "GlueVersion": glue_version,
        "Description": description,
        "ExecutionProperty": {"MaxConcurrentRuns": max_concurrent_runs} if max_concurrent_runs else None,
    }
    definition.update({k: v for k, v in optional.items() if v is not None})
    return definition


SCRIPT = typer.Option(
    ..., "--script", "-s", help="The script: s3://bucket/key (the warehouse) or a local path."
)
TYPE = typer.Option("glueetl", "--type", help="glueetl, pythonshell or gluestreaming.")
ROLE = typer.Option("gluelab", "--role", help="Kept as Glue's Role (gluelab needs none).")
ARG = typer.Option([], "--arg", "-a", help="A default argument, KEY=VALUE (repeatable).")
FIXED_ARG = typer.Option([], "--fixed-arg", help="A non-overridable argument, KEY=VALUE (repeatable).")
WORKER_TYPE = typer.Option(None, "--worker-type", help="G.1X, G.2X ... (Spark jobs).")
WORKERS = typer.Option(None, "--workers", help="NumberOfWorkers (with --worker-type).")
MAX_CAPACITY = typer.Option(None, "--max-capacity", help="DPUs (python shell: 0.0625 or 1).")
TIMEOUT = typer.Option(None, "--timeout", help="Minutes before a run is stopped (TIMEOUT).")
MAX_RETRIES = typer.Option(None, "--max-retries", help="Attempts after a failed run.")
MAX_CONCURRENT = typer.Option(None, "--max-concurrent-runs", help="ExecutionProperty.MaxConcurrentRuns.")
GLUE_VERSION = typer.Option(None, "--glue-version", help="GlueVersion (default 5.0).")
DESCRIPTION = typer.Option(None, "--description")


def _save_command(updating: bool) -> Any:
    """``create`` and ``update`` take the same options; UpdateJob replaces the whole definition."""

    def command(
        name: str = NAME,
        script: str = SCRIPT,
        job_type: str = TYPE,
        role: str = ROLE,
        arg: list[str] = ARG,
        fixed_arg: list[str] = FIXED_ARG,
        worker_type: str = WORKER_TYPE,
        workers: int = WORKERS,
        max_capacity: float = MAX_CAPACITY,
        timeout: int = TIMEOUT,
        max_retries: int = MAX_RETRIES,
        max_concurrent_runs: int = MAX_CONCURRENT,
        glue_version: str = GLUE_VERSION,
        description: str = DESCRIPTION,
    ) -> None:
        definition = _definition(
            script,
            job_type,
            role,
            arg,
            fixed_arg,
            worker_type,
            workers,
            max_capacity,
            timeout,
            max_retries,
            max_concurrent_runs,
            glue_version,
            description,
        )
        if updating:
            services().jobs.update_job({"JobName": name, "JobUpdate": definition})
        else:
            services().jobs.create_job({"Name": name, **definition})
        console.print(f"{'updated' if updating else 'created'} job [bold]{name}[/]")

    return command


app.command("create", help="Create a job.")(_save_command(updating=False))
app.command(
    "update", help="Replace a job's definition (as UpdateJob does: what is not given returns to its default)."
)(_save_command(updating=True))


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List jobs."""
    jobs, token = [], None
    while True:
        page = services().jobs.get_jobs(**({"NextToken": token} if token else {}))
        jobs += page["Jobs"]
        token = page.get("NextToken")
        if not token:
            break
    if as_json:
        print_json({"Jobs": jobs})
        return
    table = Table(
        "Name", "Type", "Script", "Capacity", "Timeout", "Retries", "Modified", title=f"{len(jobs)} job(s)"
    )
    for job in jobs:
        table.add_row(
            job["Name"],
            job["Command"]["Name"],
            job["Command"]["ScriptLocation"],
            _capacity(job),
            f"{job['Timeout']} min",
            str(job["MaxRetries"]),
            when(job["LastModifiedOn"]),
        )
    console.print(table)


def _capacity(job: dict[str, Any]) -> str:
    if job.get("WorkerType"):
        return f"{job['NumberOfWorkers']} x {job['WorkerType']}"
    return f"{job.get('MaxCapacity', '')} DPU"


@app.command()
def show(name: str = NAME, as_json: bool = JSON_OPTION) -> None:
    """A job's definition."""
    job = services().jobs.get_job(JobName=name)["Job"]
    if as_json:
        print_json({"Job": job})
        return
    console.print(f"[bold]{name}[/]  {job['Command']['Name']}  Glue {job['GlueVersion']}  {_capacity(job)}")
    console.print(f"script: {job['Command']['ScriptLocation']}")
    console.print(
        f"timeout {job['Timeout']} min, max retries {job['MaxRetries']}, "
        f"max concurrent runs {job['ExecutionProperty']['MaxConcurrentRuns']}"
    )
    for key in ("DefaultArguments", "NonOverridableArguments"):
        if job.get(key):
            console.print(f"{key}: {json.dumps(job[key], sort_keys=True)}")
