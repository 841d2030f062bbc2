"""Transforms over nested data: Relationalize (structs flattened, arrays pivoted into child tables joined
by keys), Unbox (a string field parsed into a struct), DropNullFields, and DynamoDB JSON simplification."""

from __future__ import annotations

import uuid
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..errors import InvalidInputException
from .fieldpaths import column, parse_path, resolve
from .gluetypes import is_choice_struct
from .inference import frame_from_variants

_ROW_ID = "__glue_row_id"


# -- Relationalize --------------------------------------------------------------------------------------
def _flatten(df: DataFrame) -> tuple[DataFrame, list[str]]:
    """Structs flattened into ``a.b`` columns; returns the frame and the names of its array columns."""
    columns: list[Column] = []
    arrays: list[str] = []

    def walk(col: Column, data_type: Any, name: str) -> None:
        if isinstance(data_type, T.StructType) and data_type.fields and not is_choice_struct(data_type):
            for f in data_type.fields:
                walk(col.getField(f.name), f.dataType, f"{name}.{f.name}")
            return
        if isinstance(data_type, T.ArrayType):
            arrays.append(name)
        columns.append(col.alias(name))

    for field in df.schema.fields:
        if field.name == _ROW_ID:
            columns.append(F.col(_ROW_ID))
            continue
        walk(F.col(f"`{field.name}`"), field.dataType, field.name)
    return df.select(*columns), arrays


def relationalize(df: DataFrame, root_name: str, staging: str, spark: Any) -> dict[str, DataFrame]:
    """Glue's Relationalize: the root table (structs flattened; each array column replaced by a key) and,
    per array, a table ``<root>_<path>`` with ``id`` (the key), ``index`` and ``<path>.val`` columns.
    Rows are numbered once and staged under ``staging`` (parquet), so keys agree across all tables."""
    run = f"{staging.rstrip('/')}/relationalize-{uuid.uuid4().hex}"
    tables: dict[str, DataFrame] = {}
    pending: list[tuple[str, DataFrame]] = [(root_name, df)]
    counter = 0
    while pending:
        name, frame = pending.pop(0)
        numbered = frame.withColumn(_ROW_ID, F.monotonically_increasing_id())
        location = f"{run}/{counter}"
        counter += 1
        numbered.write.parquet(location)
        numbered = spark.read.parquet(location)
        flat, arrays = _flatten(numbered)
        for array in arrays:
            # Array columns of child tables carry their whole path (contact.val.phones), so one rule names
            # every level: <root>_contact_val_phones.
            child_name = f"{root_name}_{array.replace('.', '_')}"
            exploded = flat.select(
                F.col(_ROW_ID).alias("id"), F.posexplode(F.col(f"`{array}`")).alias("index", "val")
            )
            element_type = exploded.schema["val"].dataType
            value_name = f"{array}.val"
            if isinstance(element_type, T.StructType) and not is_choice_struct(element_type):
                child = exploded.select(
                    "id",
                    "index",
                    *[
                        F.col("val").getField(f.name).alias(f"{value_name}.{f.name}")
                        for f in element_type.fields
                    ],
                )
            else:
                child = exploded.select("id", "index", F.col("val").alias(value_name))
            pending.append((child_name, child))
        keyed = flat.select(
            *[
                (
                    F.when(F.col(f"`{c}`").isNotNull(), F.col(_ROW_ID)).alias(c)
                    if c in arrays
                    else F.col(f"`{c}`")
                )
                for c in flat.columns
                if c != _ROW_ID
            ]
        )
        tables[name] = keyed
    return tables


