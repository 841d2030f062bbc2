"""File sources and sinks of GlueContext (connection types s3, file, parquet, orc) in every format gluelab
reads and writes, against expected rows; messy input becomes error records, bad calls clear errors."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from gluelab.errors import InvalidInputException
from gluelab.runtime.dynamicframe import DynamicFrame, DynamicFrameCollection
from gluelab.runtime.inference import CORRUPT, csv_reader_options, plain_header


def put(warehouse: Path, key: str, content: str | bytes) -> Path:
    path = warehouse / key
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def read(glue_ctx: Any, fmt: str | None, paths: Any, format_options: dict | None = None, **conn: Any):
    options = {"paths": paths if isinstance(paths, list) else [paths], **conn}
    return glue_ctx.create_dynamic_frame.from_options(
        conn.pop("connection_type", "s3"), options, fmt, format_options or {}
    )


def rows(frame: DynamicFrame | Any, key: str | None = None) -> list[dict]:
    df = frame.toDF() if isinstance(frame, DynamicFrame) else frame
    result = [r.asDict(recursive=True) for r in df.collect()]
    return sorted(result, key=lambda r: (r[key] is None, r[key])) if key else result


def frame_of(glue_ctx: Any, data: list[dict], name: str = "frame") -> DynamicFrame:
    df = glue_ctx.spark_session.createDataFrame(data)
    return DynamicFrame.fromDF(df.select(*sorted(df.columns)), glue_ctx, name)


def data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith((".", "_")))


PEOPLE = [{"id": 1, "name": "ann", "city": "oslo"}, {"id": 2, "name": "bob", "city": "rome"}]


# -- csv ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("separator", "connection_type"), [(",", "s3"), ("|", "s3"), ("\t", "file"), (";", "s3")]
)
def test_csv_separators_with_header(glue_ctx, warehouse, separator, connection_type):
    text = separator.join(["id", "name"]) + "\n" + f"1{separator}ann\n2{separator}bob\n"
    put(warehouse, "lake/csv/people.csv", text)
    path = "s3://lake/csv/" if connection_type == "s3" else f"file://{warehouse}/lake/csv/"
    frame = read(
        glue_ctx,
        "csv",
        path,
        {"separator": separator, "withHeader": True},
        connection_type=connection_type,
    )
    assert rows(frame, "id") == [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}]
    assert frame.schema().getField("id").dataType.typeName() == "long"  # every csv integer, as on Glue


HEADERS = [
    "a,b,c",
    "order id,Region,amount_usd",
    "a,,c",
    "a,A,b",
    "x,x,y",
    " a ,b",
    '"a,b",c',
    '"q",r',
    "\ufeffa,b",
    "a\\b,c",
    "é,ü",
    "a;b",
]


@pytest.mark.parametrize("separator", [",", ";"])
def test_plain_headers_are_named_as_spark_names_them(spark, tmp_path, separator):
    """Column names come from the header line without a Spark job where the line is plain; wherever
    that fast path answers, its names are Spark's own."""
    opts, _, _ = csv_reader_options({"separator": separator})
    answered = 0
    for i, line in enumerate(HEADERS):
        path = tmp_path / f"h{i}.csv"
        path.write_text(line + "\n" + separator.join(["1"] * 3) + "\n", encoding="utf-8")
        names = plain_header(line, opts)
        if names is None:
            continue
        answered += 1
        probe = spark.read.options(**{k: v for k, v in opts.items() if k != "mode"}).option("header", "true")
        assert names == [f.name for f in probe.csv(str(path)).schema.fields if f.name != CORRUPT], line
    assert answered >= 3


def test_csv_without_header_names_columns_col0_col1(glue_ctx, warehouse):
    put(warehouse, "lake/csv/x.csv", "name,city\nann,oslo\n")
    frame = read(glue_ctx, "csv", "s3://lake/csv/", {"withHeader": False})
    assert frame.toDF().columns == ["col0", "col1"]
    assert rows(frame) == [{"col0": "name", "col1": "city"}, {"col0": "ann", "col1": "oslo"}]
    put(warehouse, "lake/csv2/x.csv", "id,name\n1,ann\n")
    frame = read(glue_ctx, "csv", "s3://lake/csv2/x.csv", {"withHeader": "false"})
    assert frame.count() == 2
    assert frame.schema().getField("col0").dataType.typeName() == "choice"  # "id" and 1


