"""Cleans the sales exports that earlier runs have not seen (job bookmarks): types them, sets malformed
rows aside, joins each order to its customer and writes the curated table shop.sales, partitioned by day."""

import sys

import boto3
from pyspark.context import SparkContext
from pyspark.sql import functions as F

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.transforms import ApplyMapping
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "curated_path", "rejects_path"])
glue = GlueContext(SparkContext.getOrCreate())
job = Job(glue)
job.init(args["JOB_NAME"], args)

# Only the files no earlier successful run has read: the bookmark of transformation_ctx "raw_sales".
raw = glue.create_dynamic_frame.from_catalog(
    database="shop", table_name="raw_sales", transformation_ctx="raw_sales"
)
# A column holding "3" in one file and "two" in another is a choice of long and string: keep the text,
# then type it below (what does not parse is a malformed row).
raw = raw.resolveChoice(choice="cast:string").toDF()
# Every customer (a dimension), flattened from the nested JSON.
customers = ApplyMapping.apply(
    frame=glue.create_dynamic_frame.from_catalog(database="shop", table_name="raw_customers"),
    mappings=[
        ("customer_id", "long", "customer_id", "long"),
        ("name", "string", "customer_name", "string"),
        ("address.city", "string", "city", "string"),
        ("address.country", "string", "country", "string"),
    ],
).toDF()

stats = {"rows_read": 0, "rows_clean": 0, "rows_rejected": 0}
if raw.columns:
    typed = raw.select(
        F.expr("try_cast(order_id AS BIGINT)").alias("order_id"),
        F.expr("try_cast(customer_id AS BIGINT)").alias("customer_id"),
        F.col("sku").cast("string").alias("sku"),
        F.expr("try_cast(quantity AS INT)").alias("quantity"),
        F.expr("try_cast(unit_price AS DECIMAL(10,2))").alias("unit_price"),
        F.expr("try_to_timestamp(CAST(ordered_at AS STRING), 'yyyy-MM-dd HH:mm:ss')").alias("ordered_at"),
        F.col("dt").cast("string").alias("dt"),
        F.to_json(F.struct(*[F.col(c).cast("string") for c in raw.columns])).alias("raw_row"),
    ).cache()
    valid = " AND ".join(
        f"{c} IS NOT NULL" for c in ("order_id", "customer_id", "quantity", "unit_price", "ordered_at")
    )
    good = typed.where(valid).drop("raw_row")
    bad = typed.where(f"NOT ({valid})").select("dt", "raw_row")
    curated = good.join(customers, "customer_id").withColumn(
        "amount", (F.col("quantity") * F.col("unit_price")).cast("decimal(12,2)")
    )
    # Both go to the lake and into the catalog (the table is created by the first run, then gets new days).
    for frame, path, table in ((curated, "curated_path", "sales"), (bad, "rejects_path", "sales_rejects")):
        sink = glue.getSink(
            connection_type="s3",
            path=args[path],
            enableUpdateCatalog=True,
            updateBehavior="UPDATE_IN_DATABASE",
            partitionKeys=["dt"],
        )
        sink.setFormat("glueparquet")
        sink.setCatalogInfo(catalogDatabase="shop", catalogTableName=table)
        sink.writeFrame(DynamicFrame.fromDF(frame, glue, table))
    stats = {"rows_read": typed.count(), "rows_clean": curated.count(), "rows_rejected": bad.count()}
print(f"read {stats['rows_read']} new rows: {stats['rows_clean']} clean, {stats['rows_rejected']} set aside")

if "--WORKFLOW_RUN_ID" in sys.argv:  # tell the rest of the workflow run what this one did
    run = getResolvedOptions(sys.argv, ["WORKFLOW_NAME", "WORKFLOW_RUN_ID"])
    boto3.client("glue").put_workflow_run_properties(
        Name=run["WORKFLOW_NAME"],
        RunId=run["WORKFLOW_RUN_ID"],
        RunProperties={key: str(value) for key, value in stats.items()},
    )
job.commit()
