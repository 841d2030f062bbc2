"""``gluelab jobs run|runs|logs|stop|metrics`` as a user types them (each a real subprocess)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.helpers import run_gluelab
from tests.jobs.runs_helpers import FLAKY, GATED, write_script


def test_run_follow_runs_logs_and_retries(tmp_path: Path):
    home = tmp_path / "home"
    hello = write_script(
        tmp_path, "hello.py", "import sys\nprint('hello from', sys.argv[sys.argv.index('--who') + 1])\n"
    )
    run_gluelab(
        home, "jobs", "create", "hello", "--script", hello, "--type", "pythonshell", "--arg", "who=cli"
    )
    out = run_gluelab(home, "jobs", "run", "hello", "--follow").stdout
    assert "hello from cli" in out and "SUCCEEDED" in out
    run_id = re.search(r"started run (jr_\w+)", out).group(1)
    runs = run_gluelab(home, "jobs", "runs", "hello").stdout
    assert run_id[:12] in runs and "SUCCEEDED" in runs
    logs = run_gluelab(home, "jobs", "logs", run_id[:10]).stdout
    assert "[stdout] hello from cli" in logs and "[run]" in logs
    assert run_gluelab(home, "jobs", "logs", run_id, "--stream", "stdout").stdout == "hello from cli\n"
    assert "no Spark metrics" in run_gluelab(home, "jobs", "metrics", run_id).stdout

    marker = tmp_path / "marker"
    flaky = write_script(tmp_path, "flaky.py", FLAKY)
    run_gluelab(
        home, "jobs", "create", "flaky", "--script", flaky, "--type", "pythonshell", "--max-retries", "1"
    )
    out = run_gluelab(home, "jobs", "run", "flaky", "--arg", f"marker={marker}").stdout
    assert "RuntimeError: first attempt fails" in out
    assert "retrying: attempt 1" in out and out.rstrip().splitlines()[-1].endswith("SUCCEEDED after 0 s")


def test_stop_and_bad_input_from_the_cli(tmp_path: Path):
    home = tmp_path / "home"
    gate = tmp_path / "gate"
    script = write_script(tmp_path, "gated.py", GATED)
    run_gluelab(
        home, "jobs", "create", "gated", "--script", script, "--type", "pythonshell", "--arg", f"gate={gate}"
    )
    out = run_gluelab(home, "jobs", "run", "gated", "--no-wait").stdout
    run_id = re.search(r"started run (jr_\w+)", out).group(1)
    until = time.monotonic() + 60
    while "started" not in run_gluelab(home, "jobs", "logs", run_id, "--stream", "stdout").stdout:
        assert time.monotonic() < until
        time.sleep(0.2)
    busy = run_gluelab(home, "jobs", "run", "gated", check=False)
    assert busy.returncode == 1 and "ConcurrentRunsExceededException" in busy.stderr
    assert "stopping run" in run_gluelab(home, "jobs", "stop", run_id).stdout
    followed = run_gluelab(home, "jobs", "logs", run_id, "--follow", "--stream", "run").stdout
    assert followed.rstrip().endswith("STOPPED")
    again = run_gluelab(home, "jobs", "stop", run_id, check=False)
    assert again.returncode == 1 and "Job run is STOPPED" in again.stdout

    missing = run_gluelab(home, "jobs", "run", "nope", check=False)
    assert missing.returncode == 1 and "EntityNotFoundException" in missing.stderr
    bad = run_gluelab(home, "jobs", "run", "gated", "--timeout", "-3", check=False)
    assert bad.returncode == 1 and "InvalidInputException" in bad.stderr
    unknown = run_gluelab(home, "jobs", "logs", "jr_doesnotexist", check=False)
    assert unknown.returncode == 1 and "No job run jr_doesnotexist" in unknown.stderr
