"""The lab: gluelab's Jupyter server extension (the Glue API behind Jupyter's auth, the scheduler) and its
sidebar (Catalog, Jobs, the run dialog and the log viewer), driven in Chromium with Playwright."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.lab.conftest import ARTIFACTS, TOKEN, Lab, open_section
from tests.orchestration.orchestration_helpers import wait_for

pytestmark = pytest.mark.slow

GREETER = """
import sys
from awsglue.utils import getResolvedOptions
args = getResolvedOptions(sys.argv, ["JOB_NAME", "greeting", "times"])
for i in range(int(args["times"])):
    print(f"{args['greeting']} number {i}", flush=True)
print("oops on stderr", file=sys.stderr)
"""


def test_the_glue_api_is_mounted_behind_jupyters_auth(lab: Lab):
    assert lab.call("GetDatabases", token=None).status_code == 403
    assert lab.call("GetDatabases", token="wrong").status_code == 403
    lab.glue("CreateDatabase", {"DatabaseInput": {"Name": "authdb"}})
    assert "authdb" in [d["Name"] for d in lab.glue("GetDatabases")["DatabaseList"]]
    missing = lab.call("GetTable", {"DatabaseName": "authdb", "Name": "nope"})
    assert missing.status_code == 400 and missing.json()["__type"] == "EntityNotFoundException"
    assert missing.headers["x-amzn-ErrorType"] == "EntityNotFoundException"
    unknown = lab.call("NoSuchAction")
    assert unknown.status_code == 400 and "Unknown operation" in unknown.json()["message"]
    garbled = requests.post(
        f"{lab.url}/gluelab/api",
        data=b"{not json",
        headers={"X-Amz-Target": "AWSGlue.GetDatabases", "Authorization": f"token {TOKEN}"},
        timeout=30,
    )
    assert garbled.status_code == 400 and garbled.json()["__type"] == "SerializationException"
    fire = lab.glue("GetScheduleFireTimes", {"Schedule": "cron(0 6 * * ? *)", "Count": 3})
    assert fire["Description"].startswith("At 06:00") and len(fire["FireTimes"]) == 3
    too_often = lab.call("GetScheduleFireTimes", {"Schedule": "rate(1 minute)"})
    assert too_often.status_code == 400 and "at most every 5 minutes" in too_often.json()["message"]
    missing_output = requests.get(f"{lab.url}/gluelab/runs/jr_nope/output.html?token={TOKEN}", timeout=30)
    assert missing_output.status_code == 404 and "Job run jr_nope not found" in missing_output.text
    anonymous = requests.get(f"{lab.url}/gluelab/runs/jr_nope/output.html", timeout=30, allow_redirects=False)
    assert anonymous.status_code in (302, 403)  # to the login page, never the file
    assert "gluelab: the Glue API at /gluelab/api" in lab.output()


def test_the_lab_runs_the_scheduler(lab: Lab, tmp_path: Path):
    """A conditional trigger fires in the lab's own scheduler when the watched run ends (as on Glue, it
    watches runs a trigger started)."""
    script = tmp_path / "step.py"
    script.write_text("print('step done')\n")
    for name in ("first", "second"):
        lab.glue(
            "CreateJob",
            {"Name": name, "Role": "r", "Command": {"Name": "pythonshell", "ScriptLocation": str(script)}},
        )
    lab.glue(
        "CreateTrigger",
        {
            "Name": "after-first",
            "Type": "CONDITIONAL",
            "StartOnCreation": True,
            "Predicate": {
                "Conditions": [{"LogicalOperator": "EQUALS", "JobName": "first", "State": "SUCCEEDED"}]
            },
            "Actions": [{"JobName": "second"}],
        },
    )
    lab.glue("CreateTrigger", {"Name": "go", "Type": "ON_DEMAND", "Actions": [{"JobName": "first"}]})
    lab.glue("StartTrigger", {"Name": "go"})
    runs = wait_for(
        lambda: lab.glue("GetJobRuns", {"JobName": "second"})["JobRuns"], what="the triggered run"
    )
    assert runs[0]["TriggerName"] == "after-first"


def test_the_catalog_panel_shows_databases_tables_columns_and_partitions(lab: Lab, page: Any):
    lab.glue("CreateDatabase", {"DatabaseInput": {"Name": "sales", "Description": "sales data"}})
    lab.glue(
        "CreateTable",
        {
            "DatabaseName": "sales",
            "TableInput": {
                "Name": "orders",
                "StorageDescriptor": {
                    "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "amount", "Type": "double"}],
                    "Location": "s3://warehouse/sales/orders/",
                },
                "PartitionKeys": [{"Name": "day", "Type": "string"}],
                "Parameters": {"classification": "parquet"},
            },
        },
    )
    for day in ("2026-11-20", "2026-11-21"):
        lab.glue(
            "CreatePartition",
            {
                "DatabaseName": "sales",
                "TableName": "orders",
                "PartitionInput": {
                    "Values": [day],
                    "StorageDescriptor": {"Location": f"s3://warehouse/sales/orders/day={day}/"},
                },
            },
        )
    section = open_section(page, "catalog")
    section.locator('[data-database="sales"] > .gluelab-row').click()
    section.locator('[data-table="sales.orders"] > .gluelab-row').click()
    columns = section.locator('[data-columns="sales.orders"]')
    columns.wait_for()
    text = columns.inner_text()
    assert "id" in text and "bigint" in text and "amount" in text and "day (partition)" in text
    partitions = section.locator('[data-partitions="sales.orders"]').inner_text()
    assert "2026-11-20" in partitions and "2026-11-21" in partitions
    assert "parquet" in section.locator('[data-table="sales.orders"]').inner_text()


def test_a_job_runs_from_the_panel_with_parameters_and_its_log_follows(lab: Lab, page: Any, tmp_path: Path):
    script = tmp_path / "greeter.py"
    script.write_text(GREETER)
    lab.glue(
        "CreateJob",
        {
            "Name": "greeter",
            "Role": "r",
            "Command": {"Name": "pythonshell", "ScriptLocation": str(script)},
            "DefaultArguments": {"--greeting": "hello", "--times": "2"},
        },
    )
    section = open_section(page, "jobs")
    job = section.locator('[data-job="greeter"]')
    job.locator('[data-action="run"]').click()
    dialog = page.locator(".jp-Dialog")
    form = dialog.locator('[data-gluelab="run-parameters"]')
    assert form.locator('input[name="greeting"]').input_value() == "hello"
    form.locator('input[name="greeting"]').fill("bonjour")
    form.locator('input[name="times"]').fill("3")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    run = job.locator(".gluelab-run").first
    run.locator('[data-state="SUCCEEDED"]').wait_for(timeout=90_000)
    run.locator('[data-action="log"]').click()
    log = page.locator(".gluelab-log[data-finished]")
    log.wait_for(timeout=60_000)
    stdout = log.locator('pre[data-stream="stdout"]').inner_text()
    assert stdout.splitlines() == ["bonjour number 0", "bonjour number 1", "bonjour number 2"]
    log.locator('button[data-stream="stderr"]').click()
    assert "oops on stderr" in log.locator('pre[data-stream="stderr"]').inner_text()
    log.locator('button[data-stream="run"]').click()
    assert "SUCCEEDED" in log.locator('pre[data-stream="run"]').inner_text()


def test_the_crawlers_panel_starts_a_crawl_and_shows_its_state_metrics_and_log(lab: Lab, page: Any):
    landing = lab.home / "warehouse" / "landing" / "clicks" / "day=2026-11-20"
    landing.mkdir(parents=True)
    (landing / "part-0.csv").write_text("user,page,ms\nann,/home,120\nbob,/cart,340\n")
    lab.glue("CreateDatabase", {"DatabaseInput": {"Name": "raw"}})
    lab.glue(
        "CreateCrawler",
        {
            "Name": "clicks",
            "Role": "r",
            "DatabaseName": "raw",
            "Targets": {"S3Targets": [{"Path": "s3://landing/clicks/"}]},
        },
    )
    never = lab.call("GetCrawlLog", {"CrawlerName": "clicks"})
    assert never.status_code == 400 and never.json()["message"] == "Crawler clicks has no crawls"
    section = open_section(page, "crawlers")
    crawler = section.locator('[data-crawler="clicks"]')
    assert crawler.locator('[data-crawler-state="READY"]').count() == 1
    crawler.locator('[data-action="start"]').click()
    crawler.locator('[data-crawler-state="RUNNING"], [data-state="SUCCEEDED"]').first.wait_for()
    crawler.locator('.gluelab-row [data-state="SUCCEEDED"]').wait_for(timeout=120_000)  # the last crawl's
    crawler.locator(".gluelab-row").click()
    details = crawler.locator('[data-crawler-details="clicks"]').inner_text()
    assert "s3://landing/clicks/" in details and "1 / 0 / 0" in details  # one table created
    log = crawler.locator('[data-crawl-log="clicks"][data-loaded]')
    log.wait_for()
    assert "clicks" in log.inner_text()
    tables = [t["Name"] for t in lab.glue("GetTables", {"DatabaseName": "raw"})["TableList"]]
    assert tables == ["clicks"]


def test_the_triggers_panel_enables_disables_and_shows_next_fire_times(lab: Lab, page: Any, tmp_path: Path):
    script = tmp_path / "nightly.py"
    script.write_text("print('nightly')\n")
    lab.glue(
        "CreateJob",
        {"Name": "nightly", "Role": "r", "Command": {"Name": "pythonshell", "ScriptLocation": str(script)}},
    )
    lab.glue(
        "CreateTrigger",
        {
            "Name": "weekday-mornings",
            "Type": "SCHEDULED",
            "Schedule": "cron(30 7 ? * MON-FRI *)",
            "Actions": [{"JobName": "nightly"}],
        },
    )
    section = open_section(page, "triggers")
    trigger = section.locator('[data-trigger="weekday-mornings"]')
    assert trigger.locator('[data-trigger-state="CREATED"]').count() == 1
    trigger.locator(".gluelab-row").click()
    times = trigger.locator('[data-fire-times="weekday-mornings"] li')
    times.first.wait_for()
    assert times.count() == 5 and all(t.endswith("07:30:00Z") for t in times.all_inner_texts())
    assert "At 07:30 UTC, Monday through Friday" in trigger.inner_text()
    trigger.locator('[data-action="enable"]').click()
    section.locator('[data-trigger="weekday-mornings"] [data-trigger-state="ACTIVATED"]').wait_for()
    assert lab.glue("GetTrigger", {"Name": "weekday-mornings"})["Trigger"]["State"] == "ACTIVATED"
    section.locator('[data-trigger="weekday-mornings"] [data-action="disable"]').click()
    section.locator('[data-trigger="weekday-mornings"] [data-trigger-state="DEACTIVATED"]').wait_for()
    assert lab.glue("GetTrigger", {"Name": "weekday-mornings"})["Trigger"]["State"] == "DEACTIVATED"


STEP = """
import os, sys
from awsglue.utils import getResolvedOptions
args = getResolvedOptions(sys.argv, ["JOB_NAME", "broken"])
if os.path.exists(args["broken"]):
    raise RuntimeError(args["JOB_NAME"] + " is broken")
