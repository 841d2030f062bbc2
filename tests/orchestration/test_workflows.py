"""Workflows through the service layer with a real scheduler, real run processes and a real crawl, on
SQLite and PostgreSQL: crawler → job A → (AND) job B, an ANY branch and a failure branch; the failed
node fixed and resumed; run properties; stopping a run; the rules Glue users rely on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gluelab.errors import (
    ConcurrentRunsExceededException,
    EntityNotFoundException,
    IllegalWorkflowStateException,
    InvalidInputException,
)
from gluelab.orchestration.scheduler import Scheduler
from gluelab.services import Services
from tests.jobs.runs_helpers import GATED, write_script
from tests.orchestration.orchestration_helpers import (
    finished_run,
    job_runs,
    job_states,
    landing_crawler,
    nodes_by_name,
    step_job,
    wait_for,
)


@pytest.fixture
def scheduler(services: Services) -> Iterator[Scheduler]:
    scheduler = Scheduler(services)
    scheduler.start()
    yield scheduler
    scheduler.close()


def _etl_workflow(services: Services, folder: Path) -> Path:
    """start (ON_DEMAND) → crawler landing + job a; AND(landing SUCCEEDED, a SUCCEEDED) → b;
    ANY(a SUCCEEDED, b FAILED) → report; b FAILED → cleanup. Returns b's "broken" switch."""
    landing_crawler(services)
    broken = folder / "b.broken"
    for name in ("a", "report", "cleanup"):
        step_job(services, folder, name)
    step_job(services, folder, "b", broken=broken)
    services.workflows.create_workflow(Name="etl", DefaultRunProperties={"day": "2026-11-21", "mode": "full"})
    triggers = services.triggers
    triggers.create_trigger(
        Name="start",
        WorkflowName="etl",
        Type="ON_DEMAND",
        Actions=[{"CrawlerName": "landing"}, {"JobName": "a", "Arguments": {"--step": "first"}}],
    )
    triggers.create_trigger(
        Name="then-b",
        WorkflowName="etl",
        Type="CONDITIONAL",
        StartOnCreation=True,
        Predicate={
            "Logical": "AND",
            "Conditions": [
                {"LogicalOperator": "EQUALS", "CrawlerName": "landing", "CrawlState": "SUCCEEDED"},
                {"LogicalOperator": "EQUALS", "JobName": "a", "State": "SUCCEEDED"},
            ],
        },
        Actions=[{"JobName": "b"}],
    )
    triggers.create_trigger(
        Name="any-report",
        WorkflowName="etl",
        Type="CONDITIONAL",
        StartOnCreation=True,
        Predicate={
            "Logical": "ANY",
            "Conditions": [
                {"LogicalOperator": "EQUALS", "JobName": "a", "State": "SUCCEEDED"},
                {"LogicalOperator": "EQUALS", "JobName": "b", "State": "FAILED"},
            ],
        },
        Actions=[{"JobName": "report"}],
    )
    triggers.create_trigger(
        Name="on-b-failure",
        WorkflowName="etl",
        Type="CONDITIONAL",
        StartOnCreation=True,
        Predicate={"Conditions": [{"LogicalOperator": "EQUALS", "JobName": "b", "State": "FAILED"}]},
        Actions=[{"JobName": "cleanup"}],
    )
    return broken


