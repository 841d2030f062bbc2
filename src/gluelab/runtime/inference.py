"""Reading CSV and JSON the way Glue's DynamicFrame readers do: types are inferred from the values, a field
seen with different types becomes a choice, and malformed input becomes error records instead of failing
the read or vanishing.

CSV: every value is typed on its own (long, double, or string: Glue's CSV reader makes every integer a
long); one aggregate pass merges the kinds per column. JSON: each record is parsed into Spark's VARIANT;
the records' schemas are merged with Glue's rules; the typed columns are then extracted in the JVM.
``map`` output and ``unbox`` reuse the JSON path.
"""

from __future__ import annotations

import bz2
import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..errors import InvalidInputException
from . import gluetypes as gt
from .frame_errors import Stage, error_records

if TYPE_CHECKING:
    from .listing import SourceFile

CORRUPT = "_corrupt_record"
MAX_DISTINCT_SCHEMAS = 10_000
MAX_NESTED_INFERENCE = 6


@dataclass
class ReadResult:
    df: DataFrame  # typed; choices as marked structs
    errors: DataFrame | None  # error records of the read


# -- CSV -----------------------------------------------------------------------------------------------
_INTEGRAL = r"^\s*[+-]?\d+\s*$"
_DECIMAL = r"^\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)\s*$"


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def with_corrupt_check(df: DataFrame, data_column: str, corrupt: bool) -> DataFrame:
    """Rows with (``corrupt``) or without a corrupt-record text. The always-true term on a data column
    keeps Spark from refusing a query that would otherwise read only the corrupt-record column."""
    touch = F.length(F.coalesce(F.col(f"`{data_column}`").cast("string"), F.lit(""))) >= 0
    state = F.col(CORRUPT).isNotNull() if corrupt else F.col(CORRUPT).isNull()
    return df.filter(state & touch)


def csv_reader_options(format_options: dict[str, Any]) -> tuple[dict[str, str], bool, bool]:
    """Spark CSV options for Glue's format_options; returns (options, withHeader, skipFirst)."""
    opts: dict[str, str] = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    opts["sep"] = str(format_options.get("separator", ","))
    quote = format_options.get("quoteChar", '"')
    opts["quote"] = "\u0000" if str(quote) == "-1" else str(quote)
    # Without an escaper a quote inside a quoted value is doubled (RFC 4180); a backslash is itself.
    opts["escape"] = str(format_options.get("escaper") or opts["quote"])
    if _truthy(format_options.get("multiLine", format_options.get("multiline", False))):
        opts["multiLine"] = "true"
    with_header = _truthy(format_options.get("withHeader", False))
    skip_first = _truthy(format_options.get("skipFirst", False))
    return opts, with_header, skip_first


