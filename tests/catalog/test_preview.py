"""GetTablePreview: a table's first rows without Spark, from crawled CSV (partitioned, gzip, a malformed
row), JSON (lines and one array), Parquet, ORC, and JDBC tables on the machine's PostgreSQL and MariaDB;
and the errors a user meets (format it cannot read, bad MaxRows, unknown table, a location leaving the
warehouse)."""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import json
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from gluelab.catalog import preview
from gluelab.catalog.formats import storage_for
from gluelab.crawler.run import execute
from gluelab.errors import EntityNotFoundException, InvalidInputException
from tests.helpers import PG_ADMIN_URL, engine_or_unavailable

MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
MARIADB_USER, PASSWORD = "gluelab_preview_tests", "preview-pw"


def _crawl(services, path: str) -> None:  # type: ignore[no-untyped-def]
    services.catalog.create_database(DatabaseInput={"Name": "lake"})
    services.crawlers.create_crawler(
        Name="c", Role="r", DatabaseName="lake", Targets={"S3Targets": [{"Path": path}]}
    )
    execute(services, services.crawlers.begin_crawl("c"))


def _table(services, name: str, fmt: str, location: str, columns: list[tuple[str, str]], **options) -> None:  # type: ignore[no-untyped-def]
    descriptor, params = storage_for(fmt, options)
    descriptor.update(Columns=[{"Name": n, "Type": t} for n, t in columns], Location=location)
    if not services.catalog.get_databases()["DatabaseList"]:
        services.catalog.create_database(DatabaseInput={"Name": "lake"})
    services.catalog.create_table(
        DatabaseName="lake",
        TableInput={"Name": name, "StorageDescriptor": descriptor, "Parameters": params},
    )


def test_crawled_partitioned_csv(services):
    root = services.settings.warehouse_dir / "raw" / "sales"
    header = "order_id,customer,amount\n"
    (root / "dt=2024-01-01").mkdir(parents=True)
    (root / "dt=2024-01-01" / "part-0.csv").write_text(header + "1,ann,10.5\n2,bob,3\n")
    (root / "dt=2024-01-02").mkdir()
    with gzip.open(root / "dt=2024-01-02" / "part-0.csv.gz", "wt") as handle:
        handle.write(header + "3,cy,7\n4,dee\n")  # the last row is short: shown padded, not dropped
    (root / "_SUCCESS").write_text("")
    _crawl(services, "s3://raw/sales/")
    answer = services.catalog.get_table_preview(DatabaseName="lake", Name="sales")
    assert answer["Columns"] == ["order_id", "customer", "amount", "dt"]
    assert answer["Rows"] == [
        ["1", "ann", "10.5", "2024-01-01"],
        ["2", "bob", "3", "2024-01-01"],
        ["3", "cy", "7", "2024-01-02"],
        ["4", "dee", None, "2024-01-02"],
    ]
    assert answer["Truncated"] is False and answer["FilesRead"] == 2
    first = services.catalog.get_table_preview(DatabaseName="lake", Name="sales", MaxRows=3)
    assert len(first["Rows"]) == 3 and first["Truncated"] is True and first["FilesRead"] == 2


def test_json_lines_nested_and_one_array(services):
    root = services.settings.warehouse_dir / "raw" / "customers"
    root.mkdir(parents=True)
    lines = [{"id": 1, "name": "ann", "address": {"city": "Oslo"}}, {"id": 2, "tags": ["a", "b"]}]
    (root / "a.json").write_text("\n".join(json.dumps(r) for r in lines) + "\n{not json\n")
    (root / "b.json").write_text(json.dumps([{"id": 3, "name": "cy"}]))
    columns = [
        ("id", "int"),
        ("name", "string"),
        ("address", "struct<city:string>"),
        ("tags", "array<string>"),
    ]
    _table(services, "customers", "json", "s3://raw/customers/", columns)
    answer = services.catalog.get_table_preview(DatabaseName="lake", Name="customers")
    assert answer["Rows"] == [
        [1, "ann", {"city": "Oslo"}, None],
        [2, None, None, ["a", "b"]],
        [3, "cy", None, None],
    ]