def test_csv_skip_first_drops_the_first_line(glue_ctx, warehouse):
    put(warehouse, "lake/csv/x.csv", "a title line,\n1,ann\n2,bob\n")
    frame = read(glue_ctx, "csv", "s3://lake/csv/", {"skipFirst": True})
    assert rows(frame, "col0") == [{"col0": 1, "col1": "ann"}, {"col0": 2, "col1": "bob"}]


def test_csv_quote_char_default_custom_and_disabled(glue_ctx, warehouse):
    put(warehouse, "lake/q1/x.csv", 'id,text\n1,"a,b"\n')
    assert rows(read(glue_ctx, "csv", "s3://lake/q1/", {"withHeader": True})) == [{"id": 1, "text": "a,b"}]
    put(warehouse, "lake/q2/x.csv", "id,text\n1,'a,b'\n")
    frame = read(glue_ctx, "csv", "s3://lake/q2/", {"withHeader": True, "quoteChar": "'"})
    assert rows(frame) == [{"id": 1, "text": "a,b"}]
    put(warehouse, "lake/q3/x.csv", 'id,text\n1,"hello"\n2,say "hi"\n')
    frame = read(glue_ctx, "csv", "s3://lake/q3/", {"withHeader": True, "quoteChar": "-1"})
    assert rows(frame, "id") == [{"id": 1, "text": '"hello"'}, {"id": 2, "text": 'say "hi"'}]
    assert frame.errorsCount() == 0


def test_csv_without_escaper_doubles_quotes_and_keeps_backslashes(glue_ctx, warehouse):
    put(warehouse, "lake/rfc/x.csv", 'id,text\n1,"C:\\temp\\"\n2,"say ""hi"""\n3,a\\n\n')
    frame = read(glue_ctx, "csv", "s3://lake/rfc/", {"withHeader": True})
    assert rows(frame, "id") == [
        {"id": 1, "text": "C:\\temp\\"},
        {"id": 2, "text": 'say "hi"'},
        {"id": 3, "text": "a\\n"},
    ]


def test_csv_escaper(glue_ctx, warehouse):
    put(warehouse, "lake/e/x.csv", 'id,text\n1,"say \\"hi\\", then go"\n')
    frame = read(glue_ctx, "csv", "s3://lake/e/", {"withHeader": True, "escaper": "\\"})
    assert rows(frame) == [{"id": 1, "text": 'say "hi", then go'}]


def test_csv_multiline_values(glue_ctx, warehouse):
    put(warehouse, "lake/m/x.csv", 'id,text\n1,"line one\nline two"\n2,single\n')
    frame = read(glue_ctx, "csv", "s3://lake/m/", {"withHeader": True, "multiLine": True})
    assert rows(frame, "id") == [{"id": 1, "text": "line one\nline two"}, {"id": 2, "text": "single"}]
    frame = read(glue_ctx, "csv", "s3://lake/m/", {"withHeader": True, "multiline": "true"})
    assert frame.count() == 2


def test_csv_types_empty_values_and_choices(glue_ctx, warehouse):
    put(warehouse, "lake/t/x.csv", "i,l,d,s,mixed\n1,10000000000,1.5,x,1\n2,,2,y,two\n")
    frame = read(glue_ctx, "csv", "s3://lake/t/", {"withHeader": True})
    types = {f.name: f.dataType.typeName() for f in frame.schema().fields}
    assert types == {"i": "long", "l": "long", "d": "double", "s": "string", "mixed": "choice"}
    resolved = frame.resolveChoice(specs=[("mixed", "cast:string")])
    assert rows(resolved, "i") == [
        {"i": 1, "l": 10000000000, "d": 1.5, "s": "x", "mixed": "1"},
        {"i": 2, "l": None, "d": 2.0, "s": "y", "mixed": "two"},
    ]


def test_csv_several_files_and_recurse(glue_ctx, warehouse):
    put(warehouse, "lake/many/a.csv", "id,name\n1,ann\n")
    put(warehouse, "lake/many/sub/b.csv", "id,name\n2,bob\n")
    put(warehouse, "lake/many/_SUCCESS", "")
    assert read(glue_ctx, "csv", "s3://lake/many/", {"withHeader": True}).count() == 1
    frame = read(glue_ctx, "csv", "s3://lake/many/", {"withHeader": True}, recurse=True)
    assert rows(frame, "id") == [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}]
    frame = read(
        glue_ctx, "csv", "s3://lake/many/", {"withHeader": True}, recurse=True, exclusions='["**/b.csv"]'
    )
    assert rows(frame) == [{"id": 1, "name": "ann"}]


