"""JDBC sources and sinks on PostgreSQL and MariaDB (connection types postgresql and mysql): options,
Glue connections, catalog tables backed by JDBC, parallel hashed reads, extract_jdbc_conf and the errors
of a bad call. (JDBC job bookmarks are tested in test_job_bookmarks.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gluelab.errors import InvalidInputException
from gluelab.runtime import jdbc
from gluelab.runtime.dynamicframe import DynamicFrame
from tests.helpers import unavailable

MARIADB_USER = "gluelab_jdbc_tests"
PASSWORD = "s3cret-pw"  # PostgreSQL trusts 127.0.0.1 and ignores it; MariaDB gets a user with it
ROWS = [
    {"id": 1, "name": "ann", "score": 1.5},
    {"id": 2, "name": None, "score": 2.0},
    {"id": 3, "name": "cy", "score": None},
]


@dataclass
class Database:
    vendor: str  # the connection_type
    url: str  # JDBC URL of database "test"
    engine: sa.Engine
    user: str
    schema: str | None  # PostgreSQL's schema for dbtable
    tables: list[str] = field(default_factory=list)

    def table(self) -> str:
        """A fresh table name, dropped after the test."""
        name = f"gl_src_{uuid.uuid4().hex[:10]}"
        self.tables.append(name)
        return name

    def dbtable(self, name: str) -> str:
        return f"{self.schema}.{name}" if self.schema else name

    def location(self, name: str) -> str:
        """StorageDescriptor.Location of a crawled table: database.schema.table or database.table."""
        return f"test.{self.dbtable(name)}"

    def url_for(self, database: str | None) -> str:
        base = self.url.rsplit("/", 1)[0]
        return f"{base}/{database}" if database else base

    def create(self, rows: list[dict[str, Any]] = ROWS) -> str:
        name = self.table()
        double = "DOUBLE PRECISION" if self.vendor == "postgresql" else "DOUBLE"
        with self.engine.begin() as conn:
            columns = f"id INT PRIMARY KEY, name VARCHAR(20), score {double}"
            conn.execute(sa.text(f"CREATE TABLE {self.dbtable(name)} ({columns})"))
            if rows:
                conn.execute(
                    sa.text(
                        f"INSERT INTO {self.dbtable(name)} (id, name, score) VALUES (:id, :name, :score)"
                    ),
                    rows,
                )
        return name

    def select(self, name: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            result = conn.execute(sa.text(f"SELECT id, name, score FROM {self.dbtable(name)} ORDER BY id"))
            return [dict(r._mapping) for r in result]

    def options(self, name: str, **extra: Any) -> dict[str, Any]:
        return {
            "url": self.url,
            "dbtable": self.dbtable(name),
            "user": self.user,
            "password": PASSWORD,
            **extra,
        }

    def drop_tables(self) -> None:
        with self.engine.begin() as conn:
            for name in self.tables:
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {self.dbtable(name)}"))


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        engine.connect().close()
    except sa.exc.OperationalError:
        unavailable("PostgreSQL is not reachable on 127.0.0.1:5432")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def mariadb_engine() -> Iterator[sa.Engine]:
    root = sa.create_engine("mysql+pymysql://root@127.0.0.1:3306/test")
    try:
        with root.begin() as conn:
            conn.execute(
                sa.text(f"CREATE USER IF NOT EXISTS '{MARIADB_USER}'@'%' IDENTIFIED BY '{PASSWORD}'")
            )
            conn.execute(sa.text(f"GRANT ALL PRIVILEGES ON test.* TO '{MARIADB_USER}'@'%'"))
    except sa.exc.OperationalError:
        unavailable("MariaDB is not reachable on 127.0.0.1:3306")
    engine = sa.create_engine(f"mysql+pymysql://{MARIADB_USER}:{PASSWORD}@127.0.0.1:3306/test")
    yield engine
    engine.dispose()
    with root.begin() as conn:
        conn.execute(sa.text(f"DROP USER IF EXISTS '{MARIADB_USER}'@'%'"))
    root.dispose()


@pytest.fixture(params=["postgresql", "mysql"])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    if request.param == "postgresql":
        database = Database(
            "postgresql",
            "jdbc:postgresql://127.0.0.1:5432/test",
            request.getfixturevalue("pg_engine"),
            "postgres",
            "public",
        )
    else:
        # A jdbc:mysql:// URL, served by Debian's MariaDB driver.
        database = Database(
            "mysql",
            "jdbc:mysql://127.0.0.1:3306/test",
            request.getfixturevalue("mariadb_engine"),
            MARIADB_USER,
            None,
        )
    yield database
    database.drop_tables()


def rows(frame: DynamicFrame) -> list[dict[str, Any]]:
    return sorted((r.asDict() for r in frame.toDF().collect()), key=lambda r: r["id"])


def create_connection(glue_ctx: Any, db: Database, database: str | None = "test", **props: str) -> str:
    name = f"conn-{uuid.uuid4().hex[:8]}"
    properties = {
        "JDBC_CONNECTION_URL": db.url_for(database),
        "USERNAME": db.user,
        "PASSWORD": PASSWORD,
        **props,
    }
    glue_ctx.services.catalog.create_connection(
        ConnectionInput={"Name": name, "ConnectionType": "JDBC", "ConnectionProperties": properties}
    )
    return name


def frame_of(glue_ctx: Any, data: list[dict[str, Any]]) -> DynamicFrame:
    df = glue_ctx.spark_session.createDataFrame(data, "id long, name string, score double")
    return DynamicFrame.fromDF(df, glue_ctx, "new")


NEW = [{"id": 10, "name": "x", "score": 0.5}, {"id": 11, "name": "y", "score": None}]


# -- reading -----------------------------------------------------------------------------------------------
def test_read_with_url_dbtable_user_password(glue_ctx, db):
    name = db.create()
    frame = glue_ctx.create_dynamic_frame.from_options(
        connection_type=db.vendor, connection_options=db.options(name)
    )
    assert rows(frame) == ROWS
    assert frame.name == name
    types = {f.name: f.dataType.typeName() for f in frame.schema().fields}
    assert types == {"id": "int", "name": "string", "score": "double"}


def test_read_through_a_glue_connection(glue_ctx, db):
    name = db.create()
    connection = create_connection(glue_ctx, db)
    options = {"useConnectionProperties": "true", "connectionName": connection, "dbtable": db.dbtable(name)}
    assert rows(glue_ctx.create_dynamic_frame.from_options(db.vendor, options)) == ROWS


def test_connection_from_host_port_and_engine(glue_ctx, db):
    name = db.create()
    connection = f"conn-{uuid.uuid4().hex[:8]}"
    port = "5432" if db.vendor == "postgresql" else "3306"
    engine = "postgres" if db.vendor == "postgresql" else "mariadb"
    glue_ctx.services.catalog.create_connection(
        ConnectionInput={
            "Name": connection,
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "HOST": "127.0.0.1",
                "PORT": port,
                "JDBC_ENGINE": engine,
                "DATABASE": "test",
                "USERNAME": db.user,
                "PASSWORD": PASSWORD,
            },
        }
    )
    conf = glue_ctx.extract_jdbc_conf(connection)
    assert conf["fullUrl"] == db.url
    options = {"useConnectionProperties": "true", "connectionName": connection, "dbtable": db.dbtable(name)}
    assert rows(glue_ctx.create_dynamic_frame.from_options(db.vendor, options)) == ROWS


@pytest.mark.parametrize(("hash_option", "partitions"), [("id", "3"), ("name", "4"), ("score", None)])
def test_hashed_parallel_read_gives_the_same_rows(glue_ctx, db, hash_option, partitions):
    name = db.create()
    options = db.options(name, hashfield=hash_option)
    if partitions:
        options["hashpartitions"] = partitions
    frame = glue_ctx.create_dynamic_frame.from_options(db.vendor, options)
    assert frame.getNumPartitions() == int(partitions or 7)  # Glue's default is 7
    assert rows(frame) == ROWS  # rows whose hash field is NULL are read too


@pytest.mark.parametrize("expression", ["id", "id - 10", "CASE WHEN id = 2 THEN NULL ELSE id END"])
def test_hash_expression(glue_ctx, db, expression):
    name = db.create()
    options = db.options(name, hashexpression=expression, hashpartitions="2")
    frame = glue_ctx.create_dynamic_frame.from_options(db.vendor, options)
    assert frame.getNumPartitions() == 2
    assert rows(frame) == ROWS  # negative and NULL values land in a partition too


def test_read_an_empty_table(glue_ctx, db):
    name = db.create(rows=[])
    frame = glue_ctx.create_dynamic_frame.from_options(db.vendor, db.options(name))
    assert frame.count() == 0
    assert [f.name for f in frame.schema().fields] == ["id", "name", "score"]


def test_column_types_round_trip(glue_ctx, db):
    name = db.table()
    timestamp = "TIMESTAMP" if db.vendor == "postgresql" else "DATETIME"
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TABLE {db.dbtable(name)} (id INT, price NUMERIC(10, 2), day DATE, "
                f"at {timestamp}, ok BOOLEAN, note TEXT)"
            )
        )
        conn.execute(
            sa.text(
                f"INSERT INTO {db.dbtable(name)} VALUES "
                "(1, 12.50, '2024-02-29', '2024-02-29 13:45:00', TRUE, 'naïve ✓'), "
                "(2, NULL, NULL, NULL, NULL, NULL)"
            )
        )
    frame = glue_ctx.create_dynamic_frame.from_options(db.vendor, db.options(name))
    types = {f.name: f.dataType.typeName() for f in frame.schema().fields}
    assert types == {
        "id": "int",
        "price": "decimal",
        "day": "date",
        "at": "timestamp",
        "ok": "boolean",
        "note": "string",
    }
    first, second = rows(frame)
    assert (str(first["price"]), str(first["day"]), str(first["at"]), first["ok"], first["note"]) == (
        "12.50",
        "2024-02-29",
        "2024-02-29 13:45:00",
        True,
        "naïve ✓",
    )
    assert set(second.values()) == {2, None}
    copy = db.table()
    glue_ctx.write_dynamic_frame.from_options(frame, db.vendor, db.options(copy))
    assert glue_ctx.create_dynamic_frame.from_options(db.vendor, db.options(copy)).toDF().collect() == (
        frame.toDF().collect()
    )


# -- writing -----------------------------------------------------------------------------------------------
def test_write_creates_then_appends(glue_ctx, db):
    name = db.table()
    frame = frame_of(glue_ctx, NEW)
    glue_ctx.write_dynamic_frame.from_options(
        frame, connection_type=db.vendor, connection_options=db.options(name)
    )
    assert db.select(name) == NEW
    glue_ctx.write_dynamic_frame.from_options(frame, db.vendor, db.options(name))
    assert len(db.select(name)) == 4
    back = glue_ctx.create_dynamic_frame.from_options(db.vendor, db.options(name))
    assert back.count() == 4


def test_write_into_an_existing_table(glue_ctx, db):
    name = db.create()
    glue_ctx.write_dynamic_frame.from_options(frame_of(glue_ctx, NEW), db.vendor, db.options(name))
    assert db.select(name) == ROWS + NEW


def test_write_from_jdbc_conf_with_database(glue_ctx, db):
    name = db.table()
    # The connection names another database (or none); connection_options' database decides.
    connection = create_connection(glue_ctx, db, "postgres" if db.vendor == "postgresql" else None)
    glue_ctx.write_dynamic_frame.from_jdbc_conf(
        frame=frame_of(glue_ctx, NEW),
        catalog_connection=connection,
        connection_options={"dbtable": db.dbtable(name), "database": "test"},
    )
    assert db.select(name) == NEW
    glue_ctx.write_dynamic_frame_from_jdbc_conf(
        frame_of(glue_ctx, NEW[:1]), connection, {"dbtable": db.dbtable(name), "database": "test"}
    )
    assert len(db.select(name)) == 3


def test_write_through_a_glue_connection(glue_ctx, db):
    name = db.table()
    connection = create_connection(glue_ctx, db)
    options = {"useConnectionProperties": "true", "connectionName": connection, "dbtable": db.dbtable(name)}
    glue_ctx.write_dynamic_frame.from_options(frame_of(glue_ctx, NEW), db.vendor, options)
    assert db.select(name) == NEW


def test_writing_an_unresolved_choice_is_refused(glue_ctx, db, warehouse):
    (warehouse / "lake").mkdir()
    (warehouse / "lake/c.json").write_text('{"id": 1, "v": 5}\n{"id": 2, "v": "five"}\n')
    frame = glue_ctx.create_dynamic_frame.from_options("s3", {"paths": ["s3://lake/c.json"]}, "json")
    with pytest.raises(InvalidInputException, match="nested fields \\(v\\).*ResolveChoice"):
        glue_ctx.write_dynamic_frame.from_options(frame, db.vendor, db.options(db.table()))


def test_writing_nested_fields_is_refused(glue_ctx, db):
    df = glue_ctx.spark_session.createDataFrame([(1, (2, "x"))], "id int, s struct<a:int,b:string>")
    with pytest.raises(InvalidInputException, match="nested fields \\(s\\)"):
        glue_ctx.write_dynamic_frame.from_options(
            DynamicFrame.fromDF(df, glue_ctx, "n"), db.vendor, db.options(db.table())
        )


# -- extract_jdbc_conf -------------------------------------------------------------------------------------
def test_extract_jdbc_conf(glue_ctx, db):
    connection = create_connection(glue_ctx, db)
    conf = glue_ctx.extract_jdbc_conf(connection)
    assert conf == {
        "user": db.user,
        "password": PASSWORD,
        "vendor": db.vendor,
        "url": db.url_for(None),
        "fullUrl": db.url,
    }
    df = (
        glue_ctx.spark_session.read.format("jdbc")
        .option("url", conf["fullUrl"])
        .option("user", conf["user"])
        .option("password", conf["password"])
        .option("query", "SELECT 1 AS one")
        .load()
    )
    assert df.first()["one"] == 1


def test_extract_jdbc_conf_of_a_missing_connection(glue_ctx):
    from gluelab.errors import EntityNotFoundException

    with pytest.raises(EntityNotFoundException):
        glue_ctx.extract_jdbc_conf("nope")


# -- catalog tables backed by JDBC ------------------------------------------------------------------------
def test_catalog_table_backed_by_jdbc(glue_ctx, db):
    name = db.create()
    # The connection names no database (or another one): the table's location says which.
    connection = create_connection(glue_ctx, db, "postgres" if db.vendor == "postgresql" else None)
    catalog = glue_ctx.services.catalog
    catalog.create_database(DatabaseInput={"Name": "jdbcdb"})
    catalog.create_table(
        DatabaseName="jdbcdb",
        TableInput={
            "Name": name,
            "Parameters": {"classification": db.vendor, "connectionName": connection},
            "StorageDescriptor": {
                "Location": db.location(name),
                "Columns": [
                    {"Name": "id", "Type": "int"},
                    {"Name": "name", "Type": "string"},
                    {"Name": "score", "Type": "double"},
                ],
            },
        },
    )
    frame = glue_ctx.create_dynamic_frame.from_catalog(database="jdbcdb", table_name=name)
    assert rows(frame) == ROWS
    assert frame.name == name
    glue_ctx.write_dynamic_frame.from_catalog(
        frame=frame_of(glue_ctx, NEW), database="jdbcdb", table_name=name
    )
    assert db.select(name) == ROWS + NEW
    hashed = glue_ctx.create_dynamic_frame.from_catalog(
        database="jdbcdb", table_name=name, additional_options={"hashfield": "id", "hashpartitions": "2"}
    )
    assert hashed.getNumPartitions() == 2 and hashed.count() == 5


# -- drivers and URLs --------------------------------------------------------------------------------------
def test_a_missing_driver_jar_names_the_debian_package(glue_ctx, db, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(jdbc, "JAR_DIR", tmp_path)
    package = "libpostgresql-jdbc-java" if db.vendor == "postgresql" else "libmariadb-java"
    with pytest.raises(InvalidInputException, match=f"apt-get install {package}"):
        glue_ctx.create_dynamic_frame.from_options(db.vendor, db.options("whatever"))
    with pytest.raises(InvalidInputException, match=package):
        glue_ctx.write_dynamic_frame.from_options(frame_of(glue_ctx, NEW), db.vendor, db.options("whatever"))
    assert jdbc.driver_jars() == []


def test_jdbc_mariadb_urls_work_too(glue_ctx, mariadb_engine):
    db = Database("mysql", "jdbc:mariadb://127.0.0.1:3306/test", mariadb_engine, MARIADB_USER, None)
    try:
        name = db.create()
        assert rows(glue_ctx.create_dynamic_frame.from_options("mysql", db.options(name))) == ROWS
        glue_ctx.write_dynamic_frame.from_options(frame_of(glue_ctx, NEW), "mysql", db.options(name))
        written = db.table()
        glue_ctx.write_dynamic_frame.from_options(frame_of(glue_ctx, NEW), "mysql", db.options(written))
        assert db.select(name) == ROWS + NEW
        assert db.select(written) == NEW
    finally:
        db.drop_tables()


def test_connection_type_must_match_the_url(glue_ctx, db):
    other = "mysql" if db.vendor == "postgresql" else "postgresql"
    with pytest.raises(InvalidInputException, match=f"connection_type {other} does not match"):
        glue_ctx.create_dynamic_frame.from_options(other, db.options("t"))
    with pytest.raises(InvalidInputException, match="does not match"):
        glue_ctx.write_dynamic_frame.from_options(frame_of(glue_ctx, NEW), other, db.options("t"))


def test_missing_dbtable_and_url(glue_ctx, db):
    options = db.options("t")
    del options["dbtable"]
    with pytest.raises(InvalidInputException, match="dbtable"):
        glue_ctx.create_dynamic_frame.from_options(db.vendor, options)
    with pytest.raises(InvalidInputException, match="dbtable"):
        glue_ctx.write_dynamic_frame.from_options(frame_of(glue_ctx, NEW), db.vendor, options)
    with pytest.raises(InvalidInputException, match="url"):
        glue_ctx.create_dynamic_frame.from_options(db.vendor, {"dbtable": "t"})
    with pytest.raises(InvalidInputException, match="connectionName"):
        glue_ctx.create_dynamic_frame.from_options(
            db.vendor, {"dbtable": "t", "useConnectionProperties": "true"}
        )


def test_a_missing_table_is_a_clear_error(glue_ctx, db):
    with pytest.raises(Exception, match="(?i)gl_src_missing|does not exist|doesn't exist"):
        glue_ctx.create_dynamic_frame.from_options(db.vendor, db.options("gl_src_missing")).count()


@pytest.mark.parametrize("url", ["postgresql://127.0.0.1/test", "jdbc:oracle:thin:@host:1521/x", ""])
def test_urls_that_are_not_postgresql_or_mysql(glue_ctx, url):
    with pytest.raises(InvalidInputException):
        glue_ctx.create_dynamic_frame.from_options("postgresql", {"url": url, "dbtable": "t"})
