"""Property-based fuzzing of the Glue JSON 1.1 API over real HTTP, against a real ``gluelab serve``.

Every action gluelab implements gets random and malformed requests: bodies generated from botocore's input
shape (valid-looking ones that name the seeded database, table, partitions, connection and job bookmark, and
mutated ones: missing required members, wrong JSON types, hostile strings, huge numbers, forged NextTokens,
broken partition Expressions), raw malformed bodies (invalid JSON and UTF-8, non-objects, deep nesting, NaN),
unknown targets, and requests whose signature is missing, wrong, tampered with or stale.

Two properties hold for every request:

1. the server never answers 5xx, and every 4xx is a JSON body with ``__type`` and ``message``;
2. an error never leaves a partial write: every row of every table (read directly with SQLAlchemy from the
   server's database) is the same before and after a request that failed.

``GLUELAB_FUZZ_EXAMPLES`` (default 50) sets the examples per action; raise it for a longer hunt.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import http.client
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import sqlalchemy as sa
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gluelab import shapes
from gluelab.catalog import CatalogService
from gluelab.config import Settings
from gluelab.crawler import CrawlerService
from gluelab.jobs import JobService
from gluelab.jobs.notebooks import NotebookService
from gluelab.operations import is_own_operation, operations_of
from gluelab.orchestration.triggers import TriggerService
from gluelab.orchestration.workflows import WorkflowService
from gluelab.runtime.bookmarks import BookmarkService
from gluelab.sessions.service import SessionService
from gluelab.store import Store
from tests.helpers import ServerProcess, create_pg_database, drop_pg_database, postgres_available, unavailable

# -- what is fuzzed ---------------------------------------------------------------------------------
SERVICES = (CatalogService, BookmarkService, CrawlerService, JobService, TriggerService, WorkflowService)
# No scheduler: it would write (its lease, the events it handles) between a request and its snapshot.
SERVER_ENV = {"GLUELAB_SCHEDULER": "false"}
ACTIONS = sorted(
    name
    for service in SERVICES
    for name, method in operations_of(object.__new__(service))
    if not is_own_operation(method)  # gluelab's own actions have no Glue shape to fuzz from
)
# Implemented but not fuzzed here: a known-good CreateSession or RunStatement starts a Spark process, a
# promotion needs a notebook file; tests/sessions and tests/jobs cover their bad input one by one.
NOT_FUZZED = {
    name
    for service in (SessionService, NotebookService)
    for name, _ in operations_of(object.__new__(service))
}
UNIMPLEMENTED = sorted(set(shapes.glue_model().operation_names) - set(ACTIONS) - NOT_FUZZED)
CONTENT_TYPE = "application/x-amz-json-1.1"
EXAMPLES = int(os.environ.get("GLUELAB_FUZZ_EXAMPLES", "50"))

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)

# -- the seeded catalog -----------------------------------------------------------------------------
DB = "fuzzdb"
TABLE = "events"
CONN = "fuzzconn"
JOB = "fuzzjob"
RUNS = ["jr_1", "jr_2"]
TRIGGER, WORKFLOW, START_TRIGGER = "fuzztrigger", "fuzzflow", "fuzzstart"
CRAWLER, CLASSIFIER, JOB_DEFINITION = (
    "fuzzcrawler",
    "fuzzcsv",
    "fuzzetl",
)  # not in POOL: fuzzing never starts a crawl process
S3_CRAWLER_TARGETS = {"S3Targets": [{"Path": "s3://bucket/events/", "Exclusions": ["**/_tmp/**"]}]}
BOOKMARK_STATES = [
    {"src": {"kind": "s3", "s3": {"paths": ["s3://bucket/events/"], "high_water_ms": 1, "files": {"a": 1}}}},
    {"db": {"kind": "jdbc", "jdbc": {"table": "public.t", "last": {"id": 41}}}},
]
PARTITION_KEYS = [
    {"Name": "year", "Type": "int"},
    {"Name": "region", "Type": "string"},
    {"Name": "day", "Type": "date"},
]
PARTITIONS = [["2023", "eu", "2023-01-01"], ["2024", "us", "2024-02-29"], ["2024", "eu", "2024-03-01"]]
NEW_PARTITION = ["2025", "ap", "2025-01-01"]
STORAGE = {
    "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "payload", "Type": "string"}],
    "Location": "s3://bucket/events/",
    "InputFormat": "parquet",
}
TABLE_INPUT = {
    "Name": TABLE,
    "TableType": "EXTERNAL_TABLE",
    "StorageDescriptor": STORAGE,
    "PartitionKeys": PARTITION_KEYS,
    "Parameters": {"classification": "parquet"},
}
JDBC_PROPERTIES = {
    "JDBC_CONNECTION_URL": "jdbc:postgresql://db.example:5432/app",
    "USERNAME": "app",
    "PASSWORD": "s3cret",
}
CONNECTION_INPUT = {"Name": CONN, "ConnectionType": "JDBC", "ConnectionProperties": JDBC_PROPERTIES}
WHERE = {"DatabaseName": DB, "TableName": TABLE}

# Crawls are never started while fuzzing: a crawl process writing to the store would race the fuzzer's
# "a failed request changes no row" snapshots. So these base requests are refused, by the right error.
# Job runs likewise: the seeded job's script does not exist, so StartJobRun is refused and no run starts.
KNOWN_REFUSED = {
    "StartCrawlerSchedule": "NoScheduleException",
    "StopCrawlerSchedule": "SchedulerNotRunningException",
    "GetWorkflowRun": "EntityNotFoundException",
    "GetWorkflowRunProperties": "EntityNotFoundException",
    "PutWorkflowRunProperties": "EntityNotFoundException",
    "ResumeWorkflowRun": "EntityNotFoundException",
    "StopWorkflowRun": "EntityNotFoundException",
    "StartCrawler": "EntityNotFoundException",
    "StopCrawler": "CrawlerNotRunningException",
    "StartJobRun": "InvalidInputException",
    "GetJobRun": "EntityNotFoundException",
}

# One request per action that succeeds on the seeded catalog: the base of the valid-looking requests.
KNOWN_GOOD: dict[str, dict[str, Any]] = {
    "BatchCreatePartition": {**WHERE, "PartitionInputList": [{"Values": NEW_PARTITION}]},
    "BatchDeleteConnection": {"ConnectionNameList": [CONN, "missing_conn"]},
    "BatchDeletePartition": {**WHERE, "PartitionsToDelete": [{"Values": PARTITIONS[0]}]},
    "BatchDeleteTable": {"DatabaseName": DB, "TablesToDelete": [TABLE, "missing_table"]},
    "BatchDeleteTableVersion": {**WHERE, "VersionIds": ["0"]},
    "BatchGetPartition": {**WHERE, "PartitionsToGet": [{"Values": PARTITIONS[0]}, {"Values": NEW_PARTITION}]},
    "BatchUpdatePartition": {
        **WHERE,
        "Entries": [
            {
                "PartitionValueList": PARTITIONS[0],
                "PartitionInput": {"Values": PARTITIONS[0], "Parameters": {"k": "v"}},
            }
        ],
    },
    "CreateConnection": {"ConnectionInput": {**CONNECTION_INPUT, "Name": "conn2"}},
    "CreateDatabase": {"DatabaseInput": {"Name": "db2", "Description": "second"}},
    "CreatePartition": {**WHERE, "PartitionInput": {"Values": NEW_PARTITION, "StorageDescriptor": STORAGE}},
    "CreateTable": {"DatabaseName": DB, "TableInput": {**TABLE_INPUT, "Name": "table2"}},
    "DeleteConnection": {"ConnectionName": CONN},
    "DeleteDatabase": {"Name": DB},
    "DeletePartition": {**WHERE, "PartitionValues": PARTITIONS[1]},
    "DeleteTable": {"DatabaseName": DB, "Name": TABLE},
    "DeleteTableVersion": {**WHERE, "VersionId": "0"},
    "GetConnection": {"Name": CONN, "HidePassword": False},
    "GetConnections": {"Filter": {"ConnectionType": "JDBC"}, "MaxResults": 1},
    "GetDatabase": {"Name": DB},
    "GetDatabases": {"MaxResults": 1},
    "GetJobBookmark": {"JobName": JOB},
    "CreateCrawler": {
        "Name": "crawler2",
        "Role": "r",
        "DatabaseName": DB,
        "Targets": S3_CRAWLER_TARGETS,
        "SchemaChangePolicy": {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
        "Configuration": '{"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"}}',
    },
    "GetCrawler": {"Name": CRAWLER},
    "GetCrawlers": {"MaxResults": 1},
    "ListCrawlers": {"MaxResults": 1, "Tags": {"team": "data"}},
    "UpdateCrawler": {"Name": CRAWLER, "Description": "updated", "TablePrefix": "raw_"},
    "DeleteCrawler": {"Name": CRAWLER},
    "StartCrawler": {"Name": "missing_crawler"},
    "StopCrawler": {"Name": CRAWLER},
    "GetCrawlerMetrics": {"CrawlerNameList": [CRAWLER, "missing_crawler"]},
    "ListCrawls": {
        "CrawlerName": CRAWLER,
        "Filters": [{"FieldName": "START_TIME", "FilterOperator": "GT", "FieldValue": "2024-01-01T00:00:00"}],
    },
    "CreateJob": {
        "Name": "etl2",
        "Role": "r",
        "Command": {"Name": "glueetl", "ScriptLocation": "s3://bucket/scripts/etl.py"},
        "DefaultArguments": {"--job-bookmark-option": "job-bookmark-enable"},
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
        "Timeout": 60,
    },
    "UpdateJob": {
        "JobName": JOB_DEFINITION,
        "JobUpdate": {"Role": "r", "Command": {"Name": "pythonshell", "ScriptLocation": "/tmp/shell.py"}},
    },
    "GetJob": {"JobName": JOB_DEFINITION},
    "GetJobs": {"MaxResults": 1},
    "ListJobs": {"MaxResults": 1, "Tags": {"team": "data"}},
    "BatchGetJobs": {"JobNames": [JOB_DEFINITION, "missing_job"]},
    "DeleteJob": {"JobName": JOB_DEFINITION},
    "StartJobRun": {"JobName": JOB_DEFINITION, "Arguments": {"--day": "2024-01-01"}, "Timeout": 5},
    "GetJobRun": {"JobName": JOB_DEFINITION, "RunId": "jr_missing"},
    "GetJobRuns": {"JobName": JOB_DEFINITION, "MaxResults": 5},
    "BatchStopJobRun": {"JobName": JOB_DEFINITION, "JobRunIds": ["jr_missing"]},
    "CreateClassifier": {"JsonClassifier": {"Name": "json2", "JsonPath": "$.records[*]"}},
    "GetClassifier": {"Name": CLASSIFIER},
    "GetClassifiers": {"MaxResults": 1},
    "UpdateClassifier": {"CsvClassifier": {"Name": CLASSIFIER, "Delimiter": "|"}},
    "DeleteClassifier": {"Name": CLASSIFIER},
    "GetPartition": {**WHERE, "PartitionValues": PARTITIONS[2]},
    "GetPartitions": {**WHERE, "Expression": "year >= 2024 AND region LIKE 'e%'", "MaxResults": 1},
    "GetTable": {"DatabaseName": DB, "Name": TABLE},
    "GetTableVersion": {**WHERE, "VersionId": "1"},
    "GetTableVersions": {**WHERE, "MaxResults": 1},
    "GetTables": {"DatabaseName": DB, "Expression": "ev*"},
    "ResetJobBookmark": {"JobName": JOB, "RunId": RUNS[0]},
    "UpdateConnection": {"Name": CONN, "ConnectionInput": {**CONNECTION_INPUT, "Description": "updated"}},
    "UpdateDatabase": {"Name": DB, "DatabaseInput": {"Name": DB, "Description": "updated"}},
    "UpdatePartition": {
        **WHERE,
        "PartitionValueList": PARTITIONS[2],
        "PartitionInput": {"Values": PARTITIONS[2], "Parameters": {"k": "v"}},
    },
    "UpdateTable": {"DatabaseName": DB, "TableInput": {**TABLE_INPUT, "Description": "updated"}},
    "StartCrawlerSchedule": {"CrawlerName": CRAWLER},
    "StopCrawlerSchedule": {"CrawlerName": CRAWLER},
    "UpdateCrawlerSchedule": {"CrawlerName": CRAWLER, "Schedule": "cron(0 3 1 1 ? 2199)"},
    "CreateTrigger": {
        "Name": "trigger2",
        "Type": "CONDITIONAL",
        "Predicate": {
            "Conditions": [{"LogicalOperator": "EQUALS", "JobName": JOB_DEFINITION, "State": "FAILED"}]
        },
        "Actions": [{"JobName": JOB_DEFINITION, "Arguments": {"--day": "1"}, "Timeout": 5}],
    },
    "GetTrigger": {"Name": TRIGGER},
    "GetTriggers": {"MaxResults": 1, "DependentJobName": JOB_DEFINITION},
    "ListTriggers": {"MaxResults": 1, "Tags": {"team": "data"}},
    "BatchGetTriggers": {"TriggerNames": [TRIGGER, "missing_trigger"]},
    "UpdateTrigger": {
        "Name": TRIGGER,
        "TriggerUpdate": {"Description": "updated", "Schedule": "cron(0 4 * * ? *)"},
    },
    "DeleteTrigger": {"Name": TRIGGER},
    "StartTrigger": {"Name": TRIGGER},
    "StopTrigger": {"Name": TRIGGER},
    "CreateWorkflow": {"Name": "flow2", "DefaultRunProperties": {"k": "v"}, "MaxConcurrentRuns": 2},
    "GetWorkflow": {"Name": WORKFLOW, "IncludeGraph": True},
    "UpdateWorkflow": {"Name": WORKFLOW, "Description": "updated"},
    "DeleteWorkflow": {"Name": WORKFLOW},
    "ListWorkflows": {"MaxResults": 1},
    "BatchGetWorkflows": {"Names": [WORKFLOW, "missing_workflow"], "IncludeGraph": True},
    "StartWorkflowRun": {"Name": WORKFLOW, "RunProperties": {"k": "v"}},
    "GetWorkflowRun": {"Name": WORKFLOW, "RunId": "wr_missing"},
    "GetWorkflowRuns": {"Name": WORKFLOW, "MaxResults": 1},
    "GetWorkflowRunProperties": {"Name": WORKFLOW, "RunId": "wr_missing"},
    "PutWorkflowRunProperties": {"Name": WORKFLOW, "RunId": "wr_missing", "RunProperties": {"k": "v"}},
    "ResumeWorkflowRun": {"Name": WORKFLOW, "RunId": "wr_missing", "NodeIds": ["wnode_x"]},
    "StopWorkflowRun": {"Name": WORKFLOW, "RunId": "wr_missing"},
}


def seed(client: Any) -> None:
    """The small catalog every example starts from, created through boto3."""
    client.create_database(DatabaseInput={"Name": DB, "Description": "seeded"})
    client.create_table(DatabaseName=DB, TableInput=TABLE_INPUT)
    client.update_table(DatabaseName=DB, TableInput={**TABLE_INPUT, "Description": "version 1"})
    client.batch_create_partition(
        DatabaseName=DB,
        TableName=TABLE,
        PartitionInputList=[
            {
                "Values": values,
                "StorageDescriptor": {**STORAGE, "Location": f"s3://bucket/events/{values[0]}/"},
            }
            for values in PARTITIONS
        ],
    )
    client.create_connection(ConnectionInput=CONNECTION_INPUT)
    client.create_job(
        Name=JOB_DEFINITION,
        Role="r",
        Command={"Name": "glueetl", "ScriptLocation": "s3://bucket/scripts/etl.py"},
        Tags={"team": "data"},
    )
    client.create_classifier(
        CsvClassifier={"Name": CLASSIFIER, "Delimiter": ",", "ContainsHeader": "PRESENT"}
    )
    client.create_crawler(
        Name=CRAWLER,
        Role="r",
        DatabaseName=DB,
        Targets=S3_CRAWLER_TARGETS,
        Classifiers=[CLASSIFIER],
        Tags={"team": "data"},
    )
    # Triggers and a workflow; what they start is the seeded job, whose missing script makes its runs
    # ERROR at once: no process starts while fuzzing.
    client.create_trigger(
        Name=TRIGGER,
        Type="SCHEDULED",
        Schedule="cron(0 3 * * ? *)",
        Actions=[{"JobName": JOB_DEFINITION}],
        Tags={"team": "data"},
    )
    client.create_workflow(Name=WORKFLOW, DefaultRunProperties={"day": "1"})
    client.create_trigger(
        Name=START_TRIGGER, WorkflowName=WORKFLOW, Type="ON_DEMAND", Actions=[{"JobName": JOB_DEFINITION}]
    )


def seed_bookmarks(server: ServerProcess) -> None:
    """A job bookmark with two committed runs, written as a job run writes it (no Glue API creates one)."""
    settings = Settings.load(env={"GLUELAB_HOME": str(server.home)}, database_url=store_url(server))
    store = Store(settings.database_url)
    try:
        service = BookmarkService(store, settings)
        for run_id, states in zip(RUNS, BOOKMARK_STATES, strict=True):
            service.commit(JOB, run_id, states)
    finally:
        store.dispose()


# -- JSON bodies with tokens json.dumps cannot write ------------------------------------------------
@dataclass(frozen=True)
class Raw:
    """A JSON number written as is (1e999, -0, 400-digit decimals ...)."""

    text: str


@dataclass(frozen=True)
class Forged:
    """A NextToken forged for one of gluelab's listings: ``{table}`` in the scope is the seeded table's id,
    ``{own}`` the scope of the listing the request is sent to."""

    scope: str
    key: Any


OWN_SCOPES = {
    "GetDatabases": "GetDatabases",
    "GetConnections": "GetConnections",
    "GetTables": f"GetTables/{DB}",
    "GetTableVersions": "GetTableVersions/{table}",
    "GetPartitions": "GetPartitions/{table}",
}


def dump(value: Any, table_id: int, ascii_only: bool, action: str = "") -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Forged):
        scope = value.scope.replace("{own}", OWN_SCOPES.get(action, "GetDatabases")).format(table=table_id)
        raw = json.dumps({"s": scope, "k": value.key}, separators=(",", ":"))
        return json.dumps(base64.urlsafe_b64encode(raw.encode()).decode().rstrip("="))
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(
                f"{json.dumps(k, ensure_ascii=ascii_only)}:{dump(v, table_id, ascii_only, action)}"
                for k, v in value.items()
            )
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(dump(v, table_id, ascii_only, action) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def encode(value: Any, table_id: int = 1, ascii_only: bool = True, action: str = "") -> bytes:
    # Without ensure_ascii a lone surrogate goes out as the (invalid UTF-8) bytes it would encode to.
    return dump(value, table_id, ascii_only, action).encode("utf-8", "surrogatepass")


# -- strategies: hostile values ---------------------------------------------------------------------
# Value tables, kept compact by hand.
# fmt: off
CONTROL = st.integers(0, 0x1F).map(chr) | st.sampled_from(
    ["\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\uffff"]
)
SURROGATE = st.integers(0xD800, 0xDFFF).map(chr)
CHAR = st.one_of(st.characters(), CONTROL, SURROGATE)
SHORT_TEXT = st.text(st.characters(), max_size=16) | st.text(CHAR, max_size=16)
LONG_TEXT = st.builds(
    lambda unit, n, tail: (unit * n)[:n] + tail,
    st.sampled_from(["a", "Z", "é", "\n", "\t", "\x00", "😀", "'", "%", "\\", "\ud800"]) | CHAR,
    st.sampled_from([255, 256, 512, 1023, 1024, 1025, 2048, 2049, 2056, 2057, 3000]) | st.integers(100, 3000),
    SHORT_TEXT,
)
NAME_POOL = [
    DB, DB.upper(), TABLE, "Events", CONN, JOB, "missing_db", "missing_table", "missing_conn", "new_thing",
    "", " ", f"{DB} ", f" {TABLE}", "a" * 255, "a" * 256, "with\nnewline", "tab\tname", "nul\x00", "ünïcödé",
    "😀", "'; DROP TABLE databases; --", "%", "_", "\\", "İ" * 255,
]
FUZZ_TEXT = st.one_of(st.sampled_from(NAME_POOL), SHORT_TEXT, LONG_TEXT)
HUGE_INTS = [2**31, -(2**31) - 1, 2**53 + 1, 2**63, -(2**63) - 1, 2**64, 10**30, -(10**30)]
EDGE_INTS = [0, -1, 1, 10, 11, 100, 101, 1000, 1001, 100000, 100001, *HUGE_INTS]
RAW_NUMBERS = [
    Raw("1e999"), Raw("-1e999"), Raw("-0"), Raw("1e-400"), Raw("1" + "0" * 400), Raw("0." + "9" * 400),
]
NUMBERS = st.one_of(
    st.sampled_from(EDGE_INTS), st.integers(), st.sampled_from(RAW_NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False),
)
SCALAR_JUNK = st.one_of(st.none(), st.booleans(), NUMBERS, FUZZ_TEXT)
JUNK = st.one_of(
    SCALAR_JUNK, st.builds(list), st.builds(dict), st.lists(SCALAR_JUNK, max_size=3),
    st.dictionaries(SHORT_TEXT, SCALAR_JUNK, max_size=3),
    st.lists(st.lists(SCALAR_JUNK, max_size=2), max_size=2),
)

UTC_OFFSETS = st.integers(-1439, 1439).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
TIMESTAMPS = st.one_of(
    st.sampled_from(
        [
            0, 1e-7, 253402300799, 253402300799.99998, 253402300800, -1, "1970-01-01T00:00:00Z", "2024-02-29",
            "0001-01-01T00:00:00+00:30", "0001-01-01T00:00:00", "9999-12-31T23:59:59-00:30",
            "9999-12-31T23:59:59.999999", "2024-01-01T00:00:00+23:59", "2024-13-01", "", "now",
        ]
    ),
    st.datetimes(timezones=st.none() | st.just(dt.UTC) | UTC_OFFSETS).map(lambda d: d.isoformat()),
    st.integers(0, 2_000_000_000),
    st.floats(0, 253402300799.99998, allow_nan=False),
)

# Partition Expressions: near-valid SQL from the grammar, broken variants, and text.
EXPR_KEYS = ["year", "region", "day", "YEAR", "`region`", '"day"', "`year`", "missing_key", "payload", "_"]
EXPR_LITERALS = [
    "2024", "-1", "1e999", "-0", ".5", "1e-400", "2024.0", "'eu'", "'2024-02-29'", "'it''s'", "'%'", "'e%'",
    "'\\'", "'ab\\'", "'_\\%'", "'\x00'", "'😀'", "''", "'", "'unterminated", "99999999999999999999999999",
    "'1e999'", "NULL", "year",
]
EXPR_OPS = ["=", "<>", "!=", "<", "<=", ">", ">=", "=="]
_key, _lit = st.sampled_from(EXPR_KEYS), st.sampled_from(EXPR_LITERALS)
PREDICATE = st.one_of(
    st.builds(lambda k, o, v: f"{k} {o} {v}", _key, st.sampled_from(EXPR_OPS), _lit),
    st.builds(lambda k, o, v: f"{v} {o} {k}", _key, st.sampled_from(EXPR_OPS), _lit),
    st.builds(
        lambda k, n, vs: f"{k} {n}IN ({', '.join(vs)})", _key, st.sampled_from(["", "NOT "]),
        st.lists(_lit, min_size=0, max_size=5),
    ),
    st.builds(
        lambda k, n, a, b: f"{k} {n}BETWEEN {a} AND {b}", _key, st.sampled_from(["", "NOT "]), _lit, _lit
    ),
    st.builds(lambda k, n, v: f"{k} {n}LIKE {v}", _key, st.sampled_from(["", "NOT ", "not "]), _lit),
    st.builds(lambda k, n: f"{k} IS {n}NULL", _key, st.sampled_from(["", "NOT "])),
)
SQLISH = st.recursive(
    PREDICATE,
    lambda inner: st.one_of(
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"NOT {e}"),
        st.builds(
            lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["AND", "OR", "and", "or", "AND NOT"]),
            inner,
        ),
    ),
    max_leaves=6,
)


@st.composite
def broken(draw: st.DrawFn, text: st.SearchStrategy[str]) -> str:
    """``text`` truncated, or with a character or token inserted or deleted somewhere."""
    value = draw(text)
    where = draw(st.integers(0, len(value)))
    how = draw(st.sampled_from(["truncate", "insert", "delete", "double"]))
    if how == "truncate":
        return value[:where]
    if how == "insert":
        junk = draw(
            st.sampled_from(
                [
                    "(", ")", "'", "`", '"', ",", " AND", " OR ", "NOT", ";", "--", "\x00", "\n", "😀", "$",
                    "\\",
                ]
            )
            | SHORT_TEXT
        )
        return value[:where] + junk + value[where:]
    if how == "delete":
        return value[:where] + value[where + 1 :]
    return value + " " + value


PARTITION_EXPRESSIONS = st.one_of(
    SQLISH,
    broken(SQLISH),
    st.builds(lambda n, p: "(" * n + p + ")" * n, st.sampled_from([63, 64, 65, 100, 1000]), PREDICATE),
    st.builds(lambda n, p: "NOT " * n + p, st.sampled_from([63, 64, 65, 500]), PREDICATE),
    st.builds(
        lambda n, p, op: f" {op} ".join([p] * n), st.integers(2, 400), PREDICATE,
        st.sampled_from(["OR", "AND"]),
    ),
    st.builds(
        lambda vs: "year IN (" + ",".join(vs) + ")",
        st.lists(st.sampled_from(["1", "2024", "'x'"]), min_size=100, max_size=700),
    ),
    FUZZ_TEXT,
)
# GetTables' Expression is a (Glue-flavoured) regular expression over table names.
TABLE_PATTERNS = st.one_of(
    st.sampled_from(
        [
            "*", "ev*", "*_raw|*_clean", "(", "[", ")", "a{99999999999999999999}", "a{4294967296}", "x{2,1}",
            "(?P<", "\\", "(a+)+$", "[[:alpha:]]", "." * 3000, "(?i)EVENTS", "\\p{L}", "(?<=x)*",
            "(?P<n>a)(?P=m)", "\\1", "(?#", "a{,}",
        ]
    ),
    broken(st.sampled_from(["ev*", "(events|other)", "[a-z]+", "e{1,3}vents"])),
    FUZZ_TEXT,
)

LISTING_SCOPES = [
    "GetDatabases", "GetConnections", f"GetTables/{DB}", "GetTables/missing_db", "GetTableVersions/{table}",
    "GetPartitions/{table}", "GetPartitions/999999",
]
FORGED_KEYS = st.one_of(
    st.sampled_from(
        ["abc", "", "\x00", "zzz", "0x10", "1.5", " 1", -1, 0, 1, 1.5, 1e308, [], {}, None, True, *HUGE_INTS]
    ),
    SCALAR_JUNK.filter(lambda v: not isinstance(v, Raw)),
)
NEXT_TOKENS = st.one_of(
    st.builds(Forged, st.just("{own}"), FORGED_KEYS),
    st.builds(Forged, st.sampled_from(LISTING_SCOPES), FORGED_KEYS),
    st.sampled_from(
        ["", "null", "e30", "eyJzIjoiR2V0RGF0YWJhc2VzIn0", "%%%", "====", "a", "ab", "abc=", "-_-_"]
    ),
    st.binary(max_size=48).map(lambda b: base64.urlsafe_b64encode(b).decode()),
)

PARTITION_VALUE = st.one_of(
    st.sampled_from(
        [
            "2024", "eu", "2024-02-29", "1e999", "nan", "inf", "-0", " 2024", "２０２４", "0x10", "NULL", "%",
            "\x00", "a\x00b", "\ud800", "x" * 1024, "x" * 1025,
        ]
    ),
    st.integers().map(str),
)
PARTITION_VALUES = st.one_of(
    st.lists(PARTITION_VALUE, min_size=3, max_size=3),
    st.lists(FUZZ_TEXT, min_size=3, max_size=3),
    st.sampled_from(
        [
            *PARTITIONS, NEW_PARTITION, ["2024", "US", "2024-02-29"], [], ["2023"],
            ["2023", "eu", "2023-01-01", "extra"],
        ]
    ),
    st.lists(PARTITION_VALUE, max_size=4),
)
VERSION_IDS = st.one_of(
    st.sampled_from(
        [
            "0", "1", "2", "-1", "abc", "1e3", " 1", "+1", "1_0", "٣", "99999999999999999999999", str(2**63),
            str(2**63 - 1), str(2**31), "",
        ]
    ),
    st.integers().map(str),
)
SMALL_INTS = st.one_of(st.integers(-2, 12), st.sampled_from(HUGE_INTS))
CONNECTION_PROPERTIES = st.one_of(
    st.builds(lambda: dict(JDBC_PROPERTIES)),
    st.fixed_dictionaries(
        {},
        optional={
            "JDBC_CONNECTION_URL": st.sampled_from(
                ["jdbc:postgresql://h:5432/db", "jdbc:", "http://x", "jdbc:a:b"]
            )
            | FUZZ_TEXT,
            "USERNAME": FUZZ_TEXT,
            "PASSWORD": FUZZ_TEXT,
            "SECRET_ID": FUZZ_TEXT,
            "HOST": FUZZ_TEXT,
            "PORT": st.sampled_from(["5432", "abc", "", "-1", "٣", "99999999999999999999"]) | FUZZ_TEXT,
            "JDBC_ENGINE": FUZZ_TEXT,
            "KAFKA_BOOTSTRAP_SERVERS": FUZZ_TEXT,
            "CONNECTION_URL": FUZZ_TEXT,
            "CONNECTOR_TYPE": FUZZ_TEXT,
            "CONNECTOR_URL": FUZZ_TEXT,
            "CONNECTOR_CLASS_NAME": FUZZ_TEXT,
        },
    ),
)
PARTITION_KEY_LISTS = st.one_of(
    st.builds(lambda: copy.deepcopy(PARTITION_KEYS)),
    st.lists(
        st.fixed_dictionaries(
            {"Name": st.sampled_from(["year", "Year", "id", "k"]) | FUZZ_TEXT},
            optional={
                "Type": st.sampled_from(
                    ["int", "string", "array<int>", "map<a,b>", "struct<a:int>", "decimal(10,2)", ""]
                )
                | FUZZ_TEXT
            },
        ),
        max_size=4,
    ),
)
PARAMETERS = st.dictionaries(
    st.sampled_from(["k", "classification", "", "\x00", "😀"]) | SHORT_TEXT,
    PARTITION_VALUE | st.just("x" * 3000),
    max_size=3,
)

# Member name (or "Action.Member") -> values that reach past validation into the catalog, or straight at its
# edge cases; tried beside the values the shape itself allows.
HINTS: dict[str, st.SearchStrategy[Any]] = {
    "DatabaseName": st.sampled_from([DB, DB.upper(), "missing_db"]),
    "TableName": st.sampled_from([TABLE, TABLE.upper(), "missing_table"]),
    "Name": st.sampled_from([DB, TABLE, CONN, "Events", "missing", "new_thing", "İ" * 255]),
    "TableType": st.sampled_from(
        ["EXTERNAL_TABLE", "VIRTUAL_VIEW", "x" * 64, "x" * 65, "x" * 255, "\x00", "\ud800"]
    )
    | FUZZ_TEXT,
    "ConnectionName": st.sampled_from([CONN, "missing_conn"]),
    "JobName": st.sampled_from([JOB, JOB.upper(), "missing_job", "j" * 255, "j" * 256]),
    "RunId": st.sampled_from([*RUNS, "JR_1", "missing_run", "r" * 255, "r" * 256]),
    "TablesToDelete": st.lists(st.sampled_from([TABLE, "missing_table", "EVENTS"]), min_size=1, max_size=3),
    "ConnectionNameList": st.lists(st.sampled_from([CONN, "missing_conn"]), min_size=1, max_size=3),
    "CatalogId": st.sampled_from(["123456789012", "000000000000"]),
    "NextToken": NEXT_TOKENS,
    "Expression": PARTITION_EXPRESSIONS,
    "GetTables.Expression": TABLE_PATTERNS,
    "MaxResults": SMALL_INTS | st.sampled_from([1000, 1001]),
    "SegmentNumber": SMALL_INTS,
    "TotalSegments": SMALL_INTS,
    "PartitionValues": PARTITION_VALUES,
    "PartitionValueList": PARTITION_VALUES,
    "Values": PARTITION_VALUES,
    "VersionId": VERSION_IDS,
    "VersionIds": st.lists(VERSION_IDS, min_size=1, max_size=3),
    "ConnectionProperties": CONNECTION_PROPERTIES,
    "PartitionKeys": PARTITION_KEY_LISTS,
    "Parameters": PARAMETERS,
    "Description": FUZZ_TEXT,
}


NAME_MEMBERS = {
    "DatabaseName", "TableName", "Name", "ConnectionName", "TablesToDelete", "ConnectionNameList",
    "CatalogId", "JobName",
}


def hint(action: str, member: str | None) -> tuple[str | None, st.SearchStrategy[Any] | None]:
    for key in (f"{action}.{member}", member):
        if key in HINTS:
            return key, HINTS[key]
    return None, None
# fmt: on


# -- strategies: bodies from botocore's shape model ---------------------------------------------------
SOFT_DEPTH = 4  # below this, structures get their required members only
HARD_DEPTH = 7  # below this, nothing (recursive required members would never end)
_UNICODE_LINE = r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF"
_SHAPE_STRATEGIES: dict[tuple[str, int, str | None], st.SearchStrategy[Any]] = {}


def _valid_text(shape: Shape) -> st.SearchStrategy[str]:
    low = shape.metadata.get("min") or 0
    high = shape.metadata.get("max")
    cap = max(low, min(high if high is not None else 24, 24))
    pattern = shape.metadata.get("pattern")
    if not pattern or pattern.startswith(_UNICODE_LINE):
        alphabet = st.characters(min_codepoint=0x20, exclude_categories=["Cs"]) | st.sampled_from(
            ["\t", "a", "_"]
        )
        base = st.text(alphabet, min_size=low, max_size=cap)
    else:
        translated = pattern.replace(r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF")
        try:
            compiled = re.compile(translated, re.DOTALL)  # as gluelab.shapes reads the model's patterns
        except re.error:  # \p{L} and other Java-only constructs
            compiled = None
        if compiled is None:
            base = st.text(st.characters(categories=["L", "N"]), min_size=max(low, 1), max_size=cap)
        else:
            limit = high if high is not None else 10**6
            base = st.from_regex(compiled, fullmatch=True).filter(lambda s: low <= len(s) <= limit)
    if high is not None and high <= 4096:
        return base | st.just("x" * high)  # the longest the model allows
    return base


def for_shape(
    shape: Shape, depth: int = 0, member: str | None = None, action: str = ""
) -> st.SearchStrategy[Any]:
    """Values for ``shape`` that mostly satisfy the model (enums, bounds, patterns), or the member's hint."""
    hint_key, hinted = hint(action, member)
    key = (shape.name, depth, hint_key)
    if key not in _SHAPE_STRATEGIES:
        strategy = _build(shape, depth, action)
        _SHAPE_STRATEGIES[key] = st.one_of(hinted, strategy) if hinted is not None else strategy
    return _SHAPE_STRATEGIES[key]


