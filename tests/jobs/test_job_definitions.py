"""Job definitions through boto3 against a real ``gluelab serve`` (SQLite, PostgreSQL): Glue's defaults,
UpdateJob replacing the whole definition, listings, and the errors Glue gives for bad definitions."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from gluelab.errors import InvalidInputException

ETL = {"Name": "glueetl", "ScriptLocation": "s3://scripts/etl.py"}


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_create_with_glue_defaults_and_get(glue):
    assert glue.create_job(Name="nightly", Role="r", Command=ETL)["Name"] == "nightly"
    job = glue.get_job(JobName="nightly")["Job"]
    assert job["Command"] == {**ETL, "PythonVersion": "3"}
    assert (job["GlueVersion"], job["Timeout"], job["MaxRetries"]) == ("5.0", 480, 0)
    assert job["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
    assert (job["WorkerType"], job["NumberOfWorkers"]) == ("G.1X", 10)
    assert job["JobMode"] == "SCRIPT" and job["ExecutionClass"] == "STANDARD"
    assert job["CreatedOn"] == job["LastModifiedOn"]

    glue.create_job(
        Name="shell",
        Role="r",
        Command={"Name": "pythonshell", "ScriptLocation": "/opt/jobs/shell.py"},
        GlueVersion="4.0",
    )
    shell = glue.get_job(JobName="shell")["Job"]
    assert shell["MaxCapacity"] == 0.0625 and shell["Command"]["PythonVersion"] == "3.9"
    assert shell["Timeout"] == 2880 and "WorkerType" not in shell


def test_update_replaces_the_whole_definition(glue):
    glue.create_job(
        Name="nightly",
        Role="r",
        Command=ETL,
        DefaultArguments={"--job-bookmark-option": "job-bookmark-enable"},
        MaxRetries=2,
    )
    glue.update_job(JobName="nightly", JobUpdate={"Role": "r2", "Command": ETL, "Timeout": 30})
    job = glue.get_job(JobName="nightly")["Job"]
    assert job["Role"] == "r2" and job["Timeout"] == 30
    assert "DefaultArguments" not in job and job["MaxRetries"] == 0  # not given: back to the default
    assert job["LastModifiedOn"] >= job["CreatedOn"]


def test_listings(glue):
    for name in ("a", "b", "c"):
        glue.create_job(Name=name, Role="r", Command=ETL, Tags={"team": "data" if name != "b" else "web"})
    first = glue.get_jobs(MaxResults=2)
    assert [j["Name"] for j in first["Jobs"]] == ["a", "b"]
    assert [j["Name"] for j in glue.get_jobs(NextToken=first["NextToken"])["Jobs"]] == ["c"]
    assert glue.list_jobs()["JobNames"] == ["a", "b", "c"]
    assert glue.list_jobs(Tags={"team": "data"})["JobNames"] == ["a", "c"]
    batch = glue.batch_get_jobs(JobNames=["a", "missing"])
    assert [j["Name"] for j in batch["Jobs"]] == ["a"] and batch["JobsNotFound"] == ["missing"]
    assert glue.delete_job(JobName="a")["JobName"] == "a"
    assert glue.delete_job(JobName="a")["JobName"] == "a"  # as on Glue: deleting a missing job succeeds
    assert glue.list_jobs()["JobNames"] == ["b", "c"]


@pytest.mark.parametrize(
    ("fields", "expected", "fragment"),
    [
        ({"WorkerType": "G.3X", "NumberOfWorkers": 2}, "InvalidInputException", "workerType"),
        ({"Timeout": 20000}, "InvalidInputException", "Timeout"),
        ({"Command": {"Name": "glueetl"}}, "InvalidInputException", "ScriptLocation"),
        ({"Command": {"Name": "glueray", "ScriptLocation": "x.py"}}, "InvalidInputException", "Ray"),
        ({"Command": {"Name": "mystery", "ScriptLocation": "x.py"}}, "InvalidInputException", "mystery"),
        ({"WorkerType": "G.1X"}, "InvalidInputException", "NumberOfWorkers"),
        (
            {"WorkerType": "G.1X", "NumberOfWorkers": 2, "MaxCapacity": 10.0},
            "InvalidInputException",
            "not both",
        ),
        ({"DefaultArguments": {"JOB_NAME": "x"}}, "InvalidInputException", "start with --"),
        ({"ExecutionProperty": {"MaxConcurrentRuns": 0}}, "InvalidInputException", "MaxConcurrentRuns"),
    ],
)
def test_bad_definitions_are_refused(glue, fields, expected, fragment):
    with pytest.raises(ClientError) as excinfo:
        glue.create_job(**{"Name": "bad", "Role": "r", "Command": ETL, **fields})
    assert code(excinfo) == expected
    assert fragment in excinfo.value.response["Error"]["Message"]
    assert glue.list_jobs()["JobNames"] == []


def test_unknown_and_duplicate_jobs(glue):
    glue.create_job(Name="once", Role="r", Command=ETL)
    with pytest.raises(ClientError) as duplicate:
        glue.create_job(Name="once", Role="r", Command=ETL)
    assert code(duplicate) == "AlreadyExistsException"
    for call in (
        lambda: glue.get_job(JobName="ghost"),
        lambda: glue.update_job(JobName="ghost", JobUpdate={"Role": "r", "Command": ETL}),
    ):
        with pytest.raises(ClientError) as missing:
            call()
        assert code(missing) == "EntityNotFoundException"


def test_arguments_that_are_not_strings_and_negative_timeouts_are_refused(services):
    # boto3 refuses these before sending; a raw request reaches the same validation (see test_fuzz).
    with pytest.raises(InvalidInputException, match="defaultArguments"):
        services.jobs.create_job(Name="bad", Role="r", Command=ETL, DefaultArguments={"--limit": 5})
    with pytest.raises(InvalidInputException, match="timeout"):
        services.jobs.create_job(Name="bad", Role="r", Command=ETL, Timeout=-5)
    assert services.jobs.list_jobs({})["JobNames"] == []


def test_jobs_cli(tmp_path):
    import json
    import subprocess

    from tests.helpers import run_gluelab

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_gluelab(tmp_path / "home", "jobs", *args, check=check)

    run(
        "create", "nightly", "--script", "s3://scripts/etl.py", "--arg", "--input=s3://in/", "--timeout", "30"
    )
    run("create", "shell", "--script", "/opt/s.py", "--type", "pythonshell")
    listed = run("list").stdout
    assert "nightly" in listed and "10 x G.1X" in listed and "0.0625 DPU" in listed
    shown = run("show", "nightly").stdout
    assert "timeout 30 min" in shown and '"--input": "s3://in/"' in shown
    run("update", "nightly", "--script", "s3://scripts/etl2.py", "--workers", "2", "--worker-type", "G.2X")
    job = json.loads(run("show", "nightly", "--json").stdout)["Job"]
    assert job["Command"]["ScriptLocation"] == "s3://scripts/etl2.py" and "DefaultArguments" not in job
    bad = run("create", "x", "--script", "a.py", "--worker-type", "G.1X", check=False)
    assert bad.returncode != 0 and "NumberOfWorkers" in bad.stderr
    missing = run("show", "ghost", check=False)
    assert missing.returncode != 0 and "EntityNotFoundException" in missing.stderr
