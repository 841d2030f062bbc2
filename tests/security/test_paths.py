"""Locations follow the lake's one rule (README, "The lake"): ``s3://bucket/key`` is
``<warehouse>/bucket/key`` and may not resolve, through a symbolic link, outside the warehouse; ``file://``
and ``/path`` are local files; a relative path is no location. A crawl skips (with a warning in its log)
a warehouse file that links out of the warehouse; a job's ScriptLocation or location arguments that are
relative are refused, never taken from the server's working directory. Through a real ``gluelab serve``
and boto3."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers import ServerProcess

ROLE = "arn:aws:iam::123456789012:role/crawler"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the module (the rule does not depend on the store: SQLite)."""
    home = tmp_path_factory.mktemp("paths") / "home"
    proc = ServerProcess(home).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def glue(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client()


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def _crawl(glue, name: str, path: str, database: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_crawler(Name=name, Role=ROLE, DatabaseName=database, Targets={"S3Targets": [{"Path": path}]})
    glue.start_crawler(Name=name)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        crawls = glue.list_crawls(CrawlerName=name)["Crawls"]
        ready = glue.get_crawler(Name=name)["Crawler"]["State"] == "READY"
        if ready and crawls and crawls[0]["State"] != "RUNNING":
            return crawls[0]
        time.sleep(0.2)
    raise AssertionError(f"crawler {name} did not finish")


def _columns(glue, database: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    tables = glue.get_tables(DatabaseName=database)["TableList"]
    return {t["Name"]: [c["Name"] for c in t["StorageDescriptor"]["Columns"]] for t in tables}


def test_a_crawl_skips_a_warehouse_link_to_a_file_outside_the_warehouse(glue, server, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("password,ssn\nhunter2,123-45-6789\n")
    (outside / "more").mkdir()
    (outside / "more" / "other.csv").write_text("card,pin\n4111,1234\n")
    lake = server.home / "warehouse" / "lake"
    (lake / "orders").mkdir(parents=True)
    (lake / "orders" / "a.csv").write_text("id,amount\n1,10\n2,20\n")
    (lake / "orders" / "b.csv").symlink_to(outside / "secret.csv")  # among real files
    (lake / "leak").mkdir()
    (lake / "leak" / "only.csv").symlink_to(outside / "secret.csv")  # a folder of nothing but the link
    (lake / "linked-folder").symlink_to(outside / "more", target_is_directory=True)
    (lake / "inside").mkdir()
    (lake / "inside" / "alias.csv").symlink_to(lake / "orders" / "a.csv")  # a link within: a file as any

    crawl = _crawl(glue, "links", "s3://lake/", "linkdb")

    assert crawl["State"] == "COMPLETED", crawl
    # orders/ and inside/ (same columns) make one table with a partition each, as Glue groups them; the
    # folder holding only the link out, and the linked folder, make nothing.
    assert _columns(glue, "linkdb") == {"lake": ["id", "amount"]}
    partitions = glue.get_partitions(DatabaseName="linkdb", TableName="lake")["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [["inside"], ["orders"]]
    log = (server.home / "logs" / "crawlers" / "links" / f"{crawl['CrawlId']}.log").read_text()
    assert "WARN skipped orders/b.csv: a symbolic link to a file outside the warehouse" in log
    assert "WARN skipped leak/only.csv: a symbolic link to a file outside the warehouse" in log


def test_preview_and_crawl_agree_a_link_out_is_refused(glue, server, tmp_path):
    """The crawl never makes a table of a link out; a table made by hand over it is refused by the
    preview, which applies the same rule."""
    outside = tmp_path / "secret.csv"
    outside.write_text("password\nhunter2\n")
    folder = server.home / "warehouse" / "lake2" / "t"
    folder.mkdir(parents=True)
    (folder / "x.csv").symlink_to(outside)
    crawl = _crawl(glue, "links2", "s3://lake2/", "previewdb")
    assert crawl["State"] == "COMPLETED"
    assert _columns(glue, "previewdb") == {}
    glue.create_table(
        DatabaseName="previewdb",
        TableInput={
            "Name": "by_hand",
            "StorageDescriptor": {
                "Columns": [{"Name": "password", "Type": "string"}],
                "Location": "s3://lake2/t/",
                "SerdeInfo": {"Parameters": {"field.delim": ","}},
            },
            "Parameters": {"classification": "csv"},
        },
    )
    status, body = server.call("GetTablePreview", {"DatabaseName": "previewdb", "Name": "by_hand"})
    assert status == 400 and "outside the warehouse" in body["message"], body
    assert "hunter2" not in str(body)


@pytest.mark.parametrize("location", ["job.py", "../x.py", "scripts/job.py", "./job.py"])
def test_create_job_with_a_relative_script_location_is_refused(glue, location):
    with pytest.raises(ClientError) as excinfo:
        glue.create_job(Name="rel", Role="r", Command={"Name": "pythonshell", "ScriptLocation": location})
    code, message = _error(excinfo)
    assert code == "InvalidInputException"
    assert repr(location) in message and "relative path" in message and "s3://bucket/key" in message
    assert "rel" not in glue.list_jobs()["JobNames"]


def test_update_job_and_start_job_run_refuse_relative_locations(glue, tmp_path):
    script = tmp_path / "ok.py"
    script.write_text("print('ok')\n")
    command = {"Name": "pythonshell", "ScriptLocation": str(script)}
    glue.create_job(Name="absolute", Role="r", Command=command)
    try:
        with pytest.raises(ClientError) as excinfo:
            glue.update_job(
                JobName="absolute",
                JobUpdate={"Role": "r", "Command": {**command, "ScriptLocation": "job.py"}},
            )
        assert _error(excinfo)[0] == "InvalidInputException"
        assert glue.get_job(JobName="absolute")["Job"]["Command"]["ScriptLocation"] == str(script)
        for arguments in (
            {"--scriptLocation": "job.py"},
            {"--extra-py-files": f"{tmp_path}/lib.py,lib2.py"},
            {"--extra-files": "data/lookup.csv"},
            {"--TempDir": "tmp/"},
        ):
            with pytest.raises(ClientError) as excinfo:
                glue.start_job_run(JobName="absolute", Arguments=arguments)
            code, message = _error(excinfo)
            assert code == "InvalidInputException" and "relative path" in message, message
            assert next(iter(arguments)) in message
        assert glue.get_job_runs(JobName="absolute")["JobRuns"] == []
        with pytest.raises(ClientError) as excinfo:
            glue.create_job(
                Name="bad-defaults", Role="r", Command=command, DefaultArguments={"--extra-jars": "x.jar"}
            )
        assert _error(excinfo)[0] == "InvalidInputException"
    finally:
        glue.delete_job(JobName="absolute")


def test_absolute_and_lake_locations_are_still_accepted(glue, server, tmp_path):
    (server.home / "warehouse" / "scripts").mkdir(parents=True, exist_ok=True)
    (server.home / "warehouse" / "scripts" / "job.py").write_text("print('lake')\n")
    for name, location in (
        ("lake-job", "s3://scripts/job.py"),
        ("file-job", f"file://{tmp_path}/job.py"),
        ("abs-job", f"{tmp_path}/job.py"),
    ):
        glue.create_job(Name=name, Role="r", Command={"Name": "pythonshell", "ScriptLocation": location})
        assert glue.get_job(JobName=name)["Job"]["Command"]["ScriptLocation"] == location
        glue.delete_job(JobName=name)
    with pytest.raises(ClientError) as excinfo:
        glue.create_job(
            Name="escape", Role="r", Command={"Name": "pythonshell", "ScriptLocation": "s3://scripts/../x.py"}
        )
    assert _error(excinfo)[0] == "InvalidInputException"


@pytest.mark.parametrize("action", ["PromoteNotebook", "DescribeNotebook"])
def test_a_relative_notebook_path_is_refused_by_the_server(server, action):
    """The lab's own face takes a relative NotebookPath from its root; the server has no such root."""
    status, body = server.call(action, {"NotebookPath": "reports/daily.ipynb"})
    assert status == 400 and body["__type"] == "InvalidInputException", body
    assert "relative path" in body["message"]
