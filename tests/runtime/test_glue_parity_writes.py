"""Writes as Glue makes them (issue 21, points 3 and 5): a frame with an unresolved choice is written
(each value as it is in csv and json, a struct of the alternatives in parquet and orc), and a bookmarked
run that finds nothing new succeeds, writes nothing and leaves the catalog as it was, while its log says
what each source read and which source path does not exist.

One job, scripts/hourly_increment.py, runs twice through ``gluelab run`` with a job bookmark: the first
run reads the landing files and a partitioned catalog table, the second finds nothing new."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest

from gluelab.config import Settings
from gluelab.services import Services
from tests.runtime.test_scripts import gluelab_run, ok

pytestmark = pytest.mark.slow
JOB = "hourly-increment"


def put(warehouse: Path, key: str, text: str) -> None:
    path = warehouse / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def landing(services: Services) -> None:
    """The raw data of the first hour, and the catalog: shop.raw_orders (json, partitioned by day) to read,
    shop.orders (parquet, no columns yet) to write."""
    warehouse = services.settings.warehouse_dir
    events = [{"id": 1, "price": 10}, {"id": 2, "price": "12.50"}, {"id": 3, "price": 3}]
    put(warehouse, "landing/events/0900.json", "".join(json.dumps(e) + "\n" for e in events))
    put(warehouse, "landing/readings/0900.csv", "station,temp\nnorth,21.5\nsouth,19\n")
    (warehouse / "landing" / "metrics").mkdir(parents=True)
    pq.write_table(
        pa.table({"day": ["2024-05-01", "2024-05-02"], "name": ["cpu", "cpu"], "value": [0.5, 0.75]}),
        warehouse / "landing" / "metrics" / "0900.parquet",
    )
    put(warehouse, "landing/orders/day=2024-05-01/a.json", '{"order_id": 1, "amount": 9.5}\n')
    put(warehouse, "landing/orders/day=2024-05-02/b.json", '{"order_id": 2, "amount": 3.25}\n')
    catalog = services.catalog
    catalog.create_database(DatabaseInput={"Name": "shop"})
    day = [{"Name": "day", "Type": "string"}]
    catalog.create_table(
        DatabaseName="shop",
        TableInput={
            "Name": "raw_orders",
            "Parameters": {"classification": "json"},
            "PartitionKeys": day,
            "StorageDescriptor": {
                "Location": "s3://landing/orders/",
                "Columns": [{"Name": "order_id", "Type": "bigint"}, {"Name": "amount", "Type": "double"}],
            },
        },
    )
    for value in ("2024-05-01", "2024-05-02"):
        catalog.create_partition(
            DatabaseName="shop",
            TableName="raw_orders",
            PartitionInput={
                "Values": [value],
                "StorageDescriptor": {"Location": f"s3://landing/orders/day={value}/"},
            },
        )
    catalog.create_table(
        DatabaseName="shop",
        TableInput={
            "Name": "orders",
            "Parameters": {"classification": "parquet"},
            "PartitionKeys": day,
            "StorageDescriptor": {"Location": "s3://curated/orders/", "Columns": []},
        },
    )


def files_under(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*")}


def catalog_state(services: Services) -> dict[str, Any]:
    catalog = services.catalog
    tables = {t["Name"]: t for t in catalog.get_tables(DatabaseName="shop")["TableList"]}
    partitions = {
        name: sorted(
            p["Values"] for p in catalog.get_partitions(DatabaseName="shop", TableName=name)["Partitions"]
        )
        for name in tables
    }
    return {"tables": tables, "partitions": partitions}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both runs of the job, with what the test saw after each."""
    root = tmp_path_factory.mktemp("hourly")
    home = root / "home"
    services = Services(Settings.load(env={"GLUELAB_HOME": str(home)}))
    services.settings.ensure_dirs()
    landing(services)
    warehouse = services.settings.warehouse_dir

    def run(n: int) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        report = root / f"report{n}.json"
        result = gluelab_run(
            home,
            "hourly_increment.py",
            "--JOB_NAME",
            JOB,
            "--report",
            str(report),
            "--job-bookmark-option",
            "job-bookmark-enable",
        )
        ok(result)
        return result, json.loads(report.read_text())

    first, first_report = run(1)
    after_first = {
        "files": files_under(warehouse / "curated"),
        "catalog": catalog_state(services),
        "bookmark": services.bookmarks.load(JOB),
    }
    second, second_report = run(2)
    after_second = {
        "files": files_under(warehouse / "curated"),
        "catalog": catalog_state(services),
        "bookmark": services.bookmarks.load(JOB),
    }
    yield {
        "warehouse": warehouse,
        "first": first,
        "first_report": first_report,
        "after_first": after_first,
        "second": second,
        "second_report": second_report,
        "after_second": after_second,
    }
    services.close()


