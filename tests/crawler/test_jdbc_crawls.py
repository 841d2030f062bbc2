"""JDBC targets on the PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306) of the machine: include
paths with %, exclusions, column types, views, and a changed table on a re-crawl."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from gluelab.crawler.run import execute
from tests.helpers import PG_ADMIN_URL, engine_or_unavailable

MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
USER, PASSWORD = "gluelab_crawl_tests", "crawl-pw"  # a MariaDB user the test creates


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    engine = engine_or_unavailable(PG_ADMIN_URL)
    schema = f"crawl_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        conn.execute(
            sa.text(
                f"CREATE TABLE {schema}.orders (id serial PRIMARY KEY, amount numeric(10,2),"
                " placed timestamp, note text, paid boolean, qty smallint, big bigint,"
                " ratio double precision, tags text[])"
            )
        )
        conn.execute(sa.text(f"CREATE TABLE {schema}.customers (id bigint, name varchar(50), born date)"))
        conn.execute(sa.text(f"CREATE TABLE {schema}.audit_log (id int)"))
        conn.execute(sa.text(f"CREATE VIEW {schema}.big_orders AS SELECT id, amount FROM {schema}.orders"))
    yield schema
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def _connection(services, name: str, url: str, user: str, password: str = "unused") -> None:  # type: ignore[no-untyped-def]
    props = {"JDBC_CONNECTION_URL": url, "USERNAME": user, "PASSWORD": password}
    services.catalog.create_connection(
        ConnectionInput={"Name": name, "ConnectionType": "JDBC", "ConnectionProperties": props}
    )


def _crawl(services, name: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    execute(services, services.crawlers.begin_crawl(name))
    return services.crawlers.list_crawls(CrawlerName=name, MaxResults=1)["Crawls"][0]


def _columns(services, table: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    t = services.catalog.get_table(DatabaseName="lake", Name=table)["Table"]
    return [(c["Name"], c["Type"]) for c in t["StorageDescriptor"]["Columns"]]


def test_postgresql_target(services, postgres_schema):
    schema = postgres_schema
    services.catalog.create_database(DatabaseInput={"Name": "lake"})
    _connection(services, "pg", "jdbc:postgresql://127.0.0.1:5432/test", "postgres")
    targets = {
        "JdbcTargets": [{"ConnectionName": "pg", "Path": f"test/{schema}/%", "Exclusions": ["**/audit_*"]}]
    }
    services.crawlers.create_crawler(Name="pg", Role="r", DatabaseName="lake", Targets=targets)
    entry = _crawl(services, "pg")
    assert entry["State"] == "COMPLETED", entry.get("ErrorMessage")
    names = sorted(t["Name"] for t in services.catalog.get_tables(DatabaseName="lake")["TableList"])
    assert names == [f"test_{schema}_big_orders", f"test_{schema}_customers", f"test_{schema}_orders"]
    assert _columns(services, f"test_{schema}_orders") == [
        ("id", "int"),
        ("amount", "decimal(10,2)"),
        ("placed", "timestamp"),
        ("note", "string"),
        ("paid", "boolean"),
        ("qty", "smallint"),
        ("big", "bigint"),
        ("ratio", "double"),
        ("tags", "array<string>"),
    ]
    assert _columns(services, f"test_{schema}_customers") == [
        ("id", "bigint"),
        ("name", "string"),
        ("born", "date"),
    ]
    orders = services.catalog.get_table(DatabaseName="lake", Name=f"test_{schema}_orders")["Table"]
    assert orders["StorageDescriptor"]["Location"] == f"test.{schema}.orders"
    assert orders["Parameters"]["classification"] == "postgresql"
    assert orders["Parameters"]["connectionName"] == "pg"
    view = services.catalog.get_table(DatabaseName="lake", Name=f"test_{schema}_big_orders")["Table"]
    assert view["Parameters"]["typeOfData"] == "view"

    engine = sa.create_engine(PG_ADMIN_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"ALTER TABLE {schema}.customers ADD COLUMN email text"))
    engine.dispose()
    again = _crawl(services, "pg")
    assert again["State"] == "COMPLETED"
    assert _columns(services, f"test_{schema}_customers")[-1] == ("email", "string")
    versions = services.catalog.get_table_versions(DatabaseName="lake", TableName=f"test_{schema}_customers")
    assert len(versions["TableVersions"]) == 2


def test_mariadb_target(services):
    engine = engine_or_unavailable(MARIADB_URL)
    prefix = f"crawl_{uuid.uuid4().hex[:6]}"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TABLE {prefix}_items (id INT PRIMARY KEY, price DECIMAL(8,3), name VARCHAR(20),"
                " at DATETIME, n TINYINT, f FLOAT, d DOUBLE)"
            )
        )
        conn.execute(sa.text(f"CREATE USER IF NOT EXISTS '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'"))
        conn.execute(sa.text(f"GRANT ALL PRIVILEGES ON test.* TO '{USER}'@'%'"))
        conn.execute(sa.text(f"CREATE TABLE {prefix}_other (x INT)"))
    try:
        services.catalog.create_database(DatabaseInput={"Name": "lake"})
        _connection(services, "maria", "jdbc:mysql://127.0.0.1:3306/test", USER, PASSWORD)
        targets = {"JdbcTargets": [{"ConnectionName": "maria", "Path": f"test/{prefix}_i%"}]}
        services.crawlers.create_crawler(
            Name="maria", Role="r", DatabaseName="lake", Targets=targets, TablePrefix="m_"
        )
        entry = _crawl(services, "maria")
        assert entry["State"] == "COMPLETED", entry.get("ErrorMessage")
        names = [t["Name"] for t in services.catalog.get_tables(DatabaseName="lake")["TableList"]]
        assert names == [f"m_test_{prefix}_items"]
        assert _columns(services, f"m_test_{prefix}_items") == [
            ("id", "int"),
            ("price", "decimal(8,3)"),
            ("name", "string"),
            ("at", "timestamp"),
            ("n", "tinyint"),
            ("f", "float"),
            ("d", "double"),
        ]
        table = services.catalog.get_table(DatabaseName="lake", Name=f"m_test_{prefix}_items")["Table"]
        assert table["StorageDescriptor"]["Location"] == f"test.{prefix}_items"
        assert table["Parameters"]["classification"] == "mysql"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {prefix}_items, {prefix}_other"))
        engine.dispose()


def test_bad_jdbc_targets_fail_the_crawl_clearly(services):
    services.catalog.create_database(DatabaseInput={"Name": "lake"})
    _connection(services, "pg", "jdbc:postgresql://127.0.0.1:5432/test", "postgres")
    for name, path, fragment in (
        ("shape", "test", "database/schema/table"),
        ("nodb", "no_such_db_here/public/%", "cannot read no_such_db_here"),
    ):
        targets = {"JdbcTargets": [{"ConnectionName": "pg", "Path": path}]}
        services.crawlers.create_crawler(Name=name, Role="r", DatabaseName="lake", Targets=targets)
        entry = _crawl(services, name)
        assert entry["State"] == "FAILED" and fragment in entry["ErrorMessage"], entry
    targets = {"JdbcTargets": [{"ConnectionName": "ghost", "Path": "test/public/%"}]}
    services.crawlers.create_crawler(Name="ghost", Role="r", DatabaseName="lake", Targets=targets)
    entry = _crawl(services, "ghost")
    assert entry["State"] == "FAILED" and "ghost" in entry["ErrorMessage"]
