"""GlueContext utilities scripts call: forEachBatch on a streaming source, add_ingestion_time_columns,
get_logger, Lake Formation calls that cannot work locally."""

from __future__ import annotations

import json
import threading
import time

import pytest

from gluelab.errors import InvalidInputException


def test_for_each_batch_runs_the_function_per_micro_batch_and_skips_empty_ones(glue_ctx, warehouse, tmp_path):
    landing = warehouse / "stream" / "in"
    landing.mkdir(parents=True)
    (landing / "0.json").write_text(json.dumps({"id": 1}) + "\n")
    spark = glue_ctx.spark_session
    source = spark.readStream.schema("id long").json(str(landing))
    seen: list[list[int]] = []

    def batch_function(batch, batch_id):  # type: ignore[no-untyped-def]
        seen.append(sorted(r["id"] for r in batch.collect()))

    options = {"windowSize": "1 second", "checkpointLocation": str(tmp_path / "checkpoint")}
    worker = threading.Thread(
        target=glue_ctx.forEachBatch, args=(source, batch_function, options), daemon=True
    )
    worker.start()
    deadline = time.monotonic() + 120
    while not seen and time.monotonic() < deadline:
        time.sleep(0.2)
    (landing / "1.json").write_text(json.dumps({"id": 2}) + "\n" + json.dumps({"id": 3}) + "\n")
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2.5)  # a few empty windows pass: they must not reach the function
    glue_ctx._streaming_query.stop()
    worker.join(timeout=60)
    assert seen == [[1], [2, 3]]


@pytest.mark.parametrize("missing", ["windowSize", "checkpointLocation"])
def test_for_each_batch_requires_its_options(glue_ctx, missing):
    options = {"windowSize": "1 second", "checkpointLocation": "/tmp/x"}
    options.pop(missing)
    with pytest.raises(InvalidInputException, match=missing):
        glue_ctx.forEachBatch(None, lambda b, i: None, options)


def test_add_ingestion_time_columns(glue_ctx):
    df = glue_ctx.spark_session.createDataFrame([(1,)], "id int")
    hourly = glue_ctx.add_ingestion_time_columns(df, "hour")
    assert hourly.columns == ["id", "ingest_year", "ingest_month", "ingest_day", "ingest_hour"]
    row = hourly.first()
    assert len(row["ingest_year"]) == 4 and len(row["ingest_month"]) == 2 and len(row["ingest_hour"]) == 2
    assert glue_ctx.add_ingestion_time_columns(df, "day").columns[-1] == "ingest_day"
    with pytest.raises(InvalidInputException, match="time_granularity"):
        glue_ctx.add_ingestion_time_columns(df, "fortnight")


def test_get_logger_writes_glue_logger_lines(glue_ctx, capfd):
    logger = glue_ctx.get_logger()
    logger.info("starting")
    logger.warn("careful")
    logger.error("broken")
    err = capfd.readouterr().err
    assert "INFO GlueLogger: starting" in err and "WARNING GlueLogger: careful" in err
    assert "ERROR GlueLogger: broken" in err


def test_lake_formation_transactions_are_a_clear_error(glue_ctx):
    for call in (
        lambda: glue_ctx.start_transaction(False),
        lambda: glue_ctx.commit_transaction("t"),
        lambda: glue_ctx.cancel_transaction("t"),
    ):
        with pytest.raises(InvalidInputException, match="Lake Formation"):
            call()
