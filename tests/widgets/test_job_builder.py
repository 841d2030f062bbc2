"""The JobBuilder driven from Python: a CSV source under a path (schema from the crawler's classifiers)
or a catalog table, the mapping edited (drop, rename, cast), a partitioned Parquet target or a catalog
table; "Create job" as a Glue script job and as a notebook job, both run for real and their output read."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pyarrow.dataset as ds
import pytest

from gluelab.config import Settings
from gluelab.services import Services, open_services
from gluelab.widgets import JobBuilder
from tests.helpers import gluelab_env
from tests.jobs.runs_helpers import wait_run

SALES = "id,name,amount,region\n1,ada,10.5,eu\n2,alan,20.0,us\n3,grace,7.25,eu\n"


@pytest.fixture
def home_services(tmp_path: Path):  # type: ignore[no-untyped-def]
    services = open_services(Settings.load(gluelab_env(tmp_path / "home")))
    raw = services.settings.warehouse_dir / "raw" / "sales"
    raw.mkdir(parents=True)
    (raw / "part-1.csv").write_text(SALES)
    yield services
    services.close()


def _edit(builder: JobBuilder) -> None:
    rows = {row.source: row for row in builder.rows}
    rows["name"].keep.value = False
    rows["amount"].target.value = "total"
    rows["amount"].cast.value = "double"
    rows["id"].cast.value = "int"


@pytest.mark.slow
def test_a_script_job_from_files_to_partitioned_parquet(home_services: Services) -> None:
    builder = JobBuilder(services=home_services)
    builder.source_kind.value = "path"
    builder.source_path.value = "s3://raw/sales/"
    assert builder.load_schema() == [
        ("id", "bigint"),
        ("name", "string"),
        ("amount", "double"),
        ("region", "string"),
    ]
    assert builder.source_format.value == "csv"
    _edit(builder)
    builder.target_path.value = "s3://curated/sales/"
    builder.partition_keys.value = "region"
    builder.job_name.value = "curate-sales"
    builder.create.click()
    assert "Created job" in builder.status.value, builder.status.value
    job = home_services.jobs.get_job(JobName="curate-sales")["Job"]
    assert job["DefaultArguments"] == {
        "--target_path": "s3://curated/sales/",
        "--source_path": "s3://raw/sales/",
    }
    run_id = home_services.jobs.start_job_run(JobName="curate-sales")["JobRunId"]
    run = wait_run(home_services.jobs.get_job_run, "curate-sales", run_id, timeout=240)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    out = home_services.settings.warehouse_dir / "curated" / "sales"
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["region=eu", "region=us"]
    table = ds.dataset(out, format="parquet", partitioning="hive").to_table().to_pylist()
    assert sorted((r["id"], r["total"], r["region"]) for r in table) == [
        (1, 10.5, "eu"),
        (2, 20.0, "us"),
        (3, 7.25, "eu"),
    ]
    assert all("name" not in r for r in table)


@pytest.mark.slow
def test_a_notebook_job_from_a_catalog_table_to_a_catalog_table(home_services: Services) -> None:
    catalog = home_services.catalog
    catalog.create_database({"DatabaseInput": {"Name": "lake"}})
    catalog.create_table(
        {
            "DatabaseName": "lake",
            "TableInput": {
                "Name": "sales",
                "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
                "StorageDescriptor": {
                    "Location": "s3://raw/sales/",
                    "Columns": [
                        {"Name": "id", "Type": "bigint"},
                        {"Name": "name", "Type": "string"},
                        {"Name": "amount", "Type": "double"},
                        {"Name": "region", "Type": "string"},
                    ],
                    "SerdeInfo": {"Parameters": {"field.delim": ","}},
                },
            },
        }
    )
    builder = JobBuilder(services=home_services)
    assert builder.source_table.options == ("lake.sales",)
    builder.source_kind.value = "catalog table"
    assert [c for c, _ in builder.load_schema()] == ["id", "name", "amount", "region"]
    _edit(builder)
    builder.target_kind.value = "catalog table"
    builder.target_path.value = "s3://curated/sales_by_region/"
    builder.target_table.value = "lake.sales_curated"
    builder.job_kind.value = "notebook"
    builder.job_name.value = "sales-notebook"
    assert builder.submit() is not None, builder.status.value
    job = home_services.jobs.get_job(JobName="sales-notebook")["Job"]
    assert job["JobMode"] == "NOTEBOOK"
    run_id = home_services.jobs.start_job_run(JobName="sales-notebook")["JobRunId"]
    run = wait_run(home_services.jobs.get_job_run, "sales-notebook", run_id, timeout=240)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    executed = nbformat.read(home_services.settings.logs_dir / "runs" / run_id / "output.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "rows written: 3" in printed
    created = catalog.get_table({"DatabaseName": "lake", "Name": "sales_curated"})["Table"]
    assert [c["Name"] for c in created["StorageDescriptor"]["Columns"]] == ["id", "total", "region"]


def test_the_form_refuses_what_cannot_be_a_job(home_services: Services) -> None:
    builder = JobBuilder(services=home_services)
    builder.source_kind.value = "path"
    builder.source_path.value = "s3://raw/nothing/"
    assert builder.load_schema() == [] and "no readable data file" in builder.status.value
    builder.source_path.value = "s3://raw/sales/"
    builder.load_schema()
    for row in builder.rows:
        row.keep.value = False
    builder.job_name.value = "empty"
    builder.target_path.value = "s3://out/"
    assert builder.submit() is None and "keeps no column" in builder.status.value
    builder.rows[0].keep.value = True
    builder.job_name.value = ""
    assert builder.submit() is None and "needs a name" in builder.status.value
    assert home_services.jobs.list_jobs({})["JobNames"] == []
