"""Recrawls with ``RecrawlPolicy: {RecrawlBehavior: CRAWL_NEW_FOLDERS_ONLY}`` (an incremental crawl), as
Glue documents them (https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html): after the first,
complete crawl only folders added since the last crawl are crawled, and each becomes a new partition of
the existing table it falls in when its schema is compatible. No schema changes are made, no new tables
are added, files added to folders already crawled are not read, and deleted objects are ignored (the
update and delete behaviors are forced to LOG).

Crawls run in-process (what the crawl process runs), on SQLite and PostgreSQL; the last test starts them
through boto3's ``start_crawler`` against a real server and reads the new partition with a Glue script run
by ``gluelab run``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gluelab.crawler.run import execute

SCRIPTS = Path(__file__).parent / "scripts"
LOG_ONLY = {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}  # what CRAWL_NEW_FOLDERS_ONLY requires
NEW_FOLDERS_ONLY = {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}


@pytest.fixture
def sales(services) -> Path:  # type: ignore[no-untyped-def]
    """The bucket ``sales``: ``orders/`` partitioned by year and month (CSV), ``customers/`` (JSON)."""
    services.catalog.create_database(DatabaseInput={"Name": "shop"})
    bucket = services.settings.warehouse_dir / "sales"
    for month, first in (("01", 1), ("02", 3)):
        write_orders(bucket / "orders" / "year=2024" / f"month={month}", first)
    write(bucket / "customers" / "c.json", '{"id": 1, "name": "Ann", "email": "ann@example.com"}\n')
    return bucket


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_orders(folder: Path, first: int) -> None:
    rows = "".join(f"{i},{i * 2.5},cust{i}\n" for i in (first, first + 1))
    write(folder / "part-0.csv", "order_id,amount,customer\n" + rows)


def crawl(services, name: str, path: str | None = None, **fields: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Create the incremental crawler on its first call, crawl once; returns the crawl's history entry
    with its summary and log text added."""
    if name not in services.crawlers.list_crawlers({})["CrawlerNames"]:
        services.crawlers.create_crawler(
            Name=name,
            Role="r",
            DatabaseName="shop",
            Targets={"S3Targets": [{"Path": path}]},
            SchemaChangePolicy=LOG_ONLY,
            RecrawlPolicy=NEW_FOLDERS_ONLY,
            **fields,
        )
    crawl_id = services.crawlers.begin_crawl(name)
    execute(services, crawl_id)
    entry = services.crawlers.list_crawls(CrawlerName=name, MaxResults=1)["Crawls"][0]
    assert entry["CrawlId"] == crawl_id and entry["State"] == "COMPLETED", entry
    log = Path(services.crawlers.crawl_info(crawl_id)["LogPath"]).read_text()
    return {**entry, "summary": json.loads(entry["Summary"]), "log": log}


def tables(services) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    return {t["Name"]: t for t in services.catalog.get_tables(DatabaseName="shop")["TableList"]}


def partitions(services, table: str) -> dict[tuple[str, ...], dict[str, Any]]:  # type: ignore[no-untyped-def]
    found = services.catalog.get_partitions(DatabaseName="shop", TableName=table)["Partitions"]
    return {tuple(p["Values"]): p for p in found}


def columns(descriptor: dict[str, Any]) -> list[str]:
    return [c["Name"] for c in descriptor["Columns"]]


def versions(services, table: str) -> int:  # type: ignore[no-untyped-def]
    return len(services.catalog.get_table_versions(DatabaseName="shop", TableName=table)["TableVersions"])


def test_a_new_month_under_the_bucket_root_becomes_a_partition_of_its_table(services, sales):
    first = crawl(services, "sales", "s3://sales/")
    assert first["summary"]["TablesCreated"] == 2
    orders = tables(services)["orders"]
    assert [k["Name"] for k in orders["PartitionKeys"]] == ["year", "month"]
    assert orders["StorageDescriptor"]["Location"] == "s3://sales/orders/"

    write_orders(sales / "orders" / "year=2024" / "month=03", 5)
    again = crawl(services, "sales")

    assert set(tables(services)) == {"orders", "customers"}  # no table named after the bucket
    assert again["summary"]["PartitionsCreated"] == 1 and again["summary"]["TablesCreated"] == 0
    assert again["summary"]["FilesScanned"] == 1  # the new folder's file only
    found = partitions(services, "orders")
    assert sorted(found) == [("2024", "01"), ("2024", "02"), ("2024", "03")]
    march = found[("2024", "03")]["StorageDescriptor"]
    assert march["Location"] == "s3://sales/orders/year=2024/month=03/"
    assert columns(march) == ["order_id", "amount", "customer"]
    assert march["Parameters"]["classification"] == "csv"
    assert versions(services, "orders") == 1  # the table itself is not changed
    assert "1 new folder(s) of 4 (CRAWL_NEW_FOLDERS_ONLY)" in again["log"]
    assert "orders: 1 partition(s) added" in again["log"]
    # the partitions not listed again are neither gone nor reported as gone
    assert "no longer in the data" not in again["log"]


