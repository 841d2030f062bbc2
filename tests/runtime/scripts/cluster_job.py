"""A small Glue job that makes executors work: CSV -> ApplyMapping -> Filter (Python) -> parquet, then
Spark's own reader and writer on s3:// (executors on the cluster resolve the lake themselves)."""

import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.transforms import ApplyMapping, Filter
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source", "target"])
sc = SparkContext()
glueContext = GlueContext(sc)
frame = glueContext.create_dynamic_frame.from_options(
    "s3", {"paths": [args["source"]]}, "csv", {"withHeader": True}
)
mapped = ApplyMapping.apply(
    frame=frame, mappings=[("id", "string", "id", "long"), ("v", "string", "v", "double")]
)
big = Filter.apply(frame=mapped, f=lambda r: r["v"] >= 50)
glueContext.write_dynamic_frame.from_options(
    frame=big, connection_type="s3", connection_options={"path": args["target"]}, format="parquet"
)
executors = sc._jsc.sc().getExecutorMemoryStatus().size() - 1
print(f"master: {sc.master}; executors: {executors}; rows: {big.count()}")

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql.functions import input_file_name  # noqa: E402

spark = SparkSession.builder.getOrCreate()
df = spark.read.parquet(args["target"])
df.withColumn("doubled", df.v * 2).write.mode("overwrite").parquet(args["target"].rstrip("/") + "_doubled/")
files = {r[0].split("/part-")[0] for r in df.select(input_file_name()).distinct().collect()}
print(f"spark read {df.count()} rows from {sorted(files)}")
