"""A Glue job reading a crawled, partitioned catalog table: the newest month alone, then every month."""

import json
import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "table_name"])
sc = SparkContext()
glueContext = GlueContext(sc)
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

march = glueContext.create_dynamic_frame.from_catalog(
    database=args["database"],
    table_name=args["table_name"],
    push_down_predicate="year == '2024' and month == '03'",
    transformation_ctx="march",
)
orders = glueContext.create_dynamic_frame.from_catalog(
    database=args["database"], table_name=args["table_name"], transformation_ctx="orders"
)
report = {
    "march": sorted([r["order_id"], r["month"]] for r in march.toDF().collect()),
    "months": sorted({r["month"] for r in orders.toDF().collect()}),
}
print("REPORT " + json.dumps(report))
job.commit()