# -- Unbox --------------------------------------------------------------------------------------------
def unbox(df: DataFrame, path: str, fmt: str, options: dict[str, Any]) -> DataFrame:
    parts = resolve(df.schema, parse_path(path))
    if parts is None:
        raise InvalidInputException(f"Unbox: no field {path} in the frame")
    if len(parts) != 1:
        raise InvalidInputException("Unbox works on a top-level string field")
    name = parts[0]
    fmt = (fmt or "").lower()
    others = [c for c in df.columns if c != name]
    if fmt == "json":
        parsed = df.select(
            *[F.col(f"`{c}`") for c in others],
            F.call_function("try_parse_json", F.col(f"`{name}`")).alias("__v"),
        )
        typed = frame_from_variants(parsed, "__v", keep=others)
        inner = [c for c in typed.columns if c not in others]
        return typed.select(
            *[F.col(f"`{c}`") for c in others], F.struct(*[F.col(f"`{c}`") for c in inner]).alias(name)
        )
    if fmt == "csv":
        separator = str(options.get("separator", ","))
        sample = df.select(F.col(f"`{name}`")).filter(F.col(f"`{name}`").isNotNull()).first()
        width = len(sample[0].split(separator)) if sample else 0
        names = [f"col{i}" for i in range(width)]
        if options.get("withHeader") and sample:
            names = sample[0].split(separator)
        schema = ", ".join(f"`{n}` STRING" for n in names)
        struct = F.from_csv(
            F.col(f"`{name}`"),
            schema,
            {"sep": separator, **({"escape": str(options["escaper"])} if options.get("escaper") else {})},
        )
        result = df.withColumn(name, struct)
        if options.get("withHeader") and sample:
            result = result.filter(
                F.col(f"`{name}`").isNull() | (F.to_csv(F.col(f"`{name}`"), {"sep": separator}) != sample[0])
            )
        return result
    if fmt == "avro":
        raise InvalidInputException("Unbox avro needs the spark-avro package, which gluelab does not ship")
    raise InvalidInputException(f"Unbox: unknown format {fmt!r}; use json or csv")


# -- DropNullFields -----------------------------------------------------------------------------------------
def null_fields(df: DataFrame) -> list[str]:
    """Paths of fields that are null in every record (structs included; not inside maps or arrays)."""
    checks: list[tuple[str, Column]] = []

    def walk(col: Column, data_type: Any, path: str) -> None:
        if isinstance(data_type, T.NullType):
            checks.append((path, F.lit(0)))
            return
        if isinstance(data_type, T.StructType) and data_type.fields and not is_choice_struct(data_type):
            for f in data_type.fields:
                walk(col.getField(f.name), f.dataType, f"{path}.{_quote(f.name)}")
            return
        checks.append((path, F.count(col)))

    for field in df.schema.fields:
        walk(F.col(f"`{field.name}`"), field.dataType, _quote(field.name))
    if not checks:
        return []
    row = df.agg(*[c.alias(f"c{i}") for i, (_, c) in enumerate(checks)]).first()
    counts = {path: (row[f"c{i}"] if row else 0) for i, (path, _) in enumerate(checks)}
    return [path for path, count in counts.items() if not count]


def _quote(name: str) -> str:
    return f"`{name}`" if "." in name else name


# -- DynamoDB JSON ------------------------------------------------------------------------------------------
_DDB_SCALARS = {"S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "M", "L"}


def simplify_ddb(value: Any) -> Any:
    """``{"M": {"a": {"N": "1"}}}`` -> ``{"a": 1}`` (DynamoDB's typed JSON to plain values)."""
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        if tag in _DDB_SCALARS:
            if tag == "N":
                number = float(inner)
                return (
                    int(number)
                    if number.is_integer() and "." not in str(inner) and "e" not in str(inner).lower()
                    else number
                )
            if tag == "NULL":
                return None
            if tag == "M":
                return {k: simplify_ddb(v) for k, v in inner.items()}
            if tag == "L":
                return [simplify_ddb(v) for v in inner]
            if tag in ("NS",):
                return [simplify_ddb({"N": v}) for v in inner]
            return inner
    if isinstance(value, dict):
        return {k: simplify_ddb(v) for k, v in value.items()}
    return value


def unnest_column(df: DataFrame, name: str) -> DataFrame:
    """Lift the fields of struct column ``name`` to the top (DynamoDB exports nest items under Item)."""
    field = df.schema[name]
    if not isinstance(field.dataType, T.StructType):
        return df
    others = [F.col(f"`{c}`") for c in df.columns if c != name]
    return df.select(*others, *[column([name, f.name]).alias(f.name) for f in field.dataType.fields])
