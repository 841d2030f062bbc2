"""A refusal changes nothing: a Batch* action whose every entry fails answers with the errors and leaves
every row of the store as it was (no partition version bumped, no timestamp touched); one that partly
fails changes exactly what succeeded. On SQLite and on PostgreSQL, through a real ``gluelab serve`` and
boto3, with the store's rows read directly before and after.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tests.helpers import ServerProcess

SERVER_ENV = {"GLUELAB_SCHEDULER": "false"}  # no lease or event writes between two snapshots
DB = "refusals"
KEY = {"Name": "k", "Type": "string"}

Rows = dict[str, dict[tuple[Any, ...], dict[str, str]]]


class StoreRows:
    """Every row of every table of the server's store, keyed by primary key, values made comparable."""

    def __init__(self, server: ServerProcess):
        url = server.env.get("GLUELAB_DATABASE_URL") or f"sqlite:///{server.home / 'gluelab.db'}"
        self.engine = sa.create_engine(url)
        metadata = sa.MetaData()
        metadata.reflect(self.engine)
        self.tables = [t for t in metadata.sorted_tables if t.name != "alembic_version"]

    def snapshot(self) -> Rows:
        rows: Rows = {}
        with self.engine.connect() as conn:
            for table in self.tables:
                key = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
                rows[table.name] = {
                    tuple(row[k] for k in key): {c: _comparable(v) for c, v in row.items()}
                    for row in conn.execute(sa.select(table)).mappings()
                }
        return rows

    def partition_versions(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT name, partition_version FROM tables")).all())

    def close(self) -> None:
        self.engine.dispose()


def _comparable(value: Any) -> str:
    return repr(value) if isinstance(value, str | bytes) else json.dumps(value, sort_keys=True, default=repr)


def changes(before: Rows, after: Rows) -> set[tuple[str, str]]:
    """What changed, as (table, "added" | "deleted" | "<column> changed") pairs."""
    found: set[tuple[str, str]] = set()
    for name in before:
        old, new = before[name], after[name]
        found |= {(name, "added") for _ in new.keys() - old.keys()}
        found |= {(name, "deleted") for _ in old.keys() - new.keys()}
        for key in old.keys() & new.keys():
            found |= {(name, f"{c} changed") for c in old[key] if old[key][c] != new[key][c]}
    return found


@pytest.fixture
def store(server: ServerProcess) -> Iterator[StoreRows]:
    view = StoreRows(server)
    yield view
    view.close()


@pytest.fixture
def seeded(glue):  # type: ignore[no-untyped-def]
    """A table ``t`` partitioned by k with partitions 1 and 2, at version 1 (version 0 archived); a table
    ``u``; a connection; a job without runs."""
    glue.create_database(DatabaseInput={"Name": DB})
    glue.create_table(DatabaseName=DB, TableInput={"Name": "t", "PartitionKeys": [KEY]})
    glue.update_table(DatabaseName=DB, TableInput={"Name": "t", "PartitionKeys": [KEY], "Description": "1"})
    glue.create_table(DatabaseName=DB, TableInput={"Name": "u"})
    glue.batch_create_partition(
        DatabaseName=DB, TableName="t", PartitionInputList=[{"Values": ["1"]}, {"Values": ["2"]}]
    )
    glue.create_connection(
        ConnectionInput={
            "Name": "c1",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": "jdbc:postgresql://127.0.0.1:5432/none",
                "USERNAME": "u",
                "PASSWORD": "p",
            },
        }
    )
    glue.create_job(
        Name="j", Role="r", Command={"Name": "pythonshell", "ScriptLocation": "s3://scripts/s.py"}
    )
    return glue


T = {"DatabaseName": DB, "TableName": "t"}

