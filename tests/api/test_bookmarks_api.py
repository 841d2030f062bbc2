"""GetJobBookmark and ResetJobBookmark through boto3, against a real ``gluelab serve`` (SQLite and
PostgreSQL), with the state committed the way a job run commits it: BookmarkService.commit on the store."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from gluelab.config import Settings
from gluelab.runtime.bookmarks import BookmarkService
from gluelab.services import Services
from gluelab.store.models import JobBookmarkRow

S3 = {"kind": "s3", "s3": {"paths": ["s3://lake/raw/"], "high_water_ms": 1700000000000, "files": {"a": 1}}}
JDBC = {"kind": "jdbc", "jdbc": {"table": "public.customers", "last": {"id": 41}}}


@pytest.fixture
def bookmarks(server) -> Iterator[BookmarkService]:
    """The server's own store, as a job run (another process) writes to it; emptied afterwards."""
    database_url = server.env.get("GLUELAB_DATABASE_URL") or f"sqlite:///{server.home / 'gluelab.db'}"
    services = Services(Settings.load(env={"GLUELAB_HOME": str(server.home)}, database_url=database_url))
    yield services.bookmarks
    with services.store.write() as session:
        session.execute(sa.delete(JobBookmarkRow))  # their runs go with them (ON DELETE CASCADE)
    services.close()


def test_get_and_reset_round_trip(glue, bookmarks):
    bookmarks.commit("nightly", "jr_1", {"orders": S3})
    bookmarks.commit("nightly", "jr_2", {"customers": JDBC}, attempt=1)

    entry = glue.get_job_bookmark(JobName="nightly")["JobBookmarkEntry"]
    assert {k: v for k, v in entry.items() if k != "JobBookmark"} == {
        "JobName": "nightly",
        "Version": 2,
        "Run": 2,
        "Attempt": 1,
        "PreviousRunId": "jr_1",
        "RunId": "jr_2",
    }
    assert json.loads(entry["JobBookmark"]) == {"orders": S3, "customers": JDBC}
    as_of = glue.get_job_bookmark(JobName="nightly", RunId="jr_1")["JobBookmarkEntry"]
    assert as_of["RunId"] == "jr_1" and json.loads(as_of["JobBookmark"]) == {"orders": S3}

    rewound = glue.reset_job_bookmark(JobName="nightly", RunId="jr_1")["JobBookmarkEntry"]
    assert rewound["Version"] == 3 and json.loads(rewound["JobBookmark"]) == {"orders": S3}
    assert glue.get_job_bookmark(JobName="nightly")["JobBookmarkEntry"] == rewound
    assert bookmarks.load("nightly")["State"] == {"orders": S3}  # what the next run will read

    reset = glue.reset_job_bookmark(JobName="nightly")["JobBookmarkEntry"]
    assert reset["Version"] == 4 and reset["JobBookmark"] == "{}"
    assert (reset["Run"], reset["RunId"]) == (2, "jr_2")
    assert bookmarks.load("nightly")["State"] == {}
    # The runs stay: the state as of any committed run can still be read, and rewound to.
    latest = glue.reset_job_bookmark(JobName="nightly", RunId="jr_2")["JobBookmarkEntry"]
    assert json.loads(latest["JobBookmark"]) == {"orders": S3, "customers": JDBC}


def test_unknown_jobs_and_runs_are_entity_not_found(glue, bookmarks):
    with pytest.raises(glue.exceptions.EntityNotFoundException) as info:
        glue.get_job_bookmark(JobName="nope")
    assert info.value.response["Error"]["Message"] == "Continuation for job nope not found"
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.reset_job_bookmark(JobName="nope")
    bookmarks.commit("nightly", "jr_1", {"orders": S3})
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_job_bookmark(JobName="nightly", RunId="jr_9")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.reset_job_bookmark(JobName="nightly", RunId="jr_9")
    assert glue.get_job_bookmark(JobName="nightly")["JobBookmarkEntry"]["Version"] == 1
