"""GlueContext (``awsglue.context``): reading and writing DynamicFrames through connection types, the Data
Catalog and connections; the utilities Glue scripts call (logger, purge, ingestion-time columns,
forEachBatch)."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from pyspark import SparkContext
from pyspark.sql import DataFrame, SparkSession, SQLContext
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..config import Settings
from ..errors import InvalidInputException
from . import gluetypes as gt
from .dynamicframe import DynamicFrame, DynamicFrameCollection, _stage
from .formats import check_format, empty_frame, read_files, write_files
from .frame_errors import has_thresholds
from .inference import coalesced
from .lakefs import use_warehouse
from .listing import list_files, parse_exclusions
from .paths import spark_path, to_local
from .source_report import missing_paths, report_read, report_write
from .spark import build_session, install_context_hooks

log = logging.getLogger("gluelab.runtime")

FILE_CONNECTIONS = ("s3", "file")
SPARK_SQL_CONNECTIONS = ("parquet", "orc")
JDBC_CONNECTIONS = ("postgresql", "mysql")
UNAVAILABLE_CONNECTIONS = (
    "dynamodb",
    "kinesis",
    "kafka",
    "documentdb",
    "mongodb",
    "oracle",
    "sqlserver",
    "redshift",
    "opensearch",
    "snowflake",
    "custom.jdbc",
    "custom.spark",
    "custom.athena",
    "marketplace.jdbc",
    "marketplace.spark",
    "marketplace.athena",
)

install_context_hooks()


class ConnectionTypeError(InvalidInputException):
    pass


def _check_connection_type(connection_type: str) -> str:
    name = (connection_type or "").lower()
    if name in FILE_CONNECTIONS + SPARK_SQL_CONNECTIONS + JDBC_CONNECTIONS:
        return name
    if name in UNAVAILABLE_CONNECTIONS:
        raise ConnectionTypeError(
            f"connection_type {connection_type!r} is not available offline; gluelab reads and writes s3 (the "
            f"warehouse), file, parquet, orc, postgresql and mysql"
        )
    raise ConnectionTypeError(
        f"unknown connection_type {connection_type!r}; use one of "
        f"{', '.join(FILE_CONNECTIONS + SPARK_SQL_CONNECTIONS + JDBC_CONNECTIONS)}"
    )


class GlueLogger:
    """``glueContext.get_logger()``: info, warn, error, debug lines in the run's log."""

    def __init__(self) -> None:
        self._log = logging.getLogger("GlueLogger")
        if not self._log.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s GlueLogger: %(message)s"))
            self._log.addHandler(handler)
            self._log.setLevel(logging.INFO)
            self._log.propagate = False

    def info(self, message: str) -> None:
        self._log.info(message)

    def warn(self, message: str) -> None:
        self._log.warning(message)

    warning = warn

    def error(self, message: str) -> None:
        self._log.error(message)

    def debug(self, message: str) -> None:
        self._log.debug(message)


def _session_for(spark_context: Any) -> SparkSession:
    if isinstance(spark_context, SparkSession):
        return spark_context
    if isinstance(spark_context, SparkContext):
        return SparkSession.builder.getOrCreate()
    if spark_context is None:
        active = SparkSession.getActiveSession()
        return active if active is not None else build_session(Settings.load())
    raise TypeError(
        f"GlueContext takes a SparkContext, a SparkSession or nothing, not {type(spark_context).__name__}"
    )