def _build(shape: Shape, depth: int, action: str) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if kind == "structure":
        if depth >= HARD_DEPTH:
            return st.builds(dict)
        required = {n: for_shape(shape.members[n], depth + 1, n, action) for n in shape.required_members}
        optional = [] if depth >= SOFT_DEPTH else [n for n in shape.members if n not in required]
        if not optional:
            return st.fixed_dictionaries(required)
        return st.lists(st.sampled_from(optional), unique=True, max_size=min(4, len(optional))).flatmap(
            lambda chosen: st.fixed_dictionaries(
                {**required, **{n: for_shape(shape.members[n], depth + 1, n, action) for n in chosen}}
            )
        )
    if kind == "list":
        low = low or 0
        return st.lists(
            for_shape(shape.member, depth + 1, None, action),
            min_size=low,
            max_size=max(low, min(high or 3, 3)),
        )
    if kind == "map":
        low = low or 0
        return st.dictionaries(
            for_shape(shape.key, depth + 1, None, action),
            for_shape(shape.value, depth + 1, None, action),
            min_size=low,
            max_size=max(low, min(high or 3, 3)),
        )
    if kind == "string":
        if shape.enum:
            return st.sampled_from(list(shape.enum))
        return _valid_text(shape)
    if kind in ("integer", "long"):
        bits = 31 if kind == "integer" else 63
        low = -(2**bits) if low is None else int(low)
        high = 2**bits - 1 if high is None else int(high)
        return st.integers(low, high) | st.sampled_from(sorted({low, high, max(low, min(high, 0))}))
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return TIMESTAMPS
    if kind == "blob":
        return st.binary(max_size=32).map(lambda b: base64.b64encode(b).decode())
    if kind in ("double", "float"):
        return st.floats(allow_nan=False, allow_infinity=False)
    return JUNK


