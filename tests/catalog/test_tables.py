import pytest

from gluelab.errors import (
    AlreadyExistsException,
    ConcurrentModificationException,
    EntityNotFoundException,
    InvalidInputException,
)

PARQUET = {
    "Columns": [
        {"Name": "id", "Type": "bigint"},
        {"Name": "amount", "Type": "decimal(10,2)", "Comment": "EUR"},
    ],
    "Location": "s3://lake/sales/orders/",
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
    "Compressed": False,
    "NumberOfBuckets": -1,
}


@pytest.fixture
def sales(catalog):
    catalog.create_database(DatabaseInput={"Name": "sales"})
    return catalog


def orders(**overrides):
    table = {
        "Name": "Orders",
        "StorageDescriptor": PARQUET,
        "TableType": "EXTERNAL_TABLE",
        "PartitionKeys": [{"Name": "year", "Type": "string"}],
        "Parameters": {"classification": "parquet"},
    }
    table.update(overrides)
    return table


def test_create_and_get_keep_the_whole_definition(sales):
    sales.create_table(DatabaseName="Sales", TableInput=orders(Description="all orders", Owner="etl"))
    t = sales.get_table(DatabaseName="sales", Name="ORDERS")["Table"]
    assert t["Name"] == "orders" and t["DatabaseName"] == "sales"
    assert t["StorageDescriptor"] == PARQUET
    assert t["PartitionKeys"] == [{"Name": "year", "Type": "string"}]
    assert t["Parameters"] == {"classification": "parquet"} and t["TableType"] == "EXTERNAL_TABLE"
    assert t["Description"] == "all orders" and t["Owner"] == "etl"
    assert t["VersionId"] == "0" and t["IsRegisteredWithLakeFormation"] is False
    assert t["CreateTime"] == t["UpdateTime"]


def test_top_level_name_works_like_table_input_name(sales):
    sales.create_table(
        DatabaseName="sales", Name="events", TableInput={"Name": "EVENTS", "StorageDescriptor": PARQUET}
    )
    sales.create_table(DatabaseName="sales", Name="bare")
    assert [t["Name"] for t in sales.get_tables(DatabaseName="sales")["TableList"]] == ["bare", "events"]
    with pytest.raises(InvalidInputException, match="differ"):
        sales.create_table(DatabaseName="sales", Name="a", TableInput={"Name": "b"})
    with pytest.raises(InvalidInputException, match="Name is required"):
        sales.create_table(DatabaseName="sales")
    with pytest.raises(InvalidInputException, match="tableInput.name"):
        sales.create_table(DatabaseName="sales", TableInput={"StorageDescriptor": PARQUET})


def test_missing_and_duplicate(sales):
    sales.create_table(DatabaseName="sales", TableInput=orders())
    with pytest.raises(AlreadyExistsException):
        sales.create_table(DatabaseName="sales", TableInput=orders(Name="orders"))
    with pytest.raises(EntityNotFoundException, match="Database nope not found"):
        sales.create_table(DatabaseName="nope", TableInput=orders())
    with pytest.raises(EntityNotFoundException, match="Table x not found"):
        sales.get_table(DatabaseName="sales", Name="x")
    with pytest.raises(EntityNotFoundException):
        sales.delete_table(DatabaseName="sales", Name="x")


@pytest.mark.parametrize(
    "table, fragment",
    [
        (orders(PartitionKeys=[{"Name": "tags", "Type": "array<string>"}]), "primitive types"),
        (orders(PartitionKeys=[{"Name": "id", "Type": "string"}]), "more than once"),
        (
            orders(
                StorageDescriptor={"Columns": [{"Name": "a", "Type": "int"}, {"Name": "A", "Type": "int"}]}
            ),
            "more than once",
        ),
        (orders(StorageDescriptor={"Columns": [{"Type": "int"}]}), "storageDescriptor.columns.1.member.name"),
        (orders(Retention=-1), "value greater than or equal to 0"),
        (orders(TableType=7), "Member must be a string"),
    ],
)
def test_bad_definitions_are_refused(sales, table, fragment):
    with pytest.raises(InvalidInputException) as info:
        sales.create_table(DatabaseName="sales", TableInput=table)
    assert fragment in info.value.message
    assert sales.get_tables(DatabaseName="sales")["TableList"] == []


def test_unsupported_lake_formation_features_are_named(sales):
    with pytest.raises(InvalidInputException, match="TransactionId is not supported"):
        sales.create_table(DatabaseName="sales", TableInput=orders(), TransactionId="t1")


