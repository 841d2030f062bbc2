"""The Python data world's own clients, unmodified, against the lake of a real ``gluelab serve``: the AWS CLI
(``cp``, ``ls``, ``sync``; by environment and by ``gluelab endpoint aws-profile``), pandas through s3fs,
pyarrow's S3FileSystem, awswrangler writing a catalog table that a Spark job then reads, and job runs (Python
shell, Spark, notebook) whose plain ``boto3.client("s3")`` and ``spark.read``/``df.write`` reach the lake."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_gluelab
from tests.jobs.runs_helpers import wait_run

AWS = shutil.which("aws", path=str(Path(sys.executable).parent)) or "aws"


def aws(server, *args: str, env: dict[str, str] | None = None) -> str:  # type: ignore[no-untyped-def]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [AWS, *args], env={**clean, **(env or server.aws_env())}, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_aws_cli_copies_lists_and_syncs(lake_server, s3, bucket, tmp_path):
    local = tmp_path / "landing"
    (local / "day=1").mkdir(parents=True)
    (local / "day=1" / "a.csv").write_text("id\n1\n")
    (local / "b.json").write_text('{"id": 2}\n')
    aws(lake_server, "s3", "cp", str(local / "b.json"), f"s3://{bucket}/in/b.json")
    assert "b.json" in aws(lake_server, "s3", "ls", f"s3://{bucket}/in/")
    synced = aws(lake_server, "s3", "sync", str(local), f"s3://{bucket}/mirror/")
    assert synced.count("upload:") == 2
    assert "upload:" not in aws(
        lake_server, "s3", "sync", str(local), f"s3://{bucket}/mirror/"
    )  # nothing new
    listed = aws(lake_server, "s3", "ls", "--recursive", f"s3://{bucket}/")
    assert {line.split()[-1] for line in listed.splitlines()} == {
        "in/b.json",
        "mirror/b.json",
        "mirror/day=1/a.csv",
    }
    back = tmp_path / "back"
    aws(lake_server, "s3", "cp", "--recursive", f"s3://{bucket}/mirror/", str(back))
    assert (back / "day=1" / "a.csv").read_text() == "id\n1\n"
    aws(lake_server, "s3", "rm", "--recursive", f"s3://{bucket}/mirror/")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["in/b.json"]


def test_the_aws_profile_gluelab_writes_reaches_s3(lake_server, bucket, tmp_path):
    files = {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "creds"),
    }
    run_gluelab(lake_server.home, "endpoint", "aws-profile", env=files)
    assert "addressing_style = path" in (tmp_path / "config").read_text()
    assert bucket in aws(lake_server, "--profile", "gluelab", "s3", "ls", env=files)


def test_pandas_pyarrow_and_awswrangler(lake_server, s3, bucket, monkeypatch):
    for key, value in lake_server.aws_env().items():
        monkeypatch.setenv(key, value)
    import pandas as pd
    import pyarrow.fs as pafs

    s3.put_object(Bucket=bucket, Key="csv/people.csv", Body=b"id,name\n1,ada\n2,grace\n")
    frame = pd.read_csv(f"s3://{bucket}/csv/people.csv")  # s3fs, configured by the environment alone
    assert frame.to_dict("list") == {"id": [1, 2], "name": ["ada", "grace"]}

    fs = pafs.S3FileSystem(
        endpoint_override=lake_server.url.removeprefix("http://"),
        scheme="http",
        access_key="gluelab",
        secret_key=lake_server.token,
        region="us-east-1",
    )
    with fs.open_output_stream(f"{bucket}/arrow/blob.bin") as out:
        out.write(b"\x00\x01" * 50_000)
    assert fs.get_file_info(f"{bucket}/arrow/blob.bin").size == 100_000
    with fs.open_input_file(f"{bucket}/csv/people.csv") as handle:
        assert handle.read().startswith(b"id,name")
    listed = fs.get_file_info(pafs.FileSelector(bucket, recursive=True))
    assert {i.path for i in listed if i.type == pafs.FileType.File} == {
        f"{bucket}/csv/people.csv",
        f"{bucket}/arrow/blob.bin",
    }


@pytest.mark.slow
def test_awswrangler_writes_a_catalog_table_that_a_spark_job_reads(lake_server, s3, bucket, monkeypatch):
    for key, value in lake_server.aws_env().items():
        monkeypatch.setenv(key, value)
    import awswrangler as wr
    import pandas as pd

    glue = lake_server.client()
    glue.create_database(DatabaseInput={"Name": "wrangled"})
    frame = pd.DataFrame({"id": [1, 2, 3], "city": ["Oslo", "Lima", "Pune"], "temp": [4.5, 19.0, 31.25]})
    wr.s3.to_parquet(
        frame, f"s3://{bucket}/tables/weather/", dataset=True, database="wrangled", table="weather"
    )
    table = glue.get_table(DatabaseName="wrangled", Name="weather")["Table"]
    assert table["StorageDescriptor"]["Location"] == f"s3://{bucket}/tables/weather/"
    back = wr.s3.read_parquet(f"s3://{bucket}/tables/weather/", dataset=True)
    assert back.sort_values("id")["city"].tolist() == ["Oslo", "Lima", "Pune"]

    # A Glue ETL job, its script uploaded to the lake, reads the table, writes with Spark's own writer, and
    # leaves a summary object with a plain boto3 S3 client.
    script = f'''
import sys, json
import boto3
from pyspark.context import SparkContext
from pyspark.sql.functions import input_file_name
from awsglue.context import GlueContext
from awsglue.utils import getResolvedOptions
args = getResolvedOptions(sys.argv, ["JOB_NAME"])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
weather = glueContext.create_dynamic_frame.from_catalog(database="wrangled", table_name="weather")
hot = spark.sql("SELECT city FROM wrangled.weather WHERE temp > 10 ORDER BY city")
hot.write.mode("overwrite").json("s3://{bucket}/reports/hot/")
again = spark.read.load("s3://{bucket}/reports/hot/", format="json")
sources = sorted({{r[0].rsplit("/", 1)[0] for r in again.select(input_file_name()).collect()}})
hot_cities = [r.city for r in again.orderBy("city").collect()]
summary = {{"rows": weather.count(), "hot": hot_cities, "from": sources}}
boto3.client("s3").put_object(Bucket="{bucket}", Key="reports/summary.json", Body=json.dumps(summary))
'''
    s3.put_object(Bucket=bucket, Key="scripts/report.py", Body=script.encode())
    glue.create_job(
        Name="weather_report",
        Role="r",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/scripts/report.py"},
    )
    run_id = glue.start_job_run(JobName="weather_report")["JobRunId"]
    run = wait_run(glue.get_job_run, "weather_report", run_id, timeout=240)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    summary = json.loads(s3.get_object(Bucket=bucket, Key="reports/summary.json")["Body"].read())
    assert summary == {"rows": 3, "hot": ["Lima", "Pune"], "from": [f"s3://{bucket}/reports/hot"]}


def test_a_python_shell_job_lists_buckets_and_copies_an_object(lake_server, s3, bucket, tmp_path):
    s3.put_object(Bucket=bucket, Key="incoming/orders.csv", Body=b"id\n7\n")
    script = f'''
import boto3
s3 = boto3.client("s3")
print("buckets:", "{bucket}" in [b["Name"] for b in s3.list_buckets()["Buckets"]])
source = {{"Bucket": "{bucket}", "Key": "incoming/orders.csv"}}
s3.copy_object(Bucket="{bucket}", Key="archive/orders.csv", CopySource=source)
s3.delete_object(Bucket="{bucket}", Key="incoming/orders.csv")
archived = s3.list_objects_v2(Bucket="{bucket}", Prefix="archive/")["Contents"]
print("archived:", [o["Key"] for o in archived])
'''
    glue = lake_server.client()
    s3.put_object(Bucket=bucket, Key="scripts/archive.py", Body=script.encode())
    glue.create_job(
        Name=f"archive-{bucket}",
        Role="r",
        Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/scripts/archive.py"},
    )
    run_id = glue.start_job_run(JobName=f"archive-{bucket}")["JobRunId"]
    run = wait_run(glue.get_job_run, f"archive-{bucket}", run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    out = (lake_server.home / "logs" / "runs" / run_id / "stdout.log").read_text()
    assert "buckets: True" in out and "archived: ['archive/orders.csv']" in out
    assert s3.get_object(Bucket=bucket, Key="archive/orders.csv")["Body"].read() == b"id\n7\n"


@pytest.mark.slow
def test_a_notebook_job_writes_with_spark_and_lists_with_boto3(lake_server, bucket, tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "glue_pyspark_local", "display_name": "Glue PySpark (local)"}
    notebook.cells = [
        nbformat.v4.new_code_cell(f'out = "s3://{bucket}/nb/numbers/"'),
        nbformat.v4.new_code_cell(
            "spark.range(5).write.mode('overwrite').parquet(out)\nspark.read.parquet(out).count()"
        ),
        nbformat.v4.new_code_cell(
            "import boto3\n"
            f'listed = boto3.client("s3").list_objects_v2(Bucket="{bucket}", Prefix="nb/")\n'
            'keys = [o["Key"] for o in listed["Contents"]]\n'
            "print('parquet files:', sum(k.endswith('.parquet') for k in keys), '_SUCCESS' in str(keys))"
        ),
    ]
    path = tmp_path / "lake_note.ipynb"
    nbformat.write(notebook, path)
    run_gluelab(lake_server.home, "notebooks", "promote", str(path), "--name", f"note-{bucket}")
    out = run_gluelab(lake_server.home, "jobs", "run", f"note-{bucket}", "--follow").stdout
    assert "SUCCEEDED" in out, out
    [run] = lake_server.client().get_job_runs(JobName=f"note-{bucket}")["JobRuns"]
    executed = nbformat.read(lake_server.home / "logs" / "runs" / run["Id"] / "output.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    results = [o["data"]["text/plain"] for c in executed.cells for o in c.get("outputs", []) if "data" in o]
    assert "5" in results and "parquet files:" in printed and "True" in printed
