"""The store on SQLite and PostgreSQL: schema, transactions, cascades, and upgrades that keep data."""

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from gluelab.config import Settings
from gluelab.services import Services
from gluelab.store import Store, normalize_url
from gluelab.store.migrations import HEAD, head_revision
from gluelab.store.models import DatabaseRow, PartitionValueRow, TableRow
from tests.helpers import create_pg_database, drop_pg_database

CATALOG_TABLES = {"databases", "tables", "table_versions", "partitions", "partition_values", "connections"}


def test_head_constant_matches_the_migration_scripts():
    assert head_revision() == HEAD


def test_schema_is_at_head(store):
    assert store.current_revision() == head_revision()
    assert set(store.table_names()) >= CATALOG_TABLES


def test_sqlite_uses_wal_and_foreign_keys(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.migrate()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_urls_without_a_driver_get_gluelabs_drivers():
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("mysql://u@h/db").drivername == "mysql+pymysql"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


def test_a_failed_write_leaves_nothing(store):
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(RuntimeError), store.write() as session:
        session.add(DatabaseRow(catalog_id="123456789012", name="half", create_time=now))
        session.flush()
        raise RuntimeError("boom")
    with store.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(DatabaseRow)) == 0


def test_timestamps_come_back_as_aware_utc(store):
    when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with store.write() as session:
        session.add(DatabaseRow(catalog_id="123456789012", name="t", create_time=when))
    with store.read() as session:
        row = session.scalar(sa.select(DatabaseRow))
    assert row.create_time == when and row.create_time.tzinfo == dt.UTC


def test_deleting_a_database_cascades_to_everything_under_it(catalog, store):
    catalog.create_database(DatabaseInput={"Name": "d"})
    catalog.create_table(
        DatabaseName="d", TableInput={"Name": "t", "PartitionKeys": [{"Name": "k", "Type": "string"}]}
    )
    catalog.batch_create_partition(
        DatabaseName="d", TableName="t", PartitionInputList=[{"Values": [str(i)]} for i in range(5)]
    )
    catalog.delete_database(Name="d")
    with store.read() as session:
        for table in CATALOG_TABLES - {"connections"}:
            assert session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 0, table


# -- upgrades ----------------------------------------------------------------------------
def _insert(conn, table: str, **values) -> None:
    conn.execute(sa.table(table, *(sa.column(k) for k in values)).insert().values(**values))


def _seed_revision_0001(store: Store) -> None:
    """Rows as the first release wrote them, before partition values were indexed."""
    now = dt.datetime(2026, 1, 2, 3, 4, 5)
    sd = {"Columns": [{"Name": "amount", "Type": "double"}], "Location": "s3://b/sales/"}
    keys = [{"Name": "year", "Type": "int"}, {"Name": "region", "Type": "string"}]
    empty = "{}"
    with store.engine.begin() as conn:
        _insert(
            conn,
            "databases",
            id=1,
            catalog_id="123456789012",
            name="legacy",
            parameters=empty,
            create_time=now,
            extra=empty,
            tags=empty,
        )
        _insert(
            conn,
            "tables",
            id=1,
            database_id=1,
            name="sales",
            table_type="EXTERNAL_TABLE",
            version_id=0,
            create_time=now,
            update_time=now,
            storage_descriptor=json.dumps(sd),
            partition_keys=json.dumps(keys),
            parameters=empty,
            extra=empty,
        )
        rows = [("2023", "eu"), ("2024", "eu"), ("2024", "us"), ("2025", "us")]
        for i, values in enumerate(rows, 1):
            _insert(
                conn,
                "partitions",
                id=i,
                table_id=1,
                values=json.dumps(values),
                values_hash=f"h{i}",
                creation_time=now,
                parameters=empty,
            )
        _insert(
            conn,
            "connections",
            id=1,
            catalog_id="123456789012",
            name="pg",
            connection_type="JDBC",
            match_criteria="[]",
            connection_properties=json.dumps({"JDBC_CONNECTION_URL": "jdbc:postgresql://h/db"}),
            extra=empty,
            creation_time=now,
            last_updated_time=now,
            status="READY",
            tags=empty,
        )
        if conn.dialect.name == "postgresql":  # explicit ids do not advance the id sequences
            for table in ("databases", "tables", "partitions", "connections"):
                conn.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
                )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrade_from_the_first_migration_keeps_every_row(kind, tmp_path, request):
    if kind == "postgresql":
        request.getfixturevalue("pg_url")  # skips or fails clearly when PostgreSQL is absent
        url = create_pg_database()
        request.addfinalizer(lambda: drop_pg_database(url))
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    store = Store(url)
    store.migrate("0001")
    assert store.current_revision() == "0001"
    assert "partition_values" not in store.table_names()
    _seed_revision_0001(store)

    store.migrate()  # to head, as any gluelab process does on start
    assert store.current_revision() == head_revision()
    with store.read() as session:
        assert session.scalar(sa.select(DatabaseRow.name)) == "legacy"
        assert session.scalar(sa.select(TableRow.name)) == "sales"
        assert session.scalar(sa.select(sa.func.count()).select_from(PartitionValueRow)) == 8  # backfilled

    settings = Settings.load(env={"GLUELAB_HOME": str(tmp_path / "home")}, database_url=url)
    catalog = Services(settings, store).catalog
    found = catalog.get_partitions(
        DatabaseName="legacy", TableName="sales", Expression="year >= 2024 AND region = 'us'"
    )
    assert sorted(p["Values"] for p in found["Partitions"]) == [["2024", "us"], ["2025", "us"]]
    assert catalog.get_connection(Name="pg")["Connection"]["ConnectionType"] == "JDBC"
    assert catalog.get_table(DatabaseName="legacy", Name="sales")["Table"]["TableType"] == "EXTERNAL_TABLE"
    catalog.create_table(DatabaseName="legacy", TableInput={"Name": "wide", "TableType": "T" * 255})  # 0003
    assert (
        catalog.get_table(DatabaseName="legacy", Name="sales")["Table"]["StorageDescriptor"]["Location"]
        == "s3://b/sales/"
    )
    store.dispose()


def test_processes_starting_at_once_on_a_new_sqlite_file_all_succeed(tmp_path):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'race.db'}"
    code = f"from gluelab.store import Store; Store({url!r}).migrate()"
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(4)]
    results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in procs]
    assert [rc for rc, _ in results] == [0, 0, 0, 0], results
    assert Store(url).current_revision() == head_revision()
