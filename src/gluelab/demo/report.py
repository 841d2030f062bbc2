"""What the demo shows at the end (tables, runs, rows, timings) and the checks of its numbers against the
data it wrote."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.table import Table

from ..cli.render import console
from .data import Day

FINISHED = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "CANCELLED"}
LATEST = datetime.max.replace(tzinfo=UTC)  # where a node not started yet sorts
CRAWL_STATES = {"COMPLETED": "SUCCEEDED", "FAILED": "FAILED", "STOPPED": "CANCELLED"}


@dataclass
class Node:
    kind: str
    name: str
    state: str
    started: datetime | None = None
    ended: datetime | None = None
    error: str = ""
    run_id: str = ""

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def seconds(self) -> float | None:
        if self.started and self.ended:
            return (self.ended - self.started).total_seconds()
        return None


class WorkflowRun:
    """A GetWorkflowRun answer (with its graph), read for the report."""

    def __init__(self, run: dict[str, Any], label: str = "") -> None:
        self.run = run
        self.label = label

    @property
    def properties(self) -> dict[str, str]:
        return self.run.get("WorkflowRunProperties") or {}

    def nodes(self) -> list[Node]:
        nodes = []
        for node in (self.run.get("Graph") or {}).get("Nodes") or []:
            if node["Type"] == "JOB":
                runs = (node.get("JobDetails") or {}).get("JobRuns") or []
                last = runs[-1] if runs else {}
                nodes.append(
                    Node(
                        "JOB",
                        node["Name"],
                        last.get("JobRunState", "WAITING"),
                        last.get("StartedOn"),
                        last.get("CompletedOn"),
                        last.get("ErrorMessage", ""),
                        last.get("Id", ""),
                    )
                )
            elif node["Type"] == "CRAWLER":
                crawls = (node.get("CrawlerDetails") or {}).get("Crawls") or []
                last = crawls[-1] if crawls else {}
                state = CRAWL_STATES.get(last.get("State", ""), last.get("State", "WAITING"))
                nodes.append(
                    Node(
                        "CRAWLER",
                        node["Name"],
                        state,
                        last.get("StartedOn"),
                        last.get("CompletedOn"),
                        last.get("ErrorMessage", ""),
                    )
                )
        order = {"CRAWLER": 0}
        return sorted(nodes, key=lambda n: (order.get(n.kind, 1), n.started or LATEST))


@dataclass
class TableFacts:
    name: str
    classification: str
    columns: int
    partitions: list[str]
    location: str
    rows: int | None = None


@dataclass
class Report:
    workspace: Path
    home: Path
    days: list[Day] = field(default_factory=list)
    runs: list[WorkflowRun] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)
    tables: list[TableFacts] = field(default_factory=list)
    crawl: dict[str, Any] = field(default_factory=dict)
    quality_lines: list[str] = field(default_factory=list)

    # -- gathering -------------------------------------------------------------------------------------
    def collect_catalog(self, glue: Any) -> None:
        """The database's tables and their partitions (while the server runs)."""
        for table in glue.get_tables(DatabaseName="shop")["TableList"]:
            pages = glue.get_paginator("get_partitions").paginate(
                DatabaseName="shop", TableName=table["Name"]
            )
            values = sorted("/".join(p["Values"]) for page in pages for p in page["Partitions"])
            sd = table["StorageDescriptor"]
            self.tables.append(
                TableFacts(
                    table["Name"],
                    (table.get("Parameters") or {}).get("classification", ""),
                    len(sd["Columns"]),
                    values,
                    sd.get("Location", ""),
                )
            )
        for facts in self.tables:
            facts.rows = self._rows(facts)

    def _rows(self, facts: TableFacts) -> int | None:
        if facts.name == "raw_sales":
            return sum(d.rows for d in self.days)
        if facts.name == "raw_customers":
            return sum(d.new_customers for d in self.days)
        if facts.classification == "parquet":  # what the job wrote, counted from the files themselves
            import pyarrow.dataset as ds

            from ..runtime.paths import to_local

            return ds.dataset(
                to_local(facts.location, self.home / "warehouse"), format="parquet"
            ).count_rows()
        return None

    def collect_outputs(self) -> None:
        """The last quality report's printed lines, from its executed notebook."""
        report = [n for n in self.runs[-1].nodes() if n.name == "quality_report"] if self.runs else []
        if not report:
            return
        output = self.home / "logs" / "runs" / report[0].run_id / "output.ipynb"
        notebook = json.loads(output.read_text())
        for cell in notebook["cells"]:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    self.quality_lines.extend("".join(out["text"]).splitlines())

    def start_of(self, node: Node) -> str:
        if node.kind != "JOB" or not node.run_id:
            return ""
        log = self.home / "logs" / "runs" / node.run_id / "run.log"
        text = log.read_text() if log.exists() else ""
        return "warm" if "warm start" in text else "cold" if "cold start" in text else "no Spark"

    # -- showing -----------------------------------------------------------------------------------------
    def print(self, total_seconds: float) -> None:
        tables = Table(title="Data Catalog: database shop")
        for column in ("table", "format", "columns", "partitions (dt)", "rows", "location"):
            tables.add_column(column, justify="right" if column in ("columns", "rows") else "left")
        for t in self.tables:
            shown = (
                ", ".join(t.partitions)
                if len(t.partitions) <= 2
                else f"{len(t.partitions)}: {t.partitions[0]} .. {t.partitions[-1]}"
            )
            tables.add_row(
                f"shop.{t.name}", t.classification, str(t.columns), shown, _count(t.rows), t.location
            )
        console.print(tables)

        runs = Table(title="Workflow runs of daily_sales (crawl, ETL with bookmarks, notebook, summary)")
        for column in ("run", "node", "state", "seconds", "Spark", "rows / result"):
            runs.add_column(column, justify="right" if column == "seconds" else "left")
        for run in self.runs:
            first = True
            for node in run.nodes():
                runs.add_row(
                    f"{run.label} {run.run['WorkflowRunId'][:11]}" if first else "",
                    f"{node.kind.lower()} {node.name}",
                    node.state,
                    f"{node.seconds:.1f}" if node.seconds is not None else "",
                    self.start_of(node),
                    self._result(run, node),
                )
                first = False
            runs.add_section()
        console.print(runs)

        if self.quality_lines:
            console.print("[bold]quality_report's output[/] (the executed notebook of the last run):")
            for line in self.quality_lines:
                console.print(f"  {line}", soft_wrap=True, highlight=False)
        for run in self.runs:
            console.print(
                f"[bold]publish_summary, {run.label}[/]: {run.properties.get('summary', '-')}", soft_wrap=True
            )

        timings = Table(title="Timings")
        timings.add_column("step")
        timings.add_column("seconds", justify="right")
        for step, seconds in self.timings:
            timings.add_row(step, f"{seconds:.1f}")
        timings.add_row("[bold]the whole demo[/]", f"[bold]{total_seconds:.1f}[/]")
        console.print(timings)

    @staticmethod
    def _result(run: WorkflowRun, node: Node) -> str:
        p = run.properties
        if node.name == "clean_sales":
            return (
                f"read {p.get('rows_read')}, clean {p.get('rows_clean')}, set aside {p.get('rows_rejected')}"
            )
        if node.name == "quality_report":
            return p.get("quality", "")
        if node.name == "publish_summary":
            return "summary put in the run's properties" if "summary" in p else ""
        return node.error

    # -- checking ------------------------------------------------------------------------------------------
    def check(self) -> list[str]:
        """Where the runs' numbers differ from what the data holds (empty: all good)."""
        problems = []
        first, new = self.days[:-1], self.days[-1:]
        for run, days in zip(self.runs, (first, new), strict=False):
            expected = {
                "rows_read": sum(d.rows for d in days),
                "rows_clean": sum(d.clean for d in days),
                "rows_rejected": sum(d.malformed for d in days),
            }
            for key, value in expected.items():
                if run.properties.get(key) != str(value):
                    problems.append(
                        f"{run.label}: {key} is {run.properties.get(key)}, the files hold {value}"
                    )
        by_name = {t.name: t for t in self.tables}
        dates = [d.dt for d in self.days]
        for name in ("raw_sales", "raw_customers", "sales"):
            table = by_name.get(name)
            if table is None:
                problems.append(f"table shop.{name} is missing")
            elif table.partitions != dates:
                problems.append(f"shop.{name} has partitions {table.partitions}, expected {dates}")
        for name, expected in (
            ("sales", sum(d.clean for d in self.days)),
            ("sales_rejects", sum(d.malformed for d in self.days)),
        ):
            table = by_name.get(name)
            if table is None or table.rows != expected:
                problems.append(
                    f"shop.{name} holds {table.rows if table else 'no'} rows, expected {expected}"
                )
        if len(self.runs) != 2:
            problems.append(f"{len(self.runs)} workflow runs, expected 2")
        return problems


def _count(rows: int | None) -> str:
    return f"{rows:,}" if rows is not None else ""
