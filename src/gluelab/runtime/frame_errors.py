"""Error records: input that could not be read or a record a transform failed on is not dropped silently;
it becomes an error record of the stage that met it, and every frame knows the stages behind it.

``stageThreshold`` bounds the errors of one stage, ``totalThreshold`` the errors of all stages up to it
(0: no bound). A frame with a bound checks it when it is evaluated (counted, shown, written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

ERROR_SCHEMA = T.StructType(
    [
        T.StructField("stage", T.StringType()),
        T.StructField("transformation_ctx", T.StringType()),
        T.StructField("info", T.StringType()),
        T.StructField("callsite", T.StringType()),
        T.StructField("error_type", T.StringType()),
        T.StructField("error_message", T.StringType()),
        T.StructField("input", T.StringType()),
        T.StructField("source", T.StringType()),
    ]
)


class ErrorThresholdExceeded(RuntimeError):
    """A stage met more error records than its threshold allows (the job fails, as on Glue)."""


@dataclass(eq=False)
class Stage:
    name: str
    transformation_ctx: str = ""
    info: str = ""
    callsite: str = ""
    errors: DataFrame | None = None
    stage_threshold: int = 0
    total_threshold: int = 0
    _count: int | None = field(default=None, repr=False)

    def error_count(self) -> int:
        if self.errors is None:
            return 0
        if self._count is None:
            self._count = self.errors.count()
        return self._count


def error_records(
    df: DataFrame,
    stage: Stage,
    error_type: Column | str,
    message: Column | str,
    input_col: Column,
    source: Column | None = None,
) -> DataFrame:
    """Shape failed rows of ``df`` as error records of ``stage``."""

    def lit_or(value: Column | str) -> Column:
        return value if isinstance(value, Column) else F.lit(value)

    return df.select(
        F.lit(stage.name).alias("stage"),
        F.lit(stage.transformation_ctx).alias("transformation_ctx"),
        F.lit(stage.info).alias("info"),
        F.lit(stage.callsite).alias("callsite"),
        lit_or(error_type).cast("string").alias("error_type"),
        lit_or(message).cast("string").alias("error_message"),
        input_col.cast("string").alias("input"),
        (source if source is not None else F.lit(None)).cast("string").alias("source"),
    )


def lineage_union(*lineages: tuple[Stage, ...]) -> tuple[Stage, ...]:
    """The stages behind a frame made from several frames (each stage once, in order)."""
    seen: dict[int, Stage] = {}
    for lineage in lineages:
        for stage in lineage:
            seen.setdefault(id(stage), stage)
    return tuple(seen.values())


def all_errors(spark: Any, lineage: tuple[Stage, ...]) -> DataFrame:
    frames = [s.errors for s in lineage if s.errors is not None]
    result = spark.createDataFrame([], ERROR_SCHEMA)
    for frame in frames:
        result = result.unionByName(frame)
    return result


def has_thresholds(lineage: tuple[Stage, ...]) -> bool:
    return any(s.stage_threshold or s.total_threshold for s in lineage)


def assert_thresholds(lineage: tuple[Stage, ...]) -> None:
    total = 0
    for stage in lineage:
        count = stage.error_count()
        total += count
        where = f"{stage.name}" + (f" ({stage.transformation_ctx})" if stage.transformation_ctx else "")
        if stage.stage_threshold and count > stage.stage_threshold:
            raise ErrorThresholdExceeded(
                f"{where} produced {count} error records, "
                f"more than its stageThreshold of {stage.stage_threshold}."
                " See errorsAsDynamicFrame() for them."
            )
        if stage.total_threshold and total > stage.total_threshold:
            raise ErrorThresholdExceeded(
                f"{total} error records up to {where}, "
                f"more than its totalThreshold of {stage.total_threshold}."
                " See errorsAsDynamicFrame() for them."
            )
