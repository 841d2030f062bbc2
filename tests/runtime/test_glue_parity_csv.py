"""CSV read as Glue reads it (issue 21, points 7 and 8): a catalog table's fields take the catalog's column
names by position, whatever the files' header says, and integers are long. The tables are made by a real
crawl (and, for a SerDe a crawler does not write here, as Athena's DDL records it); one ``gluelab run`` of
scripts/csv_as_glue_reads_it.py reads them all and reports what it saw.

Glue's behaviour is from its "Data preparation using ResolveChoice, Lambda, and ApplyMapping" sample
(the Medicaid sample,
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-samples-medicaid.html): the
crawled table's lower-case "provider id" names the header's "Provider Id", integers are long, and the
catalog's bigint "provider id" is read as choice<long,string> (types come from the values)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gluelab.config import Settings
from gluelab.crawler.run import execute
from gluelab.services import Services
from tests.runtime.test_scripts import gluelab_run, ok

pytestmark = pytest.mark.slow


def put(warehouse: Path, key: str, text: str) -> None:
    path = warehouse / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def crawl(services: Services, name: str) -> None:
    targets = {"S3Targets": [{"Path": f"s3://lake/{name}/"}]}
    services.crawlers.create_crawler(Name=name, Role="r", DatabaseName="lake", Targets=targets)
    execute(services, services.crawlers.begin_crawl(name))


def rename_columns(services: Services, table_name: str, names: list[str]) -> None:
    """What a user does after crawling headerless files: name the crawler's col0, col1, ... in the catalog."""
    table = services.catalog.get_table(DatabaseName="lake", Name=table_name)["Table"]
    descriptor = table["StorageDescriptor"]
    columns = [{**c, "Name": n} for c, n in zip(descriptor["Columns"], names, strict=True)]
    services.catalog.update_table(
        DatabaseName="lake",
        TableInput={
            "Name": table_name,
            "Parameters": table["Parameters"],
            "PartitionKeys": table["PartitionKeys"],
            "StorageDescriptor": {**descriptor, "Columns": columns},
        },
    )


def open_csv_table(services: Services) -> None:
    """A table over quoted, pipe-separated files as Athena's CREATE TABLE ... ROW FORMAT SERDE
    'org.apache.hadoop.hive.serde2.OpenCSVSerde' records it (https://docs.aws.amazon.com/athena/latest/ug/csv-serde.html).
    ``id`` is declared string: Glue's DynamicFrame types the values from the data, not from the catalog."""
    services.catalog.create_table(
        DatabaseName="lake",
        TableInput={
            "Name": "contacts",
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
            "PartitionKeys": [],
            "StorageDescriptor": {
                "Columns": [
                    {"Name": "id", "Type": "string"},
                    {"Name": "name", "Type": "string"},
                    {"Name": "note", "Type": "string"},
                ],
                "Location": "s3://lake/contacts/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
                    "Parameters": {"separatorChar": "|", "quoteChar": "'", "escapeChar": "\\"},
                },
            },
        },
    )


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("csv-parity") / "home"
    services = Services(Settings.load(env={"GLUELAB_HOME": str(home)}))
    services.settings.ensure_dirs()
    warehouse = services.settings.warehouse_dir
    try:
        services.catalog.create_database(DatabaseInput={"Name": "lake"})
        put(
            warehouse,
            "lake/customers/part-0.csv",
            "1,ann@example.com,active,10.5\n2,bob@example.com,closed,7\n",
        )
        crawl(services, "customers")
        rename_columns(services, "customers", ["id", "email", "status", "amount"])
        # New data after the crawl: a row short of the table's columns and one with more fields.
        put(
            warehouse,
            "lake/customers/part-1.csv",
            "3,cy@example.com\n4,dee@example.com,active,1.25,extra,9\n",
        )
        put(
            warehouse,
            "lake/movies/decade=1970/a.csv",
            "Title,IMDB_Rating,Year\nAlien,8.5,1979\nJaws,8.1,1975\n",
        )
        put(warehouse, "lake/movies/decade=1990/b.csv", "Title,IMDB_Rating,Year\nHeat,8.3,1995\n")
        crawl(services, "movies")
        put(warehouse, "lake/scores/s.csv", "Player;Points;Ratio\nann;12;0.5\nbob;7;1.25\n")
        crawl(services, "scores")
        open_csv_table(services)
        put(
            warehouse,
            "lake/contacts/c.csv",
            "ID|Full Name|Note\n1|'Smith| John'|'it\\'s here'\n2|Bob|plain\n",
        )
        put(
            warehouse,
            "lake/orders/o.csv",
            "id,qty,price,big,label\n1,3,9.99,123456789012345678901,a\n2,40000,10,5,b\n",
        )
        put(
            warehouse,
            "lake/providers/p.csv",
            "provider_id,provider_name\n10001,Southeast\n10005,Marshall\nABCD,Broken\n",
        )
        # Medicaid-style headers with spaces, crawled (the crawler keeps the spaces, lower-cased).
        put(
            warehouse,
            "lake/inpatient/i.csv",
            "DRG Definition,Provider Id,Provider Name\n039 - EXTRACRANIAL,10001,Southeast\n"
            "039 - EXTRACRANIAL,unknown,Marshall\n",
        )
        crawl(services, "inpatient")
        tables = {t["Name"]: t for t in services.catalog.get_tables(DatabaseName="lake")["TableList"]}
    finally:
        services.close()
    report = home.parent / "report.json"
    ok(gluelab_run(home, "csv_as_glue_reads_it.py", "--JOB_NAME", "csv_parity", "--report", str(report)))
    return {"tables": tables, **json.loads(report.read_text())}


