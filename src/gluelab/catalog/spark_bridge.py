"""The Data Catalog inside every Spark session gluelab starts or hands a script: ``spark.sql("SELECT ...
FROM db.table")``, ``spark.table`` and ``spark.read.table`` read catalog tables, with partition pruning,
without any setup, and see what a crawl or a job changed since.

Before a statement runs, the tables it names (found by Spark's own parser) are registered in the session's
catalog from the Data Catalog: the database, an external table over the data's location (its format and
options from the table's descriptor, or JDBC through its connection) and every partition with its own
location, so Spark prunes partitions as it does for Hive tables. A table is registered again when its
version or partitions change. Only tables the bridge registered are ever replaced, and they are external:
dropping one never touches the data.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from ..errors import GlueError
from .formats import JDBC_CLASSIFICATIONS, format_of

log = logging.getLogger("gluelab.catalog")

_RELATION = re.compile(r"'UnresolvedRelation \[([^\]]*)\]")
_USE = re.compile(r"^\s*USE\s+(?:DATABASE\s+|SCHEMA\s+|NAMESPACE\s+)?`?([\w-]+)`?\s*;?\s*$", re.I)
_SHOW_DATABASES = re.compile(r"^\s*SHOW\s+(?:DATABASES|SCHEMAS|NAMESPACES)\b", re.I)
_SHOW_TABLES = re.compile(r"^\s*SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+`?([\w-]+)`?)?", re.I)
_PARTITIONS_PER_STATEMENT = 500
_SPARK_FORMATS = {"csv": "csv", "json": "json", "parquet": "parquet", "orc": "orc", "xml": "xml"}


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class CatalogBridge:
    """Keeps one SparkSession's catalog in step with the Data Catalog (see the module's docstring)."""

    def __init__(self, spark: Any, services: Callable[[], Any]):
        self.spark = spark
        self._services = services
        self._registered: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._lock = threading.RLock()

    @property
    def services(self) -> Any:
        return self._services()

    # -- what a statement reads ---------------------------------------------------------------------
    def tables_in(self, statement: str) -> list[tuple[str, str]]:
        """(database, table) pairs a SQL statement names; unqualified names are in the current database."""
        try:
            plan = self.spark._jsparkSession.sessionState().sqlParser().parsePlan(statement)
        except Exception:  # a syntax error: Spark reports it when the statement runs
            return []
        current = self.spark.catalog.currentDatabase()
        found: list[tuple[str, str]] = []
        for match in _RELATION.finditer(plan.toString()):
            parts = [p.strip() for p in match.group(1).split(",")]
            if len(parts) == 1:
                found.append((current, parts[0]))
            elif len(parts) == 2:
                found.append((parts[0], parts[1]))
            elif len(parts) == 3 and parts[0] == "spark_catalog":
                found.append((parts[1], parts[2]))
        return list(dict.fromkeys((d.lower(), t.lower()) for d, t in found))

    def before_sql(self, statement: str) -> None:
        try:
            self._before_sql(statement)
        except Exception as exc:  # never break a user's statement: at worst it runs without the catalog
            log.warning("could not bring the Data Catalog into Spark for this statement: %s", exc)

    def _before_sql(self, statement: str) -> None:
        use = _USE.match(statement)
        if use:
            self.sync_databases(use.group(1))
            return
        if _SHOW_DATABASES.match(statement):
            self.sync_databases()
            return
        show = _SHOW_TABLES.match(statement)
        if show:
            database = show.group(1) or self.spark.catalog.currentDatabase()
            self.sync_databases(database)
            self.sync_database(database)
            return
        for database, table in self.tables_in(statement):
            self.sync_table(database, table)

    def before_table(self, name: str) -> None:
        try:
            self._before_table(name)
        except Exception as exc:
            log.warning("could not bring the Data Catalog table %s into Spark: %s", name, exc)

    def _before_table(self, name: str) -> None:
        parts = [p.strip("`") for p in name.split(".")]
        if parts and parts[0] == "spark_catalog":
            parts = parts[1:]
        if len(parts) == 1:
            self.sync_table(self.spark.catalog.currentDatabase(), parts[0])
        elif len(parts) == 2:
            self.sync_table(parts[0], parts[1])

    # -- registering --------------------------------------------------------------------------------
    def sync_databases(self, only: str | None = None) -> None:
        """Create the catalog's databases (or just ``only``) in Spark, for USE and SHOW DATABASES."""
        databases, token = [], None
        while True:
            page = self.services.catalog.get_databases(**({"NextToken": token} if token else {}))
            databases += page["DatabaseList"]
            token = page.get("NextToken")
            if not token:
                break
        for database in databases:
            if only is None or database["Name"] == only.lower():
                self._create_database(database)

    def _create_database(self, database: dict[str, Any]) -> None:
        """The database in Spark, at the catalog's LocationUri when it has one (where ``saveAsTable``
        then writes, as on Glue), else under Spark's warehouse (``s3://spark-warehouse/``)."""
        statement = f"CREATE DATABASE IF NOT EXISTS {_quote(database['Name'])}"
        if database.get("LocationUri"):
            try:
                statement += f" LOCATION {_literal(self._spark_location(database['LocationUri']))}"
            except GlueError as exc:
                log.warning("database %s: LocationUri not usable in Spark: %s", database["Name"], exc)
        self._sql(statement)

    def _ensure_database(self, name: str) -> None:
        if self.spark.catalog.databaseExists(name):
            return
        try:
            self._create_database(self.services.catalog.get_database(Name=name)["Database"])
        except GlueError:
            self._sql(f"CREATE DATABASE IF NOT EXISTS {_quote(name)}")

    def sync_database(self, database: str) -> None:
        """Every table of a database (for SHOW TABLES and spark.catalog.listTables)."""
        names, token = [], None
        try:
            while True:
                page = self.services.catalog.get_tables(
                    DatabaseName=database, **({"NextToken": token} if token else {})
                )
                names += [t["Name"] for t in page["TableList"]]
                token = page.get("NextToken")
                if not token:
                    break
        except GlueError:
            return
        for name in names:
            self.sync_table(database, name)

    def sync_table(self, database: str, name: str) -> None:
        key = (database.lower(), name.lower())
        if key[0] in ("global_temp",):
            return
        with self._lock:
            try:
                fingerprint = self.services.catalog.table_fingerprint(*key)
            except GlueError:
                return
            if fingerprint is None:
                if key in self._registered:  # deleted from the catalog since
                    self._drop(*key)
                return
            if self._registered.get(key) == fingerprint:
                return
            try:
                table = self.services.catalog.get_table(DatabaseName=key[0], Name=key[1])["Table"]
            except GlueError:
                return
            if key in self._registered:
                self._drop(*key)
            elif self.spark.catalog.tableExists(f"{_quote(key[0])}.{_quote(key[1])}"):
                log.info("%s.%s exists in this Spark session already; the catalog's is not registered", *key)
                return
            try:
                self._register(table)
            except Exception as exc:  # a table Spark cannot read: the statement itself says so
                log.warning("cannot register %s.%s in Spark: %s", key[0], key[1], exc)
                self._drop(*key)
                return
            self._registered[key] = fingerprint

    def forget(self) -> None:
        """Unregister every table (the session is about to follow another catalog)."""
        with self._lock:
            for database, name in list(self._registered):
                self._drop(database, name)

    def _drop(self, database: str, name: str) -> None:
        self._sql(f"DROP TABLE IF EXISTS {_quote(database)}.{_quote(name)}")
        self._registered.pop((database, name), None)

    def _register(self, table: dict[str, Any]) -> None:
        database, name = table["DatabaseName"], table["Name"]
        qualified = f"{_quote(database)}.{_quote(name)}"
        descriptor = table.get("StorageDescriptor") or {}
        keys = [k["Name"] for k in table.get("PartitionKeys") or []]
        columns = [(c["Name"], c.get("Type") or "string") for c in descriptor.get("Columns") or []]
        columns += [(k["Name"], k.get("Type") or "string") for k in table.get("PartitionKeys") or []]
        if not columns:
            raise ValueError("the table has no columns")
        fmt, options = format_of(table)
        self._ensure_database(database)
        schema = ", ".join(f"{_quote(n)} {t}" for n, t in columns)
        if fmt in JDBC_CLASSIFICATIONS or (table.get("Parameters") or {}).get("connectionName"):
            self._register_jdbc(qualified, schema, table)
            return
        if fmt not in _SPARK_FORMATS:
            raise ValueError(f"format {fmt or '(none)'} cannot be read by Spark")
        spark_options = _spark_options(fmt, options)
        location = self._spark_location(descriptor.get("Location") or "")
        statement = f"CREATE TABLE {qualified} ({schema}) USING {_SPARK_FORMATS[fmt]}"
        if spark_options:
            statement += (
                " OPTIONS ("
                + ", ".join(f"{_literal(k)} {_literal(v)}" for k, v in spark_options.items())
                + ")"
            )
        if keys:
            statement += " PARTITIONED BY (" + ", ".join(_quote(k) for k in keys) + ")"
        statement += f" LOCATION {_literal(location)}"
        self._sql(statement)
        if keys:
            self._register_partitions(qualified, database, name, keys)

    def _register_jdbc(self, qualified: str, schema: str, table: dict[str, Any]) -> None:
        from ..runtime.jdbc import DRIVERS, table_jdbc_options, vendor_of
        from ..runtime.jdbc_io import spark_url

        options = table_jdbc_options(self.services.catalog, table)
        vendor = vendor_of(options["url"])
        spark_options = {
            "url": spark_url(options["url"]),
            "dbtable": options["dbtable"],
            "user": options.get("user", ""),
            "password": options.get("password", ""),
            "driver": DRIVERS[vendor].class_name,
        }
        rendered = ", ".join(f"{_literal(k)} {_literal(v)}" for k, v in spark_options.items())
        self._sql(f"CREATE TABLE {qualified} USING jdbc OPTIONS ({rendered})")

    def _register_partitions(self, qualified: str, database: str, name: str, keys: list[str]) -> None:
        token, clauses = None, []
        while True:
            page = self.services.catalog.get_partitions(
                DatabaseName=database, TableName=name, **({"NextToken": token} if token else {})
            )
            for partition in page["Partitions"]:
                location = (partition.get("StorageDescriptor") or {}).get("Location")
                spec = ", ".join(
                    f"{_quote(k)}={_literal(v)}" for k, v in zip(keys, partition["Values"], strict=True)
                )
                clause = f"PARTITION ({spec})"
                if location:
                    clause += f" LOCATION {_literal(self._spark_location(location))}"
                clauses.append(clause)
            token = page.get("NextToken")
            if not token:
                break
        for start in range(0, len(clauses), _PARTITIONS_PER_STATEMENT):
            chunk = clauses[start : start + _PARTITIONS_PER_STATEMENT]
            self._sql(f"ALTER TABLE {qualified} ADD IF NOT EXISTS " + " ".join(chunk))

    def _sql(self, statement: str) -> Any:
        """Run the bridge's own DDL (not through the patched ``sql``)."""
        return self.spark._jsparkSession.sql(statement)

    def _spark_location(self, location: str) -> str:
        from ..runtime.paths import spark_path

        return spark_path(location, self.services.settings.warehouse_dir)


