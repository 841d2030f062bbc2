"""Glue's type system: type names, merge rules, Spark and Hive conversions, printSchema text."""

import pytest
from pyspark.sql import types as T

import awsglue.gluetypes as agt
from gluelab.runtime import gluetypes as gt
from gluelab.runtime.gluetypes import (
    ArrayType,
    BooleanType,
    ChoiceType,
    DecimalType,
    DoubleType,
    Field,
    IntegerType,
    LongType,
    MapType,
    NullType,
    StringType,
    StructType,
    TimestampType,
    UnknownType,
)


def struct(**fields):
    return StructType([Field(name, t) for name, t in fields.items()])


# -- type names ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("string", StringType()),
        ("int", IntegerType()),
        ("INTEGER", IntegerType()),
        ("long", LongType()),
        ("bigint", LongType()),
        ("smallint", gt.ShortType()),
        ("tinyint", gt.ByteType()),
        ("double", DoubleType()),
        ("float", gt.FloatType()),
        ("boolean", BooleanType()),
        ("date", gt.DateType()),
        ("timestamp", TimestampType()),
        ("binary", gt.BinaryType()),
        ("varchar(20)", StringType()),
        ("decimal(10,2)", DecimalType(10, 2)),
        ("decimal( 38 , 6 )", DecimalType(38, 6)),
        ("decimal(5)", DecimalType(5, 0)),
        ("decimal", DecimalType(10, 0)),
        ("array<int>", ArrayType(IntegerType())),
        (
            "array<struct<a:int,b:string>>",
            ArrayType(struct(a=IntegerType(), b=StringType())),
        ),
        (
            "struct<x:array<struct<y:decimal(4,1)>>, `a.b`:map<string,bigint>>",
            StructType(
                [
                    Field("x", ArrayType(struct(y=DecimalType(4, 1)))),
                    Field("a.b", MapType(LongType())),
                ]
            ),
        ),
        ("map<string,int>", MapType(IntegerType())),
        ("map<string,array<string>>", MapType(ArrayType(StringType()))),
        ("array", ArrayType(UnknownType())),
        ("struct", StructType([])),
        ("map", MapType(UnknownType())),
    ],
)
def test_parse_type(text, expected):
    assert gt.parse_type(text) == expected


@pytest.mark.parametrize("text", ["money", "array<money>", "decimal(10,2", "struct<a:int", "int int", ""])
def test_parse_type_rejects_unknown_or_malformed_types(text):
    with pytest.raises(gt.TypeNameError):
        gt.parse_type(text)


def test_unknown_type_error_names_the_type():
    with pytest.raises(ValueError, match="money"):
        gt.parse_type("money")


def test_type_names_as_glue_spells_them():
    assert IntegerType().typeName() == "int"
    assert LongType().typeName() == "long"
    assert ChoiceType().typeName() == "choice"
    assert DecimalType(10, 2).typeName() == "decimal"
    assert gt.EnumType(["a", "b"]).typeName() == "enum"
    assert gt.SetType(StringType()).typeName() == "set"
    assert gt.TimestampNTZType().typeName() == "timestampntz"
    assert DecimalType(10, 2).jsonValue() == {
        "dataType": "decimal",
        "properties": {"precision": 10, "scale": 2},
    }


def test_awsglue_gluetypes_exports_the_types_and_the_record():
    assert agt.mergeDataTypes is gt.merge
    assert agt.ChoiceType is ChoiceType
    record = agt.DynamicRecord({"a": {"b": 1}, "l": [{"c": 2}]})
    assert record.a.b == 1
    assert record.l[0].c == 2
    record.z = {"y": 3}
    assert record["z"].y == 3


# -- merge -------------------------------------------------------------------------------------------
def test_null_and_unknown_give_way_to_the_other_type():
    assert gt.merge(NullType(), LongType()) == LongType()
    assert gt.merge(StringType(), NullType()) == StringType()
    assert gt.merge(UnknownType(), struct(a=IntegerType())) == struct(a=IntegerType())
    assert gt.merge(NullType(), NullType()) == NullType()


