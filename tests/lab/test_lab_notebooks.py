"""Notebooks in the lab: "Schedule as job" on a notebook's toolbar (the promotion dialog, its schedule
builder and worker settings), the promoted job run from the Jobs panel with its log, metrics chart and
output notebook; "Open in notebook" and the preview of a catalog table; the authoring widgets rendered in
a notebook creating a job and a trigger; the lab's own development endpoint (boto3, Livy) and the status
bar."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from typing import Any

import boto3
import nbformat
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from botocore.exceptions import ClientError

from tests.helpers import gluelab_env
from tests.lab.conftest import ARTIFACTS, TOKEN, Lab, open_section

pytestmark = pytest.mark.slow

DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]


def _notebook(lab: Lab, name: str, *cells: str, parameters: str | None = None) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "glue_pyspark_local", "display_name": "Glue PySpark (local)"}
    if parameters is not None:
        tagged = nbformat.v4.new_code_cell(parameters)
        tagged.metadata["tags"] = ["parameters"]
        nb.cells.append(tagged)
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, lab.root / name)


# The notebook on screen: the lab restores the tabs an earlier test left open, and hides the others by
# CSS (Lumino's hidden mode need not set lm-mod-hidden), so "visible" is what tells them apart.
NOTEBOOK = ".jp-NotebookPanel:visible"
CURRENT_TAB = ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current"


def _open_notebook(page: Any, lab: Lab, name: str) -> None:
    page.goto(f"{lab.url}/lab/tree/{name}?token={TOKEN}")
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
    page.locator(CURRENT_TAB, has_text=name).wait_for(timeout=60_000)
    page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def _dialog_field(page: Any, name: str) -> Any:
    return page.locator(f'.jp-Dialog [data-gluelab="promote"] [name="{name}"]').first


def test_schedule_as_job_promotes_through_the_dialog_then_runs_with_log_metrics_and_output(
    lab: Lab, page: Any
):
    _notebook(
        lab,
        "report.ipynb",
        "%worker_type G.2X\n%number_of_workers 3",
        "print('label', label, 'count', spark.range(rows).count())",
        parameters='rows = 5  # how many rows\nlabel = "first"',
    )
    _open_notebook(page, lab, "report.ipynb")
    page.locator(f"{NOTEBOOK} .jp-NotebookPanel-toolbar").get_by_text("Schedule as job").click()
    form = page.locator('.jp-Dialog [data-gluelab="promote"]')
    form.wait_for()
    assert _dialog_field(page, "name").input_value() == "report"
    arguments = form.locator('[data-gluelab="schedule-arguments"]')
    assert arguments.locator('input[name="rows"]').get_attribute("data-type") == "int"
    assert (
        arguments.locator('input[name="rows"]').input_value() == "5"
        and "how many rows" in arguments.inner_text()
    )
    assert _dialog_field(page, "worker-type").input_value() == "G.2X"  # from the notebook's magics
    assert _dialog_field(page, "workers").input_value() == "3"
    # A cron expression the schedule builder cannot read: its preview says why, and so does Create job.
    _dialog_field(page, "schedule-kind").select_option("cron")
    _dialog_field(page, "cron").fill("cron(61 * * * ? *)")
    form.locator('[data-fire-times="error"]').wait_for()
    _dialog_field(page, "workers").fill("4")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    error = page.locator('.jp-Dialog [data-gluelab="promote"] > .gluelab-error')
    error.wait_for()
    assert "InvalidInputException" in error.inner_text()
    assert _dialog_field(page, "workers").input_value() == "4"  # nothing the user typed is lost
    assert lab.call("GetJob", {"JobName": "report"}).status_code == 400  # and nothing was made
    # A weekly schedule three days from now (it does not fire during the test), with its fire times.
    day = DAYS[(dt.datetime.now(dt.UTC).weekday() + 3) % 7]
    _dialog_field(page, "schedule-kind").select_option("weekly")
    _dialog_field(page, "time").fill("07:30")
    _dialog_field(page, "day").select_option(day)
    expression = f"cron(30 7 ? * {day} *)"
    times = page.locator(f'.jp-Dialog [data-fire-times="{expression}"] li')
    times.first.wait_for()
    assert times.count() == 5 and all(t.endswith("07:30:00Z") for t in times.all_inner_texts())
    arguments = page.locator('.jp-Dialog [data-gluelab="schedule-arguments"]')
    arguments.locator('input[name="rows"]').fill("9")
    _dialog_field(page, "timeout").fill("30")
    _shot(page, "schedule-as-job-dialog.png")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    page.locator(".jp-Dialog").wait_for(state="detached")
    page.get_by_text("Job report runs version 1 of report.ipynb").wait_for()
    job = lab.glue("GetJob", {"JobName": "report"})["Job"]
    assert job["JobMode"] == "NOTEBOOK" and (job["WorkerType"], job["NumberOfWorkers"], job["Timeout"]) == (
        "G.2X",
        4,
        30,
    )
    trigger = lab.glue("GetTrigger", {"Name": "report-schedule"})["Trigger"]
    assert trigger["Schedule"] == expression and trigger["State"] == "ACTIVATED"
    assert trigger["Actions"][0]["Arguments"] == {"--rows": "9", "--label": "first"}
    lab.glue("DeleteTrigger", {"Name": "report-schedule"})

    # Edit the notebook in the lab and press the button again: the notebook is already a job, which
    # "Update" re-snapshots (the button saves the edit first).
    page.locator(f"{NOTEBOOK} .jp-Cell").nth(2).locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nprint('updated')")
    page.locator(f"{NOTEBOOK} .jp-NotebookPanel-toolbar").get_by_text("Schedule as job").click()
    page.locator('.jp-Dialog [data-existing="report"]').wait_for()
    page.locator(".jp-Dialog .jp-Dialog-button").get_by_text("Update report").click()
    page.get_by_text("Job report now runs version 2 of report.ipynb").wait_for()
    assert len(lab.glue("GetNotebookJob", {"Name": "report"})["Versions"]) == 2

    # Run it from the Jobs panel: the typed dialog refuses a wrong int and keeps the rest.
    section = open_section(page, "jobs")
    entry = section.locator('[data-job="report"]')
    entry.locator('[data-action="run"]').click()
    run_form = page.locator('.jp-Dialog [data-gluelab="run-parameters"]')
    run_form.locator('input[name="label"]').fill("from the lab")
    page.evaluate("document.querySelector('.jp-Dialog input[name=\"rows\"]').type = 'text'")
    run_form.locator('input[name="rows"]').fill("many")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    assert (
        "rows is declared int"
        in page.locator('.jp-Dialog [data-gluelab="run-parameters"] .gluelab-error').inner_text()
    )
    assert page.locator('.jp-Dialog input[name="label"]').input_value() == "from the lab"
    page.locator('.jp-Dialog input[name="rows"]').fill("7")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    run = entry.locator(".gluelab-run").first
    run.locator('[data-state="SUCCEEDED"]').wait_for(timeout=240_000)
    [started] = lab.glue("GetJobRuns", {"JobName": "report"})["JobRuns"]
    assert started["Arguments"]["--rows"] == "7"
    run.locator('[data-action="log"]').click()
    log = page.locator(".gluelab-log[data-finished]")
    log.wait_for(timeout=60_000)
    assert "label from the lab count 7" in log.locator('pre[data-stream="stdout"]').inner_text()
    # Its metrics: the Spark stages the run ran, charted by time and records.
    run.locator('[data-action="metrics"]').click()
    metrics = page.locator(f'.gluelab-metrics[data-run="{started["Id"]}"][data-finished]')
    metrics.wait_for(timeout=60_000)
    assert metrics.locator('[data-state="SUCCEEDED"]').count() == 1
    bars = metrics.locator('.gluelab-chart rect[data-metric="time"]')
    assert bars.count() >= 1
    assert int(bars.first.get_attribute("data-value")) >= 0
    recorded = lab.glue("GetJobRunMetrics", {"JobName": "report", "RunId": started["Id"]})["Metrics"]
    assert bars.count() == len(recorded["Stages"]) >= 1
    _shot(page, "run-metrics-chart.png")
    # Its output notebook: the executed cells with their outputs.
    entry.locator(f'.gluelab-run[data-run="{started["Id"]}"] [data-action="output"]').click()
    output = page.locator(f'[data-output="{started["Id"]}"]')
    output.wait_for()
    frame = page.frame_locator(f'[data-output="{started["Id"]}"] iframe')
    frame.get_by_text("label from the lab count 7").wait_for(timeout=30_000)
    assert "updated" in frame.locator("body").inner_text()  # version 2 ran
    link = output.locator("a.gluelab-link").get_attribute("href")
    assert link.endswith(f"/gluelab/runs/{started['Id']}/output.ipynb")


def test_a_catalog_table_previews_and_opens_in_a_notebook(lab: Lab, page: Any):
    lab.glue("CreateDatabase", {"DatabaseInput": {"Name": "shop"}})
    for day, ids in (("2026-11-20", [1, 2]), ("2026-11-21", [3])):
        folder = lab.home / "warehouse" / "lake" / "shop" / "orders" / f"day={day}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"id": ids, "amount": [i * 1.5 for i in ids]}), folder / "part-0.parquet")
    lab.glue(
        "CreateTable",
        {
            "DatabaseName": "shop",
            "TableInput": {
                "Name": "orders",
                "StorageDescriptor": {
                    "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "amount", "Type": "double"}],
                    "Location": "s3://lake/shop/orders/",
                },
                "PartitionKeys": [{"Name": "day", "Type": "string"}],
                "Parameters": {"classification": "parquet"},
            },
        },
    )
    section = open_section(page, "catalog")
    section.locator('[data-database="shop"] > .gluelab-row').click()
    section.locator('[data-table="shop.orders"] > .gluelab-row').click()
    section.locator('[data-table="shop.orders"] [data-action="preview"]').click()
    preview = section.locator('[data-preview="shop.orders"]')
    preview.wait_for()
    assert preview.locator("thead").inner_text().split() == ["id", "amount", "day"]
    rows = [r.split("\t") for r in preview.locator("tbody").inner_text().strip().splitlines()]
    assert rows == [["1", "1.5", "2026-11-20"], ["2", "3", "2026-11-20"], ["3", "4.5", "2026-11-21"]]
    section.locator('[data-table="shop.orders"] [data-action="open-notebook"]').click()
    page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook")
    assert (
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").inner_text().strip()
        == "shop.orders.ipynb"
    )
    toolbar = page.locator(f"{NOTEBOOK} .jp-NotebookPanel-toolbar")
    toolbar.get_by_text("Glue PySpark (local)").wait_for()  # the kernel it opened with
    written = nbformat.read(lab.root / "shop.orders.ipynb", as_version=4)
    code = "\n".join(c.source for c in written.cells)
    assert 'from_catalog(database="shop", table_name="orders")' in code and "%%sql" in code
    assert written.metadata["kernelspec"]["name"] == "glue_pyspark_local"
    section.locator('[data-table="shop.orders"] [data-action="open-notebook"]').click()  # a second one
    page.get_by_text("shop.orders-1.ipynb").first.wait_for()
    assert (lab.root / "shop.orders-1.ipynb").is_file()


def _run_cell(page: Any, cell: Any, shows: str) -> Any:
    """Runs a cell with Shift+Enter until it shows ``shows`` (a lab that has only just connected to its
    kernel can drop the first request); returns that output's locator."""
    output = cell.locator(shows).first
    for _ in range(3):
        cell.locator(".jp-InputPrompt").click()
        page.keyboard.press("Shift+Enter")
        try:
            output.wait_for(timeout=45_000)
            return output
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: try again
            continue
    output.wait_for(timeout=1)
    return output


