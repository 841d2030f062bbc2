"""Job runs through the service layer, on SQLite and PostgreSQL, with real run processes (python shell
jobs: they start in a fraction of a second). Spark runs, the warm pool, the supervisor and streaming
are in test_spark_runs.py."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from gluelab.config import Settings
from gluelab.errors import ConcurrentRunsExceededException, EntityNotFoundException, InvalidInputException
from gluelab.jobs import logs as run_logs
from gluelab.jobs.processes import alive
from gluelab.services import Services
from gluelab.store import Store
from tests.jobs.runs_helpers import FLAKY, GATED, wait_run, write_script


def _shell_job(services: Services, name: str, script: str, **extra) -> None:  # type: ignore[no-untyped-def]
    services.jobs.create_job(
        Name=name, Role="r", Command={"Name": "pythonshell", "ScriptLocation": script}, **extra
    )


@pytest.fixture
def gate(tmp_path: Path) -> Path:
    return tmp_path / "gate"


def test_a_run_goes_starting_running_succeeded_with_merged_arguments(
    services: Services, tmp_path: Path, gate
):
    script = write_script(tmp_path, "gated.py", GATED)
    _shell_job(services, "gated", script, DefaultArguments={"--gate": str(gate), "--day": "monday"})
    jobs = services.jobs
    run_id = jobs.start_job_run(
        JobName="gated", Arguments={"--day": "friday", "--enable-auto-scaling": "true"}
    )["JobRunId"]
    assert run_id.startswith("jr_") and len(run_id) == 67
    first = jobs.get_job_run(JobName="gated", RunId=run_id)["JobRun"]
    assert first["JobRunState"] in ("STARTING", "RUNNING")
    running = wait_run(jobs.get_job_run, "gated", run_id, ("RUNNING",))
    assert running["Arguments"] == {"--gate": str(gate), "--day": "friday", "--enable-auto-scaling": "true"}
    gate.touch()
    done = wait_run(jobs.get_job_run, "gated", run_id)
    assert done["JobRunState"] == "SUCCEEDED", done
    assert done["Attempt"] == 0 and "PreviousRunId" not in done and "ErrorMessage" not in done
    assert done["CompletedOn"] >= done["StartedOn"] and done["ExecutionTime"] >= 0
    assert done["MaxCapacity"] == 0.0625 and done["Timeout"] == 480 and done["GlueVersion"] == "5.0"
    log_dir = jobs.run_context(run_id)["LogDir"]
    stdout = run_logs.read_lines(log_dir, "stdout")
    assert stdout == [f"started {run_id}", "gate open"]
    notes = "\n".join(run_logs.read_lines(log_dir, "run"))
    assert "--enable-auto-scaling: accepted and ignored" in notes
    assert "RUNNING: user code starts" in notes and notes.rstrip().endswith("SUCCEEDED")


def test_a_script_error_fails_the_run_with_its_message_and_trace(services: Services, tmp_path: Path):
    script = write_script(tmp_path, "boom.py", "print('before')\nraise ValueError('the input is empty')\n")
    _shell_job(services, "boom", script)
    run_id = services.jobs.start_job_run(JobName="boom")["JobRunId"]
    run = wait_run(services.jobs.get_job_run, "boom", run_id)
    assert run["JobRunState"] == "FAILED"
    # The user's error first, then the line of their script it came from (gluelab's frames left out).
    assert run["ErrorMessage"].splitlines() == [
        "ValueError: the input is empty",
        f'  File "{script}", line 2, in <module>',
        "    raise ValueError('the input is empty')",
    ]
    stderr = "\n".join(run_logs.read_lines(services.jobs.run_context(run_id)["LogDir"], "stderr"))
    assert f'File "{script}", line 2' in stderr and "gluelab/jobs" not in stderr


def test_sys_exit_status_decides_the_outcome(services: Services, tmp_path: Path):
    _shell_job(services, "exit0", write_script(tmp_path, "e0.py", "import sys\nsys.exit(0)\n"))
    _shell_job(services, "exit3", write_script(tmp_path, "e3.py", "import sys\nsys.exit(3)\n"))
    ok = services.jobs.start_job_run(JobName="exit0")["JobRunId"]
    bad = services.jobs.start_job_run(JobName="exit3")["JobRunId"]
    assert wait_run(services.jobs.get_job_run, "exit0", ok)["JobRunState"] == "SUCCEEDED"
    failed = wait_run(services.jobs.get_job_run, "exit3", bad)
    assert failed["JobRunState"] == "FAILED" and failed["ErrorMessage"] == "The script exited with status 3"


def test_max_retries_makes_a_new_attempt_that_succeeds(services: Services, tmp_path: Path):
    marker = tmp_path / "marker"
    _shell_job(
        services,
        "flaky",
        write_script(tmp_path, "flaky.py", FLAKY),
        MaxRetries=2,
        DefaultArguments={"--marker": str(marker)},
    )
    jobs = services.jobs
    first_id = jobs.start_job_run(JobName="flaky")["JobRunId"]
    first = wait_run(jobs.get_job_run, "flaky", first_id)
    assert first["JobRunState"] == "FAILED"
    assert first["ErrorMessage"].splitlines()[0] == "RuntimeError: first attempt fails"
    retry_id = f"{first_id}_attempt_1"
    retry = wait_run(jobs.get_job_run, "flaky", retry_id)
    assert retry["JobRunState"] == "SUCCEEDED"
    assert retry["Attempt"] == 1 and retry["PreviousRunId"] == first_id
    assert retry["Arguments"] == first["Arguments"]
    runs = jobs.get_job_runs(JobName="flaky")["JobRuns"]
    assert [r["Id"] for r in runs] == [retry_id, first_id]  # newest first, no third attempt


def test_retries_stop_at_max_retries(services: Services, tmp_path: Path):
    _shell_job(
        services, "always", write_script(tmp_path, "always.py", "raise SystemExit('no')\n"), MaxRetries=1
    )
    first = services.jobs.start_job_run(JobName="always")["JobRunId"]
    wait_run(services.jobs.get_job_run, "always", first)
    last = wait_run(services.jobs.get_job_run, "always", f"{first}_attempt_1")
    assert last["JobRunState"] == "FAILED" and last["Attempt"] == 1
    assert len(services.jobs.get_job_runs(JobName="always")["JobRuns"]) == 2


def test_concurrency_limit_refuses_or_queues(services: Services, tmp_path: Path, gate):
    script = write_script(tmp_path, "gated.py", GATED)
    _shell_job(services, "one", script, DefaultArguments={"--gate": str(gate)})
    jobs = services.jobs
    first = jobs.start_job_run(JobName="one")["JobRunId"]
    with pytest.raises(ConcurrentRunsExceededException, match="Concurrent runs exceeded for one"):
        jobs.start_job_run(JobName="one")
    queued = jobs.start_job_run(JobName="one", JobRunQueuingEnabled=True)["JobRunId"]
    waiting = jobs.get_job_run(JobName="one", RunId=queued)["JobRun"]
    assert waiting["JobRunState"] == "WAITING" and "MaxConcurrentRuns 1" in waiting["StateDetail"]
    assert waiting["JobRunQueuingEnabled"] is True
    wait_run(jobs.get_job_run, "one", first, ("RUNNING",))
    assert jobs.get_job_run(JobName="one", RunId=queued)["JobRun"]["JobRunState"] == "WAITING"
    gate.touch()
    assert wait_run(jobs.get_job_run, "one", first)["JobRunState"] == "SUCCEEDED"
    # The first run's end started the queued one (its process launched it: no supervisor here).
    assert wait_run(jobs.get_job_run, "one", queued)["JobRunState"] == "SUCCEEDED"


def test_job_level_queuing_and_two_concurrent_runs(services: Services, tmp_path: Path, gate):
    script = write_script(tmp_path, "gated.py", GATED)
    _shell_job(
        services,
        "two",
        script,
        DefaultArguments={"--gate": str(gate)},
        ExecutionProperty={"MaxConcurrentRuns": 2},
        JobRunQueuingEnabled=True,
    )
    jobs = services.jobs
    ids = [jobs.start_job_run(JobName="two")["JobRunId"] for _ in range(3)]
    states = [jobs.get_job_run(JobName="two", RunId=i)["JobRun"]["JobRunState"] for i in ids]
    assert states[2] == "WAITING" and "WAITING" not in states[:2]
    gate.touch()
    assert [wait_run(jobs.get_job_run, "two", i)["JobRunState"] for i in ids] == ["SUCCEEDED"] * 3


def test_stop_a_running_and_a_waiting_run(services: Services, tmp_path: Path, gate):
    script = write_script(tmp_path, "gated.py", GATED)
    _shell_job(services, "stoppable", script, DefaultArguments={"--gate": str(gate)})
    jobs = services.jobs
    running = jobs.start_job_run(JobName="stoppable")["JobRunId"]
    waiting = jobs.start_job_run(JobName="stoppable", JobRunQueuingEnabled=True)["JobRunId"]
    wait_run(jobs.get_job_run, "stoppable", running, ("RUNNING",))
    result = jobs.batch_stop_job_run(JobName="stoppable", JobRunIds=[waiting, running, "jr_nope"])
    assert {s["JobRunId"] for s in result["SuccessfulSubmissions"]} == {waiting, running}
    assert result["Errors"][0]["JobRunId"] == "jr_nope"
    assert result["Errors"][0]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"
    assert jobs.get_job_run(JobName="stoppable", RunId=waiting)["JobRun"]["JobRunState"] == "STOPPED"
    stopped = wait_run(jobs.get_job_run, "stoppable", running, timeout=30)
    assert stopped["JobRunState"] == "STOPPED"
    again = jobs.batch_stop_job_run(JobName="stoppable", JobRunIds=[running])
    assert again["Errors"][0]["ErrorDetail"]["ErrorMessage"] == "Job run is STOPPED"


def test_a_run_whose_process_is_killed_is_marked_failed(services: Services, tmp_path: Path, gate):
    script = write_script(tmp_path, "gated.py", GATED)
    _shell_job(services, "killed", script, DefaultArguments={"--gate": str(gate)})
    jobs = services.jobs
    run_id = jobs.start_job_run(JobName="killed")["JobRunId"]
    wait_run(jobs.get_job_run, "killed", run_id, ("RUNNING",))
    pid = jobs.unfinished_runs()[0]["Pid"]
    os.killpg(pid, signal.SIGKILL)
    run = wait_run(jobs.get_job_run, "killed", run_id, timeout=30)
    assert run["JobRunState"] == "FAILED" and "ended without recording an outcome" in run["ErrorMessage"]
    assert not alive(pid)


def test_bad_input_gets_clear_errors(services: Services, tmp_path: Path):
    script = write_script(tmp_path, "ok.py", "print('ok')\n")
    services.jobs.create_job(
        Name="etl",
        Role="r",
        Command={"Name": "glueetl", "ScriptLocation": script},
        NonOverridableArguments={"--env": "prod"},
    )
    jobs = services.jobs
    with pytest.raises(EntityNotFoundException, match="Job with name: nope not found"):
        jobs.start_job_run(JobName="nope")
    with pytest.raises(InvalidInputException, match="G.9X.*enum value set"):
        jobs.start_job_run(JobName="etl", WorkerType="G.9X", NumberOfWorkers=2)
    with pytest.raises(InvalidInputException, match="(?i)timeout"):
        jobs.start_job_run(JobName="etl", Timeout=-5)
    with pytest.raises(InvalidInputException, match="(?i)arguments"):
        jobs.start_job_run(JobName="etl", Arguments={"--n": 5})
    with pytest.raises(InvalidInputException, match="non-overridable"):
        jobs.start_job_run(JobName="etl", Arguments={"--env": "dev"})
    with pytest.raises(InvalidInputException, match="set by Glue"):
        jobs.start_job_run(JobName="etl", Arguments={"--JOB_RUN_ID": "mine"})
    with pytest.raises(InvalidInputException, match="does not exist"):
        jobs.start_job_run(JobName="etl", Arguments={"--scriptLocation": str(tmp_path / "missing.py")})
    with pytest.raises(EntityNotFoundException):
        jobs.get_job_run(JobName="etl", RunId="jr_missing")
    with pytest.raises(EntityNotFoundException):
        jobs.get_job_runs(JobName="nope")
    with pytest.raises(InvalidInputException, match="RunId"):
        jobs.get_job_run_metrics(JobName="etl")
    assert jobs.get_job_runs(JobName="etl")["JobRuns"] == []  # nothing was started by any of these


def test_get_job_runs_pages_newest_first(services: Services, tmp_path: Path):
    _shell_job(
        services,
        "quick",
        write_script(tmp_path, "q.py", "pass\n"),
        ExecutionProperty={"MaxConcurrentRuns": 5},
    )
    ids = [services.jobs.start_job_run(JobName="quick")["JobRunId"] for _ in range(5)]
    for run_id in ids:
        wait_run(services.jobs.get_job_run, "quick", run_id)
    seen, token = [], None
    while True:
        page = services.jobs.get_job_runs(
            JobName="quick", MaxResults=2, **({"NextToken": token} if token else {})
        )
        seen += [r["Id"] for r in page["JobRuns"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == list(reversed(ids))


def test_delete_job_removes_its_runs(services: Services, tmp_path: Path):
    _shell_job(services, "gone", write_script(tmp_path, "q.py", "pass\n"))
    run_id = services.jobs.start_job_run(JobName="gone")["JobRunId"]
    wait_run(services.jobs.get_job_run, "gone", run_id)
    services.jobs.delete_job(JobName="gone")
    _shell_job(services, "gone", write_script(tmp_path, "q.py", "pass\n"))
    assert services.jobs.get_job_runs(JobName="gone")["JobRuns"] == []


@pytest.mark.slow
def test_timeout_ends_the_run_as_timeout(tmp_path: Path, gate):
    """Timeout is in minutes (at least 1): this test waits a real minute, on SQLite only."""
    settings = Settings.load(env={"GLUELAB_HOME": str(tmp_path / "home")})
    settings.ensure_dirs()
    services = Services(settings, Store(settings.database_url))
    script = write_script(tmp_path, "gated.py", GATED)
    _shell_job(services, "slow", script, DefaultArguments={"--gate": str(gate)}, Timeout=1)
    run_id = services.jobs.start_job_run(JobName="slow")["JobRunId"]
    wait_run(services.jobs.get_job_run, "slow", run_id, ("RUNNING",))
    pid = services.jobs.unfinished_runs()[0]["Pid"]
    run = wait_run(services.jobs.get_job_run, "slow", run_id, timeout=120)
    assert run["JobRunState"] == "TIMEOUT" and "timed out after 1 minute" in run["ErrorMessage"]
    assert 55 <= (run["CompletedOn"] - run["StartedOn"]).total_seconds() < 90
    deadline = time.monotonic() + 30  # the watchdog records TIMEOUT first, then kills its process group
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(pid)
    services.close()


SPECIAL = """
import os, sys, time
import helper_mod
import tinywheel
from awsglue.utils import getResolvedOptions
args = getResolvedOptions(sys.argv, ["gate", "TempDir"])
print("helper", helper_mod.VALUE, "wheel", tinywheel.VALUE, flush=False)
print("env", os.environ["TEAM"], "extra file", open("lookup.csv").read().strip())
print("tempdir", args["TempDir"])
while not os.path.exists(args["gate"]):
    time.sleep(0.05)
