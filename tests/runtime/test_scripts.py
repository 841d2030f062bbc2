"""Realistic Glue scripts run unmodified, as users run them: ``gluelab run script.py --JOB_NAME ...`` and
plain ``python script.py`` (each a fresh process with its own Spark)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pyarrow.dataset as ds
import pytest
import sqlalchemy as sa

from gluelab.config import Settings
from gluelab.services import Services
from tests.helpers import PG_ADMIN_URL, gluelab_env, postgres_available, unavailable

SCRIPTS = Path(__file__).parent / "scripts"
pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def services(home: Path):
    services = Services(Settings.load(env={"GLUELAB_HOME": str(home)}))
    services.settings.ensure_dirs()
    yield services
    services.close()


def gluelab_run(
    home: Path, script: str, *args: str, python: bool = False
) -> subprocess.CompletedProcess[str]:
    command = (
        [sys.executable, str(SCRIPTS / script), *args]
        if python
        else [sys.executable, "-m", "gluelab", "run", str(SCRIPTS / script), *args]
    )
    return subprocess.run(command, env=gluelab_env(home), capture_output=True, text=True, timeout=600)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result.stdout


def json_lines(folder: Path) -> list[dict]:
    return [
        json.loads(line)
        for f in sorted(folder.rglob("*.json"))
        for line in f.read_text().splitlines()
        if line
    ]


def test_catalog_to_partitioned_parquet_with_a_catalog_update(home, services):
    warehouse = services.settings.warehouse_dir
    catalog = services.catalog
    catalog.create_database(DatabaseInput={"Name": "shop"})
    catalog.create_table(
        DatabaseName="shop",
        TableInput={
            "Name": "raw_orders",
            "Parameters": {"classification": "json"},
            "StorageDescriptor": {"Location": "s3://landing/orders/", "Columns": []},
        },
    )
    (warehouse / "landing" / "orders").mkdir(parents=True)
    (warehouse / "landing" / "orders" / "a.json").write_text(
        "\n".join(
            [
                json.dumps({"order_id": 1, "customer": {"name": "Ada"}, "price": 10, "day": "2024-05-01"}),
                json.dumps(
                    {"order_id": 2, "customer": {"name": "Alan"}, "price": "12.50", "day": "2024-05-01"}
                ),
                json.dumps(
                    {"order_id": 3, "customer": {"name": "Grace"}, "price": "n/a", "day": "2024-05-02"}
                ),
                "{this line is broken",
            ]
        )
        + "\n"
    )
    out = ok(
        gluelab_run(home, "catalog_to_parquet.py", "--JOB_NAME", "orders", "--target", "s3://curated/orders/")
    )
    assert "errors: 1" in out

    table = catalog.get_table(DatabaseName="shop", Name="orders")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == [
        "order_id",
        "customer_name",
        "price",
    ]
    assert {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}["price"] == "double"
    partitions = catalog.get_partitions(DatabaseName="shop", TableName="orders")["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [["2024-05-01"], ["2024-05-02"]]
    data = (
        ds.dataset(warehouse / "curated" / "orders", format="parquet", partitioning="hive")
        .to_table()
        .to_pylist()
    )
    assert sorted((r["order_id"], r["customer_name"], r["price"], str(r["day"])) for r in data) == [
        (1, "Ada", 10.0, "2024-05-01"),
        (2, "Alan", 12.5, "2024-05-01"),
        (3, "Grace", None, "2024-05-02"),
    ]


def test_postgresql_table_to_the_warehouse(home, services):
    if not postgres_available():
        unavailable("PostgreSQL is not reachable")
    table = f"customers_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(PG_ADMIN_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (id int PRIMARY KEY, name text, joined date)"))
        conn.execute(sa.text(f"INSERT INTO {table} VALUES (1, 'Ada', '2024-01-02'), (2, 'Alan', NULL)"))
    services.catalog.create_connection(
        ConnectionInput={
            "Name": "warehouse-pg",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": "jdbc:postgresql://127.0.0.1:5432/test",
                "USERNAME": "postgres",
                "PASSWORD": "x",
            },
        }
    )
    try:
        out = ok(
            gluelab_run(
                home,
                "postgres_to_warehouse.py",
                "--JOB_NAME",
                "pg",
                "--table",
                f"public.{table}",
                "--target",
                "s3://exports/customers/",
            )
        )
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {table}"))
        engine.dispose()
    assert "rows: 2" in out
    rows = json_lines(services.settings.warehouse_dir / "exports" / "customers")
    assert sorted((r["id"], r["name"], r.get("joined")) for r in rows) == [
        (1, "Ada", "2024-01-02"),
        (2, "Alan", None),
    ]


def test_relationalize_nested_json(home, services):
    warehouse = services.settings.warehouse_dir
    (warehouse / "raw" / "people").mkdir(parents=True)
    (warehouse / "raw" / "people" / "p.json").write_text(
        "\n".join(
            json.dumps(p)
            for p in [
                {
                    "id": 1,
                    "name": {"first": "Ada", "last": "Lovelace"},
                    "emails": ["ada@x.org", "a@y.org"],
                    "roles": [{"role": "author", "years": [1843]}],
                },
                {"id": 2, "name": {"first": "Alan", "last": "Turing"}, "emails": [], "roles": []},
            ]
        )
        + "\n"
    )
    out = ok(
        gluelab_run(
            home,
            "relationalize_json.py",
            "--JOB_NAME",
            "rel",
            "--source",
            "s3://raw/people/",
            "--target",
            "s3://curated/people/",
            "--TempDir",
            "s3://tmp/glue/",
        )
    )
    assert "table: people 2" in out and "table: people_emails 2" in out and "table: people_roles 1" in out

    def load(name: str) -> list[dict]:
        return ds.dataset(warehouse / "curated" / "people" / name, format="parquet").to_table().to_pylist()

    root = {r["id"]: r for r in load("people")}
    assert root[1]["name.first"] == "Ada" and root[1]["name.last"] == "Lovelace"
    emails = load("people_emails")
    assert sorted((e["index"], e["emails.val"]) for e in emails if e["id"] == root[1]["emails"]) == [
        (0, "ada@x.org"),
        (1, "a@y.org"),
    ]
    roles = load("people_roles")
    assert [r["roles.val.role"] for r in roles if r["id"] == root[1]["roles"]] == ["author"]
    years = load("people_roles.val.years".replace(".", "_"))
    assert [y["roles.val.years.val"] for y in years] == [1843]


def test_three_bookmarked_runs_with_a_failure_in_the_middle(home, services):
    landing = services.settings.warehouse_dir / "landing" / "events"
    landing.mkdir(parents=True)

    def drop(name: str, ids: list[int]) -> None:
        (landing / name).write_text("".join(json.dumps({"id": i}) + "\n" for i in ids))
        time.sleep(0.05)

    def run(fail: bool = False) -> subprocess.CompletedProcess[str]:
        return gluelab_run(
            home,
            "bookmarked.py",
            "--JOB_NAME",
            "events",
            "--input",
            "s3://landing/events/",
            "--output",
            "s3://curated/events/",
            "--fail",
            str(fail).lower(),
            "--job-bookmark-option",
            "job-bookmark-enable",
        )

    drop("1.json", [1, 2])
    assert "read: [1, 2]" in ok(run())
    drop("2.json", [3])
    failed = run(fail=True)
    assert failed.returncode != 0 and "read: [3]" in failed.stdout
    assert "simulated failure" in failed.stderr
    drop("3.json", [4, 5])
    assert "read: [3, 4, 5]" in ok(run())
    assert "read: []" in ok(run())
    # Every input file was read by a committed run exactly once; the failed run's output stays, as on Glue.
    written = sorted(r["id"] for r in json_lines(services.settings.warehouse_dir / "curated" / "events"))
    assert written == [1, 2, 3, 3, 4, 5]
    entry = services.bookmarks.load("events")
    assert entry["Run"] == 3


def test_plain_python_runs_a_glue_script(home, services):
    (services.settings.warehouse_dir / "landing" / "events").mkdir(parents=True)
    (services.settings.warehouse_dir / "landing" / "events" / "a.json").write_text('{"id": 7}\n')
    out = ok(
        gluelab_run(
            home,
            "bookmarked.py",
            "--JOB_NAME",
            "plain",
            "--input",
            "s3://landing/events/",
            "--output",
            "s3://curated/plain/",
            "--fail",
            "false",
            python=True,
        )
    )
    assert "read: [7]" in out


def test_a_failing_script_exits_non_zero_with_its_traceback(home, tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("from awsglue.context import GlueContext\nraise ValueError('the input is wrong')\n")
    result = subprocess.run(
        [sys.executable, "-m", "gluelab", "run", str(script)],
        env=gluelab_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1 and "ValueError: the input is wrong" in result.stderr


def test_run_refuses_a_missing_script_and_an_unknown_worker_type(home, tmp_path):
    missing = subprocess.run(
        [sys.executable, "-m", "gluelab", "run", str(tmp_path / "nope.py")],
        env=gluelab_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 1 and "no such script" in missing.stderr
    (tmp_path / "s.py").write_text("print('hi')\n")
    bad = subprocess.run(
        [sys.executable, "-m", "gluelab", "run", "--worker-type", "G.3X", str(tmp_path / "s.py")],
        env=gluelab_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and "Unknown WorkerType 'G.3X'" in bad.stderr


def test_a_plain_pyspark_job_reads_a_crawled_table_with_spark_sql(home, services):
    from gluelab.crawler.run import execute

    for region, rows in (("eu", ["id,amount", "1,2.5", "2,3.5"]), ("us", ["id,amount", "3,9.0"])):
        folder = services.settings.warehouse_dir / "lake" / "sales" / region
        folder.mkdir(parents=True)
        (folder / "s.csv").write_text("\n".join(rows) + "\n")
    services.catalog.create_database(DatabaseInput={"Name": "lake"})
    targets = {"S3Targets": [{"Path": "s3://lake/sales/"}]}
    services.crawlers.create_crawler(Name="sales", Role="r", DatabaseName="lake", Targets=targets)
    assert execute(services, services.crawlers.begin_crawl("sales")) == "COMPLETED"
    out = ok(gluelab_run(home, "spark_sql_catalog.py", "--JOB_NAME", "report", "--region", "eu"))
    assert "read: [(1, 2.5), (2, 3.5)]" in out


@pytest.mark.parametrize("python", [False, True], ids=["gluelab run", "python"])
def test_spark_s_own_reader_and_writer_on_s3(home, services, python):
    out = ok(gluelab_run(home, "spark_io.py", "--JOB_NAME", "io", "--out", "s3://out/x/", python=python))
    assert "spark: 5 glue: 5 from: ['s3://out/x']" in out
    rows = ds.dataset(services.settings.warehouse_dir / "out" / "x", format="parquet").to_table()
    assert sorted(rows.column("id").to_pylist()) == [0, 1, 2, 3, 4]
