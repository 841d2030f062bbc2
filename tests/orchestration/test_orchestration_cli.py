"""``gluelab triggers`` and ``gluelab workflows`` as a user types them: a workflow built from the CLI,
run and followed (the CLI runs a scheduler while it follows, as no server is running), printed as a text
graph with states, fixed and resumed by node name; schedules explained; bad input refused clearly."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_gluelab
from tests.jobs.runs_helpers import write_script
from tests.orchestration.orchestration_helpers import STEP


def test_a_workflow_from_the_cli(tmp_path: Path):
    home = tmp_path / "home"
    script = write_script(tmp_path, "step.py", STEP)
    broken = tmp_path / "load.broken"
    broken.touch()
    for job in ("extract", "load", "alert"):
        switch = broken if job == "load" else tmp_path / "never"
        run_gluelab(
            home,
            "jobs",
            "create",
            job,
            "--script",
            script,
            "--type",
            "pythonshell",
            "--arg",
            f"broken={switch}",
        )
    run_gluelab(home, "workflows", "create", "etl", "-p", "day=2026-11-21", "--description", "nightly etl")
    run_gluelab(
        home, "triggers", "create", "go", "--type", "on_demand", "--workflow", "etl", "--job", "extract"
    )
    run_gluelab(
        home,
        "triggers",
        "create",
        "then-load",
        "--type",
        "CONDITIONAL",
        "-w",
        "etl",
        "--when",
        "job:extract=SUCCEEDED",
        "--job",
        "load",
        "--arg",
        "mode=full",
    )
    run_gluelab(
        home,
        "triggers",
        "create",
        "on-failure",
        "--type",
        "CONDITIONAL",
        "-w",
        "etl",
        "--when",
        "job:load=failed",
        "--when",
        "job:extract=failed",
        "--logical",
        "any",
        "--job",
        "alert",
    )
    listed = run_gluelab(home, "triggers", "list").stdout
    assert (
        "then-load" in listed and "extract SUCCEEDED" in listed and "load FAILED or extract FAILED" in listed
    )

    first = run_gluelab(home, "workflows", "run", "etl", "-p", "mode=cli", check=False)
    assert first.returncode == 1, first.stdout  # load failed
    out = first.stdout
    assert "COMPLETED" in out and "job extract SUCCEEDED" in out
    assert "job load FAILED · RuntimeError: load is broken" in out and "job alert SUCCEEDED" in out
    assert "3 action(s): 2 succeeded, 1 failed" in out

    runs = json.loads(run_gluelab(home, "workflows", "runs", "etl", "--json").stdout)["Runs"]
    run_id = runs[0]["WorkflowRunId"]
    props = json.loads(run_gluelab(home, "workflows", "properties", "etl", "--set", "note=checked").stdout)
    assert props == {"day": "2026-11-21", "mode": "cli", "note": "checked"}

    broken.unlink()
    resumed = run_gluelab(home, "workflows", "resume", "etl", run_id, "--node", "load")
    assert "load run again" in resumed.stdout and "job load SUCCEEDED" in resumed.stdout
    status = run_gluelab(home, "workflows", "status", "etl").stdout  # the latest run: the resumed one
    assert (
        "job extract SUCCEEDED" in status and "job load SUCCEEDED" in status and "job alert not run" in status
    )

    shown = run_gluelab(home, "workflows", "show", "etl").stdout
    assert "◆ go" in shown and "◆ then-load" in shown and "job alert" in shown
    listed = run_gluelab(home, "workflows", "list").stdout
    assert "etl" in listed and "COMPLETED" in listed


def test_schedules_and_bad_input_from_the_cli(tmp_path: Path):
    home = tmp_path / "home"
    explained = run_gluelab(home, "triggers", "next", "cron(0 10 ? * MON#1 *)", "-n", "2").stdout
    assert "first Monday of the month" in explained and explained.count(" local)") == 2
    assert "Mon 2026-12-07 10:00 UTC" in explained or "Mon 20" in explained
    bad = run_gluelab(home, "triggers", "next", "cron(0 10 * * MON *)", check=False)
    assert bad.returncode == 1 and "InvalidInputException" in bad.stderr and "'?'" in bad.stderr

    script = write_script(tmp_path, "step.py", STEP)
    run_gluelab(home, "jobs", "create", "nightly", "--script", script, "--type", "pythonshell")
    created = run_gluelab(
        home,
        "triggers",
        "create",
        "at-two",
        "--type",
        "scheduled",
        "--schedule",
        "cron(0 2 ? * MON-FRI *)",
        "--job",
        "nightly",
    ).stdout
    assert "ACTIVATED" in created and "Monday through Friday" in created
    shown = run_gluelab(home, "triggers", "show", "at-two", "-n", "3").stdout
    assert shown.count("02:00 UTC") == 4  # the description and three fire times
    run_gluelab(home, "triggers", "stop", "at-two")
    assert "DEACTIVATED" in run_gluelab(home, "triggers", "show", "at-two").stdout

    too_often = run_gluelab(
        home,
        "triggers",
        "create",
        "busy",
        "--type",
        "scheduled",
        "--schedule",
        "cron(* * * * ? *)",
        "--job",
        "nightly",
        check=False,
    )
    assert too_often.returncode == 1 and "at most every 5 minutes" in too_often.stderr
    ghost = run_gluelab(home, "triggers", "create", "g", "--type", "on_demand", "--job", "ghost", check=False)
    assert ghost.returncode == 1 and "EntityNotFoundException: Job with name: ghost not found" in ghost.stderr
    bad_when = run_gluelab(
        home, "triggers", "create", "c", "--type", "conditional", "--when", "nightly", check=False
    )
    assert bad_when.returncode != 0 and "job:NAME=STATE" in bad_when.stderr
    no_start = run_gluelab(home, "workflows", "run", "nothing", check=False)
    assert no_start.returncode == 1 and "Workflow with name: nothing not found" in no_start.stderr
    assert "at-two" in run_gluelab(home, "triggers", "list").stdout
    run_gluelab(home, "triggers", "delete", "at-two")
    assert "0 trigger(s)" in run_gluelab(home, "triggers", "list").stdout
