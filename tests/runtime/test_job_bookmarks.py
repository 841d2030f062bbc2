"""Job bookmarks in runs: files (s3 and catalog tables) and JDBC rows are read once, state advances only on
job.commit(), pause/disable/reset/rewind/range behave as on Glue, and preview says what comes next."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import sqlalchemy as sa

from gluelab.runtime.bookmark_preview import preview
from gluelab.runtime.job import Job
from tests.helpers import PG_ADMIN_URL, postgres_available, unavailable

JOB = "orders-etl"


def drop(warehouse, name: str, ids: list[int]) -> None:
    folder = warehouse / "landing" / "orders"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps({"id": i, "amount": i * 1.5}) + "\n" for i in ids))
    time.sleep(0.01)  # distinct modification times


def run(glue_ctx, option="job-bookmark-enable", commit=True, fail=False, **extra):
    """One run of a bookmarked script; returns the ids it read."""
    job = Job(glue_ctx)
    job.init(JOB, {"job_bookmark_option": option, "JOB_RUN_ID": f"jr_{uuid.uuid4().hex[:8]}", **extra})
    frame = glue_ctx.create_dynamic_frame.from_options(
        "s3", {"paths": ["s3://landing/orders/"]}, "json", transformation_ctx="orders"
    )
    ids = sorted(r["id"] for r in frame.toDF().collect()) if frame.toDF().columns else []
    if fail:
        raise RuntimeError("the script failed before job.commit()")
    if commit:
        job.commit()
    return ids, job.runId


def test_three_runs_with_a_failure_between_read_each_file_once(glue_ctx, warehouse):
    drop(warehouse, "a.json", [1, 2])
    drop(warehouse, "b.json", [3])
    assert run(glue_ctx)[0] == [1, 2, 3]

    drop(warehouse, "c.json", [4])
    with pytest.raises(RuntimeError):
        run(glue_ctx, fail=True)  # read c.json, then failed: nothing committed

    drop(warehouse, "d.json", [5, 6])
    assert run(glue_ctx)[0] == [4, 5, 6]  # c.json again (the failed run did not count), and d.json
    assert run(glue_ctx)[0] == []  # nothing new

    entry = glue_ctx.services.bookmarks.load(JOB)
    assert entry["Run"] == 3
    state = entry["State"]["orders"]
    assert state["kind"] == "s3" and state["source"]["paths"] == ["s3://landing/orders/"]


def test_a_rewritten_file_is_read_again(glue_ctx, warehouse):
    drop(warehouse, "a.json", [1])
    assert run(glue_ctx)[0] == [1]
    drop(warehouse, "a.json", [1, 2])
    assert run(glue_ctx)[0] == [1, 2]


def test_pause_reads_the_increment_without_moving_the_bookmark(glue_ctx, warehouse):
    drop(warehouse, "a.json", [1])
    run(glue_ctx)
    drop(warehouse, "b.json", [2])
    assert run(glue_ctx, option="job-bookmark-pause")[0] == [2]
    assert run(glue_ctx, option="job-bookmark-pause")[0] == [2]
    assert run(glue_ctx)[0] == [2]


def test_disable_reads_everything_and_leaves_the_bookmark(glue_ctx, warehouse):
    drop(warehouse, "a.json", [1])
    run(glue_ctx)
    assert run(glue_ctx, option="job-bookmark-disable")[0] == [1]
    assert glue_ctx.services.bookmarks.load(JOB)["Run"] == 1


def test_reset_and_rewind(glue_ctx, warehouse):
    drop(warehouse, "a.json", [1])
    _, first = run(glue_ctx)
    drop(warehouse, "b.json", [2])
    run(glue_ctx)
    glue_ctx.services.bookmarks.reset_job_bookmark(JobName=JOB, RunId=first)
    assert run(glue_ctx, option="job-bookmark-pause")[0] == [2]  # rewound to after the first run
    glue_ctx.services.bookmarks.reset_job_bookmark(JobName=JOB)
    assert run(glue_ctx)[0] == [1, 2]


def test_pause_with_a_range_of_runs(glue_ctx, warehouse):
    drop(warehouse, "a.json", [1])
    _, first = run(glue_ctx)
    drop(warehouse, "b.json", [2])
    _, second = run(glue_ctx)
    drop(warehouse, "c.json", [3])
    run(glue_ctx)
    ids, _ = run(glue_ctx, option="job-bookmark-pause", job_bookmark_from=first, job_bookmark_to=second)
    assert ids == [2]


def test_preview_lists_what_the_next_run_reads(glue_ctx, warehouse):
    drop(warehouse, "a.json", [1])
    run(glue_ctx)
    drop(warehouse, "b.json", [2])
    drop(warehouse, "c.json", [3])
    items = preview(glue_ctx.services, JOB)
    assert [(i["ctx"], i["count"], i["files"]) for i in items] == [
        ("orders", 2, ["s3://landing/orders/b.json", "s3://landing/orders/c.json"])
    ]
    assert run(glue_ctx)[0] == [2, 3]
    assert preview(glue_ctx.services, JOB)[0]["count"] == 0


def test_catalog_sources_are_bookmarked_across_partitions(glue_ctx, warehouse):
    catalog = glue_ctx.services.catalog
    catalog.create_database(DatabaseInput={"Name": "lake"})
    catalog.create_table(
        DatabaseName="lake",
        TableInput={
            "Name": "events",
            "Parameters": {"classification": "json"},
            "StorageDescriptor": {
                "Location": "s3://lake/events/",
                "Columns": [{"Name": "id", "Type": "bigint"}],
            },
            "PartitionKeys": [{"Name": "day", "Type": "string"}],
        },
    )

    def add(day: str, name: str, ids: list[int]) -> None:
        folder = warehouse / "lake" / "events" / f"day={day}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("".join(json.dumps({"id": i}) + "\n" for i in ids))
        if not any(
            p["Values"] == [day]
            for p in catalog.get_partitions(DatabaseName="lake", TableName="events")["Partitions"]
        ):
            catalog.create_partition(
                DatabaseName="lake",
                TableName="events",
                PartitionInput={
                    "Values": [day],
                    "StorageDescriptor": {"Location": f"s3://lake/events/day={day}/"},
                },
            )
        time.sleep(0.01)

    def read() -> list[tuple[int, str]]:
        job = Job(glue_ctx)
        job.init("events-etl", {"job_bookmark_option": "job-bookmark-enable", "JOB_RUN_ID": uuid.uuid4().hex})
        frame = glue_ctx.create_dynamic_frame.from_catalog(
            database="lake", table_name="events", transformation_ctx="events"
        )
        rows = sorted((r["id"], r["day"]) for r in frame.toDF().collect())
        job.commit()
        return rows

    add("2024-01-01", "a.json", [1, 2])
    assert read() == [(1, "2024-01-01"), (2, "2024-01-01")]
    add("2024-01-01", "b.json", [3])
    add("2024-01-02", "a.json", [4])
    assert read() == [(3, "2024-01-01"), (4, "2024-01-02")]
    assert read() == []


# -- JDBC --------------------------------------------------------------------------------------------
@pytest.fixture
def pg_table():
    if not postgres_available():
        unavailable("PostgreSQL is not reachable")
    name = f"orders_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(PG_ADMIN_URL)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TABLE {name} (region text, seq int, amount numeric(10,2), PRIMARY KEY (region, seq))"
            )
        )
    yield engine, name
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    engine.dispose()


def test_jdbc_rows_are_read_once_by_compound_bookmark_keys(glue_ctx, pg_table):
    engine, table = pg_table
    glue_ctx.services.catalog.create_connection(
        ConnectionInput={
            "Name": "pg",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": "jdbc:postgresql://127.0.0.1:5432/test",
                "USERNAME": "postgres",
                "PASSWORD": "unused",
            },
        }
    )

    def insert(*rows: tuple[str, int]) -> None:
        with engine.begin() as conn:
            for region, seq in rows:
                conn.execute(sa.text(f"INSERT INTO {table} VALUES (:r, :s, 1.5)"), {"r": region, "s": seq})

    def read(keys: list[str] | None = None, commit: bool = True) -> list[tuple[str, int]]:
        job = Job(glue_ctx)
        job.init("pg-etl", {"job_bookmark_option": "job-bookmark-enable", "JOB_RUN_ID": uuid.uuid4().hex})
        options = {"useConnectionProperties": "true", "connectionName": "pg", "dbtable": f"public.{table}"}
        if keys:
            options.update(jobBookmarkKeys=keys, jobBookmarkKeysSortOrder="asc")
        frame = glue_ctx.create_dynamic_frame.from_options("postgresql", options, transformation_ctx="orders")
        rows = sorted((r["region"], r["seq"]) for r in frame.toDF().collect())
        if commit:
            job.commit()
        return rows

    insert(("eu", 1), ("eu", 2), ("us", 1))
    assert read(["region", "seq"]) == [("eu", 1), ("eu", 2), ("us", 1)]
    insert(("us", 2), ("us", 3))
    assert read(["region", "seq"], commit=False) == [("us", 2), ("us", 3)]  # a failed run: not committed
    insert(("zz", 1))
    assert preview(glue_ctx.services, "pg-etl")[0]["count"] == 3
    assert read(["region", "seq"]) == [("us", 2), ("us", 3), ("zz", 1)]
    assert read(["region", "seq"]) == []
    state = glue_ctx.services.bookmarks.load("pg-etl")["State"]["orders"]
    assert state["jdbc"]["last"] == ["zz", 1] and "password" not in json.dumps(state).lower()


def test_jdbc_without_keys_uses_the_primary_key(glue_ctx, pg_table):
    engine, table = pg_table
    with engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {table} VALUES ('a', 1, 1), ('a', 2, 1)"))

    def read() -> int:
        job = Job(glue_ctx)
        job.init("pk-etl", {"job_bookmark_option": "job-bookmark-enable", "JOB_RUN_ID": uuid.uuid4().hex})
        frame = glue_ctx.create_dynamic_frame.from_options(
            "postgresql",
            {
                "url": "jdbc:postgresql://127.0.0.1:5432/test",
                "user": "postgres",
                "password": "x",
                "dbtable": table,
            },
            transformation_ctx="t",
        )
        count = frame.count()
        job.commit()
        return count

    assert read() == 2
    with engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {table} VALUES ('b', 1, 1)"))
    assert read() == 1
    assert glue_ctx.services.bookmarks.load("pk-etl")["State"]["t"]["jdbc"]["keys"] == ["region", "seq"]