def test_unresolved_choices_are_written_as_glue_writes_them(runs):
    # csv and json hold each value as it is (issue 21, point 3); parquet and orc hold what
    # DynamicFrame.toDF() makes of a choice, a struct with one field per type
    # (https://docs.aws.amazon.com/glue/latest/dg/glue-etl-scala-apis-glue-dynamicframe-class.html#glue-etl-scala-apis-glue-dynamicframe-class-defs-toDF).
    warehouse = runs["warehouse"] / "curated"
    assert runs["first_report"]["events"] == {"fields": [["id", "long"], ["price", "choice"]], "rows": 3}

    csv_lines = sorted(
        line for f in (warehouse / "events_csv").glob("*.csv") for line in f.read_text().splitlines()
    )
    assert csv_lines == ["1,10", "2,12.50", "3,3", "id,price"]

    json_records = sorted(
        (
            json.loads(line)
            for f in (warehouse / "events_json").glob("*.json")
            for line in f.read_text().splitlines()
        ),
        key=lambda r: r["id"],
    )
    assert json_records == [{"id": 1, "price": 10}, {"id": 2, "price": "12.50"}, {"id": 3, "price": 3}]

    as_struct = [
        {"id": 1, "price": {"long": 10, "string": None}},
        {"id": 2, "price": {"long": None, "string": "12.50"}},
        {"id": 3, "price": {"long": 3, "string": None}},
    ]
    for fmt in ("parquet", "glueparquet"):
        table = ds.dataset(warehouse / f"events_{fmt}", format="parquet").to_table()
        assert table.schema.field("price").type == pa.struct([("long", pa.int64()), ("string", pa.string())])
        assert sorted(table.to_pylist(), key=lambda r: r["id"]) == as_struct
    orc_rows = [r for f in (warehouse / "events_orc").glob("*.orc") for r in orc.read_table(f).to_pylist()]
    assert sorted(orc_rows, key=lambda r: r["id"]) == as_struct

    # The catalog table a csv sink updates says what the files hold: the choice's values as text.
    events_table = runs["after_first"]["catalog"]["tables"]["events"]
    assert [(c["Name"], c["Type"]) for c in events_table["StorageDescriptor"]["Columns"]] == [
        ("id", "bigint"),
        ("price", "string"),
    ]


def test_the_first_run_reads_and_writes_everything(runs):
    report = runs["first_report"]
    assert report["readings"] == {"fields": [["station", "string"], ["temp", "double"]], "rows": 2}
    assert report["metrics"]["rows"] == 2 and report["orders"]["rows"] == 2
    assert report["late"] == {"fields": [], "rows": 0}
    catalog = runs["after_first"]["catalog"]
    assert catalog["partitions"]["orders"] == [["2024-05-01"], ["2024-05-02"]]
    assert catalog["partitions"]["metrics"] == [["2024-05-01"], ["2024-05-02"]]
    assert runs["after_first"]["bookmark"]["Run"] == 1
    # A frame that turns out empty only when Spark runs it (no order is big) writes nothing either:
    # Spark's schema-only file and its _SUCCESS marker are removed with the folder they made.
    assert not (runs["warehouse"] / "curated" / "big_orders").exists()
    assert not (runs["warehouse"] / "curated" / "big_orders_csv").exists()  # not even the csv's header
    assert (
        "sink big_orders_out at s3://curated/big_orders/ (parquet): the frame is empty"
        in runs["first"].stderr
    )


def test_a_bookmarked_run_with_nothing_new_reads_empty_frames(runs):
    # A source with no new file is an empty frame: with no field from files (as Glue's), with the
    # table's columns from the catalog (issue 21, point 5).
    report = runs["second_report"]
    assert report["events"] == {"fields": [], "rows": 0}
    assert report["readings"] == {"fields": [], "rows": 0}
    assert report["metrics"] == {"fields": [], "rows": 0}
    assert report["orders"] == {
        "fields": [["order_id", "long"], ["amount", "double"], ["day", "string"]],
        "rows": 0,
    }


def test_a_bookmarked_run_with_nothing_new_writes_nothing_and_records_the_run(runs):
    assert runs["second"].returncode == 0
    assert runs["after_second"]["files"] == runs["after_first"]["files"]  # not a file written or touched
    assert runs["after_second"]["catalog"] == runs["after_first"]["catalog"]  # enableUpdateCatalog: no change
    first, second = runs["after_first"]["bookmark"], runs["after_second"]["bookmark"]
    assert second["Run"] == 2 and second["PreviousRunId"] == first["RunId"]
    assert second["State"]["events"]["s3"]["read"] == 0
    assert "bookmark committed as run 2" in runs["second"].stderr


def test_the_log_says_what_each_source_read_and_which_path_is_missing(runs):
    first, second = runs["first"].stderr, runs["second"].stderr
    assert "INFO GlueLogger: source events at s3://landing/events/ (json): 3 rows read from 1 file" in first
    assert "source metrics at s3://landing/metrics/ (parquet): 2 rows read from 1 file" in first
    assert "source orders at table shop.raw_orders (json): 2 rows read from 2 files" in first
    assert "sink events_parquet at s3://curated/events_parquet/ (parquet): 3 rows written" in first
    assert (
        "source events at s3://landing/events/ (json): 0 rows read from 0 files (0 bytes); "
        "the job bookmark skipped 1 file read by earlier runs" in second
    )
    assert "source orders at table shop.raw_orders (json): 0 rows read from 0 files" in second
    assert (
        "sink orders_out at s3://curated/orders/ (parquet): the frame is empty; nothing was written" in second
    )
    for log in (first, second):
        assert (
            "WARNING GlueLogger: source late at s3://landing/late-arrivals/: s3://landing/late-arrivals/ "
            "does not exist; nothing was read from it" in log
        )
