"""Catalog read -> ApplyMapping -> ResolveChoice -> partitioned parquet with a catalog update."""

import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping, ResolveChoice
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "target"])
sc = SparkContext.getOrCreate()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

raw = glueContext.create_dynamic_frame.from_catalog(
    database="shop", table_name="raw_orders", transformation_ctx="raw_orders"
)
mapped = ApplyMapping.apply(
    frame=raw,
    mappings=[
        ("order_id", "long", "order_id", "long"),
        ("customer.name", "string", "customer_name", "string"),
        ("price", "choice", "price", "choice"),
        ("day", "string", "day", "string"),
    ],
    transformation_ctx="mapped",
)
resolved = ResolveChoice.apply(frame=mapped, specs=[("price", "cast:double")], transformation_ctx="resolved")

sink = glueContext.getSink(
    path=args["target"],
    connection_type="s3",
    updateBehavior="UPDATE_IN_DATABASE",
    partitionKeys=["day"],
    enableUpdateCatalog=True,
    transformation_ctx="sink",
)
sink.setCatalogInfo(catalogDatabase="shop", catalogTableName="orders")
sink.setFormat("glueparquet", compression="snappy")
sink.writeFrame(resolved)
print("errors:", raw.errorsCount())
job.commit()
