"""Catalog tables in Glue scripts: from_catalog (partitions, push_down_predicate, the table's format),
getSink/from_catalog writes that create and update tables and partitions, purge_table/purge_s3_path."""

from __future__ import annotations

import json
import os
import time

import pytest

from gluelab.errors import EntityNotFoundException, InvalidInputException
from gluelab.runtime.dynamicframe import DynamicFrame


@pytest.fixture
def catalog(glue_ctx):
    catalog = glue_ctx.services.catalog
    catalog.create_database(DatabaseInput={"Name": "lake"})
    return catalog


def write_partition(
    warehouse, catalog, year: str, month: str, rows: list[dict], register: bool = True
) -> None:
    folder = warehouse / "lake" / "sales" / f"year={year}" / f"month={month}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-0.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    if register:
        catalog.create_partition(
            DatabaseName="lake",
            TableName="sales",
            PartitionInput={
                "Values": [year, month],
                "StorageDescriptor": {"Location": f"s3://lake/sales/year={year}/month={month}/"},
            },
        )


@pytest.fixture
def sales(catalog, warehouse):
    catalog.create_table(
        DatabaseName="lake",
        TableInput={
            "Name": "sales",
            "Parameters": {"classification": "json"},
            "StorageDescriptor": {
                "Location": "s3://lake/sales/",
                "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "amount", "Type": "double"}],
            },
            "PartitionKeys": [{"Name": "year", "Type": "int"}, {"Name": "month", "Type": "string"}],
        },
    )
    for year in ("2023", "2024"):
        for month in ("01", "02"):
            base = int(year) * 100 + int(month)
            write_partition(
                warehouse,
                catalog,
                year,
                month,
                [{"id": base, "amount": 1.0}, {"id": base + 50, "amount": 2.0}],
            )
    return catalog


def rows(frame: DynamicFrame, *columns: str) -> list[tuple]:
    return sorted(tuple(r[c] for c in columns) for r in frame.toDF().collect())


def test_from_catalog_reads_every_partition_with_typed_keys(glue_ctx, sales):
    frame = glue_ctx.create_dynamic_frame.from_catalog(database="lake", table_name="sales")
    assert frame.name == "sales"
    assert frame.count() == 8
    schema = frame.schema()
    assert schema.getField("year").dataType.typeName() == "int"
    assert schema.getField("month").dataType.typeName() == "string"
    assert (202301, 2023, "01") in rows(frame, "id", "year", "month")


@pytest.mark.parametrize(
    "predicate, expected",
    [
        ("year = 2024", {202401, 202451, 202402, 202452}),
        ("year == '2023' and month == '02'", {202302, 202352}),
        ("month > '01' AND year >= 2024", {202402, 202452}),
        ("year = 1999", set()),
    ],
)
def test_push_down_predicate_prunes_partitions_before_reading(
    glue_ctx, sales, warehouse, predicate, expected
):
    # A broken file in a pruned partition proves that pruned partitions are never read.
    (warehouse / "lake" / "sales" / "year=2023" / "month=01" / "broken.json").write_text("{not json\n")
    frame = glue_ctx.create_dynamic_frame.from_catalog(
        database="lake", table_name="sales", push_down_predicate=predicate
    )
    assert {r[0] for r in rows(frame, "id")} == expected
    if predicate != "year = 1999" and "2023" not in predicate:
        assert frame.errorsCount() == 0


def test_catalog_partition_predicate_filters_in_the_catalog(glue_ctx, sales):
    frame = glue_ctx.create_dynamic_frame.from_catalog(
        database="lake", table_name="sales", additional_options={"catalogPartitionPredicate": "year = 2023"}
    )
    assert {r[0] for r in rows(frame, "year")} == {2023}


def test_a_bad_predicate_is_a_clear_error(glue_ctx, sales):
    with pytest.raises(InvalidInputException, match="push_down_predicate"):
        glue_ctx.create_dynamic_frame.from_catalog(
            database="lake", table_name="sales", push_down_predicate="colour = 'red'"
        )


