"""The kernel as a notebook drives it: magics before Spark, Spark on first use with the cell's own
configuration, %%sql tables, the catalog and bookmarks, errors, live progress, interrupts, and the
idle timeout that stops Spark. One kernel for the module; the tests run in order."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gluelab.services import Services
from tests.kernels import Kernel

pytestmark = pytest.mark.slow


def test_the_kernelspec_is_installed() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    spec = json.loads(listed.stdout)["kernelspecs"]["glue_pyspark_local"]["spec"]
    assert spec["display_name"] == "Glue PySpark (local)"
    assert spec["argv"][1:3] == ["-m", "gluelab.kernel"]


def test_magics_work_before_spark_starts(kernel: Kernel) -> None:
    cell = kernel.cell("%help")
    assert cell.status == "ok" and "%%sql" in cell.text and "%idle_timeout" in cell.text
    cell = kernel.cell("%status")
    assert "NOT_STARTED" in cell.text
    cell = kernel.cell("x = 6 * 7\nprint(x, 'spark' in globals())")
    assert cell.printed.strip() == "42 False"  # plain Python does not start Spark
    cell = kernel.cell("%session_id")
    assert "No session yet" in cell.text


def test_bad_magic_values_are_clear_errors(kernel: Kernel) -> None:
    cell = kernel.cell("%worker_type G.9X")
    assert cell.status == "error" and cell.reply["ename"] == "UsageError"
    assert "Unknown WorkerType 'G.9X'" in cell.text
    assert kernel.cell("%number_of_workers two").status == "error"
    assert "at least 1" in kernel.cell("%number_of_workers 0").text
    assert "positive number of minutes" in kernel.cell("%idle_timeout -3").text
    cell = kernel.cell("%%configure\n{'number_of_workers': ")
    assert cell.status == "error" and "expects a dict" in cell.text
    assert "key=value" in kernel.cell("%spark_conf nonsense").text
    assert "etl or streaming" in kernel.cell("%session_type batch").text
    assert "NOT_STARTED" in kernel.cell("%status").text  # nothing was lost or started


def test_first_use_starts_spark_with_the_cells_configuration(kernel: Kernel) -> None:
    code = (
        "%number_of_workers 3\n"
        "%worker_type G.025X\n"
        "%spark_conf spark.sql.shuffle.partitions=7\n"
        "%connections\n"
        "print(spark.conf.get('spark.sql.shuffle.partitions'), sc.master, type(glueContext).__name__)"
    )
    cell = kernel.cell(code)
    assert cell.status == "ok", cell.text
    assert "Starting a Spark session (3 x G.025X, Glue 5.0)" in cell.text
    assert "7 local[2] GlueContext" in cell.text  # 2 vCPUs x (3 - 1) workers, capped by this machine
    status = kernel.cell("%status").text
    assert "READY" in status and "G.025X" in status and "spark.sql.shuffle.partitions=7" in status
    session_id = kernel.cell("%session_id").text.split(":")[-1].strip()
    assert session_id in kernel.cell("%list_sessions").text
    note = kernel.cell("%number_of_workers 2").text
    assert "applies to the next one" in note


def test_sql_renders_a_table(kernel: Kernel) -> None:
    cell = kernel.cell("%%sql\nSELECT id, id * 2 AS twice FROM range(3)")
    assert cell.status == "ok"
    tables = [m["content"]["data"] for m in cell.of("display_data") if "twice" in str(m["content"]["data"])]
    assert tables and "<th>twice</th>" in tables[0]["text/html"] and "<td>4</td>" in tables[0]["text/html"]
    assert "3 rows" in tables[0]["text/plain"]
    cell = kernel.cell("%%sql -n 2 -o res\nSELECT * FROM range(10)")
    assert "only the first 2 rows shown" in cell.text
    assert kernel.cell("print(res.count())").printed.strip() == "10"
    cell = kernel.cell("%%sql\nSELECT * FROM no_such_table")
    assert cell.status == "error" and "TABLE_OR_VIEW_NOT_FOUND" in cell.text
    assert kernel.cell("%%sql -x\nSELECT 1").reply["ename"] == "UsageError"


def test_spark_reads_and_writes_the_lake_on_s3(kernel: Kernel, kernel_services: Services) -> None:
    cell = kernel.cell(
        'spark.range(4).write.mode("overwrite").parquet("s3://kernel-out/numbers/")\n'
        'print(spark.read.parquet("s3://kernel-out/numbers/").inputFiles()[0].split("/part-")[0])'
    )
    assert cell.status == "ok" and cell.printed.strip().splitlines()[-1] == "s3://kernel-out/numbers"
    assert list((kernel_services.settings.warehouse_dir / "kernel-out" / "numbers").glob("*.parquet"))


def test_catalog_tables_are_browsable_and_queryable(kernel: Kernel, kernel_services: Services) -> None:
    catalog = kernel_services.catalog
    folder = kernel_services.settings.warehouse_dir / "lake" / "people"
    folder.mkdir(parents=True)
    (folder / "p.csv").write_text("name,age\nada,36\nalan,41\n")
    catalog.create_database({"DatabaseInput": {"Name": "lake", "Description": "the lake"}})
    catalog.create_table(
        {
            "DatabaseName": "lake",
            "TableInput": {
                "Name": "people",
                "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
                "StorageDescriptor": {
                    "Location": "s3://lake/people/",
                    "Columns": [{"Name": "name", "Type": "string"}, {"Name": "age", "Type": "int"}],
                    "SerdeInfo": {"Parameters": {"field.delim": ","}},
                },
            },
        }
    )
    assert "lake" in kernel.cell("%catalog").text
    assert "people" in kernel.cell("%catalog lake").text
    columns = kernel.cell("%catalog lake.people").text
    assert "<td>age</td><td>int</td>" in columns
    cell = kernel.cell("%catalog lake.nothing")
    assert cell.status == "error" and "EntityNotFoundException" in cell.text
    cell = kernel.cell("%%sql\nSELECT name FROM lake.people WHERE age > 40")
    assert "<td>alan</td>" in cell.text and "<td>ada</td>" not in cell.text
    cell = kernel.cell(
        "frame = glueContext.create_dynamic_frame.from_catalog(database='lake', table_name='people')\n"
        "print(frame.count())"
    )
    assert cell.printed.strip().endswith("2")


def test_bookmarks_magic(kernel: Kernel, kernel_services: Services, tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text("print('hi')\n")
    kernel_services.jobs.create_job(
        {"Name": "nightly", "Role": "r", "Command": {"Name": "glueetl", "ScriptLocation": str(script)}}
    )
    state = {"kind": "s3", "s3": {"paths": ["s3://lake/people/"], "high_water_ms": 0, "files": {}}}
    kernel_services.bookmarks.commit("nightly", "jr_1", {"people_src": state})
    listing = kernel.cell("%bookmarks").text
    assert "nightly" in listing and "jr_1" in listing
    detail = kernel.cell("%bookmarks nightly").text
    assert "people_src" in detail and "s3://lake/people/" in detail
    cell = kernel.cell("%bookmarks nobody")
    assert cell.status == "error" and "has no bookmark" in cell.text


def test_errors_show_their_traceback(kernel: Kernel) -> None:
    cell = kernel.cell("def ratio(a, b):\n    return a / b\n\nratio(1, 0)")
    assert cell.status == "error" and cell.reply["ename"] == "ZeroDivisionError"
    error = cell.of("error")[0]["content"]
    assert error["evalue"] == "division by zero"
    assert any("ratio" in line for line in error["traceback"])
    assert kernel.cell("print(1 + 1)").printed.strip() == "2"  # the kernel goes on


def test_spark_progress_is_shown_live(kernel: Kernel) -> None:
    code = "import time\nsc.parallelize(range(8), 4).map(lambda x: time.sleep(0.6) or x).sum()"
    cell = kernel.cell(code)
    assert cell.status == "ok"
    shown = cell.of("display_data")
    updates = cell.of("update_display_data")
    assert shown and shown[0]["content"]["transient"]["display_id"].startswith("gluelab-progress")
    assert "<progress" in shown[0]["content"]["data"]["text/html"]
    assert updates and "done in" in updates[-1]["content"]["data"]["text/plain"]
    assert "(4 tasks)" in updates[-1]["content"]["data"]["text/plain"]


def test_interrupt_cancels_the_cells_spark_jobs(kernel: Kernel) -> None:
    code = "import time\nsc.parallelize(range(4), 4).map(lambda x: time.sleep(120) or x).sum()"
    started = time.monotonic()
    cell = kernel.cell(code, timeout=90, interrupt_after=5)
    assert cell.status == "error" and cell.reply["ename"] == "KeyboardInterrupt", cell.text
    assert time.monotonic() - started < 30
    assert "cancelled" in cell.of("update_display_data")[-1]["content"]["data"]["text/plain"]
    cell = kernel.cell("print(sc.statusTracker().getActiveJobsIds(), spark.range(3).count())")
    assert cell.printed.strip().endswith("[] 3")
    cell = kernel.cell("while True:\n    time.sleep(0.05)", timeout=60, interrupt_after=2)
    assert cell.reply["ename"] == "KeyboardInterrupt"
    assert kernel.cell("print(spark.range(4).count())").printed.strip().endswith("4")


def test_idle_timeout_stops_spark_and_the_next_cell_starts_it(kernel: Kernel, tmp_path: Path) -> None:
    helper = tmp_path / "helpermod.py"
    helper.write_text("def twice(x):\n    return 2 * x\n")
    cell = kernel.cell(f"%stop_session\n%extra_py_files {helper}\n%idle_timeout 0.05")
    assert cell.status == "ok" and "Setting the idle timeout to: 0.05 minutes" in cell.text
    cell = kernel.cell("import helpermod\nprint(sc.parallelize([1, 2], 2).map(helpermod.twice).collect())")
    assert cell.status == "ok", cell.text
    assert "[2, 4]" in cell.text  # the extra file reached Spark's Python workers too
    time.sleep(6)  # 3 s idle (no cell runs meanwhile: a cell is activity), then the kernel's check
    assert "TIMEOUT" in kernel.cell("%status").text
    kernel.cell("%idle_timeout 60")
    cell = kernel.cell("print(spark.range(2).count())")
    assert "The previous session is TIMEOUT; starting a new one" in cell.printed
    assert cell.printed.strip().endswith("2")
