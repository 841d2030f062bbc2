"""JDBC sources and sinks (connection types postgresql and mysql; catalog tables backed by them; Glue
connections): reads with ``hashfield``/``hashpartitions`` parallelism and ``jobBookmarkKeys`` bookmarks,
appending writes, ``extract_jdbc_conf``."""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import re
from typing import Any

from pyspark.sql import DataFrame

from ..errors import InvalidInputException
from .dynamicframe import DynamicFrame, _stage
from .jdbc import (
    _URL,
    JdbcDriverMissing,
    conf_from_properties,
    require_driver,
    table_jdbc_options,
    vendor_of,
    with_database,
)

log = logging.getLogger("gluelab.runtime")


def _driver(vendor: str) -> Any:
    try:
        return require_driver(vendor)
    except JdbcDriverMissing as exc:
        raise InvalidInputException(str(exc)) from None


def connection_conf(glue_ctx: Any, connection_name: str) -> dict[str, str]:
    """URL and credentials of a Glue connection (JDBC_CONNECTION_URL, or HOST/PORT/JDBC_ENGINE/DATABASE)."""
    return conf_from_properties(
        connection_name, glue_ctx.services.catalog.connection_properties(connection_name)
    )


def jdbc_conf(glue_ctx: Any, connection_name: str) -> dict[str, str]:
    """``glueContext.extract_jdbc_conf``: user, password, vendor, url (without the database) and fullUrl."""
    conf = connection_conf(glue_ctx, connection_name)
    match = _URL.match(conf["url"])
    assert match is not None
    base = conf["url"][: match.start("rest")]
    return {
        "user": conf["user"],
        "password": conf["password"],
        "vendor": vendor_of(conf["url"]),
        "url": base,
        "fullUrl": conf["url"],
    }


def _options(glue_ctx: Any, vendor: str | None, connection_options: dict[str, Any]) -> dict[str, Any]:
    options = dict(connection_options)
    if str(options.get("useConnectionProperties", "")).lower() == "true" or (
        options.get("connectionName") and not options.get("url")
    ):
        name = options.get("connectionName")
        if not name:
            raise InvalidInputException("useConnectionProperties needs connectionName")
        options = {
            **connection_conf(glue_ctx, name),
            **{k: v for k, v in options.items() if k not in ("useConnectionProperties", "connectionName")},
        }
    if not options.get("url"):
        raise InvalidInputException(
            "JDBC connection_options need url (or useConnectionProperties and connectionName)"
        )
    actual = vendor_of(options["url"])
    if vendor and actual != vendor:
        raise InvalidInputException(f"connection_type {vendor} does not match the URL {options['url']!r}")
    if not options.get("dbtable"):
        raise InvalidInputException("JDBC connection_options need dbtable (schema.table)")
    return options


def _quote_ident(vendor: str, name: str) -> str:
    return f'"{name}"' if vendor == "postgresql" else f"`{name}`"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | decimal.Decimal):
        return repr(value) if not isinstance(value, decimal.Decimal) else str(value)
    if isinstance(value, dt.datetime | dt.date):
        return (
            "'" + value.isoformat(sep=" ") + "'"
            if isinstance(value, dt.datetime)
            else f"'{value.isoformat()}'"
        )
    return "'" + str(value).replace("'", "''") + "'"


def _after(vendor: str, keys: list[str], values: list[Any], descending: bool) -> str:
    """SQL that is true for key tuples past ``values`` in the bookmark's order (lexicographic)."""
    op = "<" if descending else ">"
    terms = []
    for i, key in enumerate(keys):
        equal = [
            f"{_quote_ident(vendor, k)} = {_literal(v)}" for k, v in zip(keys[:i], values[:i], strict=True)
        ]
        terms.append(
            "(" + " AND ".join([*equal, f"{_quote_ident(vendor, key)} {op} {_literal(values[i])}"]) + ")"
        )
    return "(" + " OR ".join(terms) + ")"


def spark_url(url: str) -> str:
    """The URL Spark gets. MySQL URLs are ``jdbc:mysql:`` (``jdbc:mariadb:`` would leave Spark without its
    MySQL dialect, which quotes names with backticks) and say ``permitMysqlScheme``, without which
    MariaDB's driver 3.x refuses them (2.x accepts the parameter too)."""
    if vendor_of(url) != "mysql":
        return url
    url = re.sub(r"^jdbc:mariadb:", "jdbc:mysql:", url, flags=re.I)
    if "permitmysqlscheme" in url.lower():
        return url
    rest = _URL.match(url).group("rest")  # type: ignore[union-attr]
    return url + ("&" if "?" in rest else "?" if rest.startswith("/") else "/?") + "permitMysqlScheme"


