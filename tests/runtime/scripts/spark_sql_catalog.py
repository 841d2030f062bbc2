"""A plain PySpark job (no GlueContext): reads a catalog table with spark.sql, as on Glue with the Data
Catalog as Hive metastore, and prints what it read."""

import sys

from pyspark.sql import SparkSession

from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "region"])
spark = SparkSession.builder.getOrCreate()
rows = spark.sql(
    f"SELECT id, amount FROM lake.sales WHERE partition_0 = '{args['region']}' ORDER BY id"
).collect()
print("read:", [(r.id, r.amount) for r in rows])
