"""The Data Catalog inside Spark: spark.sql / spark.table / spark.read.table read catalog tables (crawled
or created through the API) with partition pruning and no setup, and see what a later crawl changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gluelab.crawler.run import execute
from tests.helpers import unavailable


def write_csv(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def crawl(services, name: str, path: str | None = None) -> None:  # type: ignore[no-untyped-def]
    if name not in services.crawlers.list_crawlers({})["CrawlerNames"]:
        targets = {"S3Targets": [{"Path": path}]}
        services.crawlers.create_crawler(Name=name, Role="r", DatabaseName="lake", Targets=targets)
    assert execute(services, services.crawlers.begin_crawl(name)) == "COMPLETED"


def scanned_paths(df) -> str:  # type: ignore[no-untyped-def]
    return df._jdf.queryExecution().executedPlan().toString()


@pytest.fixture
def lake(glue_ctx, warehouse):  # type: ignore[no-untyped-def]
    glue_ctx.services.catalog.create_database(DatabaseInput={"Name": "lake"})
    for day in ("2024/01/30", "2024/01/31", "2024/02/01"):
        write_csv(warehouse / "lake" / "sales" / day / "p.csv", ["id,amount", f"{day[-2:]},1.5", "7,2.0"])
    crawl(glue_ctx.services, "sales", "s3://lake/sales/")
    return warehouse / "lake"


def test_spark_sql_reads_a_crawled_table_with_partition_pruning(glue_ctx, lake):
    spark = glue_ctx.spark_session
    rows = spark.sql("SELECT id, amount, partition_2 FROM lake.sales ORDER BY partition_2, id").collect()
    assert [tuple(r) for r in rows] == [
        (1, 1.5, "01"),
        (7, 2.0, "01"),
        (7, 2.0, "30"),
        (30, 1.5, "30"),
        (7, 2.0, "31"),
        (31, 1.5, "31"),
    ]
    pruned = spark.sql("SELECT * FROM lake.sales WHERE partition_1 = '02'")
    assert pruned.count() == 2
    plan = scanned_paths(pruned)
    assert "PartitionFilters" in plan and "(1 paths)" in plan, plan
    assert spark.table("lake.sales").count() == 6
    assert spark.read.table("lake.sales").where("partition_2 = '30'").count() == 2
    assert "sales" in [r["tableName"] for r in spark.sql("SHOW TABLES IN lake").collect()]


def test_spark_sees_what_a_later_crawl_changed(glue_ctx, lake):
    spark = glue_ctx.spark_session
    assert spark.sql("SELECT count(*) FROM lake.sales").first()[0] == 6
    write_csv(lake / "sales" / "2024" / "02" / "02" / "p.csv", ["id,amount,coupon", "9,3.0,SAVE"])
    crawl(glue_ctx.services, "sales")
    assert spark.sql("SELECT count(*) FROM lake.sales").first()[0] == 7
    assert spark.sql("SELECT coupon FROM lake.sales WHERE id = 9").first()[0] == "SAVE"
    glue_ctx.services.catalog.delete_table(DatabaseName="lake", Name="sales")
    with pytest.raises(Exception, match="TABLE_OR_VIEW_NOT_FOUND|cannot be found"):
        spark.sql("SELECT * FROM lake.sales").collect()
    assert (lake / "sales" / "2024" / "01" / "30" / "p.csv").exists()  # dropping from Spark kept the data


def test_tables_created_through_the_api_and_json(glue_ctx, warehouse):
    services = glue_ctx.services
    services.catalog.create_database(DatabaseInput={"Name": "api"})
    folder = warehouse / "api" / "events" / "kind=click"
    folder.mkdir(parents=True)
    (folder / "e.json").write_text(json.dumps({"id": 1, "who": {"name": "ann"}}) + "\n")
    services.catalog.create_table(
        DatabaseName="api",
        TableInput={
            "Name": "events",
            "StorageDescriptor": {
                "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "who", "Type": "struct<name:string>"}],
                "Location": "s3://api/events/",
            },
            "PartitionKeys": [{"Name": "kind", "Type": "string"}],
            "Parameters": {"classification": "json"},
        },
    )
    services.catalog.create_partition(
        DatabaseName="api",
        TableName="events",
        PartitionInput={
            "Values": ["click"],
            "StorageDescriptor": {"Location": "s3://api/events/kind=click/"},
        },
    )
    spark = glue_ctx.spark_session
    spark.sql("USE api")
    try:
        row = spark.sql("SELECT id, who.name, kind FROM events").first()
    finally:
        spark.sql("USE default")
    assert tuple(row) == (1, "ann", "click")


def test_databases_and_table_listings(glue_ctx, lake):
    spark = glue_ctx.spark_session
    glue_ctx.services.catalog.create_database(DatabaseInput={"Name": "empty_db"})
    assert {"lake", "empty_db"} <= {r[0] for r in spark.sql("SHOW DATABASES").collect()}
    assert "sales" in [t.name for t in spark.catalog.listTables("lake")]
    spark.catalog.setCurrentDatabase("lake")
    try:
        assert spark.sql("SELECT count(*) FROM sales").first()[0] == 6
    finally:
        spark.catalog.setCurrentDatabase("default")


def test_a_jdbc_table_reads_through_its_connection(glue_ctx):
    import uuid

    import sqlalchemy as sa

    from tests.helpers import PG_ADMIN_URL, postgres_available

    if not postgres_available():
        unavailable("PostgreSQL is not reachable")
    table = f"bridge_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(PG_ADMIN_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE public.{table} (id int, name text)"))
        conn.execute(sa.text(f"INSERT INTO public.{table} VALUES (1, 'ann'), (2, 'bob')"))
    try:
        services = glue_ctx.services
        services.catalog.create_database(DatabaseInput={"Name": "lake"})
        props = {
            "JDBC_CONNECTION_URL": "jdbc:postgresql://127.0.0.1:5432/test",
            "USERNAME": "postgres",
            "PASSWORD": "x",
        }
        services.catalog.create_connection(
            ConnectionInput={"Name": "pg", "ConnectionType": "JDBC", "ConnectionProperties": props}
        )
        targets = {"JdbcTargets": [{"ConnectionName": "pg", "Path": f"test/public/{table}"}]}
        services.crawlers.create_crawler(Name="pg", Role="r", DatabaseName="lake", Targets=targets)
        assert execute(services, services.crawlers.begin_crawl("pg")) == "COMPLETED"
        rows = glue_ctx.spark_session.sql(f"SELECT name FROM lake.test_public_{table} ORDER BY id").collect()
        assert [r[0] for r in rows] == ["ann", "bob"]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE public.{table}"))
        engine.dispose()
