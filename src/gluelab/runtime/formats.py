"""Glue's ``format`` and ``format_options`` for files: reading (csv, json, parquet, orc, xml; gzip and
bzip2 by extension) into DynamicFrame parts, and writing (csv, json, parquet/glueparquet, orc, xml) with
``partitionKeys``. Formats that cannot work offline are a clear error, not a crash."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..errors import InvalidInputException
from . import gluetypes as gt
from .choice import strip_choices
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
    columns: list[str] | None = None,
) -> ReadResult:
    """DynamicFrame parts from ``files`` in ``fmt``; with ``file_column``, each row also says which file
    it came from (as Spark names it). ``spark_options`` go to Spark's parquet and orc sources, as Glue's
    connection_options do. ``columns`` (a catalog table's) name csv fields by position."""
    name = check_format(fmt)
    if not files:
        return ReadResult(df=spark.createDataFrame([], T.StructType([])), errors=None)
    if name == "csv":
        return read_csv(spark, files, format_options, stage, file_column, columns)
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
    local_dir: Path | None = None,
) -> int | None:
    """Append ``df`` under ``path`` (a Spark path) as ``fmt``, Hive-style ``key=value`` folders for
    ``partition_keys`` (whose values leave the file contents, as on Glue); returns the rows written (None
    when Spark did not report them). Choices are written as ``written_choices`` says. An empty frame
    writes nothing: no Spark job when Spark knows it is empty without one (``known_empty``), and
    otherwise the schema-only file and ``_SUCCESS`` marker Spark leaves in ``local_dir`` (the folder
    ``path`` is) are removed."""
    name = check_format(fmt, writing=True)
    if not df.columns:  # nothing was read: no field, no row, whatever the partition keys
        return 0
    missing = [k for k in partition_keys if k not in df.columns]
    if missing:
        raise FormatError(
            f"partitionKeys {', '.join(missing)} are not fields of the frame "
            f"(fields: {', '.join(df.columns)})"
        )
    if known_empty(df):
        return 0
    df = written_choices(df, name)
    compression = compression or format_options.get("compression")
    if name == "csv":
        df, options = _csv_output(df, format_options, partition_keys)
        if compression:
            options["compression"] = compression
    observation = Observation()
    df = df.observe(observation, F.count(F.lit(1)).alias("rows"))
    before = _entries(local_dir)
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
    rows = _observed_rows(observation)
    if rows == 0:
        header = name == "csv" and options.get("header") == "true"
        _remove_new_entries(before, name, 1 if header else 0)
    return rows


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


# -- choices on write ------------------------------------------------------------------------------------
# Glue writes a frame whose choices are unresolved: csv and json hold each value as it is (its text in
# csv, its own JSON type in json); parquet and orc cannot hold a value of either type in one column, and
# get what DynamicFrame.toDF() makes of a choice, a struct with one field per type
# (https://docs.aws.amazon.com/glue/latest/dg/glue-etl-scala-apis-glue-dynamicframe-class.html#glue-etl-scala-apis-glue-dynamicframe-class-defs-toDF).
VALUE_FORMATS = ("csv", "json")


def written_choices(df: DataFrame, fmt: str) -> DataFrame:
    """``df`` with its choices as ``fmt`` holds them: strings (csv, choices of atomic types; others stay
    nested, which csv refuses), variants (json, written as the value's own JSON), or plain structs of
    the alternatives (parquet, orc, xml)."""
    fields = [f for f in df.schema.fields if _has_choice(f.dataType)]
    if not fields:
        return df
    if fmt == "csv":
        convert = {f.name: _choice_as_text(F.col(f"`{f.name}`"), f.dataType) for f in fields}
        convert = {n: c for n, c in convert.items() if c is not None}
    elif fmt == "json":
        convert = {f.name: _map_choices(F.col(f"`{f.name}`"), f.dataType, _choice_as_variant) for f in fields}
    else:
        convert = {f.name: F.col(f"`{f.name}`").cast(strip_choices(f.dataType)) for f in fields}
    return df.select(*[convert[c].alias(c) if c in convert else F.col(f"`{c}`") for c in df.columns])


def written_type(glue_type: gt.DataType, fmt: str) -> gt.DataType:
    """The type a field of ``glue_type`` has in what ``fmt`` wrote (``written_choices``): the type the
    catalog gets when a write updates it."""
    if isinstance(glue_type, gt.ChoiceType):
        if fmt.lower() in VALUE_FORMATS:
            return gt.StringType()
        return gt.StructType([gt.Field(n, written_type(t, fmt)) for n, t in glue_type.choices.items()])
    if isinstance(glue_type, gt.StructType):
        return gt.StructType([gt.Field(f.name, written_type(f.dataType, fmt)) for f in glue_type.fields])
    if isinstance(glue_type, gt.ArrayType):
        return gt.ArrayType(written_type(glue_type.elementType, fmt))
    return glue_type


