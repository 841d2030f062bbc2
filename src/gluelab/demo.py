"""``gluelab demo``: gluelab's main job. For now a walkthrough of the Data Catalog, a crawl and a Glue job
run through the Glue API: it starts ``gluelab serve`` in a fresh workspace and drives it with boto3, as a
Glue user would."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import boto3
from rich.panel import Panel
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from .api.server import spawn_server
from .cli.render import console
from .config import Settings

PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}
ORDER_COLUMNS = [
    {"Name": "order_id", "Type": "bigint"},
    {"Name": "customer_id", "Type": "bigint"},
    {"Name": "amount", "Type": "decimal(12,2)", "Comment": "EUR"},
    {"Name": "items", "Type": "array<struct<sku:string,qty:int>>"},
]


# The demo's Glue job: reads the crawled clicks through the catalog, writes a daily summary to the lake.
CLICKS_BY_DAY = """
import sys
from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "output"])
glue = GlueContext(SparkContext.getOrCreate())
job = Job(glue)
job.init(args["JOB_NAME"], args)
clicks = glue.create_dynamic_frame.from_catalog(database="sales", table_name="landing_clicks").toDF()
daily = (
    clicks.groupBy("dt")
    .agg(F.count("*").alias("clicks"), F.round(F.avg("seconds"), 2).alias("avg_seconds"))
    .orderBy("dt")
)
glue.write_dynamic_frame.from_options(
    frame=DynamicFrame.fromDF(daily, glue, "daily"),
    connection_type="s3",
    connection_options={"path": args["output"]},
    format="parquet",
)
for row in daily.collect():
    print(row.dt, row.clicks, row.avg_seconds)
