"""Classifiers: format detection and schema inference for single files, as Glue's crawler does them."""

from __future__ import annotations

import bz2
import datetime as dt
import decimal
import gzip
import json
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest

from gluelab.crawler import classifiers
from gluelab.crawler.classifiers import (
    CUSTOM_KINDS,
    FileSchema,
    Skipped,
    classify_file,
    merge_columns,
    merge_types,
)

MB = 1024 * 1024


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def schema_of(path: Path, custom: list[dict] | None = None) -> FileSchema:
    result = classify_file(path, custom)
    assert isinstance(result, FileSchema), result
    return result


def skipped(path: Path, custom: list[dict] | None = None) -> str:
    result = classify_file(path, custom)
    assert isinstance(result, Skipped), result
    return result.reason


# -- CSV --------------------------------------------------------------------------------------------


def test_csv_with_header_infers_types(tmp_path):
    path = write(
        tmp_path,
        "people.csv",
        "Name,Age,Score,Active,Note\nalice,30,1.5,true,\nbob,25,2,FALSE,x\ncarol,-4,3e2,true,\n",
    )
    s = schema_of(path)
    assert s.classification == "csv" and s.classifier == "csv" and s.compression == "none"
    assert s.columns == [
        ("name", "string"),
        ("age", "bigint"),
        ("score", "double"),
        ("active", "boolean"),
        ("note", "string"),
    ]
    assert s.parameters == {
        "delimiter": ",",
        "skip.header.line.count": "1",
        "areColumnsQuoted": "false",
        "columnsOrdered": "true",
    }
    assert s.serde_parameters == {"field.delim": ","}
    assert s.records == 3
    assert s.sample_bytes == path.stat().st_size


def test_headerless_csv_gets_generic_names(tmp_path):
    s = schema_of(write(tmp_path, "n.csv", "1,2.5,true,x\n3,4,false,y\n5,6.25,true,z\n"))
    assert s.columns == [("col0", "bigint"), ("col1", "double"), ("col2", "boolean"), ("col3", "string")]
    assert "skip.header.line.count" not in s.parameters
    assert s.records == 3


def test_all_string_csv_has_no_header(tmp_path):
    # Glue: a header must look different from the data; when everything is a string it does not.
    s = schema_of(write(tmp_path, "s.csv", "name,city\nalice,paris\nbob,rome\n"))
    assert s.columns == [("col0", "string"), ("col1", "string")]
    assert "skip.header.line.count" not in s.parameters
    assert s.records == 3


def test_header_rejected_when_a_header_cell_is_numeric_or_too_long(tmp_path):
    s = schema_of(write(tmp_path, "a.csv", "id,2020\nx,1\ny,2\n"))
    assert [n for n, _ in s.columns] == ["col0", "col1"]
    long_name = "h" * 150
    s = schema_of(write(tmp_path, "b.csv", f"{long_name},b\nx,1\ny,2\n"))
    assert [n for n, _ in s.columns] == ["col0", "col1"]
    s = schema_of(write(tmp_path, "c.csv", f"a,{long_name}\nx,1\ny,2\n"))  # the last may be longer
    assert [n for n, _ in s.columns] == ["a", long_name]


def test_header_with_trailing_delimiter_duplicate_and_upper_case_names(tmp_path):
    s = schema_of(write(tmp_path, "d.csv", "ID,id,Total Amount,\n1,2,3.5,\n4,5,6,\n"))
    assert s.columns == [("id", "bigint"), ("id_1", "bigint"), ("total amount", "double"), ("col3", "string")]


@pytest.mark.parametrize("delimiter", [",", "|", "\t", ";", "\x01"])
def test_each_delimiter(tmp_path, delimiter):
    rows = [["id", "name", "price"], ["1", "a b", "2.5"], ["2", "c", "3"]]
    path = write(tmp_path, "d.txt", "".join(delimiter.join(r) + "\n" for r in rows))
    s = schema_of(path)
    assert s.parameters["delimiter"] == delimiter
    assert s.serde_parameters == {"field.delim": delimiter}
    assert s.columns == [("id", "bigint"), ("name", "string"), ("price", "double")]