def _spark_options(fmt: str, options: dict[str, Any]) -> dict[str, str]:
    """Spark reader options for a table's Glue format_options."""
    out: dict[str, str] = {}
    if fmt == "csv":
        out["header"] = "true" if options.get("withHeader") else "false"
        out["sep"] = str(options.get("separator", ","))
        if options.get("quoteChar"):
            out["quote"] = str(options["quoteChar"])
        if options.get("escaper"):
            out["escape"] = str(options["escaper"])
    if fmt == "xml" and options.get("rowTag"):
        out["rowTag"] = str(options["rowTag"])
    if fmt == "json":
        out["multiLine"] = "false"
    return out


# -- installing it -------------------------------------------------------------------------------------
_bridges: dict[int, CatalogBridge] = {}
_install_lock = threading.Lock()


def bridge_for(spark: Any) -> CatalogBridge | None:
    return _bridges.get(id(spark._jsparkSession))


def install(spark: Any, services: Callable[[], Any]) -> CatalogBridge:
    """Make ``spark`` (and every session of this process, once) read the Data Catalog."""
    with _install_lock:
        _patch_pyspark()
        key = id(spark._jsparkSession)
        bridge = _bridges.get(key)
        if bridge is None:
            bridge = _bridges[key] = CatalogBridge(spark, services)
        elif bridge._services is not services:  # a newer GlueContext: its catalog from now on
            bridge.forget()
            bridge._services = services
        return bridge


