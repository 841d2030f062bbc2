"""Spark SQL semantics per GlueVersion, and boto3 inside ``gluelab run``, through real runs of one Glue
script (``scripts/parity_probe.py``): ``gluelab run`` as Glue 5.0 against a home a ``gluelab serve``
serves, ``gluelab run --glue-version 6.0`` against a home nothing serves, and a GlueVersion 5.0 job run
started with boto3 through that server. Each prints what it observed as one JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.helpers import ServerProcess, gluelab_env

SCRIPT = Path(__file__).parent / "scripts" / "parity_probe.py"
DATABASE, BUCKET = "parity_db", "parity-bucket"
pytestmark = pytest.mark.slow


def parity(output: str) -> dict:
    """The probe's ``PARITY {...}`` line."""
    lines = [line for line in output.splitlines() if line.startswith("PARITY ")]
    assert len(lines) == 1, output[-3000:]
    return json.loads(lines[0].removeprefix("PARITY "))


def gluelab_run(home: Path, *options: str, script_args: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "gluelab", "run", *options, str(SCRIPT)]
    command += ["--JOB_NAME", "parity", "--database", DATABASE, "--bucket", BUCKET, *script_args]
    env = gluelab_env(home, AWS_EC2_METADATA_DISABLED="true")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A home served by ``gluelab serve``, with two catalog tables and an object in a bucket."""
    server = ServerProcess(tmp_path_factory.mktemp("parity-served") / "home").start()
    glue = server.client()
    glue.create_database(DatabaseInput={"Name": DATABASE})
    for name in ("orders", "customers"):
        glue.create_table(DatabaseName=DATABASE, TableInput={"Name": name})
    s3 = boto3.client("s3", **server.credentials())
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="raw/orders.csv", Body=b"id,amount\n1,7.25\n")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def glue_50(served: ServerProcess) -> tuple[dict, str]:
    """``gluelab run`` with gluelab's default GlueVersion (5.0), and the Glue-documented ``--conf`` for
    Parquet timestamps written by Spark 2, under its pre-Spark-4 name."""
    legacy_conf = "spark.sql.legacy.parquet.int96RebaseModeInRead=CORRECTED"
    result = gluelab_run(served.home, script_args=("--conf", legacy_conf))
    return parity(result.stdout), result.stderr


@pytest.fixture(scope="module")
def glue_60(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    result = gluelab_run(tmp_path_factory.mktemp("parity-alone") / "home", "--glue-version", "6.0")
    return parity(result.stdout), result.stderr


@pytest.fixture(scope="module")
def job_run_50(served: ServerProcess) -> dict:
    """A glueetl job with GlueVersion 5.0 started through the Glue API with boto3; the probe's output."""
    glue = served.client()
    glue.create_job(
        Name="parity",
        Role="local",
        GlueVersion="5.0",
        Command={"Name": "glueetl", "ScriptLocation": str(SCRIPT)},
        DefaultArguments={"--database": DATABASE, "--bucket": BUCKET},
    )
    run_id = glue.start_job_run(JobName="parity")["JobRunId"]
    until = time.monotonic() + 600
    while (run := glue.get_job_run(JobName="parity", RunId=run_id)["JobRun"])["JobRunState"] in (
        "STARTING",
        "RUNNING",
        "WAITING",
    ):
        assert time.monotonic() < until, "the job run did not finish in 600 s"
        time.sleep(0.5)
    logs = served.home / "logs" / "runs" / run_id
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage", "") + (logs / "stderr.log").read_text()
    return parity((logs / "stdout.log").read_text())


