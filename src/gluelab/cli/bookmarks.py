"""``gluelab bookmarks``: see a job's bookmark, its runs, and reset or rewind it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from ..runtime.bookmarks import missing_bookmark, serialise_state
from .render import console, print_json, when
from .state import services

app = typer.Typer(no_args_is_help=True, help="Job bookmarks: what each job has already processed.")

JSON_OPTION = typer.Option(False, "--json", help="Print Glue-shaped JSON instead of a summary.")
JOB_ARGUMENT = typer.Argument(..., help="The job's name.")


def _utc_ms(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    try:
        moment = dt.datetime.fromtimestamp(value / 1000, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def _short(value: Any, limit: int = 100) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _key_values(last: Any, keys: Any) -> str:
    if isinstance(last, dict):
        return ", ".join(f"{k}={_short(v, 40)}" for k, v in last.items())
    if isinstance(last, list) and isinstance(keys, list) and len(keys) == len(last):
        return ", ".join(f"{k}={_short(v, 40)}" for k, v in zip(keys, last, strict=True))
    return "-" if last is None else _short(last)


def summarise(element: Any) -> tuple[str, str]:
    """(kind, a readable line) for one state element. The runtime writes ``{"kind": k, k: {...}}`` and,
    optionally, the options of the source under ``"source"``."""
    if not isinstance(element, dict):
        return "", _short(element)
    kind = element.get("kind")
    detail = element.get(kind) if isinstance(kind, str) else None
    source = element.get("source") if isinstance(element.get("source"), dict) else {}
    if kind == "s3" and isinstance(detail, dict):
        paths = detail.get("paths") or source.get("paths") or source.get("path") or []
        paths = [paths] if isinstance(paths, str) else paths
        files = detail.get("files") or {}
        return "s3", (
            f"paths: {', '.join(map(str, paths)) or '-'}; "
            f"high water: {_utc_ms(detail.get('high_water_ms')) or '-'}; "
            f"files remembered: {len(files) if isinstance(files, dict | list) else '-'}"
        )
    if kind == "jdbc" and isinstance(detail, dict):
        table = next(
            (t for t in (detail.get("table"), source.get("table"), source.get("dbtable")) if t),
            source.get("table_name") or "-",
        )
        return "jdbc", f"table: {table}; last: {_key_values(detail.get('last'), detail.get('keys')) or '-'}"
    return str(kind or ""), _short({k: v for k, v in element.items() if k != "kind"})


def _print_entry(record: dict[str, Any]) -> None:
    console.print(
        f"[bold]{escape(record['JobName'])}[/]  version {record['Version']}  run {record['Run']}  "
        f"attempt {record['Attempt']}"
    )
    reset = ""
    if record.get("ResetAt"):
        target = record.get("ResetToRunId")
        reset = f"{when(record['ResetAt'])} " + (f"(rewound to {target})" if target else "(to empty)")
    for label, value in (
        ("RunId", record.get("RunId")),
        ("PreviousRunId", record.get("PreviousRunId")),
        ("Updated", when(record.get("UpdatedAt"))),
        ("Last reset", reset),
    ):
        if value:
            console.print(f"  {label:<15}{escape(value)}")
    state = record.get("State") or {}
    if not state:
        console.print("  (empty: the next run with bookmarks enabled reads everything)")
        return
    table = Table("transformation_ctx", "kind", "state", title=f"{len(state)} state element(s)")
    for ctx in sorted(state):
        kind, line = summarise(state[ctx])
        table.add_row(escape(ctx), escape(kind), escape(line))
    console.print(table)


@app.command()
def show(job: str = JOB_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Show a job's bookmark: its entry and, per transformation_ctx, what has been processed."""
    bookmarks = services().bookmarks
    if as_json:
        print_json(bookmarks.get_job_bookmark(JobName=job))
        return
    record = bookmarks.load(job)
    if record is None:
        raise missing_bookmark(job)
    _print_entry(record)