def test_numbers_widen():
    assert gt.merge(IntegerType(), LongType()) == LongType()
    assert gt.merge(LongType(), IntegerType()) == LongType()
    assert gt.merge(LongType(), DoubleType()) == DoubleType()
    assert gt.merge(gt.ShortType(), IntegerType()) == IntegerType()
    assert gt.merge(DecimalType(10, 2), DecimalType(12, 4)) == DecimalType(12, 4)


def test_structs_merge_field_by_field_keeping_first_seen_order():
    a = struct(id=IntegerType(), name=StringType())
    b = struct(id=LongType(), tags=ArrayType(StringType()), name=NullType())
    assert gt.merge(a, b) == struct(id=LongType(), name=StringType(), tags=ArrayType(StringType()))
    assert [f.name for f in gt.merge(a, b).fields] == ["id", "name", "tags"]


def test_arrays_and_maps_merge_their_contents():
    assert gt.merge(ArrayType(NullType()), ArrayType(StringType())) == ArrayType(StringType())
    assert gt.merge(ArrayType(struct(a=IntegerType())), ArrayType(struct(b=StringType()))) == ArrayType(
        struct(a=IntegerType(), b=StringType())
    )
    assert gt.merge(MapType(IntegerType()), MapType(StringType())) == MapType(
        ChoiceType([IntegerType(), StringType()])
    )


def test_different_kinds_make_a_choice():
    merged = gt.merge(LongType(), StringType())
    assert isinstance(merged, ChoiceType)
    assert list(merged.choices) == ["long", "string"]
    assert merged.choices["long"] == LongType()
    nested = gt.merge(struct(a=LongType()), struct(a=struct(b=StringType())))
    assert nested == struct(a=ChoiceType([LongType(), struct(b=StringType())]))
    assert gt.merge(ArrayType(LongType()), LongType()) == ChoiceType([LongType(), ArrayType(LongType())])
    assert gt.merge(gt.SetType(IntegerType()), gt.SetType(LongType())) == gt.SetType(LongType())
    assert gt.SetType(LongType()) != ArrayType(LongType())


def test_choices_extend_and_list_their_alternatives_in_a_fixed_order():
    choice = gt.merge(StringType(), BooleanType())
    assert list(choice.choices) == ["boolean", "string"]
    extended = gt.merge(choice, LongType())
    assert list(extended.choices) == ["long", "boolean", "string"]
    assert list(gt.merge(LongType(), choice).choices) == ["long", "boolean", "string"]
    both = gt.merge(ChoiceType([DoubleType(), StringType()]), ChoiceType([struct(a=LongType()), LongType()]))
    assert list(both.choices) == ["long", "double", "string", "struct"]
    # the same kind inside a choice merges rather than duplicating
    structs = gt.merge(
        ChoiceType([StringType(), struct(a=LongType())]), ChoiceType([StringType(), struct(b=StringType())])
    )
    assert structs == ChoiceType([StringType(), struct(a=LongType(), b=StringType())])
    assert gt.merge(ChoiceType([LongType(), StringType()]), NullType()) == ChoiceType(
        [LongType(), StringType()]
    )


# -- Spark <-> Glue ----------------------------------------------------------------------------------------
def test_to_spark_and_back_for_plain_types():
    glue = struct(
        i=IntegerType(),
        l=LongType(),
        d=DecimalType(12, 3),
        ts=TimestampType(),
        tags=ArrayType(StringType()),
        m=MapType(DoubleType()),
        inner=struct(b=BooleanType(), bin=gt.BinaryType()),
    )
    spark = gt.to_spark(glue)
    assert spark == T.StructType(
        [
            T.StructField("i", T.IntegerType()),
            T.StructField("l", T.LongType()),
            T.StructField("d", T.DecimalType(12, 3)),
            T.StructField("ts", T.TimestampType()),
            T.StructField("tags", T.ArrayType(T.StringType())),
            T.StructField("m", T.MapType(T.StringType(), T.DoubleType())),
            T.StructField(
                "inner",
                T.StructType([T.StructField("b", T.BooleanType()), T.StructField("bin", T.BinaryType())]),
            ),
        ]
    )
    assert gt.from_spark(spark) == glue


def test_choices_become_marked_structs_and_come_back():
    glue = struct(
        price=ChoiceType([LongType(), StringType()]),
        items=ArrayType(struct(qty=ChoiceType([DoubleType(), struct(n=LongType())]))),
        scores=ArrayType(ChoiceType([LongType(), StringType()])),
    )
    spark = gt.to_spark(glue)
    price = spark["price"].dataType
    assert [f.name for f in price.fields] == ["long", "string"]
    assert all(f.metadata == {gt.CHOICE_MARK: True} for f in price.fields)
    assert gt.is_choice_struct(price)
    qty = spark["items"].dataType.elementType["qty"].dataType
    assert gt.is_choice_struct(qty)
    assert not gt.is_choice_struct(qty["struct"].dataType)
    assert gt.is_choice_struct(spark["scores"].dataType.elementType)
    assert gt.from_spark(spark) == glue


def test_a_plain_struct_named_like_types_is_not_a_choice():
    plain = T.StructType([T.StructField("long", T.LongType()), T.StructField("string", T.StringType())])
    assert gt.from_spark(plain) == struct(long=LongType(), string=StringType())
    assert not gt.is_choice_struct(T.StructType([]))


def test_spark_only_types_map_to_glue_types():
    assert gt.from_spark(T.TimestampNTZType()) == gt.TimestampNTZType()
    assert gt.to_spark(gt.TimestampNTZType()) == T.TimestampNTZType()
    assert gt.from_spark(T.VarcharType(10)) == StringType()
    assert gt.from_spark(T.ShortType()) == gt.ShortType()
    assert gt.from_spark(T.MapType(T.StringType(), T.NullType())) == MapType(NullType())


# -- Hive type strings and printSchema ---------------------------------------------------------------------
def test_to_hive():
    assert gt.to_hive(IntegerType()) == "int"
    assert gt.to_hive(LongType()) == "bigint"
    assert gt.to_hive(gt.ShortType()) == "smallint"
    assert gt.to_hive(gt.ByteType()) == "tinyint"
    assert gt.to_hive(DecimalType(10, 2)) == "decimal(10,2)"
    assert gt.to_hive(NullType()) == "string"
    assert gt.to_hive(gt.EnumType(["a"])) == "string"
    assert gt.to_hive(gt.SetType(LongType())) == "array<bigint>"
    assert gt.to_hive(gt.TimestampNTZType()) == "timestamp"
    assert (
        gt.to_hive(struct(a=ArrayType(struct(b=DoubleType(), c=TimestampType())), m=MapType(BooleanType())))
        == "struct<a:array<struct<b:double,c:timestamp>>,m:map<string,boolean>>"
    )
    with pytest.raises(gt.TypeNameError, match="resolveChoice"):
        gt.to_hive(ChoiceType([LongType(), StringType()]))


@pytest.mark.parametrize(
    "text", ["int", "bigint", "decimal(7,3)", "array<struct<a:int,b:string>>", "map<string,array<double>>"]
)
def test_hive_strings_round_trip(text):
    assert gt.to_hive(gt.parse_type(text)) == text


def test_schema_lines_print_a_glue_tree():
    schema = StructType(
        [
            Field("id", LongType()),
            Field("price", ChoiceType([DoubleType(), StringType()])),
            Field("address", struct(city=StringType(), zip=ChoiceType([LongType(), StringType()]))),
            Field("items", ArrayType(struct(sku=StringType()))),
            Field("attrs", MapType(IntegerType())),
        ]
    )
    assert gt.schema_lines(schema) == [
        "root",
        "|-- id: long",
        "|-- price: choice",
        "|    |-- double",
        "|    |-- string",
        "|-- address: struct",
        "|    |-- city: string",
        "|    |-- zip: choice",
        "|    |    |-- long",
        "|    |    |-- string",
        "|-- items: array",
        "|    |-- element: struct",
        "|    |    |-- sku: string",
        "|-- attrs: map",
        "|    |-- keyType: string",
        "|    |-- valueType: int",
    ]
