"""Sums up a workflow run of daily_sales from what its jobs recorded (a Python shell job: boto3 only)."""

import sys

import boto3

from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["WORKFLOW_NAME", "WORKFLOW_RUN_ID"])
glue = boto3.client("glue")
run = glue.get_workflow_run(Name=args["WORKFLOW_NAME"], RunId=args["WORKFLOW_RUN_ID"])["Run"]
properties = run["WorkflowRunProperties"]
pages = glue.get_paginator("get_partitions").paginate(DatabaseName="shop", TableName="sales")
days = sorted(partition["Values"][0] for page in pages for partition in page["Partitions"])
summary = (
    f"run {run['WorkflowRunId']}: {properties.get('rows_read', 0)} new rows, "
    f"{properties.get('rows_clean', 0)} clean, {properties.get('rows_rejected', 0)} set aside; "
    f"quality {properties.get('quality', 'not checked')}; "
    f"shop.sales holds {len(days)} days ({days[0]} to {days[-1]})"
)
print(summary)
glue.put_workflow_run_properties(
    Name=args["WORKFLOW_NAME"], RunId=args["WORKFLOW_RUN_ID"], RunProperties={"summary": summary}
)