def test_csv_files_with_their_own_headers_are_united_by_name(glue_ctx, warehouse):
    put(warehouse, "lake/hd/a.csv", "id,name\n1,ann\n")
    put(warehouse, "lake/hd/b.csv", "name,id\nbob,2\n")
    put(warehouse, "lake/hd/c.csv.gz", gzip.compress(b"id,city\n3,rome\n"))
    put(warehouse, "lake/hd/d.csv", "\ufeffid,name\r\n4,dan\r\n")  # a byte-order mark, CRLF lines
    frame = read(glue_ctx, "csv", "s3://lake/hd/", {"withHeader": True})
    assert frame.toDF().columns == ["id", "name", "city"]
    assert rows(frame, "id") == [
        {"id": 1, "name": "ann", "city": None},
        {"id": 2, "name": "bob", "city": None},
        {"id": 3, "name": None, "city": "rome"},
        {"id": 4, "name": "dan", "city": None},
    ]
    assert frame.errorsCount() == 0


def test_file_names_with_glob_characters_are_read_as_they_are(glue_ctx, warehouse):
    put(warehouse, "lake/gl/data[1].csv", "id\n1\n")
    put(warehouse, "lake/gl/{x}*?.csv", "id\n2\n")
    put(warehouse, "lake/gl/data1.csv", "id\n3\n")
    frame = read(glue_ctx, "csv", "s3://lake/gl/", {"withHeader": True})
    assert rows(frame, "id") == [{"id": 1}, {"id": 2}, {"id": 3}]
    assert rows(read(glue_ctx, "csv", "s3://lake/gl/data[1].csv", {"withHeader": True})) == [{"id": 1}]


def test_group_files_and_group_size_group_this_read_only(glue_ctx, warehouse):
    spark = glue_ctx.spark_session
    before = spark.conf.get("spark.sql.files.maxPartitionBytes")
    for i in range(6):
        put(warehouse, f"lake/g/{i}.csv", f"id\n{i}\n")  # 4 bytes each
    frame = read(
        glue_ctx, "csv", "s3://lake/g/", {"withHeader": True}, groupFiles="inPartition", groupSize="8"
    )
    assert sorted(r["id"] for r in rows(frame)) == list(range(6))
    assert frame.getNumPartitions() <= 3
    assert spark.conf.get("spark.sql.files.maxPartitionBytes") == before
    frame = read(glue_ctx, "csv", "s3://lake/g/", {}, groupFiles="inPartition", groupSize="1048576")
    assert frame.getNumPartitions() == 1
    assert read(glue_ctx, "csv", "s3://lake/g/", {"withHeader": True}, groupFiles="none").count() == 6
    with pytest.raises(InvalidInputException, match="groupSize"):
        read(glue_ctx, "csv", "s3://lake/g/", groupFiles="inPartition", groupSize="1MB")


# -- json --------------------------------------------------------------------------------------------------
def test_json_lines(glue_ctx, warehouse):
    put(
        warehouse,
        "lake/j/x.json",
        '{"id": 1, "name": "ann", "tags": ["a"]}\n\n{"id": 2, "nested": {"k": true}}\n',
    )
    frame = read(glue_ctx, "json", "s3://lake/j/")
    assert frame.toDF().columns == ["id", "name", "tags", "nested"]
    assert rows(frame, "id") == [
        {"id": 1, "name": "ann", "tags": ["a"], "nested": None},
        {"id": 2, "name": None, "tags": None, "nested": {"k": True}},
    ]


def test_json_multiline_object_and_array_files(glue_ctx, warehouse):
    put(warehouse, "lake/ml/one.json", '{\n  "id": 1,\n  "name": "ann"\n}\n')
    put(warehouse, "lake/ml/many.json", '[\n {"id": 2, "name": "bob"},\n {"id": 3, "name": "cy"}\n]\n')
    frame = read(glue_ctx, "json", "s3://lake/ml/", {"multiLine": True})
    assert rows(frame, "id") == [
        {"id": 1, "name": "ann"},
        {"id": 2, "name": "bob"},
        {"id": 3, "name": "cy"},
    ]
    assert read(glue_ctx, "json", "s3://lake/ml/", {"multiline": "true"}).count() == 3


