"""Glue's type system (``awsglue.gluetypes``): atomic and complex types, ChoiceType for a field seen with
more than one type, merging, and the conversions to Spark types, Hive type strings and printSchema text.

In a Spark DataFrame a choice is a struct with one field per alternative, named by type name, each field
marked with the metadata ``{"glue_choice": true}``; that is how a DynamicFrame keeps a choice until it is
resolved, and what ``make_struct`` turns into a plain struct.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pyspark.sql import types as T

CHOICE_MARK = "glue_choice"


class DataType:
    def typeName(self) -> str:
        name = type(self).__name__
        return name[:-4].lower() if name.endswith("Type") else name.lower()

    def jsonValue(self) -> Any:
        return {"dataType": self.typeName(), "properties": {}}

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self).__name__, json.dumps(self.jsonValue(), sort_keys=True)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class AtomicType(DataType):
    pass


class BinaryType(AtomicType): ...


class BooleanType(AtomicType): ...


class ByteType(AtomicType): ...


class DateType(AtomicType): ...


class DoubleType(AtomicType): ...


class FloatType(AtomicType): ...


class LongType(AtomicType): ...


class NullType(AtomicType): ...


class ShortType(AtomicType): ...


class StringType(AtomicType): ...


class TimestampType(AtomicType): ...


class TimestampNTZType(AtomicType): ...


class UnknownType(AtomicType): ...


class IntegerType(AtomicType):
    def typeName(self) -> str:
        return "int"


class EnumType(AtomicType):
    """A string restricted to ``options`` (a string in Spark)."""

    def __init__(self, options: list[str] | None = None):
        self.options = list(options or [])

    def jsonValue(self) -> Any:
        return {"dataType": "enum", "properties": {}, "options": self.options}


class DecimalType(AtomicType):
    def __init__(self, precision: int = 10, scale: int = 2):
        self.precision = precision
        self.scale = scale

    def jsonValue(self) -> Any:
        return {"dataType": "decimal", "properties": {"precision": self.precision, "scale": self.scale}}

    def __repr__(self) -> str:
        return f"DecimalType({self.precision},{self.scale})"


class Field:
    def __init__(self, name: str, dataType: DataType, properties: dict[str, Any] | None = None):
        self.name = name
        self.dataType = dataType
        self.properties = properties or {}

    def jsonValue(self) -> Any:
        return {"name": self.name, "container": self.dataType.jsonValue(), "properties": self.properties}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Field) and (self.name, self.dataType) == (other.name, other.dataType)

    def __repr__(self) -> str:
        return f"Field({self.name}, {self.dataType!r})"


class StructType(DataType):
    def __init__(self, fields: list[Field] | None = None, properties: dict[str, Any] | None = None):
        self.fields = list(fields or [])
        self.properties = properties or {}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def getField(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def hasField(self, name: str) -> bool:
        return self.getField(name) is not None

    def field_map(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def jsonValue(self) -> Any:
        return {
            "dataType": "struct",
            "fields": [f.jsonValue() for f in self.fields],
            "properties": self.properties,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StructType) and self.fields == other.fields

    __hash__ = DataType.__hash__

    def __repr__(self) -> str:
        return f"StructType([{', '.join(map(repr, self.fields))}])"


class ArrayType(DataType):
    def __init__(self, elementType: DataType = None, properties: dict[str, Any] | None = None):
        self.elementType = elementType or UnknownType()
        self.properties = properties or {}

    def jsonValue(self) -> Any:
        return {
            "dataType": "array",
            "elementType": self.elementType.jsonValue(),
            "properties": self.properties,
        }

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.elementType == other.elementType

    __hash__ = DataType.__hash__

    def __repr__(self) -> str:
        return f"ArrayType({self.elementType!r})"


class SetType(ArrayType):
    """An array of distinct values (an array in Spark)."""

    def jsonValue(self) -> Any:
        return {**super().jsonValue(), "dataType": "set"}

    def __repr__(self) -> str:
        return f"SetType({self.elementType!r})"


class MapType(DataType):
    """Glue maps have string keys."""

    def __init__(self, valueType: DataType = None, properties: dict[str, Any] | None = None):
        self.valueType = valueType or UnknownType()
        self.properties = properties or {}

    def jsonValue(self) -> Any:
        return {"dataType": "map", "valueType": self.valueType.jsonValue(), "properties": self.properties}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MapType) and self.valueType == other.valueType

    __hash__ = DataType.__hash__

    def __repr__(self) -> str:
        return f"MapType({self.valueType!r})"


class ChoiceType(DataType):
    """A field seen with several types: the alternatives, keyed by type name."""

    def __init__(self, choices: list[DataType] | None = None, name: str = ""):
        self.choices: dict[str, DataType] = {}
        self.name = name
        for choice in choices or []:
            self.add(choice)

    def add(self, data_type: DataType) -> None:
        if isinstance(data_type, ChoiceType):
            for choice in data_type.choices.values():
                self.add(choice)
            return
        key = data_type.typeName()
        self.choices[key] = merge(self.choices[key], data_type) if key in self.choices else data_type
        self.choices = dict(sorted(self.choices.items(), key=lambda item: _CHOICE_ORDER.get(item[0], 99)))

    def jsonValue(self) -> Any:
        return {
            "dataType": "choice",
            "choices": [c.jsonValue() for c in self.choices.values()],
            "properties": {},
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChoiceType) and self.choices == other.choices

    __hash__ = DataType.__hash__

    def __repr__(self) -> str:
        return f"ChoiceType([{', '.join(map(repr, self.choices.values()))}])"


# Alternatives of a choice are listed in this order (numbers first, as Glue prints them).
_CHOICE_ORDER = {
    name: i
    for i, name in enumerate(
        [
            "byte",
            "short",
            "int",
            "long",
            "float",
            "double",
            "decimal",
            "boolean",
            "string",
            "date",
            "timestamp",
            "timestampntz",
            "binary",
            "struct",
            "array",
            "map",
        ]
    )
}


# -- merging -----------------------------------------------------------------------------
_NUMERIC_RANK = {ByteType: 0, ShortType: 1, IntegerType: 2, LongType: 3, FloatType: 4, DoubleType: 5}


def merge(a: DataType, b: DataType) -> DataType:
    """Glue's merge: null and unknown give way to the other type; numbers widen (int + long = long,
    long + double = double); structs merge field by field; arrays and maps merge their contents;
    anything else becomes (or extends) a choice."""
    if isinstance(a, NullType | UnknownType):
        return b
    if isinstance(b, NullType | UnknownType):
        return a
    if a == b:
        return a
    if type(a) in _NUMERIC_RANK and type(b) in _NUMERIC_RANK:
        return a if _NUMERIC_RANK[type(a)] >= _NUMERIC_RANK[type(b)] else b
    if isinstance(a, DecimalType) and isinstance(b, DecimalType):
        scale = max(a.scale, b.scale)
        return DecimalType(min(38, max(a.precision - a.scale, b.precision - b.scale) + scale), scale)
    if isinstance(a, StructType) and isinstance(b, StructType):
        fields = {f.name: f.dataType for f in a.fields}
        for f in b.fields:
            fields[f.name] = merge(fields[f.name], f.dataType) if f.name in fields else f.dataType
        return StructType([Field(n, t) for n, t in fields.items()])
    if isinstance(a, ArrayType) and isinstance(b, ArrayType):
        kind = SetType if isinstance(a, SetType) and isinstance(b, SetType) else ArrayType
        return kind(merge(a.elementType, b.elementType))
    if isinstance(a, MapType) and isinstance(b, MapType):
        return MapType(merge(a.valueType, b.valueType))
    choice = ChoiceType()
    choice.add(a)
    choice.add(b)
    return choice


mergeDataTypes = merge  # the name awsglue.gluetypes uses


# -- Spark <-> Glue ----------------------------------------------------------------------------
_ATOMIC_TO_SPARK: dict[type, Any] = {
    BinaryType: T.BinaryType,
    BooleanType: T.BooleanType,
    ByteType: T.ByteType,
    DateType: T.DateType,
    DoubleType: T.DoubleType,
    FloatType: T.FloatType,
    IntegerType: T.IntegerType,
    LongType: T.LongType,
    NullType: T.NullType,
    ShortType: T.ShortType,
    StringType: T.StringType,
    TimestampType: T.TimestampType,
    TimestampNTZType: T.TimestampNTZType,
    UnknownType: T.StringType,
    EnumType: T.StringType,
}
_SPARK_TO_ATOMIC = {v: k for k, v in _ATOMIC_TO_SPARK.items() if k not in (UnknownType, EnumType)}
_SPARK_TO_ATOMIC[T.CharType] = StringType
_SPARK_TO_ATOMIC[T.VarcharType] = StringType


def is_choice_struct(spark_type: Any) -> bool:
    return (
        isinstance(spark_type, T.StructType)
        and len(spark_type.fields) > 0
        and all(f.metadata.get(CHOICE_MARK) for f in spark_type.fields)
    )


def from_spark(spark_type: Any) -> DataType:
    if is_choice_struct(spark_type):
        return ChoiceType([from_spark(f.dataType) for f in spark_type.fields])
    if isinstance(spark_type, T.StructType):
        return StructType([Field(f.name, from_spark(f.dataType)) for f in spark_type.fields])
    if isinstance(spark_type, T.ArrayType):
        return ArrayType(from_spark(spark_type.elementType))
    if isinstance(spark_type, T.MapType):
        return MapType(from_spark(spark_type.valueType))
    if isinstance(spark_type, T.DecimalType):
        return DecimalType(spark_type.precision, spark_type.scale)
    atomic = _SPARK_TO_ATOMIC.get(type(spark_type))
    if atomic is None:
        return StringType()  # intervals, variants ...: Glue has no such types; shown as strings
    return atomic()


def to_spark(glue_type: DataType) -> Any:
    if isinstance(glue_type, ChoiceType):
        return T.StructType(
            [
                T.StructField(name, to_spark(t), True, {CHOICE_MARK: True})
                for name, t in glue_type.choices.items()
            ]
        )
    if isinstance(glue_type, StructType):
        return T.StructType([T.StructField(f.name, to_spark(f.dataType), True) for f in glue_type.fields])
    if isinstance(glue_type, ArrayType):
        return T.ArrayType(to_spark(glue_type.elementType), True)
    if isinstance(glue_type, MapType):
        return T.MapType(T.StringType(), to_spark(glue_type.valueType), True)
    if isinstance(glue_type, DecimalType):
        return T.DecimalType(glue_type.precision, glue_type.scale)
    return _ATOMIC_TO_SPARK[type(glue_type)]()


# -- type names as users write them (ApplyMapping, resolveChoice cast:<type>, Hive columns) -----------------
_NAMES: dict[str, type[DataType]] = {
    "string": StringType,
    "varchar": StringType,
    "char": StringType,
    "int": IntegerType,
    "integer": IntegerType,
    "long": LongType,
    "bigint": LongType,
    "short": ShortType,
    "smallint": ShortType,
    "byte": ByteType,
    "tinyint": ByteType,
    "float": FloatType,
    "real": FloatType,
    "double": DoubleType,
    "boolean": BooleanType,
    "bool": BooleanType,
    "date": DateType,
    "timestamp": TimestampType,
    "binary": BinaryType,
    "null": NullType,
    "void": NullType,
}


class TypeNameError(ValueError):
    pass


def parse_type(text: str) -> DataType:
    """A type from its name as Glue users write it: ``long``, ``bigint``, ``decimal(10,2)``,
    ``array<struct<a:int,b:string>>``, ``map<string,int>``, bare ``array``/``struct``/``map``."""
    parser = _TypeParser(text)
    result = parser.parse()
    if parser.rest().strip():
        raise TypeNameError(f"unexpected {parser.rest()!r} in type {text!r}")
    return result


class _TypeParser:
    _TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|`[^`]*`|\d+|[<>(),:])")

    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def rest(self) -> str:
        return self.text[self.pos :]

    def peek(self) -> str | None:
        match = self._TOKEN.match(self.text, self.pos)
        return match.group(1) if match else None

    def take(self, expected: str | None = None) -> str:
        match = self._TOKEN.match(self.text, self.pos)
        if not match or (expected is not None and match.group(1).lower() != expected):
            found = match.group(1) if match else "the end"
            raise TypeNameError(f"expected {expected or 'a type'} in type {self.text!r}, found {found!r}")
        self.pos = match.end()
        return match.group(1)

    def parse(self) -> DataType:
        name = self.take().lower()
        if name == "decimal":
            if self.peek() == "(":
                self.take("(")
                precision = int(self.take())
                scale = 0
                if self.peek() == ",":
                    self.take(",")
                    scale = int(self.take())
                self.take(")")
                return DecimalType(precision, scale)
            return DecimalType(10, 0)
        if name in ("varchar", "char") and self.peek() == "(":
            self.take("(")
            self.take()
            self.take(")")
            return StringType()
        if name == "array":
            if self.peek() != "<":
                return ArrayType(UnknownType())
            self.take("<")
            element = self.parse()
            self.take(">")
            return ArrayType(element)
        if name == "map":
            if self.peek() != "<":
                return MapType(UnknownType())
            self.take("<")
            self.parse()  # keys are strings in Glue
            self.take(",")
            value = self.parse()
            self.take(">")
            return MapType(value)
        if name == "struct":
            if self.peek() != "<":
                return StructType([])
            self.take("<")
            fields = []
            while self.peek() != ">":
                field_name = self.take().strip("`")
                self.take(":")
                fields.append(Field(field_name, self.parse()))
                if self.peek() == ",":
                    self.take(",")
            self.take(">")
            return StructType(fields)
        if name in _NAMES:
            return _NAMES[name]()
        raise TypeNameError(f"unknown type {name!r} in {self.text!r}")


def to_hive(glue_type: DataType) -> str:
    """The Hive type string the Data Catalog stores in ``Column.Type``."""
    if isinstance(glue_type, ChoiceType):
        raise TypeNameError("a choice has no catalog type; resolve it first (resolveChoice)")
    if isinstance(glue_type, StructType):
        return "struct<" + ",".join(f"{f.name}:{to_hive(f.dataType)}" for f in glue_type.fields) + ">"
    if isinstance(glue_type, ArrayType):
        return f"array<{to_hive(glue_type.elementType)}>"
    if isinstance(glue_type, MapType):
        return f"map<string,{to_hive(glue_type.valueType)}>"
    if isinstance(glue_type, DecimalType):
        return f"decimal({glue_type.precision},{glue_type.scale})"
    return {
        IntegerType: "int",
        LongType: "bigint",
        ShortType: "smallint",
        ByteType: "tinyint",
        NullType: "string",
        UnknownType: "string",
        EnumType: "string",
        TimestampNTZType: "timestamp",
    }.get(type(glue_type), glue_type.typeName())


# -- printSchema -------------------------------------------------------------------------------
def schema_lines(schema: StructType) -> list[str]:
    lines = ["root"]

    def walk(data_type: DataType, depth: int) -> None:
        prefix = "|    " * depth + "|-- "
        if isinstance(data_type, StructType):
            for f in data_type.fields:
                lines.append(f"{prefix}{f.name}: {f.dataType.typeName()}")
                walk(f.dataType, depth + 1)
        elif isinstance(data_type, ArrayType):
            lines.append(f"{prefix}element: {data_type.elementType.typeName()}")
            walk(data_type.elementType, depth + 1)
        elif isinstance(data_type, MapType):
            lines.append(f"{prefix}keyType: string")
            lines.append(f"{prefix}valueType: {data_type.valueType.typeName()}")
            walk(data_type.valueType, depth + 1)
        elif isinstance(data_type, ChoiceType):
            for name, choice in data_type.choices.items():
                lines.append(f"{prefix}{name}")
                walk(choice, depth + 1)

    walk(schema, 0)
    return lines
