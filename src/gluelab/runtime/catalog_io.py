"""Reading and writing Data Catalog tables from Glue scripts: the table's location, format and
partitions come from the catalog; ``push_down_predicate`` prunes partitions before any file is listed;
``enableUpdateCatalog`` creates or updates the table and adds the partitions a write produced."""

from __future__ import annotations

import logging
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..catalog.formats import JDBC_CLASSIFICATIONS, format_of, storage_for
from ..errors import EntityNotFoundException, InvalidInputException
from . import gluetypes as gt
from .dynamicframe import DynamicFrame, _stage
from .formats import empty_frame, read_files, written_type
from .inference import typed_csv
from .listing import list_files
from .paths import to_local
from .source_report import missing_paths, report_read

log = logging.getLogger("gluelab.runtime")
FILE_COLUMN = "__glue_file"
HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def _all_partitions(catalog: Any, database: str, table: str, expression: str | None) -> list[dict[str, Any]]:
    partitions: list[dict[str, Any]] = []
    token = None
    while True:
        request: dict[str, Any] = {"DatabaseName": database, "TableName": table}
        if expression:
            request["Expression"] = expression
        if token:
            request["NextToken"] = token
        page = catalog.get_partitions(request)
        partitions.extend(page["Partitions"])
        token = page.get("NextToken")
        if not token:
            return partitions


def prune_partitions(
    spark: Any, keys: list[dict[str, Any]], partitions: list[dict[str, Any]], predicate: str
) -> list[dict[str, Any]]:
    """The partitions whose values satisfy ``predicate`` (a Spark SQL expression over the partition keys),
    evaluated on the catalog's partition values, before any data is read."""
    if not predicate or not partitions:
        return partitions
    names = [k["Name"] for k in keys]
    rows = [(i, *p["Values"]) for i, p in enumerate(partitions)]
    schema = T.StructType(
        [T.StructField("__i", T.IntegerType())] + [T.StructField(n, T.StringType()) for n in names]
    )
    frame = spark.createDataFrame(rows, schema)
    typed = frame.select(
        "__i",
        *[_typed_value(F.col(f"`{k['Name']}`"), k.get("Type") or "string").alias(k["Name"]) for k in keys],
    )
    try:
        matching = {r["__i"] for r in typed.filter(predicate).select("__i").collect()}
    except Exception as exc:  # an AnalysisException names the problem; keep its first line
        raise InvalidInputException(
            f"push_down_predicate {predicate!r}: {str(exc).splitlines()[0]}"
        ) from None
    return [p for i, p in enumerate(partitions) if i in matching]


def _typed_value(col: Any, hive_type: str) -> Any:
    try:
        glue_type = gt.parse_type(hive_type)
    except gt.TypeNameError:
        return col
    if isinstance(glue_type, gt.StringType):
        return col
    return F.when(col == HIVE_DEFAULT_PARTITION, F.lit(None)).otherwise(col).try_cast(gt.to_spark(glue_type))


def csv_column_names(table: dict[str, Any]) -> list[str] | None:
    """The names a csv table's fields get, by position: its columns (partition keys come from the
    folders). Glue names a catalog table's csv fields so, not by the files' header
    (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-samples-medicaid.html: the
    header's ``Provider Id`` is read as the catalog's ``provider id``). None for a table without columns:
    then the files name them (their header, or col0, col1, ...). A skip.header.line.count above 1 is
    warned about: the reader skips one line."""
    descriptor = table.get("StorageDescriptor") or {}
    serde_parameters = (descriptor.get("SerdeInfo") or {}).get("Parameters") or {}
    header_lines = (table.get("Parameters") or {}).get("skip.header.line.count") or serde_parameters.get(
        "skip.header.line.count"
    )
    if str(header_lines or "0").strip() not in ("0", "1"):
        log.warning(
            "table %s: skip.header.line.count is %s; gluelab skips only the first line of each file",
            table.get("Name"),
            header_lines,
        )
    names = [c["Name"] for c in descriptor.get("Columns") or []]
    return names or None