def test_json_path_selects_records(glue_ctx, warehouse):
    put(warehouse, "lake/jp1/x.json", '[{"id": 1}, {"id": 2}]')
    frame = read(glue_ctx, "json", "s3://lake/jp1/", {"jsonPath": "$[*]", "multiLine": True})
    assert rows(frame, "id") == [{"id": 1}, {"id": 2}]
    put(
        warehouse,
        "lake/jp2/x.json",
        json.dumps({"meta": {"n": 2}, "records": [{"id": 1}, {"id": 2, "v": "x"}]}, indent=2),
    )
    frame = read(glue_ctx, "json", "s3://lake/jp2/", {"jsonPath": "$.records[*]", "multiLine": "true"})
    assert rows(frame, "id") == [{"id": 1, "v": None}, {"id": 2, "v": "x"}]
    put(warehouse, "lake/jp3/x.json", '{"records": [{"id": 1}]}\n{"records": [{"id": 2}, {"id": 3}]}\n')
    frame = read(glue_ctx, "json", "s3://lake/jp3/", {"jsonPath": "$.records[*]"})
    assert rows(frame, "id") == [{"id": 1}, {"id": 2}, {"id": 3}]


def test_json_path_must_start_with_dollar(glue_ctx, warehouse):
    put(warehouse, "lake/jp4/x.json", '{"id": 1}')
    with pytest.raises(InvalidInputException, match="jsonPath"):
        read(glue_ctx, "json", "s3://lake/jp4/", {"jsonPath": "records[*]"})


def test_json_fields_with_two_types_become_choices(glue_ctx, warehouse):
    put(warehouse, "lake/jc/x.json", '{"id": 1, "v": 5}\n{"id": 2, "v": "five"}\n')
    frame = read(glue_ctx, "json", "s3://lake/jc/")
    assert frame.schema().getField("v").dataType.typeName() == "choice"
    assert rows(frame.resolveChoice(specs=[("v", "cast:string")]), "id") == [
        {"id": 1, "v": "5"},
        {"id": 2, "v": "five"},
    ]


# -- compressed ------------------------------------------------------------------------------------------
def test_gzip_and_bzip2_files_by_extension(glue_ctx, warehouse):
    put(warehouse, "lake/z/a.csv.gz", gzip.compress(b"id,name\n1,ann\n"))
    put(warehouse, "lake/z/b.csv.bz2", bz2.compress(b"id,name\n2,bob\n"))
    frame = read(glue_ctx, "csv", "s3://lake/z/", {"withHeader": True})
    assert rows(frame, "id") == [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}]
    put(warehouse, "lake/zj/a.json.gz", gzip.compress(b'{"id": 1}\n{"id": 2}\n'))
    put(warehouse, "lake/zj/b.json.bz2", bz2.compress(b'[{"id": 3}]'))
    assert rows(read(glue_ctx, "json", "s3://lake/zj/", compressionType="gzip"), "id") == [
        {"id": 1},
        {"id": 2},
        {"id": 3},
    ]


# -- parquet / orc / xml -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["parquet", "orc"])
def test_parquet_and_orc_by_format_and_by_connection_type(glue_ctx, warehouse, fmt):
    df = glue_ctx.spark_session.createDataFrame([(1, "ann"), (2, "bob")], "id int, name string")
    getattr(df.write, fmt)(str(warehouse / "lake" / fmt))
    put(warehouse, f"lake/{fmt}/_SUCCESS", "")
    expected = [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}]
    assert rows(read(glue_ctx, fmt, f"s3://lake/{fmt}/"), "id") == expected
    assert rows(read(glue_ctx, None, f"s3://lake/{fmt}/", connection_type=fmt), "id") == expected


@pytest.mark.parametrize("fmt", ["parquet", "orc"])
def test_parquet_and_orc_files_with_other_columns_are_merged(glue_ctx, warehouse, fmt):
    spark = glue_ctx.spark_session
    folder = str(warehouse / "lake/evolve" / fmt)
    getattr(spark.createDataFrame([(1, "ann")], "id int, name string").coalesce(1).write, fmt)(folder)
    later = spark.createDataFrame([(2, "bob", "rome")], "id int, name string, city string").coalesce(1)
    getattr(later.write.mode("append"), fmt)(folder)
    frame = read(glue_ctx, fmt, f"s3://lake/evolve/{fmt}/")
    assert rows(frame, "id") == [
        {"id": 1, "name": "ann", "city": None},
        {"id": 2, "name": "bob", "city": "rome"},
    ]
    conflicting = spark.createDataFrame([("x", "cy")], "id string, name string").coalesce(1)
    getattr(conflicting.write.mode("append"), fmt)(folder)
    with pytest.raises(InvalidInputException, match="do not agree on their fields' types") as info:
        read(glue_ctx, fmt, f"s3://lake/evolve/{fmt}/")
    assert "STRING" in str(info.value) and "INT" in str(info.value)


