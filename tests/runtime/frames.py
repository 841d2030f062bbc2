"""Helpers of the DynamicFrame and transform tests: a GlueContext shared by a test module (frames read
once serve many tests), JSON and CSV written to the warehouse and read back as Glue reads them, and
short ways to write expected schemas and rows."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from gluelab.config import Settings
from gluelab.runtime import gluetypes as gt

LONG, STRING, DOUBLE = gt.LongType(), gt.StringType(), gt.DoubleType()


def module_context(spark: Any, home: Path) -> Iterator[GlueContext]:
    """A GlueContext on the session's SparkSession with its own gluelab home."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLUELAB_HOME", str(home))
        for key in [k for k in os.environ if k.startswith("GLUELAB_") and k != "GLUELAB_HOME"]:
            mp.delenv(key)
        Settings.load().ensure_dirs()
        context = GlueContext(spark)
        yield context
        if context._services is not None:
            context._services.close()


def put(warehouse: Path, key: str, text: str) -> str:
    """Write ``text`` at s3://<key> and return the s3:// URI of its folder."""
    path = warehouse / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return "s3://" + key.rsplit("/", 1)[0] + "/"


def read_json(ctx: GlueContext, name: str, records: list) -> DynamicFrame:
    """JSON lines (records, or raw text for broken lines) read from s3://bucket/<name>/."""
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    folder = put(ctx.warehouse, f"bucket/{name}/part-0.json", "\n".join(lines) + "\n")
    return ctx.create_dynamic_frame.from_options("s3", {"paths": [folder]}, "json")


def read_csv(ctx: GlueContext, name: str, text: str) -> DynamicFrame:
    folder = put(ctx.warehouse, f"bucket/{name}/part-0.csv", text)
    return ctx.create_dynamic_frame.from_options("s3", {"paths": [folder]}, "csv", {"withHeader": True})


def frame_of(ctx: GlueContext, data: list[tuple], ddl: str, name: str = "") -> DynamicFrame:
    return DynamicFrame.fromDF(ctx.spark_session.createDataFrame(data, ddl), ctx, name)


def rows(frame: DynamicFrame, key: str | None = "id") -> list[dict]:
    """The frame's rows as dicts (choices as structs), sorted by ``key`` (nulls last)."""
    out = [r.asDict(recursive=True) for r in frame.toDF().collect()]
    if key:
        out.sort(key=lambda r: (r[key] is None, r[key]))
    return out


def column(frame: DynamicFrame, name: str, key: str = "id") -> list:
    return [r[name] for r in rows(frame, key)]


def struct(**fields: gt.DataType) -> gt.StructType:
    return gt.StructType([gt.Field(name, t) for name, t in fields.items()])


def choice(*types: gt.DataType) -> gt.ChoiceType:
    return gt.ChoiceType(list(types))