def _passthrough(options: dict[str, Any]) -> dict[str, str]:
    """Options that are not Glue's own go to Spark's JDBC source as they are."""
    return {k: str(v) for k, v in options.items() if k not in _GLUE_ONLY}


def _reader(glue_ctx: Any, vendor: str, options: dict[str, Any]) -> Any:
    driver = _driver(vendor)
    reader = (
        glue_ctx.spark_session.read.format("jdbc")
        .option("url", spark_url(options["url"]))
        .option("driver", driver.class_name)
    )
    if options.get("user"):
        reader = reader.option("user", options["user"])
    if options.get("password"):
        reader = reader.option("password", options["password"])
    return reader


_GLUE_ONLY = {
    "url",
    "dbtable",
    "user",
    "password",
    "jobBookmarkKeys",
    "jobBookmarkKeysSortOrder",
    "hashfield",
    "hashexpression",
    "hashpartitions",
    "redshiftTmpDir",
    "aws_iam_role",
    "sampleQuery",
    "enablePartitioningForSampleQuery",
    "bulkSize",
    "preactions",
    "postactions",
    "extracopyoptions",
    "customJdbcDriverS3Path",
    "customJdbcDriverClassName",
    "database",
    "maxBand",
    "maxFilesInBand",
    "connectionName",
    "useConnectionProperties",
}


def primary_key(glue_ctx: Any, vendor: str, options: dict[str, Any]) -> list[str]:
    schema, _, table = options["dbtable"].rpartition(".")
    schema_filter = (
        f"AND tc.table_schema = {_literal(schema)}"
        if schema
        else (
            "AND tc.table_schema = current_schema()"
            if vendor == "postgresql"
            else "AND tc.table_schema = database()"
        )
    )
    query = (
        "SELECT kcu.column_name AS column_name FROM information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name "
        "AND tc.table_schema = kcu.table_schema AND tc.table_name = kcu.table_name "
        f"WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_name = {_literal(table)} {schema_filter} "
        "ORDER BY kcu.ordinal_position"
    )
    rows = _reader(glue_ctx, vendor, options).option("query", query).load().collect()
    return [r["column_name"] for r in rows]


def read_jdbc(
    glue_ctx: Any,
    vendor: str | None,
    connection_options: dict[str, Any],
    ctx: str,
    frame_name: str | None = None,
) -> DynamicFrame:
    options = _options(glue_ctx, vendor, connection_options)
    vendor = vendor_of(options["url"])
    table = options["dbtable"]
    where: list[str] = []
    job = glue_ctx._job
    bookmarked = job is not None and ctx and job._bookmarks.active
    keys: list[str] = []
    upper = None
    if bookmarked:
        keys = list(options.get("jobBookmarkKeys") or []) or primary_key(glue_ctx, vendor, options)
        if not keys:
            log.warning(
                "%s: no jobBookmarkKeys and no primary key; the source is read whole every run", table
            )
            bookmarked = False
    if bookmarked:
        descending = str(options.get("jobBookmarkKeysSortOrder", "asc")).lower() == "desc"
        last = job._bookmarks.jdbc_last(ctx, keys)
        if last is not None:
            where.append(_after(vendor, keys, last, descending))
        # The end of this run's range is fixed now, so rows inserted while it reads wait for the next run.
        end = job._bookmarks.jdbc_upper(ctx)
        if end is None:
            order = ", ".join(f"{_quote_ident(vendor, k)} {'ASC' if descending else 'DESC'}" for k in keys)
            cols = ", ".join(_quote_ident(vendor, k) for k in keys)
            condition = f" WHERE {' AND '.join(where)}" if where else ""
            top = (
                _reader(glue_ctx, vendor, options)
                .option("query", f"SELECT {cols} FROM {table}{condition} ORDER BY {order} LIMIT 1")
                .load()
                .collect()
            )
            end = [top[0][k] for k in keys] if top else None
        if end is None:
            where.append("1 = 0")  # nothing new
        else:
            where.append(f"NOT {_after(vendor, keys, end, descending)}")
        upper = end if end is not None else last
        # No credentials in bookmark state: a preview finds them again through the Glue connection.
        source = {
            "connection_type": vendor,
            "url": options["url"],
            "dbtable": table,
            "keys": keys,
            "connection_name": connection_options.get("connectionName"),
        }
        job._bookmarks.record_jdbc(ctx, keys, "desc" if descending else "asc", upper, source, None)
    reader = _reader(glue_ctx, vendor, options).options(**_passthrough(options))
    if where:
        reader = reader.option(
            "dbtable", f"(SELECT * FROM {table} WHERE {' AND '.join(where)}) glue_bookmarked"
        )
    else:
        reader = reader.option("dbtable", table)
    hashfield = options.get("hashexpression") or options.get("hashfield")
    partitions = int(options.get("hashpartitions", 7)) if hashfield else 1
    if hashfield and partitions > 1:
        expression = options.get("hashexpression") or (
            f"hashtext(CAST({_quote_ident(vendor, hashfield)} AS text))"
            if vendor == "postgresql"
            else f"crc32({_quote_ident(vendor, hashfield)})"
        )
        # Every row in exactly one partition: NULLs go to partition 0, negative values wrap around.
        bucket = f"MOD(MOD(COALESCE({expression}, 0), {partitions}) + {partitions}, {partitions})"
        df = glue_ctx.spark_session.read.jdbc(
            spark_url(options["url"]),
            f"(SELECT * FROM {table}{' WHERE ' + ' AND '.join(where) if where else ''}) glue_hashed",
            predicates=[f"{bucket} = {i}" for i in range(partitions)],
            properties={
                **_passthrough(options),
                "user": options.get("user", ""),
                "password": options.get("password", ""),
                "driver": _driver(vendor).class_name,
            },
        )
    else:
        df = reader.load()
    frame = DynamicFrame(df, glue_ctx, frame_name or table.rsplit(".", 1)[-1])
    frame._lineage = (_stage(f"Read {vendor}", ctx),)
    return frame


