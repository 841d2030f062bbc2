"""Field names as crawled headers keep them (spaces, punctuation, non-ASCII, dots) through every transform
that takes field paths, DataFrames with repeated column names made into frames, and ApplyMapping's type
conversions. Writes what it saw as JSON to --report, for tests/runtime/test_glue_parity_fields.py."""

import json
import sys

from pyspark.context import SparkContext
from pyspark.sql import functions as F

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.transforms import (
    ApplyMapping,
    DropFields,
    Relationalize,
    RenameField,
    ResolveChoice,
    SelectFields,
    SplitFields,
    Unbox,
)
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "TempDir", "cases", "report"])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)


def type_text(t):
    name = t.typeName()
    if name == "struct":
        return "struct<" + ",".join(f"{f.name}:{type_text(f.dataType)}" for f in t.fields) + ">"
    if name == "array":
        return f"array<{type_text(t.elementType)}>"
    if name == "choice":
        return "choice<" + ",".join(sorted(t.choices)) + ">"
    return name


def schema_of(frame):
    return [[f.name, type_text(f.dataType)] for f in frame.schema().fields]


def rows_of(frame, order_by):
    df = frame.toDF()
    return [r.asDict(recursive=True) for r in df.orderBy(F.col(f"`{order_by}`")).collect()]


report = {}

# -- 1. names with spaces and other characters, through every transform taking field paths ----------------
medicare = glueContext.create_dynamic_frame.from_catalog(
    database="lake", table_name="medicare", transformation_ctx="medicare"
)
report["read"] = schema_of(medicare)
# As in Glue's Medicaid sample: "provider id" is choice<long,string>, cast to long.
resolved = ResolveChoice.apply(frame=medicare, specs=[("provider id", "cast:long")], transformation_ctx="rc")
report["resolved"] = {"schema": schema_of(resolved), "rows": rows_of(resolved, "drg definition")}
mapped = ApplyMapping.apply(
    frame=resolved,
    mappings=[
        ("drg definition", "string", "drg", "string"),
        ("provider id", "long", "provider.id", "long"),
        ("provider name", "string", "provider.name", "string"),
        ("pay-rate (%)", "double", "rate (%)", "double"),
        ("région", "string", "région", "string"),
        ("#beds", "long", "beds #", "int"),
        ("`x.y`", "string", "`dotted.name`", "string"),
        ("addr info.`st.ate`", "string", "state / province", "string"),
        ("addr info.zip code", "string", "zip code", "int"),
    ],
    transformation_ctx="mapped",
)
report["mapped"] = {"schema": schema_of(mapped), "rows": rows_of(mapped, "drg")}
selected = SelectFields.apply(frame=resolved, paths=["provider id", "addr info.zip code", "`x.y`", "a/b"])
report["selected"] = schema_of(selected)
dropped = DropFields.apply(
    frame=resolved, paths=["drg definition", "addr info.zip code", "phone numbers[].ph #", "`x.y`", "#beds"]
)
report["dropped"] = schema_of(dropped)
renamed = RenameField.apply(frame=resolved, old_name="provider name", new_name="name of provider")
renamed = RenameField.apply(frame=renamed, old_name="addr info.zip code", new_name="addr info.post code")
renamed = RenameField.apply(frame=renamed, old_name="`x.y`", new_name="x y")
renamed = RenameField.apply(frame=renamed, old_name="addr info.`st.ate`", new_name="state (us)")
report["renamed"] = {"schema": schema_of(renamed), "rows": rows_of(renamed, "drg definition")}
split = SplitFields.apply(
    frame=resolved, paths=["provider id", "région", "addr info.zip code"], name1="ids", name2="rest"
)
report["split"] = {name: schema_of(split[name]) for name in split}
unboxed = Unbox.apply(frame=resolved, path="raw json", format="json")
report["unboxed"] = {"schema": schema_of(unboxed), "rows": rows_of(unboxed, "drg definition")}
big = resolved.split_rows({"#beds": {">": 100}}, "big", "small")
report["split_rows"] = {name: [r["provider name"] for r in big[name].toDF().collect()] for name in big}
payers = glueContext.create_dynamic_frame.from_catalog(database="lake", table_name="medicare")
payers = ApplyMapping.apply(frame=payers, mappings=[("drg definition", "string", "drg definition", "string")])
matched = resolved.join(["drg definition"], ["drg definition"], payers)
report["joined_on_spaces"] = schema_of(matched)[-2:]
tables = Relationalize.apply(frame=resolved, staging_path=args["TempDir"], name="root")
report["relationalized"] = {
    name: {"columns": tables[name].toDF().columns, "rows": len(tables[name].toDF().collect())}
    for name in tables
}
glueContext.write_dynamic_frame.from_options(
    frame=mapped,
    connection_type="s3",
    connection_options={"path": "s3://curated/medicare/"},
    format="parquet",
)