WIDGETS = """from gluelab.widgets import JobBuilder
builder = JobBuilder()
builder"""


def test_the_authoring_widgets_create_a_job_and_a_trigger_in_the_lab(lab: Lab, page: Any):
    raw = lab.home / "warehouse" / "raw" / "visits"
    raw.mkdir(parents=True)
    (raw / "visits.csv").write_text("user,page,ms\nann,/home,120\nbob,/cart,340\n")
    _notebook(lab, "author.ipynb", WIDGETS, "from gluelab.widgets import TriggerBuilder\nTriggerBuilder()")
    _open_notebook(page, lab, "author.ipynb")
    notebook = page.locator(NOTEBOOK)
    builder = _run_cell(page, notebook.locator(".jp-Cell").nth(0), ".jp-OutputArea .widget-vbox")
    builder.locator(".widget-toggle-button").get_by_text("path", exact=True).first.click()
    builder.locator(".widget-text:has(label:text-is('Path')) input").nth(0).fill("s3://raw/visits/")
    builder.locator(".jupyter-button").get_by_text("Load schema").click()
    builder.get_by_text("3 column(s)").wait_for()
    builder.locator(".widget-text:has(label:text-is('Path')) input").nth(1).fill("s3://curated/visits/")
    builder.locator(".widget-text:has(label:text-is('Job name')) input").fill("visits-etl")
    builder.locator(".jupyter-button").get_by_text("Create job").click()
    builder.get_by_text("visits-etl").first.wait_for()
    job = lab.glue("GetJob", {"JobName": "visits-etl"})["Job"]
    assert (
        job["Command"]["Name"] == "glueetl"
        and job["DefaultArguments"]["--target_path"] == "s3://curated/visits/"
    )
    # The TriggerBuilder lists the jobs there are when its cell runs.
    form = _run_cell(page, notebook.locator(".jp-Cell").nth(1), ".jp-OutputArea .widget-vbox")
    form.locator("option", has_text="visits-etl").first.wait_for(state="attached", timeout=60_000)
    form.locator(".widget-text:has(label:text-is('Name')) input").fill("visits-hourly")
    form.locator(".widget-text:has(label:text-is('Schedule')) input").fill("rate(1 hour)")
    form.locator(".widget-select-multiple:has(label:text-is('Start jobs')) select").select_option(
        "visits-etl"
    )
    form.locator(".jupyter-button").get_by_text("Create trigger", exact=True).click()
    form.get_by_text("Created trigger").wait_for()
    trigger = lab.glue("GetTrigger", {"Name": "visits-hourly"})["Trigger"]
    assert trigger["Schedule"] == "rate(1 hour)" and trigger["Actions"] == [{"JobName": "visits-etl"}]
    _shot(page, "authoring-widgets.png")
    lab.glue("DeleteTrigger", {"Name": "visits-hourly"})


