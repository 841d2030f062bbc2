"""Errors a user can read: a mistake of the user's (a syntax error, a name error at their line, a missing
input, a notebook parameter of the wrong type, a failing cell) is shown first and alone, with the line of
their code it came from, and without gluelab's, pyspark's or py4j's frames; the full trace stays in the
run's log. Through ``gluelab run``, a real ``gluelab serve`` with boto3 (ErrorMessage, GetJobRunLog), and
``gluelab jobs run``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.helpers import ServerProcess, run_gluelab

INTERNAL = re.compile(r"/(gluelab|awsglue|pyspark|py4j|runpy)/|<frozen |^Traceback", re.MULTILINE)
SYNTAX = "import sys\n\nvalues = [1, 2\nprint(values)\n"
NAME = "import sys\n\n\ndef total():\n    return sum(undefined_values)\n\n\nprint(total())\n"
MISSING = """from awsglue.context import GlueContext
from pyspark.context import SparkContext

glue_context = GlueContext(SparkContext.getOrCreate())
spark = glue_context.spark_session
frame = spark.read.parquet("s3://no-such-bucket/orders/")
print(frame.count())
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("user-errors") / "home").start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scripts")
    (folder / "my_job.py").write_text(SYNTAX)
    (folder / "totals.py").write_text(NAME)
    (folder / "read_orders.py").write_text(MISSING)
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("n = 5")
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell("doubled = n * 2\nprint(doubled / (n - n))")]
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(notebook, folder / "report.ipynb")
    return folder