def test_a_workflow_runs_its_graph_and_a_fixed_node_resumes(
    services: Services, scheduler: Scheduler, tmp_path: Path
):
    broken = _etl_workflow(services, tmp_path)
    broken.touch()
    workflows = services.workflows
    run_id = workflows.start_workflow_run(Name="etl", RunProperties={"mode": "incremental"})["RunId"]
    assert run_id.startswith("wr_")

    run = finished_run(services, "etl", run_id)
    assert run["Status"] == "COMPLETED"  # as on Glue, even though b failed: the graph tells
    assert job_states(run) == {
        "a": ["SUCCEEDED"],
        "b": ["FAILED"],
        "report": ["SUCCEEDED"],
        "cleanup": ["SUCCEEDED"],
    }
    crawls = nodes_by_name(run)["landing"]["CrawlerDetails"]["Crawls"]
    assert [c["State"] for c in crawls] == ["SUCCEEDED"]
    assert run["Statistics"] == {
        "TotalActions": 5,
        "TimeoutActions": 0,
        "FailedActions": 1,
        "StoppedActions": 0,
        "SucceededActions": 4,
        "RunningActions": 0,
        "ErroredActions": 0,
        "WaitingActions": 0,
    }
    assert run["WorkflowRunProperties"] == {"day": "2026-11-21", "mode": "incremental"}
    assert services.catalog.get_table(DatabaseName="lake", Name="landing")["Table"]["Name"] == "landing"

    # Each node ran once (ANY fired once though both of its conditions came true), with its trigger's
    # name, the workflow's arguments, and for b the run it waited for.
    b = nodes_by_name(run)["b"]["JobDetails"]["JobRuns"][0]
    a = nodes_by_name(run)["a"]["JobDetails"]["JobRuns"][0]
    assert b["TriggerName"] == "then-b" and a["TriggerName"] == "start"
    assert a["Arguments"]["--step"] == "first"
    assert b["Arguments"]["--WORKFLOW_NAME"] == "etl" and b["Arguments"]["--WORKFLOW_RUN_ID"] == run_id
    assert b["PredecessorRuns"] == [{"JobName": "a", "RunId": a["Id"]}]
    assert b["ErrorMessage"].splitlines()[0] == "RuntimeError: b is broken"
    assert len(job_runs(services, "report")) == 1

    # The graph: 4 triggers, 5 job/crawler nodes; edges trigger → action and watched → trigger.
    ids = {n["Name"]: n["UniqueId"] for n in run["Graph"]["Nodes"]}
    edges = {(e["SourceId"], e["DestinationId"]) for e in run["Graph"]["Edges"]}
    assert (ids["start"], ids["landing"]) in edges and (ids["landing"], ids["then-b"]) in edges
    assert (ids["a"], ids["then-b"]) in edges and (ids["then-b"], ids["b"]) in edges
    assert (ids["b"], ids["on-b-failure"]) in edges and (ids["on-b-failure"], ids["cleanup"]) in edges
    assert len(run["Graph"]["Nodes"]) == 9

    # Fix b, resume it: b runs again (with a's success from the first run), nothing else does.
    broken.unlink()
    resumed = workflows.resume_workflow_run(Name="etl", RunId=run_id, NodeIds=[ids["b"]])
    assert resumed["NodeIds"] == [ids["b"]] and resumed["RunId"] != run_id
    again = finished_run(services, "etl", resumed["RunId"])
    assert again["Status"] == "COMPLETED" and again["PreviousRunId"] == run_id
    states = job_states(again)
    assert states["b"] == ["SUCCEEDED"] and states["a"] == ["SUCCEEDED"]  # a's copied from the original
    assert nodes_by_name(again)["a"]["JobDetails"]["JobRuns"][0]["Id"] == a["Id"]
    # cleanup and report are downstream of b: they run again only if their triggers fire (they do not)
    assert states["cleanup"] == [] and states["report"] == [] and len(job_runs(services, "cleanup")) == 1
    assert len(job_runs(services, "a")) == 1 and len(job_runs(services, "b")) == 2
    assert again["Statistics"]["TotalActions"] == 1 and again["Statistics"]["SucceededActions"] == 1
    assert again["WorkflowRunProperties"]["mode"] == "incremental"

    # The workflow shows its last run and, on request, its graph (no runs in it).
    workflow = workflows.get_workflow(Name="etl", IncludeGraph=True)["Workflow"]
    assert workflow["LastRun"]["WorkflowRunId"] == resumed["RunId"]
    assert {n["Name"] for n in workflow["Graph"]["Nodes"]} == set(ids)
    listed = workflows.get_workflow_runs(Name="etl", IncludeGraph=False)["Runs"]
    assert [r["WorkflowRunId"] for r in listed] == [resumed["RunId"], run_id]


