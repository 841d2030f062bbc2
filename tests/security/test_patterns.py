"""Patterns from users cannot take the server down: a regular expression, a partition Expression, an
exclusion glob or a classifier's pattern that would cost too much to compile is refused with
InvalidInputException in milliseconds, without the server growing; one that is accepted but slow to match
is cut off by a time budget, and other requests go on meanwhile.

One real ``gluelab serve`` (SQLite: the store plays no part in this) shared by the module, boto3 clients.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gluelab.crawler.s3scan import exclusion_matcher
from gluelab.errors import InvalidInputException
from gluelab.runtime.listing import list_files
from tests.helpers import ServerProcess

SERVER_ENV = {"GLUELAB_SCHEDULER": "false"}
DB = "pat"
QUICK = 2.0  # seconds: "milliseconds", asserted loosely (a refusal that took seconds would fail)
MAX_GROWTH_KB = 200 * 1024  # what the server may grow by while refusing one pattern
SLOW_NAME, SLOW_NAMES = "a" * 24, 300  # names on which (a|aa)+b backtracks for ms each: seconds in all


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("patterns") / "home"
    proc = ServerProcess(home, **SERVER_ENV).start()
    client = proc.client()
    client.create_database(DatabaseInput={"Name": DB})
    client.create_table(
        DatabaseName=DB,
        TableInput={"Name": "events", "PartitionKeys": [{"Name": "dt", "Type": "string"}]},
    )
    client.batch_create_partition(
        DatabaseName=DB,
        TableName="events",
        PartitionInputList=[{"Values": [f"2024-01-0{d}"]} for d in range(1, 4)],
    )
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def glue(served: ServerProcess):  # type: ignore[no-untyped-def]
    return served.client()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def refused_quickly(served: ServerProcess, call: Callable[[], Any]) -> str:
    """``call`` is refused with InvalidInputException within QUICK seconds, the server does not grow by
    more than MAX_GROWTH_KB and still answers; returns the error message."""
    before = rss_kb(served.pid)
    started = time.monotonic()
    with pytest.raises(ClientError) as refused:
        call()
    elapsed = time.monotonic() - started
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidInputException", error
    assert elapsed < QUICK, f"refused after {elapsed:.2f} s"
    assert served.proc is not None and served.proc.poll() is None, "the server died"
    assert rss_kb(served.pid) - before < MAX_GROWTH_KB
    served.client().get_databases()  # still answering
    return error["Message"]


# -- GetTables Expression ---------------------------------------------------------------------------
HOSTILE_EXPRESSIONS = [
    "a{1000000000}",  # compiling it allocated until the kernel killed the server
    "a{3000000}",  # compiling it held every other request for 2 s
    "a{99999999999999999999}",
    "x{1001}",
    "[a-z]{0,99999}",
    r"\p{L}{5000}",
    "(a{1000}){1000}",  # each count allowed, their product not
    "((a{100}){100}){100}",
    "(?:ab|cd){1000000}",
    "a{1000}" * 21,  # 21,000 elements unrolled
    "(" * 100 + "a" + ")" * 100,
    "a" * 2049,  # longer than Glue's FilterString
    "raw_(",  # not a pattern at all
]


@pytest.mark.parametrize("expression", HOSTILE_EXPRESSIONS, ids=lambda e: e[:24])
def test_hostile_table_expressions_are_refused_in_milliseconds(served, glue, expression):
    message = refused_quickly(served, lambda: glue.get_tables(DatabaseName=DB, Expression=expression))
    assert "Expression" in message or "expression" in message


def test_large_but_bounded_expressions_still_work(glue):
    names = [t["Name"] for t in glue.get_tables(DatabaseName=DB, Expression="ev{1}ents|x{1000}")["TableList"]]
    assert names == ["events"]
    assert (
        glue.get_tables(DatabaseName=DB, Expression="(e{1,10}v?){1,20}nts")["TableList"][0]["Name"]
        == "events"
    )


def test_an_expensive_match_is_cut_off_while_other_requests_answer(served, glue):
    """A pattern that compiles at once but backtracks on every name: each request is refused once its
    time budget is spent (or one name's), matching releases the GIL meanwhile, and GetDatabases answers
    promptly all along."""

    def create(number: int) -> None:
        client = clients[number % len(clients)]
        client.create_table(DatabaseName=DB, TableInput={"Name": SLOW_NAME + f"_{number:03d}"})

    clients = [served.client() for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(SLOW_NAMES)))

    storm: list[tuple[float, float, str]] = []  # (sent, answered, outcome) of each expensive request
    stop = threading.Event()

    def send_expensive_patterns() -> None:
        client = served.client()
        while not stop.is_set() and len(storm) < 100:
            sent = time.monotonic()
            try:
                client.get_tables(DatabaseName=DB, Expression="(a|aa)+b")
                outcome = "answered"
            except ClientError as error:
                outcome = error.response["Error"]["Message"]
            storm.append((sent, time.monotonic(), outcome))

    thread = threading.Thread(target=send_expensive_patterns)
    thread.start()
    try:
        time.sleep(0.3)
        window_start = time.monotonic()
        latencies = []
        for _ in range(10):
            started = time.monotonic()
            assert glue.get_databases()["DatabaseList"]
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)
        window_end = time.monotonic()
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not thread.is_alive()
    assert any(sent < window_end and answered > window_start for sent, answered, _ in storm), storm
    assert max(latencies) < QUICK, latencies
    assert storm and all("too expensive" in outcome for _, _, outcome in storm), storm
    assert served.proc.poll() is None


# -- GetPartitions Expression -----------------------------------------------------------------------
HOSTILE_PARTITION_EXPRESSIONS = [
    "(" * 100 + "dt = '1'" + ")" * 100,  # nested deeper than 64
    "NOT " * 100 + "dt = '1'",
    " OR ".join(f"dt = '{i}'" for i in range(300)),  # longer than Glue's 2,048
    "dt LIKE '" + "%" * 3000 + "'",
    "dt = '1' AND (",
]


@pytest.mark.parametrize("expression", HOSTILE_PARTITION_EXPRESSIONS, ids=lambda e: e[:24])
def test_hostile_partition_expressions_are_refused(served, glue, expression):
    refused_quickly(
        served, lambda: glue.get_partitions(DatabaseName=DB, TableName="events", Expression=expression)
    )


def test_backtracking_like_patterns_answer_quickly(glue):
    """LIKE runs in the store, whose matchers do not backtrack exponentially: accepted, and quick."""
    for pattern in ("%2%0%2%4%-%0%1%-%0%9%", "%" + "_%" * 600 + "x", "2024%" * 200):
        expression = f"dt LIKE '{pattern}'"[:2048]
        started = time.monotonic()
        glue.get_partitions(DatabaseName=DB, TableName="events", Expression=expression)
        assert time.monotonic() - started < QUICK
    many = " OR ".join(f"dt = '2024-01-0{i % 9}'" for i in range(90))
    found = glue.get_partitions(DatabaseName=DB, TableName="events", Expression=many)["Partitions"]
    assert sorted(p["Values"][0] for p in found) == ["2024-01-01", "2024-01-02", "2024-01-03"]


# -- crawler exclusions and classifiers ---------------------------------------------------------------
def _s3_targets(exclusions: list[str]) -> dict[str, Any]:
    return {"S3Targets": [{"Path": "s3://bucket/data/", "Exclusions": exclusions}]}


HOSTILE_EXCLUSIONS = [
    ["{" * 100 + "a" + "}" * 100],  # choices nested 100 deep
    ["x" * 3000],
    ["**/*.tmp", ("{" + ",".join(f"file{i}" for i in range(400)))[:1998] + "}"] * 40,  # 80 KB of globs
]


@pytest.mark.parametrize("exclusions", HOSTILE_EXCLUSIONS, ids=["nested", "long", "many"])
def test_hostile_exclusions_are_refused_when_the_crawler_is_defined(served, glue, exclusions):
    refused_quickly(
        served,
        lambda: glue.create_crawler(Name="c", Role="r", DatabaseName=DB, Targets=_s3_targets(exclusions)),
    )
    with pytest.raises(ClientError):
        glue.get_crawler(Name="c")

    glue.create_crawler(Name="c", Role="r", DatabaseName=DB, Targets=_s3_targets(["**.tmp"]))
    try:
        refused_quickly(served, lambda: glue.update_crawler(Name="c", Targets=_s3_targets(exclusions)))
        crawler = glue.get_crawler(Name="c")["Crawler"]
        assert crawler["Version"] == 1
        assert crawler["Targets"]["S3Targets"][0]["Exclusions"] == ["**.tmp"]
    finally:
        glue.delete_crawler(Name="c")


def test_hostile_jdbc_target_patterns_are_refused(served, glue):
    for target in (
        {"ConnectionName": "pg", "Path": "db/" + "%a" * 1100},
        {"ConnectionName": "pg", "Path": "db/public/%", "Exclusions": ["{" * 80 + "}" * 80]},
    ):
        refused_quickly(
            served,
            lambda t=target: glue.create_crawler(
                Name="j", Role="r", DatabaseName=DB, Targets={"JdbcTargets": [t]}
            ),
        )
    assert "j" not in glue.list_crawlers()["CrawlerNames"]


@pytest.mark.parametrize(
    "classifier",
    [
        {"JsonClassifier": {"Name": "j", "JsonPath": "$" + ".a" * 2000}},
        {"XMLClassifier": {"Name": "x", "Classification": "x", "RowTag": "r" * 3000}},
        {"GrokClassifier": {"Name": "g", "Classification": "g", "GrokPattern": "%{WORD:w}{1000000000}"}},
    ],
    ids=["jsonpath", "rowtag", "grok"],
)
def test_hostile_classifier_patterns_are_refused(served, glue, classifier):
    refused_quickly(served, lambda: glue.create_classifier(**classifier))
    assert glue.get_classifiers()["Classifiers"] == []


# -- where the crawl or a job's listing matches the globs: in its own process, still bounded ------------
BACKTRACKING_GLOB = "**a" * 200 + "b"  # compiles at once; matching DEEP takes seconds of backtracking
DEEP = "/".join(["a" * 200] * 3)


def test_a_backtracking_exclusion_ends_a_crawl_listing_with_an_error():
    excluded = exclusion_matcher([BACKTRACKING_GLOB])
    started = time.monotonic()
    with pytest.raises(InvalidInputException, match="too expensive"):
        excluded(DEEP)
    assert time.monotonic() - started < QUICK
    assert excluded("x/y.csv") is False


def test_a_backtracking_exclusion_ends_a_job_listing_with_an_error(tmp_path):
    folder = tmp_path / "data"
    (folder / DEEP).parent.mkdir(parents=True)
    (folder / DEEP).write_text("1\n")
    (folder / "keep.csv").write_text("1\n")
    started = time.monotonic()
    with pytest.raises(InvalidInputException, match="too expensive"):
        list_files([str(folder)], tmp_path, recurse=True, exclusions=[BACKTRACKING_GLOB])
    assert time.monotonic() - started < QUICK
    kept = list_files([str(folder)], tmp_path, recurse=True, exclusions=["a*/**"])
    assert [f.local.name for f in kept] == ["keep.csv"]
