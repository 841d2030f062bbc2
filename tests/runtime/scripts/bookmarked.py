"""A bookmarked job: new JSON files under the input -> appended to the output; --fail raises before commit."""

import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "input", "output", "fail"])
glueContext = GlueContext(SparkContext())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
new = glueContext.create_dynamic_frame.from_options(
    "s3", {"paths": [args["input"]]}, "json", transformation_ctx="events"
)
ids = sorted(r["id"] for r in new.toDF().collect()) if new.toDF().columns else []
print("read:", ids)
if ids:
    glueContext.write_dynamic_frame.from_options(
        frame=new, connection_type="s3", connection_options={"path": args["output"]}, format="json"
    )
if args["fail"] == "true":
    raise RuntimeError("simulated failure after writing, before job.commit()")
job.commit()
