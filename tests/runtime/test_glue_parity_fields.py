"""Issue 21, points 1, 2 and 4, in one ``gluelab run`` of scripts/field_names_and_casts.py:

1. field names as crawled CSV headers keep them (``provider id``, ``pay-rate (%)``, ``région``, ``#beds``)
   work in every transform that takes field paths (and SplitRows and Join), with back-ticks for names
   holding dots;
2. ``DynamicFrame.fromDF`` of a join that keeps both ``country`` columns gives a frame with each name once
   (the last column's values) that writes;
3. ApplyMapping (and ResolveChoice's ``cast``) convert values by one table of rules, checked here case by
   case (``CONVERSIONS``).

The names and the ResolveChoice / ApplyMapping calls follow Glue's Medicaid sample
(https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-samples-medicaid.html), and the
back-tick rule Glue's ApplyMapping page
(https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-ApplyMapping.html)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from gluelab.config import Settings
from gluelab.services import Services
from tests.runtime.test_scripts import gluelab_run, ok

pytestmark = pytest.mark.slow

# (source type, value as text, ApplyMapping target type, the value after the mapping as Spark shows it).
# Numbers -> integer types drop the fraction toward zero (Glue's truncation, issue 21); a value beyond the
# target's range is null; text is read as Spark 3.5 (Glue 5.0) reads it with ANSI off.
CONVERSIONS: list[tuple[str, str, str, str | None]] = [
    # double -> integer types: toward zero; beyond the range, NaN, Infinity: null
    ("double", "7.25", "long", "7"),
    ("double", "-7.9", "long", "-7"),
    ("double", "30000000000.5", "long", "30000000000"),
    ("double", "1e20", "long", None),
    ("double", "NaN", "long", None),
    ("double", "Infinity", "long", None),
    ("double", "7.25", "int", "7"),
    ("double", "-7.9", "int", "-7"),
    ("double", "2147483647.9", "int", "2147483647"),
    ("double", "30000000000.5", "int", None),
    ("double", "200.5", "short", "200"),
    ("double", "-32768.9", "short", "-32768"),
    ("double", "40000.7", "short", None),
    ("double", "-7.9", "byte", "-7"),
    ("double", "127.9", "byte", "127"),
    ("double", "200.5", "byte", None),
    # double -> other types
    ("double", "7.25", "float", "7.25"),
    ("double", "1e300", "float", None),
    ("double", "NaN", "float", "NaN"),
    ("double", "7.125", "decimal(10,2)", "7.13"),
    ("double", "1e20", "decimal(10,2)", None),
    ("double", "1714557072.5", "timestamp", "2024-05-01 09:51:12.5"),
    ("double", "7.25", "date", None),
    ("double", "0", "boolean", "false"),
    ("double", "7.25", "boolean", "true"),
    ("double", "7.25", "string", "7.25"),
    # float and decimal -> integer types
    ("float", "7.75", "long", "7"),
    ("float", "-7.9", "int", "-7"),
    ("decimal(10,2)", "7.99", "long", "7"),
    ("decimal(10,2)", "-7.99", "int", "-7"),
    ("decimal(10,2)", "40000.50", "short", None),
    ("decimal(10,2)", "-128.99", "byte", "-128"),
    # integer narrowing: beyond the range is null
    ("long", "3000000000", "int", None),
    ("long", "-40000", "int", "-40000"),
    ("long", "40000", "short", None),
    ("long", "-128", "byte", "-128"),
    ("long", "200", "byte", None),
    ("long", "1714557072", "timestamp", "2024-05-01 09:51:12"),
    ("long", "1714557072", "date", None),
    ("long", "9007199254740993", "double", "9.007199254740992E15"),
    ("long", "0", "boolean", "false"),
    ("int", "40000", "short", None),
    ("int", "127", "byte", "127"),
    ("short", "300", "byte", None),
    ("boolean", "true", "long", "1"),
    ("boolean", "true", "timestamp", None),
    # text -> integer types: white space around is ignored, a decimal text gives its integer part
    ("string", "7", "long", "7"),
    ("string", "7.5", "long", "7"),
    ("string", "-7.9", "long", "-7"),
    ("string", " 12 ", "long", "12"),
    ("string", "\t12\n", "long", "12"),
    ("string", "+5", "long", "5"),
    ("string", "abc", "long", None),
    ("string", "", "long", None),
    ("string", "1e3", "long", None),
    ("string", "1,000", "long", None),
    ("string", "0x10", "long", None),
    ("string", "9223372036854775807", "long", "9223372036854775807"),
    ("string", "9223372036854775808", "long", None),
    ("string", "7.5", "int", "7"),
    ("string", " 12 ", "int", "12"),
    ("string", "abc", "int", None),
    ("string", "3000000000", "int", None),
    ("string", "-32768", "short", "-32768"),
    ("string", "40000", "short", None),
    ("string", "127.9", "byte", "127"),
    ("string", "128", "byte", None),
    # text -> float, double, decimal
    ("string", "7.5", "double", "7.5"),
    ("string", " 12 ", "double", "12.0"),
    ("string", "1e3", "double", "1000.0"),
    ("string", "NaN", "double", "NaN"),
    ("string", "abc", "double", None),
    ("string", "$5777.24", "double", None),
    ("string", "7.25", "float", "7.25"),
    ("string", "1e39", "float", None),
    ("string", "7.125", "decimal(10,2)", "7.13"),
    ("string", "123456789012", "decimal(10,2)", None),
    # text -> timestamp and date: ISO 8601 forms; other forms and impossible dates are null
    ("string", "2024-05-01", "timestamp", "2024-05-01 00:00:00"),
    ("string", "2024-05-01 10:11:12", "timestamp", "2024-05-01 10:11:12"),
    ("string", "2024-05-01 10:11:12.5", "timestamp", "2024-05-01 10:11:12.5"),
    ("string", " 2024-05-01 10:11:12 ", "timestamp", "2024-05-01 10:11:12"),
    ("string", "2024-05-01T10:11:12Z", "timestamp", "2024-05-01 10:11:12"),
    ("string", "2024-05-01T10:11:12.123+02:00", "timestamp", "2024-05-01 08:11:12.123"),
    ("string", "05/01/2024", "timestamp", None),
    ("string", "2024-02-30", "timestamp", None),
    ("string", "2024-05-01 25:00:00", "timestamp", None),
    ("string", "1714557072", "timestamp", None),
    ("string", "abc", "timestamp", None),
    ("string", "2024-05-01", "date", "2024-05-01"),
    ("string", "2024-05-01 10:11:12", "date", "2024-05-01"),
    ("string", "2024-5-1", "date", "2024-05-01"),
    ("string", "2024-02-30", "date", None),
    ("string", "05/01/2024", "date", None),
    # text -> boolean
    ("string", "true", "boolean", "true"),
    ("string", "yes", "boolean", "true"),
    ("string", "0", "boolean", "false"),
    ("string", "abc", "boolean", None),
    # timestamps and dates
    ("timestamp", "2024-05-01 10:11:12.5", "long", "1714558272"),
    ("timestamp", "2024-05-01 10:11:12.5", "int", "1714558272"),
    ("timestamp", "2024-05-01 10:11:12.5", "date", "2024-05-01"),
    ("timestamp", "2024-05-01 10:11:12.5", "string", "2024-05-01 10:11:12.5"),
    ("timestamp", "2024-05-01 10:11:12.5", "boolean", None),
    ("date", "2024-05-01", "timestamp", "2024-05-01 00:00:00"),
    ("date", "2024-05-01", "long", None),
    ("date", "2024-05-01", "string", "2024-05-01"),
]

MEDICARE_COLUMNS = [
    ("drg definition", "string"),
    ("provider id", "bigint"),
    ("provider name", "string"),
    ("pay-rate (%)", "double"),
    ("région", "string"),
    ("#beds", "bigint"),
    ("a/b", "string"),
    ("x.y", "string"),
    ("addr info", "struct<zip code:string,st.ate:string>"),
    ("phone numbers", "array<struct<ph #:string,kind:string>>"),
    ("raw json", "string"),
]
MEDICARE = [
    {
        "drg definition": "039 - EXTRACRANIAL PROCEDURES",
        "provider id": 10001,
        "provider name": "SOUTHEAST ALABAMA MEDICAL CENTER",
        "pay-rate (%)": 1.5,
        "région": "sud",
        "#beds": 420,
        "a/b": "x",
        "x.y": "dot one",
        "addr info": {"zip code": "36301", "st.ate": "AL"},
        "phone numbers": [{"ph #": "334-793-8701", "kind": "main"}],
        "raw json": json.dumps({"k 1": 1, "k.2": {"z z": "a"}}),
    },
    {
        "drg definition": "057 - DEGENERATIVE NERVOUS SYSTEM DISORDERS",
        "provider id": "ABC",  # as in the Medicaid sample: a few ids are text, so the field is a choice
        "provider name": "MARSHALL MEDICAL CENTER",
        "pay-rate (%)": 2.25,
        "région": "nord",
        "#beds": 95,
        "a/b": "y",
        "x.y": "dot two",
        "addr info": {"zip code": "35957", "st.ate": "AL"},
        "phone numbers": [{"ph #": "256-593-8310", "kind": "main"}, {"ph #": "256-593-1111", "kind": "fax"}],
        "raw json": json.dumps({"k 1": 2, "k.2": {"z z": "b"}}),
    },
]


def put(warehouse: Path, key: str, text: str) -> None:
    path = warehouse / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def medicare_table(services: Services) -> None:
    services.catalog.create_table(
        DatabaseName="lake",
        TableInput={
            "Name": "medicare",
            "Parameters": {"classification": "json"},
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in MEDICARE_COLUMNS],
                "Location": "s3://lake/medicare/",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    )


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("field-parity") / "home"
    services = Services(Settings.load(env={"GLUELAB_HOME": str(home)}))
    services.settings.ensure_dirs()
    warehouse = services.settings.warehouse_dir
    try:
        services.catalog.create_database(DatabaseInput={"Name": "lake"})
        put(warehouse, "lake/medicare/part-0.json", "".join(json.dumps(r) + "\n" for r in MEDICARE))
        medicare_table(services)
        put(
            warehouse,
            "lake/payments/p.csv",
            "id,amount,count,paid at\n1,7.25, 12 ,2024-05-01 10:11:12\n2,-7.9,abc,05/01/2024\n3,10,7.5,\n",
        )
        put(
            warehouse,
            "lake/mixed/m.json",
            "".join(
                json.dumps({"id": i, "amount": a}) + "\n"
                for i, a in enumerate([7.25, "7.5", "abc", 12, " 40 ", -7.9])
            ),
        )
    finally:
        services.close()
    cases = home.parent / "cases.json"
    cases.write_text(json.dumps(CONVERSIONS))
    report = home.parent / "report.json"
    args = ["--JOB_NAME", "field_parity", "--TempDir", "s3://scratch/tmp/", "--cases", str(cases)]
    ok(gluelab_run(home, "field_names_and_casts.py", *args, "--report", str(report)))
    return {"warehouse": warehouse, **json.loads(report.read_text())}


def test_names_with_spaces_and_punctuation_work_in_every_transform(seen):
    assert seen["read"][:2] == [["drg definition", "string"], ["provider id", "choice<long,string>"]]
    # ResolveChoice cast:long, as the Medicaid sample does: the text id is null.
    assert ["provider id", "long"] in seen["resolved"]["schema"]
    assert [r["provider id"] for r in seen["resolved"]["rows"]] == [10001, None]
    # ApplyMapping: names with spaces, %, (, #, non-ASCII; back-ticks for the names holding dots, both as
    # source (`x.y`, addr info.`st.ate`) and target (`dotted.name`); a plain dotted target nests.
    assert seen["mapped"]["schema"] == [
        ["drg", "string"],
        ["provider", "struct<id:long,name:string>"],
        ["rate (%)", "double"],
        ["région", "string"],
        ["beds #", "int"],
        ["dotted.name", "string"],
        ["state / province", "string"],
        ["zip code", "int"],
    ]
    first = seen["mapped"]["rows"][0]
    assert first["provider"] == {"id": 10001, "name": "SOUTHEAST ALABAMA MEDICAL CENTER"}
    assert (first["rate (%)"], first["beds #"], first["dotted.name"]) == (1.5, 420, "dot one")
    assert (first["state / province"], first["zip code"], first["région"]) == ("AL", 36301, "sud")
    assert seen["selected"] == [
        ["provider id", "long"],
        ["a/b", "string"],
        ["x.y", "string"],
        ["addr info", "struct<zip code:string>"],
    ]
    dropped = dict(seen["dropped"])
    assert not {"drg definition", "x.y", "#beds"} & set(dropped)
    assert dropped["addr info"] == "struct<st.ate:string>"
    assert dropped["phone numbers"] == "array<struct<kind:string>>"


def test_rename_split_unbox_relationalize_and_join_take_such_names(seen):
    renamed = dict(seen["renamed"]["schema"])
    assert renamed["name of provider"] == "string" and "provider name" not in renamed
    assert renamed["x y"] == "string" and "x.y" not in renamed
    assert renamed["addr info"] == "struct<post code:string>"
    assert renamed["state (us)"] == "string"
    assert seen["renamed"]["rows"][0]["state (us)"] == "AL"
    assert seen["split"]["ids"] == [
        ["provider id", "long"],
        ["région", "string"],
        ["addr info", "struct<zip code:string>"],
    ]
    assert ["addr info", "struct<st.ate:string>"] in seen["split"]["rest"]
    assert "provider id" not in dict(seen["split"]["rest"])
    assert dict(seen["unboxed"]["schema"])["raw json"] == "struct<k 1:long,k.2:struct<z z:string>>"
    assert seen["unboxed"]["rows"][1]["raw json"] == {"k 1": 2, "k.2": {"z z": "b"}}
    # Relationalize names flattened fields with dots and the array's table after its path.
    root = seen["relationalized"]["root"]
    assert {"addr info.zip code", "addr info.st.ate", "pay-rate (%)", "#beds"} <= set(root["columns"])
    phones = seen["relationalized"]["root_phone numbers"]
    assert phones["columns"] == ["id", "index", "phone numbers.val.ph #", "phone numbers.val.kind"]
    assert phones["rows"] == 3
    assert seen["split_rows"] == {
        "big": ["SOUTHEAST ALABAMA MEDICAL CENTER"],
        "small": ["MARSHALL MEDICAL CENTER"],
    }
    # Join keeps the second frame's clashing field with a "." prefix, as Glue does.
    assert seen["joined_on_spaces"] == [["raw json", "string"], [".drg definition", "string"]]


def test_a_frame_with_such_names_writes_them(seen):
    table = ds.dataset(seen["warehouse"] / "curated" / "medicare", format="parquet").to_table()
    assert table.column_names[:3] == ["drg", "provider", "rate (%)"]
    assert "state / province" in table.column_names and "dotted.name" in table.column_names
    assert sorted(table.column("beds #").to_pylist()) == [95, 420]


def test_from_df_keeps_one_field_per_name_with_the_last_columns_values(seen):
    # A join that keeps both tables' country and icu: Glue's records are keyed by name, so each name is
    # once in the frame; the field stands where the first column stood and holds the last column's
    # name, type and values (a null included).
    assert seen["joined"]["columns"] == ["id", "country", "icu", "id", "country", "icu"]
    assert seen["joined"]["schema"] == [["id", "long"], ["country", "string"], ["icu", "string"]]
    assert seen["joined"]["rows"] == [
        {"id": 1, "country": "France", "icu": "ICU-A"},
        {"id": 2, "country": None, "icu": "ICU-B"},
    ]
    warehouse = seen["warehouse"]
    parquet = ds.dataset(warehouse / "curated" / "joined_parquet", format="parquet").to_table()
    assert parquet.column_names == ["id", "country", "icu"]
    assert sorted(parquet.to_pylist(), key=lambda r: r["id"])[0] == {
        "id": 1,
        "country": "France",
        "icu": "ICU-A",
    }
    lines = [
        json.loads(x)
        for f in (warehouse / "curated" / "joined_json").rglob("*.json")
        for x in f.read_text().splitlines()
    ]
    assert sorted(lines, key=lambda r: r["id"]) == [
        {"id": 1, "country": "France", "icu": "ICU-A"},
        {"id": 2, "icu": "ICU-B"},
    ]
    csv_lines = [
        x for f in (warehouse / "curated" / "joined_csv").rglob("*.csv") for x in f.read_text().splitlines()
    ]
    assert csv_lines[0] == "id,country,icu"


def test_from_df_names_differing_only_by_case_are_one_field(seen):
    # Spark (spark.sql.caseSensitive off, as on Glue) takes them for one column and its writers refuse
    # both; the last one is kept, under its spelling.
    assert seen["cased"]["schema"] == [["id", "long"], ["Country", "string"]]
    assert seen["cased"]["rows"] == [{"id": 1, "Country": "FR"}]
    cased = ds.dataset(seen["warehouse"] / "curated" / "cased", format="parquet").to_table()
    assert cased.to_pylist() == [{"id": 1, "Country": "FR"}]


@pytest.mark.parametrize(("source", "value", "target", "expected"), CONVERSIONS)
def test_apply_mapping_converts_values_by_the_table(seen, source, value, target, expected):
    assert seen["conversions"][source][value][target] == expected


def test_csv_text_is_converted_by_the_same_rules(seen):
    # The mapping names every target type, so CSV values are cast from their text: "7.25" (a double in
    # the file) -> long is 7, as Glue truncates; " 12 " -> 12; "abc" and "05/01/2024" are null.
    assert seen["csv"]["schema"] == [
        ["id", "long"],
        ["amount", "long"],
        ["count", "int"],
        ["paid at", "timestamp"],
    ]
    rows = seen["csv"]["rows"]
    assert [(r["amount"], r["count"]) for r in rows] == [(7, 12), (-7, None), (10, 7)]
    assert [r["paid at"] for r in rows] == ["2024-05-01 10:11:12", None, None]


def test_resolve_choice_cast_converts_by_the_same_rules(seen):
    # Numbers and text in one JSON field: a choice between a number type and string.
    assert dict(seen["mixed_read"])["amount"] in ("choice<double,string>", "choice<double,long,string>")
    assert [r["amount"] for r in seen["mixed"]["rows"]] == [7, 7, None, 12, 40, -7]
