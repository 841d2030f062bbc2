"""A PostgreSQL table (through a Glue connection) -> the warehouse as JSON."""

import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "table", "target"])
glueContext = GlueContext(SparkContext())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
source = glueContext.create_dynamic_frame.from_options(
    connection_type="postgresql",
    connection_options={
        "useConnectionProperties": "true",
        "connectionName": "warehouse-pg",
        "dbtable": args["table"],
    },
    transformation_ctx="source",
)
glueContext.write_dynamic_frame.from_options(
    frame=source, connection_type="s3", connection_options={"path": args["target"]}, format="json"
)
print("rows:", source.count())
job.commit()
