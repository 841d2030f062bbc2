"""A job's own ``boto3.client("glue")`` reaches the gluelab serve that runs it, as a Glue job's role reaches
Glue: scripts that call the API (workflow run properties, the catalog) run unmodified."""

from __future__ import annotations

from tests.helpers import ServerProcess
from tests.jobs.runs_helpers import wait_run, write_script

CALLS_GLUE = """
import boto3
glue = boto3.client("glue")
glue.create_table(DatabaseName="made_by_jobs", TableInput={"Name": "from_a_run"})
print("tables:", [t["Name"] for t in glue.get_tables(DatabaseName="made_by_jobs")["TableList"]])
"""


def test_a_run_calls_the_glue_api_with_a_plain_boto3_client(server: ServerProcess, glue, tmp_path):
    glue.create_database(DatabaseInput={"Name": "made_by_jobs"})
    script = write_script(tmp_path, "calls_glue.py", CALLS_GLUE)
    glue.create_job(Name="calls_glue", Role="r", Command={"Name": "pythonshell", "ScriptLocation": script})
    run_id = glue.start_job_run(JobName="calls_glue")["JobRunId"]
    run = wait_run(glue.get_job_run, "calls_glue", run_id)
    logs = server.home / "logs" / "runs" / run_id
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert "tables: ['from_a_run']" in (logs / "stdout.log").read_text()
    assert (
        "boto3's glue, s3 and sts clients reach gluelab serve at http://127.0.0.1:"
        in (logs / "run.log").read_text()
    )
    assert glue.get_table(DatabaseName="made_by_jobs", Name="from_a_run")["Table"]["Name"] == "from_a_run"

    # A run that brings its own AWS settings keeps them, all of them: gluelab adds no credentials.
    own = "AWS_ENDPOINT_URL_GLUE=http://127.0.0.1:9,AWS_DEFAULT_REGION=eu-west-1"
    run_id = glue.start_job_run(JobName="calls_glue", Arguments={"--customer-driver-env-vars": own})[
        "JobRunId"
    ]
    run = wait_run(glue.get_job_run, "calls_glue", run_id)
    assert run["JobRunState"] == "FAILED" and "NoCredentialsError" in run["ErrorMessage"]
    assert "reaches gluelab serve" not in (server.home / "logs" / "runs" / run_id / "run.log").read_text()