def input_shape(action: str) -> Shape:
    shape = shapes.operation_model(action).input_shape
    assert shape is not None, action
    return shape


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))


def _at(body: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        body = body[step]
    return body


def _slots(
    shape: Shape, body: Any, path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], str, Shape]]:
    """(path, member name, shape) of every member, set or not, of every structure in ``body``."""
    if shape.type_name == "structure" and isinstance(body, dict):
        for name, member in shape.members.items():
            yield (*path, name), name, member
            if name in body:
                yield from _slots(member, body[name], (*path, name))
    elif shape.type_name == "list" and isinstance(body, list):
        for i, item in enumerate(body):
            yield from _slots(shape.member, item, (*path, i))


POOL = [DB, DB.upper(), TABLE, "Events", CONN, JOB, "missing_db", "missing_table", "missing_conn"]
POOL += ["missing_job", "new_thing"]


@st.composite
def grafted(draw: st.DrawFn, action: str) -> dict[str, Any]:
    """The action's known-good request, some names swapped for other real, missing or case-changed ones, with
    one or two members (set or not) given a value from the member's hint or the shape model."""
    body = copy.deepcopy(KNOWN_GOOD[action])
    for path, value in list(_leaves(body)):
        if path and isinstance(value, str) and value in POOL and draw(st.integers(0, 7)) == 0:
            _at(body, path[:-1])[path[-1]] = draw(st.sampled_from(POOL))
    for _ in range(draw(st.integers(1, 2))):
        slots = {path: (name, member) for path, name, member in _slots(input_shape(action), body)}
        # Mostly members whose values reach the store and the SQL (the names are varied above).
        favoured = [
            p
            for p, (n, m) in slots.items()
            if (n not in NAME_MEMBERS and hint(action, n)[1] is not None) or m.type_name == "timestamp"
        ]
        path = draw(st.sampled_from(favoured if favoured and draw(st.integers(0, 7)) else list(slots)))
        name, member = slots[path]
        hinted = hint(action, name)[1]
        if hinted is not None and draw(st.integers(0, 3)):
            _at(body, path[:-1])[path[-1]] = copy.deepcopy(draw(hinted))
        else:
            _at(body, path[:-1])[path[-1]] = copy.deepcopy(draw(for_shape(member, len(path), name, action)))
    return body