job.commit()
"""


def run_demo(workspace: Path) -> None:
    started = time.perf_counter()
    if workspace.exists():
        shutil.rmtree(workspace)
    home = workspace / "home"
    home.mkdir(parents=True)
    console.print(
        Panel.fit(
            "[bold]gluelab demo[/]: a Data Catalog built through the Glue API with boto3, a crawl, "
            "a Glue job run\n"
            f"workspace: {workspace}",
            border_style="cyan",
        )
    )
    timings: dict[str, float] = {}

    def timed(label: str, call: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        result = call(**kwargs)
        timings[label] = (time.perf_counter() - t0) * 1000
        return result

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        boot = progress.add_task("Starting gluelab serve", total=1)
        env = {k: v for k, v in os.environ.items() if k != "GLUELAB_DATABASE_URL"}
        env.setdefault("GLUELAB_SESSION_POOL_SIZE", "0")  # the demo opens no interactive session
        with (workspace / "serve.log").open("wb") as log:
            proc, info = spawn_server(home, env, log)
        progress.advance(boot)
        try:
            glue = boto3.client(
                "glue",
                endpoint_url=info["url"],
                region_name="us-east-1",
                aws_access_key_id="gluelab",
                aws_secret_access_key=(home / "token").read_text().strip(),
            )
            build = progress.add_task("Creating databases, tables, a connection", total=4)
            timed(
                "CreateDatabase",
                glue.create_database,
                DatabaseInput={
                    "Name": "sales",
                    "Description": "Orders and customers",
                    "LocationUri": "s3://demo-lake/sales/",
                },
            )
            progress.advance(build)
            timed(
                "CreateTable",
                glue.create_table,
                DatabaseName="sales",
                TableInput={
                    "Name": "orders",
                    "TableType": "EXTERNAL_TABLE",
                    "Parameters": {"classification": "parquet"},
                    "StorageDescriptor": {
                        **PARQUET,
                        "Columns": ORDER_COLUMNS,
                        "Location": "s3://demo-lake/sales/orders/",
                    },
                    "PartitionKeys": [{"Name": "year", "Type": "int"}, {"Name": "month", "Type": "string"}],
                },
            )
            progress.advance(build)
            glue.create_table(
                DatabaseName="sales",
                TableInput={
                    "Name": "customers",
                    "TableType": "EXTERNAL_TABLE",
                    "Parameters": {"classification": "json"},
                    "StorageDescriptor": {
                        "Location": "s3://demo-lake/sales/customers/",
                        "Columns": [
                            {"Name": "customer_id", "Type": "bigint"},
                            {"Name": "address", "Type": "struct<city:string,country:string>"},
                        ],
                        "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
                    },
                },
            )
            progress.advance(build)
            timed(
                "CreateConnection",
                glue.create_connection,
                ConnectionInput={
                    "Name": "orders-postgres",
                    "ConnectionType": "JDBC",
                    "ConnectionProperties": {
                        "JDBC_CONNECTION_URL": "jdbc:postgresql://127.0.0.1:5432/test",
                        "USERNAME": "postgres",
                        "PASSWORD": "demo-secret",
                    },
                },
            )
            progress.advance(build)

            months = [(year, month) for year in (2023, 2024) for month in range(1, 13)]
            parts = progress.add_task("Registering monthly partitions", total=len(months))
            for i in range(0, len(months), 6):
                batch = [
                    {
                        "Values": [str(y), f"{m:02d}"],
                        "StorageDescriptor": {
                            **PARQUET,
                            "Columns": ORDER_COLUMNS,
                            "Location": f"s3://demo-lake/sales/orders/year={y}/month={m:02d}/",
                        },
                    }
                    for y, m in months[i : i + 6]
                ]
                result = timed(
                    "BatchCreatePartition",
                    glue.batch_create_partition,
                    DatabaseName="sales",
                    TableName="orders",
                    PartitionInputList=batch,
                )
                if result["Errors"]:
                    raise RuntimeError(f"BatchCreatePartition failed: {result['Errors']}")
                progress.advance(parts, len(batch))

            evolve = progress.add_task("Evolving the schema (new table version)", total=1)
            table = glue.get_table(DatabaseName="sales", Name="orders")["Table"]
            new_sd = {
                **table["StorageDescriptor"],
                "Columns": [*ORDER_COLUMNS, {"Name": "channel", "Type": "string"}],
            }
            timed(
                "UpdateTable",
                glue.update_table,
                DatabaseName="sales",
                TableInput={
                    "Name": "orders",
                    "TableType": "EXTERNAL_TABLE",
                    "Parameters": table["Parameters"],
                    "StorageDescriptor": new_sd,
                    "PartitionKeys": table["PartitionKeys"],
                },
            )
            progress.advance(evolve)

            landing = home / "warehouse" / "demo-lake" / "landing"
            _write_landing(landing)
            crawling = progress.add_task("Crawling s3://demo-lake/landing/ (a crawl process)", total=1)
            glue.create_crawler(
                Name="landing",
                Role="gluelab",
                DatabaseName="sales",
                Targets={"S3Targets": [{"Path": "s3://demo-lake/landing/"}]},
                TablePrefix="landing_",
            )
            timed("StartCrawler", glue.start_crawler, Name="landing")
            crawler = glue.get_crawler(Name="landing")["Crawler"]
            deadline = time.monotonic() + 120
            while (crawler["State"] != "READY" or "LastCrawl" not in crawler) and time.monotonic() < deadline:
                time.sleep(0.2)
                crawler = glue.get_crawler(Name="landing")["Crawler"]
            crawl = glue.list_crawls(CrawlerName="landing")["Crawls"][0]
            if crawl["State"] != "COMPLETED":
                raise RuntimeError(f"the demo crawl ended {crawl['State']}: {crawl.get('ErrorMessage')}")
            progress.advance(crawling)

            if Settings.load(env, home=home).warm_pool_size > 0:  # let the first job show a warm start
                warming = progress.add_task("Waiting for the warm pool (Spark starting once)", total=1)
                deadline = time.monotonic() + 120
                while not list((home / "logs" / "spares").glob("*/ready")) and time.monotonic() < deadline:
                    time.sleep(0.2)
                progress.advance(warming)
            job_task = progress.add_task("Job clicks_by_day: STARTING (a job run process)", total=1)
            script = home / "warehouse" / "demo-lake" / "scripts" / "clicks_by_day.py"
            script.parent.mkdir(parents=True)
            script.write_text(CLICKS_BY_DAY)
            glue.create_job(
                Name="clicks_by_day",
                Role="gluelab",
                Command={"Name": "glueetl", "ScriptLocation": "s3://demo-lake/scripts/clicks_by_day.py"},
                DefaultArguments={"--output": "s3://demo-lake/curated/clicks_by_day/"},
                WorkerType="G.1X",
                NumberOfWorkers=2,
            )
            run_id = timed("StartJobRun", glue.start_job_run, JobName="clicks_by_day")["JobRunId"]
            job_run = glue.get_job_run(JobName="clicks_by_day", RunId=run_id)["JobRun"]
            deadline = time.monotonic() + 300
            while (
                job_run["JobRunState"] in ("STARTING", "RUNNING", "WAITING") and time.monotonic() < deadline
            ):
                progress.update(job_task, description=f"Job clicks_by_day: {job_run['JobRunState']}")
                time.sleep(0.3)
                job_run = glue.get_job_run(JobName="clicks_by_day", RunId=run_id)["JobRun"]
            if job_run["JobRunState"] != "SUCCEEDED":
                raise RuntimeError(
                    f"the demo job ended {job_run['JobRunState']}: {job_run.get('ErrorMessage')}"
                )
            progress.update(job_task, description="Job clicks_by_day: SUCCEEDED")
            progress.advance(job_task)

            expression = "year = 2024 AND month IN ('11', '12')"
            recent = timed(
                "GetPartitions (Expression)",
                glue.get_partitions,
                DatabaseName="sales",
                TableName="orders",
                Expression=expression,
            )["Partitions"]
            tables = timed("GetTables", glue.get_tables, DatabaseName="sales")["TableList"]
            versions = glue.get_table_versions(DatabaseName="sales", TableName="orders")["TableVersions"]
            connection = glue.get_connection(Name="orders-postgres")["Connection"]
            try:
                glue.get_table(DatabaseName="sales", Name="returns")
                missing = "(found?)"
            except glue.exceptions.EntityNotFoundException as exc:
                missing = exc.response["Error"]["Message"]
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)

    summary = Table(title="Catalog built through the Glue API")
    for column in ("table", "format", "columns", "partition keys", "partitions", "version"):
        summary.add_column(column)
    for t in tables:
        if t["Name"].startswith("landing_"):
            continue
        count = len(months) if t["Name"] == "orders" else 0
        summary.add_row(
            f"sales.{t['Name']}",
            t["Parameters"].get("classification", ""),
            str(len(t["StorageDescriptor"]["Columns"])),
            ", ".join(k["Name"] for k in t["PartitionKeys"]) or "-",
            str(count),
            t["VersionId"],
        )
    console.print(summary)

    counts = ", ".join(f"{k} {v}" for k, v in json.loads(crawl["Summary"]).items() if v)
    crawled = Table(title=f"Crawl {crawl['CrawlId'][:8]}: {crawl['State']} ({counts})")
    for column in ("table", "format", "columns", "partition keys"):
        crawled.add_column(column)
    for t in tables:
        if t["Name"].startswith("landing_"):
            crawled.add_row(
                f"sales.{t['Name']}",
                t["Parameters"].get("classification", ""),
                ", ".join(f"{c['Name']} {c['Type']}" for c in t["StorageDescriptor"]["Columns"]),
                ", ".join(k["Name"] for k in t["PartitionKeys"]) or "-",
            )
    console.print(crawled)

    run_dir = home / "logs" / "runs" / job_run["Id"]
    start = "warm start" if "warm start" in (run_dir / "run.log").read_text() else "cold start"
    console.print(
        f"Job run {job_run['Id'][:12]} of clicks_by_day: {job_run['JobRunState']} in "
        f"{job_run['ExecutionTime']} s ({start}), output in s3://demo-lake/curated/clicks_by_day/",
        soft_wrap=True,
    )
    daily = Table(title="clicks_by_day's output")
    for column in ("dt", "clicks", "avg seconds"):
        daily.add_column(column)
    for line in (run_dir / "stdout.log").read_text().splitlines():
        daily.add_row(*line.split())
    console.print(daily)

    found = Table(title=f"GetPartitions where {expression}")
    found.add_column("year")
    found.add_column("month")
    found.add_column("location")
    for p in recent:
        found.add_row(*p["Values"], p["StorageDescriptor"]["Location"])
    console.print(found)

    console.print(
        f"Table versions of sales.orders: {', '.join(v['VersionId'] for v in versions)} "
        f"(columns: {', '.join(str(len(v['Table']['StorageDescriptor']['Columns'])) for v in versions)})"
    )
    hidden = "PASSWORD" not in connection["ConnectionProperties"]
    console.print(
        f"Connection orders-postgres: {connection['ConnectionType']}, "
        f"{connection['ConnectionProperties']['JDBC_CONNECTION_URL']}, password "
        f"{'hidden' if hidden else 'SHOWN'} unless HidePassword=False"
    )
    console.print(f"A Glue error, as boto3 raises it: EntityNotFoundException: {missing}")

    latency = Table(title="API latency (ms)")
    latency.add_column("call")
    latency.add_column("ms", justify="right")
    for label, ms in timings.items():
        latency.add_row(label, f"{ms:.1f}")
    console.print(latency)
    console.print(
        Panel.fit(
            f"Done in {time.perf_counter() - started:.1f} s. Explore what the demo built:\n"
            f"  export GLUELAB_HOME={home}\n"
            "  gluelab catalog tables sales\n"
            f'  gluelab catalog partitions sales.orders -e "{expression}"\n'
            "  gluelab jobs runs clicks_by_day\n"
            f"  gluelab jobs logs {job_run['Id'][:12]}\n"
            "  gluelab serve   # then: gluelab credentials, and boto3.client('glue', ...)\n"
            f"Server log: {home / 'logs' / 'server.log'}",
            border_style="green",
        )
    )


def _write_landing(landing: Path) -> None:
    """Raw files a crawler turns into tables: daily CSV clicks (Hive folders) and nested JSON signups."""
    for day in ("2024-12-01", "2024-12-02", "2024-12-03"):
        folder = landing / "clicks" / f"dt={day}"
        folder.mkdir(parents=True)
        rows = "".join(f"{i},/product/{i % 7},{0.5 + i / 10:.2f}\n" for i in range(20))
        (folder / "clicks.csv").write_text("click_id,page,seconds\n" + rows)
    signups = landing / "signups"
    signups.mkdir(parents=True)
    (signups / "signups.json").write_text(
        "".join(
            json.dumps(
                {"user_id": i, "plan": "pro" if i % 3 else "free", "address": {"city": "Oslo", "zip": i}}
            )
            + "\n"
            for i in range(10)
        )
    )