def read_catalog(
    glue_ctx: Any,
    database: str,
    table_name: str,
    ctx: str,
    push_down_predicate: str,
    additional_options: dict[str, Any],
    catalog_id: str | None,
) -> DynamicFrame:
    catalog = glue_ctx.services.catalog
    table = catalog.get_table(
        DatabaseName=database, Name=table_name, **({"CatalogId": catalog_id} if catalog_id else {})
    )["Table"]
    fmt, format_options = format_of(table)
    parameters = table.get("Parameters") or {}
    if fmt in JDBC_CLASSIFICATIONS or parameters.get("connectionName"):
        from .jdbc_io import read_jdbc_table

        return read_jdbc_table(glue_ctx, table, ctx, additional_options)
    if not fmt:
        raise InvalidInputException(
            f"table {database}.{table_name} names no format the runtime can read "
            "(Parameters.classification or a known SerDe)"
        )
    location = (table.get("StorageDescriptor") or {}).get("Location")
    if not location:
        raise InvalidInputException(f"table {database}.{table_name} has no StorageDescriptor.Location")
    keys = table.get("PartitionKeys") or []
    columns = csv_column_names(table) if fmt == "csv" else None
    options = {k: v for k, v in additional_options.items()}
    label = f"{ctx + ' at ' if ctx else ''}table {database}.{table_name}"
    if not keys:
        if push_down_predicate:
            log.warning("push_down_predicate ignored: %s.%s has no partition keys", database, table_name)
        return glue_ctx._read_files(
            {**options, "paths": [location], "recurse": True},
            fmt,
            format_options,
            ctx,
            frame_name=table_name,
            columns=columns,
            empty_schema=catalog_schema(table),
            source_label=label,
        )
    partitions = _all_partitions(
        catalog, database, table_name, additional_options.get("catalogPartitionPredicate")
    )
    partitions = prune_partitions(glue_ctx.spark_session, keys, partitions, push_down_predicate)
    files_by_partition: list[tuple[dict[str, Any], list[Any]]] = []
    part_locations: list[str] = []
    for partition in partitions:
        part_location = (partition.get("StorageDescriptor") or {}).get("Location")
        if not part_location:
            names = "/".join(f"{k['Name']}={v}" for k, v in zip(keys, partition["Values"], strict=True))
            part_location = location.rstrip("/") + "/" + names + "/"
        part_locations.append(part_location)
        files_by_partition.append((partition, list_files([part_location], glue_ctx.warehouse, recurse=True)))
    all_files = [f for _, files in files_by_partition for f in files]
    missing = missing_paths([location], glue_ctx.warehouse) or missing_paths(
        part_locations, glue_ctx.warehouse
    )
    listed = len(all_files) if glue_ctx._bookmarks_active(ctx) else None
    source = {"database": database, "table": table_name, "format": fmt, "format_options": format_options}
    if glue_ctx._job is not None and ctx:
        keep = {f.uri for f in glue_ctx._job._bookmarks.filter_files(ctx, all_files, source)}
        files_by_partition = [(p, [f for f in files if f.uri in keep]) for p, files in files_by_partition]
        all_files = [f for f in all_files if f.uri in keep]
    if not all_files:  # nothing (new) to read: an empty frame with the table's columns
        frame = DynamicFrame(empty_frame(glue_ctx.spark_session, catalog_schema(table)), glue_ctx, table_name)
        report_read(glue_ctx, label, fmt, frame, all_files, listed, missing)
        return frame
    stage = _stage(f"Read {fmt}", ctx)
    result = read_files(
        glue_ctx.spark_session,
        all_files,
        fmt,
        format_options,
        stage,
        file_column=FILE_COLUMN,
        columns=columns,
    )
    stage.errors = result.errors
    data = result.df if isinstance(result.df, DataFrame) else typed_csv(result.df.raw)
    df = _with_partition_values(glue_ctx.spark_session, data, keys, files_by_partition)
    frame = DynamicFrame(df, glue_ctx, table_name)
    frame._lineage = (stage,)
    report_read(glue_ctx, label, fmt, frame, all_files, listed, missing)
    return frame