def test_a_headerless_csv_table_names_fields_by_the_catalogs_columns(seen):
    # Glue reads a catalog table's CSV fields by position under the catalog's column names (the crawler's
    # col0, col1, ... renamed here); integers are long, decimals double (the Medicaid sample).
    assert seen["customers"]["schema"] == [
        ["id", "long"],
        ["email", "string"],
        ["status", "string"],
        ["amount", "double"],
    ]
    assert seen["customers"]["rows"][:2] == [
        {"id": 1, "email": "ann@example.com", "status": "active", "amount": 10.5},
        {"id": 2, "email": "bob@example.com", "status": "closed", "amount": 7.0},
    ]


def test_a_headered_csv_table_takes_the_catalogs_spelling_and_skips_the_header(seen):
    # The Medicaid sample: the file's header "Provider Id" is read as the catalog's "provider id".
    table = seen["tables"]["movies"]
    assert table["Parameters"]["skip.header.line.count"] == "1"
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["title", "imdb_rating", "year"]
    assert seen["movies"]["schema"] == [
        ["title", "string"],
        ["imdb_rating", "double"],
        ["year", "long"],
        ["decade", "string"],  # the partition key, from the folders, as before
    ]
    assert seen["movies"]["rows"] == [
        {"title": "Alien", "imdb_rating": 8.5, "year": 1979, "decade": "1970"},
        {"title": "Heat", "imdb_rating": 8.3, "year": 1995, "decade": "1990"},
        {"title": "Jaws", "imdb_rating": 8.1, "year": 1975, "decade": "1970"},
    ]


def test_short_rows_get_nulls_and_long_rows_lose_their_extra_fields(seen):
    # As Hive's CSV SerDes read a row against the table's columns.
    assert seen["customers"]["rows"][2:] == [
        {"id": 3, "email": "cy@example.com", "status": None, "amount": None},
        {"id": 4, "email": "dee@example.com", "status": "active", "amount": 1.25},
    ]
    assert [name for name, _ in seen["customers"]["schema"]] == ["id", "email", "status", "amount"]


def test_the_serde_parameters_give_separator_quote_and_escape(seen):
    # The crawler's LazySimpleSerDe field.delim ...
    scores = seen["tables"]["scores"]["StorageDescriptor"]["SerdeInfo"]["Parameters"]
    assert scores["field.delim"] == ";"
    assert seen["scores"]["schema"] == [["player", "string"], ["points", "long"], ["ratio", "double"]]
    assert seen["scores"]["rows"] == [
        {"player": "ann", "points": 12, "ratio": 0.5},
        {"player": "bob", "points": 7, "ratio": 1.25},
    ]
    # ... and OpenCSVSerde's separatorChar, quoteChar and escapeChar; the header "ID|Full Name|Note" is
    # skipped, and "id" (string in the catalog) is typed from the values, as Glue's DynamicFrame does
    # (the Medicaid sample: the catalog's bigint "provider id" is read as choice<long,string>).
    assert seen["contacts"]["schema"] == [["id", "long"], ["name", "string"], ["note", "string"]]
    assert seen["contacts"]["rows"] == [
        {"id": 1, "name": "Smith| John", "note": "it's here"},
        {"id": 2, "name": "Bob", "note": "plain"},
    ]


def test_from_options_csv_integers_are_long(seen):
    # The Medicaid sample: "provider zip code: long", "total discharges: long". A number too big for a long is
    # a double, as a decimal is.
    assert seen["orders"]["schema"] == [
        ["id", "long"],
        ["qty", "long"],
        ["price", "double"],
        ["big", "double"],
        ["label", "string"],
    ]
    assert seen["orders"]["rows"] == [
        {"id": 1, "qty": 3, "price": 9.99, "big": 1.2345678901234568e20, "label": "a"},
        {"id": 2, "qty": 40000, "price": 10.0, "big": 5.0, "label": "b"},
    ]


def test_a_column_of_numbers_and_text_is_a_choice_of_long_and_string(seen):
    # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-ResolveChoice.html
    # ("provider id: choice" of long and string; cast:long makes the text null).
    assert seen["providers"]["schema"] == [
        ["provider_id", "choice<long,string>"],
        ["provider_name", "string"],
    ]
    assert [r["provider_id"] for r in seen["providers"]["rows"]] == [
        {"long": None, "string": "ABCD"},
        {"long": 10005, "string": None},
        {"long": 10001, "string": None},
    ]
    assert seen["providers_cast_long"]["schema"][0] == ["provider_id", "long"]
    assert [r["provider_id"] for r in seen["providers_cast_long"]["rows"]] == [None, 10005, 10001]


def test_a_crawled_header_with_spaces_resolves_by_the_catalogs_name(seen):
    # Issue 21, point 1, as in Glue's Medicaid sample
    # (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-samples-medicaid.html):
    # resolveChoice(specs=[("provider id", "cast:long")]) on the crawled table.
    columns = [c["Name"] for c in seen["tables"]["inpatient"]["StorageDescriptor"]["Columns"]]
    assert columns == ["drg definition", "provider id", "provider name"]
    assert seen["inpatient"]["schema"] == [
        ["drg definition", "string"],
        ["provider id", "choice<long,string>"],
        ["provider name", "string"],
    ]
    assert seen["inpatient_cast_long"]["schema"][1] == ["provider id", "long"]
    assert [r["provider id"] for r in seen["inpatient_cast_long"]["rows"]] == [None, 10001]