def test_quoted_values_with_embedded_delimiters_and_newlines(tmp_path):
    text = 'id,comment,amount\n1,"hello, world",2.5\n2,"line one\nline two",3\n3,"say ""hi""",4\n'
    s = schema_of(write(tmp_path, "q.csv", text))
    assert s.columns == [("id", "bigint"), ("comment", "string"), ("amount", "double")]
    assert s.parameters["areColumnsQuoted"] == "true"
    assert s.records == 3


def test_csv_with_bom_and_crlf(tmp_path):
    s = schema_of(write(tmp_path, "w.csv", "\ufeffid,name\r\n1,a\r\n2,b\r\n"))
    assert s.columns == [("id", "bigint"), ("name", "string")] and s.records == 2


def test_custom_csv_with_unusable_settings_falls_back(tmp_path):
    path = write(tmp_path, "c.csv", "id,name\n1,a\n")
    for settings in ({"Delimiter": ",", "QuoteSymbol": ","}, {"Delimiter": "\n"}, {"Delimiter": '"'}):
        s = schema_of(path, [{"CsvClassifier": {"Name": "odd", **settings}}])
        assert s.classifier == "csv"


def test_inconsistent_columns_are_not_csv(tmp_path):
    reason = skipped(write(tmp_path, "r.txt", "a,b\nc,d,e\nf\n"))
    assert reason == "not a recognized format (text)"


def test_csv_mixed_int_and_double_is_double_int_and_text_is_string(tmp_path):
    s = schema_of(write(tmp_path, "m.csv", "a,b,c\n1,1,\n2.5,x,\n3,2,\n"))
    assert s.columns == [("a", "double"), ("b", "string"), ("c", "string")]


def test_csv_integer_beyond_64_bits_is_string(tmp_path):
    s = schema_of(write(tmp_path, "big.csv", "a,b\n1,99999999999999999999\n2,3\n"))
    assert s.columns == [("a", "bigint"), ("b", "string")]


def test_large_csv_sample_is_capped_at_1_mb(tmp_path):
    filler = "x" * 3000
    lines = ["id,text,value"] + [f"{i},{filler},{i}.5" for i in range(1000)]
    path = write(tmp_path, "big.csv", "\n".join(lines) + "\n")
    assert path.stat().st_size > 3 * 1000 * 1000
    s = schema_of(path)
    assert s.columns == [("id", "bigint"), ("text", "string"), ("value", "double")]
    assert 300 <= s.records < 400  # only complete rows of the first 1 MB
    assert s.sample_bytes <= MB


def test_csv_sample_limited_to_1000_records(tmp_path):
    path = write(tmp_path, "many.csv", "a,b\n" + "".join(f"{i},x\n" for i in range(5000)))
    s = schema_of(path)
    assert s.records == 1000
    assert s.sample_bytes == len("a,b\n" + "".join(f"{i},x\n" for i in range(1000)))


def test_header_only_csv_is_skipped_by_the_builtin(tmp_path):
    path = write(tmp_path, "h.csv", "id,name,amount\n")
    assert "a single row" in skipped(path)


def test_header_only_csv_with_custom_classifier_present(tmp_path):
    path = write(tmp_path, "h.csv", "id,name,amount\n")
    custom = [{"CsvClassifier": {"Name": "hdr", "Delimiter": ",", "ContainsHeader": "PRESENT"}}]
    s = schema_of(path, custom)
    assert s.columns == [("id", "string"), ("name", "string"), ("amount", "string")]
    assert s.records == 0 and s.classifier == "hdr"
    assert s.parameters["skip.header.line.count"] == "1"


# -- custom CSV classifiers -------------------------------------------------------------------------


def test_custom_csv_delimiter(tmp_path):
    path = write(tmp_path, "c.txt", "a~b~c\n1~x~2.0\n")
    custom = [{"CsvClassifier": {"Name": "tilde", "Delimiter": "~"}}]
    s = schema_of(path, custom)
    assert s.classifier == "tilde" and s.classification == "csv"
    assert s.parameters["delimiter"] == "~"
    assert s.columns == [("a", "bigint"), ("b", "string"), ("c", "double")]  # one row: no header
    # the built-ins do not know "~"
    assert skipped(path) == "not a recognized format (text)"


def test_custom_csv_present_forces_header_on_all_strings(tmp_path):
    path = write(tmp_path, "c.csv", "Name,City\nalice,paris\nbob,rome\n")
    custom = [{"CsvClassifier": {"Name": "p", "Delimiter": ",", "ContainsHeader": "PRESENT"}}]
    s = schema_of(path, custom)
    assert s.columns == [("name", "string"), ("city", "string")]
    assert s.records == 2