def catalog_schema(table: dict[str, Any]) -> T.StructType:
    """The Spark schema of a catalog table's rows: its columns, then its partition keys (a type gluelab
    cannot parse is read as a string)."""
    columns = ((table.get("StorageDescriptor") or {}).get("Columns") or []) + (
        table.get("PartitionKeys") or []
    )
    fields = []
    for column in columns:
        try:
            glue_type = gt.parse_type(column.get("Type") or "string")
        except gt.TypeNameError:
            glue_type = gt.StringType()
        fields.append(gt.Field(column["Name"], glue_type))
    return gt.to_spark(gt.StructType(fields))


def _with_partition_values(
    spark: Any,
    df: Any,
    keys: list[dict[str, Any]],
    files_by_partition: list[tuple[dict[str, Any], list[Any]]],
) -> DataFrame:
    """The rows of ``df`` with their partition's key values, found by the file each row came from."""
    if not hasattr(df, "columns") or FILE_COLUMN not in df.columns:  # nothing was read
        return spark.createDataFrame(
            [], T.StructType([T.StructField(k["Name"], T.StringType()) for k in keys])
        )
    rows = [(f.reported, *p["Values"]) for p, files in files_by_partition for f in files]
    mapping = spark.createDataFrame(
        rows,
        T.StructType(
            [T.StructField(FILE_COLUMN, T.StringType())]
            + [T.StructField(f"__k{i}", T.StringType()) for i in range(len(keys))]
        ),
    )
    # Spark's file_path, URL-decoded, as paths.reported names it.
    spark_reported = F.regexp_replace(F.call_function("url_decode", F.col(FILE_COLUMN)), r"^file:(//)?", "")
    joined = df.withColumn(FILE_COLUMN, spark_reported).join(F.broadcast(mapping), FILE_COLUMN, "left")
    data_columns = [c for c in df.columns if c != FILE_COLUMN and c not in {k["Name"] for k in keys}]
    return joined.select(
        *[F.col(f"`{c}`") for c in data_columns],
        *[
            _typed_value(F.col(f"__k{i}"), k.get("Type") or "string").alias(k["Name"])
            for i, k in enumerate(keys)
        ],
    )


# -- writing -------------------------------------------------------------------------------------------------
def write_catalog(
    glue_ctx: Any,
    frame: DynamicFrame,
    database: str,
    table_name: str,
    additional_options: dict[str, Any],
    catalog_id: str | None,
    ctx: str,
) -> None:
    catalog = glue_ctx.services.catalog
    table = catalog.get_table(DatabaseName=database, Name=table_name)["Table"]
    fmt, format_options = format_of(table)
    parameters = table.get("Parameters") or {}
    if fmt in JDBC_CLASSIFICATIONS or parameters.get("connectionName"):
        from .jdbc_io import write_jdbc_table

        write_jdbc_table(glue_ctx, frame, table)
        return
    location = (table.get("StorageDescriptor") or {}).get("Location")
    if not location:
        raise InvalidInputException(
            f"table {database}.{table_name} has no StorageDescriptor.Location to write to"
        )
    keys = [k["Name"] for k in table.get("PartitionKeys") or []]
    keys = list(additional_options.get("partitionKeys") or keys)
    options = {
        "path": location,
        "partitionKeys": keys,
        **{k: v for k, v in additional_options.items() if k not in ("enableUpdateCatalog", "updateBehavior")},
    }
    rows = glue_ctx._write_frame(frame, "s3", options, fmt, format_options, ctx)
    # A write of no rows (a bookmarked run with nothing new) leaves the catalog as it is.
    if str(additional_options.get("enableUpdateCatalog", "")).lower() == "true" and rows != 0:
        update_catalog_after_write(
            glue_ctx, frame, database, table_name, {**options, **additional_options}, fmt, format_options
        )


