"""What Spark SQL gives for inputs whose result Spark 3 and Spark 4 disagree on, the session's settings,
and what boto3 reaches from a Glue script; printed as one ``PARITY {...}`` JSON line
(tests/runtime/test_glue_parity_versions.py)."""

import json
import sys

import boto3
from pyspark.context import SparkContext
from pyspark.sql import functions as F

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "bucket"])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)


def outcome(frame):
    """The first row's values, or the error condition Spark raised."""
    try:
        return {"row": list(frame.collect()[0])}
    except Exception as error:  # noqa: BLE001 - the probe records every failure
        condition = error.getCondition() if hasattr(error, "getCondition") else None
        return {"error": condition or type(error).__name__}


raw = spark.createDataFrame([("n/a", "2024-02-30", "2024-2-3")], ["amount", "day", "loose_day"])
semantics = {
    "impossible_date": outcome(spark.sql("SELECT to_date('2024-02-30')")),
    "failed_cast": outcome(spark.sql("SELECT CAST('abc' AS INT)")),
    "int_overflow": outcome(spark.sql("SELECT 2147483647 + 1")),
    "long_to_int": outcome(spark.sql("SELECT CAST(2147483648L AS INT)")),
    "divide_by_zero": outcome(spark.sql("SELECT 1 / 0")),
    "dataframe_casts": outcome(raw.select(F.col("amount").cast("double"), F.to_date("day"))),
    "pattern_mismatch": outcome(raw.select(F.to_date("loose_day", "yyyy-MM-dd"))),
}
settings = {
    key: spark.conf.get(key)
    for key in (
        "spark.sql.ansi.enabled",
        "spark.sql.legacy.timeParserPolicy",
        "spark.sql.legacy.ctePrecedencePolicy",
        "spark.sql.parquet.int96RebaseModeInRead",
        "spark.sql.parquet.datetimeRebaseModeInWrite",
        "spark.sql.orc.compression.codec",
    )
}
try:
    glue = boto3.client("glue")
    tables = sorted(t["Name"] for t in glue.get_tables(DatabaseName=args["database"])["TableList"])
    s3 = boto3.client("s3")
    listing = s3.list_objects_v2(Bucket=args["bucket"], Prefix="raw/")
    aws = {"tables": tables, "keys": [o["Key"] for o in listing.get("Contents", [])]}
except Exception as error:  # noqa: BLE001 - with nothing serving, boto3 has no endpoint to reach
    aws = {"error": type(error).__name__}

print("PARITY " + json.dumps({"semantics": semantics, "settings": settings, "aws": aws}, default=str))
job.commit()