def test_update_keeps_versions(sales):
    sales.create_table(DatabaseName="sales", TableInput=orders())
    for i in range(1, 4):
        sales.update_table(DatabaseName="sales", TableInput=orders(Description=f"v{i}"))
    t = sales.get_table(DatabaseName="sales", Name="orders")["Table"]
    assert t["VersionId"] == "3" and t["Description"] == "v3" and t["UpdateTime"] > t["CreateTime"]
    versions = sales.get_table_versions(DatabaseName="sales", TableName="orders")["TableVersions"]
    assert [v["VersionId"] for v in versions] == ["3", "2", "1", "0"]
    assert [v["Table"].get("Description") for v in versions] == ["v3", "v2", "v1", None]
    old = sales.get_table_version(DatabaseName="sales", TableName="orders", VersionId="1")["TableVersion"]
    assert old["Table"]["Description"] == "v1" and old["Table"]["VersionId"] == "1"
    assert old["Table"]["CreateTime"] == t["CreateTime"]
    current = sales.get_table_version(DatabaseName="sales", TableName="orders")["TableVersion"]
    assert current["VersionId"] == "3"

    page = sales.get_table_versions(DatabaseName="sales", TableName="orders", MaxResults=3)
    rest = sales.get_table_versions(DatabaseName="sales", TableName="orders", NextToken=page["NextToken"])
    assert [v["VersionId"] for v in page["TableVersions"] + rest["TableVersions"]] == ["3", "2", "1", "0"]

    sales.delete_table_version(DatabaseName="sales", TableName="orders", VersionId="1")
    errors = sales.batch_delete_table_version(
        DatabaseName="sales", TableName="orders", VersionIds=["0", "1", "3", "x"]
    )["Errors"]
    assert [(e["VersionId"], e["ErrorDetail"]["ErrorCode"]) for e in errors] == [
        ("1", "EntityNotFoundException"),
        ("3", "InvalidInputException"),
        ("x", "InvalidInputException"),
    ]
    remaining = sales.get_table_versions(DatabaseName="sales", TableName="orders")["TableVersions"]
    assert [v["VersionId"] for v in remaining] == ["3", "2"]


def test_skip_archive_replaces_the_current_version(sales):
    sales.create_table(DatabaseName="sales", TableInput=orders())
    sales.update_table(DatabaseName="sales", TableInput=orders(Description="v1"), SkipArchive=True)
    versions = sales.get_table_versions(DatabaseName="sales", TableName="orders")["TableVersions"]
    assert [v["VersionId"] for v in versions] == ["1"]


def test_update_with_a_stale_version_id_is_refused(sales):
    sales.create_table(DatabaseName="sales", TableInput=orders())
    sales.update_table(DatabaseName="sales", TableInput=orders(Description="a"), VersionId="0")
    with pytest.raises(ConcurrentModificationException, match="version 1, not 0"):
        sales.update_table(DatabaseName="sales", TableInput=orders(Description="b"), VersionId="0")
    assert sales.get_table(DatabaseName="sales", Name="orders")["Table"]["Description"] == "a"


def test_get_tables_filters_and_pages(sales):
    names = [f"raw_{i:03d}" for i in range(30)] + ["clean_orders", "clean_users", "audit"]
    for name in names:
        sales.create_table(DatabaseName="sales", TableInput=orders(Name=name))

    def all_names(**request):
        seen, token = [], None
        while True:
            page = sales.get_tables(
                DatabaseName="sales", **request, **({"NextToken": token} if token else {})
            )
            seen += [t["Name"] for t in page["TableList"]]
            token = page.get("NextToken")
            if not token:
                return seen

    assert all_names(MaxResults=7) == sorted(names)
    assert all_names(Expression="clean*") == ["clean_orders", "clean_users"]
    assert all_names(Expression="*users|audit") == ["audit", "clean_users"]
    assert all_names(Expression="raw_00[0-4]", MaxResults=2) == [f"raw_00{i}" for i in range(5)]
    assert all_names(Expression="RAW_029") == ["raw_029"]  # case-insensitive like Glue
    assert all_names(Expression="nothing*") == []
    with pytest.raises(InvalidInputException, match="not a valid pattern"):
        sales.get_tables(DatabaseName="sales", Expression="raw_(")
    with pytest.raises(InvalidInputException, match="NextToken"):
        sales.get_tables(DatabaseName="sales", NextToken="garbage")
    slim = sales.get_tables(DatabaseName="sales", AttributesToGet=["NAME", "TABLE_TYPE"])["TableList"][0]
    assert set(slim) == {"Name", "DatabaseName", "CatalogId", "TableType"}


def test_batch_delete_reports_missing_tables(sales):
    for name in ("a", "b"):
        sales.create_table(DatabaseName="sales", TableInput=orders(Name=name))
    result = sales.batch_delete_table(DatabaseName="sales", TablesToDelete=["a", "ghost", "b"])
    assert [(e["TableName"], e["ErrorDetail"]["ErrorCode"]) for e in result["Errors"]] == [
        ("ghost", "EntityNotFoundException")
    ]
    assert sales.get_tables(DatabaseName="sales")["TableList"] == []
