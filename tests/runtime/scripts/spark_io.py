"""A Glue script that mixes GlueContext with Spark's own readers and writers on s3:// paths."""

import sys

from pyspark.context import SparkContext
from pyspark.sql.functions import input_file_name

from awsglue.context import GlueContext
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "out"])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
spark.range(5).write.mode("overwrite").parquet(args["out"])
df = spark.read.load(args["out"], format="parquet")
frame = glueContext.create_dynamic_frame.from_options("s3", {"paths": [args["out"]]}, "parquet")
folders = sorted({r[0].split("/part-")[0] for r in df.select(input_file_name()).collect()})
print("spark:", df.count(), "glue:", frame.count(), "from:", folders)