def _run(server: ServerProcess, name: str, location: Path, arguments: dict[str, str], **job: Any) -> dict:
    glue = server.client()
    command = {"ScriptLocation": str(location), **job.pop("Command")}
    glue.create_job(Name=name, Role="r", Command=command, **job)
    run_id = glue.start_job_run(JobName=name, Arguments=arguments)["JobRunId"]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        run = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
        if run["JobRunState"] not in ("STARTING", "RUNNING", "STOPPING"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run of {name} did not end")


def _log(server: ServerProcess, run: dict, stream: str) -> str:
    status, body = server.call(
        "GetJobRunLog", {"JobName": run["JobName"], "RunId": run["Id"], "Stream": stream}
    )
    assert status == 200, body
    return "\n".join(body["Lines"])


def _assert_shown_first(message: str, first_line: str, *then: str) -> None:
    """``message`` starts with the user's error and holds nothing of gluelab's own traceback."""
    assert message.splitlines()[0] == first_line, message
    assert not INTERNAL.search(message), message
    for text in then:
        assert text in message, message


def _error_block(output: str, first_line: str) -> str:
    """What follows the user's error in a command's output; nothing before it is a traceback."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line == first_line), None)
    assert start is not None, output
    assert not INTERNAL.search("\n".join(lines[:start])), output
    return "\n".join(lines[start:])


# -- job runs through the API --------------------------------------------------------------------------


def test_a_syntax_error_in_a_job_script(server, scripts):
    run = _run(server, "syntax", scripts / "my_job.py", {}, Command={"Name": "pythonshell"})

    assert run["JobRunState"] == "FAILED"
    _assert_shown_first(
        run["ErrorMessage"],
        "SyntaxError: '[' was never closed (my_job.py, line 3)",
        f'File "{scripts / "my_job.py"}", line 3',
        "values = [1, 2",
    )
    stderr = _log(server, run, "stderr")
    _assert_shown_first(stderr, "SyntaxError: '[' was never closed (my_job.py, line 3)")
    full = _log(server, run, "run")
    assert "Traceback (most recent call last)" in full and "gluelab/jobs/launchers.py" in full


def test_a_name_error_at_the_users_line(server, scripts):
    run = _run(server, "totals", scripts / "totals.py", {}, Command={"Name": "pythonshell"})

    _assert_shown_first(
        run["ErrorMessage"],
        "NameError: name 'undefined_values' is not defined",
        f'File "{scripts / "totals.py"}", line 5, in total',
        "return sum(undefined_values)",
    )
    stderr = _log(server, run, "stderr")
    _assert_shown_first(
        stderr, "NameError: name 'undefined_values' is not defined", "line 8, in <module>", "line 5, in total"
    )
    assert "gluelab/runtime/runner.py" in _log(server, run, "run")  # the full trace is kept


def test_a_notebook_parameter_of_the_wrong_type(server, scripts):
    command = {"Name": "pythonshell"}
    run = _run(
        server, "report", scripts / "report.ipynb", {"--n": "abc"}, Command=command, JobMode="NOTEBOOK"
    )

    _assert_shown_first(
        run["ErrorMessage"],
        "InvalidInputException: Notebook parameter n is declared int: 'abc' is not a whole number",
    )
    assert len(run["ErrorMessage"].splitlines()) == 1
    assert "notebook_params.py" in _log(server, run, "run")


def test_a_failing_notebook_cell_names_the_error_first_then_the_cell_and_line(server, scripts):
    glue = server.client()
    run_id = glue.start_job_run(JobName="report", Arguments={"--n": "3"})["JobRunId"]
    deadline = time.monotonic() + 120
    while (run := glue.get_job_run(JobName="report", RunId=run_id)["JobRun"])["JobRunState"] in (
        "STARTING",
        "RUNNING",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.2)

    _assert_shown_first(
        run["ErrorMessage"],
        "ZeroDivisionError: division by zero",
        "cell 3 of the executed notebook (output.ipynb), line 2:",
        "print(doubled / (n - n))",
    )
    assert "<ipython-input-" in _log(server, run, "run")  # the cell's own traceback, in the full trace


def test_gluelab_jobs_run_shows_the_users_error_first(server, scripts):
    result = run_gluelab(server.home, "jobs", "run", "totals", check=False, env={"COLUMNS": "200"})

    assert result.returncode == 1
    block = _error_block(result.stdout, "NameError: name 'undefined_values' is not defined")
    assert "return sum(undefined_values)" in block and "gluelab jobs logs" in block


# -- gluelab run ------------------------------------------------------------------------------------------


def _gluelab_run(server: ServerProcess, script: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gluelab", "run", str(script)],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_gluelab_run_a_syntax_error_before_spark_starts(server, scripts):
    result = _gluelab_run(server, scripts / "my_job.py")

    assert result.returncode == 1
    block = _error_block(result.stderr, "SyntaxError: '[' was never closed (my_job.py, line 3)")
    assert "values = [1, 2" in block
    assert "Spark" not in result.stderr.split("SyntaxError")[0].replace("Spark SQL", "")  # no Spark started
    trace_file = Path(block.splitlines()[-1].removeprefix("gluelab: the full trace is in "))
    assert "Traceback (most recent call last)" in trace_file.read_text()


@pytest.mark.slow
def test_a_missing_s3_input_through_gluelab_run_and_a_job_run(server, scripts):
    """One Spark start each: ``gluelab run`` and a glueetl job run of the same script."""
    first = "AnalysisException: [PATH_NOT_FOUND] Path does not exist: s3://no-such-bucket/orders."
    result = _gluelab_run(server, scripts / "read_orders.py")
    assert result.returncode == 1
    block = _error_block(
        result.stderr, next((line for line in result.stderr.splitlines() if line.startswith(first)), first)
    )
    assert 'read_orders.py", line 6, in <module>' in block
    assert not INTERNAL.search(block.split("gluelab: the full trace is in ")[0])
    trace_file = Path(block.splitlines()[-1].removeprefix("gluelab: the full trace is in "))
    assert "py4j" in trace_file.read_text()

    job = {"Command": {"Name": "glueetl"}, "WorkerType": "G.1X", "NumberOfWorkers": 2}
    run = _run(server, "orders", scripts / "read_orders.py", {}, **job)
    assert run["ErrorMessage"].startswith(first), run["ErrorMessage"]
    _assert_shown_first(
        run["ErrorMessage"], run["ErrorMessage"].splitlines()[0], 'read_orders.py", line 6, in <module>'
    )
    assert "py4j" in _log(server, run, "run")
    assert json.dumps(run["ErrorMessage"]).count("\\n") <= 4  # the error and its line, not a stack
