"""The ``gluelab`` command, run as a user runs it (a subprocess per command)."""

from __future__ import annotations

import json

import pytest

from gluelab.config import Settings
from gluelab.services import Services
from gluelab.store.migrations import HEAD
from tests.helpers import ServerProcess, run_gluelab


def run(home, *args, check=True):
    return run_gluelab(home, *args, check=check)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A home with a small catalog in it."""
    home = tmp_path_factory.mktemp("cli") / "home"
    services = Services(Settings.load(env={"GLUELAB_HOME": str(home)}))
    catalog = services.catalog
    catalog.create_database(DatabaseInput={"Name": "sales", "Description": "Sales data"})
    catalog.create_table(
        DatabaseName="sales",
        TableInput={
            "Name": "orders",
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet"},
            "StorageDescriptor": {
                "Location": "s3://lake/sales/orders/",
                "Columns": [
                    {"Name": "order_id", "Type": "bigint"},
                    {"Name": "total", "Type": "double", "Comment": "EUR"},
                ],
            },
            "PartitionKeys": [{"Name": "year", "Type": "int"}, {"Name": "month", "Type": "string"}],
        },
    )
    catalog.batch_create_partition(
        DatabaseName="sales",
        TableName="orders",
        PartitionInputList=[
            {
                "Values": [str(y), f"{m:02d}"],
                "StorageDescriptor": {"Location": f"s3://lake/sales/orders/{y}/{m:02d}/"},
            }
            for y in (2023, 2024)
            for m in range(1, 13)
        ],
    )
    catalog.create_table(DatabaseName="sales", TableInput={"Name": "customers"})
    services.close()
    return home


def test_init_is_idempotent(tmp_path):
    home = tmp_path / "fresh"
    first = run(home, "init").stdout
    assert "gluelab is ready" in first and "created" in first and f"schema {HEAD}" in first
    token = (home / "token").read_text()
    second = run(home, "init").stdout
    assert "kept" in second and (home / "token").read_text() == token
    assert (home / "warehouse").is_dir()


def test_credentials(home):
    creds = json.loads(run(home, "credentials", "--json").stdout)
    assert creds == {
        "endpoint_url": "http://127.0.0.1:8998",
        "region_name": "us-east-1",
        "aws_access_key_id": "gluelab",
        "aws_secret_access_key": (home / "token").read_text().strip(),
        "server_running": False,
    }
    human = run(home, "credentials").stdout
    assert "not running" in human and 'boto3.client("glue"' in human
    env = run(home, "credentials", "--env").stdout
    for service in ("GLUE", "S3", "STS"):  # one endpoint for boto3's glue, s3 and sts clients
        assert f"export AWS_ENDPOINT_URL_{service}=http://127.0.0.1:8998" in env


def test_credentials_point_at_the_running_server_and_work_with_boto3(tmp_path):
    import boto3

    server = ServerProcess(tmp_path / "h").start()
    try:
        creds = json.loads(run(server.home, "credentials", "--json").stdout)
        assert creds.pop("server_running") is True and creds["endpoint_url"] == server.url
        assert boto3.client("glue", **creds).get_databases()["DatabaseList"] == []
    finally:
        server.stop()
    assert not (server.home / "run" / "server.json").exists()  # a clean stop removes its address


def test_serve_refuses_a_busy_port_and_a_second_server_in_one_line(tmp_path):
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        result = run(tmp_path / "a", "serve", "--port", str(busy.getsockname()[1]), check=False)
    finally:
        busy.close()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot listen on 127.0.0.1" in result.stderr and "Address already in use" in result.stderr

    server = ServerProcess(tmp_path / "b").start()
    try:
        result = run(server.home, "serve", "--port", "0", check=False)
        assert result.returncode == 1
        assert f"already running for {server.home} at {server.url} (pid {server.pid})" in result.stderr
    finally:
        server.stop()


def test_catalog_listings(home):
    assert "sales" in run(home, "catalog", "databases").stdout
    assert (
        json.loads(run(home, "catalog", "databases", "--json").stdout)["DatabaseList"][0]["Name"] == "sales"
    )
    tables = run(home, "catalog", "tables", "sales").stdout
    assert "2 table(s) in sales" in tables and "year, month" in tables and "parquet" in tables
    only = json.loads(run(home, "catalog", "tables", "sales", "-e", "cust*", "--json").stdout)["TableList"]
    assert [t["Name"] for t in only] == ["customers"]


def test_catalog_show(home):
    out = run(home, "catalog", "show", "sales.orders").stdout
    assert "sales.orders" in out and "order_id" in out and "EUR" in out and "(partition key)" in out
    assert "s3://lake/sales/orders/" in out
    data = json.loads(run(home, "catalog", "show", "sales", "orders", "--json").stdout)["Table"]
    assert data["Name"] == "orders" and data["CreateTime"].endswith("+00:00")


def test_catalog_partitions(home):
    out = run(home, "catalog", "partitions", "sales.orders", "-e", "year = 2024 AND month >= '11'").stdout
    assert "2 partition(s)" in out and "s3://lake/sales/orders/2024/12/" in out
    listed = json.loads(run(home, "catalog", "partitions", "sales.orders", "--max", "5", "--json").stdout)
    assert len(listed["Partitions"]) == 5


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (
            ["catalog", "show", "sales.nope"],
            1,
            "error: EntityNotFoundException: Table nope not found in database sales.",
        ),
        (["catalog", "tables", "nowhere"], 1, "error: EntityNotFoundException: Database nowhere not found."),
        (
            ["catalog", "partitions", "sales.orders", "-e", "year ="],
            1,
            "error: InvalidInputException: Invalid partition",
        ),
        (
            ["catalog", "partitions", "sales.orders", "-e", "colour = 'red'"],
            1,
            "'colour' is not a partition key",
        ),
        (["catalog", "show", "orders"], 2, "expected DATABASE.TABLE"),
        (["catalog", "frobnicate"], 2, "No such command"),
    ],
)
def test_errors_are_one_clear_line_and_a_non_zero_exit(home, args, code, fragment):
    result = run(home, *args, check=False)
    assert result.returncode == code
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    if code == 1:
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_config_file_is_one_clear_line(tmp_path):
    home = tmp_path / "h"
    home.mkdir()
    (home / "config.toml").write_text("port = 'eighty'\n")
    result = run(home, "catalog", "databases", check=False)
    assert result.returncode == 1 and result.stderr.strip() == "error: port must be an integer, not 'eighty'"


def test_doctor_reports_java_and_the_store(tmp_path):
    out = run(tmp_path / "h", "doctor").stdout
    assert "Java 17" in out or "Java 21" in out
    assert f"schema {HEAD}" in out
