"""Spark's own I/O on s3:// (the lake's Hadoop FileSystem): readers, writers, SQL tables with locations,
streaming checkpoints, the paths Spark reports back, and the same mapping rules as gluelab's Python side
(``runtime.paths``), checked case by case through Hadoop's FileSystem API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from gluelab.errors import InvalidInputException
from gluelab.runtime.paths import to_local


def hadoop_fs(spark, uri: str):  # type: ignore[no-untyped-def]
    path = spark._jvm.org.apache.hadoop.fs.Path(uri)
    return path, path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def test_spark_reads_and_writes_s3_paths_in_every_scheme(glue_ctx, warehouse):
    spark = glue_ctx.spark_session
    spark.range(5).write.mode("overwrite").parquet("s3://out/x/")
    assert sorted(p.name for p in (warehouse / "out" / "x").iterdir() if p.suffix == ".parquet")
    assert not list((warehouse / "out" / "x").glob(".*.crc"))  # no checksum side files in the lake
    for scheme in ("s3", "s3a", "s3n"):
        assert spark.read.load(f"{scheme}://out/x", format="parquet").count() == 5
    frame = spark.createDataFrame([(1, "a"), (2, "b")], ["id", "v"])
    frame.write.mode("overwrite").partitionBy("v").csv("s3a://out/csv/", header=True)
    assert sorted(p.name for p in (warehouse / "out" / "csv").iterdir() if p.is_dir()) == ["v=a", "v=b"]
    back = spark.read.csv("s3://out/csv/", header=True)
    assert sorted((r.id, r.v) for r in back.collect()) == [("1", "a"), ("2", "b")]


def test_paths_spark_reports_stay_s3(glue_ctx, warehouse):
    spark = glue_ctx.spark_session
    spark.range(3).coalesce(1).write.mode("overwrite").json("s3://reports/day=1/")
    frame = spark.read.json("s3://reports/")
    assert all(f.startswith("s3://reports/day=1/part-") for f in frame.inputFiles())
    names = {r[0] for r in frame.select(F.input_file_name()).collect()}
    assert len(names) == 1 and next(iter(names)).startswith("s3://reports/day=1/part-")
    paths = {r[0] for r in frame.select("_metadata.file_path").collect()}
    assert paths == names


def test_tables_with_s3_locations_record_s3(glue_ctx, warehouse):
    spark = glue_ctx.spark_session
    spark.range(4).write.mode("overwrite").parquet("s3://tables/events/")
    spark.sql("DROP TABLE IF EXISTS events_ext")
    spark.sql("CREATE TABLE events_ext USING parquet LOCATION 's3://tables/events/'")
    assert spark.table("events_ext").count() == 4

    def location(table: str) -> str:
        rows = spark.sql(f"DESCRIBE TABLE EXTENDED {table}").filter("col_name = 'Location'").collect()
        return rows[0].data_type

    assert location("events_ext") == "s3://tables/events"
    spark.sql("DROP TABLE IF EXISTS made_here")
    spark.range(2).write.saveAsTable("made_here")
    assert location("made_here") == "s3://spark-warehouse/made_here"
    assert (warehouse / "spark-warehouse" / "made_here").is_dir()
    # A Data Catalog database with a LocationUri is where Spark puts the tables it makes in it.
    glue_ctx.services.catalog.create_database(
        DatabaseInput={"Name": "sales", "LocationUri": "s3://lake/sales/"}
    )
    spark.sql("SHOW TABLES IN sales").collect()
    spark.range(2).write.saveAsTable("sales.daily")
    assert location("sales.daily") == "s3://lake/sales/daily"
    spark.sql("DROP TABLE sales.daily")
    spark.sql("DROP DATABASE sales")


def test_a_streaming_checkpoint_on_s3(glue_ctx, warehouse, tmp_path):
    spark = glue_ctx.spark_session
    incoming = warehouse / "stream" / "in"
    incoming.mkdir(parents=True)
    (incoming / "a.json").write_text('{"n": 1}\n{"n": 2}\n')
    query = (
        spark.readStream.schema("n LONG")
        .json("s3://stream/in/")
        .writeStream.format("parquet")
        .option("checkpointLocation", "s3://stream/checkpoint/")
        .option("path", "s3://stream/out/")
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination(120)
    assert sorted(r.n for r in spark.read.parquet("s3://stream/out/").collect()) == [1, 2]
    checkpoint = warehouse / "stream" / "checkpoint"
    assert (checkpoint / "offsets").is_dir() and (checkpoint / "commits").is_dir()
    (incoming / "b.json").write_text('{"n": 3}\n')
    again = (
        spark.readStream.schema("n LONG")
        .json("s3://stream/in/")
        .writeStream.format("parquet")
        .option("checkpointLocation", "s3://stream/checkpoint/")
        .option("path", "s3://stream/out/")
        .trigger(availableNow=True)
        .start()
    )
    again.awaitTermination(120)
    assert sorted(r.n for r in spark.read.parquet("s3://stream/out/").collect()) == [1, 2, 3]


@pytest.mark.parametrize(
    "uri",
    [
        "s3://bucket/plain/file.csv",
        "s3a://bucket/year=2024/my file.csv",
        "s3://bucket/a%20b/c.txt",  # literal, as Hadoop and S3 take it
        "s3n://bucket/a/../b/x.txt",  # within the bucket
        "s3://my.bucket-1/k",
    ],
)
def test_python_and_spark_map_a_uri_to_the_same_file(glue_ctx, warehouse, uri):
    local = to_local(uri, warehouse)
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text(f"written for {uri}")
    path, fs = hadoop_fs(glue_ctx.spark_session, uri)
    assert fs.exists(path)
    stream = fs.open(path)
    data = bytearray()
    while (byte := stream.read()) != -1:
        data.append(byte)
    stream.close()
    assert data.decode() == f"written for {uri}"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("s3://bucket/../other/key", "leaves its bucket"),
        ("s3://bucket/a/../../x", "leaves its bucket"),
        ("s3://bucket/link/secret.txt", "points outside the warehouse"),
        ("s3://bucket/link", "points outside the warehouse"),
        ("s3://Bad_Bucket/key", "not a valid S3 bucket name"),
    ],
)
def test_python_and_spark_refuse_the_same_escapes(glue_ctx, warehouse, tmp_path, uri, message):
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_text("secret")
    (warehouse / "bucket").mkdir(exist_ok=True)
    if not (warehouse / "bucket" / "link").exists():
        os.symlink(outside, warehouse / "bucket" / "link")
    with pytest.raises(InvalidInputException, match=message):
        to_local(uri, warehouse)
    with pytest.raises(Exception, match=message):
        path, fs = hadoop_fs(glue_ctx.spark_session, uri)
        fs.getFileStatus(path)
    with pytest.raises(Exception, match=message):
        glue_ctx.spark_session.read.text(uri).collect()
    with pytest.raises(Exception, match=message):
        glue_ctx.spark_session.range(1).selectExpr("'x' AS value").write.mode("overwrite").text(
            uri + "/written"
        )
    assert [p.name for p in outside.iterdir()] == ["secret.txt"]


def test_a_bucket_root_is_never_deleted(glue_ctx, warehouse):
    spark = glue_ctx.spark_session
    spark.range(1).write.mode("overwrite").parquet("s3://keep/data/")
    path, fs = hadoop_fs(spark, "s3://keep/")
    assert fs.delete(path, True) is False
    assert (warehouse / "keep" / "data").is_dir()


def test_a_glue_context_of_another_home_switches_the_lake(spark, tmp_path, monkeypatch):
    from gluelab.config import Settings
    from gluelab.runtime.context import GlueContext

    for name in ("one", "two"):
        monkeypatch.setenv("GLUELAB_HOME", str(tmp_path / name))
        Settings.load().ensure_dirs()
        ctx = GlueContext(spark)
        ctx.spark_session.createDataFrame([(name,)], ["home"]).write.mode("overwrite").json("s3://which/")
        ctx.services.close()
    for name in ("one", "two"):  # each write landed in its own home's warehouse
        written = "".join(p.read_text() for p in (tmp_path / name / "warehouse" / "which").glob("part-*"))
        assert written.strip() == f'{{"home":"{name}"}}'


def test_spark_outside_gluelab_names_the_missing_setting(glue_ctx, tmp_path):
    spark = glue_ctx.spark_session
    conf = spark._jvm.org.apache.hadoop.conf.Configuration(spark.sparkContext._jsc.hadoopConfiguration())
    conf.unset("gluelab.warehouse")
    path = spark._jvm.org.apache.hadoop.fs.Path("s3://anything/x")
    with pytest.raises(Exception, match="gluelab.warehouse is not set"):
        path.getFileSystem(conf)
    assert Path(tmp_path).exists()
