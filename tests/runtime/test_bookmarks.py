"""BookmarkService on SQLite and PostgreSQL: commit and merge, load, history, reset, rewind, and the
transaction around a commit."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

from gluelab.errors import EntityNotFoundException, InvalidInputException
from gluelab.operations import operations_of
from gluelab.runtime.bookmarks import BookmarkService
from gluelab.shapes import glue_model
from gluelab.store.models import JobBookmarkRow, JobBookmarkRunRow

S3 = {"kind": "s3", "s3": {"paths": ["s3://lake/raw/orders/"], "high_water_ms": 1700000000000, "files": {}}}
JDBC = {"kind": "jdbc", "jdbc": {"table": "public.customers", "keys": ["id"], "last": {"id": 41}}}


def s3_at(ms: int, *files: str) -> dict:
    return {"kind": "s3", "s3": {**S3["s3"], "high_water_ms": ms, "files": {f: ms for f in files}}}


@pytest.fixture
def bookmarks(services) -> BookmarkService:
    return services.bookmarks


def _counts(store) -> tuple[int, int]:
    with store.read() as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(JobBookmarkRow)),
            session.scalar(sa.select(sa.func.count()).select_from(JobBookmarkRunRow)),
        )


def test_both_operations_are_glue_operations_and_registered(services):
    names = {name for name, _ in operations_of(services.bookmarks)}
    assert names == {"GetJobBookmark", "ResetJobBookmark"}
    assert names <= set(glue_model().operation_names)
    assert names <= set(services.operations)


def test_first_commit_creates_the_bookmark(bookmarks):
    assert bookmarks.load("nightly") is None
    entry = bookmarks.commit("nightly", "jr_1", {"orders": S3})
    assert entry == bookmarks.load("nightly")
    assert (entry["Version"], entry["Run"], entry["Attempt"]) == (1, 1, 0)
    assert (entry["RunId"], entry["PreviousRunId"]) == ("jr_1", None)
    assert entry["State"] == {"orders": S3}
    assert entry["UpdatedAt"].tzinfo is not None and entry["ResetAt"] is None


def test_commits_merge_by_transformation_ctx(bookmarks):
    bookmarks.commit("nightly", "jr_1", {"orders": s3_at(1000, "a"), "customers": JDBC})
    newer = s3_at(2000, "b", "c")
    entry = bookmarks.commit("nightly", "jr_2", {"orders": newer}, attempt=1)
    assert entry["State"] == {"orders": newer, "customers": JDBC}  # customers kept, orders replaced
    assert (entry["Version"], entry["Run"], entry["Attempt"]) == (2, 2, 1)
    assert (entry["RunId"], entry["PreviousRunId"]) == ("jr_2", "jr_1")
    entry = bookmarks.commit("nightly", "jr_3", {}, previous_run_id="jr_0")
    assert entry["State"] == {"orders": newer, "customers": JDBC}
    assert (entry["Version"], entry["Run"], entry["PreviousRunId"]) == (3, 3, "jr_0")


def test_jobs_are_kept_apart_and_state_round_trips_exactly(bookmarks):
    odd = {
        "kind": "custom",
        "text": "été 😀 'quoted' \\ \n",
        "big": 2**63 + 1,
        "f": 0.1,
        "list": [None, True],
    }
    bookmarks.commit("a", "jr_1", {"x": odd})
    bookmarks.commit("b", "jr_1", {"y": JDBC})  # the same run id under another job is another run
    assert bookmarks.load("a")["State"] == {"x": odd}
    assert bookmarks.load("b")["State"] == {"y": JDBC}
    assert bookmarks.load("A") is None  # job names are case-sensitive, as in Glue


def test_load_gives_a_copy(bookmarks):
    bookmarks.commit("nightly", "jr_1", {"orders": S3})
    bookmarks.load("nightly")["State"]["orders"]["s3"]["high_water_ms"] = 0
    assert bookmarks.load("nightly")["State"] == {"orders": S3}


def test_get_job_bookmark_is_glue_shaped(bookmarks):
    bookmarks.commit("nightly", "jr_1", {"orders": s3_at(1000)})
    bookmarks.commit("nightly", "jr_2", {"customers": JDBC})
    entry = bookmarks.get_job_bookmark(JobName="nightly")["JobBookmarkEntry"]
    assert {k: v for k, v in entry.items() if k != "JobBookmark"} == {
        "JobName": "nightly",
        "Version": 2,
        "Run": 2,
        "Attempt": 0,
        "PreviousRunId": "jr_1",
        "RunId": "jr_2",
    }
    assert json.loads(entry["JobBookmark"]) == {"orders": s3_at(1000), "customers": JDBC}
    first = bookmarks.get_job_bookmark({"JobName": "nightly", "RunId": "jr_1"})["JobBookmarkEntry"]
    assert (first["Version"], first["Run"], first["RunId"]) == (1, 1, "jr_1")
    assert "PreviousRunId" not in first  # unset fields are left out, as Glue does
    assert json.loads(first["JobBookmark"]) == {"orders": s3_at(1000)}


def test_unknown_job_and_run(bookmarks):
    with pytest.raises(EntityNotFoundException) as info:
        bookmarks.get_job_bookmark(JobName="nope")
    assert info.value.message == "Continuation for job nope not found"
    with pytest.raises(EntityNotFoundException, match="Continuation for job nope not found"):
        bookmarks.reset_job_bookmark(JobName="nope")
    assert bookmarks.history("nope") == []
    bookmarks.commit("nightly", "jr_1", {"orders": S3})
    with pytest.raises(EntityNotFoundException, match="has no run jr_9"):
        bookmarks.get_job_bookmark(JobName="nightly", RunId="jr_9")
    with pytest.raises(EntityNotFoundException, match="has no run jr_9"):
        bookmarks.reset_job_bookmark(JobName="nightly", RunId="jr_9")
    assert bookmarks.load("nightly")["Version"] == 1  # a failed reset changes nothing


def test_requests_are_checked_against_glues_model(bookmarks):
    with pytest.raises(InvalidInputException, match="Member must not be null"):
        bookmarks.get_job_bookmark({})
    with pytest.raises(InvalidInputException, match="Unknown parameter 'version'"):
        bookmarks.get_job_bookmark(JobName="nightly", Version=1)  # GetJobBookmark has no Version


def test_history_is_newest_first_with_full_snapshots(bookmarks):
    bookmarks.commit("nightly", "jr_1", {"orders": s3_at(1000)})
    bookmarks.commit("nightly", "jr_2", {"customers": JDBC})
    bookmarks.commit("nightly", "jr_3", {"orders": s3_at(3000)})
    runs = bookmarks.history("nightly")
    assert [(r["RunId"], r["Run"], r["Version"], r["PreviousRunId"]) for r in runs] == [
        ("jr_3", 3, 3, "jr_2"),
        ("jr_2", 2, 2, "jr_1"),
        ("jr_1", 1, 1, None),
    ]
    assert runs[1]["State"] == {"orders": s3_at(1000), "customers": JDBC}  # merged, not just the run's own
    assert runs[0]["CommittedAt"] >= runs[2]["CommittedAt"]


def test_reset_empties_the_state_and_keeps_the_runs(bookmarks):
    bookmarks.commit("nightly", "jr_1", {"orders": S3})
    bookmarks.commit("nightly", "jr_2", {"customers": JDBC})
    entry = bookmarks.reset_job_bookmark(JobName="nightly")["JobBookmarkEntry"]
    assert entry["JobBookmark"] == "{}" and entry["Version"] == 3
    assert (entry["Run"], entry["RunId"], entry["PreviousRunId"]) == (2, "jr_2", "jr_1")
    record = bookmarks.load("nightly")
    assert record["State"] == {} and record["ResetAt"] is not None and record["ResetToRunId"] is None
    assert [r["RunId"] for r in bookmarks.history("nightly")] == ["jr_2", "jr_1"]
    # The next run starts from nothing; its predecessor is still the last committed run.
    entry = bookmarks.commit("nightly", "jr_3", {"orders": s3_at(5000)})
    assert entry["State"] == {"orders": s3_at(5000)}
    assert (entry["Version"], entry["Run"], entry["PreviousRunId"]) == (4, 3, "jr_2")


def test_rewind_goes_back_to_a_runs_state_and_can_be_undone(bookmarks):
    bookmarks.commit("nightly", "jr_1", {"orders": s3_at(1000)})
    bookmarks.commit("nightly", "jr_2", {"orders": s3_at(2000), "customers": JDBC})
    entry = bookmarks.reset_job_bookmark(JobName="nightly", RunId="jr_1")["JobBookmarkEntry"]
    assert json.loads(entry["JobBookmark"]) == {"orders": s3_at(1000)} and entry["Version"] == 3
    assert bookmarks.load("nightly")["ResetToRunId"] == "jr_1"
    # Rewinding to the latest run undoes it: the runs table is never touched by a reset.
    bookmarks.reset_job_bookmark(JobName="nightly", RunId="jr_2")
    assert bookmarks.load("nightly")["State"] == {"orders": s3_at(2000), "customers": JDBC}
    bookmarks.reset_job_bookmark(JobName="nightly", RunId="jr_1")
    # A backfill run after the rewind merges into the rewound state.
    entry = bookmarks.commit("nightly", "jr_backfill", {"customers": JDBC})
    assert entry["State"] == {"orders": s3_at(1000), "customers": JDBC}
    assert (entry["Version"], entry["Run"], entry["PreviousRunId"]) == (6, 3, "jr_2")


def test_a_run_commits_once(bookmarks, store):
    bookmarks.commit("nightly", "jr_1", {"orders": s3_at(1000)})
    with pytest.raises(InvalidInputException, match="jr_1 of job nightly has already committed"):
        bookmarks.commit("nightly", "jr_1", {"orders": s3_at(9999)})
    record = bookmarks.load("nightly")
    assert record["Version"] == 1 and record["State"] == {"orders": s3_at(1000)}
    assert _counts(store) == (1, 1)


def test_a_commit_that_fails_midway_leaves_nothing(bookmarks, store, monkeypatch):
    bookmarks.commit("nightly", "jr_1", {"orders": s3_at(1000)})
    before = bookmarks.load("nightly")

    def broken_snapshot(self, session, row, committed_at):
        # The merge has been written to the database in this transaction ...
        stored = session.scalar(
            sa.select(JobBookmarkRow.state).where(JobBookmarkRow.job_name == row.job_name)
        )
        assert stored == row.state and row.version == (2 if row.job_name == "nightly" else 1)
        raise RuntimeError("disk full")  # ... then the snapshot fails

    monkeypatch.setattr(BookmarkService, "_snapshot", broken_snapshot)
    with pytest.raises(RuntimeError, match="disk full"):
        bookmarks.commit("nightly", "jr_2", {"orders": s3_at(2000), "customers": JDBC})
    with pytest.raises(RuntimeError, match="disk full"):
        bookmarks.commit("fresh", "jr_1", {"orders": S3})  # a new job: not even its row remains
    monkeypatch.undo()
    assert bookmarks.load("nightly") == before
    assert bookmarks.load("fresh") is None
    assert _counts(store) == (1, 1)
    # The run did not commit, so it may commit now (a retry re-reads the same increment).
    assert bookmarks.commit("nightly", "jr_2", {"orders": s3_at(2000)})["Version"] == 2


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("", "jr_1", {}), "JobName must be a string of 1 to 255"),
        (("j" * 256, "jr_1", {}), "JobName must be a string of 1 to 255"),
        (("nul\x00", "jr_1", {}), "NUL"),
        (("nightly", None, {}), "RunId must be a string"),
        (("nightly", "\ud800", {}), "lone surrogate"),
        (("nightly", "jr_1", [S3]), "must be a dict of transformation_ctx"),
        (("nightly", "jr_1", {"": S3}), "transformation_ctx must be a non-empty string"),
        (("nightly", "jr_1", {"orders": "s3"}), "state element of orders must be a dict"),
        (("nightly", "jr_1", {"orders": {"x": float("nan")}}), "not a finite number"),
        (("nightly", "jr_1", {"orders": {"x": {1, 2}}}), "is not JSON: set"),
        (("nightly", "jr_1", {"orders": {1: "x"}}), "is not a string"),
        (("nightly", "jr_1", {"orders": {"x": "a\x00b"}}), "NUL"),
    ],
)
def test_bad_commits_are_refused_and_store_nothing(bookmarks, store, args, fragment):
    with pytest.raises(InvalidInputException, match=fragment):
        bookmarks.commit(*args)
    assert _counts(store) == (0, 0)


def test_bad_attempts_and_previous_run_ids_are_refused(bookmarks, store):
    for kwargs in ({"attempt": -1}, {"attempt": True}, {"attempt": 2**31}, {"previous_run_id": ""}):
        with pytest.raises(InvalidInputException):
            bookmarks.commit("nightly", "jr_1", {"orders": S3}, **kwargs)
    assert _counts(store) == (0, 0)


def test_delete_forgets_the_bookmark_and_its_runs(bookmarks, store):
    bookmarks.commit("nightly", "jr_1", {"orders": S3})
    bookmarks.commit("nightly", "jr_2", {"orders": S3})
    bookmarks.commit("other", "jr_1", {"orders": S3})
    assert bookmarks.delete("nightly") is True
    assert bookmarks.delete("nightly") is False
    assert bookmarks.load("nightly") is None and bookmarks.load("other") is not None
    assert _counts(store) == (1, 1)
    # Inside the caller's transaction (the jobs service deleting a job): rolled back with it.
    with pytest.raises(RuntimeError), store.write() as session:
        assert bookmarks.delete("other", session) is True
        raise RuntimeError("the job's own delete failed")
    assert bookmarks.load("other") is not None
    # A deleted job's run ids may be used again by a new job of that name.
    assert bookmarks.commit("nightly", "jr_1", {"orders": S3})["Run"] == 1


def test_concurrent_commits_of_one_job_all_merge(bookmarks):
    """Runs committing at once (from different processes, in real life) lose nothing: each merge sees
    the previous one, including when they race to create the job's bookmark."""
    n = 8
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def commit(i: int) -> None:
        try:
            barrier.wait()
            bookmarks.commit("racy", f"jr_{i}", {f"ctx{i}": s3_at(i)})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=commit, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    record = bookmarks.load("racy")
    assert (record["Version"], record["Run"]) == (n, n)
    assert record["State"] == {f"ctx{i}": s3_at(i) for i in range(n)}
    runs = bookmarks.history("racy")
    assert sorted(r["Run"] for r in runs) == list(range(1, n + 1))
    # Each run's predecessor is the run committed just before it: one chain, no forks.
    by_run = {r["Run"]: r for r in runs}
    for run in range(2, n + 1):
        assert by_run[run]["PreviousRunId"] == by_run[run - 1]["RunId"]
