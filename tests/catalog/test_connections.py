import pytest

from gluelab.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException

PG = {
    "Name": "warehouse-pg",
    "ConnectionType": "JDBC",
    "Description": "local PostgreSQL",
    "MatchCriteria": ["postgres", "local"],
    "ConnectionProperties": {
        "JDBC_CONNECTION_URL": "jdbc:postgresql://127.0.0.1:5432/test",
        "USERNAME": "postgres",
        "PASSWORD": "s3cret",
        "JDBC_ENFORCE_SSL": "false",
    },
    "PhysicalConnectionRequirements": {"SubnetId": "subnet-1", "SecurityGroupIdList": ["sg-1"]},
}


def test_create_and_get_hides_the_password_unless_asked(catalog):
    assert catalog.create_connection(ConnectionInput=PG) == {"CreateConnectionStatus": "READY"}
    hidden = catalog.get_connection(Name="warehouse-pg")["Connection"]
    assert "PASSWORD" not in hidden["ConnectionProperties"]
    assert hidden["ConnectionProperties"]["USERNAME"] == "postgres"
    assert catalog.get_connection(Name="warehouse-pg", HidePassword=True)["Connection"] == hidden
    shown = catalog.get_connection(Name="warehouse-pg", HidePassword=False)["Connection"]
    assert shown["ConnectionProperties"]["PASSWORD"] == "s3cret"
    assert shown["MatchCriteria"] == ["postgres", "local"] and shown["Status"] == "READY"
    assert shown["PhysicalConnectionRequirements"]["SecurityGroupIdList"] == ["sg-1"]
    listed = catalog.get_connections()["ConnectionList"]
    assert len(listed) == 1 and "PASSWORD" not in listed[0]["ConnectionProperties"]
    assert catalog.get_connections(HidePassword=False)["ConnectionList"][0]["ConnectionProperties"][
        "PASSWORD"
    ]


def test_filters_and_pages(catalog):
    for i in range(7):
        catalog.create_connection(
            ConnectionInput={**PG, "Name": f"c{i}", "MatchCriteria": ["even"] if i % 2 == 0 else ["odd"]}
        )
    catalog.create_connection(
        ConnectionInput={
            "Name": "kafka",
            "ConnectionType": "KAFKA",
            "ConnectionProperties": {"KAFKA_BOOTSTRAP_SERVERS": "h:9092"},
        }
    )
    assert [
        c["Name"] for c in catalog.get_connections(Filter={"ConnectionType": "KAFKA"})["ConnectionList"]
    ] == ["kafka"]
    assert [
        c["Name"] for c in catalog.get_connections(Filter={"MatchCriteria": ["even"]})["ConnectionList"]
    ] == ["c0", "c2", "c4", "c6"]
    page = catalog.get_connections(MaxResults=3)
    rest = catalog.get_connections(NextToken=page["NextToken"])
    assert [c["Name"] for c in page["ConnectionList"] + rest["ConnectionList"]] == [
        "c0",
        "c1",
        "c2",
        "c3",
        "c4",
        "c5",
        "c6",
        "kafka",
    ]


def test_update_and_rename(catalog):
    catalog.create_connection(ConnectionInput=PG)
    catalog.create_connection(ConnectionInput={**PG, "Name": "other"})
    changed = {**PG, "Name": "renamed", "Description": "moved"}
    catalog.update_connection(Name="warehouse-pg", ConnectionInput=changed)
    assert catalog.get_connection(Name="renamed")["Connection"]["Description"] == "moved"
    with pytest.raises(EntityNotFoundException):
        catalog.get_connection(Name="warehouse-pg")
    with pytest.raises(AlreadyExistsException):
        catalog.update_connection(Name="renamed", ConnectionInput={**PG, "Name": "other"})


def test_delete_and_batch_delete(catalog):
    for name in ("a", "b", "c"):
        catalog.create_connection(ConnectionInput={**PG, "Name": name})
    catalog.delete_connection(ConnectionName="a")
    result = catalog.batch_delete_connection(ConnectionNameList=["b", "a", "c"])
    assert result["Succeeded"] == ["b", "c"]
    assert result["Errors"]["a"]["ErrorCode"] == "EntityNotFoundException"
    with pytest.raises(EntityNotFoundException):
        catalog.delete_connection(ConnectionName="a")


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"ConnectionProperties": {"USERNAME": "u", "PASSWORD": "p"}}, "JDBC_CONNECTION_URL, or HOST, PORT"),
        (
            {
                "ConnectionProperties": {
                    "JDBC_CONNECTION_URL": "postgres://h/db",
                    "USERNAME": "u",
                    "PASSWORD": "p",
                }
            },
            "is not a JDBC URL",
        ),
        (
            {"ConnectionProperties": {"JDBC_CONNECTION_URL": "jdbc:postgresql://h/db"}},
            "USERNAME and PASSWORD",
        ),
        (
            {"ConnectionProperties": {"HOST": "h", "PORT": "x", "JDBC_ENGINE": "postgres", "SECRET_ID": "s"}},
            "PORT must be a number",
        ),
        ({"ConnectionType": "KAFKA", "ConnectionProperties": {}}, "KAFKA_BOOTSTRAP_SERVERS"),
        (
            {"ConnectionType": "NETWORK", "ConnectionProperties": {}, "PhysicalConnectionRequirements": None},
            "PhysicalConnectionRequirements",
        ),
        ({"ConnectionType": "SFTP"}, "SFTP connections are not supported"),
        ({"ConnectionType": "CARRIER_PIGEON"}, "enum value set"),
        ({"ConnectionProperties": {"FAVOURITE_COLOUR": "red"}}, "enum value set"),
        ({"Name": None}, "connectionInput.name"),
    ],
)
def test_bad_connections_are_refused(catalog, change, fragment):
    with pytest.raises(InvalidInputException) as info:
        catalog.create_connection(ConnectionInput={**PG, **change})
    assert fragment in info.value.message
    assert catalog.get_connections()["ConnectionList"] == []


def test_host_port_engine_form_is_accepted(catalog):
    catalog.create_connection(
        ConnectionInput={
            "Name": "maria",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "HOST": "127.0.0.1",
                "PORT": "3306",
                "JDBC_ENGINE": "mariadb",
                "SECRET_ID": "s",
            },
        }
    )
    assert catalog.get_connection(Name="maria")["Connection"]["ConnectionProperties"]["PORT"] == "3306"
