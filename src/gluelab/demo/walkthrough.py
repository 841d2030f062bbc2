"""The demo, step by step, through boto3 against a ``gluelab serve`` of its own, as a Glue user works:

1. raw files land in ``s3://demo-lake/raw/``, uploaded through the S3 endpoint as an upstream system
   would: three days of sales exports (CSV, some rows malformed) and customers (nested JSON), in ``dt=``
   folders;
2. a crawler makes them the tables ``shop.raw_sales`` and ``shop.raw_customers``, partitioned by day;
3. the workflow ``daily_sales`` runs: the crawler again (new folders only), then the Glue ETL script
   ``clean_sales`` (job bookmarks: only files no run has read), then the notebook job ``quality_report``
   (fails the run when a day has too many malformed rows), then the Python shell job ``publish_summary``;
4. a fourth day's files land, and the workflow's file-arrival (EVENT) trigger runs it again on them.

Every number printed at the end is checked against what step 1 wrote; a mismatch fails the demo."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from ..api.running import describe, serving, stop_hint
from ..api.server import spawn_server
from ..cli.render import console
from ..config import Settings
from .code import install
from .data import Day, Shop
from .report import Report, WorkflowRun

WORKFLOW = "daily_sales"
FIRST_DAYS = [("2024-12-01", 300, 40), ("2024-12-02", 320, 15), ("2024-12-03", 290, 15)]
NEW_DAY = ("2024-12-04", 310, 10)
NODES = 4  # the crawler and three jobs
MAX_REJECT_RATE = "0.08"


class DemoFailed(RuntimeError):
    """A step of the demo did not do what it should; the message says what and where to look."""


class DemoRefused(RuntimeError):
    """The demo will not start: recreating its workspace would pull it from under a live server or lab,
    or delete a folder that is not a demo's. Nothing was changed."""


MARKER = ".gluelab-demo"  # what makes a folder a demo workspace the demo may recreate


def check_workspace(workspace: Path) -> None:
    """Refuse to recreate ``workspace`` while a ``gluelab serve`` or a lab serves its home (it would go on
    serving deleted data with a token the new home no longer has), or when it is not a demo workspace."""
    home = workspace / "home"
    if live := serving(home):
        info = live[0]
        raise DemoRefused(
            f"{describe(info)} serves {home}, which the demo would delete and recreate; to stop it, "
            f"{stop_hint(info)}, then run the demo again (or pass --workspace <another folder>)."
        )
    if workspace.is_dir() and any(workspace.iterdir()):
        legacy = (workspace / "serve.log").is_file() and home.is_dir()
        if not ((workspace / MARKER).exists() or legacy):
            raise DemoRefused(
                f"{workspace} is not empty and is not a demo workspace (no {MARKER} in it): the demo "
                "recreates its workspace, so give it a new or empty folder with --workspace."
            )


