import pytest

from gluelab.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException

SD = {
    "Columns": [{"Name": "amount", "Type": "double"}],
    "Location": "s3://lake/sales/",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


@pytest.fixture
def table(catalog):
    """sales.orders partitioned by year (int), month (string), region (string); 3 years x 12 months x 2."""
    catalog.create_database(DatabaseInput={"Name": "sales"})
    catalog.create_table(
        DatabaseName="sales",
        TableInput={
            "Name": "orders",
            "StorageDescriptor": SD,
            "PartitionKeys": [
                {"Name": "year", "Type": "int"},
                {"Name": "month", "Type": "string"},
                {"Name": "region", "Type": "string"},
            ],
        },
    )
    batch = []
    for year in (2022, 2023, 2024):
        for month in range(1, 13):
            for region in ("eu", "us"):
                location = f"s3://lake/sales/year={year}/month={month:02d}/region={region}/"
                batch.append(
                    {
                        "Values": [str(year), f"{month:02d}", region],
                        "StorageDescriptor": {**SD, "Location": location},
                        "Parameters": {"n": "1"},
                    }
                )
    for i in range(0, len(batch), 100):
        assert (
            catalog.batch_create_partition(
                DatabaseName="sales", TableName="orders", PartitionInputList=batch[i : i + 100]
            )["Errors"]
            == []
        )
    return catalog


def values(catalog, expression=None, db="sales", name="orders", **request):
    result, token = [], None
    while True:
        page = catalog.get_partitions(
            DatabaseName=db,
            TableName=name,
            **request,
            **({"Expression": expression} if expression else {}),
            **({"NextToken": token} if token else {}),
        )
        result += [tuple(p["Values"]) for p in page["Partitions"]]
        token = page.get("NextToken")
        if not token:
            return sorted(result)


def test_crud(table):
    p = table.get_partition(DatabaseName="sales", TableName="orders", PartitionValues=["2024", "03", "eu"])[
        "Partition"
    ]
    assert p["Values"] == ["2024", "03", "eu"] and p["TableName"] == "orders" and p["DatabaseName"] == "sales"
    assert p["StorageDescriptor"]["Location"].endswith("year=2024/month=03/region=eu/")
    assert p["Parameters"] == {"n": "1"} and p["CreationTime"].tzinfo is not None

    table.update_partition(
        DatabaseName="sales",
        TableName="orders",
        PartitionValueList=["2024", "03", "eu"],
        PartitionInput={"Values": ["2024", "03", "eu"], "Parameters": {"n": "2"}},
    )
    p = table.get_partition(DatabaseName="sales", TableName="orders", PartitionValues=["2024", "03", "eu"])[
        "Partition"
    ]
    assert p["Parameters"] == {"n": "2"} and "StorageDescriptor" not in p  # replaced, as Glue does

    table.update_partition(
        DatabaseName="sales",
        TableName="orders",
        PartitionValueList=["2024", "03", "eu"],
        PartitionInput={"Values": ["2025", "01", "eu"]},
    )
    assert values(table, "year = 2025") == [("2025", "01", "eu")]  # the index follows renamed values
    with pytest.raises(AlreadyExistsException):
        table.update_partition(
            DatabaseName="sales",
            TableName="orders",
            PartitionValueList=["2025", "01", "eu"],
            PartitionInput={"Values": ["2024", "01", "eu"]},
        )

    table.delete_partition(DatabaseName="sales", TableName="orders", PartitionValues=["2025", "01", "eu"])
    with pytest.raises(EntityNotFoundException):
        table.get_partition(DatabaseName="sales", TableName="orders", PartitionValues=["2025", "01", "eu"])
    with pytest.raises(AlreadyExistsException):
        table.create_partition(
            DatabaseName="sales", TableName="orders", PartitionInput={"Values": ["2022", "01", "eu"]}
        )


def test_batches_report_per_item_errors(table):
    result = table.batch_create_partition(
        DatabaseName="sales",
        TableName="orders",
        PartitionInputList=[
            {"Values": ["2030", "01", "eu"]},
            {"Values": ["2022", "01", "eu"]},
            {"Values": ["2030"]},
            {"Values": ["2030", "01", "eu"]},
        ],
    )
    assert [(e["PartitionValues"], e["ErrorDetail"]["ErrorCode"]) for e in result["Errors"]] == [
        (["2022", "01", "eu"], "AlreadyExistsException"),
        (["2030"], "InvalidInputException"),
        (["2030", "01", "eu"], "AlreadyExistsException"),
    ]
    assert values(table, "year = 2030") == [("2030", "01", "eu")]

    got = table.batch_get_partition(
        DatabaseName="sales",
        TableName="orders",
        PartitionsToGet=[
            {"Values": ["2030", "01", "eu"]},
            {"Values": ["1999", "01", "eu"]},
            {"Values": ["2022", "02", "us"]},
        ],
    )
    assert [p["Values"] for p in got["Partitions"]] == [["2030", "01", "eu"], ["2022", "02", "us"]]
    assert got["UnprocessedKeys"] == []

    updated = table.batch_update_partition(
        DatabaseName="sales",
        TableName="orders",
        Entries=[
            {
                "PartitionValueList": ["2030", "01", "eu"],
                "PartitionInput": {"Values": ["2030", "01", "eu"], "Parameters": {"k": "v"}},
            },
            {"PartitionValueList": ["1999", "01", "eu"], "PartitionInput": {"Values": ["1999", "01", "eu"]}},
        ],
    )
    assert [e["ErrorDetail"]["ErrorCode"] for e in updated["Errors"]] == ["EntityNotFoundException"]

    deleted = table.batch_delete_partition(
        DatabaseName="sales",
        TableName="orders",
        PartitionsToDelete=[{"Values": ["2030", "01", "eu"]}, {"Values": ["1999", "01", "eu"]}],
    )
    assert [e["PartitionValues"] for e in deleted["Errors"]] == [["1999", "01", "eu"]]
    assert values(table, "year = 2030") == []


@pytest.mark.parametrize(
    "expression, expected_count",
    [
        ("year = 2024", 24),
        ("year = '2024'", 24),  # a quoted number still compares as a number on an int key
        ("year > 2022 AND month = '03'", 4),
        ("year >= 2023 AND month IN ('01', '02') AND region = 'eu'", 4),
        ("year BETWEEN 2022 AND 2023 AND month = '12'", 4),
        ("year NOT BETWEEN 2022 AND 2023", 24),
        ("month NOT IN ('01','02','03','04','05','06','07','08','09','10','11')", 6),
        ("month LIKE '1%'", 18),
        ("region NOT LIKE 'e_'", 36),
        ("NOT (region = 'eu' OR year < 2024)", 12),
        ("(year = 2022 OR year = 2024) AND month <> '01' AND region != 'us'", 22),
        ("region IS NULL", 0),
        ("region IS NOT NULL", 72),
        ("2023 < year", 24),
        ("YEAR = 2022 and Month = '05'", 2),  # keywords and keys are case-insensitive
    ],
)
def test_expressions(table, expression, expected_count):
    assert len(values(table, expression)) == expected_count


def test_numeric_keys_compare_as_numbers_and_strings_byte_by_byte(catalog):
    catalog.create_database(DatabaseInput={"Name": "d"})
    catalog.create_table(
        DatabaseName="d",
        TableInput={
            "Name": "t",
            "PartitionKeys": [{"Name": "n", "Type": "bigint"}, {"Name": "s", "Type": "string"}],
        },
    )
    rows = [
        ("9", "a"),
        ("10", "B"),
        ("100", "Z"),
        ("__HIVE_DEFAULT_PARTITION__", "eu-West"),
        ("-5", "eu-west"),
    ]
    catalog.batch_create_partition(
        DatabaseName="d", TableName="t", PartitionInputList=[{"Values": list(r)} for r in rows]
    )
    assert values(catalog, "n > 9", "d", "t") == [("10", "B"), ("100", "Z")]
    assert values(catalog, "n < 0", "d", "t") == [("-5", "eu-west")]
    assert values(catalog, "s > 'Z'", "d", "t") == [
        ("-5", "eu-west"),
        ("9", "a"),
        ("__HIVE_DEFAULT_PARTITION__", "eu-West"),
    ]
    assert values(catalog, "s LIKE 'eu-w%'", "d", "t") == [("-5", "eu-west")]  # LIKE is case-sensitive
    assert values(catalog, "s LIKE 'eu\\_%' OR s = 'B'", "d", "t") == [("10", "B")]


def test_dates_compare_in_order(catalog):
    catalog.create_database(DatabaseInput={"Name": "d"})
    catalog.create_table(
        DatabaseName="d", TableInput={"Name": "t", "PartitionKeys": [{"Name": "dt", "Type": "date"}]}
    )
    catalog.batch_create_partition(
        DatabaseName="d",
        TableName="t",
        PartitionInputList=[{"Values": [f"2024-{m:02d}-01"]} for m in range(1, 13)],
    )
    assert values(catalog, "dt >= '2024-11-01'", "d", "t") == [("2024-11-01",), ("2024-12-01",)]


@pytest.mark.parametrize(
    "expression, fragment",
    [
        ("country = 'x'", "'country' is not a partition key (keys: year, month, region)"),
        ("year = 'twenty'", "'twenty' is not a number, but key 'year' is int"),
        ("year = ", "expected a partition key or a value"),
    ],
)
def test_bad_expressions_are_named(table, expression, fragment):
    with pytest.raises(InvalidInputException) as info:
        table.get_partitions(DatabaseName="sales", TableName="orders", Expression=expression)
    assert fragment in info.value.message


def test_unsupported_key_types_are_refused_in_expressions(catalog):
    catalog.create_database(DatabaseInput={"Name": "d"})
    catalog.create_table(
        DatabaseName="d", TableInput={"Name": "t", "PartitionKeys": [{"Name": "b", "Type": "boolean"}]}
    )
    with pytest.raises(InvalidInputException, match="has type boolean"):
        catalog.get_partitions(DatabaseName="d", TableName="t", Expression="b = 'true'")


def test_pages_segments_and_column_schema(table):
    first = table.get_partitions(DatabaseName="sales", TableName="orders", MaxResults=50)
    assert len(first["Partitions"]) == 50 and first["NextToken"]
    assert values(table, None, MaxResults=7) == values(table)
    assert len(values(table)) == 72
    segments = [values(table, None, Segment={"SegmentNumber": i, "TotalSegments": 3}) for i in range(3)]
    assert sum(len(s) for s in segments) == 72 and sorted(sum(segments, [])) == values(table)
    with pytest.raises(InvalidInputException, match="SegmentNumber 3 must be less than"):
        table.get_partitions(
            DatabaseName="sales", TableName="orders", Segment={"SegmentNumber": 3, "TotalSegments": 3}
        )
    slim = table.get_partitions(
        DatabaseName="sales", TableName="orders", MaxResults=1, ExcludeColumnSchema=True
    )
    assert "Columns" not in slim["Partitions"][0]["StorageDescriptor"]
    assert slim["Partitions"][0]["StorageDescriptor"]["Location"]
    with pytest.raises(InvalidInputException, match="NextToken"):
        table.get_partitions(
            DatabaseName="sales",
            TableName="orders",
            NextToken=table.get_tables(DatabaseName="sales", MaxResults=1).get("NextToken") or "x",
        )


def test_value_count_must_match_the_keys(table, catalog):
    with pytest.raises(InvalidInputException, match="partitioned by 3 key"):
        table.create_partition(DatabaseName="sales", TableName="orders", PartitionInput={"Values": ["2024"]})
    catalog.create_table(DatabaseName="sales", TableInput={"Name": "flat"})
    with pytest.raises(InvalidInputException, match="has no partition keys"):
        catalog.create_partition(DatabaseName="sales", TableName="flat", PartitionInput={"Values": ["x"]})


def test_dropping_a_table_drops_its_partitions(table):
    table.delete_table(DatabaseName="sales", Name="orders")
    table.create_table(
        DatabaseName="sales",
        TableInput={
            "Name": "orders",
            "PartitionKeys": [
                {"Name": "year", "Type": "int"},
                {"Name": "month", "Type": "string"},
                {"Name": "region", "Type": "string"},
            ],
        },
    )
    assert values(table) == []