@app.command()
def history(job: str = JOB_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """List the runs that committed the job's bookmark, newest first."""
    bookmarks = services().bookmarks
    record = bookmarks.load(job)
    if record is None:
        raise missing_bookmark(job)
    runs = bookmarks.history(job)
    if as_json:
        print_json(
            {
                "JobBookmarkEntries": [
                    {
                        **{k: v for k, v in run.items() if k != "State" and v is not None},
                        "JobBookmark": serialise_state(run["State"]),
                    }
                    for run in runs
                ]
            }
        )
        return
    table = Table(
        "Run",
        "RunId",
        "PreviousRunId",
        "Version",
        "Attempt",
        "Committed",
        "transformation_ctx",
        "Note",
        title=f"{len(runs)} committed run(s) of {escape(job)}",
    )
    for run in runs:
        notes = []
        if run["RunId"] == record.get("RunId"):
            notes.append("latest")
        if run["RunId"] == record.get("ResetToRunId"):
            notes.append(f"rewound to at {when(record.get('ResetAt'))}")
        table.add_row(
            str(run["Run"]),
            escape(run["RunId"]),
            escape(run.get("PreviousRunId") or ""),
            str(run["Version"]),
            str(run["Attempt"]),
            when(run["CommittedAt"]),
            escape(", ".join(sorted(run["State"]))),
            "; ".join(notes),
        )
    console.print(table)
    if record.get("ResetAt") and not record.get("ResetToRunId"):
        console.print(f"Reset to empty at {when(record['ResetAt'])}.")


def _reset(job: str, run_id: str | None, as_json: bool) -> None:
    bookmarks = services().bookmarks
    request = {"JobName": job, **({"RunId": run_id} if run_id else {})}
    result = bookmarks.reset_job_bookmark(request)
    if as_json:
        print_json(result)
        return
    record = bookmarks.load(job)
    if record is not None:
        _print_entry(record)
        if record.get("RunId") and record["RunId"] != run_id:
            console.print(
                "The latest run's state is kept: "
                f"gluelab bookmarks rewind {escape(job)} --to {escape(record['RunId'])}"
            )


@app.command()
def reset(job: str = JOB_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Empty the job's bookmark: its next run reads all the data again (ResetJobBookmark)."""
    _reset(job, None, as_json)


@app.command()
def rewind(
    job: str = JOB_ARGUMENT,
    to: str = typer.Option(
        ..., "--to", metavar="RUN_ID", help="The run whose committed state to go back to."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Set the job's bookmark back to the state a run committed, to process again what came after it."""
    _reset(job, to, as_json)


@app.command()
def preview(job: str = JOB_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """What the job's next bookmarked run will read: new files per source, new rows per JDBC table."""
    from ..runtime.bookmark_preview import preview as compute

    items = compute(services(), job)
    if as_json:
        print_json({"JobName": job, "Sources": items})
        return
    table = Table(
        "transformation_ctx", "kind", "next run reads", "detail", title=f"Next run of {escape(job)}"
    )
    for item in items:
        if item["kind"] == "s3" and "files" in item:
            shown = ", ".join(item["files"][:5]) + (
                f" (+{item['count'] - 5} more)" if item["count"] > 5 else ""
            )
            table.add_row(
                item["ctx"],
                "s3",
                f"{item['count']} new file(s), {item['bytes']} bytes",
                escape(shown or f"nothing new among {item['listed']} file(s)"),
            )
        elif item["kind"] == "jdbc":
            reads = f"{item['count']} new row(s)" if "count" in item else "?"
            detail = f"{item['table']} after {item['keys']}={item['last']}" + (
                f" ({item['note']})" if item.get("note") else ""
            )
            table.add_row(item["ctx"], "jdbc", reads, escape(detail))
        else:
            table.add_row(item["ctx"], item["kind"], "?", escape(item.get("note", "")))
    console.print(table)
