"""SigV4's credential scope is checked as AWS checks it, on a real ``gluelab serve`` whose region is not
us-east-1: a Glue action needs a signature scoped to ``glue`` and the endpoint's region; STS needs ``sts``
and the endpoint's region or ``us-east-1`` (AWS's global STS endpoint); S3 needs ``s3`` and the region
(AuthorizationHeaderMalformed naming it). gluelab's own clients sign with the configured region."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import boto3
import botocore.config
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from gluelab.cli import aws_clients_for_run
from gluelab.config import Settings
from tests.helpers import ServerProcess, gluelab_env, run_gluelab
from tests.jobs.runs_helpers import wait_run, write_script

REGION = "eu-west-1"
NO_RETRIES = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("scope") / "home"
    proc = ServerProcess(home, GLUELAB_REGION=REGION).start()
    yield proc
    proc.stop()


def client(server: ServerProcess, service: str, region: str = REGION):  # type: ignore[no-untyped-def]
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name=region,
        aws_access_key_id="gluelab",
        aws_secret_access_key=server.token,
        config=NO_RETRIES,
    )


def send(
    server: ServerProcess, body: bytes, headers: dict[str, str], service: str, region: str
) -> tuple[int, bytes]:
    """POST / signed with botocore's own signer for ``service`` and ``region``."""
    request = AWSRequest(method="POST", url=server.url + "/", data=body, headers=headers)
    SigV4Auth(Credentials("gluelab", server.token), service, region).add_auth(request)
    http = urllib.request.Request(
        server.url + "/", data=body, method="POST", headers=dict(request.headers.items())
    )
    try:
        with urllib.request.urlopen(http, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def glue_call(server: ServerProcess, action: str, request: dict, service: str, region: str = REGION):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AWSGlue.{action}"}
    status, body = send(server, json.dumps(request).encode(), headers, service, region)
    return status, json.loads(body)


def sts_call(server: ServerProcess, service: str, region: str) -> tuple[int, ElementTree.Element]:
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    status, body = send(server, b"Action=GetCallerIdentity&Version=2011-06-15", headers, service, region)
    return status, ElementTree.fromstring(body)


def xml_text(root: ElementTree.Element, tag: str) -> str:
    found = next((e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == tag), None)
    return "" if found is None else (found.text or "")


# -- Glue ----------------------------------------------------------------------------------------------------
def test_a_glue_client_of_another_region_is_refused(server: ServerProcess) -> None:
    with pytest.raises(ClientError) as caught:
        client(server, "glue", "eu-west-3").create_database(DatabaseInput={"Name": "elsewhere"})
    error = caught.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (
        403,
        "InvalidSignatureException",
    )
    assert error["Error"]["Message"].startswith(
        "Credential should be scoped to a valid region, not 'eu-west-3'."
    )
    assert REGION in error["Error"]["Message"]
    with pytest.raises(ClientError):  # us-east-1 is not this endpoint's region either
        client(server, "glue", "us-east-1").get_databases()
    assert client(server, "glue").get_databases()["DatabaseList"] == []  # nothing was created


@pytest.mark.parametrize("service", ["sts", "s3", "Glue", "lakeformation"])
def test_a_glue_action_signed_for_another_service_is_refused(server: ServerProcess, service: str) -> None:
    status, answer = glue_call(server, "CreateDatabase", {"DatabaseInput": {"Name": "sneaky"}}, service)
    assert (status, answer["__type"]) == (403, "InvalidSignatureException")
    assert answer["message"].startswith("Credential should be scoped to correct service: 'glue'.")
    assert glue_call(server, "GetDatabases", {}, "glue")[1]["DatabaseList"] == []


def test_a_glue_action_signed_for_glue_and_the_region_passes(server: ServerProcess) -> None:
    status, answer = glue_call(server, "GetDatabases", {}, "glue")
    assert (status, answer) == (200, {"DatabaseList": []})


# -- STS -----------------------------------------------------------------------------------------------------
def test_sts_signed_for_glue_is_refused(server: ServerProcess) -> None:
    status, answer = sts_call(server, "glue", REGION)
    assert status == 403
    assert xml_text(answer, "Code") == "InvalidSignatureException"
    assert xml_text(answer, "Message").startswith("Credential should be scoped to correct service: 'sts'.")


def test_sts_takes_the_region_or_the_global_endpoints_scope(server: ServerProcess) -> None:
    for region in (REGION, "us-east-1"):  # us-east-1: what botocore signs for STS's global endpoint
        status, answer = sts_call(server, "sts", region)
        assert status == 200 and xml_text(answer, "Account") == "123456789012", region
    status, answer = sts_call(server, "sts", "eu-west-3")
    assert status == 403
    assert xml_text(answer, "Message").startswith(
        "Credential should be scoped to a valid region, not 'eu-west-3'."
    )
    assert client(server, "sts").get_caller_identity()["Account"] == "123456789012"


# -- S3 ------------------------------------------------------------------------------------------------------
def test_s3_names_its_region_for_another_one(server: ServerProcess) -> None:
    request = AWSRequest(
        method="GET", url=server.url + "/", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
    )
    S3SigV4Auth(Credentials("gluelab", server.token), "s3", "eu-west-3").add_auth(request)
    http = urllib.request.Request(server.url + "/", method="GET", headers=dict(request.headers.items()))
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(http, timeout=30)
    body = caught.value.read()
    assert caught.value.code == 400
    assert b"AuthorizationHeaderMalformed" in body and f"<Region>{REGION}</Region>".encode() in body
    assert "Buckets" in client(server, "s3").list_buckets()


# -- gluelab's own clients use the configured region ---------------------------------------------------------
def test_gluelab_credentials_give_the_servers_region(server: ServerProcess) -> None:
    env = {"GLUELAB_REGION": REGION}
    given = json.loads(run_gluelab(server.home, "credentials", "--json", env=env).stdout)
    assert given["region_name"] == REGION and given["server_running"] is True
    del given["server_running"]
    assert boto3.client("glue", config=NO_RETRIES, **given).get_databases()["DatabaseList"] == []
    exports = run_gluelab(server.home, "credentials", "--env", env=env).stdout
    assert f"export AWS_DEFAULT_REGION={REGION}" in exports


def test_gluelab_run_gives_scripts_the_servers_region_over_the_users(
    server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith(("AWS_", "GLUELAB_"))]:
        monkeypatch.delenv(key)
    for key in ("AWS_ENDPOINT_URL_GLUE", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.setenv(key, "")  # registered, so that what aws_clients_for_run sets goes afterwards
        monkeypatch.delenv(key)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "")
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")  # the user's own region, for AWS
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # an earlier test's session caches its credentials
    settings = Settings.load(env=gluelab_env(server.home, GLUELAB_REGION=REGION))
    assert aws_clients_for_run(settings).startswith("boto3's glue, s3 and sts clients reach gluelab serve")
    assert os.environ["AWS_DEFAULT_REGION"] == os.environ["AWS_REGION"] == REGION
    assert boto3.client("glue", config=NO_RETRIES).get_databases()["DatabaseList"] == []


def test_a_job_runs_plain_boto3_client_signs_with_the_servers_region(
    server: ServerProcess, tmp_path: Path
) -> None:
    glue = client(server, "glue")
    script = write_script(
        tmp_path,
        "whoami.py",
        "import boto3\nprint('region', boto3.client('glue').meta.region_name)\n"
        "print('databases', boto3.client('glue').get_databases()['DatabaseList'])\n"
        "print('account', boto3.client('sts').get_caller_identity()['Account'])\n",
    )
    glue.create_job(Name="whoami", Role="r", Command={"Name": "pythonshell", "ScriptLocation": script})
    try:
        run_id = glue.start_job_run(JobName="whoami")["JobRunId"]
        run = wait_run(glue.get_job_run, "whoami", run_id)
        assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
        out = (server.home / "logs" / "runs" / run_id / "stdout.log").read_text()
        assert f"region {REGION}" in out and "databases []" in out and "account 123456789012" in out
    finally:
        glue.delete_job(JobName="whoami")
