"""The example notebooks of ``notebooks/``, executed as a user runs them: papermill with each notebook's own
kernel (Glue PySpark (local), or Python 3) against one real ``gluelab serve`` on a fresh home, in their
numbered order; each test then reads the executed notebook's outputs and what the notebook made."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.helpers import ServerProcess

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
KERNELS = {"glue_pyspark_local", "python3"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Workspace:
    server: ServerProcess
    root: Path

    @property
    def warehouse(self) -> Path:
        return self.server.home / "warehouse"

    def execute(self, name: str) -> Executed:
        """papermill NAME (from the notebooks folder, as the lab would run it) into this workspace."""
        output = self.root / "executed" / name
        output.parent.mkdir(exist_ok=True)
        env = {**self.server.env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "papermill", str(NOTEBOOKS / name), str(output), "--cwd", str(NOTEBOOKS)],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if result.returncode != 0:
            raise AssertionError(f"papermill {name} failed:\n{result.stderr[-6000:]}")
        print(f"{name} executed in {time.monotonic() - started:.1f} s")
        return Executed(nbformat.read(output, as_version=4))


@dataclass
class Executed:
    notebook: Any

    @property
    def text(self) -> str:
        """What every cell printed or displayed (HTML when there is some, else plain text), ANSI-free."""
        parts: list[str] = []
        for cell in self.notebook.cells:
            for output in cell.get("outputs", []):
                if output["output_type"] == "stream":
                    parts.append(output["text"])
                elif output["output_type"] in ("display_data", "execute_result"):
                    data = output["data"]
                    parts.append(str(data.get("text/html") or data.get("text/plain", "")))
        return ANSI.sub("", "".join(parts))

    @property
    def widget_values(self) -> str:
        """The state of the widgets the notebook displayed, as papermill saved it."""
        return json.dumps(self.notebook.metadata.get("widgets", {}))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("notebooks")
    server = ServerProcess(root / "home").start()
    yield Workspace(server, root)
    server.stop()


def _notebooks() -> list[str]:
    return sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def test_the_notebooks_are_stored_clean_and_listed() -> None:
    readme = (NOTEBOOKS / "README.md").read_text()
    assert len(_notebooks()) >= 6
    for name in _notebooks():
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] in KERNELS, name
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), name
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{name}: saved with outputs"
        assert name in readme, f"notebooks/README.md does not mention {name}"
        assert name in CHECKS, f"{name} has no checks in tests/test_notebooks.py"


# -- what each executed notebook must show ---------------------------------------------------------------


def _getting_started(run: Executed, workspace: Workspace) -> None:
    text = run.text
    for expected in (
        "Setting the number of workers to: 2",
        "crawl SUCCEEDED",
        "table customers: json, partition keys []",
        "table orders: csv, partition keys ['day']",
        "orders read: 6",
        "|-- amount: choice",
        "valid orders: 4",
        "['customers', 'customers_tags']",
        "rows written: 4",
        "<td>2025-03-01</td><td>2</td><td>62.49</td>",
        "<td>2025-03-02</td><td>2</td><td>19.25</td>",
        "Stopped session",
    ):
        assert expected in text, expected
    glue = workspace.server.client()
    table = glue.get_table(DatabaseName="examples", Name="orders_enriched")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == [
        "order_id",
        "customer_id",
        "amount",
        "status",
        "name",
        "city",
    ]
    partitions = glue.get_partitions(DatabaseName="examples", TableName="orders_enriched")["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [["2025-03-01"], ["2025-03-02"]]


def _authoring_with_widgets(run: Executed, workspace: Workspace) -> None:
    text = run.text
    assert "[('id', 'bigint'), ('name', 'string'), ('amount', 'double'), ('region', 'string')]" in text
    assert "Created job <b>curate-sales</b> (script)" in text
    assert "('amount', 'double', 'total', 'double')" in text  # the generated script
    assert re.search(r"run jr_\w+ SUCCEEDED in \d+ s", text), text
    assert "rows in the output: 5" in text and "folders: ['region=eu', 'region=us']" in text
    assert "|    eu|     20.75|" in text and "|    us|      32.5|" in text
    widgets = run.widget_values
    assert "<th>id</th><th>total</th><th>region</th>" in widgets  # the preview
    assert "SUCCEEDED" in widgets  # the RunMonitor's last state
    runs = workspace.server.client().get_job_runs(JobName="curate-sales")["JobRuns"]
    assert [r["JobRunState"] for r in runs] == ["SUCCEEDED"]
    assert (workspace.warehouse / "examples" / "widgets" / "curated" / "sales" / "region=eu").is_dir()


def _promote_and_schedule(run: Executed, workspace: Workspace) -> None:
    text = run.text
    assert re.search(r"day\s+│ date\s+│ date\(2025, 3, 2\)", text), text
    assert re.search(r"top\s+│ int\s+│ 3 ", text)
    assert "scheduled by trigger daily-report-schedule" in text
    assert "job daily-report NOTEBOOK glueetl" in text
    assert "trigger daily-report-schedule SCHEDULED ACTIVATED cron(0 6 * * ? *)" in text
    assert "At 06:00 UTC, every day" in text
    assert re.search(r"\d\d:\d\d:\d\d SUCCEEDED", text), text
    assert "top = 2" in text and "min_amount = 10.0" in text  # papermill's injected cell
    assert "report for 2025-03-01: 3 orders, revenue 74.50" in text
    assert "|    alan|     1| 40.0|" in text and "|     ada|     2| 34.5|" in text
    refused = (
        "FAILED - InvalidInputException: Notebook parameter top is declared int: 'five' is not a whole number"
    )
    assert refused in text
    glue = workspace.server.client()
    trigger = glue.get_trigger(Name="daily-report-schedule")["Trigger"]
    assert trigger["State"] == "DEACTIVATED" and trigger["Actions"][0]["Arguments"] == {"--top": "5"}
    assert glue.get_job(JobName="daily-report")["Job"]["JobMode"] == "NOTEBOOK"
    states = sorted(r["JobRunState"] for r in glue.get_job_runs(JobName="daily-report")["JobRuns"])
    assert states == ["FAILED", "SUCCEEDED"]
    report = workspace.warehouse / "examples" / "shop" / "reports" / "day=2025-03-01"
    rows = [json.loads(line) for f in report.glob("*.json") for line in f.read_text().splitlines()]
    assert sorted((r["customer"], r["total"]) for r in rows) == [("ada", 34.5), ("alan", 40.0)]


def _triggers_and_workflows(run: Executed, workspace: Workspace) -> None:
    text = run.text
    assert "Created trigger <b>after-extract</b>" in text
    first, resumed, arrival = re.findall(r"run (wr_\w+) COMPLETED", text)
    assert re.search(r"job transform\s+FAILED\s+ValueError: could not convert string to float: 'n/a'", text)
    assert re.search(r"job alert\s+SUCCEEDED", text) and re.search(r"job report\s+SUCCEEDED", text)
    assert "'total': '52.5'" in text and "report: day 2025-03-01 total 52.5" in text
    assert "job transform FAILED" in text and "◆ on-transform-failure" in text  # the text graph
    assert "batch: {'BatchSize': 2" in text and "orders-" in text
    glue = workspace.server.client()
    runs = {r["WorkflowRunId"]: r for r in glue.get_workflow_runs(Name="nightly")["Runs"]}
    statistics = runs[first]["Statistics"]
    assert (statistics["FailedActions"], statistics["SucceededActions"]) == (1, 2)
    assert runs[resumed]["PreviousRunId"] == first and runs[resumed]["Statistics"]["FailedActions"] == 0
    [landed] = glue.get_workflow_runs(Name="on-arrival")["Runs"]
    assert landed["WorkflowRunId"] == arrival and landed["Statistics"]["SucceededActions"] == 1
    assert len(json.loads(landed["WorkflowRunProperties"]["gluelab:eventSources"])) == 2


def _boto3_and_sparkmagic(run: Executed, workspace: Workspace) -> None:
    text = run.text
    for expected in (
        "[['2024', '10'], ['2024', '11'], ['2024', '12']]",
        "pages: [10, 10, 4] partitions: 24",
        "version 1 ['id', 'kind', 'source']",
        "cities written: 4",
        "[('city', 'string'), ('country', 'string'), ('population_m', 'double')]",
        "SparkSession available as 'spark'",
        "rows: 4",
        "|     UK|        9.45|",
        "DataFrame ['London', 'New York']",
    ):
        assert expected in text, expected
    assert re.search(r"examples-\d+ READY", text)
    glue = workspace.server.client()
    assert glue.get_table(DatabaseName="examples_api", Name="cities")["Table"]["Name"] == "cities"
    live = [s for s in glue.list_sessions()["Sessions"] if s["Status"] in ("PROVISIONING", "READY")]
    assert live == [], "the notebook leaves no session running"


def _daily_report(run: Executed, workspace: Workspace) -> None:
    text = run.text
    assert "orders by day: ['day=2025-03-01', 'day=2025-03-02', 'day=2025-03-03']" in text
    assert "report for 2025-03-02: 4 orders, revenue 65.00" in text
    assert "|   grace|     2|41.75|" in text and "|     ada|     1|  5.0|" in text
    assert "report written to s3://examples/shop/reports/day=2025-03-02/" in text


CHECKS: dict[str, Callable[[Executed, Workspace], None]] = {
    "01-getting-started.ipynb": _getting_started,
    "02-authoring-with-widgets.ipynb": _authoring_with_widgets,
    "03-promote-and-schedule.ipynb": _promote_and_schedule,
    "04-triggers-and-workflows.ipynb": _triggers_and_workflows,
    "05-boto3-and-sparkmagic.ipynb": _boto3_and_sparkmagic,
    "daily_report.ipynb": _daily_report,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", _notebooks())
def test_the_notebook_runs_and_shows_what_it_says(name: str, workspace: Workspace) -> None:
    CHECKS[name](workspace.execute(name), workspace)
