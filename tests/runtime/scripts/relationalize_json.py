"""Nested JSON -> Relationalize -> one parquet folder per table."""

import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.transforms import Relationalize
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source", "target"])
glueContext = GlueContext(SparkContext.getOrCreate())
people = glueContext.create_dynamic_frame.from_options("s3", {"paths": [args["source"]]}, "json")
tables = Relationalize.apply(frame=people, staging_path=args["TempDir"], name="people")
for name in sorted(tables.keys()):
    frame = tables.select(name)
    print("table:", name, frame.count())
    glueContext.write_dynamic_frame.from_options(
        frame=frame,
        connection_type="s3",
        connection_options={"path": f"{args['target']}{name}/"},
        format="parquet",
    )