def test_parquet_and_orc_values_as_json_carries_them(services):
    root = services.settings.warehouse_dir / "lake"
    data = pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "amount": pa.array([decimal.Decimal("1.50"), None], pa.decimal128(10, 2)),
            "at": pa.array([dt.datetime(2024, 1, 1, 12, 30), dt.datetime(2024, 1, 2)], pa.timestamp("us")),
            "raw": pa.array([b"\x00\x01", b"x"], pa.binary()),
        }
    )
    (root / "p").mkdir(parents=True)
    pq.write_table(data, root / "p" / "part-0.parquet")
    (root / "o").mkdir()
    orc.write_table(data, root / "o" / "part-0.orc")
    columns = [("id", "bigint"), ("amount", "decimal(10,2)"), ("at", "timestamp"), ("raw", "binary")]
    _table(services, "p", "parquet", "s3://lake/p/", columns)
    _table(services, "o", "orc", "s3://lake/o/", columns)
    expected = [[1, "1.50", "2024-01-01T12:30:00", "AAE="], [2, None, "2024-01-02T00:00:00", "eA=="]]
    for name in ("p", "o"):
        answer = services.catalog.get_table_preview(DatabaseName="lake", Name=name)
        assert answer["Columns"] == ["id", "amount", "at", "raw"]
        assert answer["Rows"] == expected, name


@pytest.mark.parametrize(
    ("admin_url", "jdbc_url", "user", "classification"),
    [
        (PG_ADMIN_URL, "jdbc:postgresql://127.0.0.1:5432/test", "postgres", "postgresql"),
        (MARIADB_URL, "jdbc:mysql://127.0.0.1:3306/test", MARIADB_USER, "mysql"),
    ],
)
def test_jdbc_table(services, admin_url, jdbc_url, user, classification):
    engine = engine_or_unavailable(admin_url)
    name = f"preview_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        if classification == "mysql":  # a user with a password, as Glue connections have
            connection.execute(
                sa.text(f"CREATE USER IF NOT EXISTS '{MARIADB_USER}'@'%' IDENTIFIED BY '{PASSWORD}'")
            )
            connection.execute(sa.text(f"GRANT SELECT ON test.* TO '{MARIADB_USER}'@'%'"))
        connection.execute(sa.text(f"CREATE TABLE {name} (id int, note varchar(20), at date)"))
        connection.execute(
            sa.text(
                f"INSERT INTO {name} VALUES (1, 'one', '2024-03-01'), (2, NULL, '2024-03-02'), (3, 'x', NULL)"
            )
        )
    try:
        services.catalog.create_connection(
            ConnectionInput={
                "Name": "db",
                "ConnectionType": "JDBC",
                "ConnectionProperties": {
                    "JDBC_CONNECTION_URL": jdbc_url,
                    "USERNAME": user,
                    "PASSWORD": PASSWORD,  # PostgreSQL trusts 127.0.0.1: any password passes
                },
            }
        )
        location = f"test.public.{name}" if classification == "postgresql" else f"test.{name}"
        services.catalog.create_database(DatabaseInput={"Name": "lake"})
        services.catalog.create_table(
            DatabaseName="lake",
            TableInput={
                "Name": name,
                "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "int"}], "Location": location},
                "Parameters": {"classification": classification, "connectionName": "db"},
            },
        )
        answer = services.catalog.get_table_preview(DatabaseName="lake", Name=name, MaxRows=2)
        assert answer["Columns"] == ["id", "note", "at"]
        assert answer["Rows"] == [[1, "one", "2024-03-01"], [2, None, "2024-03-02"]]
        assert answer["Truncated"] is True
        services.catalog.update_table(
            DatabaseName="lake",
            TableInput={
                "Name": name,
                "StorageDescriptor": {"Columns": [], "Location": location + "_gone"},
                "Parameters": {"classification": classification, "connectionName": "db"},
            },
        )
        with pytest.raises(InvalidInputException, match=f"JDBC table .*{name}_gone"):
            services.catalog.get_table_preview(DatabaseName="lake", Name=name)
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP TABLE {name}"))
        engine.dispose()