def test_connection_options_reach_spark_parquet_source(glue_ctx, warehouse):
    spark = glue_ctx.spark_session
    spark.createDataFrame([(1,)], "id int").coalesce(1).write.parquet(str(warehouse / "lake/po/a"))
    [part] = [p for p in (warehouse / "lake/po/a").iterdir() if p.name.startswith("part-")]
    part.rename(warehouse / "lake/po/keep.parquet")
    spark.createDataFrame([(2,)], "id int").coalesce(1).write.parquet(str(warehouse / "lake/po/b"))
    [part] = [p for p in (warehouse / "lake/po/b").iterdir() if p.name.startswith("part-")]
    part.rename(warehouse / "lake/po/skip.parquet")
    assert read(glue_ctx, "parquet", "s3://lake/po/").count() == 2
    assert rows(read(glue_ctx, "parquet", "s3://lake/po/", pathGlobFilter="keep*")) == [{"id": 1}]


def test_xml_row_tag_and_attributes(glue_ctx, warehouse):
    put(
        warehouse,
        "lake/x/people.xml",
        '<people>\n  <person id="1"><name>ann</name><age>30</age></person>\n'
        '  <person id="2"><name>bob</name></person>\n</people>\n',
    )
    frame = read(glue_ctx, "xml", "s3://lake/x/", {"rowTag": "person"})
    assert rows(frame, "_id") == [
        {"_id": 1, "age": 30, "name": "ann"},
        {"_id": 2, "age": None, "name": "bob"},
    ]
    frame = read(glue_ctx, "xml", "s3://lake/x/", {"rowTag": "person", "attributePrefix": "@"})
    assert "@id" in frame.toDF().columns
    with pytest.raises(InvalidInputException, match="rowTag"):
        read(glue_ctx, "xml", "s3://lake/x/")


# -- writing -----------------------------------------------------------------------------------------------
def write(
    glue_ctx: Any, frame: Any, fmt: str | None, path: str, format_options: dict | None = None, **conn: Any
):
    connection_type = conn.pop("connection_type", "s3")
    return glue_ctx.write_dynamic_frame.from_options(
        frame, connection_type, {"path": path, **conn}, fmt, format_options or {}
    )


def test_csv_write_header_and_separator(glue_ctx, warehouse):
    frame = frame_of(glue_ctx, PEOPLE)
    write(glue_ctx, frame.coalesce(1), "csv", "s3://out/csv1/")
    [file] = data_files(warehouse / "out/csv1")
    assert file.read_text().splitlines() == ["city,id,name", "oslo,1,ann", "rome,2,bob"]
    write(glue_ctx, frame, "csv", "s3://out/csv2/", {"writeHeader": False, "separator": "|"})
    text = "".join(p.read_text() for p in data_files(warehouse / "out/csv2"))
    assert sorted(text.splitlines()) == ["oslo|1|ann", "rome|2|bob"]
    back = read(glue_ctx, "csv", "s3://out/csv1/", {"withHeader": True})
    assert rows(back, "id") == PEOPLE_SORTED


PEOPLE_SORTED = [{"city": "oslo", "id": 1, "name": "ann"}, {"city": "rome", "id": 2, "name": "bob"}]


def test_csv_write_quoting(glue_ctx, warehouse):
    data = [{"id": 1, "t": "a,b"}, {"id": 2, "t": 'say "x"'}, {"id": 3, "t": None}, {"id": 4, "t": "C:\\"}]
    frame = frame_of(glue_ctx, data).coalesce(1)
    write(glue_ctx, frame, "csv", "s3://out/quoted/")
    [file] = data_files(warehouse / "out/quoted")
    assert file.read_text().splitlines() == ["id,t", '1,"a,b"', '2,"say ""x"""', "3,", "4,C:\\"]
    assert rows(read(glue_ctx, "csv", "s3://out/quoted/", {"withHeader": True}), "id") == data
    write(glue_ctx, frame, "csv", "s3://out/unquoted/", {"quoteChar": "-1", "separator": "|"})
    [file] = data_files(warehouse / "out/unquoted")
    assert file.read_text().splitlines() == ["id|t", "1|a,b", '2|say "x"', "3|", "4|C:\\"]
    write(glue_ctx, frame, "csv", "s3://out/unq-parts/", {"quoteChar": "-1"}, partitionKeys=["t"])
    assert (warehouse / "out/unq-parts/t=a,b").is_dir()
    [file] = data_files(warehouse / "out/unq-parts/t=a,b")
    assert file.read_text().splitlines() == ["id", "1"]