MUTATIONS = ["drop", "replace", "add", "string", "number", "wrap", "null"]


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A request with 1-3 mutations anywhere in it: members dropped (required ones too), values of the wrong
    JSON type, hostile strings, huge or odd numbers, unknown members."""
    body = copy.deepcopy(draw(base))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(MUTATIONS))
        nodes = list(_leaves(body))
        inner = [path for path, _ in nodes if path]
        strings = [p for p, v in nodes if p and isinstance(v, str)]
        numbers = [p for p, v in nodes if p and isinstance(v, int) and not isinstance(v, bool)]
        if how == "drop" and inner:
            path = draw(st.sampled_from(inner))
            del _at(body, path[:-1])[path[-1]]
        elif how in ("replace", "null", "wrap") and inner:
            path = draw(st.sampled_from(inner))
            old = _at(body, path)
            if how == "replace":
                new = copy.deepcopy(draw(JUNK))
            elif how == "null":
                new = None
            else:
                new = copy.deepcopy(draw(st.sampled_from([[old], {"member": old}, [[old]]])))
            _at(body, path[:-1])[path[-1]] = new
        elif how == "string" and strings:
            path = draw(st.sampled_from(strings))
            _at(body, path[:-1])[path[-1]] = draw(FUZZ_TEXT)
        elif how == "number" and numbers:
            path = draw(st.sampled_from(numbers))
            _at(body, path[:-1])[path[-1]] = draw(NUMBERS)
        else:  # add an unknown member to some structure (the root at least)
            path = draw(st.sampled_from([p for p, v in nodes if isinstance(v, dict)]))
            extra = draw(st.sampled_from(["Unknown", "name", "NAME", "__type", ""]) | SHORT_TEXT)
            _at(body, path)[extra] = copy.deepcopy(draw(JUNK))
    return body


def requests_for(action: str) -> st.SearchStrategy[dict[str, Any]]:
    """(b) valid-looking requests on real and missing objects, and (a) requests from the shape, mutated."""
    from_shape = for_shape(input_shape(action), 0, None, action)
    valid_looking = grafted(action)
    modes = {
        "valid": valid_looking,
        "mutated": mutated(st.one_of(valid_looking, from_shape)),
        "shape": from_shape,
    }
    return st.sampled_from(["valid"] * 5 + ["mutated"] * 2 + ["shape"]).flatmap(modes.__getitem__)


# -- strategies: raw bodies and targets -----------------------------------------------------------------
# Value tables, kept compact by hand.
# fmt: off
def _nested(opening: str, closing: str, depth: int, inner: str = "1") -> bytes:
    return (opening * depth + inner + closing * depth).encode()


RAW_BODIES = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"", b" ", b"\n\t", b"{", b"}", b"{]", b'{"Name": }', b'{"Name": "fuzzdb"', b"{'Name': 1}",
            b'{"Name": "fuzzdb",}', b"nul", b"\x00", b"\xef\xbb\xbf{}", b'{"a":1}{"b":2}',
            b'{"Name": "fuzzdb", "Name": "other"}', b"[]", b"[{}]", b"0", b"-1", b"1e999", b'"str"', b"true",
            b"false", b"null", b'{"MaxResults": NaN}', b'{"MaxResults": Infinity}',
            b'{"MaxResults": -Infinity}', b"NaN", b'{"MaxResults": 1e999}', b'{"Name": "\\ud800"}',
            b'{"Name": "\\u0000"}', b'{"MaxResults": 1' + b"0" * 5000 + b"}", b'{"Name": "\xff\xfe"}',
            b'{"Name": "\xc0\xaf"}', b'{"Name": "\xed\xa0\x80"}', b'{"Name": "caf\xe9"}', b"\xff" * 8,
            "{}".encode("utf-16"),
        ]
    ),
    st.builds(
        lambda body, at, junk: body[:at] + junk + body[at:],
        st.sampled_from([encode(b) for b in KNOWN_GOOD.values()]),
        st.integers(0, 200),
        st.sampled_from([b"\xff", b"\x80", b"\xc3", b"\xed\xa0\x80", b"\x00", b",", b"}", b"NaN"]),
    ),
    st.builds(
        _nested, st.sampled_from(["[", '{"a":']), st.sampled_from(["]", "}"]),
        st.sampled_from([100, 900, 990, 1000, 5000, 100_000]),
    ),
    st.builds(lambda n: b"[" * n, st.sampled_from([1000, 100_000])),
    st.builds(
        lambda member, n: b'{"' + member.encode() + b'": ' + _nested("[", "]", n) + b"}",
        st.sampled_from(["Name", "DatabaseName", "DatabaseInput", "PartitionsToGet", "Unknown"]),
        st.sampled_from([1, 100, 500, 900, 950, 990, 1000]),
    ),
    st.builds(
        lambda n: b'{"DatabaseInput": ' + b'{"Name": ' * n + b'"x"' + b"}" * n + b"}",
        st.sampled_from([10, 500, 990, 5000]),
    ),
    st.recursive(
        SCALAR_JUNK.filter(lambda v: not isinstance(v, Raw)),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(SHORT_TEXT, inner, max_size=3),
        max_leaves=8,
    ).map(encode),
)
# Header values as HTTP allows them (no control characters: tornado refuses those before gluelab sees them).
_TARGET_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40
)
TARGETS = st.one_of(
    st.sampled_from(ACTIONS).map(lambda a: f"AWSGlue.{a}"),
    st.sampled_from(UNIMPLEMENTED).map(lambda a: f"AWSGlue.{a}"),
    st.sampled_from(
        [
            None, "", " ", "AWSGlue", "AWSGlue.", "AWSGlue..", "awsglue.GetDatabase", "AWSGlue.getDatabase",
            "AWSGlue.GetDatabase.Extra", "AWSGlue.GetDatabase ", "AmazonAthena.GetDatabase",
            "AWSGlue.__init__", "AWSGlue.create_database", "AWSGlue.operations", "AWSGlue.GetDatabase\t",
            ".GetDatabase", "AWSGlue.Get Database", "AWSGlue.GetDatabase\xe9",
        ]
    ),
    _TARGET_TEXT,
    _TARGET_TEXT.map(lambda s: "AWSGlue." + s),
)
# fmt: on


# -- the store, read directly ------------------------------------------------------------------------
def _canonical(value: Any) -> str:
    if isinstance(value, str | bytes | bytearray):
        return repr(value)
    return json.dumps(value, sort_keys=True, default=repr)


class StoreView:
    """Every row of every table but alembic_version, straight from the server's database."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url)
        metadata = sa.MetaData()
        metadata.reflect(self.engine)
        self.tables = [t for t in metadata.sorted_tables if t.name != "alembic_version"]
        assert {"databases", "tables", "partitions", "connections"} <= {t.name for t in self.tables}

    def snapshot(self) -> dict[str, list[tuple[str, ...]]]:
        with self.engine.connect() as conn:
            return {
                t.name: sorted(tuple(_canonical(v) for v in row) for row in conn.execute(sa.select(t)))
                for t in self.tables
            }

    def wipe(self) -> None:
        with self.engine.begin() as conn:
            for table in reversed(self.tables):
                conn.execute(table.delete())

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        with self.engine.connect() as conn:
            return {t.name: [dict(row) for row in conn.execute(sa.select(t)).mappings()] for t in self.tables}

    def restore(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        """Put back exactly ``rows`` (ids included), in one transaction."""
        with self.engine.begin() as conn:
            for table in reversed(self.tables):
                conn.execute(table.delete())
            for table in self.tables:
                if rows[table.name]:
                    conn.execute(table.insert(), rows[table.name])

    def table_id(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.text("SELECT id FROM tables WHERE name = :n"), {"n": TABLE}).scalar_one()
            )

    def dispose(self) -> None:
        self.engine.dispose()


