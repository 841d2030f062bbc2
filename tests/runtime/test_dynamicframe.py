"""Every DynamicFrame method against expected data, mostly on messy JSON and CSV read from the warehouse
(so choices and error records arrive as they do on Glue)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterator

import pytest
from pyspark.sql import types as T

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame, DynamicFrameCollection, ResolveOption
from gluelab.runtime import gluetypes as gt
from gluelab.runtime.choice import ResolveChoiceError, choice_paths
from gluelab.runtime.frame_errors import ErrorThresholdExceeded
from gluelab.runtime.mapping import MappingError
from tests.runtime.frames import (
    DOUBLE,
    LONG,
    STRING,
    choice,
    column,
    frame_of,
    module_context,
    read_csv,
    read_json,
    rows,
    struct,
)


@pytest.fixture(scope="module")
def ctx(spark, tmp_path_factory) -> Iterator[GlueContext]:
    yield from module_context(spark, tmp_path_factory.mktemp("dynamicframe-home"))


ORDERS = [
    {"id": 1, "price": 10, "qty": 1, "info": {"code": 7, "note": "a"}, "items": [{"p": 1.5}, {"p": "2"}]},
    {"id": 2, "price": "12", "qty": "many", "info": {"code": "A7"}, "items": [{"p": "free"}]},
    {"id": 3, "price": "x", "qty": 3, "info": {"code": 9}, "items": []},
    {"id": 4},
    "{broken json",
]


@pytest.fixture(scope="module")
def orders(ctx) -> DynamicFrame:
    return read_json(ctx, "orders", ORDERS)


@pytest.fixture(scope="module")
def simple(ctx, spark) -> DynamicFrame:
    df = spark.createDataFrame(
        [(1, "Ann", 34), (2, "Bob", None), (3, "Cy", 51)], "id long, name string, age int"
    )
    return DynamicFrame.fromDF(df, ctx, "people")


# -- construction, inspection ----------------------------------------------------------------------------
def test_from_df_wraps_a_dataframe(simple):
    assert simple.name == "people"
    assert simple.schema() == struct(id=LONG, name=STRING, age=gt.IntegerType())
    assert simple.count() == 3
    assert rows(simple) == [
        {"id": 1, "name": "Ann", "age": 34},
        {"id": 2, "name": "Bob", "age": None},
        {"id": 3, "name": "Cy", "age": 51},
    ]
    assert simple.errorsCount() == 0
    assert simple.stageErrorsCount() == 0


def test_read_json_gives_choices_and_error_records(orders):
    assert orders.schema() == struct(
        id=LONG,
        price=choice(LONG, STRING),
        qty=choice(LONG, STRING),
        info=struct(code=choice(LONG, STRING), note=STRING),
        items=gt.ArrayType(struct(p=choice(DOUBLE, STRING))),
    )
    assert orders.count() == 4
    assert orders.errorsCount() == 1
    assert orders.stageErrorsCount() == 1


def test_to_df_turns_choices_into_plain_structs(ctx, orders):
    df = orders.toDF()
    price = df.schema["price"].dataType
    assert isinstance(price, T.StructType)
    assert [f.name for f in price.fields] == ["long", "string"]

    def marks(t) -> int:
        if isinstance(t, T.StructType):
            return sum(bool(f.metadata) + marks(f.dataType) for f in t.fields)
        if isinstance(t, T.ArrayType):
            return marks(t.elementType)
        return 0

    assert marks(df.schema) == 0
    again = DynamicFrame.fromDF(df, ctx, "again")
    assert choice_paths(again.schema()) == []
    assert again.schema().getField("price").dataType == struct(long=LONG, string=STRING)
    by_id = {r["id"]: r for r in rows(orders)}
    assert by_id[1]["price"] == {"long": 10, "string": None}
    assert by_id[2]["price"] == {"long": None, "string": "12"}
    assert by_id[4]["price"] is None  # absent: null, not a struct of nulls
    assert by_id[1]["items"] == [
        {"p": {"double": 1.5, "string": None}},
        {"p": {"double": None, "string": "2"}},
    ]


def test_to_df_with_resolve_options(orders):
    projected = orders.toDF([ResolveOption("price", "Project", gt.LongType())])
    assert projected.schema["price"].dataType == T.LongType()
    assert sorted(projected.select("price").collect(), key=str) == sorted(
        [(10,), (None,), (None,), (None,)], key=str
    )
    kept = orders.toDF([ResolveOption("info.code", "KeepAsStruct")])
    code = kept.schema["info"].dataType["code"].dataType
    assert [f.name for f in code.fields] == ["long", "string"]
    assert not any(f.metadata for f in code.fields)
    # actions in any case, target types of Glue or of Spark (decimals keep their precision)
    as_decimal = orders.toDF([ResolveOption("price", "project", T.DecimalType(6, 1))])
    assert as_decimal.schema["price"].dataType == T.DecimalType(6, 1)
    with pytest.raises(ValueError, match="KeepAsStruct and Project"):
        orders.toDF([ResolveOption("price", "Cast", gt.LongType())])
    with pytest.raises(ValueError, match="Target type"):
        orders.toDF([ResolveOption("price", "Project")])


def test_print_schema(orders, capsys):
    orders.printSchema()
    assert capsys.readouterr().out.splitlines() == [
        "root",
        "|-- id: long",
        "|-- price: choice",
        "|    |-- long",
        "|    |-- string",
        "|-- qty: choice",
        "|    |-- long",
        "|    |-- string",
        "|-- info: struct",
        "|    |-- code: choice",
        "|    |    |-- long",
        "|    |    |-- string",
        "|    |-- note: string",
        "|-- items: array",
        "|    |-- element: struct",
        "|    |    |-- p: choice",
        "|    |    |    |-- double",
        "|    |    |    |-- string",
    ]


def test_show_prints_records_as_json_lines(orders, capsys):
    orders.show()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(lines, key=lambda r: r["id"]) == [
        {"id": 1, "price": 10, "qty": 1, "info": {"code": 7, "note": "a"}, "items": [{"p": 1.5}, {"p": "2"}]},
        {"id": 2, "price": "12", "qty": "many", "info": {"code": "A7"}, "items": [{"p": "free"}]},
        {"id": 3, "price": "x", "qty": 3, "info": {"code": 9}, "items": []},
        {"id": 4},
    ]
    orders.show(1)
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_partitions(simple):
    assert simple.repartition(3).getNumPartitions() == 3
    assert simple.repartition(3).coalesce(1).getNumPartitions() == 1
    assert simple.coalesce(1).coalesce(3, shuffle=True).getNumPartitions() == 3
    assert rows(simple.repartition(5)) == rows(simple)


def test_with_frame_schema(simple):
    widened = simple.with_frame_schema(struct(id=LONG, name=STRING, age=LONG))
    assert widened.schema().getField("age").dataType == LONG
    assert column(widened, "age") == [34, None, 51]


# -- apply_mapping ---------------------------------------------------------------------------------------
def test_apply_mapping_renames_casts_nests_and_drops_the_rest(ctx):
    frame = read_json(
        ctx,
        "customers",
        [
            {"id": 1, "name": "Ann", "amount": "12", "joined": "2024-01-02", "city": "Oslo", "extra": True},
            {"id": 2, "name": "Bob", "amount": "lots", "joined": "not a date", "city": "Rome"},
        ],
    )
    mapped = frame.apply_mapping(
        [
            ("id", "long", "customer_id", "string"),
            ("name", "string", "person.name", "string"),
            ("city", "string", "person.address.city", "string"),
            ("amount", "string", "amount", "int"),
            ("joined", "string", "joined", "date"),
        ]
    )
    assert mapped.schema() == struct(
        customer_id=STRING,
        person=struct(name=STRING, address=struct(city=STRING)),
        amount=gt.IntegerType(),
        joined=gt.DateType(),
    )
    assert rows(mapped, "customer_id") == [
        {
            "customer_id": "1",
            "person": {"name": "Ann", "address": {"city": "Oslo"}},
            "amount": 12,
            "joined": dt.date(2024, 1, 2),
        },
        {
            "customer_id": "2",
            "person": {"name": "Bob", "address": {"city": "Rome"}},
            "amount": None,
            "joined": None,
        },
    ]


def test_apply_mapping_flattens_nested_sources_and_reads_back_ticked_names(ctx, spark):
    df = spark.createDataFrame(
        [(1, 5, ("x", (2.5,))), (2, 6, ("y", None))],
        "id long, `a.b` long, c struct<`d.e`: string, f: struct<g: double>>",
    )
    frame = DynamicFrame.fromDF(df, ctx, "dotted")
    mapped = frame.apply_mapping(
        [
            ("id", "long", "id", "long"),
            ("`a.b`", "long", "ab", "long"),
            ("c.`d.e`", "string", "de", "string"),
            ("c.f.g", "double", "g", "decimal(5,2)"),
        ]
    )
    assert mapped.schema() == struct(id=LONG, ab=LONG, de=STRING, g=gt.DecimalType(5, 2))
    assert rows(mapped) == [
        {"id": 1, "ab": 5, "de": "x", "g": decimal.Decimal("2.50")},
        {"id": 2, "ab": 6, "de": "y", "g": None},
    ]


def test_apply_mapping_matches_source_names_ignoring_case_unless_asked(simple):
    mapped = simple.apply_mapping([("ID", "long", "id", "long"), ("Name", "string", "Name", "string")])
    assert rows(mapped) == [{"id": 1, "Name": "Ann"}, {"id": 2, "Name": "Bob"}, {"id": 3, "Name": "Cy"}]
    strict = simple.apply_mapping(
        [("id", "long", "id", "long"), ("Name", "string", "Name", "string")], case_sensitive=True
    )
    assert strict.schema() == struct(id=LONG)


def test_apply_mapping_of_a_choice(orders):
    as_long = orders.apply_mapping([("id", "long", "id", "long"), ("price", "choice", "price", "long")])
    assert as_long.schema() == struct(id=LONG, price=LONG)
    assert column(as_long, "price") == [10, 12, None, None]
    kept = orders.apply_mapping([("id", "long", "id", "long"), ("price", "choice", "cost", "choice")])
    assert kept.schema() == struct(id=LONG, cost=choice(LONG, STRING))
    as_string = orders.apply_mapping([("id", "id"), ("price", "price", "string")])
    assert column(as_string, "price") == ["10", "12", "x", None]


def test_apply_mapping_tuple_forms(simple):
    four = simple.apply_mapping([("id", "long", "key", "string")])
    three = simple.apply_mapping([("id", "key", "string")])
    two = simple.apply_mapping([("id", "key")])
    single = simple.apply_mapping(("id", "long", "key", "string"))
    assert (
        rows(four, "key")
        == rows(three, "key")
        == rows(single, "key")
        == [
            {"key": "1"},
            {"key": "2"},
            {"key": "3"},
        ]
    )
    assert rows(two, "key") == [{"key": 1}, {"key": 2}, {"key": 3}]
    assert simple.applyMapping([("name", "string", "n", "string")]).schema() == struct(n=STRING)


@pytest.mark.parametrize(
    ("mappings", "message"),
    [
        ([("id",)], "2, 3 or 4"),
        ([("id", "long", "a", "long", "x")], "2, 3 or 4"),
        (["id"], "tuple"),
        ([("id", 1, "a", "long")], "tuple"),
        ([("id", "long", "a", "money")], "money"),
        ([("id", "long", "a", "long"), ("name", "string", "a", "string")], "two fields"),
        ([("id", "long", "a", "long"), ("name", "string", "a.b", "string")], "already mapped"),
        ([("name", "string", "a.b", "string"), ("id", "long", "a", "long")], "two fields"),
    ],
)
def test_apply_mapping_rejects_bad_mappings_clearly(simple, mappings, message):
    with pytest.raises(MappingError, match=message):
        simple.apply_mapping(mappings)


@pytest.fixture(scope="module")
def zips(ctx) -> DynamicFrame:
    return read_csv(ctx, "zips", "id,zip,amount\n1,02134, 10 \n2,10001,x\n3,00501,\n4,12345,2.5\n")


def test_csv_values_are_typed_with_choices(zips):
    assert zips.schema() == struct(id=LONG, zip=LONG, amount=choice(DOUBLE, STRING))
    assert rows(zips) == [
        {"id": 1, "zip": 2134, "amount": {"double": 10.0, "string": None}},
        {"id": 2, "zip": 10001, "amount": {"double": None, "string": "x"}},
        {"id": 3, "zip": 501, "amount": None},
        {"id": 4, "zip": 12345, "amount": {"double": 2.5, "string": None}},
    ]
    cast = zips.resolveChoice(specs=[("amount", "cast:double")])
    assert column(cast, "amount") == [10.0, None, None, 2.5]


def test_apply_mapping_of_csv_reads_the_text_as_written(zips):
    mapped = zips.apply_mapping(
        [
            ("id", "string", "id", "int"),
            ("zip", "string", "zip", "string"),
            ("amount", "string", "amount", "double"),
        ]
    )
    assert rows(mapped) == [
        {"id": 1, "zip": "02134", "amount": 10.0},
        {"id": 2, "zip": "10001", "amount": None},
        {"id": 3, "zip": "00501", "amount": None},
        {"id": 4, "zip": "12345", "amount": 2.5},
    ]
    # without a target type for every field, the typed values are mapped
    typed = zips.apply_mapping([("zip", "zip"), ("amount", "string", "amount", "choice")])
    assert typed.schema() == struct(zip=LONG, amount=choice(DOUBLE, STRING))
    assert column(typed, "zip", "zip") == [501, 2134, 10001, 12345]


# -- select, drop, rename --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nested(ctx) -> DynamicFrame:
    return read_json(
        ctx,
        "nested",
        [
            {
                "id": 1,
                "name": "Ann",
                "address": {"city": "Oslo", "zip": "0150", "geo": {"lat": 1.0, "lon": 2.0}},
                "items": [{"sku": "a", "price": 1.5}, {"sku": "b", "price": 2.5}],
                "a.b": "dotted",
            },
            {"id": 2, "name": "Bob", "address": {"city": "Rome"}, "items": []},
        ],
    )


def test_select_fields(nested):
    picked = nested.select_fields(["name", "address.geo.lat", "id", "nope"])
    assert picked.schema() == struct(id=LONG, name=STRING, address=struct(geo=struct(lat=DOUBLE)))
    assert rows(picked) == [
        {"id": 1, "name": "Ann", "address": {"geo": {"lat": 1.0}}},
        {"id": 2, "name": "Bob", "address": {"geo": None}},
    ]
    assert nested.select_fields("id").schema() == struct(id=LONG)
    assert nested.select_fields(["`a.b`"]).schema() == struct(**{"a.b": STRING})


def test_drop_fields(nested):
    dropped = nested.drop_fields(["name", "address.geo.lon", "items[].price", "`a.b`", "nope"])
    assert dropped.schema() == struct(
        id=LONG,
        address=struct(city=STRING, zip=STRING, geo=struct(lat=DOUBLE)),
        items=gt.ArrayType(struct(sku=STRING)),
    )
    assert rows(dropped) == [
        {
            "id": 1,
            "address": {"city": "Oslo", "zip": "0150", "geo": {"lat": 1.0}},
            "items": [{"sku": "a"}, {"sku": "b"}],
        },
        {"id": 2, "address": {"city": "Rome", "zip": None, "geo": None}, "items": []},
    ]
    assert nested.drop_fields("address").schema().hasField("address") is False
    only = nested.drop_fields(["address.geo.lat", "address.geo.lon"])
    assert only.schema().getField("address").dataType == struct(city=STRING, zip=STRING, geo=struct())


def test_rename_field(nested):
    top = nested.rename_field("name", "full_name")
    assert [f.name for f in top.schema().fields] == ["id", "full_name", "address", "items", "a.b"]
    assert column(top, "full_name") == ["Ann", "Bob"]

    inner = nested.rename_field("address.city", "address.town")
    assert [f.name for f in inner.schema().getField("address").dataType.fields] == ["town", "zip", "geo"]
    assert [r["address"]["town"] for r in rows(inner)] == ["Oslo", "Rome"]

    moved_up = nested.rename_field("address.geo.lat", "latitude")
    assert column(moved_up, "latitude") == [1.0, None]
    assert moved_up.schema().getField("address").dataType.getField("geo").dataType == struct(lon=DOUBLE)

    moved_down = nested.rename_field("name", "person.name")
    assert [r["person"] for r in rows(moved_down)] == [{"name": "Ann"}, {"name": "Bob"}]
    assert not moved_down.schema().hasField("name")

    across = nested.rename_field("name", "address.owner")
    assert [r["address"]["owner"] for r in rows(across)] == ["Ann", "Bob"]
    assert [r["address"]["city"] for r in rows(across)] == ["Oslo", "Rome"]

    dotted = nested.rename_field("`a.b`", "ab")
    assert column(dotted, "ab") == ["dotted", None]

    assert rows(nested.rename_field("missing", "other")) == rows(nested)

    # a field already named like the new name gives way to the renamed one
    clash = nested.rename_field("name", "id")
    assert [f.name for f in clash.schema().fields] == ["id", "address", "items", "a.b"]
    assert column(clash, "id") == ["Ann", "Bob"]
    inner_clash = nested.rename_field("address.city", "address.zip")
    assert [f.name for f in inner_clash.schema().getField("address").dataType.fields] == ["zip", "geo"]
    assert [r["address"]["zip"] for r in rows(inner_clash)] == ["Oslo", "Rome"]


# -- filter and map --------------------------------------------------------------------------------------
def test_filter_keeps_matching_records(orders):
    kept = orders.filter(lambda r: r["id"] % 2 == 1)
    assert column(kept, "id") == [1, 3]
    assert kept.schema() == orders.schema()
    assert [r["price"] for r in rows(kept)] == [{"long": 10, "string": None}, {"long": None, "string": "x"}]


def test_filter_drops_records_on_key_value_and_type_errors(orders):
    # "many" > 0: TypeError; record 4 has no qty: KeyError
    assert column(orders.filter(lambda r: r["qty"] > 0), "id") == [1, 3]
    assert column(orders.filter(lambda r: int(r["price"]) > 11), "id") == [2]  # int("x"): ValueError
    assert orders.filter(lambda r: r["qty"] > 0).stageErrorsCount() == 0


def test_filter_turns_other_exceptions_into_error_records(orders):
    def check(record):
        if record["id"] == 3:
            raise RuntimeError("bad record 3")
        return True

    kept = orders.filter(check, transformation_ctx="checks", info="checking")
    assert column(kept, "id") == [1, 2, 4]
    assert kept.stageErrorsCount() == 1
    assert kept.errorsCount() == 2  # and the malformed line of the read
    errors = [r.asDict() for r in kept.errorsAsDynamicFrame().toDF().collect()]
    mine = [e for e in errors if e["stage"] == "Filter"]
    assert len(mine) == 1
    assert mine[0]["error_message"] == "RuntimeError: bad record 3"
    assert mine[0]["transformation_ctx"] == "checks"
    assert mine[0]["info"] == "checking"
    assert json.loads(mine[0]["input"])["id"] == 3
    assert [e for e in errors if e["stage"] != "Filter"][0]["input"] == "{broken json"


def test_map_gives_copies_and_may_add_fields(orders):
    def enrich(record):
        record["double_id"] = record["id"] * 2
        if "info" in record:  # absent fields are absent from the record, as on Glue
            record["info"]["seen"] = True
        record.pop("items", None)
        return record

    mapped = orders.map(enrich)
    assert column(mapped, "double_id") == [2, 4, 6, 8]
    by_id = {r["id"]: r for r in rows(mapped)}
    assert by_id[1]["info"]["seen"] is True
    assert by_id[4]["info"] is None
    assert not mapped.schema().hasField("items")
    assert mapped.schema().getField("price").dataType == choice(LONG, STRING)
    # the source frame is untouched
    assert orders.schema().getField("items") is not None
    assert not orders.schema().getField("info").dataType.hasField("seen")
    assert column(orders, "id") == [1, 2, 3, 4]


def test_map_attribute_access_on_records(orders):
    mapped = orders.map(lambda r: {"id": r.id, "code": str(r.info.code) if "info" in r else None})
    assert rows(mapped) == [
        {"id": 1, "code": "7"},
        {"id": 2, "code": "A7"},
        {"id": 3, "code": "9"},
        {"id": 4, "code": None},
    ]


def test_map_errors_keep_the_input(orders):
    def f(record):
        if record["id"] == 2:
            raise ZeroDivisionError("no")
        if record["id"] == 3:
            return None
        return record

    mapped = orders.map(f, transformation_ctx="m")
    assert column(mapped, "id") == [1, 4]
    assert mapped.stageErrorsCount() == 2
    assert mapped.errorsCount() == 3
    errors = {
        json.loads(e["input"])["id"]: e["error_message"]
        for e in mapped.errorsAsDynamicFrame().toDF().collect()
        if e["stage"] == "Map"
    }
    assert errors[2] == "ZeroDivisionError: no"
    assert "returned None" in errors[3]


def test_map_keeps_dates_decimals_and_timestamps(ctx, spark):
    df = spark.createDataFrame(
        [
            (
                1,
                dt.date(2024, 2, 29),
                decimal.Decimal("12.34"),
                dt.datetime(2024, 1, 1, 8, 30),
                7,
                (dt.date(2024, 1, 2), decimal.Decimal("1.50")),
                [dt.datetime(2024, 5, 6, 7, 8)],
                bytearray(b"hi"),
            )
        ],
        "id long, day date, amount decimal(10,2), at timestamp, small int,"
        " s struct<d: date, amt: decimal(10,2)>, times array<timestamp>, raw binary",
    )
    frame = DynamicFrame.fromDF(df, ctx, "typed")

    def f(record):
        assert isinstance(record["day"], dt.date)
        assert isinstance(record["amount"], decimal.Decimal)
        assert isinstance(record["s"]["d"], dt.date)
        record["amount"] += 1
        return record

    mapped = frame.map(f)
    assert mapped.schema() == struct(
        id=LONG,
        day=gt.DateType(),
        amount=gt.DecimalType(10, 2),
        at=gt.TimestampType(),
        small=gt.IntegerType(),
        s=struct(d=gt.DateType(), amt=gt.DecimalType(10, 2)),
        times=gt.ArrayType(gt.TimestampType()),
        raw=gt.BinaryType(),
    )
    assert rows(mapped) == [
        {
            "id": 1,
            "day": dt.date(2024, 2, 29),
            "amount": decimal.Decimal("13.34"),
            "at": dt.datetime(2024, 1, 1, 8, 30),
            "small": 7,
            "s": {"d": dt.date(2024, 1, 2), "amt": decimal.Decimal("1.50")},
            "times": [dt.datetime(2024, 5, 6, 7, 8)],
            "raw": bytearray(b"hi"),
        }
    ]


def test_records_hold_naive_timestamps_as_spark_rows_do(ctx, spark):
    df = spark.createDataFrame(
        [
            (1, dt.datetime(2024, 5, 1, 12, 0), [dt.datetime(2024, 5, 2, 8, 0)]),
            (2, dt.datetime(2023, 1, 1), []),
        ],
        "id long, at timestamp, times array<timestamp>",
    )
    frame = DynamicFrame.fromDF(df, ctx, "times")
    assert [r["id"] for r in rows(frame.filter(lambda r: r["at"] > dt.datetime(2024, 1, 1)))] == [1]
    assert [r["id"] for r in rows(frame.filter(lambda r: str(r["at"]).startswith("2024-05-01 12:00")))] == [1]

    def stamp(record):
        assert record["at"].tzinfo is None and all(t.tzinfo is None for t in record["times"])
        record["label"] = record["at"].isoformat()
        return record

    assert sorted(r["label"] for r in rows(frame.map(stamp))) == [
        "2023-01-01T00:00:00",
        "2024-05-01T12:00:00",
    ]


# -- join, union, merge ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def people_and_orders(ctx):
    people = read_json(
        ctx,
        "people",
        [{"id": 1, "name": "Ann"}, {"id": 2, "name": "Bob"}, {"id": 3, "name": "Cy"}],
    )
    sales = read_json(
        ctx,
        "sales",
        [
            {"order": 10, "person_id": 1, "name": "book"},
            {"order": 11, "person_id": 1, "name": "pen"},
            {"order": 12, "person_id": 2, "name": "ink"},
            {"order": 13, "person_id": 9, "name": "cup"},
        ],
    )
    return people, sales


def test_join_on_keys_of_different_names(people_and_orders):
    people, sales = people_and_orders
    joined = people.join(["id"], ["person_id"], sales)
    assert joined.name == people.name + sales.name
    assert [f.name for f in joined.schema().fields] == ["id", "name", "order", "person_id", ".name"]
    assert rows(joined, "order") == [
        {"id": 1, "name": "Ann", "order": 10, "person_id": 1, ".name": "book"},
        {"id": 1, "name": "Ann", "order": 11, "person_id": 1, ".name": "pen"},
        {"id": 2, "name": "Bob", "order": 12, "person_id": 2, ".name": "ink"},
    ]
    # the clashing field is usable: renamed, selected or dropped with back-ticks
    tidy = joined.rename_field("`.name`", "item").drop_fields(["person_id"])
    assert rows(tidy, "order")[0] == {"id": 1, "name": "Ann", "order": 10, "item": "book"}
    assert joined.select_fields(["`.name`"]).count() == 3


def test_join_on_keys_of_the_same_name(ctx, people_and_orders):
    people, _ = people_and_orders
    scores = frame_of(ctx, [(1, 5), (3, 7), (4, 1)], "id long, score long", "scores")
    joined = people.join("id", "id", scores)
    assert rows(joined) == [
        {"id": 1, "name": "Ann", ".id": 1, "score": 5},
        {"id": 3, "name": "Cy", ".id": 3, "score": 7},
    ]
    assert joined.drop_fields(["`.id`"]).schema() == struct(id=LONG, name=STRING, score=LONG)


def test_join_on_several_keys(ctx):
    left = frame_of(ctx, [(1, "x", 1), (1, "y", 2), (None, "y", 3)], "a long, b string, v long")
    right = frame_of(ctx, [(1, "y", 3), (None, "y", 4)], "a2 long, b2 string, w long")
    joined = left.join(["a", "b"], ["a2", "b2"], right)
    assert rows(joined, "v") == [
        {"a": 1, "b": "y", "v": 2, "a2": 1, "b2": "y", "w": 3}
    ]  # null keys never match
    with pytest.raises(ValueError, match="same number"):
        left.join(["a", "b"], ["a2"], right)


def test_combined_frames_keep_the_errors_of_both(messy, simple):
    assert messy.join("id", "id", simple).errorsCount() == 2
    assert simple.union(messy).errorsCount() == 2
    assert simple.union(messy).count() == 6


def test_union(ctx):
    a = frame_of(ctx, [(1, 1, "x")], "id long, v long, only_a string")
    b = frame_of(ctx, [(2, "two", True)], "id long, v string, only_b boolean")
    same = a.union(a)
    assert same.count() == 2
    assert same.schema() == a.schema()
    both = a.union(b)
    assert both.schema() == struct(id=LONG, v=choice(LONG, STRING), only_a=STRING, only_b=gt.BooleanType())
    assert rows(both) == [
        {"id": 1, "v": {"long": 1, "string": None}, "only_a": "x", "only_b": None},
        {"id": 2, "v": {"long": None, "string": "two"}, "only_a": None, "only_b": True},
    ]
    resolved = both.resolveChoice(specs=[("v", "cast:string")])
    assert column(resolved, "v") == ["1", "two"]


def test_merge_dynamic_frame(ctx):
    source = frame_of(
        ctx,
        [(1, "old1", 1), (2, "old2", 2), (2, "dup2", 3), (3, "old3", None)],
        "id long, v string, n long",
    )
    staged = frame_of(ctx, [(2, "new2", 9.5), (4, "new4", None)], "id long, v string, extra double")
    merged = source.mergeDynamicFrame(staged, ["id"])
    assert merged.schema() == struct(id=LONG, v=STRING, n=LONG, extra=DOUBLE)
    assert rows(merged) == [
        {"id": 1, "v": "old1", "n": 1, "extra": None},
        {"id": 2, "v": "new2", "n": None, "extra": 9.5},
        {"id": 3, "v": "old3", "n": None, "extra": None},
        {"id": 4, "v": "new4", "n": None, "extra": None},
    ]
    assert rows(source.mergeDynamicFrame(staged, "id")) == rows(merged)
    with pytest.raises(ValueError):
        source.mergeDynamicFrame(staged, [])


def test_merge_on_two_keys_with_different_types(ctx):
    source = frame_of(ctx, [(1, "a", 1), (1, "b", 2)], "k long, d string, v long")
    staged = frame_of(ctx, [(1, "b", "twenty")], "k long, d string, v string")
    merged = source.mergeDynamicFrame(staged, ["k", "d"])
    assert merged.schema().getField("v").dataType == choice(LONG, STRING)
    assert rows(merged, "d") == [
        {"k": 1, "d": "a", "v": {"long": 1, "string": None}},
        {"k": 1, "d": "b", "v": {"long": None, "string": "twenty"}},
    ]


# -- splitting -------------------------------------------------------------------------------------------
def test_split_fields(nested):
    parts = nested.split_fields(["name", "address.city"], "picked", "rest")
    assert isinstance(parts, DynamicFrameCollection)
    assert sorted(parts.keys()) == ["picked", "rest"]
    assert parts["picked"].name == "picked"
    assert parts["picked"].schema() == struct(name=STRING, address=struct(city=STRING))
    rest = parts["rest"].schema()
    assert not rest.hasField("name")
    assert rest.getField("address").dataType == struct(zip=STRING, geo=struct(lat=DOUBLE, lon=DOUBLE))
    assert rest.hasField("id") and rest.hasField("items")


@pytest.fixture(scope="module")
def ages(ctx) -> DynamicFrame:
    return read_json(
        ctx,
        "ages",
        [{"id": i, "age": age} for i, age in enumerate([10, 20, 30, 40], start=1)] + [{"id": 5}],
    )


def test_split_rows_each_comparison(ages):
    expected = {
        (">", 20): [3, 4],
        ("<", 20): [1],
        (">=", 20): [2, 3, 4],
        ("<=", 20): [1, 2],
        ("=", 30): [3],
        ("!=", 30): [1, 2, 4],
    }
    for (op, value), matching in expected.items():
        parts = ages.split_rows({"age": {op: value}}, "yes", "no")
        assert column(parts["yes"], "id") == matching, op
    # record 5 has no age: it never matches, whatever the comparison
    assert column(parts["no"], "id") == [3, 5]


def test_split_rows_on_choices_and_missing_fields(orders):
    numbers = orders.split_rows({"price": {">": 5}}, "big", "rest")
    assert column(numbers["big"], "id") == [1]  # "12" is a string, not a number
    assert column(numbers["rest"], "id") == [2, 3, 4]
    texts = orders.split_rows({"price": {"=": "x"}}, "x", "rest")
    assert column(texts["x"], "id") == [3]
    nothing = orders.split_rows({"missing": {"=": 1}}, "yes", "no")
    assert nothing["yes"].count() == 0
    assert nothing["no"].count() == 4


def test_split_rows_ands_several_comparisons(ages):
    parts = ages.split_rows({"age": {">": 10, "<": 40}, "id": {"!=": 3}}, "mid", "other")
    assert column(parts["mid"], "id") == [2]
    assert column(parts["other"], "id") == [1, 3, 4, 5]
    assert parts["mid"].name == "mid"
    with pytest.raises(ValueError, match="unknown comparison"):
        ages.split_rows({"age": {"~": 1}}, "a", "b")


# -- side effects ----------------------------------------------------------------------------------------
def test_spigot_writes_a_sample_and_returns_the_frame(ctx, ages):
    warehouse = ctx.warehouse
    out = ages.spigot("s3://bucket/spigot/", {"topk": 2})
    assert rows(out) == rows(ages)
    written = [
        json.loads(line)
        for p in (warehouse / "bucket" / "spigot").rglob("*.json")
        for line in p.read_text().splitlines()
    ]
    assert len(written) == 2
    assert all("id" in r for r in written)
    ages.spigot("s3://bucket/spigot-all/")
    files = list((warehouse / "bucket" / "spigot-all").rglob("*.json"))
    assert sum(len(p.read_text().splitlines()) for p in files) == 5


def test_write_goes_through_the_context(ctx, ages):
    warehouse = ctx.warehouse
    ages.write("s3", {"path": "s3://bucket/written/"}, "json")
    files = list((warehouse / "bucket" / "written").rglob("*.json"))
    assert sum(len(p.read_text().splitlines()) for p in files) == 5


# -- nested data -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def boxes(ctx) -> DynamicFrame:
    return read_json(
        ctx,
        "boxes",
        [
            {
                "id": 1,
                "payload": json.dumps({"a": 1, "b": {"c": "x"}}),
                "m": {"raw": '{"k": [1, 2]}', "n": 1},
                "line": "a|1|x",
                "doc": "k;n\na;1",
            },
            {
                "id": 2,
                "payload": json.dumps({"a": "one", "d": [1, 2]}),
                "m": {"n": 2},
                "line": "b|2|y",
                "doc": "k;n\nb;2",
            },
            {"id": 3, "payload": "not json", "line": "c|3|z"},
        ],
    )


def test_unbox_json(boxes):
    unboxed = boxes.unbox("payload", "json").select_fields(["id", "payload"])
    assert unboxed.schema() == struct(
        id=LONG,
        payload=struct(a=choice(LONG, STRING), b=struct(c=STRING), d=gt.ArrayType(LONG)),
    )
    assert rows(unboxed) == [
        {"id": 1, "payload": {"a": {"long": 1, "string": None}, "b": {"c": "x"}, "d": None}},
        {"id": 2, "payload": {"a": {"long": None, "string": "one"}, "b": None, "d": [1, 2]}},
    ]
    assert unboxed.stageErrorsCount() == 0
    assert unboxed.errorsCount() == 1
    (error,) = unboxed.errorsAsDynamicFrame().toDF().collect()
    assert error["stage"] == "Unbox"
    assert error["input"] == "not json"
    assert error["error_message"] == "payload is not valid JSON"


def test_unbox_a_nested_field_keeps_its_place(boxes):
    unboxed = boxes.unbox("m.raw", "json")
    assert [f.name for f in unboxed.schema().fields] == ["id", "payload", "m", "line", "doc"]
    assert unboxed.schema().getField("m").dataType == struct(raw=struct(k=gt.ArrayType(LONG)), n=LONG)
    assert column(unboxed, "m") == [{"raw": {"k": [1, 2]}, "n": 1}, {"raw": None, "n": 2}, None]


def test_unbox_csv(boxes):
    unboxed = boxes.unbox("line", "csv", separator="|")
    assert column(unboxed, "line") == [
        {"col0": "a", "col1": "1", "col2": "x"},
        {"col0": "b", "col1": "2", "col2": "y"},
        {"col0": "c", "col1": "3", "col2": "z"},
    ]
    schema = T.StructType(
        [
            T.StructField("k", T.StringType()),
            T.StructField("n", T.LongType()),
            T.StructField("t", T.StringType()),
        ]
    )
    typed = boxes.unbox("line", "csv", separator="|", withSchema=schema.json())
    assert typed.schema().getField("line").dataType == struct(k=STRING, n=LONG, t=STRING)
    assert column(typed, "line")[:2] == [{"k": "a", "n": 1, "t": "x"}, {"k": "b", "n": 2, "t": "y"}]
    headed = boxes.unbox("doc", "csv", separator=";", withHeader=True)
    assert column(headed, "doc") == [{"k": "a", "n": "1"}, {"k": "b", "n": "2"}, None]


def test_unnest(nested):
    flat = nested.unnest()
    assert [f.name for f in flat.schema().fields] == [
        "id",
        "name",
        "address.city",
        "address.zip",
        "address.geo.lat",
        "address.geo.lon",
        "items",
        "a.b",
    ]
    assert rows(flat)[0]["address.geo.lat"] == 1.0
    assert flat.select_fields(["`address.city`"]).count() == 2


def test_unnest_keeps_choices_whole(orders):
    flat = orders.unnest()
    assert flat.schema().getField("info.code").dataType == choice(LONG, STRING)
    assert flat.schema().getField("info.note").dataType == STRING


RELATIONAL = [
    {
        "id": 1,
        "name": {"first": "Ann", "last": "Lee"},
        "tags": ["x", "y"],
        "orders": [
            {"sku": "a", "lines": [{"q": 1}, {"q": 2}]},
            {"sku": "b", "lines": []},
        ],
    },
    {"id": 2, "name": {"first": "Bob"}, "tags": [], "orders": [{"sku": "c", "lines": [{"q": 5}]}]},
    {"id": 3, "name": {"first": "Cy"}},
]


def test_relationalize(ctx):
    frame = read_json(ctx, "rel", RELATIONAL)
    tables = frame.relationalize("root", "s3://bucket/tmp/")
    assert sorted(tables.keys()) == ["root", "root_orders", "root_orders_val_lines", "root_tags"]

    root = rows(tables["root"])
    assert [f.name for f in tables["root"].schema().fields] == [
        "id",
        "name.first",
        "name.last",
        "tags",
        "orders",
    ]
    assert [(r["id"], r["name.first"], r["name.last"]) for r in root] == [
        (1, "Ann", "Lee"),
        (2, "Bob", None),
        (3, "Cy", None),
    ]
    assert root[2]["tags"] is None and root[2]["orders"] is None

    tags = rows(tables["root_tags"], None)
    assert sorted(tables["root_tags"].toDF().columns) == ["id", "index", "tags.val"]
    tag_parent = {r["tags"]: r["id"] for r in root if r["tags"] is not None}
    assert sorted((tag_parent[t["id"]], t["index"], t["tags.val"]) for t in tags) == [
        (1, 0, "x"),
        (1, 1, "y"),
    ]

    orders = rows(tables["root_orders"], None)
    assert sorted(tables["root_orders"].toDF().columns) == [
        "id",
        "index",
        "orders.val.lines",
        "orders.val.sku",
    ]
    order_parent = {r["orders"]: r["id"] for r in root if r["orders"] is not None}
    assert sorted((order_parent[o["id"]], o["index"], o["orders.val.sku"]) for o in orders) == [
        (1, 0, "a"),
        (1, 1, "b"),
        (2, 0, "c"),
    ]

    lines = rows(tables["root_orders_val_lines"], None)
    assert sorted(tables["root_orders_val_lines"].toDF().columns) == ["id", "index", "orders.val.lines.val.q"]
    line_parent = {o["orders.val.lines"]: (order_parent[o["id"]], o["orders.val.sku"]) for o in orders}
    assert sorted((*line_parent[x["id"]], x["index"], x["orders.val.lines.val.q"]) for x in lines) == [
        (1, "a", 0, 1),
        (1, "a", 1, 2),
        (2, "c", 0, 5),
    ]
    # keys are unique per parent row, so child rows join back to exactly one parent
    assert len(order_parent) == 2
    assert len({o["orders.val.lines"] for o in orders}) == 3


def test_relationalize_needs_a_staging_path(orders):
    with pytest.raises(RuntimeError, match="staging_path"):
        orders.relationalize("root", None)


def test_drop_null_fields(ctx, capsys):
    frame = read_json(
        ctx,
        "nulls",
        [
            {"id": 1, "empty": None, "s": {"keep": 1, "gone": None}, "arr": [{"x": 1, "n": None}]},
            {"id": 2, "empty": None, "s": {"keep": None, "gone": None}},
        ],
    )
    dropped = frame.drop_null_fields()
    assert dropped.schema() == struct(id=LONG, s=struct(keep=LONG), arr=gt.ArrayType(struct(x=LONG)))
    assert rows(dropped) == [
        {"id": 1, "s": {"keep": 1}, "arr": [{"x": 1}]},
        {"id": 2, "s": {"keep": None}, "arr": None},
    ]
    assert capsys.readouterr().out == "null_fields ['empty', 's.gone', 'arr[].n']\n"
    # typed columns without a value in any record go too; an empty frame keeps them
    typed = frame_of(ctx, [(1, None), (2, None)], "id long, nothing string")
    assert typed.drop_null_fields().schema() == struct(id=LONG)
    empty = frame_of(ctx, [], "id long, nothing string")
    assert empty.drop_null_fields().schema() == struct(id=LONG, nothing=STRING)


def test_ddb_json(ctx):
    frame = read_json(
        ctx,
        "ddb",
        [
            {
                "Item": {
                    "pk": {"S": "a"},
                    "n": {"N": "5"},
                    "f": {"N": "1.5"},
                    "m": {"M": {"x": {"BOOL": True}}},
                    "l": {"L": [{"S": "p"}, {"N": "2"}]},
                    "z": {"NULL": True},
                    "ss": {"SS": ["u", "v"]},
                }
            },
            {"Item": {"pk": {"S": "b"}, "n": {"N": "7"}}},
        ],
    )
    simple = frame.simplify_ddb_json()
    assert sorted(r["Item"]["pk"] for r in rows(simple, None)) == ["a", "b"]
    assert simple.schema().getField("Item").dataType.getField("n").dataType == LONG
    flat = frame.unnest_ddb_json()
    by_pk = {r["pk"]: r for r in rows(flat, "pk")}
    assert by_pk["a"]["n"] == 5
    assert by_pk["a"]["f"] == 1.5
    assert by_pk["a"]["m"] == {"x": True}
    assert by_pk["a"]["ss"] == ["u", "v"]
    assert by_pk["a"]["l"] == [{"long": None, "string": "p"}, {"long": 2, "string": None}]
    assert by_pk["b"]["n"] == 7 and by_pk["b"]["m"] is None
    assert flat.schema().getField("n").dataType == LONG


# -- resolveChoice ---------------------------------------------------------------------------------------
def test_resolve_choice_cast(orders):
    as_long = orders.resolveChoice(specs=[("price", "cast:long"), ("info.code", "cast:string")])
    assert as_long.schema().getField("price").dataType == LONG
    assert as_long.schema().getField("info").dataType == struct(code=STRING, note=STRING)
    assert column(as_long, "price") == [10, 12, None, None]
    assert [r["info"] and r["info"]["code"] for r in rows(as_long)] == ["7", "A7", "9", None]
    # the choices not named stay choices
    assert as_long.schema().getField("qty").dataType == choice(LONG, STRING)
    as_double = orders.resolveChoice(specs=("price", "cast:double"))  # one spec as a tuple
    assert column(as_double, "price") == [10.0, 12.0, None, None]


def test_resolve_choice_project(orders):
    longs = orders.resolveChoice(specs=[("price", "project:long")])
    assert column(longs, "price") == [10, None, None, None]
    strings = orders.resolveChoice(specs=[("price", "project:string")])
    assert strings.schema().getField("price").dataType == STRING
    assert column(strings, "price") == [None, "12", "x", None]
    bools = orders.resolveChoice(specs=[("price", "project:boolean")])
    assert column(bools, "price") == [None, None, None, None]


def test_resolve_choice_make_struct(orders):
    made = orders.resolveChoice(specs=[("price", "make_struct")])
    assert made.schema().getField("price").dataType == struct(long=LONG, string=STRING)
    assert column(made, "price") == [
        {"long": 10, "string": None},
        {"long": None, "string": "12"},
        {"long": None, "string": "x"},
        None,
    ]


def test_resolve_choice_make_cols(orders):
    made = orders.resolveChoice(specs=[("price", "make_cols"), ("info.code", "make_cols")])
    names = [f.name for f in made.schema().fields]
    assert names == ["id", "price_long", "price_string", "qty", "info", "items"]
    assert made.schema().getField("info").dataType == struct(code_long=LONG, code_string=STRING, note=STRING)
    assert [(r["price_long"], r["price_string"]) for r in rows(made)] == [
        (10, None),
        (None, "12"),
        (None, "x"),
        (None, None),
    ]
    inside = orders.resolveChoice(specs=[("items[].p", "make_cols")])
    assert inside.schema().getField("items").dataType == gt.ArrayType(
        struct(p_double=DOUBLE, p_string=STRING)
    )
    assert column(inside, "items")[0] == [
        {"p_double": 1.5, "p_string": None},
        {"p_double": None, "p_string": "2"},
    ]


def test_resolve_choice_inside_arrays(orders):
    cast = orders.resolveChoice(specs=[("items[].p", "cast:double")])
    assert cast.schema().getField("items").dataType == gt.ArrayType(struct(p=DOUBLE))
    assert column(cast, "items") == [[{"p": 1.5}, {"p": 2.0}], [{"p": None}], [], None]


def test_resolve_choice_for_every_choice(orders):
    cast = orders.resolveChoice(choice="cast:string")
    assert cast.schema() == struct(
        id=LONG,
        price=STRING,
        qty=STRING,
        info=struct(code=STRING, note=STRING),
        items=gt.ArrayType(struct(p=STRING)),
    )
    assert column(cast, "qty") == ["1", "many", "3", None]
    assert column(cast, "items")[0] == [{"p": "1.5"}, {"p": "2"}]
    cols = orders.resolveChoice(choice="make_cols")
    assert [f.name for f in cols.schema().fields] == [
        "id",
        "price_long",
        "price_string",
        "qty_long",
        "qty_string",
        "info",
        "items",
    ]
    assert gt.ChoiceType not in {type(f.dataType) for f in cols.schema().fields}
    structs = orders.resolveChoice(choice="make_struct")
    assert structs.toDF().schema == orders.toDF().schema


def test_resolve_choice_match_catalog(ctx, orders):
    catalog = ctx.services.catalog
    catalog.create_database(DatabaseInput={"Name": "shop"})
    catalog.create_table(
        DatabaseName="shop",
        TableInput={
            "Name": "orders",
            "StorageDescriptor": {
                "Columns": [
                    {"Name": "id", "Type": "bigint"},
                    {"Name": "price", "Type": "double"},
                    {"Name": "qty", "Type": "int"},
                    {"Name": "info", "Type": "struct<code:string,note:string>"},
                    {"Name": "items", "Type": "array<struct<p:double>>"},
                ],
                "Location": "s3://bucket/orders/",
            },
        },
    )
    matched = orders.resolveChoice(choice="match_catalog", database="shop", table_name="orders")
    assert matched.schema() == struct(
        id=LONG,
        price=DOUBLE,
        qty=gt.IntegerType(),
        info=struct(code=STRING, note=STRING),
        items=gt.ArrayType(struct(p=DOUBLE)),
    )
    assert column(matched, "price") == [10.0, 12.0, None, None]
    assert column(matched, "qty") == [1, None, 3, None]
    one = orders.resolveChoice(specs=[("qty", "match_catalog")], database="shop", table_name="orders")
    assert one.schema().getField("qty").dataType == gt.IntegerType()
    assert one.schema().getField("price").dataType == choice(LONG, STRING)
    with pytest.raises(ResolveChoiceError, match="database and table_name"):
        orders.resolveChoice(choice="match_catalog")


def test_resolve_choice_argument_errors(orders):
    with pytest.raises(ResolveChoiceError, match="not both"):
        orders.resolveChoice(specs=[("price", "cast:long")], choice="make_cols")
    with pytest.raises(ResolveChoiceError):
        orders.resolveChoice()
    with pytest.raises(ResolveChoiceError, match="unknown resolveChoice action"):
        orders.resolveChoice(specs=[("price", "explode")])
    with pytest.raises(ResolveChoiceError, match="needs a type"):
        orders.resolveChoice(specs=[("price", "cast")])
    with pytest.raises(ResolveChoiceError, match="money"):
        orders.resolveChoice(specs=[("price", "cast:money")])
    with pytest.raises(ResolveChoiceError, match="nope"):
        orders.resolveChoice(specs=[("info.nope", "cast:long")])


def test_resolve_choice_casts_plain_fields_too(orders):
    cast = orders.resolveChoice(specs=[("id", "cast:string"), ("info.note", "cast:int")])
    assert cast.schema().getField("id").dataType == STRING
    assert cast.schema().getField("info").dataType.getField("note").dataType == gt.IntegerType()
    assert column(cast, "id") == ["1", "2", "3", "4"]
    assert [r["info"] and r["info"]["note"] for r in rows(cast)] == [None, None, None, None]  # "a": no int
    # the other actions leave a plain field as it is
    same = orders.resolveChoice(specs=[("id", "project:string"), ("id", "make_cols"), ("id", "make_struct")])
    assert same.schema().getField("id").dataType == LONG


# -- errors and thresholds -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def messy(ctx) -> DynamicFrame:
    return read_json(ctx, "messy", [{"id": 1}, "{x", {"id": 2}, "[1,", {"id": 3}])


def fail_on_two(record):
    if record["id"] == 2:
        raise RuntimeError("two")
    return record


def test_errors_as_dynamic_frame(messy):
    mapped = messy.map(fail_on_two, info="step two")
    errors = mapped.errorsAsDynamicFrame()
    assert errors.count() == 3
    error_rows = [r.asDict() for r in errors.toDF().collect()]
    assert sorted(r["input"] for r in error_rows if r["stage"] != "Map") == ["[1,", "{x"]
    (map_error,) = [r for r in error_rows if r["stage"] == "Map"]
    assert map_error["info"] == "step two"
    assert map_error["error_message"] == "RuntimeError: two"
    assert map_error["callsite"].startswith("test_dynamicframe.py:")
    assert mapped.errorsCount() == 3
    assert mapped.stageErrorsCount() == 1
    assert messy.stageErrorsCount() == 2


def test_stage_threshold(messy):
    within = messy.map(fail_on_two, stageThreshold=1)
    assert within.count() == 2
    within.assertErrorThreshold()
    over = messy.map(lambda r: None, stageThreshold=2)
    with pytest.raises(ErrorThresholdExceeded, match="stageThreshold of 2"):
        over.count()
    with pytest.raises(ErrorThresholdExceeded):
        over.show()
    with pytest.raises(ErrorThresholdExceeded):
        over.assertErrorThreshold()
    with pytest.raises(ErrorThresholdExceeded):
        over.write("s3", {"path": "s3://bucket/never/"}, "json")


def test_total_threshold(messy):
    within = messy.map(fail_on_two, totalThreshold=3)
    assert within.count() == 2
    over = messy.map(fail_on_two, totalThreshold=2)
    with pytest.raises(ErrorThresholdExceeded, match="totalThreshold of 2"):
        over.count()
    # a later stage with a bound checks the errors of the stages before it
    later = messy.map(lambda r: r).select_fields(["id"], totalThreshold=1)
    with pytest.raises(ErrorThresholdExceeded, match="totalThreshold of 1"):
        later.count()
    # no bound: nothing raises, whatever the count
    assert messy.map(lambda r: None).count() == 0


# -- DynamicFrameCollection ------------------------------------------------------------------------------
def test_collection_from_dict_and_list(ctx, simple, ages):
    by_dict = DynamicFrameCollection({"a": simple, "b": ages}, ctx)
    assert list(by_dict.keys()) == ["a", "b"]
    assert len(by_dict) == 2
    assert by_dict["a"] is simple
    assert by_dict.select("b") is ages
    by_list = DynamicFrameCollection([simple, ages], ctx)
    assert list(by_list.keys()) == ["people", ages.name]
    assert list(by_list.values()) == [simple, ages]
    with pytest.raises(TypeError, match="list or a dict"):
        DynamicFrameCollection(simple, ctx)


def test_collection_select_of_a_missing_key_is_an_empty_frame(ctx, simple):
    missing = DynamicFrameCollection({"a": simple}, ctx).select("zzz")
    assert missing.name == "zzz"
    assert missing.count() == 0
    assert missing.schema() == gt.StructType([])


def test_collection_map(ctx, simple, ages):
    collection = DynamicFrameCollection({"a": simple, "b": ages}, ctx)
    seen = []

    def keep_ids(frame, ctx):
        seen.append(ctx)
        return frame.select_fields(["id"], transformation_ctx=ctx)

    mapped = collection.map(keep_ids, "pick")
    assert seen == ["pick:a", "pick:b"]
    assert mapped["a"].schema() == struct(id=LONG)
    assert column(mapped["b"], "id") == [1, 2, 3, 4, 5]
    with pytest.raises(TypeError, match="DynamicFrame"):
        collection.map(lambda frame, ctx: 42)


def test_collection_flatmap(ctx, simple, ages):
    collection = DynamicFrameCollection({"a": simple, "b": ages}, ctx)
    seen = []

    def split(frame, ctx):
        seen.append(ctx)
        if frame is ages:
            return frame.split_rows({"age": {">": 20}}, "old", "young")
        return frame

    flat = collection.flatmap(split, "fm")
    # as on Glue: frames are keyed by their names, the frames of a returned collection by its keys
    assert seen == ["fm:people", f"fm:{ages.name}"]
    assert sorted(flat.keys()) == ["old", "people", "young"]
    assert column(flat["old"], "id") == [3, 4]
    assert flat["people"] is simple
    with pytest.raises(TypeError, match="DynamicFrame or a collection"):
        collection.flatmap(lambda frame, ctx: None)
