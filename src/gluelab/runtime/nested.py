"""Transforms over nested data: Relationalize (structs flattened, arrays pivoted into child tables joined
by keys), Unbox (a string field parsed into a struct), DropNullFields, and DynamoDB JSON simplification."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..errors import InvalidInputException
from . import gluetypes as gt
from .fieldpaths import ARRAY_MARK, column, field_ref, format_path, parse_path, resolve
from .frame_errors import Stage, error_records
from .gluetypes import is_choice_struct
from .inference import extract, infer_variant_schema, order_fields
from .mapping import set_path

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
        walk(F.col(field_ref(field.name)), field.dataType, field.name)
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
                F.col(_ROW_ID).alias("id"), F.posexplode(F.col(field_ref(array))).alias("index", "val")
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
                    F.when(F.col(field_ref(c)).isNotNull(), F.col(_ROW_ID)).alias(c)
                    if c in arrays
                    else F.col(field_ref(c))
                )
                for c in flat.columns
                if c != _ROW_ID
            ]
        )
        tables[name] = keyed
    return tables


# -- Unbox --------------------------------------------------------------------------------------------
_BOXED = "__glue_boxed"


def unbox(
    df: DataFrame, path: str, fmt: str, options: dict[str, Any], stage: Stage
) -> tuple[DataFrame, DataFrame | None]:
    """The string field at ``path`` parsed (json or csv) in place; returns the frame and the error
    records of values that are not valid JSON."""
    parts = resolve(df.schema, parse_path(path))
    if parts is None:
        raise InvalidInputException(f"Unbox: no field {path} in the frame")
    if ARRAY_MARK in parts:
        raise InvalidInputException(f"Unbox cannot reach into an array ({path})")
    text = column(parts)
    fmt = (fmt or "").lower()
    if fmt == "json":
        parsed = df.withColumn(_BOXED, F.call_function("try_parse_json", text))
        bad = parsed.filter(text.isNotNull() & F.col(_BOXED).isNull())
        errors = error_records(
            bad, stage, "MalformedJSON", F.lit(f"{format_path(parts)} is not valid JSON"), text
        )
        good = parsed.filter(text.isNull() | F.col(_BOXED).isNotNull())
        samples = [_loads(r[0]) for r in good.select(text).filter(text.isNotNull()).limit(50).collect()]
        boxed_type = order_fields(infer_variant_schema(good, _BOXED), samples)
        value = extract(F.col(_BOXED), boxed_type)
        result = set_path(good, parts, value).drop(_BOXED)
        return result.to(_with_type(result.schema, parts, gt.to_spark(boxed_type))), errors
    if fmt == "csv":
        return set_path(df, parts, _csv_struct(df, text, options)), None
    if fmt == "avro":
        raise InvalidInputException("Unbox avro needs the spark-avro package, which gluelab does not ship")
    raise InvalidInputException(f"Unbox: unknown format {fmt!r}; use json or csv")


def _loads(text: str) -> Any:
    """Python's reading of a JSON text (for the order of its fields), None if it cannot read it."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def _csv_struct(df: DataFrame, text: Column, options: dict[str, Any]) -> Column:
    """The CSV text as a struct. Columns come from ``withSchema`` (a Spark ``StructType.json()``), else
    from the first value's header line (``withHeader``), else are named col0, col1 ... A header line
    (``withHeader``) or ``skipFirst`` line at the start of each value is skipped."""
    separator = str(options.get("separator", ","))
    csv_options = {
        "sep": separator,
        **({"escape": str(options["escaper"])} if options.get("escaper") else {}),
    }
    skip = bool(options.get("withHeader") or options.get("skipFirst"))
    body = F.element_at(F.split(text, r"\r?\n", 2), 2) if skip else text
    if options.get("withSchema"):
        schema = T.StructType.fromJson(json.loads(options["withSchema"]))
        return F.from_csv(body, _ddl(schema), csv_options)
    first = df.select(text).filter(text.isNotNull()).first()
    lines = first[0].splitlines() if first else []
    if options.get("withHeader") and lines:
        names = lines[0].split(separator)
    else:
        sample = lines[1 if skip else 0] if len(lines) > int(skip) else ""
        names = [f"col{i}" for i in range(len(sample.split(separator)))]
    schema = T.StructType([T.StructField(n, T.StringType()) for n in names])
    return F.from_csv(body, _ddl(schema), csv_options)


def _ddl(schema: T.StructType) -> str:
    return ", ".join(f"`{f.name.replace('`', '``')}` {f.dataType.simpleString()}" for f in schema.fields)


def _with_type(schema: T.StructType, parts: list[str], new: Any) -> T.StructType:
    """``schema`` with the field at ``parts`` of type ``new``."""
    fields = []
    for f in schema.fields:
        if f.name == parts[0]:
            f = T.StructField(
                f.name, new if len(parts) == 1 else _with_type(f.dataType, parts[1:], new), True
            )
        fields.append(f)
    return T.StructType(fields)


# -- DropNullFields -----------------------------------------------------------------------------------------
def null_fields(df: DataFrame) -> list[str]:
    """Paths of fields that are null in every record: fields of type null anywhere (in structs and in
    arrays of structs; not in maps), and fields with no value in any record (outside arrays)."""
    typed_null: list[str] = []
    checks: list[tuple[str, Column]] = []

    def walk(col: Column | None, data_type: Any, path: str) -> None:
        if isinstance(data_type, T.NullType):
            typed_null.append(path)
            return
        if isinstance(data_type, T.StructType) and data_type.fields and not is_choice_struct(data_type):
            for f in data_type.fields:
                inner = col.getField(f.name) if col is not None else None
                walk(inner, f.dataType, f"{path}.{_quote(f.name)}")
            return
        if isinstance(data_type, T.ArrayType) and isinstance(data_type.elementType, T.StructType):
            walk(None, data_type.elementType, f"{path}[]")  # only types are checked inside arrays
        if col is not None:
            checks.append((path, F.count(col)))

    for field in df.schema.fields:
        walk(F.col(field_ref(field.name)), field.dataType, _quote(field.name))
    if not checks:
        return typed_null
    row = df.agg(F.count(F.lit(1)), *[c.alias(f"c{i}") for i, (_, c) in enumerate(checks)]).first()
    if not row[0]:
        return typed_null  # no records: no evidence that any typed field is always null
    return typed_null + [path for i, (path, _) in enumerate(checks) if not row[i + 1]]


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
    others = [F.col(field_ref(c)) for c in df.columns if c != name]
    return df.select(*others, *[column([name, f.name]).alias(f.name) for f in field.dataType.fields])