def test_resume_refuses_what_glue_refuses(services: Services, scheduler: Scheduler, tmp_path: Path):
    _etl_workflow(services, tmp_path)
    run_id = services.workflows.start_workflow_run(Name="etl")["RunId"]
    with pytest.raises(IllegalWorkflowStateException, match="only COMPLETED runs"):
        services.workflows.resume_workflow_run(Name="etl", RunId=run_id, NodeIds=["wnode_x"])
    run = finished_run(services, "etl", run_id)
    ids = {n["Name"]: n["UniqueId"] for n in run["Graph"]["Nodes"]}
    with pytest.raises(InvalidInputException, match="is a trigger"):
        services.workflows.resume_workflow_run(Name="etl", RunId=run_id, NodeIds=[ids["start"]])
    with pytest.raises(InvalidInputException, match="did not run"):
        services.workflows.resume_workflow_run(Name="etl", RunId=run_id, NodeIds=[ids["cleanup"]])
    with pytest.raises(InvalidInputException, match="not in the graph"):
        services.workflows.resume_workflow_run(Name="etl", RunId=run_id, NodeIds=["wnode_nope"])
    # Choosing a node and one downstream of it restarts only the first.
    resumed = services.workflows.resume_workflow_run(Name="etl", RunId=run_id, NodeIds=[ids["b"], ids["a"]])
    assert resumed["NodeIds"] == [ids["a"]]
    again = finished_run(services, "etl", resumed["RunId"])
    assert job_states(again)["a"] == ["SUCCEEDED"] and job_states(again)["b"] == ["SUCCEEDED"]
    assert len(job_runs(services, "b")) == 2
    with pytest.raises(IllegalWorkflowStateException):
        services.workflows.stop_workflow_run(Name="etl", RunId=run_id)


def test_run_properties_merge_and_belong_to_one_run(services: Services, scheduler: Scheduler, tmp_path: Path):
    step_job(services, tmp_path, "only")
    services.workflows.create_workflow(Name="props", DefaultRunProperties={"a": "1", "b": "2"})
    services.triggers.create_trigger(
        Name="go", WorkflowName="props", Type="ON_DEMAND", Actions=[{"JobName": "only"}]
    )
    first = services.workflows.start_workflow_run(Name="props", RunProperties={"b": "20"})["RunId"]
    second = services.workflows.start_workflow_run(Name="props")["RunId"]
    services.workflows.put_workflow_run_properties(
        Name="props", RunId=first, RunProperties={"c": "3", "a": "10"}
    )
    assert services.workflows.get_workflow_run_properties(Name="props", RunId=first)["RunProperties"] == {
        "a": "10",
        "b": "20",
        "c": "3",
    }
    assert services.workflows.get_workflow_run_properties(Name="props", RunId=second)["RunProperties"] == {
        "a": "1",
        "b": "2",
    }
    with pytest.raises(EntityNotFoundException):
        services.workflows.get_workflow_run_properties(Name="props", RunId="wr_missing")
    finished_run(services, "props", first)
    finished_run(services, "props", second)


