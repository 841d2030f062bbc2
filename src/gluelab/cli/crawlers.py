"""``gluelab crawlers``: define crawlers, start them (with a progress bar), see their crawls and logs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .render import console, fail, print_json, when
from .state import services

app = typer.Typer(no_args_is_help=True, help="Crawlers: keep the Data Catalog true to the data.")

JSON_OPTION = typer.Option(False, "--json", help="Print Glue-shaped JSON instead of a summary.")
NAME = typer.Argument(..., help="The crawler's name.")


@app.command()
def create(
    name: str = NAME,
    database: str = typer.Option(..., "--database", "-d", help="Database the crawler writes tables to."),
    path: list[str] = typer.Option([], "--path", "-p", help="An S3 include path (s3://bucket/prefix/)."),
    exclude: list[str] = typer.Option([], "--exclude", help="An exclusion glob for every S3 path."),
    jdbc: list[str] = typer.Option([], "--jdbc", help="CONNECTION:PATH, e.g. pg:test/public/%."),
    sample_size: int = typer.Option(None, "--sample-size", help="Files crawled per folder (1-249)."),
    table_prefix: str = typer.Option(None, "--table-prefix", help="Prefix of the tables' names."),
    update_behavior: str = typer.Option("UPDATE_IN_DATABASE", help="UPDATE_IN_DATABASE or LOG."),
    delete_behavior: str = typer.Option(
        "DEPRECATE_IN_DATABASE", help="DEPRECATE_IN_DATABASE, DELETE_FROM_DATABASE or LOG."
    ),
    new_folders_only: bool = typer.Option(False, help="RecrawlBehavior CRAWL_NEW_FOLDERS_ONLY."),
    classifier: list[str] = typer.Option([], "--classifier", help="A custom classifier's name, in order."),
    configuration: str = typer.Option(None, help="The crawler's Configuration JSON."),
    schedule: str = typer.Option(None, help="cron(...) schedule expression."),
) -> None:
    """Create a crawler over S3 paths and/or JDBC tables."""
    targets: dict[str, Any] = {}
    if path:
        targets["S3Targets"] = [
            {
                "Path": p,
                **({"Exclusions": exclude} if exclude else {}),
                **({"SampleSize": sample_size} if sample_size else {}),
            }
            for p in path
        ]
    for spec in jdbc:
        connection, colon, include = spec.partition(":")
        if not colon or not connection or not include:
            raise typer.BadParameter(f"expected CONNECTION:PATH, not {spec!r}")
        targets.setdefault("JdbcTargets", []).append({"ConnectionName": connection, "Path": include})
    request: dict[str, Any] = {
        "Name": name,
        "Role": "gluelab",
        "DatabaseName": database,
        "Targets": targets,
        "SchemaChangePolicy": {"UpdateBehavior": update_behavior, "DeleteBehavior": delete_behavior},
        "RecrawlPolicy": {
            "RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY" if new_folders_only else "CRAWL_EVERYTHING"
        },
    }
    for key, value in (
        ("TablePrefix", table_prefix),
        ("Configuration", configuration),
        ("Schedule", schedule),
        ("Classifiers", classifier or None),
    ):
        if value:
            request[key] = value
    services().crawlers.create_crawler(request)
    console.print(f"created crawler [bold]{name}[/]")


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List crawlers with their state and last crawl."""
    crawlers = services().crawlers.get_crawlers({})["Crawlers"]
    if as_json:
        print_json({"Crawlers": crawlers})
        return
    table = Table(
        "Name", "State", "Database", "Targets", "Last crawl", "Started", title=f"{len(crawlers)} crawler(s)"
    )
    for c in crawlers:
        last = c.get("LastCrawl") or {}
        table.add_row(
            c["Name"],
            c["State"],
            c.get("DatabaseName", ""),
            _targets(c["Targets"]),
            last.get("Status", "-"),
            when(last.get("StartTime")),
        )
    console.print(table)


def _targets(targets: dict[str, Any]) -> str:
    parts = [t["Path"] for t in targets.get("S3Targets", [])]
    parts += [f"{t['ConnectionName']}:{t.get('Path', '')}" for t in targets.get("JdbcTargets", [])]
    parts += [f"{t['DatabaseName']}.{{{','.join(t['Tables'])}}}" for t in targets.get("CatalogTargets", [])]
    return ", ".join(parts)


