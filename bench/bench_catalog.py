"""Catalog benchmark: GetTables / GetPartitions latency on a large catalog, and the idle memory of
``gluelab serve``.

    .venv/bin/python bench/bench_catalog.py [--no-postgres] [--quick] [--populate bulk|service]

For each backend (SQLite, and PostgreSQL when reachable) it builds a LARGE catalog (10,000 tables in 10
databases, 100,000 partitions in 100 tables) and a SMALL one (10 tables, 10 partitions each), starts a
real ``gluelab serve`` on each, and times the same Glue calls against both, three ways: through boto3,
through raw SigV4-signed HTTP (no botocore response parsing), and as the server's own access log
reports them. It also calls the service layer in-process, to separate store time from HTTP time.

Performance goals are RATIOS measured in one run (large / small catalog, gluelab / bare tornado), so
they hold on noisy machines; the absolute targets of the issue (p95 <= 50 ms, idle RSS <= 150 MB) are
reported beside them, marked PASS or MISSED. The exit code is 0 either way: this is a report.
Machine-readable results go to bench/results/catalog.json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import math
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import sqlalchemy as sa
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from rich.console import Console
from rich.table import Table

import gluelab
from gluelab.catalog import tables as table_ops
from gluelab.catalog.common import utcnow
from gluelab.catalog.expression import number_value
from gluelab.catalog.partitions import values_hash
from gluelab.config import Settings
from gluelab.services import Services
from gluelab.shapes import validate_request
from gluelab.store.models import PartitionRow, PartitionValueRow, TableRow, TableVersionRow

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.helpers import PG_ADMIN_URL, ServerProcess, drop_pg_database, postgres_available  # noqa: E402

from common import results_path  # noqa: E402

RESULTS = results_path("catalog")
TARGET_P95_MS = 50.0
TARGET_RSS_MB = 150.0  # MB = 10**6 bytes (the stricter reading)
MB = 1_000_000
IDLE_SECONDS = 2.0

console = Console(width=max(shutil.get_terminal_size((160, 40)).columns, 160))


# -- catalog shapes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scale:
    name: str
    databases: int
    tables_per_db: int
    partitioned_per_db: int  # the first N tables of each database have partitions
    partitions_per_table: int
    first_day: dt.date  # partitions are consecutive days from here

    @property
    def tables(self) -> int:
        return self.databases * self.tables_per_db

    @property
    def partitions(self) -> int:
        return self.databases * self.partitioned_per_db * self.partitions_per_table


LARGE = Scale("large", 10, 1000, 10, 1000, dt.date(2022, 1, 1))  # 10,000 tables, 100,000 partitions
QUICK = Scale("large", 10, 100, 1, 1000, dt.date(2022, 1, 1))  # 1/10: 1,000 tables, 10,000 partitions
SMALL = Scale("small", 1, 10, 10, 10, dt.date(2024, 3, 1))  # 10 tables, 10 partitions each

DATABASES = [
    "sales",
    "marketing",
    "finance",
    "operations",
    "product",
    "support",
    "logistics",
    "risk",
    "web",
    "people",
]
TOPICS = [
    "events",
    "orders",
    "clicks",
    "sessions",
    "payments",
    "users",
    "inventory",
    "shipments",
    "invoices",
    "tickets",
]
COLUMNS = [
    ("id", "bigint"),
    ("user_id", "bigint"),
    ("session_id", "string"),
    ("event_type", "string"),
    ("amount", "decimal(18,2)"),
    ("currency", "string"),
    ("country", "string"),
    ("created_at", "timestamp"),
    ("updated_at", "timestamp"),
    ("status", "string"),
    ("price", "double"),
    ("quantity", "int"),
    ("sku", "string"),
    ("channel", "string"),
    ("device", "string"),
    ("ip_address", "string"),
    ("referrer", "string"),
    ("latency_ms", "int"),
    ("is_test", "boolean"),
    ("tags", "array<string>"),
    ("attributes", "map<string,string>"),
]
PARTITION_KEYS = [
    {"Name": "year", "Type": "int"},
    {"Name": "month", "Type": "string"},
    {"Name": "day", "Type": "string"},
]
PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    },
}


def database_name(scale: Scale, d: int) -> str:
    return DATABASES[d] if scale.databases <= len(DATABASES) else f"db_{d:03d}"


def table_name(i: int) -> str:
    # Sorted listings group by topic; Expression '*_0*' matches i < 100 (10% of a 1,000-table database).
    return f"{TOPICS[i % len(TOPICS)]}_{i:03d}"


def table_input(db: str, i: int, partitioned: bool) -> dict[str, Any]:
    name = table_name(i)
    rng = random.Random(f"{db}/{name}")
    columns = [
        {
            "Name": n,
            "Type": t,
            **({"Comment": f"{n} of the {TOPICS[i % 10][:-1]}"} if rng.random() < 0.3 else {}),
        }
        for n, t in rng.sample(COLUMNS, rng.randint(5, 15))
    ]
    return {
        "Name": name,
        "Description": f"{TOPICS[i % len(TOPICS)]} of the {db} domain",
        "Owner": "data-platform",
        "TableType": "EXTERNAL_TABLE",
        "StorageDescriptor": {
            "Columns": columns,
            "Location": f"s3://bench/{db}/{name}/",
            **PARQUET,
            "Compressed": False,
            "NumberOfBuckets": -1,
            "BucketColumns": [],
            "SortColumns": [],
            "Parameters": {"classification": "parquet", "compressionType": "snappy", "typeOfData": "file"},
            "StoredAsSubDirectories": False,
        },
        "PartitionKeys": PARTITION_KEYS if partitioned else [],
        "Parameters": {
            "classification": "parquet",
            "EXTERNAL": "TRUE",
            "parquet.compression": "SNAPPY",
            "CrawlerSchemaSerializerVersion": "1.0",
            "created_by": "gluelab-bench",
        },
    }


def partition_inputs(db: str, table: dict[str, Any], scale: Scale) -> Iterator[dict[str, Any]]:
    rng = random.Random(f"{db}/{table['Name']}/partitions")
    for n in range(scale.partitions_per_table):
        day = scale.first_day + dt.timedelta(days=n)
        values = [str(day.year), f"{day.month:02d}", f"{day.day:02d}"]
        location = (
            f"{table['StorageDescriptor']['Location']}year={values[0]}/month={values[1]}/day={values[2]}/"
        )
        rows = rng.randint(10_000, 5_000_000)
        yield {
            "Values": values,
            "StorageDescriptor": {**table["StorageDescriptor"], "Location": location},
            "Parameters": {
                "numFiles": str(rng.randint(1, 64)),
                "numRows": str(rows),
                "totalSize": str(rows * rng.randint(40, 200)),
                "recordCount": str(rows),
            },
        }


def catalog_plan(scale: Scale) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    for d in range(scale.databases):
        db = database_name(scale, d)
        yield db, [table_input(db, i, i < scale.partitioned_per_db) for i in range(scale.tables_per_db)]


# -- populating -------------------------------------------------------------------------------------
def populate(services: Services, scale: Scale, method: str) -> dict[str, float]:
    """Fill an empty store; returns the seconds each phase took."""
    catalog = services.catalog
    times: dict[str, float] = {"tables": 0.0, "partitions": 0.0}
    for db, tables in catalog_plan(scale):
        catalog.create_database(
            {
                "DatabaseInput": {
                    "Name": db,
                    "Description": f"the {db} domain",
                    "LocationUri": f"s3://bench/{db}/",
                }
            }
        )
        started = time.perf_counter()
        if method == "service":
            for table in tables:
                catalog.create_table({"DatabaseName": db, "TableInput": table})
        else:
            table_ids = bulk_tables(services, db, tables)
        times["tables"] += time.perf_counter() - started
        started = time.perf_counter()
        for table in tables:
            if not table["PartitionKeys"]:
                continue
            inputs = list(partition_inputs(db, table, scale))
            if method == "service":
                for k in range(0, len(inputs), 100):
                    result = catalog.batch_create_partition(
                        {
                            "DatabaseName": db,
                            "TableName": table["Name"],
                            "PartitionInputList": inputs[k : k + 100],
                        }
                    )
                    if result["Errors"]:
                        raise RuntimeError(f"BatchCreatePartition failed: {result['Errors'][:3]}")
            else:
                bulk_partitions(services, table_ids[table["Name"]], db, table["Name"], inputs)
        times["partitions"] += time.perf_counter() - started
    if not services.store.is_sqlite:
        # What autovacuum does a minute after a bulk load; done here so plans do not change mid-run.
        started = time.perf_counter()
        with services.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        times["analyze"] = time.perf_counter() - started
    return times


def bulk_tables(services: Services, db: str, tables: list[dict[str, Any]]) -> dict[str, int]:
    """CreateTable for many tables in one transaction, with the service's own input handling
    (validation, ``_apply_input``, the version-0 archive); ``check_fidelity`` verifies the outcome."""
    catalog = services.catalog
    with services.store.write() as session:
        db_row = catalog._database(session, db)
        now = utcnow()
        rows = []
        for table in tables:
            checked = validate_request("CreateTable", {"DatabaseName": db, "TableInput": table})["TableInput"]
            row = TableRow(
                database_id=db_row.id,
                name=checked["Name"].lower(),
                version_id=0,
                create_time=now,
                update_time=now,
            )
            table_ops._apply_input(row, checked)
            rows.append(row)
        session.add_all(rows)
        session.flush()
        session.add_all(
            [
                TableVersionRow(
                    table_id=row.id,
                    version_id=0,
                    created_at=row.update_time,
                    definition=table_ops._freeze(catalog._table_shape(row, db_row.name)),
                )
                for row in rows
            ]
        )
        return {row.name: row.id for row in rows}


def bulk_partitions(
    services: Services, table_id: int, db: str, table: str, inputs: list[dict[str, Any]]
) -> None:
    """BatchCreatePartition for a whole table as two multi-row INSERTs (partitions, their key values)."""
    validate_request(
        "BatchCreatePartition", {"DatabaseName": db, "TableName": table, "PartitionInputList": inputs[:1]}
    )
    now = utcnow()
    with services.store.write() as session:
        ids = session.scalars(
            sa.insert(PartitionRow).returning(PartitionRow.id, sort_by_parameter_order=True),
            [
                {
                    "table_id": table_id,
                    "values": p["Values"],
                    "values_hash": values_hash(p["Values"]),
                    "creation_time": now,
                    "storage_descriptor": p["StorageDescriptor"],
                    "parameters": p["Parameters"],
                    "last_access_time": None,
                    "last_analyzed_time": None,
                }
                for p in inputs
            ],
        ).all()
        session.execute(
            sa.insert(PartitionValueRow),
            [
                {
                    "partition_id": pid,
                    "position": k,
                    "table_id": table_id,
                    "string_value": v,
                    "number_value": number_value(v),
                }
                for pid, p in zip(ids, inputs, strict=True)
                for k, v in enumerate(p["Values"])
            ],
        )


def check_fidelity(services: Services, scale: Scale, workdir: Path) -> None:
    """Bulk-loaded rows must read back exactly as rows written through the service layer do."""
    db, tables = next(catalog_plan(scale))
    table = tables[0]
    sample = list(partition_inputs(db, table, scale))[:40]
    reference = Services(Settings.load(env={}, home=workdir / "fidelity"))
    try:
        reference.catalog.create_database({"DatabaseInput": {"Name": db}})
        reference.catalog.create_table({"DatabaseName": db, "TableInput": table})
        reference.catalog.batch_create_partition(
            {"DatabaseName": db, "TableName": table["Name"], "PartitionInputList": sample}
        )
        ask: list[tuple[str, dict[str, Any]]] = [
            ("get_table", {"DatabaseName": db, "Name": table["Name"]}),
            ("get_table_versions", {"DatabaseName": db, "TableName": table["Name"]}),
            (
                "get_partition",
                {"DatabaseName": db, "TableName": table["Name"], "PartitionValues": sample[7]["Values"]},
            ),
            ("get_partitions", {"DatabaseName": db, "TableName": table["Name"], "MaxResults": 40}),
            (
                "get_partitions",
                {
                    "DatabaseName": db,
                    "TableName": table["Name"],
                    "Expression": f"year = {sample[3]['Values'][0]} AND month = "
                    f"'{sample[3]['Values'][1]}' AND day <= '{sample[3]['Values'][2]}'",
                },
            ),
        ]
        for method, request in ask:
            want = _untimed(getattr(reference.catalog, method)(dict(request)))
            got = _untimed(getattr(services.catalog, method)(dict(request)))
            if want != got:
                raise RuntimeError(
                    f"bulk-loaded catalog differs from the service layer's on {method}({request})"
                )
    finally:
        reference.close()


def _untimed(value: Any) -> Any:
    if isinstance(value, dict):
        # Timestamps differ by nature; NextToken carries row ids, and the reference holds fewer rows.
        return {k: _untimed(v) for k, v in value.items() if not k.endswith("Time") and k != "NextToken"}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


# -- PostgreSQL ---------------------------------------------------------------------------------------
def create_bench_database() -> str:
    name = f"gluelab_bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


# -- the calls --------------------------------------------------------------------------------------
@dataclass
class Target:
    """Where the calls point in one catalog: names, and NextTokens fetched once."""

    db: str
    table: str
    partitioned_table: str
    partition: list[str]
    tables_token: str = ""
    partitions_token: str = ""
    tables_skipped: int = 0
    partitions_skipped: int = 0


@dataclass(frozen=True)
class Call:
    key: str
    label: str
    action: str
    method: str
    request: Callable[[Target], dict[str, Any]]
    count: Callable[[dict[str, Any]], int]
    gated: bool  # subject to the p95 <= 50 ms target (GetTables / GetPartitions)


def _n_tables(r: dict[str, Any]) -> int:
    return len(r["TableList"])


def _n_partitions(r: dict[str, Any]) -> int:
    return len(r["Partitions"])


def _one(r: dict[str, Any]) -> int:
    return 1


CALLS = [
    Call(
        "get_tables",
        "GetTables first page",
        "GetTables",
        "get_tables",
        lambda t: {"DatabaseName": t.db, "MaxResults": 100},
        _n_tables,
        True,
    ),
    Call(
        "get_tables_deep",
        "GetTables deep page (token)",
        "GetTables",
        "get_tables",
        lambda t: {"DatabaseName": t.db, "MaxResults": 100, "NextToken": t.tables_token},
        _n_tables,
        True,
    ),
    Call(
        "get_tables_expr",
        "GetTables Expression *_0*",
        "GetTables",
        "get_tables",
        lambda t: {"DatabaseName": t.db, "MaxResults": 100, "Expression": "*_0*"},
        _n_tables,
        True,
    ),
    Call(
        "get_partitions",
        "GetPartitions first page",
        "GetPartitions",
        "get_partitions",
        lambda t: {"DatabaseName": t.db, "TableName": t.partitioned_table, "MaxResults": 100},
        _n_partitions,
        True,
    ),
    Call(
        "get_partitions_expr",
        "GetPartitions year/month expr",
        "GetPartitions",
        "get_partitions",
        lambda t: {
            "DatabaseName": t.db,
            "TableName": t.partitioned_table,
            "Expression": "year = 2024 AND month = '03'",
        },
        _n_partitions,
        True,
    ),
    Call(
        "get_partitions_deep",
        "GetPartitions deep page (token)",
        "GetPartitions",
        "get_partitions",
        lambda t: {
            "DatabaseName": t.db,
            "TableName": t.partitioned_table,
            "MaxResults": 100,
            "NextToken": t.partitions_token,
        },
        _n_partitions,
        True,
    ),
    Call(
        "get_partition",
        "GetPartition",
        "GetPartition",
        "get_partition",
        lambda t: {"DatabaseName": t.db, "TableName": t.partitioned_table, "PartitionValues": t.partition},
        _one,
        False,
    ),
    Call(
        "get_table",
        "GetTable",
        "GetTable",
        "get_table",
        lambda t: {"DatabaseName": t.db, "Name": t.table},
        _one,
        False,
    ),
]


def make_target(scale: Scale, client: Any) -> Target:
    db = database_name(scale, 0)
    target = Target(
        db=db,
        table=table_name(scale.tables_per_db // 2),
        partitioned_table=table_name(0),
        partition=["2024", "03", "05"],
    )
    # Deep pages: the page after 80% of the database's tables (page 9 of 10 at 1,000 tables) and after
    # 90% of the table's partitions (partitions 901-1000 of 1,000).
    target.tables_token, target.tables_skipped = _token_after(
        client.get_tables, {"DatabaseName": db}, "TableList", scale.tables_per_db * 8 // 10, 100
    )
    target.partitions_token, target.partitions_skipped = _token_after(
        client.get_partitions,
        {"DatabaseName": db, "TableName": target.partitioned_table},
        "Partitions",
        scale.partitions_per_table * 9 // 10,
        1000,
    )
    return target


def _token_after(
    method: Callable[..., Any], request: dict[str, Any], items: str, skip: int, max_page: int
) -> tuple[str, int]:
    """A NextToken that resumes after ``skip`` items (tokens are keyset positions, so one fetched with
    any page size resumes a listing of any other)."""
    token, seen = None, 0
    while seen < skip:
        page = method(
            **request, MaxResults=min(max_page, skip - seen), **({"NextToken": token} if token else {})
        )
        seen += len(page[items])
        token = page.get("NextToken")
        if not token:
            raise RuntimeError(f"listing ended after {seen} items, before {skip}")
    return token, seen


class RawGlue:
    """Glue calls as raw SigV4-signed HTTP on one keep-alive connection; the response body is read but
    not parsed (beyond what's needed to count items once, outside the timing)."""

    def __init__(self, url: str, secret: str):
        parts = urlsplit(url)
        self.url = url.rstrip("/") + "/"
        self.host = parts.netloc
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.signer = SigV4Auth(Credentials("gluelab", secret), "glue", "us-east-1")

    def prepare(self, action: str, request: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(request).encode()
        aws = AWSRequest(
            method="POST",
            url=self.url,
            data=body,
            headers={
                "Host": self.host,
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": f"AWSGlue.{action}",
            },
        )
        self.signer.add_auth(aws)
        return body, dict(aws.headers.items())

    def send(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
        self.conn.request("POST", "/", body=body, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        return response.status, payload, response.getheader("x-amzn-RequestId") or ""

    def close(self) -> None:
        self.conn.close()


def summarize(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def rank(p: float) -> float:  # nearest-rank percentile
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {
        "n": len(ordered),
        "p50": rank(50),
        "p95": rank(95),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


@dataclass
class Endpoint:
    """One running catalog: its server, clients and in-process services."""

    scale: Scale
    server: ServerProcess
    services: Services
    client: Any = None
    raw: RawGlue | None = None
    target: Target | None = None
    request_ids: dict[str, dict[str, list[str]]] = field(default_factory=dict)


@dataclass
class Samples:
    """One call against one catalog: the request, and the times and request ids gathered so far."""

    request: dict[str, Any]
    items: int = 0
    response_bytes: int = 0
    times: dict[str, list[float]] = field(default_factory=lambda: {"boto3": [], "http": [], "service": []})
    ids: dict[str, list[str]] = field(default_factory=lambda: {"boto3": [], "http": []})


def warm_up(call: Call, ep: Endpoint, warmup: int) -> Samples:
    assert ep.target is not None and ep.raw is not None
    samples = Samples(call.request(ep.target))
    samples.items = call.count(getattr(ep.client, call.method)(**samples.request))
    for _ in range(warmup):
        getattr(ep.client, call.method)(**samples.request)
        ep.raw.send(*ep.raw.prepare(call.action, samples.request))
        getattr(ep.services.catalog, call.method)(dict(samples.request))
    return samples


def measure_round(call: Call, ep: Endpoint, samples: Samples, n: int) -> None:
    """``n`` timed calls each way: boto3, raw HTTP, in-process service."""
    assert ep.raw is not None
    boto_method = getattr(ep.client, call.method)
    for _ in range(n):
        started = time.perf_counter()
        response = boto_method(**samples.request)
        samples.times["boto3"].append((time.perf_counter() - started) * 1000)
        samples.ids["boto3"].append(response["ResponseMetadata"]["RequestId"])
    for _ in range(n):
        body, headers = ep.raw.prepare(call.action, samples.request)  # signing is not timed
        started = time.perf_counter()
        status, payload, request_id = ep.raw.send(body, headers)
        samples.times["http"].append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{call.action} failed over raw HTTP: {status} {payload[:300]!r}")
        samples.ids["http"].append(request_id)
        samples.response_bytes = len(payload)
    service_method = getattr(ep.services.catalog, call.method)
    for _ in range(n):
        started = time.perf_counter()
        service_method(dict(samples.request))
        samples.times["service"].append((time.perf_counter() - started) * 1000)


def measure(endpoints: dict[str, Endpoint], args: argparse.Namespace, backend: str) -> dict[str, Any]:
    """Every call against every catalog, in interleaved rounds: a few seconds of noise from elsewhere on
    the machine then spreads over all rows instead of landing on one, and the large and small catalogs
    are measured at nearly the same moments."""
    samples = {}
    with console.status(f"{backend}: warming up"):
        for call in CALLS:
            for name, ep in endpoints.items():
                samples[call.key, name] = warm_up(call, ep, args.warmup)
    per_round = [args.calls // args.rounds + (r < args.calls % args.rounds) for r in range(args.rounds)]
    for r, n in enumerate(per_round):
        for call in CALLS:
            with console.status(f"{backend}: round {r + 1}/{args.rounds}: {call.label}"):
                for name, ep in endpoints.items():
                    measure_round(call, ep, samples[call.key, name], n)
    calls: dict[str, Any] = {}
    for call in CALLS:
        calls[call.key] = {"label": call.label, "gated": call.gated}
        for name in endpoints:
            got = samples[call.key, name]
            calls[call.key][name] = {
                "items": got.items,
                "response_bytes": got.response_bytes,
                **{way: summarize(times) for way, times in got.times.items()},
            }
    for name, ep in endpoints.items():
        ep.request_ids = {call.key: samples[call.key, name].ids for call in CALLS}
    return calls


_ACCESS = re.compile(r"gluelab\.access \S+ (\w+) (\d+) ([\d.]+)ms (\S+)\s*$")


def server_times(home: Path) -> dict[str, float]:
    """Request id -> handler milliseconds, from the server's access log."""
    times = {}
    for path in sorted((home / "logs").glob("server.log*")):
        for line in path.read_text(errors="replace").splitlines():
            match = _ACCESS.search(line)
            if match:
                times[match.group(4)] = float(match.group(3))
    return times


# -- memory -------------------------------------------------------------------------------------------
def memory_bytes(pid: int) -> dict[str, int]:
    """RSS (the target's measure) and USS (pages no other process shares) of a process and its children."""
    processes = [psutil.Process(pid)]
    processes += processes[0].children(recursive=True)
    infos = [p.memory_full_info() for p in processes]
    return {"rss": sum(i.rss for i in infos), "uss": sum(i.uss for i in infos)}


TORNADO_HELLO = """
import asyncio, sys, tornado.ioloop, tornado.netutil, tornado.web, tornado.httpserver
class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("hello")
async def main():
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/", Hello)]))
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server.add_sockets(sockets)
    print(sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


def tornado_baseline_memory() -> dict[str, int]:
    proc = subprocess.Popen([sys.executable, "-c", TORNADO_HELLO], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # it answers: it is up
        conn.request("GET", "/")
        if conn.getresponse().read() != b"hello":
            raise RuntimeError("the tornado baseline did not answer")
        conn.close()
        time.sleep(IDLE_SECONDS)
        return memory_bytes(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- one backend ---------------------------------------------------------------------------------------
def run_backend(
    backend: str, large: Scale, args: argparse.Namespace, workdir: Path, stack: contextlib.ExitStack
) -> dict[str, Any]:
    result: dict[str, Any] = {"backend": backend, "populate": {}, "memory": {}, "calls": {}}
    endpoints: dict[str, Endpoint] = {}
    for scale in (large, SMALL):
        home = workdir / f"{backend}-{scale.name}"
        url = None
        if backend == "postgresql":
            url = create_bench_database()
            stack.callback(drop_pg_database, url)
        settings = Settings.load(env={}, home=home, database_url=url)
        settings.ensure_dirs()
        services = Services(settings)
        stack.callback(services.close)
        method = "service" if scale is SMALL else args.populate
        with console.status(
            f"{backend}: populating the {scale.name} catalog ({scale.tables:,} tables, "
            f"{scale.partitions:,} partitions, {method})"
        ):
            started = time.perf_counter()
            phases = populate(services, scale, method)
            total = time.perf_counter() - started
            if method == "bulk":
                check_fidelity(services, scale, workdir / f"{backend}-fidelity")
        result["populate"][scale.name] = {
            "method": method,
            "seconds": round(total, 2),
            "phases": {k: round(v, 2) for k, v in phases.items()},
            "tables": scale.tables,
            "partitions": scale.partitions,
        }
        console.print(
            f"{backend}: populated the {scale.name} catalog ({scale.tables:,} tables, "
            f"{scale.partitions:,} partitions) in {total:.1f} s via {method} "
            f"({', '.join(f'{k} {v:.1f} s' for k, v in phases.items())})"
        )
        server = ServerProcess(home, url)
        stack.callback(server.stop)
        server.start()
        endpoints[scale.name] = Endpoint(scale, server, services)

    time.sleep(IDLE_SECONDS)  # both servers are up and have served nothing
    for name, ep in endpoints.items():
        result["memory"][f"{name}_idle"] = memory_bytes(ep.server.pid)

    for ep in endpoints.values():
        ep.client = ep.server.client()
        ep.raw = RawGlue(ep.server.url, ep.server.token)
        stack.callback(ep.raw.close)
        ep.target = make_target(ep.scale, ep.client)
    result["targets"] = {name: vars(ep.target) for name, ep in endpoints.items()}

    result["calls"] = measure(endpoints, args, backend)

    for name, ep in endpoints.items():
        result["memory"][f"{name}_after_load"] = memory_bytes(ep.server.pid)
        ep.server.stop()
        logged = server_times(ep.server.home)
        for call in CALLS:
            # The handler's own time (auth, parse, service, encode) as the access log has it, for the
            # requests the raw HTTP client made ("server") and those boto3 made ("server_boto3").
            for client, key in (("http", "server"), ("boto3", "server_boto3")):
                found = [logged[i] for i in ep.request_ids[call.key][client] if i in logged]
                result["calls"][call.key][name][key] = summarize(found) if found else None
    return result


# -- report ---------------------------------------------------------------------------------------------
def _ms(value: float) -> str:
    return f"{value:.1f}"


def _mark(p95: float) -> str:
    return "[green]PASS[/]" if p95 <= TARGET_P95_MS else "[bold red]MISSED[/]"


def report(results: dict[str, Any]) -> list[str]:
    missed: list[str] = []
    for backend in results["backends"]:
        name = backend["backend"]
        pop = backend["populate"]["large"]
        table = Table(
            title=f"{name}: latency, large catalog ({pop['tables']:,} tables, {pop['partitions']:,} "
            f"partitions), ms over {results['config']['calls']} calls in {results['config']['rounds']} "
            "interleaved rounds",
            title_justify="left",
        )
        table.add_column("call", no_wrap=True)
        table.add_column("items", justify="right")
        for group in ("boto3", "HTTP"):
            for stat in ("p50", "p95", "max"):
                table.add_column(f"{group} {stat}", justify="right")
        for group in ("server", "in-proc"):
            for stat in ("p50", "p95"):
                table.add_column(f"{group} {stat}", justify="right")
        table.add_column("boto3 ≤50", justify="center")
        table.add_column("HTTP ≤50", justify="center")
        for call in backend["calls"].values():
            big = call["large"]
            gated = call["gated"]
            table.add_row(
                call["label"],
                str(big["items"]),
                *[_ms(big["boto3"][s]) for s in ("p50", "p95", "max")],
                *[_ms(big["http"][s]) for s in ("p50", "p95", "max")],
                *[_ms(big["server"][s]) if big["server"] else "-" for s in ("p50", "p95")],
                *[_ms(big["service"][s]) for s in ("p50", "p95")],
                _mark(big["boto3"]["p95"]) if gated else "-",
                _mark(big["http"]["p95"]) if gated else "-",
            )
            for column in ("boto3", "http"):
                if gated and big[column]["p95"] > TARGET_P95_MS:
                    missed.append(
                        f"{name}: {call['label']}: {column} p95 {big[column]['p95']:.1f} ms > "
                        f"{TARGET_P95_MS:.0f} ms"
                    )
        console.print(table)
        console.print(
            "  boto3: wall time of the boto3 call; HTTP: signed request on a keep-alive connection, body "
            "read but not parsed;\n  server: the handler's time in the access log (HTTP requests); "
            "in-proc: the service method called in this process (store + shaping, no HTTP)."
        )

        ratios = Table(
            title=f"{name}: how p95 grows with catalog size (large / small catalog, same run)",
            title_justify="left",
        )
        for column in (
            "call",
            "items L/S",
            "boto3 small",
            "boto3 large",
            "boto3 ratio",
            "HTTP small",
            "HTTP large",
            "HTTP ratio",
            "server small",
            "server large",
            "server ratio",
        ):
            ratios.add_column(
                column, justify="left" if column == "call" else "right", no_wrap=column == "call"
            )
        for call in backend["calls"].values():
            big, small = call["large"], call["small"]
            cells = []
            for column in ("boto3", "http", "server"):
                if big[column] and small[column]:
                    cells += [
                        _ms(small[column]["p95"]),
                        _ms(big[column]["p95"]),
                        f"{big[column]['p95'] / small[column]['p95']:.2f}×",
                    ]
                else:
                    cells += ["-", "-", "-"]
            ratios.add_row(call["label"], f"{big['items']}/{small['items']}", *cells)
        console.print(ratios)

    memory = Table(
        title="idle memory, 2 s after start, before any request (MB = 10^6 bytes; USS = pages not shared)",
        title_justify="left",
    )
    for column in ("process", "RSS MB", "÷ tornado", "USS MB", "RSS after load", f"RSS ≤{TARGET_RSS_MB:.0f}"):
        memory.add_column(column, justify="left" if column == "process" else "right")
    base = results["baseline"]["tornado_hello"]
    memory.add_row(
        "bare tornado hello (baseline)",
        f"{base['rss'] / MB:.1f}",
        "1.00×",
        f"{base['uss'] / MB:.1f}",
        "-",
        "-",
    )
    for backend in results["backends"]:
        for scale in ("small", "large"):
            idle = backend["memory"][f"{scale}_idle"]
            after = backend["memory"][f"{scale}_after_load"]
            ok = idle["rss"] / MB <= TARGET_RSS_MB
            memory.add_row(
                f"gluelab serve, {backend['backend']}, {scale} catalog",
                f"{idle['rss'] / MB:.1f}",
                f"{idle['rss'] / base['rss']:.2f}×",
                f"{idle['uss'] / MB:.1f}",
                f"{after['rss'] / MB:.1f}",
                "[green]PASS[/]" if ok else "[bold red]MISSED[/]",
            )
            if not ok:
                missed.append(
                    f"{backend['backend']}: idle RSS ({scale} catalog) {idle['rss'] / MB:.1f} MB > "
                    f"{TARGET_RSS_MB:.0f} MB"
                )
    console.print(memory)
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--quick", action="store_true", help="1/10 of the catalog and fewer calls (smoke run)"
    )
    parser.add_argument(
        "--populate",
        choices=["bulk", "service"],
        default="bulk",
        help="fill the large catalog with bulk INSERTs (default) or through the service "
        "layer (CreateTable / BatchCreatePartition; minutes)",
    )
    parser.add_argument("--calls", type=int, default=None, help="timed calls per measurement (default 200)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds the calls are split into")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    large = QUICK if args.quick else LARGE
    args.calls = args.calls or (50 if args.quick else 200)
    args.warmup = 5 if args.quick else 20
    args.rounds = max(1, min(args.rounds, args.calls))

    backends = ["sqlite"]
    if args.no_postgres:
        console.print("PostgreSQL: skipped (--no-postgres)")
    elif postgres_available():
        backends.append("postgresql")
    else:
        console.print(f"[yellow]PostgreSQL: skipped, {PG_ADMIN_URL} is unreachable[/]")

    results: dict[str, Any] = {
        "benchmark": "catalog",
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "gluelab": gluelab.__version__,
        },
        "config": {
            "quick": args.quick,
            "populate": args.populate,
            "calls": args.calls,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "large": vars(large) | {"first_day": large.first_day.isoformat()},
            "small": vars(SMALL) | {"first_day": SMALL.first_day.isoformat()},
        },
        "targets": {"p95_ms": TARGET_P95_MS, "idle_rss_mb": TARGET_RSS_MB},
        "baseline": {},
        "backends": [],
    }
    results["machine"]["load_average_at_start"] = os.getloadavg()
    if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
        console.print(
            f"[yellow]note: the machine is busy (load average {os.getloadavg()[0]:.2f} on "
            f"{os.cpu_count()} CPUs) before the benchmark starts; expect noisy timings[/]"
        )
    results["baseline"]["tornado_hello"] = tornado_baseline_memory()
    workdir = Path(tempfile.mkdtemp(prefix="gluelab-bench-"))
    try:
        for backend in backends:
            with contextlib.ExitStack() as stack:
                results["backends"].append(run_backend(backend, large, args, workdir, stack))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    results["machine"]["load_average_at_end"] = os.getloadavg()
    missed = report(results)
    console.print(
        f"load average at start {results['machine']['load_average_at_start'][0]:.2f}, at end "
        f"{results['machine']['load_average_at_end'][0]:.2f} ({os.cpu_count()} CPUs, the benchmark's own "
        "processes included in the latter)"
    )
    results["missed"] = missed
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    if missed:
        console.print("[bold red]MISSED[/] " + str(len(missed)) + " target(s):")
        for line in missed:
            console.print(f"  [red]MISSED[/] {line}")
    else:
        console.print("[green]all targets met[/]")
    console.print(f"results: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