def test_deleted_folders_are_ignored_and_not_reported(services, sales):
    crawl(services, "sales", "s3://sales/")
    shutil.rmtree(sales / "orders" / "year=2024" / "month=01")
    write_orders(sales / "orders" / "year=2024" / "month=03", 5)
    again = crawl(services, "sales")
    assert sorted(partitions(services, "orders")) == [("2024", "01"), ("2024", "02"), ("2024", "03")]
    assert again["summary"]["PartitionsDeleted"] == 0 and again["summary"]["TablesDeprecated"] == 0
    assert "no longer in the data" not in again["log"] and "is gone" not in again["log"]


def test_a_new_file_in_a_folder_already_crawled_is_not_read(services, sales):
    crawl(services, "sales", "s3://sales/")
    january = sales / "orders" / "year=2024" / "month=01"
    write(january / "part-1.csv", "order_id,amount,customer,coupon\n9,1.5,cust9,SPRING\n")
    write(sales / "customers" / "d.json", '{"id": 2, "name": "Bob", "email": "b@example.com", "vip": true}\n')
    again = crawl(services, "sales")
    assert again["summary"]["FilesScanned"] == 0 and again["summary"]["PartitionsCreated"] == 0
    assert "0 new folder(s) of 3" in again["log"]
    descriptor = partitions(services, "orders")[("2024", "01")]["StorageDescriptor"]
    assert columns(descriptor) == ["order_id", "amount", "customer"]  # no coupon
    assert columns(tables(services)["customers"]["StorageDescriptor"]) == ["id", "name", "email"]


def test_folders_that_fit_no_table_are_logged_and_not_added(services, sales):
    """Glue adds no new tables on an incremental crawl, and leaves out (logging them) new folders whose
    schema or partition keys do not match the table's."""
    crawl(services, "sales", "s3://sales/")
    write(sales / "returns" / "r.json", '{"return_id": 1, "reason": "size"}\n')  # a new top-level folder
    write(sales / "orders" / "year=2024" / "month=04" / "x.json", '{"order_id": 7, "amount": 1.0}\n')
    write_orders(sales / "orders" / "region=eu" / "month=05", 8)  # another key than year
    write_orders(sales / "orders" / "year=2024" / "month=06", 10)
    again = crawl(services, "sales")
    assert set(tables(services)) == {"orders", "customers"}
    assert sorted(partitions(services, "orders"))[-1] == ("2024", "06")
    assert len(partitions(services, "orders")) == 3 and again["summary"]["PartitionsCreated"] == 1
    log = again["log"]
    assert "new folder s3://sales/returns/ is in no table of this crawler; not added" in log
    assert "new folder s3://sales/orders/year=2024/month=04/ (json" in log
    assert "does not match the schema of table shop.orders; not added" in log
    assert "new folder s3://sales/orders/region=eu/month=05/ does not fit the partition keys" in log

    # a full crawl afterwards (CRAWL_EVERYTHING, as Glue advises for a schema change) adds the table
    services.crawlers.update_crawler(
        Name="sales",
        RecrawlPolicy={"RecrawlBehavior": "CRAWL_EVERYTHING"},
        SchemaChangePolicy={"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
    )
    shutil.rmtree(sales / "orders" / "region=eu")
    (sales / "orders" / "year=2024" / "month=04" / "x.json").unlink()
    crawl(services, "sales")
    assert set(tables(services)) == {"orders", "customers", "returns"}


def test_an_include_path_below_the_bucket(services, sales):
    crawl(services, "orders", "s3://sales/orders/")
    assert set(tables(services)) == {"orders"}
    write_orders(sales / "orders" / "year=2025" / "month=01", 5)
    again = crawl(services, "orders")
    assert sorted(partitions(services, "orders")) == [("2024", "01"), ("2024", "02"), ("2025", "01")]
    assert again["summary"]["PartitionsCreated"] == 1 and "no longer in the data" not in again["log"]


def test_table_level_configuration(services, sales):
    """``Grouping.TableLevelConfiguration`` 2 makes a table of each folder of the bucket, even when their
    schemas would merge (https://docs.aws.amazon.com/glue/latest/dg/crawler-table-level.html); new
    partitions join those tables."""
    for month, first in (("01", 20), ("02", 22)):
        write_orders(sales / "refunds" / "year=2024" / f"month={month}", first)  # the schema of orders
    level = json.dumps({"Version": 1.0, "Grouping": {"TableLevelConfiguration": 2}})
    crawl(services, "sales", "s3://sales/", Configuration=level)
    assert set(tables(services)) == {"orders", "refunds", "customers"}
    write_orders(sales / "refunds" / "year=2024" / "month=03", 24)
    again = crawl(services, "sales")
    assert set(tables(services)) == {"orders", "refunds", "customers"}
    assert sorted(partitions(services, "refunds"))[-1] == ("2024", "03")
    assert sorted(partitions(services, "orders")) == [("2024", "01"), ("2024", "02")]
    assert again["summary"]["PartitionsCreated"] == 1


def wait_until_ready(glue, name: str, crawls: int, timeout: float = 120) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        crawler = glue.get_crawler(Name=name)["Crawler"]
        done = glue.list_crawls(CrawlerName=name)["Crawls"]
        if crawler["State"] == "READY" and len(done) == crawls and done[0]["State"] != "RUNNING":
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"crawler {name} still {crawler['State']} after {timeout}s")