def update_catalog_after_write(
    glue_ctx: Any,
    frame: DynamicFrame,
    database: str,
    table_name: str,
    sink_options: dict[str, Any],
    fmt: str,
    format_options: dict[str, Any],
) -> None:
    """Create the table if it is absent, update its schema (UPDATE_IN_DATABASE; LOG leaves it), and add
    the partitions the frame wrote that the catalog does not know yet."""
    catalog = glue_ctx.services.catalog
    path = sink_options.get("path")
    if not path:
        raise InvalidInputException("enableUpdateCatalog needs the sink's path")
    keys = list(sink_options.get("partitionKeys") or [])
    behavior = sink_options.get("updateBehavior", "UPDATE_IN_DATABASE")
    if behavior not in ("UPDATE_IN_DATABASE", "LOG"):
        raise InvalidInputException(f"updateBehavior must be UPDATE_IN_DATABASE or LOG, not {behavior!r}")
    schema = written_type(frame.schema(), fmt)  # unresolved choices as the files hold them
    assert isinstance(schema, gt.StructType)
    columns = [{"Name": f.name, "Type": gt.to_hive(f.dataType)} for f in schema.fields if f.name not in keys]
    partition_keys = [
        {"Name": k, "Type": gt.to_hive(schema.getField(k).dataType) if schema.hasField(k) else "string"}
        for k in keys
    ]
    descriptor, params = storage_for(fmt, format_options)
    location = path if path.endswith("/") else path + "/"
    table_input = {
        "Name": table_name,
        "TableType": "EXTERNAL_TABLE",
        "PartitionKeys": partition_keys,
        "Parameters": {**params, "UPDATED_BY_JOB": "gluelab"},
        "StorageDescriptor": {**descriptor, "Columns": columns, "Location": location},
    }
    try:
        existing = catalog.get_table(DatabaseName=database, Name=table_name)["Table"]
    except EntityNotFoundException:
        catalog.get_database(Name=database)  # a missing database is the caller's error, said plainly
        catalog.create_table(DatabaseName=database, TableInput=table_input)
        existing = None
    if existing is not None:
        old_columns = (existing.get("StorageDescriptor") or {}).get("Columns") or []
        if behavior == "UPDATE_IN_DATABASE" and old_columns != columns:
            updated = {
                k: existing[k]
                for k in ("Description", "Owner", "Retention", "TableType", "Parameters", "PartitionKeys")
                if k in existing
            }
            updated["StorageDescriptor"] = {**(existing.get("StorageDescriptor") or {}), "Columns": columns}
            catalog.update_table(DatabaseName=database, TableInput={"Name": table_name, **updated})
        elif old_columns != columns:
            log.info(
                "updateBehavior LOG: %s.%s schema differs from the frame's; left unchanged",
                database,
                table_name,
            )
    if keys:
        _add_partitions(glue_ctx, frame, database, table_name, keys, location, descriptor, columns)


def _add_partitions(
    glue_ctx: Any,
    frame: DynamicFrame,
    database: str,
    table_name: str,
    keys: list[str],
    location: str,
    descriptor: dict[str, Any],
    columns: list[dict[str, str]],
) -> None:
    catalog = glue_ctx.services.catalog
    values = [
        [HIVE_DEFAULT_PARTITION if row[k] is None else str(row[k]) for k in keys]
        for row in frame._df.select(*[F.col(f"`{k}`") for k in keys]).distinct().collect()
    ]
    known = {tuple(p["Values"]) for p in _all_partitions(catalog, database, table_name, None)}
    new = [v for v in values if tuple(v) not in known]
    inputs = [
        {
            "Values": v,
            "StorageDescriptor": {
                **descriptor,
                "Columns": columns,
                "Location": location
                + "/".join(f"{k}={value}" for k, value in zip(keys, v, strict=True))
                + "/",
            },
        }
        for v in new
    ]
    for i in range(0, len(inputs), 100):
        result = catalog.batch_create_partition(
            DatabaseName=database, TableName=table_name, PartitionInputList=inputs[i : i + 100]
        )
        for error in result.get("Errors", []):
            if error["ErrorDetail"]["ErrorCode"] != "AlreadyExistsException":
                raise InvalidInputException(
                    f"adding partition {error['PartitionValues']}: {error['ErrorDetail']['ErrorMessage']}"
                )
    log.info("catalog %s.%s: %d partition(s) added", database, table_name, len(new))


__all__ = ["read_catalog", "write_catalog", "update_catalog_after_write", "prune_partitions", "to_local"]