def store_url(server: ServerProcess) -> str:
    return server.env.get("GLUELAB_DATABASE_URL") or f"sqlite:///{server.home / 'gluelab.db'}"


def diff(before: dict[str, list[tuple[str, ...]]], after: dict[str, list[tuple[str, ...]]]) -> str:
    lines = []
    for name in before:
        gone = sorted(set(before[name]) - set(after.get(name, [])))
        new = sorted(set(after.get(name, [])) - set(before[name]))
        lines += [f"  {name}: - {row}"[:600] for row in gone[:3]] + [
            f"  {name}: + {row}"[:600] for row in new[:3]
        ]
    return "\n".join(lines) or "  (same rows, different multiplicities)"


# -- HTTP -------------------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Api:
    """Raw HTTP to ``gluelab serve``, signed (or not) with botocore's SigV4 signer."""

    def __init__(self, server: ServerProcess):
        self.server = server
        self.url = server.url
        self.host, self.port = server.info["host"], int(server.info["port"])
        self.token = server.token

    def headers(
        self,
        body: bytes,
        target: str | None,
        *,
        sign: bool = True,
        key_id: str = "gluelab",
        secret: str | None = None,
        service: str = "glue",
        when: dt.datetime | None = None,
    ) -> dict[str, str]:
        headers = {"Content-Type": CONTENT_TYPE}
        if target is not None:
            headers["X-Amz-Target"] = target
        if not sign:
            return headers
        request = AWSRequest(method="POST", url=self.url + "/", data=body, headers=headers)
        signer = SigV4Auth(
            Credentials(key_id, self.token if secret is None else secret), service, "us-east-1"
        )
        if when is None:
            signer.add_auth(request)
        else:
            with mock.patch("botocore.auth.get_current_datetime", return_value=when):
                signer.add_auth(request)
        return dict(request.headers.items())

    def post(self, body: bytes, headers: dict[str, str]) -> Reply:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()