def _patch_pyspark() -> None:
    from pyspark.sql import DataFrameReader, SparkSession
    from pyspark.sql.catalog import Catalog

    if getattr(SparkSession, "_gluelab_catalog", False):
        return
    original_sql = SparkSession.sql
    original_table = SparkSession.table
    original_read_table = DataFrameReader.table

    def sql(self: Any, sqlQuery: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N803 - PySpark's name
        bridge = bridge_for(self)
        if bridge is not None and isinstance(sqlQuery, str):
            bridge.before_sql(sqlQuery)
        return original_sql(self, sqlQuery, *args, **kwargs)

    def table(self: Any, tableName: str) -> Any:  # noqa: N803
        bridge = bridge_for(self)
        if bridge is not None:
            bridge.before_table(tableName)
        return original_table(self, tableName)

    def read_table(self: Any, tableName: str) -> Any:  # noqa: N803
        bridge = bridge_for(self._spark)
        if bridge is not None:
            bridge.before_table(tableName)
        return original_read_table(self, tableName)

    original_set_database = Catalog.setCurrentDatabase
    original_list_tables = Catalog.listTables
    original_list_databases = Catalog.listDatabases

    def set_current_database(self: Any, dbName: str) -> Any:  # noqa: N803
        bridge = bridge_for(self._sparkSession)
        if bridge is not None:
            bridge.before_sql(f"USE {dbName}")
        return original_set_database(self, dbName)

    def list_tables(self: Any, dbName: str | None = None, *args: Any, **kwargs: Any) -> Any:  # noqa: N803
        bridge = bridge_for(self._sparkSession)
        if bridge is not None:
            bridge.before_sql(f"SHOW TABLES IN {dbName}" if dbName else "SHOW TABLES")
        return original_list_tables(self, dbName, *args, **kwargs)

    def list_databases(self: Any, *args: Any, **kwargs: Any) -> Any:
        bridge = bridge_for(self._sparkSession)
        if bridge is not None:
            bridge.before_sql("SHOW DATABASES")
        return original_list_databases(self, *args, **kwargs)

    Catalog.setCurrentDatabase = set_current_database  # type: ignore[method-assign]
    Catalog.listTables = list_tables  # type: ignore[method-assign]
    Catalog.listDatabases = list_databases  # type: ignore[method-assign]
    SparkSession.sql = sql  # type: ignore[method-assign]
    SparkSession.table = table  # type: ignore[method-assign]
    DataFrameReader.table = read_table  # type: ignore[method-assign]
    SparkSession._gluelab_catalog = True  # type: ignore[attr-defined]
