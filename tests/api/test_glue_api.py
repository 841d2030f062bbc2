"""boto3 against a real ``gluelab serve`` subprocess (SQLite and PostgreSQL): every catalog and connection
action, Glue's errors, SigV4 authentication, and the JSON 1.1 protocol's own errors."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from collections import defaultdict

import boto3
import botocore
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gluelab.catalog import CatalogService
from gluelab.operations import operations_of

CALLED: dict[str, set[str]] = defaultdict(set)


@pytest.fixture
def glue(glue, server):  # noqa: F811 - wraps conftest's client to record which operations were called
    glue.meta.events.register("before-call.glue.*", lambda model, **_: CALLED[server.url].add(model.name))
    return glue


SD = {
    "Columns": [
        {"Name": "id", "Type": "bigint"},
        {"Name": "payload", "Type": "struct<a:int,b:array<string>>"},
    ],
    "Location": "s3://lake/raw/events/",
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
        "Parameters": {"paths": "id,payload"},
    },
}


def make_table(glue, name="events", db="raw"):
    glue.create_table(
        DatabaseName=db,
        TableInput={
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": SD,
            "PartitionKeys": [{"Name": "dt", "Type": "string"}, {"Name": "hour", "Type": "int"}],
            "Parameters": {"classification": "json"},
        },
    )


def test_databases(glue):
    glue.create_database(
        DatabaseInput={"Name": "Raw", "Description": "landing", "LocationUri": "s3://lake/raw/"},
        Tags={"team": "data"},
    )
    db = glue.get_database(Name="raw")["Database"]
    assert db["Name"] == "raw" and db["Description"] == "landing"
    assert isinstance(db["CreateTime"], dt.datetime)  # epoch seconds on the wire, parsed by botocore
    with pytest.raises(glue.exceptions.AlreadyExistsException):
        glue.create_database(DatabaseInput={"Name": "raw"})
    for i in range(12):
        glue.create_database(DatabaseInput={"Name": f"extra{i:02d}"})
    pages = list(glue.get_paginator("get_databases").paginate(PaginationConfig={"PageSize": 5}))
    assert len(pages) == 3
    assert [d["Name"] for p in pages for d in p["DatabaseList"]] == sorted(
        [f"extra{i:02d}" for i in range(12)] + ["raw"]
    )
    glue.update_database(Name="raw", DatabaseInput={"Name": "raw", "Description": "changed"})
    assert glue.get_database(Name="raw")["Database"]["Description"] == "changed"
    glue.delete_database(Name="extra00")
    with pytest.raises(glue.exceptions.EntityNotFoundException) as info:
        glue.get_database(Name="extra00")
    assert info.value.response["Error"]["Message"] == "Database extra00 not found."
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert info.value.response["ResponseMetadata"]["RequestId"]


def test_tables_and_versions(glue):
    glue.create_database(DatabaseInput={"Name": "raw"})
    make_table(glue)
    for name in ("clicks", "clicks_eu", "views"):
        make_table(glue, name)
    table = glue.get_table(DatabaseName="raw", Name="events")["Table"]
    assert table["StorageDescriptor"] == SD and table["VersionId"] == "0"
    names = [
        t["Name"]
        for p in glue.get_paginator("get_tables").paginate(
            DatabaseName="raw", Expression="clicks*", PaginationConfig={"PageSize": 1}
        )
        for t in p["TableList"]
    ]
    assert names == ["clicks", "clicks_eu"]

    glue.update_table(
        DatabaseName="raw",
        TableInput={
            "Name": "events",
            "StorageDescriptor": SD,
            "Description": "v1",
            "PartitionKeys": table["PartitionKeys"],
        },
    )
    glue.update_table(
        DatabaseName="raw",
        VersionId="1",
        TableInput={
            "Name": "events",
            "StorageDescriptor": SD,
            "Description": "v2",
            "PartitionKeys": table["PartitionKeys"],
        },
    )
    with pytest.raises(glue.exceptions.ConcurrentModificationException):
        glue.update_table(DatabaseName="raw", VersionId="1", TableInput={"Name": "events"})
    versions = [
        v
        for p in glue.get_paginator("get_table_versions").paginate(
            DatabaseName="raw", TableName="events", PaginationConfig={"PageSize": 2}
        )
        for v in p["TableVersions"]
    ]
    assert [v["VersionId"] for v in versions] == ["2", "1", "0"]
    assert (
        glue.get_table_version(DatabaseName="raw", TableName="events", VersionId="1")["TableVersion"][
            "Table"
        ]["Description"]
        == "v1"
    )
    glue.delete_table_version(DatabaseName="raw", TableName="events", VersionId="0")
    result = glue.batch_delete_table_version(DatabaseName="raw", TableName="events", VersionIds=["1", "0"])
    assert [e["VersionId"] for e in result["Errors"]] == ["0"]
    assert [
        v["VersionId"]
        for v in glue.get_table_versions(DatabaseName="raw", TableName="events")["TableVersions"]
    ] == ["2"]

    result = glue.batch_delete_table(DatabaseName="raw", TablesToDelete=["clicks", "nope"])
    assert [e["TableName"] for e in result["Errors"]] == ["nope"]
    glue.delete_table(DatabaseName="raw", Name="views")
    assert [t["Name"] for t in glue.get_tables(DatabaseName="raw")["TableList"]] == ["clicks_eu", "events"]
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_table(DatabaseName="raw", Name="views")


def test_partitions(glue):
    glue.create_database(DatabaseInput={"Name": "raw"})
    make_table(glue)
    inputs = [
        {
            "Values": [f"2024-06-{d:02d}", str(h)],
            "StorageDescriptor": {**SD, "Location": f"s3://lake/raw/events/dt=2024-06-{d:02d}/hour={h}/"},
        }
        for d in range(1, 6)
        for h in range(24)
    ]
    for i in range(0, len(inputs), 100):
        assert (
            glue.batch_create_partition(
                DatabaseName="raw", TableName="events", PartitionInputList=inputs[i : i + 100]
            )["Errors"]
            == []
        )
    glue.create_partition(
        DatabaseName="raw", TableName="events", PartitionInput={"Values": ["2024-06-06", "0"]}
    )
    with pytest.raises(glue.exceptions.AlreadyExistsException):
        glue.create_partition(
            DatabaseName="raw", TableName="events", PartitionInput={"Values": ["2024-06-06", "0"]}
        )

    def listed(**kwargs):
        return [
            tuple(p["Values"])
            for page in glue.get_paginator("get_partitions").paginate(
                DatabaseName="raw", TableName="events", **kwargs
            )
            for p in page["Partitions"]
        ]

    assert len(listed(PaginationConfig={"PageSize": 17})) == 121
    assert listed(Expression="dt = '2024-06-03' AND hour BETWEEN 9 AND 11") == [
        ("2024-06-03", "9"),
        ("2024-06-03", "10"),
        ("2024-06-03", "11"),
    ]
    assert len(listed(Expression="hour >= 20 OR dt > '2024-06-05'")) == 21
    segment = glue.get_partitions(
        DatabaseName="raw", TableName="events", Segment={"SegmentNumber": 0, "TotalSegments": 2}
    )["Partitions"]
    assert 0 < len(segment) < 121
    with pytest.raises(glue.exceptions.InvalidInputException, match="not a partition key"):
        glue.get_partitions(DatabaseName="raw", TableName="events", Expression="day = 1")

    p = glue.get_partition(DatabaseName="raw", TableName="events", PartitionValues=["2024-06-01", "5"])[
        "Partition"
    ]
    assert p["StorageDescriptor"]["Location"].endswith("hour=5/") and isinstance(
        p["CreationTime"], dt.datetime
    )
    glue.update_partition(
        DatabaseName="raw",
        TableName="events",
        PartitionValueList=["2024-06-01", "5"],
        PartitionInput={"Values": ["2024-06-01", "5"], "Parameters": {"fixed": "yes"}},
    )
    updated = glue.batch_update_partition(
        DatabaseName="raw",
        TableName="events",
        Entries=[
            {
                "PartitionValueList": ["2024-06-01", "6"],
                "PartitionInput": {"Values": ["2024-06-01", "6"], "Parameters": {"fixed": "yes"}},
            }
        ],
    )
    assert updated["Errors"] == []
    got = glue.batch_get_partition(
        DatabaseName="raw",
        TableName="events",
        PartitionsToGet=[
            {"Values": ["2024-06-01", "5"]},
            {"Values": ["2024-06-01", "6"]},
            {"Values": ["1999-01-01", "0"]},
        ],
    )
    assert sorted(p["Parameters"]["fixed"] for p in got["Partitions"]) == ["yes", "yes"]
    glue.delete_partition(DatabaseName="raw", TableName="events", PartitionValues=["2024-06-06", "0"])
    result = glue.batch_delete_partition(
        DatabaseName="raw",
        TableName="events",
        PartitionsToDelete=[{"Values": ["2024-06-01", "0"]}, {"Values": ["2024-06-06", "0"]}],
    )
    assert [e["PartitionValues"] for e in result["Errors"]] == [["2024-06-06", "0"]]
    assert len(listed()) == 119


def test_connections(glue):
    connection = {
        "Name": "pg",
        "ConnectionType": "JDBC",
        "ConnectionProperties": {
            "JDBC_CONNECTION_URL": "jdbc:postgresql://127.0.0.1:5432/test",
            "USERNAME": "postgres",
            "PASSWORD": "pw",
        },
    }
    assert glue.create_connection(ConnectionInput=connection)["CreateConnectionStatus"] == "READY"
    assert "PASSWORD" not in glue.get_connection(Name="pg")["Connection"]["ConnectionProperties"]
    assert (
        glue.get_connection(Name="pg", HidePassword=False)["Connection"]["ConnectionProperties"]["PASSWORD"]
        == "pw"
    )
    glue.create_connection(ConnectionInput={**connection, "Name": "pg2"})
    names = [
        c["Name"]
        for p in glue.get_paginator("get_connections").paginate(PaginationConfig={"PageSize": 1})
        for c in p["ConnectionList"]
    ]
    assert names == ["pg", "pg2"]
    glue.update_connection(Name="pg2", ConnectionInput={**connection, "Name": "pg2", "Description": "second"})
    assert glue.get_connection(Name="pg2")["Connection"]["Description"] == "second"
    with pytest.raises(glue.exceptions.InvalidInputException, match="not a JDBC URL"):
        glue.create_connection(
            ConnectionInput={
                **connection,
                "Name": "bad",
                "ConnectionProperties": {
                    "JDBC_CONNECTION_URL": "postgres://x",
                    "USERNAME": "u",
                    "PASSWORD": "p",
                },
            }
        )
    glue.delete_connection(ConnectionName="pg")
    result = glue.batch_delete_connection(ConnectionNameList=["pg", "pg2"])
    assert result["Succeeded"] == ["pg2"] and list(result["Errors"]) == ["pg"]


def test_every_catalog_action_was_called_through_boto3(server):
    implemented = {
        name
        for name, method in operations_of(CatalogService.__new__(CatalogService))
        if not getattr(method, "own_operation", False)  # gluelab's own: boto3 has no method for them
    }
    assert implemented - CALLED[server.url] == set()


# -- authentication -------------------------------------------------------------------------
def test_a_wrong_secret_is_refused_and_changes_nothing(server, glue):
    bad = server.client(aws_secret_access_key="not-the-token")
    with pytest.raises(botocore.exceptions.ClientError) as info:
        bad.create_database(DatabaseInput={"Name": "sneaky"})
    assert info.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert glue.get_databases()["DatabaseList"] == []


def test_an_unknown_access_key_is_refused(server):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        server.client(aws_access_key_id="AKIAEXAMPLE").get_databases()
    assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_unsigned_requests_are_refused(server):
    client = boto3.client(
        "glue",
        endpoint_url=server.url,
        region_name="us-east-1",
        config=botocore.config.Config(signature_version=botocore.UNSIGNED),
    )
    with pytest.raises(botocore.exceptions.ClientError) as info:
        client.get_databases()
    assert info.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def raw(server, target, body: bytes, *, secret=None, amz_date=None, tamper=None):
    """POST / signed like botocore signs, optionally with a wrong secret, an old date or a changed body."""
    request = AWSRequest(
        method="POST",
        url=server.url + "/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            **({"X-Amz-Target": target} if target else {}),
        },
    )
    signer = SigV4Auth(Credentials("gluelab", secret or server.token), "glue", "us-east-1")
    if amz_date:
        request.context["timestamp"] = amz_date
        request.headers["X-Amz-Date"] = amz_date
        canonical = signer.canonical_request(request)
        signature = signer.signature(signer.string_to_sign(request, canonical), request)
        signer._inject_signature_to_request(request, signature)
    else:
        signer.add_auth(request)
    data = tamper if tamper is not None else body
    http = urllib.request.Request(
        server.url + "/", data=data, method="POST", headers=dict(request.headers.items())
    )
    try:
        with urllib.request.urlopen(http) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    "target, body, status, error_type, fragment",
    [
        (
            "AWSGlue.Frobnicate",
            b"{}",
            400,
            "UnknownOperationException",
            "Unknown operation AWSGlue.Frobnicate",
        ),
        ("AWSGlue.GetMLTransforms", b"{}", 400, "UnknownOperationException", "does not implement"),
        (
            "DynamoDB_20120810.ListTables",
            b"{}",
            400,
            "UnknownOperationException",
            "expected AWSGlue.<Action>",
        ),
        (None, b"{}", 400, "UnknownOperationException", "Missing X-Amz-Target"),
        ("AWSGlue.GetDatabases", b"{not json", 400, "SerializationException", "not valid JSON"),
        ("AWSGlue.GetDatabases", b"[1, 2]", 400, "SerializationException", "must be a JSON object"),
        ("AWSGlue.GetDatabases", b"\xff\xfe", 400, "SerializationException", "not UTF-8"),
        ("AWSGlue.GetDatabases", b'{"MaxResults": NaN}', 400, "SerializationException", "not valid JSON"),
        ("AWSGlue.GetDatabase", b"{}", 400, "InvalidInputException", "Value null at 'name'"),
        (
            "AWSGlue.GetDatabases",
            b'{"MaxResults": 0}',
            400,
            "InvalidInputException",
            "greater than or equal to 1",
        ),
        (
            "AWSGlue.CreateDatabase",
            b'{"DatabaseInput": {"Name": "a\\nb"}}',
            400,
            "InvalidInputException",
            "regular expression pattern",
        ),
    ],
)
def test_protocol_errors(server, target, body, status, error_type, fragment):
    code, payload = raw(server, target, body)
    assert (code, payload["__type"]) == (status, error_type)
    assert fragment in payload["message"]


def test_a_stale_signature_is_refused(server):
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).strftime("%Y%m%dT%H%M%SZ")
    code, payload = raw(server, "AWSGlue.GetDatabases", b"{}", amz_date=old)
    assert (code, payload["__type"]) == (403, "InvalidSignatureException")
    assert "Signature expired" in payload["message"]


def test_a_body_changed_after_signing_is_refused(server, glue):
    body = json.dumps({"DatabaseInput": {"Name": "signed"}}).encode()
    evil = json.dumps({"DatabaseInput": {"Name": "evil"}}).encode()
    code, payload = raw(server, "AWSGlue.CreateDatabase", body, tamper=evil)
    assert (code, payload["__type"]) == (403, "InvalidSignatureException")
    assert glue.get_databases()["DatabaseList"] == []


def test_ping_needs_no_credentials_and_tells_nothing(server):
    with urllib.request.urlopen(server.url + "/ping") as response:
        assert json.loads(response.read())["status"] == "ok"
