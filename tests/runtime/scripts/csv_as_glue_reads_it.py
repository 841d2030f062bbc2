"""Reads crawled and hand-made CSV catalog tables and CSV files, and writes what it saw (schemas, rows) as
JSON to --report, for tests/runtime/test_glue_parity_csv.py."""

import json
import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "report"])
sc = SparkContext()
glueContext = GlueContext(sc)
job = Job(glueContext)
job.init(args["JOB_NAME"], args)


def type_name(data_type):
    if data_type.typeName() == "choice":
        return "choice<" + ",".join(sorted(data_type.choices)) + ">"
    return data_type.typeName()


def observed(frame, order_by):
    return {
        "schema": [[f.name, type_name(f.dataType)] for f in frame.schema().fields],
        "rows": [r.asDict(recursive=True) for r in frame.toDF().orderBy(order_by).collect()],
    }


report = {}
customers = glueContext.create_dynamic_frame.from_catalog(
    database="lake", table_name="customers", transformation_ctx="customers"
)
report["customers"] = observed(customers, "id")

movies = glueContext.create_dynamic_frame.from_catalog(database="lake", table_name="movies")
report["movies"] = observed(movies, "title")

scores = glueContext.create_dynamic_frame.from_catalog(database="lake", table_name="scores")
report["scores"] = observed(scores, "player")

contacts = glueContext.create_dynamic_frame.from_catalog(database="lake", table_name="contacts")
report["contacts"] = observed(contacts, "id")

orders = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": ["s3://lake/orders/"]},
    format="csv",
    format_options={"withHeader": True},
)
report["orders"] = observed(orders, "id")

providers = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": ["s3://lake/providers/"]},
    format="csv",
    format_options={"withHeader": True},
)
report["providers"] = observed(providers, "provider_name")
as_long = providers.resolveChoice(specs=[("provider_id", "cast:long")])
report["providers_cast_long"] = observed(as_long, "provider_name")

inpatient = glueContext.create_dynamic_frame.from_catalog(database="lake", table_name="inpatient")
report["inpatient"] = observed(inpatient, "`provider name`")
resolved = inpatient.resolveChoice(specs=[("provider id", "cast:long")])
report["inpatient_cast_long"] = observed(resolved, "`provider name`")

with open(args["report"], "w") as handle:
    json.dump(report, handle)
job.commit()