# -- 2. a DataFrame join that keeps both columns of a name -------------------------------------------------
countries = spark.createDataFrame([(1, "FR", 3), (2, "DE", 4)], "id long, country string, icu int")
hospitals = spark.createDataFrame(
    [(1, "France", "ICU-A"), (2, None, "ICU-B")], "id long, country string, icu string"
)
joined = DynamicFrame.fromDF(countries.join(hospitals, countries.id == hospitals.id), glueContext, "joined")
report["joined"] = {"columns": countries.join(hospitals, countries.id == hospitals.id).columns}
report["joined"].update(schema=schema_of(joined), rows=rows_of(joined, "id"))
for fmt in ("parquet", "json", "csv"):
    glueContext.write_dynamic_frame.from_options(
        frame=joined,
        connection_type="s3",
        connection_options={"path": f"s3://curated/joined_{fmt}/"},
        format=fmt,
    )
cased = spark.createDataFrame([(1, "fr", "FR")], "id long, country string, Country string")
cased_frame = DynamicFrame.fromDF(cased, glueContext, "cased")
report["cased"] = {"schema": schema_of(cased_frame), "rows": rows_of(cased_frame, "id")}
glueContext.write_dynamic_frame.from_options(
    frame=cased_frame,
    connection_type="s3",
    connection_options={"path": "s3://curated/cased/"},
    format="parquet",
)

# -- 4. ApplyMapping's conversions: every case of the test's table ----------------------------------------
with open(args["cases"]) as f:
    cases = json.load(f)
results = {}
for source_type in sorted({c[0] for c in cases}):
    values = sorted({c[1] for c in cases if c[0] == source_type})
    targets = sorted({c[2] for c in cases if c[0] == source_type})
    text = spark.createDataFrame(list(enumerate(values)), "k int, v string")
    typed = text.select("k", F.col("v").try_cast(source_type).alias("v"))
    frame = DynamicFrame.fromDF(typed, glueContext, source_type)
    out = ApplyMapping.apply(
        frame=frame,
        mappings=[("k", "int", "k", "int")] + [("v", source_type, f"to {t}", t) for t in targets],
    ).toDF()
    got = out.select("k", *[F.col(f"`to {t}`").cast("string").alias(t) for t in targets]).collect()
    results[source_type] = {values[r["k"]]: {t: r[t] for t in targets} for r in got}
report["conversions"] = results
# CSV values mapped from their text (the mapping names every target type).
csv = glueContext.create_dynamic_frame.from_options(
    "s3", {"paths": ["s3://lake/payments/"]}, "csv", {"withHeader": True}
)
csv_mapped = ApplyMapping.apply(
    frame=csv,
    mappings=[
        ("id", "long", "id", "long"),
        ("amount", "double", "amount", "long"),
        ("count", "string", "count", "int"),
        ("paid at", "string", "paid at", "timestamp"),
    ],
)
report["csv"] = {"schema": schema_of(csv_mapped), "rows": rows_of(csv_mapped, "id")}
# ResolveChoice's cast converts by the same rules.
mixed = glueContext.create_dynamic_frame.from_options("s3", {"paths": ["s3://lake/mixed/"]}, "json")
report["mixed_read"] = schema_of(mixed)
mixed_cast = ResolveChoice.apply(frame=mixed, specs=[("amount", "cast:long")])
report["mixed"] = {"schema": schema_of(mixed_cast), "rows": rows_of(mixed_cast, "id")}

with open(args["report"], "w") as f:
    json.dump(report, f, default=str)
job.commit()
