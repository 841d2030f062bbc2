"""An hourly incremental Glue job with a job bookmark. It reads what is new since its last run: json
events (whose price is a number in some records and text in others, left unresolved), csv readings,
parquet metrics, a landing folder nobody has created yet, and the new partitions of a catalog table (of
which no order is big enough for the big-orders output). It writes them to csv, json, parquet, orc and
glueparquet (write_dynamic_frame.from_options), to a catalog table (write_dynamic_frame.from_catalog,
enableUpdateCatalog and partitionKeys) and through getSink with enableUpdateCatalog. When nothing is
new, every read is empty and the run still succeeds.

What the run saw of each frame (its fields and row count) is written to --report as JSON."""

import json
import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping, Filter
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "report"])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

events = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": ["s3://landing/events/"]},
    format="json",
    transformation_ctx="events",
)
readings = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": ["s3://landing/readings/"]},
    format="csv",
    format_options={"withHeader": True},
    transformation_ctx="readings",
)
metrics = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": ["s3://landing/metrics/"]},
    format="parquet",
    transformation_ctx="metrics",
)
late = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": ["s3://landing/late-arrivals/"]},
    format="json",
    transformation_ctx="late",
)
orders = glueContext.create_dynamic_frame.from_catalog(
    database="shop", table_name="raw_orders", transformation_ctx="orders"
)

readings = ApplyMapping.apply(
    frame=readings,
    mappings=[("station", "string", "station", "string"), ("temp", "string", "temp", "double")],
    transformation_ctx="readings_mapped",
)

big_orders = Filter.apply(frame=orders, f=lambda row: row["amount"] > 1000, transformation_ctx="big_orders")

report = {
    name: {
        "fields": [[f.name, f.dataType.typeName()] for f in frame.schema().fields],
        "rows": frame.count(),
    }
    for name, frame in {
        "events": events,
        "readings": readings,
        "metrics": metrics,
        "late": late,
        "orders": orders,
    }.items()
}

for fmt in ("csv", "json", "parquet", "orc", "glueparquet"):
    glueContext.write_dynamic_frame.from_options(
        frame=events,
        connection_type="s3",
        connection_options={"path": f"s3://curated/events_{fmt}/"},
        format=fmt,
        transformation_ctx=f"events_{fmt}",
    )
glueContext.write_dynamic_frame.from_options(
    frame=readings,
    connection_type="s3",
    connection_options={"path": "s3://curated/readings/", "partitionKeys": ["station"]},
    format="parquet",
    transformation_ctx="readings_out",
)
glueContext.write_dynamic_frame.from_options(
    frame=readings,
    connection_type="s3",
    connection_options={"path": "s3://curated/readings_json/"},
    format="json",
    transformation_ctx="readings_json",
)
glueContext.write_dynamic_frame.from_catalog(
    frame=orders,
    database="shop",
    table_name="orders",
    additional_options={
        "enableUpdateCatalog": True,
        "updateBehavior": "UPDATE_IN_DATABASE",
        "partitionKeys": ["day"],
    },
    transformation_ctx="orders_out",
)

glueContext.write_dynamic_frame.from_options(
    frame=big_orders,
    connection_type="s3",
    connection_options={"path": "s3://curated/big_orders/"},
    format="parquet",
    transformation_ctx="big_orders_out",
)
glueContext.write_dynamic_frame.from_options(
    frame=big_orders,
    connection_type="s3",
    connection_options={"path": "s3://curated/big_orders_csv/"},
    format="csv",
    transformation_ctx="big_orders_csv",
)

metrics_sink = glueContext.getSink(
    connection_type="s3",
    path="s3://curated/metrics/",
    enableUpdateCatalog=True,
    updateBehavior="UPDATE_IN_DATABASE",
    partitionKeys=["day"],
    transformation_ctx="metrics_out",
)
metrics_sink.setFormat("glueparquet")
metrics_sink.setCatalogInfo(catalogDatabase="shop", catalogTableName="metrics")
metrics_sink.writeFrame(metrics)

events_sink = glueContext.getSink(
    connection_type="s3",
    path="s3://curated/events_table/",
    enableUpdateCatalog=True,
    transformation_ctx="events_table",
)
events_sink.setFormat("csv")
events_sink.setCatalogInfo(catalogDatabase="shop", catalogTableName="events")
events_sink.writeFrame(events)

with open(args["report"], "w") as out:
    json.dump(report, out)
job.commit()
