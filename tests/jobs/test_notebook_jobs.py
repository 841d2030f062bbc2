"""Notebook jobs: a notebook promoted in one action (parameter schema, session magics as job properties,
snapshots and versions, diff and update), run by papermill with typed parameters, on a schedule; a
wrong-typed argument and a failing cell fail the run clearly; the executed notebook is kept per run."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from sqlalchemy import update

from gluelab.catalog.common import utcnow
from gluelab.config import Settings
from gluelab.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException
from gluelab.jobs.notebook_launcher import output_html
from gluelab.jobs.notebook_params import IsoDate, ParameterError, convert, parameter_schema, typed_parameters
from gluelab.orchestration.scheduler import Scheduler
from gluelab.services import Services, open_services
from gluelab.store.models import TriggerRow
from tests.helpers import gluelab_env, run_gluelab
from tests.jobs.runs_helpers import wait_run

PARAMETERS = """\
rows: int = 10  # how many rows to make
ratio = 0.5
label = "world"
strict = False
columns = ["a", "b"]
day = __import__("datetime").date(2024, 1, 1)  # the business day
"""


def make_notebook(path: Path, *cells: str, parameters: str = PARAMETERS) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "glue_pyspark_local", "display_name": "Glue PySpark (local)"}
    tagged = nbformat.v4.new_code_cell(parameters)
    tagged.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# A report"), tagged, *map(nbformat.v4.new_code_cell, cells)]
    nbformat.write(nb, path)
    return path


def test_the_parameter_schema_follows_papermill_with_types(tmp_path: Path) -> None:
    schema = {p["Name"]: p for p in parameter_schema(make_notebook(tmp_path / "n.ipynb", "print(1)"))}
    assert {n: p["Type"] for n, p in schema.items()} == {
        "rows": "int",
        "ratio": "float",
        "label": "str",
        "strict": "bool",
        "columns": "list",
        "day": "date",
    }
    assert schema["rows"]["Help"] == "how many rows to make" and schema["rows"]["Default"] == "10"
    assert parameter_schema(make_notebook(tmp_path / "none.ipynb", "1", parameters="# no values")) == []
    saved_early = make_notebook(tmp_path / "early.ipynb", "print(1)")  # as a lab saves it before its kernel
    nb = nbformat.read(saved_early, as_version=4)  # has answered: an empty language name
    nb.metadata["language_info"] = {"name": ""}
    nbformat.write(nb, saved_early)
    assert [p["Name"] for p in parameter_schema(saved_early)][:1] == ["rows"]


def test_arguments_become_typed_values_or_clear_errors() -> None:
    assert convert("n", "int", "42") == 42
    assert convert("r", "float", "1e3") == 1000.0
    assert convert("b", "bool", "Yes") is True and convert("b", "bool", "0") is False
    assert convert("l", "list", '["x", 1]') == ["x", 1] and convert("l", "list", "['y']") == ["y"]
    assert convert("d", "dict", '{"k": 2}') == {"k": 2}
    day = convert("day", "date", "2025-01-31")
    assert (
        isinstance(day, IsoDate)
        and day.literal() == "__import__('datetime').date.fromisoformat('2025-01-31')"
    )
    assert convert("s", "str", "it's") == "it's"
    for kind, value, words in (
        ("int", "1.5", "not a whole number"),
        ("float", "many", "not a number"),
        ("bool", "maybe", "not true or false"),
        ("list", '{"a": 1}', "not a list"),
        ("date", "31/01/2025", "not an ISO date"),
    ):
        with pytest.raises(ParameterError, match=f"declared {kind}: .* is {words}"):
            convert("p", kind, value)
    schema = [{"Name": "rows", "Type": "int"}, {"Name": "label", "Type": "str"}]
    assert typed_parameters(schema, {"--rows": "3", "--other": "x"}) == {"rows": 3}


def test_promote_snapshots_and_versions_a_notebook(services: Services, tmp_path: Path) -> None:
    source = make_notebook(
        tmp_path / "daily report.ipynb",
        "%worker_type G.2X\n%number_of_workers 3\n%spark_conf spark.sql.shuffle.partitions=5\n%status",
        "%%configure\n{'timeout': 30, '--enable-metrics': 'true'}",
        "print(rows)",
    )
    result = services.notebooks.promote_notebook({"NotebookPath": str(source)})
    assert result["Name"] == "daily-report" and result["Version"] == 1
    assert [p["Name"] for p in result["Parameters"]][:2] == ["rows", "ratio"]
    job = services.jobs.get_job(JobName="daily-report")["Job"]
    assert job["JobMode"] == "NOTEBOOK" and job["WorkerType"] == "G.2X" and job["NumberOfWorkers"] == 3
    assert job["Timeout"] == 30
    assert job["DefaultArguments"] == {"--conf": "spark.sql.shuffle.partitions=5", "--enable-metrics": "true"}
    snapshot = nbformat.read(job["Command"]["ScriptLocation"], as_version=4)
    assert snapshot.cells[2].source.startswith("# %worker_type G.2X  # gluelab: a job property now")
    as_json = make_notebook(
        tmp_path / "json.ipynb", '%%configure\n{"number_of_workers": 4, "--verbose": "true"}'
    )
    services.notebooks.promote_notebook(NotebookPath=str(as_json))
    json_job = services.jobs.get_job(JobName="json")["Job"]
    assert json_job["NumberOfWorkers"] == 4 and json_job["DefaultArguments"] == {"--verbose": "true"}
    assert "# %status" in snapshot.cells[2].source and snapshot.cells[3].source.startswith("# %%configure")
    assert services.notebooks.get_notebook_diff(Name="daily-report")["Changed"] is False

    nb = nbformat.read(source, as_version=4)
    nb.cells[-1].source = "print(rows * 2)"
    nbformat.write(nb, source)
    shown = services.notebooks.get_notebook_job(Name="daily-report")
    assert shown["LiveFileChanged"] is True and len(shown["Versions"]) == 1
    diff = services.notebooks.get_notebook_diff(Name="daily-report")
    assert "-print(rows)" in diff["Diff"] and "+print(rows * 2)" in diff["Diff"]
    assert "%worker_type" not in diff["Diff"]  # the commented-out magics are not a change
    updated = services.notebooks.update_notebook_job(Name="daily-report")
    assert updated["Changed"] is True and updated["Version"] == 2 and updated["Hash"] != result["Hash"]
    job = services.jobs.get_job(JobName="daily-report")["Job"]
    assert job["Command"]["ScriptLocation"] == updated["SnapshotPath"] and "/v2-" in updated["SnapshotPath"]
    assert job["WorkerType"] == "G.2X"
    assert services.notebooks.update_notebook_job(Name="daily-report")["Changed"] is False


def test_promote_refuses_bad_input_and_writes_nothing(services: Services, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputException, match="is not a notebook"):
        services.notebooks.promote_notebook(NotebookPath=str(tmp_path / "missing.ipynb"))
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    with pytest.raises(InvalidInputException, match="not a readable notebook"):
        services.notebooks.promote_notebook(NotebookPath=str(broken))
    bad_magic = make_notebook(tmp_path / "bad.ipynb", "%worker_type G.9X")
    with pytest.raises(InvalidInputException, match="Unknown WorkerType 'G.9X'"):
        services.notebooks.promote_notebook(NotebookPath=str(bad_magic))
    with pytest.raises(EntityNotFoundException):
        services.jobs.get_job(JobName="bad")
    no_dict = make_notebook(tmp_path / "nodict.ipynb", "%%configure\n[1, 2]")
    with pytest.raises(InvalidInputException, match="%%configure expects a dict, not list"):
        services.notebooks.promote_notebook(NotebookPath=str(no_dict))
    good = make_notebook(tmp_path / "good.ipynb", "print(1)")
    services.notebooks.promote_notebook(NotebookPath=str(good))
    with pytest.raises(AlreadyExistsException, match="gluelab notebooks update good"):
        services.notebooks.promote_notebook(NotebookPath=str(good))
    with pytest.raises(InvalidInputException, match="does not take Colour"):
        services.notebooks.promote_notebook(NotebookPath=str(good), Colour="red")
    with pytest.raises(EntityNotFoundException, match="not a promoted notebook"):
        services.notebooks.get_notebook_job(Name="nothing")


def test_describe_notebook_tells_the_dialog_what_a_promotion_makes(
    services: Services, tmp_path: Path
) -> None:
    source = make_notebook(
        tmp_path / "daily report.ipynb", "%worker_type G.2X\n%number_of_workers 3", "print(rows)"
    )
    described = services.notebooks.describe_notebook(NotebookPath=str(source))
    assert described["Name"] == "daily-report" and described["Jobs"] == []
    assert described["NotebookPath"] == str(source.resolve())
    assert [(p["Name"], p["Type"]) for p in described["Parameters"]][:2] == [
        ("rows", "int"),
        ("ratio", "float"),
    ]
    assert described["Properties"] == {"WorkerType": "G.2X", "NumberOfWorkers": 3}
    services.notebooks.promote_notebook(NotebookPath=str(source))
    assert services.notebooks.describe_notebook(NotebookPath=str(source))["Jobs"] == ["daily-report"]
    services.jobs.delete_job(JobName="daily-report")  # a deleted job is not offered for an update
    assert services.notebooks.describe_notebook(NotebookPath=str(source))["Jobs"] == []
    with pytest.raises(InvalidInputException, match="is not a notebook"):
        services.notebooks.describe_notebook(NotebookPath=str(tmp_path / "missing.ipynb"))
    bad = make_notebook(tmp_path / "bad.ipynb", "%worker_type G.9X")
    with pytest.raises(InvalidInputException, match="Unknown WorkerType 'G.9X'"):
        services.notebooks.describe_notebook(NotebookPath=str(bad))


def test_promotion_takes_worker_settings_which_an_update_keeps(services: Services, tmp_path: Path) -> None:
    source = make_notebook(tmp_path / "r.ipynb", "%worker_type G.2X\n%number_of_workers 3", "print(rows)")
    services.notebooks.promote_notebook(NotebookPath=str(source), NumberOfWorkers=5, Timeout=45, MaxRetries=2)
    job = services.jobs.get_job(JobName="r")["Job"]
    assert (job["WorkerType"], job["NumberOfWorkers"], job["Timeout"], job["MaxRetries"]) == (
        "G.2X",
        5,
        45,
        2,
    )
    nb = nbformat.read(source, as_version=4)
    nb.cells[-1].source = "print(rows + 1)"  # the magics are unchanged: the dialog's 5 workers stay
    nbformat.write(nb, source)
    services.notebooks.update_notebook_job(Name="r")
    job = services.jobs.get_job(JobName="r")["Job"]
    assert (job["WorkerType"], job["NumberOfWorkers"], job["Timeout"], job["MaxRetries"]) == (
        "G.2X",
        5,
        45,
        2,
    )
    nb.cells[2].source = "%worker_type G.4X\n%number_of_workers 6"  # edited magics change the job
    nbformat.write(nb, source)
    services.notebooks.update_notebook_job(Name="r")
    job = services.jobs.get_job(JobName="r")["Job"]
    assert (job["WorkerType"], job["NumberOfWorkers"], job["Timeout"]) == ("G.4X", 6, 45)
    nb.cells[2].source = "print('no magics')"  # removed magics: back to Glue's defaults
    nbformat.write(nb, source)
    services.notebooks.update_notebook_job(Name="r")
    job = services.jobs.get_job(JobName="r")["Job"]
    assert (job["WorkerType"], job["NumberOfWorkers"]) == ("G.1X", 10)


def test_bad_worker_settings_or_schedule_write_nothing(services: Services, tmp_path: Path) -> None:
    source = make_notebook(tmp_path / "w.ipynb", "print(rows)")
    cases = [
        ({"WorkerType": "G.9X", "NumberOfWorkers": 2}, "Unknown WorkerType 'G.9X'"),
        ({"WorkerType": "G.1X"}, "WorkerType and NumberOfWorkers go together"),
        ({"NumberOfWorkers": "3", "WorkerType": "G.1X"}, "NumberOfWorkers must be an integer"),
        ({"Timeout": 99999}, "Timeout must be at most"),
        ({"MaxRetries": -1}, "MaxRetries must not be negative"),
        ({"MaxRetries": True}, "MaxRetries must be an integer"),
        ({"Schedule": "cron(bad)"}, "cron"),
        ({"Schedule": "rate(1 minute)"}, "at most every 5 minutes"),
    ]
    for fields, message in cases:
        with pytest.raises(InvalidInputException, match=re.escape(message)):
            services.notebooks.promote_notebook(NotebookPath=str(source), **fields)
        with pytest.raises(EntityNotFoundException):
            services.jobs.get_job(JobName="w")
        assert not (services.settings.home / "notebooks" / "w").exists(), fields
    assert services.triggers.get_triggers()["Triggers"] == []


@pytest.mark.slow
def test_a_scheduled_notebook_job_runs_with_typed_parameters(tmp_path: Path) -> None:
    home = tmp_path / "home"
    source = make_notebook(
        tmp_path / "report.ipynb",
        "%number_of_workers 2\nprint('label', label, 'rows', rows, 'day', day, type(day).__name__, columns)",
        "frame = spark.range(rows)\nframe.count()",
        "%%sql\nSELECT 6 * 7 AS answer",
    )
    promoted = run_gluelab(
        home, "notebooks", "promote", str(source), "--schedule", "cron(0 6 * * ? *)",
        "--arg", "rows=7", "--arg", "label=scheduled", "--arg", "day=2025-02-03", "--json",
    )  # fmt: skip
    result = json.loads(promoted.stdout)
    assert result["TriggerName"] == "report-schedule"
    shown = run_gluelab(home, "notebooks", "show", "report").stdout
    assert "rows" in shown and "how many rows to make" in shown and result["Hash"][:12] in shown
    assert "matches version 1" in run_gluelab(home, "notebooks", "diff", "report").stdout
    settings = Settings.load(env=gluelab_env(home))
    services = open_services(settings)
    try:
        with services.store.write() as session:  # the 06:00 fire time has come
            session.execute(
                update(TriggerRow)
                .where(TriggerRow.name == "report-schedule")
                .values(next_fire_at=utcnow() - dt.timedelta(seconds=5))
            )
        Scheduler(services).tick()
        [run] = services.jobs.get_job_runs(JobName="report")["JobRuns"]
        run = wait_run(services.jobs.get_job_run, "report", run["Id"], timeout=240)
        assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
        assert run["TriggerName"] == "report-schedule"
        log_dir = settings.logs_dir / "runs" / run["Id"]
        executed = nbformat.read(log_dir / "output.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
        assert "label scheduled rows 7 day 2025-02-03 date ['a', 'b']" in printed
        results = [
            o for c in executed.cells for o in c.get("outputs", []) if o["output_type"] == "execute_result"
        ]
        assert results[0]["data"]["text/plain"] == "7"
        assert any(
            "<td>42</td>" in str(o.get("data", {})) for c in executed.cells for o in c.get("outputs", [])
        )
        assert "injected-parameters" in executed.cells[2].metadata["tags"]
        assert not (log_dir / "output.html").exists()  # rendered when asked for, not by the run
        assert output_html(log_dir).decode().count("scheduled") >= 1
        assert (log_dir / "output.html").exists() and output_html(log_dir) == (
            log_dir / "output.html"
        ).read_bytes()
        notes = (log_dir / "run.log").read_text()
        assert "notebook v1-" in notes and "parameter rows = 7" in notes and "cell 4/5" in notes
    finally:
        services.close()


@pytest.mark.slow
def test_a_failing_cell_or_a_wrong_type_fails_the_run_clearly(tmp_path: Path) -> None:
    home = tmp_path / "home"
    source = make_notebook(tmp_path / "shaky.ipynb", "total = rows * 2", "total / 0", "print('never')")
    settings = Settings.load(env=gluelab_env(home))
    services = open_services(settings)
    try:
        services.notebooks.promote_notebook(NotebookPath=str(source))
        job = services.jobs.get_job(JobName="shaky")["Job"]
        # A notebook without Spark: a Python shell job.
        services.jobs.update_job(
            JobName="shaky",
            JobUpdate={
                **{k: v for k, v in job.items() if k not in ("Name", "CreatedOn", "LastModifiedOn")},
                "Command": {**job["Command"], "Name": "pythonshell"},
                "WorkerType": None,
                "NumberOfWorkers": None,
                "MaxCapacity": 0.0625,
            },
        )
        run_id = services.jobs.start_job_run(JobName="shaky", Arguments={"--rows": "4"})["JobRunId"]
        run = wait_run(services.jobs.get_job_run, "shaky", run_id)
        assert run["JobRunState"] == "FAILED"
        assert run["ErrorMessage"].splitlines() == [
            "ZeroDivisionError: division by zero",
            "  cell 5 of the executed notebook (output.ipynb), line 1:",
            "    total / 0",
        ]
        executed = nbformat.read(settings.logs_dir / "runs" / run_id / "output.ipynb", as_version=4)
        errors = [c for c in executed.cells if any(o["output_type"] == "error" for o in c.get("outputs", []))]
        assert len(errors) == 1 and errors[0].source == "total / 0"
        assert executed.cells[-1].get("outputs", []) == []  # nothing ran after the failure

        run_id = services.jobs.start_job_run(JobName="shaky", Arguments={"--rows": "four"})["JobRunId"]
        run = wait_run(services.jobs.get_job_run, "shaky", run_id)
        assert run["JobRunState"] == "FAILED"
        assert run["ErrorMessage"] == (
            "InvalidInputException: Notebook parameter rows is declared int: 'four' is not a whole number"
        )
        notes = (settings.logs_dir / "runs" / run_id / "run.log").read_text()
        assert "user code starts" not in notes  # refused before any cell ran
    finally:
        services.close()


@pytest.mark.slow
def test_job_bookmarks_work_inside_a_notebook_job(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings.load(env=gluelab_env(home))
    services = open_services(settings)
    landing = settings.warehouse_dir / "landing"
    landing.mkdir(parents=True)
    (landing / "a.csv").write_text("id\n1\n2\n")
    source = make_notebook(
        tmp_path / "incremental.ipynb",
        "import sys\nfrom awsglue.job import Job\nfrom awsglue.utils import getResolvedOptions\n"
        "args = getResolvedOptions(sys.argv, ['JOB_NAME'])\n"
        "job = Job(glueContext)\njob.init(args['JOB_NAME'], args)",
        "frame = glueContext.create_dynamic_frame.from_options(connection_type='s3', "
        "connection_options={'paths': ['s3://landing/']}, format='csv', format_options={'withHeader': True}, "
        "transformation_ctx='landing')\nprint('new rows', frame.count())",
        "job.commit()",
        parameters="# nothing to set",
    )
    try:
        services.notebooks.promote_notebook(NotebookPath=str(source))
        job = services.jobs.get_job(JobName="incremental")["Job"]
        definition = {k: v for k, v in job.items() if k not in ("Name", "CreatedOn", "LastModifiedOn")}
        definition["DefaultArguments"] = {"--job-bookmark-option": "job-bookmark-enable"}
        services.jobs.update_job(JobName="incremental", JobUpdate=definition)

        def run_and_read() -> str:
            run_id = services.jobs.start_job_run(JobName="incremental")["JobRunId"]
            run = wait_run(services.jobs.get_job_run, "incremental", run_id, timeout=240)
            assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
            return (settings.logs_dir / "runs" / run_id / "stdout.log").read_text()

        assert "new rows 2" in run_and_read()
        assert "new rows 0" in run_and_read()  # the bookmark remembers a.csv
        (landing / "b.csv").write_text("id\n3\n")
        assert "new rows 1" in run_and_read()
        assert services.bookmarks.load("incremental")["Run"] == 3
    finally:
        services.close()


def test_papermill_is_imported_without_the_iri_grammar_which_stays_importable():
    code = (
        "import sys\n"
        "from gluelab.jobs.notebook_params import import_papermill\n"
        "import_papermill()\n"
        "assert 'papermill' in sys.modules and 'rfc3987_syntax' not in sys.modules\n"
        "import nbformat, rfc3987_syntax\n"
        "nbformat.validate(nbformat.v4.new_notebook())\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr
