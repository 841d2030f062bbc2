"""JDBC drivers and options: which driver serves which database, where its jar is (Debian's packages
libpostgresql-jdbc-java and libmariadb-java), and the clear error when one is missing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