def test_custom_csv_absent_forces_generic_names(tmp_path):
    path = write(tmp_path, "c.csv", "id,amount\n1,2.5\n2,3\n")
    custom = [{"CsvClassifier": {"Name": "a", "Delimiter": ",", "ContainsHeader": "ABSENT"}}]
    s = schema_of(path, custom)
    assert s.columns == [("col0", "string"), ("col1", "string")]  # the first row is data
    assert "skip.header.line.count" not in s.parameters
    assert s.records == 3


def test_custom_csv_header_names(tmp_path):
    path = write(tmp_path, "c.csv", "1,2.5\n2,3\n")
    custom = [{"CsvClassifier": {"Name": "h", "Delimiter": ",", "Header": ["Id", "Amount"]}}]
    s = schema_of(path, custom)
    assert s.columns == [("id", "bigint"), ("amount", "double")]
    assert s.records == 2
    # a header list that does not fit the columns: the classifier cannot read the file
    custom = [{"CsvClassifier": {"Name": "h", "Delimiter": ",", "Header": ["a", "b", "c"]}}]
    assert schema_of(path, custom).classifier == "csv"


def test_custom_csv_quote_symbol_trimming_and_single_column(tmp_path):
    path = write(tmp_path, "q.csv", "id|v\n1|'a|b'\n2|' 7'\n")
    custom = [{"CsvClassifier": {"Name": "q", "Delimiter": "|", "QuoteSymbol": "'"}}]
    s = schema_of(path, custom)
    assert s.columns == [("id", "bigint"), ("v", "string")]
    assert s.parameters["areColumnsQuoted"] == "true"

    path = write(tmp_path, "t.csv", "a,b\n1, 2\nx, 3\n")
    assert schema_of(path).columns == [("a", "string"), ("b", "bigint")]
    custom = [{"CsvClassifier": {"Name": "t", "Delimiter": ",", "DisableValueTrimming": True}}]
    assert schema_of(path, custom).columns == [("a", "string"), ("b", "string")]

    path = write(tmp_path, "one.txt", "value\n1\n2\n")
    assert isinstance(classify_file(path), Skipped)
    custom = [{"CsvClassifier": {"Name": "one", "Delimiter": ",", "AllowSingleColumn": True}}]
    s = schema_of(path, custom)
    assert s.columns == [("value", "bigint")] and s.records == 2


def test_custom_classifiers_in_order_and_malformed_ones_ignored(tmp_path):
    path = write(tmp_path, "c.csv", "a;b\n1;2\n")
    custom = [
        "nonsense",
        {"GrokClassifier": {"Name": "g"}},
        {"JsonClassifier": {"Name": "j", "JsonPath": "$[*]"}},
        {"CsvClassifier": {"Name": "first", "Delimiter": ";"}},
        {"CsvClassifier": {"Name": "second", "Delimiter": ";"}},
    ]
    assert schema_of(path, custom).classifier == "first"
    assert (
        "CsvClassifier" in CUSTOM_KINDS
        and "JsonClassifier" in CUSTOM_KINDS
        and "XMLClassifier" in CUSTOM_KINDS
    )


# -- compression ------------------------------------------------------------------------------------

CSV_TEXT = "id,name\n1,a\n2,b\n"
JSON_TEXT = '{"id": 1, "name": "a"}\n{"id": 2, "name": "b"}\n'


@pytest.mark.parametrize(
    ("name", "compress", "compression"),
    [
        ("x.gz", gzip.compress, "gzip"),
        ("x.bz2", bz2.compress, "bzip2"),
        ("no_extension", gzip.compress, "gzip"),  # magic bytes
        ("no_extension_either", bz2.compress, "bzip2"),
    ],
)
@pytest.mark.parametrize(("text", "classification"), [(CSV_TEXT, "csv"), (JSON_TEXT, "json")])
def test_compressed_files(tmp_path, name, compress, compression, text, classification):
    s = schema_of(write(tmp_path, name, compress(text.encode())))
    assert (s.classification, s.compression) == (classification, compression)
    assert s.columns == [("id", "bigint"), ("name", "string")]
    assert s.records == 2
    assert s.sample_bytes == len(text)


