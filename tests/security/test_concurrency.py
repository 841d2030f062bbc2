"""Concurrent changes of one entity, on SQLite and on PostgreSQL: each one succeeds (serialised) or is
Glue's ConcurrentModificationException, never a 500, and versions and counters stay consistent.

A few threads, a few dozen calls each: a real ``gluelab serve`` with boto3 clients for the API, the
services themselves for what only runs and the runtime do (a run's end, a bookmark commit)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gluelab.services import Services
from tests.helpers import ServerProcess

THREADS = 4
SLEEPY = "import time\ntime.sleep(60)\n"  # a pythonshell run that stays RUNNING until it is stopped


def _in_threads(work: Callable[[int], list[str]], threads: int = THREADS) -> Counter[str]:
    """Run ``work(thread_number)`` in ``threads`` threads at once; count the outcomes they return."""
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def run(number: int) -> None:
        try:
            start.wait()
            got = work(number)
            with lock:
                outcomes.extend(got)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not failures, failures
    return Counter(outcomes)


def _outcome(call: Callable[[], Any]) -> str:
    """ "ok", or the error code of a 4xx; a 5xx fails the test with what the server said."""
    try:
        call()
    except ClientError as error:
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        assert status < 500, error.response
        return error.response["Error"]["Code"]
    return "ok"


def _versions(glue, database: str, table: str) -> list[int]:  # type: ignore[no-untyped-def]
    pages = glue.get_paginator("get_table_versions").paginate(DatabaseName=database, TableName=table)
    return sorted(int(v["VersionId"]) for page in pages for v in page["TableVersions"])


@pytest.fixture
def clients(server: ServerProcess):  # type: ignore[no-untyped-def]
    """One boto3 client per thread (made here: creating clients is not thread-safe)."""
    return [server.client() for _ in range(THREADS)]


def test_concurrent_update_table_serialises_versions(glue, clients) -> None:
    glue.create_database(DatabaseInput={"Name": "race"})
    glue.create_table(DatabaseName="race", TableInput={"Name": "t", "Parameters": {"n": "start"}})

    def update(number: int) -> list[str]:
        return [
            _outcome(
                lambda i=i: clients[number].update_table(
                    DatabaseName="race", TableInput={"Name": "t", "Parameters": {"n": f"{number}-{i}"}}
                )
            )
            for i in range(25)
        ]

    outcomes = _in_threads(update)
    assert set(outcomes) <= {"ok", "ConcurrentModificationException"}, outcomes
    succeeded = outcomes["ok"]
    assert succeeded >= 1
    assert _versions(glue, "race", "t") == list(range(succeeded + 1))  # no gap, no duplicate
    assert glue.get_table(DatabaseName="race", Name="t")["Table"]["VersionId"] == str(succeeded)


def test_update_table_with_a_stale_version_id_is_a_concurrent_modification(glue, clients) -> None:
    glue.create_database(DatabaseInput={"Name": "optimistic"})
    glue.create_table(DatabaseName="optimistic", TableInput={"Name": "t"})

    def read_then_update(number: int) -> list[str]:
        client, outcomes = clients[number], []
        for i in range(8):
            seen = client.get_table(DatabaseName="optimistic", Name="t")["Table"]["VersionId"]
            table_input = {"Name": "t", "Parameters": {"by": f"{number}-{i}"}}
            outcomes.append(
                _outcome(
                    lambda s=seen, t=table_input: client.update_table(
                        DatabaseName="optimistic", TableInput=t, VersionId=s
                    )
                )
            )
        return outcomes

    outcomes = _in_threads(read_then_update)
    assert set(outcomes) <= {"ok", "ConcurrentModificationException"}, outcomes
    assert _versions(glue, "optimistic", "t") == list(range(outcomes["ok"] + 1))

    current = glue.get_table(DatabaseName="optimistic", Name="t")["Table"]
    stale = str(int(current["VersionId"]) - 1)
    with pytest.raises(glue.exceptions.ConcurrentModificationException):
        glue.update_table(DatabaseName="optimistic", TableInput={"Name": "t"}, VersionId=stale)
    after = glue.get_table(DatabaseName="optimistic", Name="t")["Table"]
    assert after["VersionId"] == current["VersionId"] and after["Parameters"] == current["Parameters"]


def test_concurrent_partition_writes_create_each_partition_once(glue, clients) -> None:
    glue.create_database(DatabaseInput={"Name": "parts"})
    glue.create_table(
        DatabaseName="parts",
        TableInput={"Name": "t", "PartitionKeys": [{"Name": "day", "Type": "string"}]},
    )
    glue.create_partition(DatabaseName="parts", TableName="t", PartitionInput={"Values": ["shared"]})
    days = [f"d{i:02d}" for i in range(20)]

    def write(number: int) -> list[str]:
        client, outcomes = clients[number], []
        for start in range(0, len(days), 5):  # every thread creates every day, five at a time
            chunk = days[start : start + 5]
            answer = client.batch_create_partition(
                DatabaseName="parts",
                TableName="t",
                PartitionInputList=[{"Values": [d], "Parameters": {"by": str(number)}} for d in chunk],
            )
            failed = [e["ErrorDetail"]["ErrorCode"] for e in answer["Errors"]]
            outcomes += failed + ["created"] * (len(chunk) - len(failed))
            outcomes.append(
                _outcome(
                    lambda s=start: client.update_partition(
                        DatabaseName="parts",
                        TableName="t",
                        PartitionValueList=["shared"],
                        PartitionInput={"Values": ["shared"], "Parameters": {"by": f"{number}-{s}"}},
                    )
                )
            )
        return outcomes

    outcomes = _in_threads(write)
    assert outcomes["created"] == len(days)  # each day exactly once, whoever won it
    assert outcomes["AlreadyExistsException"] == len(days) * (THREADS - 1)
    assert set(outcomes) <= {"created", "AlreadyExistsException", "ok", "ConcurrentModificationException"}
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName="parts", TableName="t")
    values = sorted(p["Values"][0] for page in pages for p in page["Partitions"])
    assert values == sorted([*days, "shared"])


def test_concurrent_start_job_run_admits_exactly_max_concurrent_runs(server, glue, clients) -> None:
    script = server.home / "warehouse" / "scripts" / "sleepy.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(SLEEPY)
    glue.create_job(
        Name="crowded",
        Role="r",
        Command={"Name": "pythonshell", "ScriptLocation": "s3://scripts/sleepy.py"},
        ExecutionProperty={"MaxConcurrentRuns": 2},
    )
    accepted: list[str] = []

    def start(number: int) -> list[str]:
        outcomes = []
        for _ in range(3):
            try:
                accepted.append(clients[number].start_job_run(JobName="crowded")["JobRunId"])
                outcomes.append("ok")
            except ClientError as error:
                assert error.response["ResponseMetadata"]["HTTPStatusCode"] < 500, error.response
                outcomes.append(error.response["Error"]["Code"])
        return outcomes

    try:
        outcomes = _in_threads(start)
        assert outcomes == Counter({"ok": 2, "ConcurrentRunsExceededException": 3 * THREADS - 2})
        runs = glue.get_job_runs(JobName="crowded")["JobRuns"]
        assert sorted(r["Id"] for r in runs) == sorted(accepted)
        assert all(r["Attempt"] == 0 for r in runs)
    finally:
        if accepted:
            glue.batch_stop_job_run(JobName="crowded", JobRunIds=accepted)


def test_concurrent_workflow_runs_respect_max_concurrent_runs(server, glue, clients) -> None:
    script = server.home / "warehouse" / "scripts" / "sleepy.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(SLEEPY)
    glue.create_job(
        Name="step",
        Role="r",
        Command={"Name": "pythonshell", "ScriptLocation": "s3://scripts/sleepy.py"},
        ExecutionProperty={"MaxConcurrentRuns": 10},
    )
    glue.create_workflow(Name="flow", MaxConcurrentRuns=1)
    glue.create_trigger(
        Name="flow_start", WorkflowName="flow", Type="ON_DEMAND", Actions=[{"JobName": "step"}]
    )
    try:
        outcomes = _in_threads(
            lambda n: [_outcome(lambda: clients[n].start_workflow_run(Name="flow")) for _ in range(3)]
        )
        assert outcomes == Counter({"ok": 1, "ConcurrentRunsExceededException": 3 * THREADS - 1})
        runs = glue.get_workflow_runs(Name="flow")["Runs"]
        assert len(runs) == 1
        statistics = runs[0]["Statistics"]
        assert statistics["TotalActions"] == 1
        assert statistics["RunningActions"] + statistics["WaitingActions"] <= 1
        job_runs = glue.get_job_runs(JobName="step")["JobRuns"]
        assert len(job_runs) == 1 and job_runs[0]["Attempt"] == 0
    finally:
        for run in glue.get_workflow_runs(Name="flow")["Runs"]:
            if run["Status"] == "RUNNING":
                glue.stop_workflow_run(Name="flow", RunId=run["WorkflowRunId"])
        glue.delete_trigger(Name="flow_start")
        glue.delete_workflow(Name="flow")


# -- what runs and the runtime write (no API: the services themselves, on both stores) -------------
def test_a_run_ended_twice_at_once_is_retried_once(services: Services, tmp_path: Path) -> None:
    script = tmp_path / "fails.py"
    script.write_text("raise SystemExit(1)\n")
    services.jobs.create_job(
        Name="flaky",
        Role="r",
        Command={"Name": "pythonshell", "ScriptLocation": str(script)},
        MaxRetries=2,
    )
    run_id = services.jobs.begin_run("flaky", {})

    def end(_number: int) -> list[str]:
        return services.jobs.finish_run(run_id, "FAILED", "boom")

    launched = _in_threads(end)
    runs = services.jobs.get_job_runs(JobName="flaky")["JobRuns"]
    assert sorted(r["Attempt"] for r in runs) == [0, 1]  # one retry, not one per ending
    assert launched == Counter({f"{run_id}_attempt_1": 1})


def test_concurrent_bookmark_commits_and_resets_count_each_one(services: Services) -> None:
    bookmarks = services.bookmarks

    def commit(number: int) -> list[str]:
        for i in range(5):
            bookmarks.commit("marked", f"jr_{number}_{i}", {f"ctx{number}": {"i": i}})
        return ["committed"] * 5

    assert _in_threads(commit) == Counter({"committed": 5 * THREADS})
    entry = bookmarks.get_job_bookmark(JobName="marked")["JobBookmarkEntry"]
    assert entry["Run"] == entry["Version"] == 5 * THREADS
    assert len(bookmarks.history("marked")) == 5 * THREADS

    def reset(_number: int) -> list[str]:
        for _ in range(3):
            bookmarks.reset_job_bookmark(JobName="marked")
        return ["reset"] * 3

    assert _in_threads(reset) == Counter({"reset": 3 * THREADS})
    entry = bookmarks.get_job_bookmark(JobName="marked")["JobBookmarkEntry"]
    assert entry["Version"] == 5 * THREADS + 3 * THREADS and entry["Run"] == 5 * THREADS


def test_concurrent_update_crawler_counts_every_version(glue, clients) -> None:
    glue.create_crawler(
        Name="busy", Role="r", Targets={"S3Targets": [{"Path": "s3://lake/busy/"}]}, DatabaseName="busy"
    )
    first = glue.get_crawler(Name="busy")["Crawler"]["Version"]

    def update(number: int) -> list[str]:
        return [
            _outcome(lambda i=i: clients[number].update_crawler(Name="busy", Description=f"{number}-{i}"))
            for i in range(10)
        ]

    outcomes = _in_threads(update)
    assert set(outcomes) <= {"ok", "ConcurrentModificationException"}, outcomes
    assert glue.get_crawler(Name="busy")["Crawler"]["Version"] == first + outcomes["ok"]


def test_concurrent_event_batches_consume_each_event_once(services: Services, tmp_path: Path) -> None:
    import datetime as dt
    import json

    from tests.orchestration.orchestration_helpers import step_job, wait_for

    step_job(services, tmp_path, "ingest")
    services.workflows.create_workflow(Name="arrivals")
    services.triggers.create_trigger(
        Name="on-events",
        WorkflowName="arrivals",
        Type="EVENT",
        StartOnCreation=True,
        EventBatchingCondition={"BatchSize": 3, "BatchWindow": 900},
        Actions=[{"JobName": "ingest"}],
    )

    def post(number: int) -> list[str]:
        return [
            services.triggers.put_trigger_event(TriggerName="on-events", Source=f"{number}-{i}")["EventId"]
            for i in range(3)
        ]

    posted = _in_threads(post)
    assert len(posted) == 3 * THREADS

    def fire(_number: int) -> list[str]:
        now = dt.datetime.now(dt.UTC)
        return ["started"] * sum(services.engine.fire_event_batches(now) for _ in range(3))

    assert _in_threads(fire) == Counter({"started": THREADS})  # 12 events, batches of 3
    runs = services.workflows.get_workflow_runs(Name="arrivals")["Runs"]
    consumed = [e for r in runs for e in json.loads(r["WorkflowRunProperties"]["aws:eventIds"])]
    assert sorted(consumed) == sorted(posted)  # every event in exactly one run
    wait_for(
        lambda: all(
            r["JobRunState"] in ("SUCCEEDED", "FAILED", "ERROR")
            for r in services.jobs.get_job_runs(JobName="ingest")["JobRuns"]
        ),
        what="the batches' job runs to end",
    )


def test_a_transaction_that_keeps_losing_races_is_a_concurrent_modification(store) -> None:
    import datetime as dt

    from gluelab.errors import ConcurrentModificationException
    from gluelab.store.concurrency import ATTEMPTS, retry_conflicts
    from gluelab.store.models import DatabaseRow

    attempts: list[int] = []

    def insert(name: str, twice: bool) -> str:
        attempts.append(1)
        with store.write() as session:
            for _ in range(2 if twice else 1):
                session.add(DatabaseRow(catalog_id="1", name=name, create_time=dt.datetime.now(dt.UTC)))
                session.flush()  # the second one is a unique violation, as a concurrent writer's would be
        return name

    with pytest.raises(ConcurrentModificationException):
        retry_conflicts(lambda: insert("twice", twice=True))
    assert len(attempts) == ATTEMPTS
    with store.read() as session:
        assert session.query(DatabaseRow).filter_by(name="twice").count() == 0  # nothing was changed

    attempts.clear()
    assert retry_conflicts(lambda: insert("once", twice=len(attempts) == 0)) == "once"  # lost, then won
    assert len(attempts) == 2
