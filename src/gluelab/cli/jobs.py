"""``gluelab jobs``: define jobs (Glue's CreateJob/UpdateJob) and look at them."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from .render import console, print_json, when
from .state import services

app = typer.Typer(no_args_is_help=True, help="Jobs: Glue job definitions, their runs, logs and metrics.")

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
    location = script if "://" in script or script.startswith("/") else str(Path(script).resolve())
    # A relative path is the user's, from where they typed it: the service refuses relative locations.
    definition: dict[str, Any] = {"Role": role, "Command": {"Name": job_type, "ScriptLocation": location}}
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


# -- runs ----------------------------------------------------------------------------------------------
UNFINISHED = ("STARTING", "RUNNING", "STOPPING", "WAITING")
STATE_STYLE = {"SUCCEEDED": "green", "FAILED": "red", "TIMEOUT": "red", "ERROR": "red", "STOPPED": "yellow"}


def _state(state: str) -> str:
    style = STATE_STYLE.get(state)
    return f"[{style}]{state}[/]" if style else state


@app.command()
def run(
    name: str = NAME,
    arg: list[str] = typer.Option([], "--arg", "-a", help="A run argument, KEY=VALUE (repeatable)."),
    worker_type: str = typer.Option(None, "--worker-type", help="Override the job's WorkerType."),
    workers: int = typer.Option(None, "--workers", help="Override NumberOfWorkers."),
    timeout: int = typer.Option(None, "--timeout", help="Override Timeout (minutes)."),
    queue: bool = typer.Option(False, "--queue", help="Queue (WAITING) when the job is at its limit."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow the run to its end."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Stream the run's output while waiting."),
) -> None:
    """Start a job run (StartJobRun) and follow it: exits 0 when it SUCCEEDED."""
    request: dict[str, Any] = {"JobName": name}
    optional = {
        "Arguments": _arguments(arg) or None,
        "WorkerType": worker_type,
        "NumberOfWorkers": workers,
        "Timeout": timeout,
        "JobRunQueuingEnabled": queue or None,
    }
    request.update({k: v for k, v in optional.items() if v is not None})
    run_id = services().jobs.start_job_run(request)["JobRunId"]
    console.print(f"started run [bold]{run_id}[/] of job [bold]{name}[/]")
    if not wait:
        return
    final = _watch(name, run_id, follow)
    while final["JobRunState"] == "FAILED":  # MaxRetries: follow the next attempt, as Glue makes it
        retry = next(
            (
                r
                for r in services().jobs.get_job_runs(JobName=name, MaxResults=20)["JobRuns"]
                if r.get("PreviousRunId") == final["Id"]
            ),
            None,
        )
        if retry is None:
            break
        console.print(f"retrying: attempt {retry['Attempt']} is run [bold]{retry['Id']}[/]")
        final = _watch(name, retry["Id"], follow)
    if final["JobRunState"] != "SUCCEEDED":
        raise typer.Exit(1)


def _watch(name: str, run_id: str, follow: bool) -> dict[str, Any]:
    """A live line (state, elapsed time, Spark progress) until the run ends; its output above it."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..jobs import logs as run_logs

    jobs = services().jobs
    log_dir = jobs.run_context(run_id)["LogDir"]
    current: dict[str, Any] = {}

    def finished() -> bool:
        current.update(jobs.get_job_run(JobName=name, RunId=run_id)["JobRun"])
        return current["JobRunState"] not in UNFINISHED

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task(f"{name}: STARTING", total=None)

        def refresh() -> None:
            metrics = jobs.get_job_run_metrics(JobName=name, RunId=run_id)["Metrics"]
            stages, records = len(metrics.get("Stages", [])), metrics.get("RecordsRead", 0)
            spark = f" · {stages} stage(s), {records:,} records read" if metrics else ""
            bar.update(task, description=f"{name}: {current.get('JobRunState', 'STARTING')}{spark}")

        if follow:
            last = 0.0
            for stream, line in run_logs.follow(log_dir, ("stdout", "stderr"), finished):
                bar.console.print(Text(line, style="dim" if stream == "stderr" else ""))
                if time.monotonic() - last > 0.5:
                    refresh()
                    last = time.monotonic()
        else:
            while not finished():
                refresh()
                time.sleep(0.5)
        refresh()
    state = current["JobRunState"]
    console.print(f"run {run_id}: {_state(state)} after {current.get('ExecutionTime', 0)} s")
    if current.get("ErrorMessage"):
        console.print(f"[red]{current['ErrorMessage']}[/]", markup=True, soft_wrap=True)
        console.print(f"logs: gluelab jobs logs {run_id[:12]}")
    return current