def _last_error(path: Path, lines: int = 80) -> str:
    """The server log from its last ERROR record (the traceback of a 500), or its last lines."""
    if not path.exists():
        return f"({path} does not exist)"
    log = path.read_text(errors="replace").splitlines()
    errors = [i for i, line in enumerate(log) if " ERROR " in line]
    return "\n".join(log[errors[-1] : errors[-1] + lines] if errors else log[-20:])


class Fuzzer:
    """Sends one request and checks both properties; re-seeds the catalog after a request that changed it."""

    def __init__(self, server: ServerProcess):
        self.server = server
        self.api = Api(server)
        self.store = StoreView(store_url(server))
        self.store.wipe()
        seed(server.client())
        seed_bookmarks(server)
        self.seed_rows = self.store.rows()
        self.seed_snapshot = self.store.snapshot()
        self.table_id = self.store.table_id()
        self.requests = 0
        self.reseeds = 0

    def reseed(self) -> None:
        """Back to the seeded catalog, row for row (much faster than seeding through the API again)."""
        self.store.restore(self.seed_rows)
        assert self.store.snapshot() == self.seed_snapshot
        self.reseeds += 1

    def report(
        self, label: str, body: bytes, headers: dict[str, str], reply: Reply | None, problem: str
    ) -> str:
        shown = body if len(body) <= 1500 else body[:1500] + b"...(%d bytes)" % len(body)
        log = _last_error(self.server.home / "logs" / "server.log")
        return (
            f"{problem}\nrequest: {label}\nheaders: {headers}\nbody: {shown!r}\n"
            f"reply: {reply.status if reply else None} {reply.body[:2000] if reply else b''!r}\n"
            f"--- server.log, from its last ERROR ---\n{log}\n"
            f"--- serve output ---\n{self.server.output()[-3000:]}"
        )

    def exchange(self, label: str, body: bytes, headers: dict[str, str]) -> Reply:
        """Send; assert no 5xx, a well-formed error body, and no write on error."""
        before = self.store.snapshot()
        self.requests += 1
        try:
            reply = self.api.post(body, headers)
        except (OSError, http.client.HTTPException) as exc:
            alive = self.server.proc is not None and self.server.proc.poll() is None
            raise AssertionError(
                self.report(label, body, headers, None, f"no HTTP reply ({exc!r}); server alive: {alive}")
            ) from exc
        if reply.status >= 500 or not (200 <= reply.status < 300 or 400 <= reply.status < 500):
            after = self.store.snapshot()
            written = "unchanged" if after == before else f"CHANGED:\n{diff(before, after)}"
            if after != before:
                self.reseed()  # the examples Hypothesis runs next (shrinking) start from the seed again
            raise AssertionError(
                self.report(label, body, headers, reply, f"HTTP {reply.status}; store {written}")
            )
        try:
            payload = reply.json()
        except ValueError:
            raise AssertionError(self.report(label, body, headers, reply, "reply is not JSON")) from None
        if not isinstance(payload, dict):
            raise AssertionError(self.report(label, body, headers, reply, "reply is not a JSON object"))
        if reply.status >= 400:
            if not (
                isinstance(payload.get("__type"), str)
                and payload["__type"]
                and isinstance(payload.get("message"), str)
            ):
                raise AssertionError(
                    self.report(label, body, headers, reply, "error without __type and message")
                )
            after = self.store.snapshot()
            if after != before:
                self.reseed()
                raise AssertionError(
                    self.report(
                        label, body, headers, reply, f"partial write on error:\n{diff(before, after)}"
                    )
                )
        elif self.store.snapshot() != self.seed_snapshot:
            self.reseed()  # the request changed the catalog: start the next one from the seed again
        return reply

    def call(self, action: str, request: Any, ascii_only: bool = True) -> Reply:
        body = encode(request, self.table_id, ascii_only, action)
        target = f"AWSGlue.{action}"
        return self.exchange(target, body, self.api.headers(body, target))