def test_stopping_a_workflow_run_stops_its_jobs_and_starts_nothing_more(
    services: Services, scheduler: Scheduler, tmp_path: Path
):
    gate = tmp_path / "gate"
    script = write_script(tmp_path, "gated.py", GATED)
    services.jobs.create_job(
        Name="slow",
        Role="r",
        Command={"Name": "pythonshell", "ScriptLocation": script},
        DefaultArguments={"--gate": str(gate)},
    )
    step_job(services, tmp_path, "after")
    services.workflows.create_workflow(Name="stoppable", MaxConcurrentRuns=1)
    services.triggers.create_trigger(
        Name="s", WorkflowName="stoppable", Type="ON_DEMAND", Actions=[{"JobName": "slow"}]
    )
    services.triggers.create_trigger(
        Name="s2",
        WorkflowName="stoppable",
        Type="CONDITIONAL",
        StartOnCreation=True,
        Predicate={"Conditions": [{"LogicalOperator": "EQUALS", "JobName": "slow", "State": "STOPPED"}]},
        Actions=[{"JobName": "after"}],
    )
    run_id = services.workflows.start_workflow_run(Name="stoppable")["RunId"]
    with pytest.raises(
        ConcurrentRunsExceededException, match="Concurrent runs exceeded for workflow: stoppable"
    ):
        services.workflows.start_workflow_run(Name="stoppable")
    slow_run = job_runs(services, "slow")[0]["Id"]
    wait_for(lambda: job_runs(services, "slow")[0]["JobRunState"] == "RUNNING", what="slow to run")
    services.workflows.stop_workflow_run(Name="stoppable", RunId=run_id)
    run = finished_run(services, "stoppable", run_id)
    assert run["Status"] == "STOPPED"
    assert services.jobs.get_job_run(JobName="slow", RunId=slow_run)["JobRun"]["JobRunState"] == "STOPPED"
    assert job_runs(services, "after") == []  # a stopping run starts nothing more
    again = services.workflows.start_workflow_run(Name="stoppable")["RunId"]  # room again
    gate.touch()  # its slow run finishes: no run process is left behind when the test ends
    assert finished_run(services, "stoppable", again)["Status"] == "COMPLETED"


def test_workflow_rules_and_bad_input(services: Services, tmp_path: Path):
    step_job(services, tmp_path, "a")
    wf, tr = services.workflows, services.triggers
    wf.create_workflow(Name="w")
    with pytest.raises(InvalidInputException, match="no start trigger"):
        wf.start_workflow_run(Name="w")
    tr.create_trigger(Name="first", WorkflowName="w", Type="ON_DEMAND", Actions=[{"JobName": "a"}])
    with pytest.raises(InvalidInputException, match="already has a start trigger"):
        tr.create_trigger(
            Name="second",
            WorkflowName="w",
            Type="SCHEDULED",
            Schedule="cron(0 1 * * ? *)",
            Actions=[{"JobName": "a"}],
        )
    with pytest.raises(EntityNotFoundException, match="Workflow with name: nope"):
        tr.create_trigger(Name="x", WorkflowName="nope", Type="ON_DEMAND", Actions=[{"JobName": "a"}])
    with pytest.raises(EntityNotFoundException):
        wf.get_workflow(Name="nope")
    with pytest.raises(InvalidInputException, match="MaxConcurrentRuns must be at least 1"):
        wf.create_workflow(Name="zero", MaxConcurrentRuns=0)
    with pytest.raises(InvalidInputException):
        wf.create_workflow(Name="")  # Glue's own length limit
    from gluelab.errors import AlreadyExistsException

    with pytest.raises(AlreadyExistsException):
        wf.create_workflow(Name="w")
    wf.update_workflow(Name="w", Description="nightly", MaxConcurrentRuns=2)
    got = wf.get_workflow(Name="w")["Workflow"]
    assert got["Description"] == "nightly" and got["MaxConcurrentRuns"] == 2 and "LastRun" not in got
    assert wf.list_workflows()["Workflows"] == ["w"]
    assert wf.batch_get_workflows(Names=["w", "ghost"])["MissingWorkflows"] == ["ghost"]
    # Deleting a workflow deletes its triggers, not its jobs.
    wf.delete_workflow(Name="w")
    assert tr.batch_get_triggers(TriggerNames=["first"])["TriggersNotFound"] == ["first"]
    assert services.jobs.get_job(JobName="a")["Job"]["Name"] == "a"
    wf.delete_workflow(Name="w")  # silent when absent