def _first_line(path: Path) -> str:
    """The first non-empty line of a (gzip or bzip2) text file: files with the same header share it."""
    opener: Any = {".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix, open)
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as handle:
            return next((line.rstrip("\r\n") for line in handle if line.strip()), "")
    except OSError:
        return ""


def plain_header(line: str, opts: dict[str, str]) -> list[str] | None:
    """The column names of a header line that Spark certainly reads as a plain split (no quotes, escapes,
    BOM, blanks, padding or duplicates), or None: then Spark is asked, which costs a job."""
    sep = opts["sep"]
    if len(sep) != 1 or not line or opts.get("multiLine") == "true":
        return None
    if any(ch in line for ch in (opts["quote"], opts["escape"], "\\", "\ufeff", "\ufffd", "\r", "\x00")):
        return None
    names = line.split(sep)
    if any(not n or n != n.strip() for n in names):
        return None
    if len({n.lower() for n in names}) != len(names):
        return None
    return names


def _read_csv_files(
    spark: Any, files: list[str], opts: dict[str, str], header: str, named: bool, first_line: str
) -> Any:
    """Strings of files sharing one header (None if they are all empty), with ``_source``."""
    names = plain_header(first_line, opts) if named else None
    if names is None:
        probe = spark.read.options(**{k: v for k, v in opts.items() if k != "mode"}).option("header", header)
        names = [f.name for f in probe.csv(files).schema.fields if f.name != CORRUPT]
    if not names:
        return None
    if not named:
        names = [f"col{i}" for i in range(len(names))]
    schema = T.StructType(
        [T.StructField(n, T.StringType()) for n in names] + [T.StructField(CORRUPT, T.StringType())]
    )
    return (
        spark.read.options(**opts)
        .option("header", header)
        .schema(schema)
        .csv(files)
        .withColumn("_source", F.col("_metadata.file_path"))
    )


def read_csv(
    spark: Any,
    files: list[SourceFile],
    format_options: dict[str, Any],
    stage: Stage,
    file_column: str | None = None,
    columns: list[str] | None = None,
) -> ReadResult:
    """CSV files as strings (typed later) and error records. With ``withHeader`` each file's own header
    names its columns: files whose columns come in another order, or are others, are read apart and
    united by name (Spark alone would take every file's columns by position). With ``columns`` (a
    catalog table's) the fields are named by position instead (see ``_read_by_position``)."""
    opts, with_header, skip_first = csv_reader_options(format_options)
    header = str(with_header or skip_first).lower()
    if columns:
        raw = _read_by_position(spark, [f.spark_path for f in files], opts, header, columns)
        if file_column:
            raw = raw.withColumn(file_column, F.col("_metadata.file_path"))
        return ReadResult(df=_LazyTyped(raw), errors=None)  # type: ignore[arg-type]
    groups: dict[str, list[str]] = {}
    for file in files:
        groups.setdefault(_first_line(file.local) if with_header else "", []).append(file.spark_path)
    parts = [_read_csv_files(spark, group, opts, header, with_header, line) for line, group in groups.items()]
    parts = [p for p in parts if p is not None]
    if not parts:  # only empty files
        return ReadResult(df=spark.createDataFrame([], T.StructType([])), errors=None)
    frame = parts[0]
    for part in parts[1:]:
        frame = frame.unionByName(part, allowMissingColumns=True)
    names = [c for c in frame.columns if c not in (CORRUPT, "_source")]
    good = with_corrupt_check(frame, names[0], corrupt=False).drop(CORRUPT)
    good = good.withColumnRenamed("_source", file_column) if file_column else good.drop("_source")
    bad = with_corrupt_check(frame, names[0], corrupt=True)
    errors = error_records(
        bad,
        stage,
        "MalformedRecord",
        F.lit("the line does not have the columns of the header (or a quote is not closed)"),
        F.col(CORRUPT),
        F.col("_source"),
    )
    return ReadResult(df=_LazyTyped(good), errors=errors)  # type: ignore[arg-type]


def _read_by_position(
    spark: Any, files: list[str], opts: dict[str, str], header: str, columns: list[str]
) -> DataFrame:
    """Strings of CSV files named by position with a catalog table's ``columns``, as Glue reads a catalog
    table: the first line of each file is skipped when ``header`` is true (the table's
    skip.header.line.count), whatever names it holds; a row with fewer fields has nulls in the missing
    columns and fields beyond the table's columns are dropped (as Hive's CSV SerDes read a row), which
    is Spark's PERMISSIVE parse when no corrupt-record column is asked for."""
    schema = T.StructType([T.StructField(name, T.StringType()) for name in columns])
    options = {k: v for k, v in opts.items() if k != "columnNameOfCorruptRecord"}
    return (
        spark.read.options(**options).options(header=header, enforceSchema="true").schema(schema).csv(files)
    )


class _LazyTyped:
    """Marker for a CSV frame whose value types are not inferred yet (see ``typed_csv``)."""

    def __init__(self, raw: DataFrame):
        self.raw = raw


def coalesced(df: Any, partitions: int) -> Any:
    """``df`` (or a CSV frame not typed yet) in at most ``partitions`` partitions."""
    if isinstance(df, _LazyTyped):
        return _LazyTyped(df.raw.coalesce(partitions))
    return df.coalesce(partitions)


_LONG, _DOUBLE, _TEXT = 1, 2, 4


def csv_kinds(raw: DataFrame) -> dict[str, gt.DataType]:
    """One pass: the Glue type of each string column from the kinds of its values. Each value gets one
    kind bit (a projection Spark compiles), OR-ed per column; many conditional aggregates instead would
    outgrow Java's method size limit and run interpreted, ~20 times slower.

    As in Glue, an integer is a long whatever its size (``total discharges: long`` in
    https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-samples-medicaid.html), one
    beyond a long's range or with a fraction or exponent a double, anything else a string; a column
    holding numbers and text is a choice of the number type and string."""
    if not raw.columns:
        return {}
    codes = []
    for i, name in enumerate(raw.columns):
        c = F.col(f"`{name}`")
        present = c.isNotNull() & (F.trim(c) != "")
        integral = c.rlike(_INTEGRAL)
        code = (
            F.when(~present, 0)
            .when(integral & c.try_cast("bigint").isNotNull(), _LONG)
            .when(c.rlike(_DECIMAL) & c.try_cast("double").isNotNull(), _DOUBLE)
            .otherwise(_TEXT)
        )
        codes.append(code.alias(f"k{i}"))
    row = raw.select(*codes).agg(*[F.bit_or(f"k{i}").alias(f"k{i}") for i in range(len(raw.columns))]).first()
    kinds: dict[str, gt.DataType] = {}
    for i, name in enumerate(raw.columns):
        bits = row[f"k{i}"] or 0
        number: gt.DataType | None = None
        if bits & _DOUBLE:
            number = gt.DoubleType()
        elif bits & _LONG:
            number = gt.LongType()
        if number is not None and bits & _TEXT:
            kinds[name] = gt.ChoiceType([number, gt.StringType()])
        else:
            kinds[name] = number or gt.StringType()
    return kinds


def typed_csv(raw: DataFrame) -> DataFrame:
    kinds = csv_kinds(raw)
    columns = []
    for name in raw.columns:
        c = F.col(f"`{name}`")
        kind = kinds[name]
        if isinstance(kind, gt.ChoiceType):
            number_name, number_type = next((n, t) for n, t in kind.choices.items() if n != "string")
            is_number = c.rlike(_DECIMAL) & c.try_cast(gt.to_spark(number_type)).isNotNull()
            value = F.struct(
                F.when(is_number, c.try_cast(gt.to_spark(number_type))).alias(number_name),
                F.when(~is_number & (F.trim(c) != ""), c).alias("string"),
            )
            columns.append(F.when(F.trim(c) != "", value).alias(name))  # a blank value is null
        elif isinstance(kind, gt.StringType):
            columns.append(c.alias(name))
        else:
            columns.append(c.try_cast(gt.to_spark(kind)).alias(name))
    return raw.select(*columns).to(gt.to_spark(gt.StructType([gt.Field(n, kinds[n]) for n in raw.columns])))


# -- JSON (through VARIANT) ------------------------------------------------------------------------------
def _kind(x: Column) -> Column:
    """Which Glue kind a variant value is: number, string, boolean, struct, array, null."""
    s = F.call_function("schema_of_variant", x)
    return (
        F.when(
            s.isin("BIGINT", "INT", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT") | s.startswith("DECIMAL"),
            "number",
        )
        .when(s == "STRING", "string")
        .when(s == "BOOLEAN", "boolean")
        .when(s.startswith("OBJECT"), "struct")
        .when(s.startswith("ARRAY"), "array")
        .otherwise("null")
    )


def _get(x: Column, name: str) -> Column:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return F.call_function("variant_get", x, F.lit(f'$["{escaped}"]'))


def _ddl(t: gt.DataType) -> str:
    if isinstance(t, gt.StructType):
        return (
            "struct<" + ",".join(f"`{f.name.replace('`', '``')}`:{_ddl(f.dataType)}" for f in t.fields) + ">"
        )
    if isinstance(t, gt.ArrayType):
        return f"array<{_ddl(t.elementType)}>"
    if isinstance(t, gt.MapType):
        return f"map<string,{_ddl(t.valueType)}>"
    if isinstance(t, gt.DecimalType):
        return f"decimal({t.precision},{t.scale})"
    return gt.to_spark(t).simpleString()


def _has_choice(t: gt.DataType) -> bool:
    if isinstance(t, gt.ChoiceType | gt.NullType):  # a variant cannot be cast to void either
        return True
    if isinstance(t, gt.StructType):
        return any(_has_choice(f.dataType) for f in t.fields)
    if isinstance(t, gt.ArrayType):
        return _has_choice(t.elementType)
    if isinstance(t, gt.MapType):
        return _has_choice(t.valueType)
    return False


def extract(x: Column, t: gt.DataType) -> Column:
    """The value of variant ``x`` as a column of Glue type ``t`` (choices as structs by type name)."""
    if isinstance(t, gt.NullType | gt.UnknownType):
        return F.lit(None).cast(gt.to_spark(t))
    if not _has_choice(t):
        return F.call_function("try_variant_get", x, F.lit("$"), F.lit(_ddl(t)))
    if isinstance(t, gt.ChoiceType):
        kind = _kind(x)
        parts = []
        for name, choice in t.choices.items():
            wanted = "number" if isinstance(choice, gt.DoubleType | gt.LongType | gt.IntegerType) else name
            parts.append(F.when(kind == wanted, extract(x, choice)).alias(name))
        return F.when(kind != "null", F.struct(*parts))  # an absent value is null, not a struct
    if isinstance(t, gt.StructType):
        fields = [extract(_get(x, f.name), f.dataType).alias(f.name) for f in t.fields]
        return F.when(_kind(x) == "struct", F.struct(*fields))
    if isinstance(t, gt.ArrayType):
        elements = F.call_function("try_variant_get", x, F.lit("$"), F.lit("array<variant>"))
        return F.transform(elements, lambda e: extract(e, t.elementType))
    raise AssertionError(t)


class _Mixed(gt.DataType):
    """Placeholder for array elements of several types within one record (VARIANT in Spark's schema)."""


_VTOKEN = re.compile(r"\s*(`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_]*|\d+|[<>(),:])")


def parse_variant_schema(text: str) -> gt.DataType:
    """Spark's ``schema_of_variant`` text (``OBJECT<a: BIGINT, b: ARRAY<STRING>>``) as a Glue type."""
    tokens = [m.group(1) for m in _VTOKEN.finditer(text)]
    pos = 0

    def take() -> str:
        nonlocal pos
        token = tokens[pos]
        pos += 1
        return token

    def parse() -> gt.DataType:
        name = take().upper()
        if name == "OBJECT":
            take()  # <
            fields = []
            while tokens[pos] != ">":
                field = take()
                if field.startswith("`"):
                    field = field[1:-1].replace("``", "`")
                take()  # :
                fields.append(gt.Field(field, parse()))
                if tokens[pos] == ",":
                    take()
            take()
            return gt.StructType(fields)
        if name == "ARRAY":
            take()
            element = parse()
            take()
            return gt.ArrayType(element)
        if name == "DECIMAL":
            if pos < len(tokens) and tokens[pos] == "(":
                take(), take(), take(), take(), take()  # ( p , s )
            return gt.DoubleType()
        return {
            "BIGINT": gt.LongType(),
            "INT": gt.LongType(),
            "SMALLINT": gt.LongType(),
            "TINYINT": gt.LongType(),
            "DOUBLE": gt.DoubleType(),
            "FLOAT": gt.DoubleType(),
            "STRING": gt.StringType(),
            "BOOLEAN": gt.BooleanType(),
            "VOID": gt.NullType(),
            "DATE": gt.DateType(),
            "TIMESTAMP": gt.TimestampType(),
            "TIMESTAMP_NTZ": gt.TimestampType(),
            "BINARY": gt.BinaryType(),
            "VARIANT": _Mixed(),
        }.get(name, gt.StringType())

    return parse()


def _mixed_paths(t: gt.DataType, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(t, _Mixed):
        return [path]
    if isinstance(t, gt.StructType):
        return [p for f in t.fields for p in _mixed_paths(f.dataType, (*path, f.name))]
    if isinstance(t, gt.ArrayType):
        return _mixed_paths(t.elementType, (*path, "[]"))
    if isinstance(t, gt.ChoiceType):
        return [p for c in t.choices.values() for p in _mixed_paths(c, path)]
    return []


def _replace_at(t: gt.DataType, path: tuple[str, ...], new: gt.DataType) -> gt.DataType:
    if not path:
        return gt.merge(gt.NullType(), new) if isinstance(t, _Mixed) else t
    head, rest = path[0], path[1:]
    if isinstance(t, gt.StructType) and head != "[]":
        return gt.StructType(
            [
                gt.Field(f.name, _replace_at(f.dataType, rest, new) if f.name == head else f.dataType)
                for f in t.fields
            ]
        )
    if isinstance(t, gt.ArrayType) and head == "[]":
        return gt.ArrayType(_replace_at(t.elementType, rest, new))
    if isinstance(t, gt.ChoiceType):
        return gt.ChoiceType([_replace_at(c, path, new) for c in t.choices.values()])
    return t


def _merge_all(types: list[gt.DataType]) -> gt.DataType:
    result: gt.DataType = gt.NullType()
    for t in types:
        result = _merge(result, t)
    return result


def _merge(a: gt.DataType, b: gt.DataType) -> gt.DataType:
    # _Mixed survives merging so it can be inferred afterwards.
    if isinstance(a, _Mixed) or isinstance(b, _Mixed):
        return _Mixed()
    if isinstance(a, gt.ArrayType) and isinstance(b, gt.ArrayType):
        return gt.ArrayType(_merge(a.elementType, b.elementType))
    if isinstance(a, gt.StructType) and isinstance(b, gt.StructType):
        fields = {f.name: f.dataType for f in a.fields}
        for f in b.fields:
            fields[f.name] = _merge(fields[f.name], f.dataType) if f.name in fields else f.dataType
        return gt.StructType([gt.Field(n, t) for n, t in fields.items()])
    return gt.merge(a, b)


def _values_at(df: DataFrame, column: str, path: tuple[str, ...]) -> DataFrame:
    current = df.select(F.col(column).alias("x"))
    for part in path:
        if part == "[]":
            current = current.select(
                F.explode(
                    F.call_function("try_variant_get", F.col("x"), F.lit("$"), F.lit("array<variant>"))
                ).alias("x")
            )
        else:
            current = current.select(_get(F.col("x"), part).alias("x"))
    return current.filter(F.col("x").isNotNull())


def infer_variant_schema(df: DataFrame, column: str = "v") -> gt.DataType:
    """The merged Glue type of the variant values in ``column`` (choices where types differ)."""

    def schemas_of(frame: DataFrame) -> gt.DataType:
        rows = (
            frame.select(F.call_function("schema_of_variant", F.col("x")).alias("s"))
            .distinct()
            .limit(MAX_DISTINCT_SCHEMAS)
            .collect()
        )
        return _merge_all([parse_variant_schema(r["s"]) for r in rows if r["s"] is not None])

    result = schemas_of(df.select(F.col(column).alias("x")))
    for _ in range(MAX_NESTED_INFERENCE):
        mixed = _mixed_paths(result)
        if not mixed:
            break
        for path in mixed:
            element = schemas_of(_values_at(df, column, path))
            result = _replace_at(result, path, element)
    return _strip_mixed(result)


def _strip_mixed(t: gt.DataType) -> gt.DataType:
    if isinstance(t, _Mixed):
        return gt.StringType()
    if isinstance(t, gt.StructType):
        return gt.StructType([gt.Field(f.name, _strip_mixed(f.dataType)) for f in t.fields])
    if isinstance(t, gt.ArrayType):
        return gt.ArrayType(_strip_mixed(t.elementType))
    if isinstance(t, gt.ChoiceType):
        return gt.ChoiceType([_strip_mixed(c) for c in t.choices.values()])
    return t


def frame_from_variants(
    df: DataFrame, column: str = "v", keep: list[str] | None = None, samples: list[Any] | None = None
) -> DataFrame:
    """Typed DataFrame from object-valued variants in ``column`` (other columns in ``keep`` come along).
    ``samples`` (parsed records) give the fields their order of appearance; VARIANT sorts them."""
    schema = infer_variant_schema(df, column)
    if not isinstance(schema, gt.StructType):
        schema = gt.StructType([])
    if samples:
        schema = order_fields(schema, samples)
    keep = keep or []
    x = F.col(column)
    columns = [extract(_get(x, f.name), f.dataType).alias(f.name) for f in schema.fields]
    typed = df.select(*columns, *keep)
    target = gt.to_spark(schema)
    for name in keep:
        target = target.add(df.schema[name])
    return typed.to(target) if schema.fields else typed


def order_fields(t: gt.DataType, samples: list[Any]) -> gt.DataType:
    """``t`` with struct fields in the order they first appear in ``samples``; unseen ones last."""
    if isinstance(t, gt.StructType):
        order: dict[str, None] = {}
        nested: dict[str, list[Any]] = {}
        for sample in samples:
            if isinstance(sample, dict):
                for key, value in sample.items():
                    order.setdefault(key, None)
                    nested.setdefault(key, []).append(value)
        rank = {name: i for i, name in enumerate(order)}
        fields = sorted(t.fields, key=lambda f: rank.get(f.name, len(rank)))
        return gt.StructType(
            [gt.Field(f.name, order_fields(f.dataType, nested.get(f.name, []))) for f in fields]
        )
    if isinstance(t, gt.ArrayType):
        return gt.ArrayType(
            order_fields(t.elementType, [v for s in samples if isinstance(s, list) for v in s])
        )
    if isinstance(t, gt.ChoiceType):
        return gt.ChoiceType([order_fields(c, samples) for c in t.choices.values()])
    return t


def _sample_records(texts: list[str], json_path: str | None) -> list[Any]:
    """Python's view of a few documents' records (dicts keep key order), for ``order_fields``."""
    import json

    records: list[Any] = []
    for text in texts:
        try:
            doc = json.loads(text)
        except ValueError:
            continue
        path = (json_path or "$").strip()
        many = path.endswith("[*]") or (path == "$" and isinstance(doc, list))
        for part in [p for p in path[1:].removesuffix("[*]").split(".") if p]:
            doc = doc.get(part) if isinstance(doc, dict) else None
        if many and isinstance(doc, list):
            records.extend(doc)
        elif doc is not None:
            records.append(doc)
    return records


def _records(df: DataFrame, json_path: str | None) -> DataFrame:
    """One row per record (variant ``v``) from parsed documents, following a jsonPath like ``$[*]`` or
    ``$.data.items[*]``; without one, a document that is an array gives its elements."""
    v = F.col("v")
    if json_path and json_path not in ("$", "$[*]"):
        if json_path.endswith("[*]"):
            base = json_path[:-3]
            return df.select(
                F.explode(
                    F.call_function(
                        "try_variant_get",
                        F.call_function("variant_get", v, F.lit(base)),
                        F.lit("$"),
                        F.lit("array<variant>"),
                    )
                ).alias("v"),
                "_source",
            )
        return df.select(F.call_function("variant_get", v, F.lit(json_path)).alias("v"), "_source")
    as_array = F.call_function("try_variant_get", v, F.lit("$"), F.lit("array<variant>"))
    return df.select(
        F.explode(F.when(_kind(v) == "array", as_array).otherwise(F.array(v))).alias("v"), "_source"
    )


def read_json(
    spark: Any, files: list[str], format_options: dict[str, Any], stage: Stage, file_column: str | None = None
) -> ReadResult:
    multiline = _truthy(format_options.get("multiLine", format_options.get("multiline", False)))
    json_path = format_options.get("jsonPath")
    if json_path is not None and not str(json_path).startswith("$"):
        raise InvalidInputException(f"jsonPath {json_path!r} must start with $ (e.g. $[*] or $.records[*])")
    text = spark.read.text(files, wholetext=multiline).select(
        "value", F.col("_metadata.file_path").alias("_source")
    )
    text = text.filter(F.trim(F.col("value")) != "")
    parsed = text.select("value", "_source", F.call_function("try_parse_json", F.col("value")).alias("v"))
    malformed = parsed.filter(F.col("v").isNull())
    records = _records(parsed.filter(F.col("v").isNotNull()), json_path)
    not_objects = records.filter(_kind(F.col("v")) != "struct")
    objects = records.filter(_kind(F.col("v")) == "struct")
    errors = error_records(
        malformed,
        stage,
        "MalformedJSON",
        F.lit("the text is not valid JSON"),
        F.col("value"),
        F.col("_source"),
    ).unionByName(
        error_records(
            not_objects,
            stage,
            "NotARecord",
            F.lit("the JSON value is not an object"),
            F.call_function("to_json", F.col("v")),
            F.col("_source"),
        )
    )
    sample = [r["value"] for r in text.select("value").limit(200).collect()]
    samples = _sample_records(sample, json_path)
    if file_column:
        typed = frame_from_variants(objects, keep=["_source"], samples=samples)
        return ReadResult(df=typed.withColumnRenamed("_source", file_column), errors=errors)
    return ReadResult(df=frame_from_variants(objects, samples=samples), errors=errors)
