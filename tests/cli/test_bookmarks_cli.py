"""``gluelab bookmarks``, run as a user runs it (a subprocess per command)."""

from __future__ import annotations

import json

import pytest

from gluelab.cli.bookmarks import summarise
from gluelab.config import Settings
from gluelab.services import Services
from tests.helpers import run_gluelab

# As the runtime writes them (gluelab.runtime.bookmark_tracker): the source's options under "source".
ORDERS = {
    "kind": "s3",
    "source": {"paths": ["s3://lake/raw/orders/", "s3://lake/raw/returns/"], "format": "json"},
    "s3": {
        "high_water_ms": 1700000000123,  # 2023-11-14 22:13:20.123 UTC
        "files": {"s3://lake/raw/orders/a.json": 1700000000000, "s3://lake/raw/orders/b.json": 1700000000100},
        "read": 2,
    },
}
CUSTOMERS = {
    "kind": "jdbc",
    "source": {"connection_type": "postgresql", "dbtable": "public.customers"},
    "jdbc": {"keys": ["id", "region"], "sort_order": "asc", "last": [41, "eu"]},
}


def run(home, *args, check=True):
    return run_gluelab(home, *args, check=check)


def _seed(home) -> None:
    services = Services(Settings.load(env={"GLUELAB_HOME": str(home)}))
    services.bookmarks.commit("nightly", "jr_1", {"orders": {**ORDERS, "s3": {**ORDERS["s3"], "files": {}}}})
    services.bookmarks.commit("nightly", "jr_2", {"orders": ORDERS, "customers": CUSTOMERS}, attempt=1)
    services.close()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A home whose job "nightly" committed two runs (read-only tests)."""
    home = tmp_path_factory.mktemp("bookmarks") / "home"
    _seed(home)
    return home


@pytest.fixture
def fresh_home(tmp_path):
    """The same, for a test that resets or rewinds."""
    home = tmp_path / "home"
    _seed(home)
    return home


def test_show_summarises_each_state_element(home):
    out = run(home, "bookmarks", "show", "nightly").stdout
    assert "nightly  version 2  run 2  attempt 1" in out
    assert "jr_2" in out and "jr_1" in out
    assert "s3://lake/raw/orders/, s3://lake/raw/returns/" in out
    assert "high water: 2023-11-14 22:13:20.123 UTC" in out and "files remembered: 2" in out
    assert "table: public.customers; last: id=41, region=eu" in out


def test_show_json_is_glue_shaped(home):
    entry = json.loads(run(home, "bookmarks", "show", "nightly", "--json").stdout)["JobBookmarkEntry"]
    assert entry["RunId"] == "jr_2" and entry["PreviousRunId"] == "jr_1" and entry["Version"] == 2
    assert json.loads(entry["JobBookmark"]) == {"orders": ORDERS, "customers": CUSTOMERS}


def test_history_lists_runs_newest_first(home):
    out = run(home, "bookmarks", "history", "nightly").stdout
    assert "2 committed run(s) of nightly" in out and "latest" in out
    rows = [line for line in out.splitlines() if "jr_" in line]
    assert "jr_2" in rows[0] and "customers, orders" in rows[0] and "latest" in rows[0]
    assert rows[1].split("│")[2].strip() == "jr_1"
    runs = json.loads(run(home, "bookmarks", "history", "nightly", "--json").stdout)["JobBookmarkEntries"]
    assert [(r["RunId"], r["Run"], r["Attempt"]) for r in runs] == [("jr_2", 2, 1), ("jr_1", 1, 0)]
    assert json.loads(runs[1]["JobBookmark"])["orders"]["s3"]["files"] == {}
    assert runs[0]["CommittedAt"].endswith("+00:00")


def test_rewind_and_reset(fresh_home):
    out = run(fresh_home, "bookmarks", "rewind", "nightly", "--to", "jr_1").stdout
    assert "version 3" in out and "rewound to jr_1" in out and "files remembered: 0" in out
    assert "customers" not in out  # the state as jr_1 left it
    assert "gluelab bookmarks rewind nightly --to jr_2" in out  # the way back
    assert "rewound to at" in run(fresh_home, "bookmarks", "history", "nightly").stdout

    out = run(fresh_home, "bookmarks", "reset", "nightly").stdout
    assert "version 4" in out and "(to empty)" in out and "reads everything" in out
    entry = json.loads(run(fresh_home, "bookmarks", "show", "nightly", "--json").stdout)["JobBookmarkEntry"]
    assert entry["JobBookmark"] == "{}" and entry["Version"] == 4

    entry = json.loads(run(fresh_home, "bookmarks", "rewind", "nightly", "--to", "jr_2", "--json").stdout)
    assert json.loads(entry["JobBookmarkEntry"]["JobBookmark"]) == {"orders": ORDERS, "customers": CUSTOMERS}


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (["show", "nope"], 1, "error: EntityNotFoundException: Continuation for job nope not found"),
        (
            ["show", "nope", "--json"],
            1,
            "error: EntityNotFoundException: Continuation for job nope not found",
        ),
        (["history", "nope"], 1, "error: EntityNotFoundException: Continuation for job nope not found"),
        (["reset", "nope"], 1, "error: EntityNotFoundException: Continuation for job nope not found"),
        (["rewind", "nightly", "--to", "jr_9"], 1, "error: EntityNotFoundException: Continuation for job"),
        (["rewind", "nightly"], 2, "Missing option '--to'"),
    ],
)
def test_errors_are_one_clear_line_and_a_non_zero_exit(home, args, code, fragment):
    result = run(home, "bookmarks", *args, check=False)
    assert result.returncode == code
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    if code == 1:
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "element, kind, line",
    [
        (
            {"kind": "s3", "s3": {"paths": ["s3://b/x/"], "high_water_ms": 0, "files": {"a": 1}}},
            "s3",
            "paths: s3://b/x/; high water: 1970-01-01 00:00:00.000 UTC; files remembered: 1",
        ),
        ({"kind": "s3", "s3": {}}, "s3", "paths: -; high water: -; files remembered: 0"),
        (
            {"kind": "jdbc", "jdbc": {"table": "t", "last": {"id": 7}}},
            "jdbc",
            "table: t; last: id=7",
        ),
        ({"kind": "jdbc", "jdbc": {}}, "jdbc", "table: -; last: -"),
        ({"kind": "relationalize", "keys": [1]}, "relationalize", '{"keys": [1]}'),
        ("not a dict", "", "not a dict"),
    ],
)
def test_summaries_of_state_elements(element, kind, line):
    assert summarise(element) == (kind, line)