@pytest.mark.slow
def test_start_crawler_through_boto3_then_a_glue_job_reads_the_new_partition(glue, server):
    """As a user: the crawls started with boto3's ``start_crawler``, then (on the SQLite store only, to
    start Spark once for the suite's time) a Glue job reads the new month through the catalog."""
    bucket = server.home / "warehouse" / "sales"
    for month, first in (("01", 1), ("02", 3)):
        write_orders(bucket / "orders" / "year=2024" / f"month={month}", first)
    write(bucket / "customers" / "c.json", '{"id": 1, "name": "Ann"}\n')
    glue.create_database(DatabaseInput={"Name": "shop"})
    glue.create_crawler(
        Name="sales",
        Role="arn:aws:iam::123456789012:role/crawler",
        DatabaseName="shop",
        Targets={"S3Targets": [{"Path": "s3://sales/"}]},
        SchemaChangePolicy=LOG_ONLY,
        RecrawlPolicy=NEW_FOLDERS_ONLY,
    )
    glue.start_crawler(Name="sales")
    assert wait_until_ready(glue, "sales", 1)["State"] == "COMPLETED"
    write_orders(bucket / "orders" / "year=2024" / "month=03", 5)
    glue.start_crawler(Name="sales")
    recrawl = wait_until_ready(glue, "sales", 2)
    assert recrawl["State"] == "COMPLETED"
    assert json.loads(recrawl["Summary"])["PartitionsCreated"] == 1

    names = sorted(t["Name"] for t in glue.get_tables(DatabaseName="shop")["TableList"])
    assert names == ["customers", "orders"]
    values = sorted(
        p["Values"] for p in glue.get_partitions(DatabaseName="shop", TableName="orders")["Partitions"]
    )
    assert values == [["2024", "01"], ["2024", "02"], ["2024", "03"]]
    log = (server.home / "logs" / "crawlers" / "sales" / f"{recrawl['CrawlId']}.log").read_text()
    assert "no longer in the data" not in log
    if "GLUELAB_DATABASE_URL" in server.env:
        return  # the job reads the same catalog answers on PostgreSQL; one Spark start is enough

    result = subprocess.run(
        [sys.executable, "-m", "gluelab", "run", str(SCRIPTS / "read_new_partition.py")]
        + ["--JOB_NAME", "read_orders", "--database", "shop", "--table_name", "orders"],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    report = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("REPORT "))[7:])
    assert report == {"march": [[5, "03"], [6, "03"]], "months": ["01", "02", "03"]}