def _map_choices(col: Any, spark_type: Any, convert: Any) -> Any:
    """``col`` with every choice inside it (through structs and arrays) replaced by ``convert(choice,
    type)``."""
    if is_choice_struct(spark_type):
        return convert(col, spark_type)
    if isinstance(spark_type, T.StructType) and _has_choice(spark_type):
        fields = [
            _map_choices(col.getField(f.name), f.dataType, convert).alias(f.name) for f in spark_type.fields
        ]
        return F.when(col.isNull(), F.lit(None)).otherwise(F.struct(*fields))
    if isinstance(spark_type, T.ArrayType) and _has_choice(spark_type.elementType):
        return F.transform(col, lambda element: _map_choices(element, spark_type.elementType, convert))
    return col


def _choice_as_variant(col: Any, choice: Any) -> Any:
    """The one value a choice holds, as a variant (which Spark's json writer writes as JSON)."""
    values = []
    for alt in choice.fields:
        value = _map_choices(col.getField(alt.name), alt.dataType, _choice_as_variant)
        nested = isinstance(alt.dataType, T.StructType | T.ArrayType | T.MapType)
        values.append(F.call_function("to_variant_object", value) if nested else value.cast("variant"))
    return F.coalesce(*values)


def _choice_as_text(col: Any, choice: Any) -> Any:
    """The one value a choice of atomic types holds, as text (None for a choice holding nested types)."""
    if any(isinstance(alt.dataType, T.StructType | T.ArrayType | T.MapType) for alt in choice.fields):
        return None
    return F.coalesce(*[col.getField(alt.name).cast("string") for alt in choice.fields])


# -- empty writes ----------------------------------------------------------------------------------------
def empty_frame(spark: Any, schema: Any) -> DataFrame:
    """A frame of no rows with ``schema`` that Spark knows is empty before running anything (its plan is
    an empty local relation, as are the plans of what is derived from it)."""
    return spark.createDataFrame([], schema).limit(0)


def known_empty(df: DataFrame) -> bool:
    """True when ``df`` has no field (nothing was read), or when Spark's optimizer proves it has no rows
    (its optimized plan is an empty local relation): an empty read, and what transforms and joins derive
    from one. No Spark job runs."""
    if not df.columns:
        return True
    if not hasattr(df, "_jdf"):  # a Spark Connect frame: its plan is not at hand
        return False
    plan = df._jdf.queryExecution().optimizedPlan()
    return plan.getClass().getSimpleName() == "LocalRelation" and plan.data().isEmpty()


def _observed_rows(observation: Observation, wait_s: float = 10.0) -> int | None:
    """The rows an observed write counted; Spark reports them just after the write, from its listener
    thread (None if it did not within ``wait_s``)."""
    if getattr(observation, "_jo", None) is None:  # Spark Connect: its observations are not waited on here
        return None
    future = observation._jo.future()
    deadline = time.monotonic() + wait_s
    while not future.isCompleted():
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)
    return int(observation.get["rows"])


def _entries(folder: Path | None) -> tuple[Path, set[str] | None] | None:
    """What a write into ``folder`` starts from: ``folder`` and the names it holds, or, when it does not
    exist yet, the outermost of its folders that does not exist and None."""
    if folder is None:
        return None
    if folder.is_dir():
        return folder, {entry.name for entry in folder.iterdir()}
    while not folder.parent.exists():
        folder = folder.parent
    return folder, None


def _remove_new_entries(before: tuple[Path, set[str] | None] | None, fmt: str, header_lines: int) -> None:
    """Remove what a write of no rows left, and only that: new ``_SUCCESS`` markers and new Spark part
    files that hold no row, then the folders this leaves empty. A file another writer added meanwhile
    holds rows and stays."""
    if before is None:
        return
    folder, names = before
    if not folder.is_dir():
        return
    new = [e for e in folder.iterdir() if names is None or e.name not in names]
    for entry in new:
        _remove_rowless(entry, fmt, header_lines)
    if names is None:
        _remove_if_empty(folder)


def _remove_rowless(entry: Path, fmt: str, header_lines: int) -> None:
    """Remove ``entry`` if it is a marker or a part file of no rows; in a folder, each such entry, and
    the folder if it is left empty."""
    if entry.is_dir() and not entry.is_symlink():
        for child in list(entry.iterdir()):
            _remove_rowless(child, fmt, header_lines)
        _remove_if_empty(entry)
    elif entry.name == "_SUCCESS" or (
        entry.name.startswith("part-") and _holds_no_row(entry, fmt, header_lines)
    ):
        entry.unlink(missing_ok=True)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty: something else is there


def _holds_no_row(path: Path, fmt: str, header_lines: int) -> bool:
    """Whether a part file Spark wrote holds no row: a schema-only parquet or orc file, or a text file of
    no line but ``header_lines``."""
    try:
        if fmt in ("parquet", "glueparquet"):
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows == 0
        if fmt == "orc":
            import pyarrow.orc as po

            return po.ORCFile(path).nrows == 0
        if path.stat().st_size > 65536:
            return False
        import bz2
        import gzip

        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        elif path.suffix == ".bz2":
            raw = bz2.decompress(raw)
        return len([line for line in raw.splitlines() if line.strip()]) <= header_lines
    except Exception:  # unreadable or another codec: keep it
        return False
