"""Glue's ``format`` and ``format_options`` for files: reading (csv, json, parquet, orc, xml; gzip and
bzip2 by extension) into DynamicFrame parts, and writing (csv, json, parquet/glueparquet, orc, xml) with
``partitionKeys``. Formats that cannot work offline are a clear error, not a crash."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..errors import InvalidInputException
from .frame_errors import Stage, error_records
from .gluetypes import is_choice_struct
from .inference import CORRUPT, ReadResult, _truthy, read_csv, read_json, with_corrupt_check
from .listing import SourceFile

READ_FORMATS = ("csv", "json", "parquet", "orc", "xml")
WRITE_FORMATS = ("csv", "json", "parquet", "glueparquet", "orc", "xml")
UNAVAILABLE = {
    "avro": "Avro needs the spark-avro package, which gluelab does not ship (it cannot be fetched offline); "
    "convert the data to parquet, orc or json",
    "ion": "Amazon Ion has no reader for Spark outside AWS Glue",
    "grokLog": "grok log parsing is only available on AWS Glue",
    "hudi": "Hudi tables need the Hudi libraries (--datalake-formats), which gluelab does not ship",
    "delta": "Delta tables need the Delta Lake libraries (--datalake-formats), which gluelab does not ship",
    "iceberg": "Iceberg tables need the Iceberg libraries (--datalake-formats), which gluelab does not ship",
}


class FormatError(InvalidInputException):
    pass


def check_format(fmt: str | None, writing: bool = False) -> str:
    if not fmt:
        raise FormatError("a format is required for files (csv, json, parquet, orc, xml)")
    name = fmt.lower() if fmt != "grokLog" else fmt
    if name in UNAVAILABLE:
        raise FormatError(f"format {fmt!r} is not available: {UNAVAILABLE[name]}.")
    allowed = WRITE_FORMATS if writing else READ_FORMATS
    if name not in allowed:
        raise FormatError(
            f"unknown format {fmt!r}; gluelab {'writes' if writing else 'reads'} {', '.join(allowed)}"
        )
    return name


def read_files(
    spark: Any,
    files: list[SourceFile],
    fmt: str,
    format_options: dict[str, Any],
    stage: Stage,
    file_column: str | None = None,
    spark_options: dict[str, Any] | None = None,
) -> ReadResult:
    """DynamicFrame parts from ``files`` in ``fmt``; with ``file_column``, each row also says which file
    it came from (as Spark names it). ``spark_options`` go to Spark's parquet and orc sources, as Glue's
    connection_options do."""
    name = check_format(fmt)
    if not files:
        return ReadResult(df=spark.createDataFrame([], T.StructType([])), errors=None)
    if name == "csv":
        return read_csv(spark, files, format_options, stage, file_column)
    paths = [f.spark_path for f in files]
    if name == "json":
        return read_json(spark, paths, format_options, stage, file_column)
    if name in ("parquet", "orc"):
        df = _read_columnar(spark, paths, name, spark_options or {})
        if file_column:
            df = df.withColumn(file_column, F.col("_metadata.file_path"))
        return ReadResult(df=df, errors=None)
    result = _read_xml(spark, paths, format_options, stage)
    if file_column:
        result.df = result.df.withColumn(file_column, F.col("_metadata.file_path"))
    return result


def _read_columnar(spark: Any, files: list[str], name: str, spark_options: dict[str, Any]) -> DataFrame:
    """Parquet or orc files with their schemas merged (Spark alone would take one file's schema and drop
    the columns only other files have); files that disagree on a type are a clear error."""
    options = {"mergeSchema": str(len(files) > 1).lower()}
    options.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in spark_options.items()})
    reader = spark.read.options(**options)
    try:
        # orc's second positional parameter is mergeSchema: the files go as one list.
        return reader.parquet(*files) if name == "parquet" else reader.orc(files)
    except Exception as exc:
        if "[CANNOT_MERGE_SCHEMAS]" not in str(exc):
            raise
        detail = " ".join(str(exc).split("[CANNOT_MERGE_SCHEMAS]", 1)[1].split("SQLSTATE")[0].split())
        raise FormatError(
            f"the {name} files do not agree on their fields' types ({detail}); read them apart and make "
            "the types agree (ApplyMapping, ResolveChoice) before uniting them"
        ) from None


def _read_xml(spark: Any, files: list[str], format_options: dict[str, Any], stage: Stage) -> ReadResult:
    row_tag = format_options.get("rowTag")
    if not row_tag:
        raise FormatError("the xml format needs format_options rowTag (the element that is one record)")
    options = {"rowTag": str(row_tag), "mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    for glue_key, spark_key in (
        ("encoding", "encoding"),
        ("attributePrefix", "attributePrefix"),
        ("valueTag", "valueTag"),
        ("excludeAttribute", "excludeAttribute"),
        ("treatEmptyValuesAsNulls", "treatEmptyValuesAsNulls"),
        ("ignoreSurroundingSpaces", "ignoreSurroundingSpaces"),
    ):
        if glue_key in format_options:
            options[spark_key] = (
                str(format_options[glue_key]).lower()
                if isinstance(format_options[glue_key], bool)
                else str(format_options[glue_key])
            )
    options.setdefault("attributePrefix", "_")
    options.setdefault("valueTag", "_VALUE")
    df = spark.read.format("xml").options(**options).load(files)
    if CORRUPT not in df.columns:
        return ReadResult(df=df, errors=None)
    df = df.withColumn("_source", F.col("_metadata.file_path"))
    data_columns = [c for c in df.columns if c not in (CORRUPT, "_source")]
    if not data_columns:
        raise FormatError(f"no <{row_tag}> element with content was found")
    good = with_corrupt_check(df, data_columns[0], corrupt=False).drop(CORRUPT, "_source")
    bad = with_corrupt_check(df, data_columns[0], corrupt=True)
    errors = error_records(
        bad,
        stage,
        "MalformedXML",
        F.lit("the element is not well-formed XML"),
        F.col(CORRUPT),
        F.col("_source"),
    )
    return ReadResult(df=good, errors=errors)


def write_files(
    df: DataFrame,
    path: str,
    fmt: str,
    format_options: dict[str, Any],
    partition_keys: list[str],
    compression: str | None = None,
) -> None:
    """Append ``df`` under ``path`` (a Spark path) as ``fmt``, Hive-style ``key=value`` folders for
    ``partition_keys`` (whose values leave the file contents, as on Glue)."""
    name = check_format(fmt, writing=True)
    missing = [k for k in partition_keys if k not in df.columns]
    if missing:
        raise FormatError(
            f"partitionKeys {', '.join(missing)} are not fields of the frame "
            f"(fields: {', '.join(df.columns)})"
        )
    choices = [f.name for f in df.schema.fields if _has_choice(f.dataType)]
    if choices and name in ("csv",):
        raise FormatError(
            f"fields {', '.join(choices)} are choices; resolve them (resolveChoice) before writing csv"
        )
    compression = compression or format_options.get("compression")
    if name == "csv":
        df, options = _csv_output(df, format_options, partition_keys)
        if compression:
            options["compression"] = compression
    writer = df.write.mode("append")
    if partition_keys:
        writer = writer.partitionBy(*partition_keys)
    if name == "csv":
        writer.options(**options).csv(path)
    elif name == "json":
        writer.options(**({"compression": compression} if compression else {}), ignoreNullFields="true").json(
            path
        )
    elif name in ("parquet", "glueparquet"):
        options = {"compression": compression or "snappy"}
        if format_options.get("blockSize"):
            options["parquet.block.size"] = str(format_options["blockSize"])
        if format_options.get("pageSize"):
            options["parquet.page.size"] = str(format_options["pageSize"])
        writer.options(**options).parquet(path)
    elif name == "orc":
        writer.options(**({"compression": compression} if compression else {})).orc(path)
    else:
        row_tag = format_options.get("rowTag")
        if not row_tag:
            raise FormatError("the xml format needs format_options rowTag")
        writer.format("xml").options(
            rowTag=str(row_tag), rootTag=str(format_options.get("rootTag", "rows"))
        ).save(path)


def _csv_output(
    df: DataFrame, format_options: dict[str, Any], partition_keys: list[str]
) -> tuple[DataFrame, dict[str, str]]:
    """The frame and Spark options that write Glue's csv: quotes doubled inside quoted values (RFC 4180),
    or, with quoteChar -1, no quoting at all (which Spark's writer cannot do: each line is then built
    here and written as the one column of a csv that has nothing to quote)."""
    nested = [
        f.name for f in df.schema.fields if isinstance(f.dataType, T.StructType | T.ArrayType | T.MapType)
    ]
    if nested:
        raise FormatError(f"csv cannot hold nested fields ({', '.join(nested)}); flatten or drop them first")
    quote = str(format_options.get("quoteChar", '"'))
    separator = str(format_options.get("separator", ","))
    options = {"header": str(_truthy(format_options.get("writeHeader", True))).lower(), "sep": separator}
    if quote != "-1":
        options["quote"] = quote
        options["escape"] = str(format_options.get("escaper") or quote)
        return df, options
    data = [c for c in df.columns if c not in partition_keys]
    line = F.concat_ws(separator, *[F.coalesce(F.col(f"`{c}`").cast("string"), F.lit("")) for c in data])
    lines = df.select(line.alias(separator.join(data)), *[F.col(f"`{k}`") for k in partition_keys])
    return lines, {**options, "sep": "\u0001", "quote": "\u0000", "emptyValue": "", "nullValue": ""}


def _has_choice(data_type: Any) -> bool:
    if is_choice_struct(data_type):
        return True
    if isinstance(data_type, T.StructType):
        return any(_has_choice(f.dataType) for f in data_type.fields)
    if isinstance(data_type, T.ArrayType):
        return _has_choice(data_type.elementType)
    return False
