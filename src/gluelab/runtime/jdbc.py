"""JDBC drivers and options: which driver serves which database, where its jar is (Debian's packages
libpostgresql-jdbc-java and libmariadb-java), and the clear error when one is missing."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInputException

JAR_DIR = Path(os.environ.get("GLUELAB_JDBC_JAR_DIR", "/usr/share/java"))


@dataclass(frozen=True)
class JdbcDriver:
    vendor: str
    class_name: str
    jar: str
    debian_package: str

    @property
    def jar_path(self) -> Path:
        return JAR_DIR / self.jar


DRIVERS = {
    "postgresql": JdbcDriver(
        "postgresql", "org.postgresql.Driver", "postgresql.jar", "libpostgresql-jdbc-java"
    ),
    "mysql": JdbcDriver("mysql", "org.mariadb.jdbc.Driver", "mariadb-java-client.jar", "libmariadb-java"),
}
DRIVERS["mariadb"] = DRIVERS["mysql"]


class JdbcDriverMissing(RuntimeError):
    pass


def driver_jars() -> list[Path]:
    """The driver jars present on this machine (each goes on every Spark session's class path)."""
    seen: dict[Path, None] = {}
    for driver in DRIVERS.values():
        if driver.jar_path.exists():
            seen[driver.jar_path] = None
    return list(seen)


def require_driver(vendor: str) -> JdbcDriver:
    driver = DRIVERS.get(vendor)
    if driver is None:
        raise JdbcDriverMissing(
            f"gluelab has no JDBC driver for {vendor!r}; it supports postgresql and mysql."
        )
    if not driver.jar_path.exists():
        raise JdbcDriverMissing(
            f"The {vendor} JDBC driver is not installed ({driver.jar_path} is missing): "
            f"apt-get install {driver.debian_package}"
        )
    return driver


# -- URLs and connection properties (no Spark here: the crawler uses them too) ---------------------------
_URL = re.compile(
    r"^jdbc:(?P<sub>[a-z0-9]+)(?::[a-z]+)?://(?P<host>[^/:;?]+)(?::(?P<port>\d+))?(?P<rest>.*)$", re.I
)
_DEFAULT_PORTS = {"postgresql": "5432", "mysql": "3306", "mariadb": "3306"}


def vendor_of(url: str) -> str:
    match = _URL.match(url or "")
    if not match:
        raise InvalidInputException(f"{url!r} is not a JDBC URL (jdbc:postgresql://host:5432/db)")
    sub = match.group("sub").lower()
    return "mysql" if sub in ("mysql", "mariadb") else sub


def conf_from_properties(connection_name: str, props: dict[str, str]) -> dict[str, str]:
    url = props.get("JDBC_CONNECTION_URL")
    if not url:
        engine = (props.get("JDBC_ENGINE") or "").lower()
        engine = {"postgres": "postgresql", "mariadb": "mysql"}.get(engine, engine)
        if not (engine and props.get("HOST")):
            raise InvalidInputException(
                f"connection {connection_name} has no JDBC_CONNECTION_URL nor HOST and JDBC_ENGINE"
            )
        url = f"jdbc:{engine}://{props['HOST']}:{props.get('PORT') or _DEFAULT_PORTS.get(engine, '')}"
        if props.get("DATABASE"):
            url += f"/{props['DATABASE']}"
    if props.get("SECRET_ID") and not props.get("PASSWORD"):
        raise InvalidInputException(
            f"connection {connection_name} uses SECRET_ID; there is no Secrets Manager "
            "offline: give it USERNAME and PASSWORD"
        )
    return {"url": url, "user": props.get("USERNAME", ""), "password": props.get("PASSWORD", "")}


def sqlalchemy_url(jdbc_url: str, user: str, password: str, database: str | None = None) -> Any:
    """The SQLAlchemy URL of a PostgreSQL or MySQL/MariaDB JDBC URL, on ``database`` or the URL's own."""
    import sqlalchemy as sa

    match = _URL.match(jdbc_url)
    if not match:
        raise ValueError(f"{jdbc_url!r} is not a JDBC URL")
    vendor = vendor_of(jdbc_url)
    if database is None:
        database = match.group("rest").lstrip("/").split("?")[0].split(";")[0] or None
    driver = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}[vendor]
    port = int(match.group("port")) if match.group("port") else None
    return sa.engine.URL.create(
        driver,
        username=user or None,
        password=password or None,
        host=match.group("host"),
        port=port,
        database=database,
    )


def with_database(url: str, database: str) -> str:
    """``url`` naming ``database`` instead of its own (its parameters kept)."""
    match = _URL.match(url)
    assert match is not None
    rest = match.group("rest")
    params = rest[rest.index("?") :] if "?" in rest else ""
    return url[: match.start("rest")] + "/" + database + params


def table_jdbc_options(catalog: Any, table: dict[str, Any]) -> dict[str, Any]:
    """url, user, password, dbtable and connectionName of a catalog table backed by a JDBC connection."""
    params = table.get("Parameters") or {}
    name = params.get("connectionName")
    if not name:
        raise InvalidInputException(
            f"table {table['Name']} is a JDBC table without Parameters.connectionName"
        )
    conf = conf_from_properties(name, catalog.connection_properties(name))
    location = (table.get("StorageDescriptor") or {}).get("Location") or table["Name"]
    parts = location.split(".")
    # Crawled JDBC tables are located at database.schema.table (PostgreSQL) or database.table (MySQL):
    # the database is the location's, whatever the connection's URL names.
    if len(parts) >= (3 if vendor_of(conf["url"]) == "postgresql" else 2):
        conf["url"] = with_database(conf["url"], parts[0])
        parts = parts[1:]
    return {**conf, "dbtable": ".".join(parts), "connectionName": name}