@app.command()
def runs(
    name: str = NAME,
    limit: int = typer.Option(20, "--limit", "-n", help="How many, newest first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """A job's runs, newest first (GetJobRuns)."""
    page = services().jobs.get_job_runs(JobName=name, MaxResults=max(1, min(limit, 200)))
    if as_json:
        print_json({"JobRuns": page["JobRuns"]})
        return
    table = Table("Run", "Attempt", "State", "Started", "Time", "Error", title=f"runs of {name}")
    for item in page["JobRuns"]:
        table.add_row(
            item["Id"],
            str(item["Attempt"]),
            _state(item["JobRunState"]),
            when(item["StartedOn"]),
            f"{item.get('ExecutionTime', 0)} s",
            (item.get("ErrorMessage") or item.get("StateDetail") or "")[:80],
        )
    console.print(table)


@app.command()
def logs(
    run_id: str = typer.Argument(..., help="A run id (or its first characters)."),
    stream: str = typer.Option(
        "all", "--stream", help="run, stdout, stderr, spark or all (run+stdout+stderr)."
    ),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep streaming until the run ends."),
    tail: int = typer.Option(None, "--tail", help="Only the last N lines of each log."),
) -> None:
    """A run's logs: gluelab's notes (run), the script's stdout and stderr, Spark's log."""
    from ..jobs import logs as run_logs

    jobs = services().jobs
    name, run_id = jobs.resolve_run_id(run_id)
    streams = ("run", "stdout", "stderr") if stream == "all" else (stream,)
    if any(s not in run_logs.STREAMS for s in streams):
        raise typer.BadParameter(f"--stream is one of {', '.join(run_logs.STREAMS)} or all")
    log_dir = jobs.run_context(run_id)["LogDir"]
    label = len(streams) > 1
    if follow:

        def finished() -> bool:
            return jobs.get_job_run(JobName=name, RunId=run_id)["JobRun"]["JobRunState"] not in UNFINISHED

        for which, line in run_logs.follow(log_dir, streams, finished):
            print(f"[{which}] {line}" if label else line, flush=True)
        return
    for which in streams:
        for line in run_logs.read_lines(log_dir, which, tail):
            print(f"[{which}] {line}" if label else line)


@app.command()
def stop(run_ids: list[str] = typer.Argument(..., help="Run ids (or their first characters).")) -> None:
    """Stop runs (BatchStopJobRun): streaming queries end after their current micro-batch."""
    jobs = services().jobs
    failed = False
    for given in run_ids:
        name, run_id = jobs.resolve_run_id(given)
        result = jobs.batch_stop_job_run(JobName=name, JobRunIds=[run_id])
        for error in result["Errors"]:
            failed = True
            console.print(f"[red]{run_id}: {error['ErrorDetail']['ErrorMessage']}[/]")
        for _ in result["SuccessfulSubmissions"]:
            console.print(f"stopping run [bold]{run_id}[/] of job [bold]{name}[/]")
    if failed:
        raise typer.Exit(1)


@app.command()
def metrics(
    run_id: str = typer.Argument(..., help="A run id (or its first characters)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """A Spark run's metrics (from its event log): records, bytes, stages, executor time."""
    jobs = services().jobs
    name, run_id = jobs.resolve_run_id(run_id)
    result = jobs.get_job_run_metrics(JobName=name, RunId=run_id)
    if as_json:
        print_json(result)
        return
    m = result["Metrics"]
    if not m:
        console.print(f"run {run_id} has no Spark metrics (a Python shell job, or not started)")
        return
    console.print(
        f"records read {m['RecordsRead']:,}  written {m['RecordsWritten']:,}  bytes read {m['BytesRead']:,}"
        f"  written {m['BytesWritten']:,}  executor time {m['ExecutorRunTimeMs'] / 1000:.1f} s"
        f"  tasks {m['Tasks']}"
    )
    table = Table("Stage", "Name", "Tasks", "Duration", "Records in", "Records out", "Status")
    for s in m["Stages"]:
        table.add_row(
            str(s["StageId"]),
            s["Name"][:50],
            str(s["Tasks"]),
            f"{s['DurationMs'] / 1000:.2f} s",
            f"{s['RecordsRead']:,}",
            f"{s['RecordsWritten']:,}",
            s["Status"],
        )
    console.print(table)
