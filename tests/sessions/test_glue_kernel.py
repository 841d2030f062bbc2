"""Glue's own interactive-sessions kernel (PyPI ``aws-glue-sessions`` 1.0.9, kernel ``glue_pyspark``),
unmodified, driven by jupyter_client against gluelab through the profile `gluelab endpoint aws-profile`
writes: its STS call, CreateSession and the wait for READY, a
DataFrame built, ``%%sql``, ``%status``, an error, ``%stop_session``. And STS on its own, with boto3."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import botocore.exceptions
import pytest
import requests

from tests.helpers import ServerProcess, run_gluelab
from tests.kernels import Kernel

pytestmark = pytest.mark.slow
ROLE = "arn:aws:iam::123456789012:role/gluelab"  # what `gluelab endpoint aws-profile` writes


def sts_client(endpoint: ServerProcess, secret: str | None = None):  # type: ignore[no-untyped-def]
    return boto3.client(
        "sts",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="gluelab",
        aws_secret_access_key=secret or endpoint.token,
    )


def test_sts_get_caller_identity(endpoint: ServerProcess) -> None:
    identity = sts_client(endpoint).get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == "arn:aws:iam::123456789012:user/gluelab"
    assert identity["UserId"].startswith("AIDA")


def test_sts_refuses_what_it_does_not_answer(endpoint: ServerProcess) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sts_client(endpoint).get_session_token()
    assert caught.value.response["Error"]["Code"] == "InvalidAction"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sts_client(endpoint, secret="wrong").get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    unsigned = requests.post(
        endpoint.url,
        data="Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert unsigned.status_code == 403


@pytest.fixture(scope="module")
def glue_kernel(endpoint: ServerProcess, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import aws_glue_interactive_sessions_kernel as package

    root = tmp_path_factory.mktemp("glue-kernel")
    spec = Path(package.__file__).parent / "glue_pyspark"
    subprocess.run(
        [sys.executable, "-m", "jupyter", "kernelspec", "install", str(spec), "--prefix", str(root)],
        check=True,
        capture_output=True,
    )
    # What a user does: `gluelab endpoint aws-profile`, then `%profile gluelab` in the notebook.
    aws = {"AWS_CONFIG_FILE": str(root / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(root / "credentials")}
    (root / "config").write_text("# the user's own\n[default]\nregion = eu-west-1\n")
    run_gluelab(endpoint.home, "endpoint", "aws-profile", env=aws)
    assert "[default]" in (root / "config").read_text()  # the rest of the file is kept
    refused = run_gluelab(endpoint.home, "endpoint", "aws-profile", env=aws, check=False)
    assert refused.returncode != 0 and "--force" in refused.stderr + refused.stdout
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GLUELAB_"))}
    started = Kernel("glue_pyspark", {**env, **aws}, [root / "share" / "jupyter" / "kernels"])
    yield started
    started.close()


def test_first_cell_creates_a_session_and_builds_a_dataframe(
    glue_kernel: Kernel, endpoint: ServerProcess
) -> None:
    cell = glue_kernel.cell(
        "%profile gluelab\n"
        "%idle_timeout 30\n"
        "%number_of_workers 2\n"
        "df = spark.createDataFrame([(1, 'ada'), (2, 'alan')], ['id', 'name'])\n"
        "df.filter('id > 1').show()",
        timeout=300,
    )
    assert cell.status == "ok", cell.text
    assert "Session" in cell.text and "created" in cell.text, cell.text
    assert "alan" in cell.text and "ada" not in cell.text.split("alan")[0].split("+")[-1]
    sessions = endpoint.client().list_sessions()["Sessions"]
    mine = [s for s in sessions if s["Status"] == "READY" and s.get("IdleTimeout") == 30]
    assert mine and mine[0]["Role"] == ROLE and mine[0]["NumberOfWorkers"] == 2


def test_sql_and_status(glue_kernel: Kernel) -> None:
    cell = glue_kernel.cell("%%sql\nSELECT id * 21 AS answer FROM range(3) WHERE id = 2")
    assert cell.status == "ok" and "answer" in cell.text and "42" in cell.text, cell.text
    cell = glue_kernel.cell("%status")
    assert "READY" in cell.text and ROLE in cell.text, cell.text


def test_an_error_is_shown(glue_kernel: Kernel) -> None:
    cell = glue_kernel.cell("1 / 0")
    assert "ZeroDivisionError" in cell.text and "division by zero" in cell.text


def test_stop_session(glue_kernel: Kernel, endpoint: ServerProcess) -> None:
    session_id = glue_kernel.cell("%session_id").text.split(":")[-1].strip()
    assert session_id
    cell = glue_kernel.cell("%stop_session")
    assert f"Stopping session: {session_id}" in cell.text, cell.text
    status = endpoint.client().get_session(Id=session_id)["Session"]["Status"]
    assert status in ("STOPPING", "STOPPED")