class GlueContext(SQLContext):
    Spark_SQL_Formats = {"parquet", "orc"}
    Unsupported_Compression_Types = {"lzo"}

    def __init__(self, sparkContext: Any = None, **options: Any):
        spark = _session_for(sparkContext)
        super().__init__(spark.sparkContext, spark)
        self.spark_session = spark
        self.settings = Settings.load()
        use_warehouse(spark, self.settings.warehouse_dir)  # s3:// in Spark is this home's warehouse
        self._services: Any = None
        self._job: Any = None  # the Job whose bookmarks sources and sinks consult
        self._options = options
        self.create_dynamic_frame = DynamicFrameReader(self)
        self.create_data_frame = DataFrameReader(self)
        self.write_dynamic_frame = DynamicFrameWriter(self)
        self.write_data_frame = DataFrameWriter(self)
        from ..catalog.spark_bridge import install

        install(spark, lambda: self.services)  # spark.sql sees the Data Catalog

    # -- services (catalog, connections, bookmarks) are gluelab's, opened on first use -------------------
    @property
    def services(self) -> Any:
        if self._services is None:
            from ..services import open_services

            self._services = open_services(self.settings)
        return self._services

    @property
    def warehouse(self) -> Path:
        return self.settings.warehouse_dir

    # -- readers -------------------------------------------------------------------------------------------
    def create_dynamic_frame_from_options(
        self,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        push_down_predicate: str = "",
        **kwargs: Any,
    ) -> DynamicFrame:
        name = _check_connection_type(connection_type)
        options = dict(connection_options or {})
        if name in JDBC_CONNECTIONS:
            from .jdbc_io import read_jdbc

            return read_jdbc(self, name, options, transformation_ctx)
        if name in SPARK_SQL_CONNECTIONS:
            format = name
        return self._read_files(
            options,
            format,
            dict(format_options or {}),
            transformation_ctx,
            frame_name=_name_from_paths(options.get("paths")),
        )

    def _read_files(
        self,
        options: dict[str, Any],
        fmt: str | None,
        format_options: dict[str, Any],
        transformation_ctx: str,
        frame_name: str,
        files: list[Any] | None = None,
        columns: list[str] | None = None,
        empty_schema: Any = None,
        source_label: str | None = None,
    ) -> DynamicFrame:
        """A DynamicFrame of the files at ``options['paths']`` (or the given ``files``), bookmarked under
        ``transformation_ctx`` when the job has bookmarks on; ``columns`` (a catalog table's) name csv
        fields by position. When no file is read the frame is empty, with ``empty_schema`` (a catalog
        table's; none: no field, as Glue's empty frame). The run's log says what was read
        (``source_report``), under ``source_label``."""
        check_format(fmt)
        listed: int | None = None
        missing: list[str] = []
        if files is None:
            paths = options.get("paths")
            if isinstance(paths, str):
                paths = [paths]
            if not paths:
                raise InvalidInputException(
                    "connection_options needs paths: a list of s3:// or local locations"
                )
            missing = missing_paths(paths, self.warehouse)
            source_label = source_label or _source_label(transformation_ctx, ", ".join(paths))
            files = list_files(
                paths,
                self.warehouse,
                recurse=_flag(options.get("recurse")),
                exclusions=parse_exclusions(options.get("exclusions")),
            )
            source = {
                "connection_type": "s3",
                "paths": paths,
                "format": fmt,
                "format_options": format_options,
                "recurse": _flag(options.get("recurse")),
                "exclusions": options.get("exclusions"),
                "connection_options": options,
            }
            listed = len(files) if self._bookmarks_active(transformation_ctx) else None
            files = self._bookmarked_files(transformation_ctx, files, source)
        if not files:
            frame = DynamicFrame(
                empty_frame(self.spark_session, empty_schema or T.StructType([])), self, frame_name
            )
            report_read(self, source_label or frame_name, fmt, frame, files, listed, missing)
            return frame
        group_size = _group_size(options)
        stage = _stage(f"Read {fmt}", transformation_ctx)
        spark_options = {k: v for k, v in options.items() if k not in ("path", "paths")}
        result = read_files(
            self.spark_session,
            files,
            fmt,
            format_options,
            stage,
            spark_options=spark_options,
            columns=columns,
        )
        if group_size:  # this read's partitions only: the session's settings stay as they are
            result.df = coalesced(result.df, max(1, -(-sum(f.size for f in files) // group_size)))
        stage.errors = result.errors
        frame = DynamicFrame(result.df, self, frame_name)
        frame._lineage = (stage,)
        report_read(self, source_label or frame_name, fmt, frame, files, listed, missing)
        return frame

    def _bookmarks_active(self, ctx: str) -> bool:
        return self._job is not None and bool(ctx) and self._job._bookmarks.active

    def _bookmarked_files(self, ctx: str, files: list[Any], source: dict[str, Any]) -> list[Any]:
        if self._job is None or not ctx:
            return files
        return self._job._bookmarks.filter_files(ctx, files, source)

    def create_dynamic_frame_from_catalog(
        self,
        database: str | None = None,
        table_name: str | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        push_down_predicate: str = "",
        additional_options: dict[str, Any] | None = None,
        catalog_id: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        from .catalog_io import read_catalog

        database = _database_argument(database, kwargs)
        if not table_name:
            raise InvalidInputException("create_dynamic_frame.from_catalog needs table_name")
        return read_catalog(
            self,
            database,
            table_name,
            transformation_ctx,
            push_down_predicate,
            dict(additional_options or {}),
            catalog_id,
        )

    def create_dynamic_frame_from_rdd(
        self,
        data: Any,
        name: str,
        schema: Any = None,
        sample_ratio: float | None = None,
        transformation_ctx: str = "",
    ) -> DynamicFrame:
        df = self.spark_session.createDataFrame(data, schema=schema, samplingRatio=sample_ratio)
        return DynamicFrame.fromDF(df, self, name)

    def create_data_frame_from_options(
        self,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        **kwargs: Any,
    ) -> DataFrame:
        return self.create_dynamic_frame_from_options(
            connection_type, connection_options, format, format_options, transformation_ctx
        ).toDF()

    def create_data_frame_from_catalog(
        self,
        database: str | None = None,
        table_name: str | None = None,
        transformation_ctx: str = "",
        additional_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> DataFrame:
        return self.create_dynamic_frame_from_catalog(
            database,
            table_name,
            transformation_ctx=transformation_ctx,
            additional_options=additional_options,
            **kwargs,
        ).toDF()

    def create_sample_dynamic_frame_from_options(
        self,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        num: int = 100,
        sample_options: dict[str, Any] | None = None,
        format: str | None = None,
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
    ) -> DynamicFrame:
        frame = self.create_dynamic_frame_from_options(
            connection_type, connection_options, format, format_options
        )
        return DynamicFrame(frame._df.limit(num), self, frame.name)

    def create_sample_dynamic_frame_from_catalog(
        self,
        database: str | None = None,
        table_name: str | None = None,
        num: int = 100,
        sample_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        frame = self.create_dynamic_frame_from_catalog(database, table_name, **kwargs)
        return DynamicFrame(frame._df.limit(num), self, frame.name)

    def getSource(
        self,
        connection_type: str,
        format: str | None = None,
        transformation_ctx: str = "",
        push_down_predicate: str = "",
        **options: Any,
    ) -> DataSource:
        if options.get("compressionType") == "lzo" and not format:
            raise InvalidInputException("lzo compression needs a format")
        return DataSource(self, connection_type, format, transformation_ctx, options)

    def get_catalog_schema_as_spark_schema(
        self, database: str, table_name: str, catalog_id: str | None = None
    ) -> Any:
        types = self._catalog_column_types(database, table_name, catalog_id)
        return gt.to_spark(gt.StructType([gt.Field(n, t) for n, t in types.items()]))

    def _catalog_column_types(
        self, database: str, table_name: str, catalog_id: str | None = None
    ) -> dict[str, gt.DataType]:
        table = self.services.catalog.get_table(
            DatabaseName=database, Name=table_name, **({"CatalogId": catalog_id} if catalog_id else {})
        )["Table"]
        columns = (table.get("StorageDescriptor") or {}).get("Columns", []) + table.get("PartitionKeys", [])
        return {c["Name"]: gt.parse_type(c.get("Type") or "string") for c in columns}

    # -- writers ------------------------------------------------------------------------------------------
    def write_dynamic_frame_from_options(
        self,
        frame: DynamicFrame,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
    ) -> DynamicFrame:
        return self.write_from_options(
            frame, connection_type, connection_options or {}, format, format_options or {}, transformation_ctx
        )

    def write_from_options(
        self,
        frame_or_dfc: Any,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: Any = None,
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        **kwargs: Any,
    ) -> Any:
        options = dict(connection_options or {})
        if isinstance(frame_or_dfc, DynamicFrameCollection):
            for name, frame in frame_or_dfc.items():
                sub = dict(options)
                if "path" in sub:
                    sub["path"] = sub["path"].rstrip("/") + "/" + name
                self.write_from_options(
                    frame, connection_type, sub, format, format_options, transformation_ctx
                )
            return frame_or_dfc
        if not isinstance(frame_or_dfc, DynamicFrame):
            raise TypeError(
                f"write_from_options takes a DynamicFrame or a DynamicFrameCollection, not "
                f"{type(frame_or_dfc).__name__}"
            )
        self._write_frame(frame_or_dfc, connection_type, options, format, format_options, transformation_ctx)
        return frame_or_dfc

    def _write_frame(
        self,
        frame: DynamicFrame,
        connection_type: str,
        options: dict[str, Any],
        format: Any,
        format_options: dict[str, Any] | None,
        transformation_ctx: str = "",
    ) -> int | None:
        """Write one frame; returns the rows written (None: a JDBC table, or Spark did not say)."""
        name = _check_connection_type(connection_type)
        if name in JDBC_CONNECTIONS:
            from .jdbc_io import write_jdbc

            write_jdbc(self, frame, name, options)
            return None
        fmt = name if name in SPARK_SQL_CONNECTIONS else (format if isinstance(format, str) else None)
        return self._write_files(frame, options, fmt, dict(format_options or {}), transformation_ctx)

    def _write_files(
        self,
        frame: DynamicFrame,
        options: dict[str, Any],
        fmt: str | None,
        format_options: dict[str, Any],
        transformation_ctx: str = "",
    ) -> int | None:
        path = options.get("path")
        if not path:
            raise InvalidInputException(
                "connection_options needs path: an s3:// or local location to write to"
            )
        if has_thresholds(frame._lineage):
            frame.assertErrorThreshold()
        partition_keys = list(options.get("partitionKeys") or [])
        rows = write_files(
            frame._df,
            spark_path(path, self.warehouse),
            fmt or "",
            format_options,
            partition_keys,
            options.get("compression"),
            local_dir=_local_folder(path, self.warehouse),
        )
        report_write(self, _source_label(transformation_ctx, path), fmt or "", path, rows)
        return rows

    def write_dynamic_frame_from_catalog(
        self,
        frame: DynamicFrame,
        database: str | None = None,
        table_name: str | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        additional_options: dict[str, Any] | None = None,
        catalog_id: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        from .catalog_io import write_catalog

        database = _database_argument(database, kwargs)
        if not table_name:
            raise InvalidInputException("write_dynamic_frame.from_catalog needs table_name")
        write_catalog(
            self, frame, database, table_name, dict(additional_options or {}), catalog_id, transformation_ctx
        )
        return frame

    def write_data_frame_from_catalog(
        self, frame: DataFrame, database: str | None = None, table_name: str | None = None, **kwargs: Any
    ) -> DataFrame:
        self.write_dynamic_frame_from_catalog(
            DynamicFrame.fromDF(frame, self, table_name or ""), database, table_name, **kwargs
        )
        return frame

    def write_dynamic_frame_from_jdbc_conf(
        self,
        frame: DynamicFrame,
        catalog_connection: str,
        connection_options: dict[str, Any] | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        catalog_id: str | None = None,
    ) -> DynamicFrame:
        from .jdbc_io import write_jdbc_conf

        write_jdbc_conf(self, frame, catalog_connection, dict(connection_options or {}))
        return frame

    write_from_jdbc_conf = write_dynamic_frame_from_jdbc_conf

    def getSink(
        self, connection_type: str, format: str | None = None, transformation_ctx: str = "", **options: Any
    ) -> DataSink:
        return DataSink(self, connection_type, format, transformation_ctx, options)

    # -- connections ---------------------------------------------------------------------------------------
    def extract_jdbc_conf(self, connection_name: str, catalog_id: str | None = None) -> dict[str, str]:
        from .jdbc_io import jdbc_conf

        return jdbc_conf(self, connection_name)

    # -- utilities -----------------------------------------------------------------------------------------
    def get_logger(self) -> GlueLogger:
        return GlueLogger()

    def currentTimeMillis(self) -> int:
        return int(time.time() * 1000)

    def purge_s3_path(
        self, s3_path: str, options: dict[str, Any] | None = None, transformation_ctx: str = ""
    ) -> None:
        from .purge import purge_path

        purge_path(self, s3_path, dict(options or {}))

    def purge_table(
        self,
        database: str,
        table_name: str,
        options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        catalog_id: str | None = None,
    ) -> None:
        from .purge import purge_table

        purge_table(self, database, table_name, dict(options or {}))

    def transition_s3_path(
        self,
        s3_path: str,
        transition_to: str,
        options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
    ) -> None:
        log.warning(
            "transition_s3_path: storage classes do not exist in the warehouse; nothing to do for %s", s3_path
        )

    def transition_table(
        self,
        database: str,
        table_name: str,
        transition_to: str,
        options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        catalog_id: str | None = None,
    ) -> None:
        log.warning(
            "transition_table: storage classes do not exist in the warehouse; nothing to do for %s.%s",
            database,
            table_name,
        )

    def add_ingestion_time_columns(self, frame: DataFrame, time_granularity: str) -> DataFrame:
        levels = ["year", "month", "day", "hour", "minute"]
        granularity = (time_granularity or "hour").lower()
        if granularity not in levels:
            raise InvalidInputException(f"time_granularity must be one of {', '.join(levels)}")
        now = dt.datetime.now(dt.UTC)
        values = {
            "year": f"{now.year:04d}",
            "month": f"{now.month:02d}",
            "day": f"{now.day:02d}",
            "hour": f"{now.hour:02d}",
            "minute": f"{now.minute:02d}",
        }
        for level in levels[: levels.index(granularity) + 1]:
            frame = frame.withColumn(f"ingest_{level}", F.lit(values[level]))
        return frame

    def forEachBatch(
        self, frame: DataFrame, batch_function: Any, options: dict[str, Any] | None = None
    ) -> None:
        """Run ``batch_function(batch_df, batch_id)`` for each micro-batch of a streaming DataFrame until
        the query stops; ``windowSize`` and ``checkpointLocation`` are required, as on Glue."""
        options = dict(options or {})
        for required in ("windowSize", "checkpointLocation"):
            if not options.get(required):
                raise InvalidInputException(f"forEachBatch needs options[{required!r}]")
        checkpoint = (
            spark_path(options["checkpointLocation"], self.warehouse)
            if "://" in options["checkpointLocation"]
            else Path(options["checkpointLocation"]).as_uri()
        )
        retries = int(options.get("batchMaxRetries", 3))
        persist = str(options.get("persistDataFrame", "true")).lower() != "false"

        def run(batch: DataFrame, batch_id: int) -> None:
            if batch.isEmpty():
                return
            if persist:
                batch = batch.persist()
            for attempt in range(retries + 1):
                try:
                    batch_function(batch, batch_id)
                    break
                except Exception:
                    if attempt == retries:
                        raise
                    log.warning(
                        "forEachBatch: batch %s failed (attempt %s of %s); retrying",
                        batch_id,
                        attempt + 1,
                        retries + 1,
                    )
            if persist:
                batch.unpersist()

        query = (
            frame.writeStream.foreachBatch(run)
            .option("checkpointLocation", checkpoint)
            .trigger(processingTime=options["windowSize"])
            .start()
        )
        self._streaming_query = query
        query.awaitTermination()

    # Lake Formation governed tables do not exist locally.
    def start_transaction(self, read_only: bool) -> str:
        raise InvalidInputException("Lake Formation transactions are not available in gluelab")

    begin_transaction = start_transaction

    def commit_transaction(self, transaction_id: str, wait_for_commit: bool = True) -> bool:
        raise InvalidInputException("Lake Formation transactions are not available in gluelab")

    def cancel_transaction(self, transaction_id: str) -> None:
        raise InvalidInputException("Lake Formation transactions are not available in gluelab")

    abort_transaction = cancel_transaction


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _group_size(options: dict[str, Any]) -> int | None:
    """Bytes per partition when ``groupFiles`` is ``inPartition`` with a ``groupSize``."""
    if options.get("groupFiles") != "inPartition" or not options.get("groupSize"):
        return None
    try:
        size = int(options["groupSize"])
    except (TypeError, ValueError):
        size = 0
    if size < 1:
        raise InvalidInputException(f"groupSize must be a number of bytes, not {options['groupSize']!r}")
    return size


def _database_argument(database: str | None, kwargs: dict[str, Any]) -> str:
    name_space = kwargs.pop("name_space", None)
    if database and name_space:
        raise InvalidInputException("give database or name_space, not both")
    if not (database or name_space):
        raise InvalidInputException("database (or name_space) is required")
    return database or name_space  # type: ignore[return-value]


def _local_folder(path: str, warehouse: Path) -> Path | None:
    """The folder a write to ``path`` fills (None for a location gluelab does not map to one)."""
    try:
        return to_local(path, warehouse)
    except InvalidInputException:
        return None


def _source_label(ctx: str, where: str) -> str:
    """How the run's log names a source or sink: its transformation_ctx and where it is."""
    return f"{ctx} at {where}" if ctx else where


def _name_from_paths(paths: Any) -> str:
    if isinstance(paths, str):
        paths = [paths]
    if not paths:
        return str(uuid.uuid4())
    prefix = paths[0]
    for path in paths[1:]:
        while not path.startswith(prefix):
            prefix = prefix[:-1]
    stripped = prefix.strip(":/.").replace("s3://", "")
    return stripped or str(uuid.uuid4())


class DynamicFrameReader:
    def __init__(self, glue_context: GlueContext):
        self._glue_context = glue_context

    def from_options(
        self,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        push_down_predicate: str = "",
        **kwargs: Any,
    ) -> DynamicFrame:
        return self._glue_context.create_dynamic_frame_from_options(
            connection_type,
            connection_options,
            format,
            format_options,
            transformation_ctx,
            push_down_predicate,
            **kwargs,
        )

    def from_catalog(
        self,
        database: str | None = None,
        table_name: str | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        push_down_predicate: str = "",
        additional_options: dict[str, Any] | None = None,
        catalog_id: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        return self._glue_context.create_dynamic_frame_from_catalog(
            database,
            table_name,
            redshift_tmp_dir,
            transformation_ctx,
            push_down_predicate,
            additional_options,
            catalog_id,
            **kwargs,
        )

    def from_rdd(
        self, data: Any, name: str, schema: Any = None, sampleRatio: float | None = None
    ) -> DynamicFrame:
        return self._glue_context.create_dynamic_frame_from_rdd(data, name, schema, sampleRatio)


class DataFrameReader:
    def __init__(self, glue_context: GlueContext):
        self._glue_context = glue_context

    def from_options(
        self,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        **kwargs: Any,
    ) -> DataFrame:
        return self._glue_context.create_data_frame_from_options(
            connection_type, connection_options, format, format_options, transformation_ctx
        )

    def from_catalog(
        self, database: str | None = None, table_name: str | None = None, **kwargs: Any
    ) -> DataFrame:
        return self._glue_context.create_data_frame_from_catalog(database, table_name, **kwargs)


class DynamicFrameWriter:
    def __init__(self, glue_context: GlueContext):
        self._glue_context = glue_context

    def from_options(
        self,
        frame: Any,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
    ) -> Any:
        return self._glue_context.write_from_options(
            frame, connection_type, connection_options, format, format_options, transformation_ctx
        )

    def from_catalog(
        self,
        frame: DynamicFrame,
        database: str | None = None,
        table_name: str | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        additional_options: dict[str, Any] | None = None,
        catalog_id: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        return self._glue_context.write_dynamic_frame_from_catalog(
            frame,
            database,
            table_name,
            redshift_tmp_dir,
            transformation_ctx,
            additional_options,
            catalog_id,
            **kwargs,
        )

    def from_jdbc_conf(
        self,
        frame: DynamicFrame,
        catalog_connection: str,
        connection_options: dict[str, Any] | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
    ) -> DynamicFrame:
        return self._glue_context.write_dynamic_frame_from_jdbc_conf(
            frame, catalog_connection, connection_options, redshift_tmp_dir, transformation_ctx
        )


class DataFrameWriter:
    def __init__(self, glue_context: GlueContext):
        self._glue_context = glue_context

    def from_catalog(
        self, frame: DataFrame, database: str | None = None, table_name: str | None = None, **kwargs: Any
    ) -> DataFrame:
        return self._glue_context.write_data_frame_from_catalog(frame, database, table_name, **kwargs)


class DataSource:
    """``glueContext.getSource(...)``: set a format, then ``getFrame()``."""

    def __init__(
        self,
        glue_context: GlueContext,
        connection_type: str,
        format: str | None,
        transformation_ctx: str,
        options: dict[str, Any],
    ):
        self._ctx = glue_context
        self.connection_type = connection_type
        self.format = format
        self.format_options: dict[str, Any] = {}
        self.transformation_ctx = transformation_ctx
        self.options = options

    def setFormat(self, format: str, **options: Any) -> None:
        self.format = format
        self.format_options = options

    def getFrame(self, **kwargs: Any) -> DynamicFrame:
        return self._ctx.create_dynamic_frame_from_options(
            self.connection_type, self.options, self.format, self.format_options, self.transformation_ctx
        )

    def getSampleFrame(self, num: int, **options: Any) -> DynamicFrame:
        frame = self.getFrame()
        return DynamicFrame(frame._df.limit(num), self._ctx, frame.name)

    def getDataFrame(self) -> DataFrame:
        return self.getFrame().toDF()


class DataSink:
    """``glueContext.getSink(...)``: ``setFormat``, ``setCatalogInfo``, then ``writeFrame``; with
    ``enableUpdateCatalog`` the catalog table is created or updated and new partitions are added."""

    def __init__(
        self,
        glue_context: GlueContext,
        connection_type: str,
        format: str | None,
        transformation_ctx: str,
        options: dict[str, Any],
    ):
        self._ctx = glue_context
        self.connection_type = connection_type
        self.format = format
        self.format_options: dict[str, Any] = {}
        self.transformation_ctx = transformation_ctx
        self.options = options
        self.catalog_database: str | None = None
        self.catalog_table: str | None = None

    def setFormat(self, format: str, **options: Any) -> None:
        self.format = format
        self.format_options = options

    def setAccumulableSize(self, size: int) -> None:
        self.accumulable_size = size

    def setCatalogInfo(self, catalogDatabase: str, catalogTableName: str, catalogId: str = "") -> None:
        self.catalog_database = catalogDatabase
        self.catalog_table = catalogTableName

    def writeFrame(self, dynamic_frame: DynamicFrame, info: str = "") -> DynamicFrame:
        from .catalog_io import update_catalog_after_write

        rows = self._ctx._write_frame(
            dynamic_frame,
            self.connection_type,
            self.options,
            self.format,
            self.format_options,
            self.transformation_ctx,
        )
        if _flag(self.options.get("enableUpdateCatalog")):
            if not (self.catalog_database and self.catalog_table):
                raise InvalidInputException(
                    "enableUpdateCatalog needs setCatalogInfo(catalogDatabase, catalogTableName)"
                )
            if rows == 0:  # nothing was written: the catalog stays as it is
                return dynamic_frame.errorsAsDynamicFrame()
            update_catalog_after_write(
                self._ctx,
                dynamic_frame,
                self.catalog_database,
                self.catalog_table,
                self.options,
                self.format or "parquet",
                self.format_options,
            )
        return dynamic_frame.errorsAsDynamicFrame()

    def writeDataFrame(self, data_frame: DataFrame, glue_context: GlueContext) -> DataFrame:
        self.writeFrame(DynamicFrame.fromDF(data_frame, glue_context, "frame"))
        return data_frame

    def write(self, dynamic_frame_or_dfc: Any, info: str = "") -> Any:
        if isinstance(dynamic_frame_or_dfc, DynamicFrameCollection):
            for frame in dynamic_frame_or_dfc.values():
                self.writeFrame(frame, info)
            return dynamic_frame_or_dfc
        return self.writeFrame(dynamic_frame_or_dfc, info)


__all__ = [
    "GlueContext",
    "GlueLogger",
    "DataSource",
    "DataSink",
    "DynamicFrameReader",
    "DynamicFrameWriter",
    "DataFrameReader",
    "DataFrameWriter",
    "to_local",
]