def test_csv_write_gzip_compression(glue_ctx, warehouse):
    write(glue_ctx, frame_of(glue_ctx, PEOPLE), "csv", "s3://out/csvz/", compression="gzip")
    assert all(p.name.endswith(".csv.gz") for p in data_files(warehouse / "out/csvz"))
    assert rows(read(glue_ctx, "csv", "s3://out/csvz/", {"withHeader": True}), "id") == PEOPLE_SORTED


@pytest.mark.parametrize(
    ("fmt", "format_options", "read_fmt", "read_options"),
    [
        ("json", {}, "json", {}),
        ("parquet", {}, "parquet", {}),
        ("parquet", {"compression": "gzip"}, "parquet", {}),
        ("glueparquet", {"compression": "snappy"}, "parquet", {}),
        ("glueparquet", {"compression": "gzip"}, "parquet", {}),
        ("orc", {}, "orc", {}),
        ("xml", {"rowTag": "person"}, "xml", {"rowTag": "person"}),
    ],
)
def test_write_round_trips(glue_ctx, warehouse, fmt, format_options, read_fmt, read_options):
    frame = frame_of(glue_ctx, PEOPLE)
    write(glue_ctx, frame, fmt, "s3://out/rt/", format_options)
    files = data_files(warehouse / "out/rt")
    assert files
    if fmt.endswith("parquet"):
        suffix = ".gz.parquet" if format_options.get("compression") == "gzip" else ".snappy.parquet"
        assert all(p.name.endswith(suffix) for p in files)
    assert rows(read(glue_ctx, read_fmt, "s3://out/rt/", read_options), "id") == PEOPLE_SORTED


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "glueparquet", "orc"])
def test_partition_keys_make_folders_and_leave_the_files(glue_ctx, warehouse, fmt):
    data = [
        {"id": 1, "year": 2023, "region": "eu"},
        {"id": 2, "year": 2024, "region": "eu"},
        {"id": 3, "year": 2024, "region": "us"},
    ]
    write(glue_ctx, frame_of(glue_ctx, data), fmt, "s3://out/parts", partitionKeys=["year", "region"])
    root = warehouse / "out/parts"
    folders = sorted({p.parent.relative_to(root).as_posix() for p in data_files(root)})
    assert folders == ["year=2023/region=eu", "year=2024/region=eu", "year=2024/region=us"]
    read_fmt = "parquet" if fmt == "glueparquet" else fmt
    options = {"withHeader": True} if fmt == "csv" else {}
    part = read(glue_ctx, read_fmt, "s3://out/parts/year=2024/region=eu/", options)
    assert rows(part) == [{"id": 2}]


def test_write_with_connection_type_parquet_and_orc(glue_ctx, warehouse):
    frame = frame_of(glue_ctx, PEOPLE)
    write(glue_ctx, frame, None, "s3://out/p/", connection_type="parquet")
    write(glue_ctx, frame, None, f"file://{warehouse}/out/o/", connection_type="orc")
    assert rows(read(glue_ctx, "parquet", "s3://out/p/"), "id") == PEOPLE_SORTED
    assert rows(read(glue_ctx, "orc", "s3://out/o/"), "id") == PEOPLE_SORTED


def test_write_a_collection_puts_each_frame_under_its_name(glue_ctx, warehouse):
    collection = DynamicFrameCollection(
        {"ones": frame_of(glue_ctx, [{"id": 1}]), "twos": frame_of(glue_ctx, [{"id": 2}, {"id": 22}])},
        glue_ctx,
    )
    result = glue_ctx.write_dynamic_frame.from_options(collection, "s3", {"path": "s3://out/dfc"}, "json")
    assert result is collection
    assert rows(read(glue_ctx, "json", "s3://out/dfc/ones/")) == [{"id": 1}]
    assert rows(read(glue_ctx, "json", "s3://out/dfc/twos/"), "id") == [{"id": 2}, {"id": 22}]
    with pytest.raises(TypeError, match="DynamicFrame"):
        glue_ctx.write_from_options([1, 2], "s3", {"path": "s3://out/x"}, "json")


def test_write_appends(glue_ctx, warehouse):
    frame = frame_of(glue_ctx, PEOPLE)
    write(glue_ctx, frame, "json", "s3://out/app/")
    write(glue_ctx, frame, "json", "s3://out/app/")
    assert read(glue_ctx, "json", "s3://out/app/").count() == 4