@pytest.fixture(scope="module")
def fuzzer(server: ServerProcess) -> Iterator[Fuzzer]:
    fuzzer = Fuzzer(server)
    yield fuzzer
    print(f"\nfuzzed {fuzzer.requests} requests, re-seeded {fuzzer.reseeds} times")
    fuzzer.store.dispose()


# -- the tests ------------------------------------------------------------------------------------------
def test_every_action_is_fuzzed() -> None:
    assert ACTIONS, "no @glue_operation methods found"
    assert set(KNOWN_GOOD) == set(ACTIONS), "each implemented action needs a known-good request"


@pytest.mark.parametrize("action", ACTIONS)
def test_known_good_request_succeeds(fuzzer: Fuzzer, action: str) -> None:
    """The fuzzer's base requests really are valid on the seeded catalog (else it would only probe errors)."""
    reply = fuzzer.call(action, KNOWN_GOOD[action])
    if action in KNOWN_REFUSED:
        assert reply.status == 400 and json.loads(reply.body)["__type"] == KNOWN_REFUSED[action], reply.body
        return
    assert reply.status == 200, reply.body


@pytest.mark.parametrize("action", ACTIONS)
@FUZZ_SETTINGS
@given(data=st.data())
def test_fuzzed_requests_never_fail_the_server(fuzzer: Fuzzer, action: str, data: st.DataObject) -> None:
    """(a) requests generated from the action's input shape and mutated, and (b) valid-looking requests on the
    seeded (and on missing) databases, tables, partitions and connections."""
    request = data.draw(requests_for(action), label="request")
    # Mostly \u-escaped JSON; otherwise raw UTF-8, where a lone surrogate becomes invalid UTF-8.
    ascii_only = data.draw(st.sampled_from([True, True, True, False]), label="ascii_only")
    fuzzer.call(action, request, ascii_only)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