# What Spark 3.5 (Glue 5.0, https://docs.aws.amazon.com/glue/latest/dg/migrating-version-50.html) gives:
# ANSI mode off, so invalid input is null and integer overflow wraps
# (https://spark.apache.org/docs/3.5.4/sql-ref-ansi-compliance.html), and the EXCEPTION time parser
# policy fails a date the Spark 2 parser would have read differently.
SPARK_35_SEMANTICS = {
    "impossible_date": {"row": [None]},
    "failed_cast": {"row": [None]},
    "int_overflow": {"row": [-2147483648]},
    "long_to_int": {"row": [-2147483648]},
    "divide_by_zero": {"row": [None]},
    "dataframe_casts": {"row": [None, None]},
    "pattern_mismatch": {"error": "INCONSISTENT_BEHAVIOR_CROSS_VERSION.PARSE_DATETIME_BY_NEW_PARSER"},
}
SPARK_35_SETTINGS = {
    "spark.sql.ansi.enabled": "false",
    "spark.sql.legacy.timeParserPolicy": "EXCEPTION",
    "spark.sql.legacy.ctePrecedencePolicy": "EXCEPTION",
    "spark.sql.parquet.int96RebaseModeInRead": "EXCEPTION",
    "spark.sql.parquet.datetimeRebaseModeInWrite": "EXCEPTION",
    "spark.sql.orc.compression.codec": "snappy",
}


def test_glue_50_runs_spark_sql_as_spark_35_does(glue_50):
    observed, stderr = glue_50
    assert observed["semantics"] == SPARK_35_SEMANTICS
    # The user's --conf wins over the version's settings, under the name Glue's documentation gives it.
    assert observed["settings"] == {
        **SPARK_35_SETTINGS,
        "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
    }
    assert "gluelab: GlueVersion 5.0: Spark SQL with the defaults of Spark 3.5.4 (ANSI mode off)" in stderr


def test_glue_60_runs_spark_4_sql_with_ansi_mode_on(glue_60):
    # AWS Glue 6.0 runs Apache Spark 4.1.1 (https://docs.aws.amazon.com/glue/latest/dg/migrating-version-60.html),
    # whose defaults are ANSI mode on and the CORRECTED time parser policy
    # (https://spark.apache.org/docs/4.0.0/sql-migration-guide.html#upgrading-from-spark-sql-35-to-40).
    observed, stderr = glue_60
    assert observed["semantics"] == {
        "impossible_date": {"error": "CAST_INVALID_INPUT"},
        "failed_cast": {"error": "CAST_INVALID_INPUT"},
        "int_overflow": {"error": "ARITHMETIC_OVERFLOW"},
        "long_to_int": {"error": "CAST_OVERFLOW"},
        "divide_by_zero": {"error": "DIVIDE_BY_ZERO"},
        "dataframe_casts": {"error": "CAST_INVALID_INPUT"},
        "pattern_mismatch": {"error": "CANNOT_PARSE_TIMESTAMP"},
    }
    assert observed["settings"] == {
        "spark.sql.ansi.enabled": "true",
        "spark.sql.legacy.timeParserPolicy": "CORRECTED",
        "spark.sql.legacy.ctePrecedencePolicy": "CORRECTED",
        "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
        "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
        "spark.sql.orc.compression.codec": "zstd",
    }
    assert "gluelab: GlueVersion 6.0: Spark SQL with the defaults of Spark 4.1.1 (ANSI mode on)" in stderr


def test_a_glue_50_job_run_started_through_the_api_gets_spark_35_sql(job_run_50):
    assert job_run_50["semantics"] == SPARK_35_SEMANTICS
    assert job_run_50["settings"] == SPARK_35_SETTINGS


def test_boto3_in_gluelab_run_reaches_the_gluelab_serve_of_the_home(glue_50, served):
    observed, stderr = glue_50
    assert observed["aws"] == {"tables": ["customers", "orders"], "keys": ["raw/orders.csv"]}
    first_line = stderr.splitlines()[0]
    assert first_line == (
        f"gluelab: boto3's glue, s3 and sts clients reach gluelab serve at {served.url} "
        "(AWS_ENDPOINT_URL_GLUE, _S3, _STS)"
    )


def test_with_nothing_serving_the_home_the_script_runs_and_the_log_says_where_boto3_goes(glue_60):
    observed, stderr = glue_60
    assert observed["aws"] == {"error": "NoRegionError"}  # no endpoint, region or credentials were added
    first_line = stderr.splitlines()[0]
    assert first_line.startswith("gluelab: nothing serves ") and "boto3 calls in the script go to AWS's" in (
        first_line
    )