def test_a_csv_table_reads_with_its_serde_options(glue_ctx, catalog, warehouse):
    folder = warehouse / "lake" / "people"
    folder.mkdir(parents=True)
    (folder / "p.csv").write_text("name|age\nada|36\nalan|41\n")
    catalog.create_table(
        DatabaseName="lake",
        TableInput={
            "Name": "people",
            "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
            "StorageDescriptor": {
                "Location": "s3://lake/people/",
                "Columns": [{"Name": "name", "Type": "string"}, {"Name": "age", "Type": "int"}],
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                    "Parameters": {"field.delim": "|"},
                },
            },
        },
    )
    frame = glue_ctx.create_dynamic_frame.from_catalog(database="lake", table_name="people")
    assert rows(frame, "name", "age") == [("ada", 36), ("alan", 41)]
    assert [f.name for f in glue_ctx.get_catalog_schema_as_spark_schema("lake", "people").fields] == [
        "name",
        "age",
    ]


def test_missing_tables_and_arguments(glue_ctx, catalog):
    with pytest.raises(EntityNotFoundException, match="Table nope not found"):
        glue_ctx.create_dynamic_frame.from_catalog(database="lake", table_name="nope")
    with pytest.raises(InvalidInputException, match="table_name"):
        glue_ctx.create_dynamic_frame.from_catalog(database="lake")
    with pytest.raises(InvalidInputException, match="not both"):
        glue_ctx.create_dynamic_frame.from_catalog(database="lake", name_space="lake", table_name="t")


def orders_frame(glue_ctx, days: list[str]) -> DynamicFrame:
    data = [(i, f"c{i}", float(i), day) for i, day in enumerate(days)]
    return DynamicFrame.fromDF(
        glue_ctx.spark_session.createDataFrame(data, "id long, customer string, amount double, day string"),
        glue_ctx,
        "orders",
    )


def test_get_sink_creates_the_table_and_adds_partitions(glue_ctx, catalog, warehouse):
    sink = glue_ctx.getSink(
        path="s3://lake/orders/",
        connection_type="s3",
        updateBehavior="UPDATE_IN_DATABASE",
        partitionKeys=["day"],
        enableUpdateCatalog=True,
        transformation_ctx="sink",
    )
    sink.setCatalogInfo(catalogDatabase="lake", catalogTableName="orders")
    sink.setFormat("glueparquet", compression="snappy")
    sink.writeFrame(orders_frame(glue_ctx, ["2024-01-01", "2024-01-01", "2024-01-02"]))

    table = catalog.get_table(DatabaseName="lake", Name="orders")["Table"]
    assert table["PartitionKeys"] == [{"Name": "day", "Type": "string"}]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "customer", "amount"]
    assert table["StorageDescriptor"]["Location"] == "s3://lake/orders/"
    assert table["Parameters"]["classification"] == "parquet"
    partitions = catalog.get_partitions(DatabaseName="lake", TableName="orders")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["2024-01-01", "2024-01-02"]
    assert (warehouse / "lake" / "orders" / "day=2024-01-02").is_dir()

    sink.writeFrame(orders_frame(glue_ctx, ["2024-01-03"]))  # one more partition, no duplicates
    partitions = catalog.get_partitions(DatabaseName="lake", TableName="orders")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["2024-01-01", "2024-01-02", "2024-01-03"]
    back = glue_ctx.create_dynamic_frame.from_catalog(
        database="lake", table_name="orders", push_down_predicate="day >= '2024-01-02'"
    )
    assert rows(back, "id", "day") == [(0, "2024-01-03"), (2, "2024-01-02")]


def test_update_behavior_update_in_database_versions_the_schema_and_log_does_not(glue_ctx, catalog):
    def write(frame: DynamicFrame, behavior: str) -> None:
        sink = glue_ctx.getSink(
            path="s3://lake/custs/", connection_type="s3", updateBehavior=behavior, enableUpdateCatalog=True
        )
        sink.setCatalogInfo(catalogDatabase="lake", catalogTableName="custs")
        sink.setFormat("json")
        sink.writeFrame(frame)

    spark = glue_ctx.spark_session
    write(
        DynamicFrame.fromDF(spark.createDataFrame([(1, "a")], "id long, name string"), glue_ctx, "c"),
        "UPDATE_IN_DATABASE",
    )
    write(
        DynamicFrame.fromDF(
            spark.createDataFrame([(2, "b", "x")], "id long, name string, tier string"), glue_ctx, "c"
        ),
        "LOG",
    )
    table = catalog.get_table(DatabaseName="lake", Name="custs")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "name"] and table[
        "VersionId"
    ] == "0"
    write(
        DynamicFrame.fromDF(
            spark.createDataFrame([(3, "c", "y")], "id long, name string, tier string"), glue_ctx, "c"
        ),
        "UPDATE_IN_DATABASE",
    )
    table = catalog.get_table(DatabaseName="lake", Name="custs")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "name", "tier"]
    assert table["VersionId"] == "1"