# Every Batch* action with entries that all fail, and the key of its answer that lists the failures.
ALL_FAILING: dict[str, tuple[dict[str, Any], str, int]] = {
    "batch_create_partition": (
        {**T, "PartitionInputList": [{"Values": ["1"]}, {"Values": ["2"]}, {"Values": ["3", "extra"]}]},
        "Errors",
        3,
    ),
    "batch_update_partition": (
        {
            **T,
            "Entries": [
                {"PartitionValueList": ["missing"], "PartitionInput": {"Values": ["missing"]}},
                {"PartitionValueList": ["1"], "PartitionInput": {"Values": ["2"]}},  # 2 exists
                {"PartitionValueList": ["2"], "PartitionInput": {"Values": ["2", "extra"]}},
            ],
        },
        "Errors",
        3,
    ),
    "batch_delete_partition": (
        {**T, "PartitionsToDelete": [{"Values": ["missing"]}, {"Values": ["1", "extra"]}]},
        "Errors",
        2,
    ),
    "batch_delete_table": ({"DatabaseName": DB, "TablesToDelete": ["missing", "gone"]}, "Errors", 2),
    "batch_delete_table_version": ({**T, "VersionIds": ["1", "99", "x"]}, "Errors", 3),  # 1 is current
    "batch_delete_connection": ({"ConnectionNameList": ["missing", "gone"]}, "Errors", 2),
    "batch_stop_job_run": ({"JobName": "j", "JobRunIds": ["jr_missing", "jr_gone"]}, "Errors", 2),
    "batch_get_partition": ({**T, "PartitionsToGet": [{"Values": ["missing"]}]}, "Partitions", 0),
    "batch_get_jobs": ({"JobNames": ["missing"]}, "JobsNotFound", 1),
    "batch_get_triggers": ({"TriggerNames": ["missing"]}, "TriggersNotFound", 1),
    "batch_get_workflows": ({"Names": ["missing"]}, "MissingWorkflows", 1),
}


@pytest.mark.parametrize("action", sorted(ALL_FAILING))
def test_a_batch_whose_every_entry_fails_changes_no_row(seeded, store, action):
    request, listed, count = ALL_FAILING[action]
    before = store.snapshot()
    answer = getattr(seeded, action)(**request)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(answer[listed]) == count, answer
    assert changes(before, store.snapshot()) == set()


PARTLY_FAILING: dict[str, tuple[dict[str, Any], set[tuple[str, str]]]] = {
    "batch_create_partition": (
        {**T, "PartitionInputList": [{"Values": ["3"]}, {"Values": ["1"]}]},
        {("partitions", "added"), ("partition_values", "added"), ("tables", "partition_version changed")},
    ),
    "batch_update_partition": (
        {
            **T,
            "Entries": [
                {"PartitionValueList": ["1"], "PartitionInput": {"Values": ["1"], "Parameters": {"p": "v"}}},
                {"PartitionValueList": ["missing"], "PartitionInput": {"Values": ["missing"]}},
            ],
        },
        {("partitions", "parameters changed"), ("tables", "partition_version changed")},
    ),
    "batch_delete_partition": (
        {**T, "PartitionsToDelete": [{"Values": ["1"]}, {"Values": ["missing"]}]},
        {("partitions", "deleted"), ("partition_values", "deleted"), ("tables", "partition_version changed")},
    ),
    "batch_delete_table": (
        {"DatabaseName": DB, "TablesToDelete": ["u", "missing"]},
        {("tables", "deleted"), ("table_versions", "deleted")},
    ),
    "batch_delete_table_version": ({**T, "VersionIds": ["0", "99"]}, {("table_versions", "deleted")}),
    "batch_delete_connection": ({"ConnectionNameList": ["c1", "missing"]}, {("connections", "deleted")}),
}


@pytest.mark.parametrize("action", sorted(PARTLY_FAILING))
def test_a_batch_that_partly_fails_changes_only_what_succeeded(seeded, store, action):
    request, expected = PARTLY_FAILING[action]
    before = store.snapshot()
    answer = getattr(seeded, action)(**request)
    assert len(answer["Errors"]) == 1, answer
    after = store.snapshot()
    assert changes(before, after) == expected
    for name, change in expected:  # one row each: the entry that succeeded
        if change in ("added", "deleted"):
            assert abs(len(after[name]) - len(before[name])) == 1, name


def test_an_all_failing_batch_leaves_the_partition_version_spark_sessions_watch(seeded, store):
    """What the issue saw: the table's partition version moved although no partition did."""
    before = store.partition_versions()
    for _ in range(3):
        seeded.batch_create_partition(**T, PartitionInputList=[{"Values": ["1"]}])
        seeded.batch_update_partition(
            **T, Entries=[{"PartitionValueList": ["9"], "PartitionInput": {"Values": ["9"]}}]
        )
        seeded.batch_delete_partition(**T, PartitionsToDelete=[{"Values": ["missing"]}])
    assert store.partition_versions() == before
    seeded.batch_create_partition(**T, PartitionInputList=[{"Values": ["4"]}, {"Values": ["1"]}])
    assert store.partition_versions() == {**before, "t": before["t"] + 1}