class Demo:
    def __init__(self, workspace: Path, progress: Progress) -> None:
        self.workspace = workspace
        self.home = workspace / "home"
        self.progress = progress
        self.report = Report(workspace, self.home)
        self.glue: Any = None
        self.s3: Any = None
        self.env = {k: v for k, v in os.environ.items() if k != "GLUELAB_DATABASE_URL"}
        self.env.setdefault("GLUELAB_SESSION_POOL_SIZE", "0")  # the demo opens no interactive session
        self.env["GLUELAB_HOME"] = str(self.home)

    @contextmanager
    def step(self, description: str, total: int = 1) -> Iterator[int]:
        """A progress bar for one step; its time goes into the report."""
        task = self.progress.add_task(description, total=total)
        started = time.perf_counter()
        yield task
        self.progress.update(task, completed=self.progress.tasks[task].total)
        self.report.timings.append((description.split(" (")[0], time.perf_counter() - started))

    # -- 1. the server and the raw data ---------------------------------------------------------------
    def serve(self) -> Any:
        with self.step("Starting gluelab serve"):
            with (self.workspace / "serve.log").open("wb") as log:
                proc, info = spawn_server(self.home, self.env, log)
            credentials = {
                "endpoint_url": info["url"],
                "region_name": Settings.load(env=self.env).region,  # the only region it answers
                "aws_access_key_id": "gluelab",
                "aws_secret_access_key": (self.home / "token").read_text().strip(),
            }
            self.glue = boto3.client("glue", **credentials)
            self.s3 = boto3.client("s3", **credentials)  # the same endpoint serves the lake
            self.s3.create_bucket(Bucket="demo-lake")
        return proc

    def gluelab(self, *args: str) -> str:
        """Runs the ``gluelab`` command on the demo's home, as a user would."""
        done = subprocess.run(
            [sys.executable, "-m", "gluelab", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise DemoFailed(f"gluelab {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def land(self, shop: Shop, days: list[tuple[str, int, int]], label: str) -> list[Day]:
        """Uploads days of raw files to s3://demo-lake/raw/ with a plain boto3 S3 client, as the shop's
        systems would."""
        written = []
        made = [shop.day(dt, orders, customers) for dt, orders, customers in days]
        with self.step(label, total=sum(len(day.objects) for day in made)) as task:
            for day in made:
                for key, text in day.objects.items():
                    kind = "text/csv" if key.endswith(".csv") else "application/x-ndjson"
                    self.s3.put_object(
                        Bucket="demo-lake", Key=f"raw/{key}", Body=text.encode(), ContentType=kind
                    )
                    self.progress.advance(task)
                written.append(day)
        self.report.days.extend(written)
        return written

    # -- 2. the crawl ----------------------------------------------------------------------------------
    def crawl(self) -> None:
        glue = self.glue
        glue.create_database(DatabaseInput={"Name": "shop", "Description": "A tea shop's sales"})
        glue.create_crawler(
            Name="raw",
            Role="gluelab",
            DatabaseName="shop",
            Targets={"S3Targets": [{"Path": "s3://demo-lake/raw/"}]},
            TablePrefix="raw_",
            RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
            SchemaChangePolicy={"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
        )
        with self.step("Crawling s3://demo-lake/raw/ (crawler raw)"):
            glue.start_crawler(Name="raw")
            crawler = glue.get_crawler(Name="raw")["Crawler"]
            deadline = time.monotonic() + 180
            while crawler["State"] != "READY" or "LastCrawl" not in crawler:
                if time.monotonic() > deadline:
                    raise DemoFailed("the crawl did not end within 3 minutes")
                time.sleep(0.2)
                crawler = glue.get_crawler(Name="raw")["Crawler"]
        if crawler["LastCrawl"]["Status"] != "SUCCEEDED":
            raise DemoFailed(f"the crawl ended {crawler['LastCrawl']['Status']}: {crawler['LastCrawl']}")
        self.report.crawl = glue.list_crawls(CrawlerName="raw")["Crawls"][0]

    # -- 3. the jobs and the workflow ---------------------------------------------------------------------
    def define(self) -> None:
        glue = self.glue
        notebook = install(self.s3, "s3://demo-lake/scripts/", self.workspace / "notebooks")
        with self.step("Defining 3 jobs, 4 triggers and the workflow daily_sales", total=8) as task:
            glue.create_job(
                Name="clean_sales",
                Role="gluelab",
                Description="Types, checks and joins new sales exports (job bookmarks)",
                Command={"Name": "glueetl", "ScriptLocation": "s3://demo-lake/scripts/clean_sales.py"},
                DefaultArguments={
                    "--job-bookmark-option": "job-bookmark-enable",
                    "--curated_path": "s3://demo-lake/curated/sales/",
                    "--rejects_path": "s3://demo-lake/rejects/sales/",
                },
                WorkerType="G.1X",
                NumberOfWorkers=2,
            )
            self.progress.advance(task)
            self.gluelab("notebooks", "promote", str(notebook), "--name", "quality_report")
            self.progress.advance(task)
            glue.create_job(
                Name="publish_summary",
                Role="gluelab",
                Command={
                    "Name": "pythonshell",
                    "PythonVersion": "3.9",
                    "ScriptLocation": "s3://demo-lake/scripts/publish_summary.py",
                },
            )
            self.progress.advance(task)
            glue.create_workflow(Name=WORKFLOW, Description="Crawl, clean, check and sum up new sales files")
            self.progress.advance(task)
            glue.create_trigger(
                Name="on_new_files",
                WorkflowName=WORKFLOW,
                Type="EVENT",
                Actions=[{"CrawlerName": "raw"}],
                EventBatchingCondition={"BatchSize": 3, "BatchWindow": 30},
                Tags={"gluelab:event-source": "s3://demo-lake/raw/"},
                StartOnCreation=True,
            )
            self.progress.advance(task)
            for name, watched, action in (
                (
                    "after_crawl",
                    {"CrawlerName": "raw", "CrawlState": "SUCCEEDED"},
                    {"JobName": "clean_sales"},
                ),
                (
                    "after_clean",
                    {"JobName": "clean_sales", "State": "SUCCEEDED"},
                    {"JobName": "quality_report", "Arguments": {"--max_reject_rate": MAX_REJECT_RATE}},
                ),
                (
                    "after_check",
                    {"JobName": "quality_report", "State": "SUCCEEDED"},
                    {"JobName": "publish_summary"},
                ),
            ):
                glue.create_trigger(
                    Name=name,
                    WorkflowName=WORKFLOW,
                    Type="CONDITIONAL",
                    Predicate={"Conditions": [{"LogicalOperator": "EQUALS", **watched}]},
                    Actions=[action],
                    StartOnCreation=True,
                )
                self.progress.advance(task)

    def warm_pool(self) -> None:
        """Waits until the warm pool has a spare with Spark started, so the next Spark job starts warm."""
        if self.env.get("GLUELAB_WARM_POOL_SIZE") == "0":
            return
        with self.step("Waiting for a warm spare (Spark starting once, ahead of the jobs)"):
            deadline = time.monotonic() + 180
            while not list((self.home / "logs" / "spares").glob("*/ready")):
                if time.monotonic() > deadline:
                    return  # the jobs then start cold, which the report shows
                time.sleep(0.3)

    def follow(self, run_id: str, label: str) -> dict[str, Any]:
        """Shows a workflow run's nodes finishing until it completes; the run, with its graph."""
        with self.step(label, total=NODES) as task:
            deadline = time.monotonic() + 600
            while True:
                run = self.glue.get_workflow_run(Name=WORKFLOW, RunId=run_id, IncludeGraph=True)["Run"]
                nodes = WorkflowRun(run).nodes()
                done = sum(1 for n in nodes if n.finished)
                busy = ", ".join(f"{n.name} {n.state}" for n in nodes if not n.finished) or "finishing"
                self.progress.update(task, completed=done, description=f"{label}: {busy}")
                if run["Status"] != "RUNNING":
                    break
                if time.monotonic() > deadline:
                    raise DemoFailed(f"workflow run {run_id} did not complete within 10 minutes")
                time.sleep(0.5)
            self.progress.update(task, description=f"{label}: {run['Status']}")
        failed = [n for n in WorkflowRun(run).nodes() if n.state not in ("SUCCEEDED",)]
        if failed or len(WorkflowRun(run).nodes()) != NODES:
            what = (
                "; ".join(f"{n.kind.lower()} {n.name} {n.state}: {n.error}" for n in failed)
                or "nodes missing"
            )
            raise DemoFailed(f"workflow run {run_id}: {what} (logs under {self.home / 'logs'})")
        self.report.runs.append(WorkflowRun(run, label.split(" (")[0]))
        return run

    def wait_for_event_run(self, known: set[str]) -> str:
        with self.step("Waiting for the file-arrival trigger on_new_files (3 new files)"):
            deadline = time.monotonic() + 120
            while True:
                runs = self.glue.get_workflow_runs(Name=WORKFLOW)["Runs"]
                fresh = [r for r in runs if r["WorkflowRunId"] not in known]
                if fresh:
                    return fresh[0]["WorkflowRunId"]
                if time.monotonic() > deadline:
                    raise DemoFailed("the file-arrival trigger did not start a workflow run within 2 minutes")
                time.sleep(0.3)


def run_demo(workspace: Path) -> None:
    started = time.perf_counter()
    check_workspace(workspace)
    if workspace.exists():
        shutil.rmtree(workspace)
    (workspace / "home").mkdir(parents=True)
    (workspace / MARKER).write_text("gluelab demo recreates this folder on each run\n")
    console.print(
        Panel.fit(
            "[bold]gluelab demo[/]: a tea shop's daily sales pipeline, through Glue and S3 with boto3\n"
            "raw files -> crawler -> workflow (Glue ETL script with bookmarks -> notebook job -> summary)\n"
            "-> new files -> file-arrival trigger -> the incremental run\n"
            f"workspace: {workspace}",
            border_style="cyan",
        )
    )
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        demo = Demo(workspace, progress)
        proc = demo.serve()
        try:
            shop = Shop()
            demo.land(
                shop, FIRST_DAYS, "Uploading 3 days of sales exports and customers to s3://demo-lake/raw/"
            )
            demo.crawl()
            demo.define()
            demo.warm_pool()
            first = demo.glue.start_workflow_run(Name=WORKFLOW)["RunId"]
            demo.follow(first, "run 1 (StartWorkflowRun)")
            demo.warm_pool()
            demo.land(shop, [NEW_DAY], f"Uploading {NEW_DAY[0]}'s files (customers, 2 sales exports)")
            second = demo.wait_for_event_run({first})
            demo.follow(second, "run 2 (file-arrival trigger)")
            demo.report.collect_catalog(demo.glue)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    report = demo.report
    report.collect_outputs()
    report.print(time.perf_counter() - started)
    problems = report.check()
    if problems:
        raise DemoFailed("the results do not match the data the demo wrote: " + "; ".join(problems))
    console.print(
        Panel.fit(
            "[bold]Open it all in JupyterLab[/] (the lab runs the API, the scheduler and the trigger too):\n"
            f"  GLUELAB_HOME={workspace / 'home'} {Path(sys.prefix) / 'bin' / 'jupyter'} lab "
            f"--notebook-dir {workspace}{' --allow-root' if os.geteuid() == 0 else ''}\n"
            "  the gluelab sidebar: Catalog (shop.sales -> Preview), Workflows (daily_sales -> Graph),\n"
            "  Jobs (quality_report -> Output, clean_sales -> Metrics), Triggers;\n"
            "  notebooks/quality_report.ipynb opens with the Glue PySpark (local) kernel.\n"
            "Or from the command line:\n"
            f"  export GLUELAB_HOME={workspace / 'home'}\n"
            "  gluelab workflows status daily_sales; gluelab jobs runs clean_sales\n"
            "  gluelab catalog tables shop; gluelab notebooks show quality_report\n"
            f"Logs: {workspace / 'home' / 'logs'}",
            border_style="green",
        )
    )