def test_multi_member_gzip_and_truncated_gzip(tmp_path):
    s = schema_of(write(tmp_path, "m.csv.gz", gzip.compress(b"a,b\n1,2\n") + gzip.compress(b"3,4\n")))
    assert s.records == 2
    data = gzip.compress(("a,b\n" + "".join(f"{i},{i}.5\n" for i in range(5000))).encode())
    s = schema_of(write(tmp_path, "t.csv.gz", data[: len(data) // 2]))
    assert s.compression == "gzip" and s.columns == [("a", "bigint"), ("b", "double")]


def test_highly_compressed_file_decompresses_only_the_sample(tmp_path):
    data = gzip.compress(b"a,b\n" + b"1,2\n" * (25 * MB), compresslevel=1)
    start = time.perf_counter()
    s = schema_of(write(tmp_path, "bomb.csv.gz", data))
    assert s.records == 1000 and s.columns == [("a", "bigint"), ("b", "bigint")]
    assert time.perf_counter() - start < 5


def test_corrupt_compressed_files_are_skipped(tmp_path):
    assert "corrupt gzip" in skipped(write(tmp_path, "bad.csv.gz", b"\x1f\x8b\x08\x00garbage-garbage"))
    assert "corrupt gzip" in skipped(write(tmp_path, "bad2.gz", b"plain text, not gzip\n1,2\n"))
    assert "corrupt bzip2" in skipped(write(tmp_path, "bad.bz2", b"BZh9" + os.urandom(200)))
    assert "empty" in skipped(write(tmp_path, "empty.gz", gzip.compress(b"")))


# -- JSON -------------------------------------------------------------------------------------------


def test_json_lines(tmp_path):
    s = schema_of(write(tmp_path, "l.json", '{"a": 1, "b": "x"}\n\n{"a": 2, "c": true}\n'))
    assert s.classification == "json" and s.classifier == "json"
    assert s.columns == [("a", "bigint"), ("b", "string"), ("c", "boolean")]
    assert s.serde_parameters == {"paths": "a,b,c"}
    assert s.parameters == {}
    assert s.records == 2


def test_json_array_file(tmp_path):
    s = schema_of(write(tmp_path, "a.json", json.dumps([{"id": 1}, {"id": 2, "v": 1.5}], indent=2)))
    assert s.columns == [("id", "bigint"), ("v", "double")]
    assert s.records == 2


def test_pretty_printed_json_object(tmp_path):
    doc = {"name": "x", "Count": 3, "tags": ["a", "b"], "empty": None}
    s = schema_of(write(tmp_path, "p.json", json.dumps(doc, indent=4)))
    assert s.columns == [
        ("name", "string"),
        ("count", "bigint"),
        ("tags", "array<string>"),
        ("empty", "string"),
    ]
    assert s.records == 1
    assert s.serde_parameters == {"paths": "count,empty,name,tags"}


def test_concatenated_pretty_printed_objects(tmp_path):
    text = json.dumps({"a": 1}, indent=2) + "\n" + json.dumps({"a": 2.0}, indent=2) + "\n"
    s = schema_of(write(tmp_path, "c.json", text))
    assert s.columns == [("a", "double")] and s.records == 2


def test_nested_json_types(tmp_path):
    records = [
        {"id": 1, "address": {"city": "Paris", "zip": 75001}, "scores": [1, 2], "items": [{"sku": "a"}]},
        {"id": 2, "address": {"city": "Rome", "geo": {"lat": 1.5}}, "scores": [2.5], "items": [{"qty": 3}]},
        {"id": 3, "address": None, "scores": [], "items": []},
    ]
    s = schema_of(write(tmp_path, "n.json", "\n".join(json.dumps(r) for r in records)))
    assert s.columns == [
        ("id", "bigint"),
        ("address", "struct<city:string,zip:bigint,geo:struct<lat:double>>"),
        ("scores", "array<double>"),
        ("items", "array<struct<sku:string,qty:bigint>>"),
    ]


def test_json_type_merging(tmp_path):
    lines = [
        {"n": 1, "s": 1, "x": None, "b": True, "o": {"k": 1}},
        {"n": 2.5, "s": "a", "b": False, "o": [1]},
    ]
    s = schema_of(write(tmp_path, "m.json", "\n".join(json.dumps(r) for r in lines)))
    assert s.columns == [("n", "double"), ("s", "string"), ("x", "string"), ("b", "boolean"), ("o", "string")]


def test_json_keys_differing_in_case_are_one_column(tmp_path):
    s = schema_of(write(tmp_path, "k.json", '{"Name": "a"}\n{"name": "b", "Inner": {"CamelCase": 1}}\n'))
    assert s.columns == [("name", "string"), ("inner", "struct<CamelCase:bigint>")]


def test_json_path_custom_classifier(tmp_path):
    doc = {"meta": {"v": 1}, "records": [{"id": 1, "tags": ["x"]}, {"id": 2, "price": 9.5}]}
    path = write(tmp_path, "r.json", json.dumps(doc, indent=2))
    custom = [{"JsonClassifier": {"Name": "recs", "JsonPath": "$.records[*]"}}]
    s = schema_of(path, custom)
    assert s.classifier == "recs" and s.classification == "json"
    assert s.columns == [("id", "bigint"), ("tags", "array<string>"), ("price", "double")]
    assert s.parameters == {"jsonPath": "$.records[*]"}
    assert s.serde_parameters == {"paths": "id,price,tags"}
    assert s.records == 2
    # without it, the document is one record
    s = schema_of(path)
    assert s.columns == [
        ("meta", "struct<v:bigint>"),
        ("records", "array<struct<id:bigint,tags:array<string>,price:double>>"),
    ]


@pytest.mark.parametrize(
    ("json_path", "expected"),
    [
        ("$", [("data", "struct<rows:array<struct<name:string,v:bigint>>>")]),
        ("$.data", [("rows", "array<struct<name:string,v:bigint>>")]),
        ("$.data.rows[*]", [("name", "string"), ("v", "bigint")]),
        ("$['data'].rows[0]", [("name", "string")]),
    ],
)
def test_json_path_subset(tmp_path, json_path, expected):
    doc = {"data": {"rows": [{"name": "a"}, {"v": 1}]}}
    path = write(tmp_path, "d.json", json.dumps(doc))
    assert schema_of(path, [{"JsonClassifier": {"Name": "p", "JsonPath": json_path}}]).columns == expected


def test_json_path_selecting_nothing_falls_back_to_builtins(tmp_path):
    path = write(tmp_path, "d.json", '{"a": 1}\n')
    for json_path in ("$.missing[*]", "$..a", "no-dollar"):
        s = schema_of(path, [{"JsonClassifier": {"Name": "p", "JsonPath": json_path}}])
        assert s.classifier == "json" and s.columns == [("a", "bigint")]


def test_json_array_with_dollar_star_path(tmp_path):
    path = write(tmp_path, "a.json", json.dumps([{"a": 1}, {"b": "x"}]))
    s = schema_of(path, [{"JsonClassifier": {"Name": "arr", "JsonPath": "$[*]"}}])
    assert s.columns == [("a", "bigint"), ("b", "string")] and s.parameters == {"jsonPath": "$[*]"}


def test_json_lines_sample_capped(tmp_path):
    line = json.dumps({"id": 1, "text": "y" * 3000}) + "\n"
    s = schema_of(write(tmp_path, "big.json", line * 1000))
    assert 300 <= s.records < 400 and s.sample_bytes <= MB
    s = schema_of(write(tmp_path, "many.json", '{"id": 1}\n' * 3000))
    assert s.records == 1000 and s.sample_bytes == len('{"id": 1}\n') * 1000


def test_json_record_larger_than_1_mb_extends_the_sample(tmp_path):
    doc = {"big": "z" * (int(1.5 * MB)), "n": 1}
    s = schema_of(write(tmp_path, "huge.json", json.dumps(doc, indent=2)))
    assert s.columns == [("big", "string"), ("n", "bigint")] and s.records == 1


def test_large_json_array_cut_keeps_complete_elements(tmp_path):
    items = [{"id": i, "text": "w" * 4000} for i in range(600)]
    s = schema_of(write(tmp_path, "arr.json", json.dumps(items)))
    assert s.columns == [("id", "bigint"), ("text", "string")]
    assert 200 <= s.records < 300


def test_invalid_json_is_not_json(tmp_path):
    assert "invalid JSON" in skipped(write(tmp_path, "bad.json", '{"a": 1}\n{"a": \n'))
    assert "JSON without objects" in skipped(write(tmp_path, "scalars.json", "[1, 2, 3]\n"))


# -- XML --------------------------------------------------------------------------------------------

XML = """<?xml version="1.0" encoding="UTF-8"?>
<catalog xmlns:x="urn:x">
  <book id="1" lang="en">
    <title>Alpha</title>
    <price>10.5</price>
    <author><name>Ann</name><born>1970</born></author>
    <tag>a</tag><tag>b</tag>
  </book>
  <book id="2">
    <title>Beta</title>
    <price>7</price>
    <author><name>Bob</name></author>
    <tag>c</tag>
    <x:isbn>123</x:isbn>
  </book>
  <magazine><title>M</title></magazine>
</catalog>
"""


def test_builtin_xml_takes_the_most_frequent_child_of_the_root(tmp_path):
    s = schema_of(write(tmp_path, "b.xml", XML))
    assert s.classification == "xml" and s.classifier == "xml"
    assert s.parameters == {"rowTag": "book"}
    assert s.columns == [
        ("_id", "bigint"),
        ("_lang", "string"),
        ("title", "string"),
        ("price", "double"),
        ("author", "struct<name:string,born:bigint>"),
        ("tag", "array<string>"),
        ("isbn", "bigint"),
    ]
    assert s.records == 2


def test_custom_xml_classifier_row_tag(tmp_path):
    path = write(tmp_path, "b.xml", XML)
    custom = [{"XMLClassifier": {"Name": "mags", "Classification": "magazines", "RowTag": "magazine"}}]
    s = schema_of(path, custom)
    assert (s.classification, s.classifier) == ("magazines", "mags")
    assert s.parameters == {"rowTag": "magazine"}
    assert s.columns == [("title", "string")] and s.records == 1
    # nested row tags, text beside attributes
    text = '<a><b><item k="x">5</item><item k="y">6</item></b></a>'
    custom = [{"XMLClassifier": {"Name": "i", "Classification": "items", "RowTag": "item"}}]
    s = schema_of(write(tmp_path, "n.xml", text), custom)
    assert s.columns == [("_k", "string"), ("_value", "bigint")] and s.records == 2


def test_custom_xml_classifier_without_the_row_tag_falls_back(tmp_path):
    path = write(tmp_path, "b.xml", XML)
    custom = [{"XMLClassifier": {"Name": "n", "Classification": "nope", "RowTag": "absent"}}]
    s = schema_of(path, custom)
    assert s.classification == "xml" and s.parameters == {"rowTag": "book"}


def test_xml_cut_at_1_mb_keeps_complete_rows(tmp_path):
    row = "<r><id>{}</id><t>" + "q" * 5000 + "</t></r>\n"
    text = "<rows>\n" + "".join(row.format(i) for i in range(400)) + "</rows>\n"
    s = schema_of(write(tmp_path, "big.xml", text))
    assert s.columns == [("id", "bigint"), ("t", "string")]
    assert 150 <= s.records < 250


def test_xml_sample_limited_to_1000_rows(tmp_path):
    text = "<rows>" + "".join(f"<r n='{i}'/>" for i in range(20000)) + "</rows>"
    path = write(tmp_path, "many.xml", text)
    s = schema_of(path)
    assert s.columns == [("_n", "bigint")] and s.records == 1000
    assert s.sample_bytes < path.stat().st_size / 4


def test_malformed_xml_is_skipped(tmp_path):
    reason = skipped(write(tmp_path, "bad.xml", "<a><b>1</b><c>\n"))
    assert "malformed XML" in reason


# -- Parquet, ORC, Avro -------------------------------------------------------------------------------


def arrow_table() -> pa.Table:
    return pa.table(
        {
            "Big": pa.array([1, 2], pa.int64()),
            "small": pa.array([1, 2], pa.int32()),
            "f": pa.array([1.5, 2.5], pa.float64()),
            "s": pa.array(["a", None], pa.string()),
            "flag": pa.array([True, False], pa.bool_()),
            "ts": pa.array([dt.datetime(2024, 1, 1), None], pa.timestamp("us")),
            "day": pa.array([dt.date(2024, 1, 1), None], pa.date32()),
            "amount": pa.array([decimal.Decimal("1.23"), None], pa.decimal128(12, 2)),
            "tags": pa.array([["a"], []], pa.list_(pa.string())),
            "addr": pa.array(
                [{"city": "x", "Zip": 1}, None], pa.struct([("city", pa.string()), ("Zip", pa.int64())])
            ),
        }
    )


EXPECTED_ARROW_COLUMNS = [
    ("big", "bigint"),
    ("small", "int"),
    ("f", "double"),
    ("s", "string"),
    ("flag", "boolean"),
    ("ts", "timestamp"),
    ("day", "date"),
    ("amount", "decimal(12,2)"),
    ("tags", "array<string>"),
    ("addr", "struct<city:string,Zip:bigint>"),
]


def test_parquet(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(arrow_table(), path)
    s = schema_of(path)
    assert (s.classification, s.classifier, s.compression) == ("parquet", "parquet", "none")
    assert s.columns == EXPECTED_ARROW_COLUMNS
    assert s.records == 2


def test_orc(tmp_path):
    path = tmp_path / "t.orc"
    orc.write_table(arrow_table(), path)
    s = schema_of(path)
    assert (s.classification, s.classifier) == ("orc", "orc")
    assert s.columns == EXPECTED_ARROW_COLUMNS
    assert s.records == 2


def test_truncated_parquet_and_orc_are_skipped(tmp_path):
    pq.write_table(arrow_table(), tmp_path / "t.parquet")
    data = (tmp_path / "t.parquet").read_bytes()
    assert "corrupt Parquet" in skipped(write(tmp_path, "cut.parquet", data[: len(data) // 2]))
    orc.write_table(arrow_table(), tmp_path / "t.orc")
    data = (tmp_path / "t.orc").read_bytes()
    assert "corrupt ORC" in skipped(write(tmp_path, "cut.orc", data[: len(data) // 2]))


def _avro_long(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _avro_bytes(b: bytes) -> bytes:
    return _avro_long(len(b)) + b


def avro_file(schema: dict, blocks: list[tuple[int, bytes]]) -> bytes:
    sync = bytes(range(16))
    meta = {b"avro.schema": json.dumps(schema).encode(), b"avro.codec": b"null"}
    out = b"Obj\x01" + _avro_long(len(meta))
    out += b"".join(_avro_bytes(k) + _avro_bytes(v) for k, v in meta.items()) + _avro_long(0) + sync
    for count, data in blocks:
        out += _avro_long(count) + _avro_long(len(data)) + data + sync
    return out


def test_avro_schema_from_header(tmp_path):
    schema = {
        "type": "record",
        "name": "r",
        "namespace": "ns",
        "fields": [
            {"name": "Id", "type": "long"},
            {"name": "name", "type": ["null", "string"]},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {
                "name": "amount",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
            },
            {
                "name": "addr",
                "type": {"type": "record", "name": "A", "fields": [{"name": "city", "type": "string"}]},
            },
            {"name": "other", "type": "ns.A"},
            {"name": "props", "type": {"type": "map", "values": "int"}},
            {"name": "when", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "kind", "type": {"type": "enum", "name": "K", "symbols": ["a"]}},
        ],
    }
    s = schema_of(write(tmp_path, "r.avro", avro_file(schema, [(3, b"x" * 10), (2, b"y" * 5)])))
    assert (s.classification, s.classifier) == ("avro", "avro")
    assert s.columns == [
        ("id", "bigint"),
        ("name", "string"),
        ("tags", "array<string>"),
        ("amount", "decimal(9,2)"),
        ("addr", "struct<city:string>"),
        ("other", "struct<city:string>"),
        ("props", "map<string,int>"),
        ("when", "timestamp"),
        ("kind", "string"),
    ]
    assert s.records == 5


def test_avro_with_unreadable_header_is_still_avro(tmp_path):
    s = schema_of(write(tmp_path, "bad.avro", b"Obj\x01\xff\xff"))
    assert s.classification == "avro" and s.columns == []
    negative_length = b"Obj\x01" + _avro_long(1) + _avro_long(-5) + b"abc"
    assert schema_of(write(tmp_path, "neg.avro", negative_length)).columns == []


def test_avro_with_negative_block_size_does_not_hang(tmp_path):
    schema = {"type": "record", "name": "r", "fields": [{"name": "a", "type": "long"}]}
    data = avro_file(schema, []) + _avro_long(2) + _avro_long(-40) + b"xx" * 20
    s = schema_of(write(tmp_path, "neg.avro", data))
    assert s.columns == [("a", "bigint")] and s.records == 0


# -- bad input --------------------------------------------------------------------------------------


def test_empty_whitespace_and_binary_files_are_skipped(tmp_path):
    assert skipped(write(tmp_path, "empty.csv", b"")) == "empty file"
    assert "whitespace" in skipped(write(tmp_path, "blank.csv", "  \n\n\t\n"))
    assert skipped(write(tmp_path, "x.bin", os.urandom(4096))) == "not a recognized format (binary)"
    png_like = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    assert skipped(write(tmp_path, "img.png", png_like)) == "not a recognized format (binary)"
    assert skipped(tmp_path) == "not a regular file"
    assert "cannot be read" in skipped(tmp_path / "missing.csv")


def test_unreadable_file_is_skipped(tmp_path):
    path = write(tmp_path, "secret.csv", CSV_TEXT)
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions do not stop reading")
        assert "Permission denied" in skipped(path)
    finally:
        path.chmod(0o644)


def test_permission_error_while_opening_is_skipped(tmp_path, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(classifiers, "open", denied, raising=False)
    assert skipped(write(tmp_path, "d.csv", CSV_TEXT)) == "cannot be read: Permission denied"


def test_unexpected_errors_never_escape(tmp_path, monkeypatch):
    def boom(file):
        raise RuntimeError("boom")

    monkeypatch.setattr(classifiers, "_BUILTINS", (boom,))
    assert skipped(write(tmp_path, "d.csv", CSV_TEXT)) == "could not be classified: RuntimeError: boom"


def test_deeply_nested_json_does_not_raise(tmp_path):
    result = classify_file(write(tmp_path, "deep.json", "[" * 100000 + "]" * 100000))
    assert isinstance(result, (Skipped, FileSchema))


# -- merging ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "merged"),
    [
        ("bigint", "bigint", "bigint"),
        ("bigint", "double", "double"),
        ("int", "bigint", "bigint"),
        ("int", "float", "double"),
        ("bigint", "string", "string"),
        ("boolean", "bigint", "string"),
        ("date", "timestamp", "timestamp"),
        ("decimal(10,2)", "decimal(12,4)", "decimal(12,4)"),
        ("decimal(10,2)", "int", "decimal(12,2)"),
        ("decimal(10,2)", "double", "double"),
        ("array<bigint>", "array<double>", "array<double>"),
        ("struct<a:bigint,b:string>", "struct<c:boolean,a:double>", "struct<a:double,b:string,c:boolean>"),
        ("struct<a:struct<x:int>>", "struct<a:struct<y:string>>", "struct<a:struct<x:int,y:string>>"),
        ("map<string,int>", "map<string,bigint>", "map<string,bigint>"),
        ("array<string>", "struct<a:string>", "string"),
        ("struct<a:string>", "string", "string"),
    ],
)
def test_merge_types(a, b, merged):
    assert merge_types(a, b) == merged
    assert merge_types(b, a).startswith(merged.split("<")[0])


def test_merge_columns():
    a = [("id", "bigint"), ("name", "string"), ("s", "struct<x:bigint>")]
    b = [("extra", "boolean"), ("id", "double"), ("s", "struct<y:string>")]
    assert merge_columns(a, b) == [
        ("id", "double"),
        ("name", "string"),
        ("s", "struct<x:bigint,y:string>"),
        ("extra", "boolean"),
    ]


# -- speed ------------------------------------------------------------------------------------------


def test_classifying_2000_small_files_is_fast(tmp_path):
    paths = []
    for i in range(1000):
        paths.append(
            write(
                tmp_path, f"f{i}.json", "".join(json.dumps({"id": j, "v": j / 2}) + "\n" for j in range(20))
            )
        )
        paths.append(
            write(tmp_path, f"f{i}.csv", "id,name,v\n" + "".join(f"{j},n{j},{j}.5\n" for j in range(20)))
        )
    start = time.perf_counter()
    results = [classify_file(p) for p in paths]
    elapsed = time.perf_counter() - start
    print(f"classified {len(paths)} small files in {elapsed:.2f} s")
    assert all(isinstance(r, FileSchema) for r in results)
    assert {r.classification for r in results} == {"json", "csv"}