def _plain(frame: DynamicFrame) -> DataFrame:
    df = frame.toDF()
    from pyspark.sql import types as T

    nested = [
        f.name for f in df.schema.fields if isinstance(f.dataType, T.StructType | T.ArrayType | T.MapType)
    ]
    if nested:
        raise InvalidInputException(
            f"JDBC tables cannot hold nested fields ({', '.join(nested)}); flatten them "
            "first (ResolveChoice, UnnestFrame, Relationalize)"
        )
    return df


def write_jdbc(
    glue_ctx: Any, frame: DynamicFrame, vendor: str | None, connection_options: dict[str, Any]
) -> None:
    options = _options(glue_ctx, vendor, connection_options)
    vendor = vendor_of(options["url"])
    if frame._lineage and any(s.stage_threshold or s.total_threshold for s in frame._lineage):
        frame.assertErrorThreshold()
    for key in ("preactions", "postactions"):
        if options.get(key):
            log.warning("%s is a Redshift option; ignored for %s", key, vendor)
    properties = {
        **_passthrough(options),
        "user": options.get("user", ""),
        "password": options.get("password", ""),
        "driver": _driver(vendor).class_name,
    }
    if options.get("bulkSize"):
        properties["batchsize"] = str(options["bulkSize"])
    _plain(frame).write.jdbc(
        spark_url(options["url"]), options["dbtable"], mode="append", properties=properties
    )


def write_jdbc_conf(
    glue_ctx: Any, frame: DynamicFrame, connection_name: str, options: dict[str, Any]
) -> None:
    conf = connection_conf(glue_ctx, connection_name)
    url = with_database(conf["url"], options["database"]) if options.get("database") else conf["url"]
    write_jdbc(glue_ctx, frame, None, {**conf, **options, "url": url})


def _table_options(glue_ctx: Any, table: dict[str, Any]) -> dict[str, Any]:
    return table_jdbc_options(glue_ctx.services.catalog, table)


def read_jdbc_table(
    glue_ctx: Any, table: dict[str, Any], ctx: str, additional_options: dict[str, Any]
) -> DynamicFrame:
    return read_jdbc(
        glue_ctx, None, {**_table_options(glue_ctx, table), **additional_options}, ctx, table["Name"]
    )


def write_jdbc_table(glue_ctx: Any, frame: DynamicFrame, table: dict[str, Any]) -> None:
    write_jdbc(glue_ctx, frame, None, _table_options(glue_ctx, table))


__all__ = ["read_jdbc", "write_jdbc", "jdbc_conf", "vendor_of"]
