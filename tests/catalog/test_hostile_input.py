"""Regression tests for what the API fuzzer (tests/api/test_fuzz.py) found: each was a 5xx, now a 4xx."""

import base64
import json

import pytest

from gluelab.errors import EntityNotFoundException, InvalidInputException


def forged(scope: str, key) -> str:
    return base64.urlsafe_b64encode(json.dumps({"s": scope, "k": key}).encode()).decode().rstrip("=")


@pytest.fixture
def seeded(catalog):
    catalog.create_database(DatabaseInput={"Name": "d"})
    catalog.create_table(
        DatabaseName="d", TableInput={"Name": "t", "PartitionKeys": [{"Name": "k", "Type": "int"}]}
    )
    catalog.create_connection(
        ConnectionInput={
            "Name": "c",
            "ConnectionType": "KAFKA",
            "ConnectionProperties": {"KAFKA_BOOTSTRAP_SERVERS": "h:1"},
        }
    )
    return catalog


@pytest.mark.parametrize("key", ["abc", [], 10**30, 2**31, -1, True, None])
def test_forged_integer_page_tokens(seeded, key):
    for call, scope in (
        (lambda t: seeded.get_partitions(DatabaseName="d", TableName="t", NextToken=t), "GetPartitions/1"),
        (
            lambda t: seeded.get_table_versions(DatabaseName="d", TableName="t", NextToken=t),
            "GetTableVersions/1",
        ),
    ):
        with pytest.raises(InvalidInputException, match="NextToken"):
            call(forged(scope, key))


@pytest.mark.parametrize("key", ["\ud800", "\u0000", 5, "x" * 5000])
def test_forged_name_page_tokens(seeded, key):
    with pytest.raises(InvalidInputException, match="NextToken"):
        seeded.get_databases(NextToken=forged("GetDatabases", key))
    with pytest.raises(InvalidInputException, match="NextToken"):
        seeded.get_tables(DatabaseName="d", NextToken=forged("GetTables/d", key))
    with pytest.raises(InvalidInputException, match="NextToken"):
        seeded.get_connections(NextToken=forged("GetConnections", key))


@pytest.mark.parametrize("version", ["99999999999999999999999", "2147483648"])
def test_huge_version_ids_are_simply_not_found(seeded, version):
    with pytest.raises(EntityNotFoundException):
        seeded.get_table_version(DatabaseName="d", TableName="t", VersionId=version)
    with pytest.raises(EntityNotFoundException):
        seeded.delete_table_version(DatabaseName="d", TableName="t", VersionId=version)
    errors = seeded.batch_delete_table_version(DatabaseName="d", TableName="t", VersionIds=[version])[
        "Errors"
    ]
    assert errors[0]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"


def test_table_patterns_that_cannot_compile_or_never_finish(seeded):
    with pytest.raises(InvalidInputException, match="not a valid pattern"):
        seeded.get_tables(DatabaseName="d", Expression="a{99999999999999999999}")
    seeded.create_table(DatabaseName="d", TableInput={"Name": "a" * 250})
    with pytest.raises(InvalidInputException, match="too expensive"):
        seeded.get_tables(DatabaseName="d", Expression="(a|aa)+b")  # exponential backtracking


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+00:30", "9999-12-31T23:59:59-00:30"])
def test_timestamps_outside_years_1_to_9999_in_utc(seeded, when):
    with pytest.raises(InvalidInputException, match="timestamp"):
        seeded.create_table(DatabaseName="d", TableInput={"Name": "t1", "LastAccessTime": when})
    with pytest.raises(InvalidInputException, match="timestamp"):
        seeded.create_partition(
            DatabaseName="d", TableName="t", PartitionInput={"Values": ["1"], "LastAccessTime": when}
        )


@pytest.mark.parametrize("bad, message", [("\ud800", "lone surrogate"), ("a\u0000b", "NUL characters")])
def test_unstorable_characters_in_free_text_fields(seeded, bad, message):
    with pytest.raises(InvalidInputException, match=message):
        seeded.create_partition(DatabaseName="d", TableName="t", PartitionInput={"Values": [bad]})
    with pytest.raises(InvalidInputException, match=message):
        seeded.create_table(DatabaseName="d", TableInput={"Name": "t2", "TableType": bad})
    with pytest.raises(InvalidInputException, match=message):
        seeded.create_database(DatabaseInput={"Name": "e", "Parameters": {"k": bad}})


def test_table_types_up_to_255_characters(seeded):
    seeded.create_table(DatabaseName="d", TableInput={"Name": "wide", "TableType": "V" * 255})
    assert seeded.get_table(DatabaseName="d", Name="wide")["Table"]["TableType"] == "V" * 255


def test_names_that_outgrow_255_characters_when_lower_cased(seeded):
    with pytest.raises(InvalidInputException, match="longer than 255 characters once lower-cased"):
        seeded.create_database(DatabaseInput={"Name": "\u0130" * 255})
    with pytest.raises(InvalidInputException, match="longer than 255 characters once lower-cased"):
        seeded.create_table(DatabaseName="d", TableInput={"Name": "\u0130" * 200})
    assert [d["Name"] for d in seeded.get_databases()["DatabaseList"]] == ["d"]


def test_numbers_too_big_for_a_float(seeded):
    huge = 10**400
    with pytest.raises(InvalidInputException, match="timestamp"):
        seeded.get_partitions(DatabaseName="d", TableName="t", QueryAsOfTime=huge)
    with pytest.raises(InvalidInputException, match="less than or equal to 1000"):
        seeded.get_partitions(DatabaseName="d", TableName="t", MaxResults=huge)