def test_data_source_set_format_get_frame(glue_ctx, warehouse):
    put(warehouse, "lake/src/x.csv", "id|name\n1|ann\n")
    source = glue_ctx.getSource("s3", paths=["s3://lake/src/"])
    source.setFormat("csv", withHeader=True, separator="|")
    assert rows(source.getFrame()) == [{"id": 1, "name": "ann"}]
    assert source.getDataFrame().count() == 1
    assert glue_ctx.getSource("s3", format="csv", paths=["s3://lake/src/"]).getFrame().count() == 2


def test_data_sink_without_catalog_update(glue_ctx, warehouse):
    catalog = glue_ctx.services.catalog
    catalog.create_database(DatabaseInput={"Name": "sinkdb"})
    sink = glue_ctx.getSink(connection_type="s3", path="s3://out/sink/", partitionKeys=["city"])
    sink.setCatalogInfo(catalogDatabase="sinkdb", catalogTableName="people")
    sink.setFormat("json")
    errors = sink.writeFrame(frame_of(glue_ctx, PEOPLE))
    assert isinstance(errors, DynamicFrame) and errors.count() == 0
    assert sorted(p.name for p in (warehouse / "out/sink").iterdir() if p.is_dir()) == [
        "city=oslo",
        "city=rome",
    ]
    assert catalog.get_tables(DatabaseName="sinkdb")["TableList"] == []


# -- messy input -------------------------------------------------------------------------------------------
def test_malformed_csv_rows_become_error_records(glue_ctx, warehouse):
    put(warehouse, "lake/bad/x.csv", 'id,name\n1,ann\n2,bob,extra\n3\n4,"unclosed\n5,eve\n')
    frame = read(glue_ctx, "csv", "s3://lake/bad/", {"withHeader": True})
    # A quote left open at the end of a line closes there (multiLine is off).
    assert rows(frame, "id") == [
        {"id": 1, "name": "ann"},
        {"id": 4, "name": "unclosed"},
        {"id": 5, "name": "eve"},
    ]
    assert frame.errorsCount() == 2
    errors = {e["input"]: e for e in rows(frame.errorsAsDynamicFrame())}
    assert set(errors) == {"2,bob,extra", "3"}
    for error in errors.values():
        assert error["error_type"] == "MalformedRecord"
        assert "columns of the header" in error["error_message"]
        assert error["source"].endswith("/lake/bad/x.csv")
        assert error["stage"] == "Read csv"


def test_malformed_json_lines_become_error_records(glue_ctx, warehouse):
    put(warehouse, "lake/badj/x.json", '{"id": 1}\n{"id": 2, oops\n[1, 2]\n{"id": 3}\n')
    frame = read(glue_ctx, "json", "s3://lake/badj/")
    assert rows(frame, "id") == [{"id": 1}, {"id": 3}]
    assert frame.errorsCount() == 3  # the broken line, and each element of an array that holds no object
    errors = rows(frame.errorsAsDynamicFrame())
    [broken] = [e for e in errors if e["error_type"] == "MalformedJSON"]
    assert broken["input"] == '{"id": 2, oops'
    assert "not valid JSON" in broken["error_message"]
    assert broken["source"].endswith("/lake/badj/x.json")
    assert {e["input"] for e in errors if e["error_type"] == "NotARecord"} == {"1", "2"}


def test_a_bad_file_in_a_folder_with_spaces_and_equals_names_its_source(glue_ctx, warehouse):
    put(warehouse, "lake/odd dir/day=1/x.json", '{"id": 1}\nnot json\n')
    frame = read(glue_ctx, "json", "s3://lake/odd dir/day=1/")
    assert rows(frame) == [{"id": 1}]
    [error] = rows(frame.errorsAsDynamicFrame())
    assert error["input"] == "not json"
    assert "odd" in error["source"] and error["source"].endswith("x.json")


def test_empty_and_missing_locations_read_as_empty_frames(glue_ctx, warehouse):
    frame = read(glue_ctx, "json", "s3://lake/nothing-here/")
    assert frame.count() == 0 and frame.errorsCount() == 0
    put(warehouse, "lake/empty/x.csv", "")
    assert read(glue_ctx, "csv", "s3://lake/empty/", {"withHeader": True}).count() == 0
    put(warehouse, "lake/empty/y.csv", "id\n7\n")
    assert rows(read(glue_ctx, "csv", "s3://lake/empty/", {"withHeader": True})) == [{"id": 7}]