@app.command()
def start(
    name: str = NAME,
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow the crawl with a progress bar."),
) -> None:
    """Start a crawl and (by default) follow it to its end."""
    crawlers = services().crawlers
    crawlers.start_crawler(Name=name)
    if not wait:
        console.print(f"crawler [bold]{name}[/] started")
        return
    crawl = _follow(name)
    summary = json.loads(crawl.get("Summary") or "{}")
    console.print(
        f"crawl {crawl['CrawlId']} [bold]{crawl['State']}[/]: "
        + ", ".join(f"{k} {v}" for k, v in summary.items() if v)
    )
    if crawl.get("ErrorMessage"):
        fail(crawl["ErrorMessage"])
    if crawl["State"] != "COMPLETED":
        raise typer.Exit(1)


def _follow(name: str) -> dict[str, Any]:
    crawlers = services().crawlers
    crawl = crawlers.list_crawls(CrawlerName=name, MaxResults=1)["Crawls"][0]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(f"{name}: starting", total=None)
        while True:
            info = crawlers.crawl_info(crawl["CrawlId"])
            progress = info["Progress"]
            phase = progress.get("phase", "starting")
            total = progress.get("files_total")
            bar.update(
                task,
                description=f"{name}: {phase}" + (f" {progress['path']}" if phase == "scanning" else ""),
                total=total if phase == "scanning" else None,
                completed=progress.get("files_done", 0) if phase == "scanning" else 0,
            )
            if info["State"] != "RUNNING":
                return crawlers.list_crawls(CrawlerName=name, MaxResults=1)["Crawls"][0]
            crawlers.reconcile()
            time.sleep(0.2)


@app.command()
def stop(name: str = NAME) -> None:
    """Ask a running crawl to stop (it ends before writing the catalog)."""
    services().crawlers.stop_crawler(Name=name)
    console.print(f"crawler [bold]{name}[/] stopping")


@app.command()
def show(name: str = NAME, as_json: bool = JSON_OPTION) -> None:
    """A crawler's definition, metrics and recent crawls."""
    crawlers = services().crawlers
    crawler = crawlers.get_crawler(Name=name)["Crawler"]
    crawls = crawlers.list_crawls(CrawlerName=name, MaxResults=10)["Crawls"]
    metrics = crawlers.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    if as_json:
        print_json({"Crawler": crawler, "CrawlerMetrics": metrics, "Crawls": crawls})
        return
    console.print(
        f"[bold]{name}[/]  {crawler['State']}  version {crawler['Version']}  "
        f"-> {crawler.get('DatabaseName', '')}"
    )
    console.print(f"targets: {_targets(crawler['Targets'])}")
    policy = crawler["SchemaChangePolicy"]
    console.print(
        f"policies: update {policy['UpdateBehavior']}, delete {policy['DeleteBehavior']}, "
        f"recrawl {crawler['RecrawlPolicy']['RecrawlBehavior']}"
    )
    console.print(
        f"metrics: last {metrics['LastRuntimeSeconds']:.1f}s, median {metrics['MedianRuntimeSeconds']:.1f}s, "
        f"tables created {metrics['TablesCreated']}, updated {metrics['TablesUpdated']}, "
        f"deleted {metrics['TablesDeleted']}"
    )
    table = Table("Crawl", "State", "Started", "Ended", "Summary", "Error", title="recent crawls")
    for crawl in crawls:
        summary = json.loads(crawl.get("Summary") or "{}")
        table.add_row(
            crawl["CrawlId"][:8],
            crawl["State"],
            when(crawl["StartTime"]),
            when(crawl.get("EndTime")),
            ", ".join(f"{k} {v}" for k, v in summary.items() if v),
            crawl.get("ErrorMessage", ""),
        )
    console.print(table)


@app.command()
def logs(
    name: str = NAME,
    crawl_id: str = typer.Option(None, "--crawl", help="A crawl id (default: the latest crawl)."),
) -> None:
    """Print a crawl's log."""
    crawlers = services().crawlers
    crawls = crawlers.list_crawls(CrawlerName=name)["Crawls"]
    chosen = next((c for c in crawls if crawl_id is None or c["CrawlId"].startswith(crawl_id)), None)
    if chosen is None:
        fail(f"EntityNotFoundException: crawler {name} has no crawl {crawl_id or ''}".strip())
    path = Path(crawlers.crawl_info(chosen["CrawlId"])["LogPath"])
    if not path.exists():
        fail(f"the log of crawl {chosen['CrawlId']} is not there ({path})")
    console.print(path.read_text(encoding="utf-8"), markup=False, highlight=False, end="")