@settings(FUZZ_SETTINGS, max_examples=EXAMPLES * 4)
@given(target=TARGETS, body=RAW_BODIES)
def test_malformed_bodies_and_targets(fuzzer: Fuzzer, target: str | None, body: bytes) -> None:
    """(c) malformed bodies and (d) unknown, unimplemented or missing targets: a 4xx (or, for a well-formed
    request to a real action, whatever the action answers), never a 5xx, never a write."""
    reply = fuzzer.exchange(f"raw {target!r}", body, fuzzer.api.headers(body, target))
    action = (target or "").strip(" \t")  # HTTP drops the whitespace around a header value
    if not (action.startswith("AWSGlue.") and action[len("AWSGlue.") :] in ACTIONS):
        assert reply.status == 400, reply.body
        assert reply.json()["__type"] in ("UnknownOperationException", "SerializationException"), reply.body
        return
    try:
        decoded = json.loads(body.decode("utf-8"), parse_constant=_reject_constant) if body.strip() else {}
    except RecursionError:  # too deep for this process: the server may or may not parse it
        return
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict):  # not JSON, not UTF-8, NaN, or not an object
        assert (reply.status, reply.json()["__type"]) == (400, "SerializationException"), reply.body


DEFECTS = {
    "unsigned": (403, "MissingAuthenticationTokenException"),
    "wrong_secret": (403, "InvalidSignatureException"),
    "wrong_access_key_id": (403, "UnrecognizedClientException"),
    "wrong_service": (403, "InvalidSignatureException"),
    "tampered_body": (403, "InvalidSignatureException"),
    "tampered_target": (403, "InvalidSignatureException"),
    "stale_date": (403, "InvalidSignatureException"),
    "future_date": (403, "InvalidSignatureException"),
    "garbage_authorization": (None, None),
}


@settings(FUZZ_SETTINGS, max_examples=EXAMPLES * 3)
@given(action=st.sampled_from(ACTIONS), defect=st.sampled_from(sorted(DEFECTS)), data=st.data())
def test_bad_signatures_are_refused(fuzzer: Fuzzer, action: str, defect: str, data: st.DataObject) -> None:
    """Requests that would succeed if they were signed properly: none may touch the store."""
    request = data.draw(st.one_of(st.just(KNOWN_GOOD[action]), grafted(action)), label="request")
    body = encode(request, fuzzer.table_id, action=action)
    target = f"AWSGlue.{action}"
    api = fuzzer.api
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if defect == "unsigned":
        headers = api.headers(body, target, sign=False)
    elif defect == "wrong_secret":
        headers = api.headers(
            body,
            target,
            secret=data.draw(
                st.sampled_from([api.token + "x", "", api.token[:-1], api.token.upper(), "secret"])
            ),
        )
    elif defect == "wrong_access_key_id":
        key_id = data.draw(
            st.sampled_from(["AKIAIOSFODNN7EXAMPLE", "GLUELAB", "gluelab2", "x"])
            | st.text(
                st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/,"),
                min_size=1,
                max_size=20,
            ).filter(lambda k: k != "gluelab")
        )
        headers = api.headers(body, target, key_id=key_id)
    elif defect == "wrong_service":
        headers = api.headers(
            body, target, service=data.draw(st.sampled_from(["s3", "athena", "Glue", "lakeformation"]))
        )
    elif defect == "tampered_body":
        headers = api.headers(body, target)
        destructive = data.draw(
            st.sampled_from([action, "DeleteDatabase", "DeleteConnection", "CreateDatabase"])
        )
        tampered = encode(KNOWN_GOOD[destructive], fuzzer.table_id)
        body = tampered if tampered != body else body + b" "
    elif defect == "tampered_target":
        headers = api.headers(body, target)
        headers["X-Amz-Target"] = "AWSGlue." + data.draw(st.sampled_from([a for a in ACTIONS if a != action]))
    elif defect in ("stale_date", "future_date"):
        skew = dt.timedelta(hours=2) if defect == "stale_date" else dt.timedelta(hours=-2)
        headers = api.headers(body, target, when=now - skew)
    else:
        authorization = data.draw(
            st.one_of(
                st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120),
                st.sampled_from(
                    [
                        "AWS4-HMAC-SHA256",
                        "AWS4-HMAC-SHA256 Credential=gluelab",
                        "AWS4-HMAC-SHA256 Credential=gluelab/20240101/us-east-1/glue/aws4_request, "
                        "SignedHeaders=host;x-amz-date, Signature=00",
                        "AWS4-HMAC-SHA256 Credential=gluelab/x/y/glue/aws4_request, SignedHeaders=host, "
                        "Signature=00",
                        "Basic Z2x1ZWxhYjp4",
                        "Bearer " + api.token,
                    ]
                ),
            ),
            label="authorization",
        )
        headers = api.headers(body, target, sign=False)
        headers.update({"Authorization": authorization, "X-Amz-Date": now.strftime("%Y%m%dT%H%M%SZ")})
    reply = fuzzer.exchange(f"{defect} {target}", body, headers)
    status, error = DEFECTS[defect]
    if status is None:
        assert reply.status in (400, 403), reply.body
    else:
        assert (reply.status, reply.json()["__type"]) == (status, error), reply.body


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_oversized_body_is_refused_with_413(backend_name: str, tmp_path: Path) -> None:
    limit = 65536
    database_url = None
    if backend_name == "postgresql":
        if not postgres_available():
            unavailable("PostgreSQL is not reachable on 127.0.0.1:5432")
        database_url = create_pg_database()
    proc = ServerProcess(tmp_path / "home", database_url, GLUELAB_MAX_REQUEST_BYTES=str(limit))
    store = None
    try:
        proc.start()
        proc.client().create_database(DatabaseInput={"Name": DB})
        store = StoreView(store_url(proc))
        api = Api(proc)
        before = store.snapshot()
        for size in (limit + 1, 2 * limit, 4 * limit - 100):
            request = {"Name": DB, "DatabaseInput": {"Name": DB, "Parameters": {"big": "x" * size}}}
            body = encode(request)
            assert len(body) > limit
            reply = api.post(body, api.headers(body, "AWSGlue.UpdateDatabase"))
            assert reply.status == 413, (size, reply.status, reply.body)
            assert reply.json()["__type"] == "RequestEntityTooLargeException"
            assert isinstance(reply.json()["message"], str)
            assert store.snapshot() == before
        # Past 4x the limit the server stops reading (GlueApiHandler.prepare): tornado closes the connection
        # instead of answering 413. Whatever the client hears, nothing is written and the server lives on.
        body = encode({"Name": DB, "DatabaseInput": {"Name": DB, "Parameters": {"big": "x" * (16 * limit)}}})
        try:
            reply = api.post(body, api.headers(body, "AWSGlue.UpdateDatabase"))
        except (ConnectionError, http.client.HTTPException):
            pass
        else:
            assert reply.status == 413, reply.body
        assert store.snapshot() == before
        # The server is still healthy, and a body just under the limit is accepted.
        body = encode({"Name": DB, "DatabaseInput": {"Name": DB, "Parameters": {"big": "x" * (limit - 200)}}})
        assert len(body) <= limit
        reply = api.post(body, api.headers(body, "AWSGlue.UpdateDatabase"))
        assert reply.status == 200, reply.body
    finally:
        proc.stop()
        if store is not None:
            store.dispose()
        if database_url:
            drop_pg_database(database_url)
