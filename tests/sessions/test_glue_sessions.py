"""Glue's interactive-sessions API with boto3 against a real ``gluelab serve``: a session's lifecycle,
statements with their outputs, cancel, and the errors Glue answers bad requests with."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.helpers import ServerProcess

pytestmark = pytest.mark.slow

COMMAND = {"Name": "glueetl", "PythonVersion": "3"}
ROLE = "arn:aws:iam::123456789012:role/GlueDev"


@pytest.fixture(scope="module")
def glue(endpoint: ServerProcess):  # type: ignore[no-untyped-def]
    return endpoint.client()


def wait_ready(glue: Any, session_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session = glue.get_session(Id=session_id)["Session"]
        if session["Status"] != "PROVISIONING":
            return session
        time.sleep(0.2)
    raise AssertionError(f"{session_id} still PROVISIONING after {timeout} s")


def run(glue: Any, session_id: str, code: str, timeout: float = 120) -> dict[str, Any]:
    statement_id = glue.run_statement(SessionId=session_id, Code=code)["Id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statement = glue.get_statement(SessionId=session_id, Id=statement_id)["Statement"]
        if statement["State"] in ("AVAILABLE", "CANCELLED", "ERROR"):
            return statement
        time.sleep(0.1)
    raise AssertionError(f"statement {statement_id} did not finish")


@pytest.fixture(scope="module")
def session(glue: Any):  # type: ignore[no-untyped-def]
    glue.create_session(
        Id="dev-1",
        Role="arn:aws:iam::123456789012:role/GlueDev",
        Command=COMMAND,
        WorkerType="G.1X",
        NumberOfWorkers=2,
        IdleTimeout=30,
        DefaultArguments={"--conf": "spark.sql.shuffle.partitions=5"},
        Tags={"team": "data"},
    )
    yield "dev-1"
    glue.delete_session(Id="dev-1")


def test_session_becomes_ready_with_its_settings(glue: Any, session: str) -> None:
    ready = wait_ready(glue, session)
    assert ready["Status"] == "READY"
    assert ready["WorkerType"] == "G.1X" and ready["NumberOfWorkers"] == 2 and ready["IdleTimeout"] == 30
    assert ready["Command"] == COMMAND and ready["Role"].endswith("role/GlueDev")
    shuffle = run(glue, session, "spark.conf.get('spark.sql.shuffle.partitions')")
    assert shuffle["Output"]["Data"]["TextPlain"] == "'5'"


def test_statements_and_their_outputs(glue: Any, session: str) -> None:
    wait_ready(glue, session)
    ok = run(glue, session, "df = spark.createDataFrame([(1, 'a'), (2, 'b')], ['id', 'v'])\ndf.count()")
    assert ok["State"] == "AVAILABLE" and ok["Progress"] == 1.0
    assert ok["Output"] == {"Data": {"TextPlain": "2"}, "ExecutionCount": ok["Id"], "Status": "ok"}
    shown = run(glue, session, 'spark.sql("""SELECT id FROM VALUES (7) AS t(id)""").show()')
    assert "|  7|" in shown["Output"]["Data"]["TextPlain"]
    dynamic = run(glue, session, "glueContext.create_dynamic_frame.from_rdd(df.rdd, 'x').count()")
    assert dynamic["Output"]["Data"]["TextPlain"] == "2"
    lake = run(
        glue,
        session,
        'df.write.mode("overwrite").json("s3://session-out/df/")\nspark.read.json("s3://session-out/df/").count()',
    )
    assert lake["Output"]["Data"]["TextPlain"] == "2"
    failed = run(glue, session, "1 / 0")
    assert failed["State"] == "AVAILABLE"
    assert failed["Output"]["Status"] == "error"
    assert (failed["Output"]["ErrorName"], failed["Output"]["ErrorValue"]) == (
        "ZeroDivisionError",
        "division by zero",
    )
    assert failed["Output"]["Traceback"][-1].startswith("ZeroDivisionError")
    listed = glue.list_statements(SessionId=session)["Statements"]
    assert [s["Id"] for s in listed][-3:] == [dynamic["Id"], lake["Id"], failed["Id"]]


def test_cancel_statement(glue: Any, session: str) -> None:
    wait_ready(glue, session)
    statement_id = glue.run_statement(SessionId=session, Code="import time\ntime.sleep(60)")["Id"]
    time.sleep(0.5)
    glue.cancel_statement(SessionId=session, Id=statement_id)
    deadline = time.monotonic() + 20
    while glue.get_statement(SessionId=session, Id=statement_id)["Statement"]["State"] != "CANCELLED":
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_list_sessions_by_tag(glue: Any, session: str) -> None:
    listed = glue.list_sessions(Tags={"team": "data"})
    assert listed["Ids"] == [session]
    assert listed["Sessions"][0]["Id"] == session
    assert glue.list_sessions(Tags={"team": "nobody"})["Ids"] == []


def test_stop_then_delete(glue: Any) -> None:
    glue.create_session(Id="short-lived", Role=ROLE, Command=COMMAND)
    wait_ready(glue, "short-lived")
    assert glue.stop_session(Id="short-lived")["Id"] == "short-lived"
    deadline = time.monotonic() + 30
    while (status := glue.get_session(Id="short-lived")["Session"]["Status"]) != "STOPPED":
        assert status == "STOPPING" and time.monotonic() < deadline, status
        time.sleep(0.2)
    stopped = glue.get_session(Id="short-lived")["Session"]
    assert stopped["CompletedOn"] >= stopped["CreatedOn"] and stopped["ExecutionTime"] > 0
    with pytest.raises(glue.exceptions.IllegalSessionStateException, match="STOPPED"):
        glue.run_statement(SessionId="short-lived", Code="1")
    with pytest.raises(glue.exceptions.IllegalSessionStateException, match="already STOPPED"):
        glue.stop_session(Id="short-lived")
    glue.delete_session(Id="short-lived")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_session(Id="short-lived")


def test_bad_requests_get_glue_errors(glue: Any, session: str) -> None:
    with pytest.raises(glue.exceptions.AlreadyExistsException, match="dev-1"):
        glue.create_session(Id=session, Role=ROLE, Command=COMMAND)
    with pytest.raises(glue.exceptions.InvalidInputException, match="Command.Name"):
        glue.create_session(Id="odd", Role=ROLE, Command={"Name": "pythonshell"})
    with pytest.raises(glue.exceptions.InvalidInputException, match="workerType"):
        glue.create_session(Id="odd", Role=ROLE, Command=COMMAND, WorkerType="G.3X")
    with pytest.raises(glue.exceptions.InvalidInputException, match="Session Id"):
        glue.create_session(Id="has space", Role=ROLE, Command=COMMAND)
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_session(Id="nope")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.run_statement(SessionId="nope", Code="1")
    wait_ready(glue, session)
    with pytest.raises(glue.exceptions.EntityNotFoundException, match="4242"):
        glue.get_statement(SessionId=session, Id=4242)
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.cancel_statement(SessionId=session, Id=4242)
    assert "odd" not in glue.list_sessions()["Ids"]
