"""Crawls over the layouts Glue users hit, on SQLite and PostgreSQL: what tables, partitions, versions and
logs they leave. Crawls run in-process here (``gluelab.crawler.run.execute``, what the crawl process runs);
test_crawl_process.py starts them the way users do."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gluelab.crawler.run import execute
from gluelab.errors import EntityNotFoundException


@pytest.fixture
def lake(services) -> Path:  # type: ignore[no-untyped-def]
    services.catalog.create_database(DatabaseInput={"Name": "lake"})
    root = services.settings.warehouse_dir / "lake"
    root.mkdir(parents=True)
    return root


def write_json(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def write_csv(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def crawl(services, name: str, paths: list[str] | None = None, **fields: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Create the crawler if needed, crawl once in-process; returns the crawl's history entry."""
    if name not in services.crawlers.list_crawlers({})["CrawlerNames"]:
        targets = {"S3Targets": [{"Path": p} for p in paths or []]}
        services.crawlers.create_crawler(Name=name, Role="r", DatabaseName="lake", Targets=targets, **fields)
    crawl_id = services.crawlers.begin_crawl(name)
    execute(services, crawl_id)
    entry = services.crawlers.list_crawls(CrawlerName=name, MaxResults=1)["Crawls"][0]
    assert entry["CrawlId"] == crawl_id
    return entry


def summary(entry: dict[str, Any]) -> dict[str, int]:
    return json.loads(entry["Summary"])


def table(services, name: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return services.catalog.get_table(DatabaseName="lake", Name=name)["Table"]


def columns(t: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["Name"], c["Type"]) for c in t["StorageDescriptor"]["Columns"]]