def test_get_sink_needs_catalog_info_and_an_existing_database(glue_ctx, catalog):
    sink = glue_ctx.getSink(path="s3://lake/x/", connection_type="s3", enableUpdateCatalog=True)
    sink.setFormat("json")
    frame = orders_frame(glue_ctx, ["d"])
    with pytest.raises(InvalidInputException, match="setCatalogInfo"):
        sink.writeFrame(frame)
    sink.setCatalogInfo(catalogDatabase="nowhere", catalogTableName="x")
    with pytest.raises(EntityNotFoundException, match="Database nowhere not found"):
        sink.writeFrame(frame)


def test_write_dynamic_frame_from_catalog_uses_the_tables_location_and_format(glue_ctx, sales):
    frame = DynamicFrame.fromDF(
        glue_ctx.spark_session.createDataFrame(
            [(999, 9.5, 2025, "03")], "id long, amount double, year int, month string"
        ),
        glue_ctx,
        "new",
    )
    glue_ctx.write_dynamic_frame.from_catalog(
        frame=frame, database="lake", table_name="sales", additional_options={"enableUpdateCatalog": True}
    )
    assert ["2025", "03"] in [
        p["Values"] for p in sales.get_partitions(DatabaseName="lake", TableName="sales")["Partitions"]
    ]
    back = glue_ctx.create_dynamic_frame.from_catalog(
        database="lake", table_name="sales", push_down_predicate="year = 2025"
    )
    assert rows(back, "id", "amount", "month") == [(999, 9.5, "03")]


def age(path, hours: float) -> None:
    old = time.time() - hours * 3600
    os.utime(path, (old, old))


def test_purge_s3_path_keeps_files_newer_than_the_retention_and_writes_a_manifest(glue_ctx, warehouse):
    folder = warehouse / "tmp" / "stage" / "sub"
    folder.mkdir(parents=True)
    for name, hours in (("old.csv", 200), ("older.csv", 500), ("new.csv", 1)):
        (folder / name).write_text("x\n")
        age(folder / name, hours)
    glue_ctx.purge_s3_path("s3://tmp/stage/", {"manifestFilePath": "s3://tmp/manifest/"})
    assert sorted(p.name for p in folder.iterdir()) == ["new.csv"]  # the default retention is 168 hours
    assert sorted((warehouse / "tmp" / "manifest" / "Success.csv").read_text().split()) == [
        "s3://tmp/stage/sub/old.csv",
        "s3://tmp/stage/sub/older.csv",
    ]
    glue_ctx.purge_s3_path("s3://tmp/stage/", {"retentionPeriod": 0})
    assert list(folder.iterdir()) == []
    with pytest.raises(InvalidInputException, match="retentionPeriod"):
        glue_ctx.purge_s3_path("s3://tmp/stage/", {"retentionPeriod": "soon"})


def test_purge_table_removes_files_and_emptied_partitions(glue_ctx, sales, warehouse):
    for path in (warehouse / "lake" / "sales").rglob("*.json"):
        age(path, 400)
    glue_ctx.purge_table("lake", "sales", {"partitionPredicate": "year = 2023", "retentionPeriod": 24})
    remaining = sorted(
        p["Values"] for p in sales.get_partitions(DatabaseName="lake", TableName="sales")["Partitions"]
    )
    assert remaining == [["2024", "01"], ["2024", "02"]]
    assert not list((warehouse / "lake" / "sales" / "year=2023").rglob("*.json"))
    assert len(list((warehouse / "lake" / "sales" / "year=2024").rglob("*.json"))) == 2