# -- bad calls ---------------------------------------------------------------------------------------------
def test_unknown_format_names_the_valid_ones(glue_ctx, warehouse):
    put(warehouse, "lake/f/x.csv", "a\n")
    with pytest.raises(InvalidInputException, match="csv, json, parquet, orc, xml"):
        read(glue_ctx, "yaml", "s3://lake/f/")
    with pytest.raises(InvalidInputException, match="glueparquet"):
        write(glue_ctx, frame_of(glue_ctx, PEOPLE), "yaml", "s3://out/f/")
    with pytest.raises(InvalidInputException, match="format is required"):
        read(glue_ctx, None, "s3://lake/f/")


@pytest.mark.parametrize("connection_type", ["ftp", "", "S3X"])
def test_unknown_connection_type_names_the_valid_ones(glue_ctx, connection_type):
    with pytest.raises(InvalidInputException, match="s3, file, parquet, orc, postgresql, mysql"):
        read(glue_ctx, "csv", "s3://lake/x/", connection_type=connection_type)
    with pytest.raises(InvalidInputException, match="s3, file, parquet, orc, postgresql, mysql"):
        write(glue_ctx, frame_of(glue_ctx, PEOPLE), "csv", "s3://lake/x/", connection_type=connection_type)


@pytest.mark.parametrize("connection_type", ["dynamodb", "kafka", "redshift"])
def test_connection_types_that_cannot_work_offline(glue_ctx, connection_type):
    with pytest.raises(InvalidInputException, match="not available offline"):
        read(glue_ctx, "json", "s3://lake/x/", connection_type=connection_type)


def test_avro_explains_why_it_cannot_work(glue_ctx, warehouse):
    put(warehouse, "lake/avro/x.avro", b"Obj\x01")
    for call in (
        lambda: read(glue_ctx, "avro", "s3://lake/avro/"),
        lambda: write(glue_ctx, frame_of(glue_ctx, PEOPLE), "avro", "s3://out/avro/"),
    ):
        with pytest.raises(InvalidInputException, match="spark-avro") as info:
            call()
        assert "offline" in str(info.value)


def test_missing_paths_or_path(glue_ctx):
    with pytest.raises(InvalidInputException, match="paths"):
        glue_ctx.create_dynamic_frame.from_options("s3", {}, "json")
    with pytest.raises(InvalidInputException, match="paths"):
        glue_ctx.create_dynamic_frame.from_options("s3", {"paths": []}, "json")
    with pytest.raises(InvalidInputException, match="path"):
        glue_ctx.write_dynamic_frame.from_options(frame_of(glue_ctx, PEOPLE), "s3", {}, "json")


def test_an_unresolved_choice_is_written_to_csv_value_by_value(glue_ctx, warehouse):
    # As Glue writes it (issue 21, point 3; tests/runtime/test_glue_parity_writes.py has every format).
    put(warehouse, "lake/ch/x.json", '{"id": 1, "v": 5}\n{"id": 2, "v": "five"}\n')
    frame = read(glue_ctx, "json", "s3://lake/ch/")
    write(glue_ctx, frame, "csv", "s3://out/choice/")
    lines = [line for f in (warehouse / "out/choice").glob("*.csv") for line in f.read_text().splitlines()]
    assert sorted(lines) == ["1,5", "2,five", "id,v"]


def test_csv_cannot_hold_nested_fields(glue_ctx, warehouse):
    put(warehouse, "lake/n/x.json", '{"id": 1, "address": {"city": "oslo"}, "tags": ["a"]}\n')
    with pytest.raises(InvalidInputException, match="nested fields \\(address, tags\\)"):
        write(glue_ctx, read(glue_ctx, "json", "s3://lake/n/"), "csv", "s3://out/nested/")


def test_partition_keys_naming_a_missing_field(glue_ctx):
    with pytest.raises(InvalidInputException, match="partitionKeys nope"):
        write(glue_ctx, frame_of(glue_ctx, PEOPLE), "json", "s3://out/pk/", partitionKeys=["nope"])


@pytest.mark.parametrize("uri", ["s3://lake/../../etc/", "s3://lake/../other/x", "s3://Bad_Bucket/x"])
def test_paths_escaping_the_warehouse_are_refused(glue_ctx, uri):
    with pytest.raises(InvalidInputException, match="refused|bucket name"):
        read(glue_ctx, "json", uri)
    with pytest.raises(InvalidInputException, match="refused|bucket name"):
        write(glue_ctx, frame_of(glue_ctx, PEOPLE), "json", uri)
