"""Crawls started the way users start them: StartCrawler through boto3 against a real server (the crawl
runs in its own process), and ``gluelab crawlers`` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.helpers import gluelab_env, run_gluelab


def wait_until_ready(glue, name: str, timeout: float = 90) -> dict:  # type: ignore[no-untyped-def,type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        crawler = glue.get_crawler(Name=name)["Crawler"]
        if crawler["State"] == "READY" and "LastCrawl" in crawler:
            return crawler
        time.sleep(0.2)
    raise AssertionError(f"crawler {name} still {crawler['State']} after {timeout}s")


def seed(warehouse: Path) -> None:
    for month in ("01", "02"):
        folder = warehouse / "lake" / "trips" / "year=2024" / f"month={month}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "t.csv").write_text("trip_id,km,driver\n1,12.5,ann\n2,3.0,bob\n")


def test_start_crawler_through_boto3(glue, server):
    seed(server.home / "warehouse")
    glue.create_database(DatabaseInput={"Name": "lake"})
    glue.create_crawler(
        Name="trips", Role="r", DatabaseName="lake", Targets={"S3Targets": [{"Path": "s3://lake/trips/"}]}
    )
    glue.start_crawler(Name="trips")
    with pytest.raises(ClientError) as running:
        glue.start_crawler(Name="trips")
    assert running.value.response["Error"]["Code"] == "CrawlerRunningException"
    crawler = wait_until_ready(glue, "trips")
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    assert crawler["LastCrawl"]["LogGroup"] == "/aws-glue/crawlers"

    t = glue.get_table(DatabaseName="lake", Name="trips")["Table"]
    assert [c["Name"] for c in t["StorageDescriptor"]["Columns"]] == ["trip_id", "km", "driver"]
    assert [k["Name"] for k in t["PartitionKeys"]] == ["year", "month"]
    values = sorted(
        p["Values"] for p in glue.get_partitions(DatabaseName="lake", TableName="trips")["Partitions"]
    )
    assert values == [["2024", "01"], ["2024", "02"]]

    crawls = glue.list_crawls(CrawlerName="trips")["Crawls"]
    assert [c["State"] for c in crawls] == ["COMPLETED"]
    assert json.loads(crawls[0]["Summary"])["TablesCreated"] == 1
    assert (
        glue.list_crawls(
            CrawlerName="trips",
            Filters=[{"FieldName": "STATE", "FilterOperator": "EQ", "FieldValue": "FAILED"}],
        )["Crawls"]
        == []
    )
    metrics = glue.get_crawler_metrics(CrawlerNameList=["trips"])["CrawlerMetricsList"][0]
    assert metrics["TablesCreated"] == 1 and metrics["LastRuntimeSeconds"] > 0
    log = (server.home / "logs" / "crawlers" / "trips" / f"{crawls[0]['CrawlId']}.log").read_text()
    assert "created table lake.trips" in log and "finished" in log


def run(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run_gluelab(home, *args, check=check)


def test_crawlers_cli(tmp_path):
    home = tmp_path / "home"
    seed(home / "warehouse")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from gluelab.services import open_services; "
            "open_services().catalog.create_database(DatabaseInput={'Name': 'lake'})",
        ],
        env=gluelab_env(home),
        check=True,
    )
    run(home, "crawlers", "create", "trips", "--database", "lake", "--path", "s3://lake/trips/")
    started = run(home, "crawlers", "start", "trips")
    assert "COMPLETED" in started.stdout and "TablesCreated 1" in started.stdout
    assert "trips" in run(home, "crawlers", "list").stdout
    shown = run(home, "crawlers", "show", "trips").stdout
    assert "tables created 1" in shown and "COMPLETED" in shown
    as_json = json.loads(run(home, "crawlers", "show", "trips", "--json").stdout)
    assert as_json["Crawler"]["LastCrawl"]["Status"] == "SUCCEEDED"
    assert "created table lake.trips" in run(home, "crawlers", "logs", "trips").stdout
    assert "year" in run(home, "catalog", "show", "lake.trips").stdout

    missing = run(home, "crawlers", "start", "ghost", check=False)
    assert missing.returncode != 0 and "EntityNotFoundException" in missing.stderr
    bad = run(home, "crawlers", "create", "x", "--database", "lake", check=False)
    assert bad.returncode != 0 and "at least one" in bad.stderr