def partitions(services, name: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    found = services.catalog.get_partitions(DatabaseName="lake", TableName=name)["Partitions"]
    return sorted(p["Values"] for p in found)


def log_of(services, entry: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    return Path(services.crawlers.crawl_info(entry["CrawlId"])["LogPath"]).read_text()


def test_date_partitioned_folders_become_partition_0_1_2(services, lake):
    for day in ("2024/01/30", "2024/01/31", "2024/02/01"):
        write_csv(lake / "sales" / day / "part-0.csv", ["id,amount,region", "1,9.5,eu", "2,3.25,us"])
    entry = crawl(services, "sales", ["s3://lake/sales/"])
    assert entry["State"] == "COMPLETED"
    assert summary(entry)["TablesCreated"] == 1 and summary(entry)["PartitionsCreated"] == 3
    t = table(services, "sales")
    assert columns(t) == [("id", "bigint"), ("amount", "double"), ("region", "string")]
    assert [k["Name"] for k in t["PartitionKeys"]] == ["partition_0", "partition_1", "partition_2"]
    assert all(k["Type"] == "string" for k in t["PartitionKeys"])
    assert t["StorageDescriptor"]["Location"] == "s3://lake/sales/"
    params = t["Parameters"]
    assert params["classification"] == "csv" and params["UPDATED_BY_CRAWLER"] == "sales"
    assert params["skip.header.line.count"] == "1" and params["delimiter"] == ","
    assert params["objectCount"] == "3"
    assert partitions(services, "sales") == [["2024", "01", "30"], ["2024", "01", "31"], ["2024", "02", "01"]]
    one = services.catalog.get_partition(
        DatabaseName="lake", TableName="sales", PartitionValues=["2024", "02", "01"]
    )["Partition"]
    assert one["StorageDescriptor"]["Location"] == "s3://lake/sales/2024/02/01/"


def test_hive_folders_name_the_partition_keys(services, lake):
    for year, month in (("2023", "12"), ("2024", "01")):
        write_json(
            lake / "events" / f"year={year}" / f"month={month}" / "e.json", [{"id": 1, "kind": "click"}]
        )
    crawl(services, "events", ["s3://lake/events/"])
    t = table(services, "events")
    assert [k["Name"] for k in t["PartitionKeys"]] == ["year", "month"]
    assert columns(t) == [("id", "bigint"), ("kind", "string")]
    assert partitions(services, "events") == [["2023", "12"], ["2024", "01"]]


def test_headerless_csv_gets_generic_column_names(services, lake):
    write_csv(lake / "raw" / "data.csv", ["1,alpha,2.5", "2,beta,3.5", "3,gamma,4.0"])
    crawl(services, "raw", ["s3://lake/raw/"])
    t = table(services, "raw")
    assert columns(t) == [("col0", "bigint"), ("col1", "string"), ("col2", "double")]
    assert "skip.header.line.count" not in t["Parameters"]


def test_nested_json_and_compressed_files(services, lake):
    records = [{"id": 1, "address": {"city": "Oslo", "zip": 150}, "tags": ["a"]}]
    path = lake / "people" / "p.json.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode()))
    crawl(services, "people", ["s3://lake/people/"])
    t = table(services, "people")
    assert columns(t) == [
        ("id", "bigint"),
        ("address", "struct<city:string,zip:bigint>"),
        ("tags", "array<string>"),
    ]
    assert t["Parameters"]["compressionType"] == "gzip"
    assert t["StorageDescriptor"]["Compressed"] is True


def test_parquet_table(services, lake):
    folder = lake / "metrics"
    folder.mkdir()
    pq.write_table(
        pa.table({"host": ["a", "b"], "cpu": [0.5, 0.7], "n": pa.array([1, 2], pa.int32())}),
        folder / "m.parquet",
    )
    crawl(services, "metrics", ["s3://lake/metrics/"])
    t = table(services, "metrics")
    assert columns(t) == [("host", "string"), ("cpu", "double"), ("n", "int")]
    assert t["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")


def test_mixed_schemas_split_into_two_tables(services, lake):
    write_json(lake / "mixed" / "orders" / "o.json", [{"order_id": 1, "amount": 2.5, "sku": "x"}])
    write_json(lake / "mixed" / "users" / "u.json", [{"user": "ann", "email": "a@x", "age": 31}])
    entry = crawl(services, "mixed", ["s3://lake/mixed/"])
    assert summary(entry)["TablesCreated"] == 2
    assert columns(table(services, "orders")) == [
        ("order_id", "bigint"),
        ("amount", "double"),
        ("sku", "string"),
    ]
    assert columns(table(services, "users")) == [("user", "string"), ("email", "string"), ("age", "bigint")]
    assert table(services, "orders")["PartitionKeys"] == []


def test_a_new_column_on_recrawl_makes_a_new_table_version(services, lake):
    write_json(lake / "orders" / "day=1" / "a.json", [{"id": 1, "amount": 2.5, "sku": "x"}])
    crawl(services, "orders", ["s3://lake/orders/"])
    write_json(lake / "orders" / "day=2" / "b.json", [{"id": 2, "amount": 1.0, "sku": "y", "coupon": "NEW"}])
    entry = crawl(services, "orders")
    assert summary(entry)["TablesUpdated"] == 1 and summary(entry)["PartitionsCreated"] == 1
    t = table(services, "orders")
    assert columns(t)[-1] == ("coupon", "string")
    versions = services.catalog.get_table_versions(DatabaseName="lake", TableName="orders")["TableVersions"]
    assert len(versions) == 2
    assert "a new table version" in log_of(services, entry)


@pytest.mark.parametrize("behavior", ["DELETE_FROM_DATABASE", "DEPRECATE_IN_DATABASE", "LOG"])
def test_a_deleted_folder_under_each_delete_behavior(services, lake, behavior):
    write_json(lake / "zone" / "clicks" / "c.json", [{"id": 1, "url": "/"}])
    write_csv(lake / "zone" / "prices" / "p.csv", ["sku,price", "a,1.5", "b,2.5"])
    for day in ("1", "2"):
        write_json(lake / "zone" / "clicks2" / f"day={day}" / "c.json", [{"id": 1, "page": "/", "ms": 3}])
    policy = {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": behavior}
    crawl(services, "zone", ["s3://lake/zone/"], SchemaChangePolicy=policy)
    assert {t["Name"] for t in services.catalog.get_tables(DatabaseName="lake")["TableList"]} == {
        "clicks",
        "prices",
        "clicks2",
    }
    for path in (lake / "zone" / "prices").iterdir():
        path.unlink()
    (lake / "zone" / "prices").rmdir()
    for path in (lake / "zone" / "clicks2" / "day=2").iterdir():
        path.unlink()
    (lake / "zone" / "clicks2" / "day=2").rmdir()
    entry = crawl(services, "zone")
    assert entry["State"] == "COMPLETED"
    if behavior == "DELETE_FROM_DATABASE":
        with pytest.raises(EntityNotFoundException):
            table(services, "prices")
        assert partitions(services, "clicks2") == [["1"]]
        assert summary(entry)["TablesDeleted"] == 1 and summary(entry)["PartitionsDeleted"] == 1
    elif behavior == "DEPRECATE_IN_DATABASE":
        assert "DEPRECATED_BY_CRAWLER" in table(services, "prices")["Parameters"]
        assert partitions(services, "clicks2") == [["1"], ["2"]]
    else:
        assert "DEPRECATED_BY_CRAWLER" not in table(services, "prices")["Parameters"]
        assert partitions(services, "clicks2") == [["1"], ["2"]]
        assert "is gone; kept (DeleteBehavior LOG)" in log_of(services, entry)


def test_crawl_new_folders_only(services, lake):
    write_json(lake / "logs" / "day=1" / "a.json", [{"id": 1, "msg": "x"}])
    policy = {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    recrawl = {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    crawl(services, "logs", ["s3://lake/logs/"], SchemaChangePolicy=policy, RecrawlPolicy=recrawl)
    write_json(lake / "logs" / "day=1" / "b.json", [{"id": 2, "msg": "y", "extra": True}])  # old folder
    write_json(lake / "logs" / "day=2" / "a.json", [{"id": 3, "msg": "z"}])
    entry = crawl(services, "logs")
    assert summary(entry)["PartitionsCreated"] == 1 and summary(entry)["FilesScanned"] == 1
    assert partitions(services, "logs") == [["1"], ["2"]]
    assert columns(table(services, "logs")) == [("id", "bigint"), ("msg", "string")]
    assert "1 new folder(s) of 2" in log_of(services, entry)


def test_bad_files_are_skipped_and_logged(services, lake):
    folder = lake / "messy"
    write_json(folder / "good.json", [{"id": 1}, {"id": 2}])
    (folder / "empty.json").write_text("")
    (folder / "blob.bin").write_bytes(os.urandom(4096))
    pq.write_table(pa.table({"id": [1, 2, 3]}), folder / "whole.parquet")
    (folder / "truncated.parquet").write_bytes((folder / "whole.parquet").read_bytes()[:40])
    (folder / "whole.parquet").unlink()
    locked = folder / "locked.json"
    write_json(locked, [{"id": 3}])
    locked.chmod(0)
    try:
        entry = crawl(services, "messy", ["s3://lake/messy/"])
    finally:
        locked.chmod(0o644)
    assert entry["State"] == "COMPLETED"
    assert columns(table(services, "messy")) == [("id", "bigint")]
    log = log_of(services, entry)
    for name in ("empty.json", "blob.bin", "truncated.parquet"):
        assert f"skipped s3://lake/messy/{name}" in log, name
    assert summary(entry)["FilesSkipped"] >= 3


def test_a_stopped_crawl_writes_nothing(services, lake):
    write_json(lake / "slow" / "a.json", [{"id": 1}])
    services.crawlers.create_crawler(
        Name="slow", Role="r", DatabaseName="lake", Targets={"S3Targets": [{"Path": "s3://lake/slow/"}]}
    )
    crawl_id = services.crawlers.begin_crawl("slow")
    services.crawlers.stop_crawler(Name="slow")
    assert services.crawlers.get_crawler(Name="slow")["Crawler"]["State"] == "STOPPING"
    assert execute(services, crawl_id) == "STOPPED"
    assert services.catalog.get_tables(DatabaseName="lake")["TableList"] == []
    crawler = services.crawlers.get_crawler(Name="slow")["Crawler"]
    assert crawler["State"] == "READY" and crawler["LastCrawl"]["Status"] == "CANCELLED"


def test_a_missing_database_fails_the_crawl_with_a_clear_message(services, lake):
    services.crawlers.create_crawler(
        Name="nodb", Role="r", DatabaseName="nowhere", Targets={"S3Targets": [{"Path": "s3://lake/x/"}]}
    )
    crawl_id = services.crawlers.begin_crawl("nodb")
    assert execute(services, crawl_id) == "FAILED"
    crawler = services.crawlers.get_crawler(Name="nodb")["Crawler"]
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert "nowhere" in crawler["LastCrawl"]["ErrorMessage"]


def test_table_prefix_exclusions_and_threshold(services, lake):
    write_json(lake / "area" / "keep" / "a.json", [{"id": 1}])
    write_json(lake / "area" / "skip" / "a.json", [{"other": "x", "more": 1}])
    write_json(lake / "area" / "keep" / "tmp.json", [{"zzz": 1}])
    targets = {"S3Targets": [{"Path": "s3://lake/area/", "Exclusions": ["skip/**", "**/tmp.json"]}]}
    services.crawlers.create_crawler(
        Name="area", Role="r", DatabaseName="lake", Targets=targets, TablePrefix="raw_"
    )
    execute(services, services.crawlers.begin_crawl("area"))
    assert [t["Name"] for t in services.catalog.get_tables(DatabaseName="lake")["TableList"]] == ["raw_area"]
    assert columns(table(services, "raw_area")) == [("id", "bigint")]

    write_json(lake / "many" / "a" / "x.json", [{"a": 1}])
    write_json(lake / "many" / "b" / "x.json", [{"b": "s", "c": 2}])
    configuration = json.dumps({"Version": 1.0, "CrawlerOutput": {"Tables": {"TableThreshold": 1}}})
    entry = crawl(services, "many", ["s3://lake/many/"], Configuration=configuration)
    assert entry["State"] == "FAILED" and "TableThreshold" in entry["ErrorMessage"]


def test_configuration_combine_compatible_schemas_and_table_level(services, lake):
    write_json(lake / "combo" / "a" / "x.json", [{"id": 1, "a": 1}])
    write_json(lake / "combo" / "b" / "x.json", [{"id": 2, "b": "z", "c": 3.5}])
    combine = json.dumps({"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"}})
    crawl(services, "combo", ["s3://lake/combo/"], Configuration=combine)
    t = table(services, "combo")
    assert columns(t) == [("id", "bigint"), ("a", "bigint"), ("b", "string"), ("c", "double")]
    assert partitions(services, "combo") == [["a"], ["b"]]

    for region in ("eu", "us"):
        write_json(lake / "levels" / "sales" / region / "2024" / "x.json", [{"id": 1}])
    level = json.dumps(
        {"Version": 1.0, "Grouping": {"TableLevelConfiguration": 4}}
    )  # lake=1 levels=2 sales=3
    crawl(services, "levels", ["s3://lake/levels/"], Configuration=level)
    names = {t["Name"] for t in services.catalog.get_tables(DatabaseName="lake")["TableList"]} - {"combo"}
    assert names == {"eu", "us"}
    assert partitions(services, "eu") == [["2024"]]


def test_catalog_target_recrawls_an_existing_table(services, lake):
    services.catalog.create_table(
        DatabaseName="lake",
        TableInput={
            "Name": "visits",
            "StorageDescriptor": {
                "Columns": [{"Name": "id", "Type": "bigint"}],
                "Location": "s3://lake/visits/",
            },
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "Parameters": {"classification": "json"},
        },
    )
    write_json(lake / "visits" / "2024-05-01" / "v.json", [{"id": 1, "page": "/home"}])
    write_json(lake / "visits" / "2024-05-02" / "v.json", [{"id": 2, "page": "/cart"}])
    targets = {"CatalogTargets": [{"DatabaseName": "lake", "Tables": ["visits", "ghost"]}]}
    policy = {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"}
    services.crawlers.create_crawler(Name="cat", Role="r", Targets=targets, SchemaChangePolicy=policy)
    entry = crawl(services, "cat")
    assert entry["State"] == "COMPLETED", entry.get("ErrorMessage")
    t = table(services, "visits")
    assert [k["Name"] for k in t["PartitionKeys"]] == ["dt"]
    assert columns(t) == [("id", "bigint"), ("page", "string")]
    assert partitions(services, "visits") == [["2024-05-01"], ["2024-05-02"]]
    assert "catalog target lake.ghost does not exist" in log_of(services, entry)


def test_custom_classifiers_come_before_the_built_ins(services, lake):
    write_csv(lake / "pipes" / "p.txt", ["a|b|c", "x|y|z", "u|v|w"])
    services.crawlers.create_classifier(
        CsvClassifier={
            "Name": "pipes",
            "Delimiter": "|",
            "ContainsHeader": "ABSENT",
            "Header": ["k", "v", "w"],
        }
    )
    services.crawlers.create_classifier(JsonClassifier={"Name": "records", "JsonPath": "$.records[*]"})
    (lake / "wrapped").mkdir()
    (lake / "wrapped" / "w.json").write_text(json.dumps({"records": [{"id": 1, "tag": "a"}, {"id": 2}]}))
    targets = {"S3Targets": [{"Path": "s3://lake/pipes/"}, {"Path": "s3://lake/wrapped/"}]}
    services.crawlers.create_crawler(
        Name="custom", Role="r", DatabaseName="lake", Targets=targets, Classifiers=["records", "pipes"]
    )
    entry = crawl(services, "custom")
    assert entry["State"] == "COMPLETED"
    assert columns(table(services, "pipes")) == [("k", "string"), ("v", "string"), ("w", "string")]
    assert table(services, "pipes")["Parameters"]["delimiter"] == "|"
    wrapped = table(services, "wrapped")
    assert columns(wrapped) == [("id", "bigint"), ("tag", "string")]
    assert wrapped["Parameters"]["jsonPath"] == "$.records[*]"


def test_sample_size_and_unreadable_entries(services, lake):
    folder = lake / "sampled"
    for i in range(5):
        write_json(folder / f"f{i}.json", [{"id": i, **({"late": True} if i == 4 else {})}])
    (folder / "dangling.json").symlink_to(folder / "missing-target.json")
    targets = {"S3Targets": [{"Path": "s3://lake/sampled/", "SampleSize": 2}]}
    services.crawlers.create_crawler(Name="sampled", Role="r", DatabaseName="lake", Targets=targets)
    entry = crawl(services, "sampled")
    assert entry["State"] == "COMPLETED"
    t = table(services, "sampled")
    assert columns(t) == [("id", "bigint")]  # f4.json (with "late") was not sampled
    assert t["Parameters"]["objectCount"] == "5" and summary(entry)["FilesScanned"] == 2
    assert "skipped dangling.json: not a regular file" in log_of(services, entry)