def test_errors_say_what_is_wrong(services, monkeypatch):
    _table(services, "events", "avro", "s3://lake/events/", [("id", "int")])
    with pytest.raises(InvalidInputException, match="not avro; read it with Spark"):
        services.catalog.get_table_preview(DatabaseName="lake", Name="events")
    _table(services, "escape", "csv", "s3://lake/../etc/", [("id", "int")])
    with pytest.raises(InvalidInputException, match="leaves its bucket"):
        services.catalog.get_table_preview(DatabaseName="lake", Name="escape")
    for bad in (0, 101, "5", True):
        with pytest.raises(InvalidInputException, match="MaxRows must be an integer from 1 to 100"):
            services.catalog.get_table_preview(DatabaseName="lake", Name="escape", MaxRows=bad)
    with pytest.raises(EntityNotFoundException):
        services.catalog.get_table_preview(DatabaseName="lake", Name="nope")
    with pytest.raises(InvalidInputException, match="GetTablePreview does not take Rows"):
        services.catalog.get_table_preview(DatabaseName="lake", Name="events", Rows=3)
    big = services.settings.warehouse_dir / "lake" / "big"
    big.mkdir(parents=True)
    (big / "all.json").write_text(json.dumps([{"id": i} for i in range(200)]))
    _table(services, "big", "json", "s3://lake/big/", [("id", "int")])
    monkeypatch.setattr(preview, "_WHOLE_JSON_LIMIT", 1024)  # one array file too big to parse whole
    with pytest.raises(InvalidInputException, match="all.json holds one JSON array over"):
        services.catalog.get_table_preview(DatabaseName="lake", Name="big")
    outside = services.settings.home / "secret.csv"  # a warehouse file linking out of the warehouse
    outside.write_text("password\n")
    linked = services.settings.warehouse_dir / "lake" / "linked"
    linked.mkdir(parents=True)
    (linked / "a.csv").symlink_to(outside)
    _table(services, "linked", "csv", "s3://lake/linked/", [("id", "string")])
    with pytest.raises(InvalidInputException, match="points outside the warehouse"):
        services.catalog.get_table_preview(DatabaseName="lake", Name="linked")
    # a table whose folder does not exist yet previews as empty, not as an error
    _table(services, "later", "csv", "s3://lake/later/", [("id", "int")])
    answer = services.catalog.get_table_preview(DatabaseName="lake", Name="later")
    assert answer["Rows"] == [] and answer["FilesRead"] == 0


def test_preview_over_the_api(glue, server):
    """The lab calls it through the same endpoint boto3 uses (own actions are not in boto3's model)."""
    warehouse = Path(server.home) / "warehouse" / "lake" / "t"
    warehouse.mkdir(parents=True, exist_ok=True)
    (warehouse / "a.csv").write_text("1,x\n")
    glue.create_database(DatabaseInput={"Name": "lake"})
    descriptor, params = storage_for("csv", {"writeHeader": False})
    descriptor.update(
        Columns=[{"Name": "id", "Type": "int"}, {"Name": "v", "Type": "string"}], Location="s3://lake/t/"
    )
    glue.create_table(
        DatabaseName="lake", TableInput={"Name": "t", "StorageDescriptor": descriptor, "Parameters": params}
    )
    status, body = server.call("GetTablePreview", {"DatabaseName": "lake", "Name": "t"})
    assert status == 200, body
    assert body["Rows"] == [["1", "x"]]