print(args["JOB_NAME"], "done")
"""


def test_a_workflow_runs_from_the_panel_its_graph_is_coloured_and_failed_nodes_resume(
    lab: Lab, page: Any, tmp_path: Path
):
    script = tmp_path / "step.py"
    script.write_text(STEP)
    broken = tmp_path / "load.broken"
    broken.touch()
    for job in ("extract", "load"):
        switch = broken if job == "load" else tmp_path / "never"
        lab.glue(
            "CreateJob",
            {
                "Name": job,
                "Role": "r",
                "Command": {"Name": "pythonshell", "ScriptLocation": str(script)},
                "DefaultArguments": {"--broken": str(switch)},
            },
        )
    lab.glue("CreateWorkflow", {"Name": "etl", "Description": "nightly etl"})
    lab.glue(
        "CreateTrigger",
        {
            "Name": "etl-start",
            "WorkflowName": "etl",
            "Type": "ON_DEMAND",
            "Actions": [{"JobName": "extract"}],
        },
    )
    lab.glue(
        "CreateTrigger",
        {
            "Name": "etl-then-load",
            "WorkflowName": "etl",
            "Type": "CONDITIONAL",
            "StartOnCreation": True,
            "Predicate": {
                "Conditions": [{"LogicalOperator": "EQUALS", "JobName": "extract", "State": "SUCCEEDED"}]
            },
            "Actions": [{"JobName": "load"}],
        },
    )
    section = open_section(page, "workflows")
    section.locator('[data-workflow="etl"] [data-action="run"]').click()
    view = page.locator('.gluelab-workflow[data-workflow="etl"][data-view="finished"]')
    view.wait_for(timeout=120_000)
    assert view.locator('[data-node="extract"][data-state="SUCCEEDED"]').count() == 1
    assert view.locator('[data-node="load"][data-state="FAILED"]').count() == 1
    assert view.locator(".gluelab-graph-edge").count() == 3  # start → extract → then-load → load
    # The colours come from the state: a failed node is drawn red, a succeeded one green.
    fill = view.locator('[data-node="load"] .gluelab-graph-shape').evaluate("e => getComputedStyle(e).fill")
    assert fill == "rgb(255, 205, 210)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workflow-run-graph-with-a-failed-node.png"))
    broken.unlink()
    view.locator('[data-action="resume"]').click()
    resumed = page.locator('.gluelab-workflow[data-workflow="etl"][data-view="finished"]')
    resumed.locator('[data-node="load"][data-state="SUCCEEDED"]').wait_for(timeout=120_000)
    runs = lab.glue("GetWorkflowRuns", {"Name": "etl"})["Runs"]
    assert len(runs) == 2 and runs[0]["PreviousRunId"] == runs[1]["WorkflowRunId"]
    page.select_option('.gluelab-workflow[data-workflow="etl"] select[data-gluelab="workflow-runs"]', "")
    static = page.locator('.gluelab-workflow[data-workflow="etl"][data-view="static"]')
    static.wait_for()
    assert sorted(
        static.locator(".gluelab-graph-node").evaluate_all("ns => ns.map(n => n.dataset.node)")
    ) == [
        "etl-start",
        "etl-then-load",
        "extract",
        "load",
    ]
    assert static.locator('[data-state="SUCCEEDED"], [data-state="FAILED"]').count() == 0
