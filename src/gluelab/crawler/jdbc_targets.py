"""Crawling a JDBC target: the tables (and views) of a PostgreSQL or MySQL/MariaDB database whose
``database/schema/table`` (PostgreSQL) or ``database/table`` (MySQL) path matches the target's ``Path``
(``%`` matches any run of characters) and no exclusion glob, read through SQLAlchemy's
inspector. Each becomes a catalog table named ``<database>_<schema>_<table>`` located at
``database.schema.table``, which the runtime reads through the same connection."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import types as satypes

from .. import patterns
from ..errors import InvalidInputException
from ..runtime.jdbc import _URL, conf_from_properties, sqlalchemy_url, vendor_of
from .s3scan import check_exclusions, exclusion_matcher

_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}


@dataclass
class JdbcTable:
    path: str  # database/schema/table or database/table
    location: str  # database.schema.table or database.table
    name: str  # the catalog table's name
    columns: list[tuple[str, str]]
    classification: str  # postgresql | mysql
    view: bool


def _like(pattern: str) -> patterns.Matcher:
    """``%`` matches any run of characters; everything else (``_`` too, common in names) itself. Called
    with a name, it says whether the name matches, in bounded time (``gluelab.patterns``)."""
    return patterns.glob_matcher([pattern], _like_text, "JDBC target path part")


def _like_text(pattern: str) -> str:
    return "(?i)" + "".join(".*" if c == "%" else re.escape(c) for c in pattern)


def check_jdbc_target(target: dict[str, Any]) -> None:
    """What CreateCrawler and UpdateCrawler check of a JDBC target's patterns: InvalidInputException."""
    for part in str(target.get("Path") or "").split("/"):
        _like(part)
    check_exclusions(target.get("Exclusions"))


def hive_type(column_type: Any) -> str:
    """The Hive type a crawler records for a database column type."""
    t = column_type
    if isinstance(t, satypes.ARRAY):
        return f"array<{hive_type(t.item_type)}>"
    if isinstance(t, satypes.Boolean):
        return "boolean"
    if isinstance(t, satypes.SmallInteger):
        return "smallint"
    if isinstance(t, satypes.BigInteger):
        return "bigint"
    if isinstance(t, satypes.Integer):
        name = type(t).__name__.upper()
        return "tinyint" if name == "TINYINT" else "int"
    if isinstance(t, satypes.Numeric) and not isinstance(t, satypes.Float):
        if t.precision is None:
            return "decimal(38,18)"
        return f"decimal({t.precision},{t.scale or 0})"
    if isinstance(t, satypes.Float):
        name = type(t).__name__.upper()
        return "float" if name in ("REAL", "FLOAT") and (t.precision or 0) <= 24 else "double"
    if isinstance(t, satypes.DateTime):
        return "timestamp"
    if isinstance(t, satypes.Date):
        return "date"
    if isinstance(t, satypes.LargeBinary | satypes._Binary):
        return "binary"
    return "string"


def _engine(url: str, user: str, password: str, database: str) -> sa.Engine:
    return sa.create_engine(sqlalchemy_url(url, user, password, database))


def _default_database(url: str) -> str:
    match = _URL.match(url)
    assert match is not None
    rest = match.group("rest").lstrip("/")
    return rest.split("?", 1)[0].split(";", 1)[0]


def list_jdbc_tables(target: dict[str, Any], props: dict[str, str], log: Any) -> list[JdbcTable]:
    """The tables a JDBC target includes, with their columns."""
    name = target["ConnectionName"]
    conf = conf_from_properties(name, props)
    vendor = vendor_of(conf["url"])
    if vendor not in _DRIVERS:
        raise InvalidInputException(
            f"connection {name}: {vendor} databases cannot be crawled (postgresql, mysql)"
        )
    parts = (target.get("Path") or "").split("/")
    depth = 3 if vendor == "postgresql" else 2
    if len(parts) == depth - 1:
        parts.append("%")
    if len(parts) != depth or not all(parts):
        shape = "database/schema/table" if vendor == "postgresql" else "database/table"
        raise InvalidInputException(
            f"JDBC target path {target.get('Path')!r} must be {shape} (% matches any)"
        )
    database = parts[0]
    if "%" in database:  # the connection's own database, if the pattern takes it
        default = _default_database(conf["url"])
        if not default or not _like(database)(default):
            raise InvalidInputException(
                f"JDBC target path {target.get('Path')!r}: name the database "
                f"(the connection's is {default!r})"
            )
        database = default
    excluded = exclusion_matcher(list(target.get("Exclusions") or []))
    engine = _engine(conf["url"], conf["user"], conf["password"], database)
    found: list[JdbcTable] = []
    try:
        inspector = sa.inspect(engine)
        schemas = [None] if vendor == "mysql" else inspector.get_schema_names()
        for schema in schemas:
            if schema is not None and (
                not _like(parts[1])(schema)
                or schema in ("information_schema", "pg_catalog")
                or schema.startswith("pg_toast")
            ):
                continue
            pattern = _like(parts[-1])
            names = [(t, False) for t in inspector.get_table_names(schema=schema)]
            names += [(v, True) for v in inspector.get_view_names(schema=schema)]
            for table, view in sorted(names):
                if not pattern(table):
                    continue
                path = "/".join(p for p in (database, schema, table) if p is not None)
                if excluded(path):
                    log(f"INFO excluded {path}")
                    continue
                columns = [
                    (c["name"], hive_type(c["type"])) for c in inspector.get_columns(table, schema=schema)
                ]
                found.append(
                    JdbcTable(
                        path=path,
                        location=path.replace("/", "."),
                        name=re.sub(r"[^a-z0-9_]", "_", path.replace("/", "_").lower()),
                        columns=columns,
                        classification=vendor,
                        view=view,
                    )
                )
    except sa.exc.SQLAlchemyError as exc:
        raise InvalidInputException(
            f"connection {name}: cannot read {database}: {exc.__class__.__name__}: {exc.orig or exc}"
        ) from None
    finally:
        engine.dispose()
    return found
