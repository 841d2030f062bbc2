import pytest

from gluelab.errors import (
    AccessDeniedException,
    AlreadyExistsException,
    EntityNotFoundException,
    InvalidInputException,
)


def test_create_get_update_delete(catalog):
    catalog.create_database(
        DatabaseInput={
            "Name": "Sales",
            "Description": "orders",
            "LocationUri": "s3://b/sales",
            "Parameters": {"owner": "data"},
        },
        Tags={"team": "x"},
    )
    db = catalog.get_database(Name="SALES")["Database"]
    assert db["Name"] == "sales"  # folded to lower case, as Glue does
    assert db["Description"] == "orders" and db["LocationUri"] == "s3://b/sales"
    assert db["Parameters"] == {"owner": "data"}
    assert db["CatalogId"] == "123456789012" and db["CreateTime"].tzinfo is not None
    assert db["CreateTableDefaultPermissions"][0]["Permissions"] == ["ALL"]

    catalog.update_database(Name="sales", DatabaseInput={"Name": "sales", "Description": "new"})
    db = catalog.get_database(Name="sales")["Database"]
    assert db["Description"] == "new" and "LocationUri" not in db  # UpdateDatabase replaces the definition

    catalog.delete_database(Name="sales")
    with pytest.raises(EntityNotFoundException, match="Database sales not found"):
        catalog.get_database(Name="sales")


def test_duplicate_and_missing(catalog):
    catalog.create_database(DatabaseInput={"Name": "a"})
    with pytest.raises(AlreadyExistsException):
        catalog.create_database(DatabaseInput={"Name": "A"})
    for call in (
        lambda: catalog.delete_database(Name="zz"),
        lambda: catalog.update_database(Name="zz", DatabaseInput={"Name": "zz"}),
    ):
        with pytest.raises(EntityNotFoundException):
            call()


def test_rename_is_refused(catalog):
    catalog.create_database(DatabaseInput={"Name": "a"})
    with pytest.raises(InvalidInputException, match="Renaming"):
        catalog.update_database(Name="a", DatabaseInput={"Name": "b"})


def test_another_catalog_is_refused(catalog):
    with pytest.raises(AccessDeniedException, match="one Data Catalog"):
        catalog.get_databases(CatalogId="999999999999")


def test_pagination_walks_every_database_once(catalog):
    names = [f"db{i:02d}" for i in range(23)]
    for name in reversed(names):
        catalog.create_database(DatabaseInput={"Name": name})
    seen, token = [], None
    while True:
        page = catalog.get_databases(MaxResults=5, **({"NextToken": token} if token else {}))
        seen += [d["Name"] for d in page["DatabaseList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names
    assert catalog.get_databases(ResourceShareType="FOREIGN")["DatabaseList"] == []
    only_names = catalog.get_databases(AttributesToGet=["NAME"])["DatabaseList"][0]
    assert set(only_names) == {"Name", "CatalogId"}


@pytest.mark.parametrize(
    "request_body, fragment",
    [
        ({}, "Member must not be null"),
        ({"DatabaseInput": {}}, "databaseInput.name"),
        ({"DatabaseInput": {"Name": ""}}, "length greater than or equal to 1"),
        ({"DatabaseInput": {"Name": "x" * 256}}, "length less than or equal to 255"),
        ({"DatabaseInput": {"Name": "bad\nname"}}, "regular expression pattern"),
        ({"DatabaseInput": {"Name": 5}}, "Member must be a string"),
        ({"DatabaseInput": {"Name": "ok", "Colour": "red"}}, "Unknown parameter 'databaseInput.colour'"),
        ({"DatabaseInput": {"Name": "ok", "Parameters": {"k": 1}}}, "Member must be a string"),
        ({"DatabaseInput": {"Name": "ok"}, "Tags": []}, "Member must be a map"),
    ],
)
def test_bad_input_is_named_and_changes_nothing(catalog, request_body, fragment):
    with pytest.raises(InvalidInputException) as info:
        catalog.create_database(request_body)
    assert fragment in info.value.message
    assert catalog.get_databases()["DatabaseList"] == []