def test_the_lab_serves_the_development_endpoint_and_shows_it_in_the_status_bar(lab: Lab, page: Any):
    """With no ``gluelab serve`` for its home, the lab itself answers boto3 (SigV4) and sparkmagic (Livy)
    on the configured port, announced where ``gluelab credentials`` and the status bar look."""
    info = json.loads((lab.home / "run" / "server.json").read_text())
    assert (info["pid"], info["by"]) == (lab.proc.pid, "jupyter lab")
    status = page.locator(".gluelab-endpoint-status")
    page.wait_for_selector('.gluelab-endpoint-status[data-endpoint="running"]', timeout=30_000)
    assert status.inner_text().startswith("Glue endpoint: running")
    assert info["url"] in status.get_attribute("title")

    env = gluelab_env(lab.home)
    printed = subprocess.run(
        [sys.executable, "-m", "gluelab", "credentials", "--json"], env=env, capture_output=True, text=True
    )
    credentials = json.loads(printed.stdout)
    assert credentials.pop("server_running") is True and credentials["endpoint_url"] == info["url"]
    glue = boto3.client("glue", **credentials)
    lab.glue("CreateDatabase", {"DatabaseInput": {"Name": "seen_by_boto3"}})
    assert "seen_by_boto3" in [d["Name"] for d in glue.get_databases()["DatabaseList"]]
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_table(DatabaseName="seen_by_boto3", Name="nothing")
    livy = requests.get(
        f"{info['url']}/sessions", auth=("gluelab", credentials["aws_secret_access_key"]), timeout=10
    )
    assert livy.status_code == 200 and livy.json()["sessions"] == []
    unsigned = boto3.client("glue", **{**credentials, "aws_secret_access_key": "wrong"})
    with pytest.raises(ClientError, match="UnrecognizedClientException|InvalidSignatureException"):
        unsigned.get_databases()

    second = subprocess.run(
        [sys.executable, "-m", "gluelab", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode != 0
    assert (
        f"jupyter lab is already running for {lab.home} at {info['url']} (pid {lab.proc.pid})"
        in second.stderr
    )

    glue.create_session(
        Id="lab-status",
        Role="arn:aws:iam::123456789012:role/gluelab",
        Command={"Name": "glueetl", "PythonVersion": "3"},
    )
    page.wait_for_selector('.gluelab-endpoint-status[data-sessions="1"]', timeout=30_000)
    page.get_by_text("Glue endpoint: running · 1 ready").wait_for(timeout=180_000)
    _shot(page, "endpoint-status-bar.png")
    glue.stop_session(Id="lab-status")
    page.wait_for_selector('.gluelab-endpoint-status[data-sessions="0"]', timeout=60_000)
    lab.glue("DeleteDatabase", {"Name": "seen_by_boto3"})