"""


def _wheel(folder: Path) -> Path:
    """A real, minimal wheel of a module ``tinywheel`` (pip installs it with no network)."""
    import base64
    import hashlib
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tinywheel-1.0-py3-none-any.whl"
    files = {
        "tinywheel.py": "VALUE = 'from a wheel'\n",
        "tinywheel-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinywheel\nVersion: 1.0\n",
        "tinywheel-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
            digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(text)}")
        record.append("tinywheel-1.0.dist-info/RECORD,,")
        wheel.writestr("tinywheel-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return path


def test_special_parameters_are_honoured(services: Services, tmp_path: Path, gate):
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / "helper_mod.py").write_text("VALUE = 42\n")
    (tmp_path / "lookup.csv").write_text("a,b\n")
    wheel = _wheel(tmp_path / "wheels")
    _shell_job(services, "special", write_script(tmp_path / "scripts", "special.py", SPECIAL))
    arguments = {
        "--gate": str(gate),
        "--extra-py-files": str(libs / "helper_mod.py"),
        "--extra-files": str(tmp_path / "lookup.csv"),
        "--additional-python-modules": str(wheel),
        "--python-modules-installer-option": "--no-index",
        "--customer-driver-env-vars": "TEAM=data",
        "--TempDir": "s3://tmp-bucket/glue/",
        "--enable-continuous-cloudwatch-log": "true",
        "--datalake-formats": "iceberg",
    }
    run_id = services.jobs.start_job_run(JobName="special", Arguments=arguments)["JobRunId"]
    log_dir = services.jobs.run_context(run_id)["LogDir"]
    wait_run(services.jobs.get_job_run, "special", run_id, ("RUNNING", "FAILED"))
    # Live logs: the lines are in stdout.log while the run still waits at its gate.
    until = time.monotonic() + 60
    while len(run_logs.read_lines(log_dir, "stdout")) < 3:
        assert time.monotonic() < until, run_logs.read_lines(log_dir, "run")
        time.sleep(0.1)
    assert services.jobs.get_job_run(JobName="special", RunId=run_id)["JobRun"]["JobRunState"] == "RUNNING"
    gate.touch()
    run = wait_run(services.jobs.get_job_run, "special", run_id)
    assert run["JobRunState"] == "SUCCEEDED", run_logs.read_lines(log_dir, "run")
    assert run_logs.read_lines(log_dir, "stdout") == [
        "helper 42 wheel from a wheel",
        "env data extra file a,b",
        "tempdir s3://tmp-bucket/glue/",
    ]
    assert (services.settings.warehouse_dir / "tmp-bucket" / "glue").is_dir()
    notes = "\n".join(run_logs.read_lines(log_dir, "run"))
    assert "--additional-python-modules: installed" in notes
    assert "--datalake-formats: accepted and ignored" in notes


def test_a_module_that_cannot_be_installed_fails_the_run_clearly(services: Services, tmp_path: Path):
    _shell_job(services, "nomod", write_script(tmp_path, "q.py", "pass\n"))
    arguments = {
        "--additional-python-modules": "surely-not-a-package-gluelab==0.0.1",
        "--python-modules-installer-option": "--no-index",
    }
    run_id = services.jobs.start_job_run(JobName="nomod", Arguments=arguments)["JobRunId"]
    run = wait_run(services.jobs.get_job_run, "nomod", run_id)
    assert run["JobRunState"] == "FAILED"
    assert "pip could not install surely-not-a-package-gluelab==0.0.1" in run["ErrorMessage"]


def test_get_job_run_log_reads_whole_lines_from_an_offset(services: Services, tmp_path: Path):
    lines = "".join(f"line {i}\n" for i in range(50))
    script = write_script(tmp_path, "talk.py", f"import sys\nsys.stdout.write({lines!r})\nprint('é' * 3)\n")
    _shell_job(services, "talk", script)
    run_id = services.jobs.start_job_run(JobName="talk")["JobRunId"]
    wait_run(services.jobs.get_job_run, "talk", run_id)
    jobs = services.jobs
    first = jobs.get_job_run_log(JobName="talk", RunId=run_id, MaxBytes=40)
    assert first["Lines"] == ["line 0", "line 1", "line 2", "line 3", "line 4"]  # 7 bytes each: no half line
    assert first["NextOffset"] == 35 and first["Finished"] and first["JobRunState"] == "SUCCEEDED"
    rest = jobs.get_job_run_log(JobName="talk", RunId=run_id, Offset=first["NextOffset"])
    assert rest["Lines"][0] == "line 5" and rest["Lines"][-1] == "ééé" and len(rest["Lines"]) == 46
    end = jobs.get_job_run_log(JobName="talk", RunId=run_id, Offset=rest["NextOffset"])
    assert end["Lines"] == [] and end["NextOffset"] == rest["NextOffset"]
    notes = jobs.get_job_run_log(JobName="talk", RunId=run_id, Stream="run")["Lines"]
    assert notes[-1].endswith("SUCCEEDED")
    for bad, message in (
        ({"Stream": "everything"}, "Stream must be one of run, stdout, stderr, spark"),
        ({"Offset": -1}, "Offset must be an integer of at least 0"),
        ({"MaxBytes": "lots"}, "MaxBytes must be an integer of at least 1"),
        ({"Tail": 5}, "GetJobRunLog does not take Tail"),
    ):
        with pytest.raises(InvalidInputException, match=message):
            jobs.get_job_run_log(JobName="talk", RunId=run_id, **bad)
    with pytest.raises(EntityNotFoundException):
        jobs.get_job_run_log(JobName="talk", RunId="jr_nope")
