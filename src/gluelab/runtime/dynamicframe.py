"""DynamicFrame and DynamicFrameCollection (``awsglue.dynamicframe``).

A DynamicFrame is a Spark DataFrame whose fields may be choices (a field seen with several types; see
``gluetypes``), plus the error records of every stage behind it. Transforms run as Spark expressions in the
JVM; ``filter`` and ``map`` run the user's Python function on DynamicRecords in Arrow batches.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from . import gluetypes as gt
from .choice import ResolveChoiceError, choice_paths, resolve, strip_choices
from .fieldpaths import ARRAY_MARK, FieldPathError, column, field_ref, format_path, parse_path, type_at
from .fieldpaths import resolve as resolve_path
from .frame_errors import (
    ERROR_SCHEMA,
    Stage,
    all_errors,
    assert_thresholds,
    error_records,
    has_thresholds,
    lineage_union,
)
from .inference import _LazyTyped, frame_from_variants, typed_csv
from .predicate import compile_filter
from .records import BatchRecords, RecordView, row_to_record, to_json

log = logging.getLogger("gluelab.runtime")

_ERROR = "_glue_error"
_RECORD = "_glue_record"
_INPUT = "_glue_input"


class ResolveOption:
    """An option of ``toDF``: ``ResolveOption(path, "KeepAsStruct")`` or
    ``ResolveOption(path, "Project", gluetypes.LongType())`` (a Spark type is accepted too).
    As on Glue, the action is checked when ``toDF`` uses the option."""

    def __init__(self, path: str, action: str, target: Any = None):
        self.path, self.action, self.target = path, action, target

    def spec(self) -> tuple[str, str]:
        action = str(self.action).upper()
        if action == "KEEPASSTRUCT":
            return self.path, "make_struct"
        if action != "PROJECT":
            raise ValueError(
                f"Invalid resolve action {self.action}. Action must be one of KeepAsStruct and Project."
            )
        target = gt.from_spark(self.target) if isinstance(self.target, T.DataType) else self.target
        if not isinstance(target, gt.DataType):
            raise ValueError("Target type must be specified with project action.")
        return self.path, f"project:{gt.to_hive(target)}"


def _stage(
    name: str,
    ctx: str = "",
    info: str = "",
    stage_threshold: int = 0,
    total_threshold: int = 0,
    errors: DataFrame | None = None,
) -> Stage:
    site = ""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if "/gluelab/" not in frame.filename and "/awsglue/" not in frame.filename:
            site = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
            break
    return Stage(
        name, ctx or "", info or "", site, errors, int(stage_threshold or 0), int(total_threshold or 0)
    )


class DynamicFrame:
    def __init__(self, jdf: Any, glue_ctx: Any, name: str = ""):
        self._source = jdf
        self.glue_ctx = glue_ctx
        self.name = name
        self._lineage: tuple[Stage, ...] = ()
        self._typed: DataFrame | None = jdf if isinstance(jdf, DataFrame) else None
        self._raw: DataFrame | None = jdf.raw if isinstance(jdf, _LazyTyped) else None
        self._schema: gt.StructType | None = None

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def fromDF(cls, dataframe: DataFrame, glue_ctx: Any, name: str = "") -> DynamicFrame:
        return cls(_one_column_per_name(dataframe), glue_ctx, name)

    def _derive(
        self,
        df: DataFrame,
        stage: Stage | None = None,
        name: str | None = None,
        parents: Iterable[DynamicFrame] = (),
    ) -> DynamicFrame:
        frame = DynamicFrame(df, self.glue_ctx, self.name if name is None else name)
        frame._lineage = lineage_union(self._lineage, *(p._lineage for p in parents))
        if stage is not None:
            frame._lineage = (*frame._lineage, stage)
        return frame

    @property
    def _df(self) -> DataFrame:
        if self._typed is None:
            assert self._raw is not None
            self._typed = typed_csv(self._raw)
        return self._typed

    @property
    def _spark(self) -> Any:
        return self._df.sparkSession if self._typed is not None else self._raw.sparkSession  # type: ignore[union-attr]

    # -- inspection --------------------------------------------------------------------------
    def schema(self) -> gt.StructType:
        if self._schema is None:
            schema = gt.from_spark(self._df.schema)
            assert isinstance(schema, gt.StructType)
            self._schema = schema
        return self._schema

    def printSchema(self) -> None:
        print("\n".join(gt.schema_lines(self.schema())))

    def count(self) -> int:
        self._check_thresholds()
        return self._df.count()

    def show(self, num_rows: int = 20) -> None:
        self._check_thresholds()
        schema = self.schema()
        for row in self._df.limit(num_rows).collect():
            print(to_json(row_to_record(row.asDict(recursive=True), schema)))

    def getNumPartitions(self) -> int:
        return self._df.rdd.getNumPartitions()

    def toDF(self, options: list[ResolveOption] | None = None) -> DataFrame:
        df = self._df
        if options:
            df = resolve(df, [o.spec() for o in options])
        # Choices left become plain structs: a DataFrame has no choices, and must not bring them back.
        return df.select(
            *[
                F.col(field_ref(f.name)).cast(strip_choices(f.dataType)).alias(f.name)
                for f in df.schema.fields
            ]
        )

    def with_frame_schema(self, schema: gt.StructType) -> DynamicFrame:
        return self._derive(self._df.to(gt.to_spark(schema)))

    # -- errors ------------------------------------------------------------------------------
    def errorsAsDynamicFrame(self) -> DynamicFrame:
        return DynamicFrame(all_errors(self._spark, self._lineage), self.glue_ctx, f"{self.name}_errors")

    def errorsCount(self) -> int:
        return sum(stage.error_count() for stage in self._lineage)

    def stageErrorsCount(self) -> int:
        return self._lineage[-1].error_count() if self._lineage else 0

    def assertErrorThreshold(self) -> None:
        assert_thresholds(self._lineage)

    def _check_thresholds(self) -> None:
        if has_thresholds(self._lineage):
            assert_thresholds(self._lineage)

    # -- partitioning ------------------------------------------------------------------------
    def repartition(
        self,
        num_partitions: int,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        return self._derive(
            self._df.repartition(num_partitions),
            _stage("Repartition", transformation_ctx, info, stageThreshold, totalThreshold),
        )

    def coalesce(
        self,
        num_partitions: int,
        shuffle: bool = False,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        df = self._df.repartition(num_partitions) if shuffle else self._df.coalesce(num_partitions)
        return self._derive(df, _stage("Coalesce", transformation_ctx, info, stageThreshold, totalThreshold))

    # -- fields ------------------------------------------------------------------------------
    def apply_mapping(
        self,
        mappings: Any,
        case_sensitive: bool = False,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        from .mapping import apply_mapping, normalize_mappings, target_type

        # CSV values are cast from their text ("02134" as a string stays "02134") when every mapping
        # names its target type; otherwise the typed values are mapped.
        typed_targets = all(target_type(t) is not None for *_, t in normalize_mappings(mappings))
        source = self._raw if self._raw is not None and typed_targets else self._df
        df = apply_mapping(source, mappings, case_sensitive)
        return self._derive(
            df, _stage("ApplyMapping", transformation_ctx, info, stageThreshold, totalThreshold)
        )

    applyMapping = apply_mapping

    def select_fields(
        self,
        paths: str | list[str],
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        from .mapping import select_paths

        df = select_paths(self._df, [paths] if isinstance(paths, str) else list(paths))
        return self._derive(
            df, _stage("SelectFields", transformation_ctx, info, stageThreshold, totalThreshold)
        )

    def drop_fields(
        self,
        paths: str | list[str],
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        from .mapping import drop_paths

        df = drop_paths(self._df, [paths] if isinstance(paths, str) else list(paths))
        return self._derive(
            df, _stage("DropFields", transformation_ctx, info, stageThreshold, totalThreshold)
        )

    def rename_field(
        self,
        oldName: str,
        newName: str,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        from .mapping import rename_path

        df = rename_path(self._df, oldName, newName)
        return self._derive(
            df, _stage("RenameField", transformation_ctx, info, stageThreshold, totalThreshold)
        )

    def unnest(
        self, transformation_ctx: str = "", info: str = "", stageThreshold: int = 0, totalThreshold: int = 0
    ) -> DynamicFrame:
        from .mapping import unnest

        return self._derive(
            unnest(self._df), _stage("Unnest", transformation_ctx, info, stageThreshold, totalThreshold)
        )

    # -- choices -----------------------------------------------------------------------------
    def resolveChoice(
        self,
        specs: list[tuple[str, str]] | None = None,
        choice: str = "",
        database: str | None = None,
        table_name: str | None = None,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
        catalog_id: str | None = None,
    ) -> DynamicFrame:
        if bool(specs) == bool(choice):
            raise ResolveChoiceError("resolveChoice needs either specs or choice, not both and not neither")
        if isinstance(specs, tuple):
            specs = [specs]
        if choice:
            specs = [(format_path(p), choice) for p in choice_paths(self.schema())]
        catalog_types = None
        if any(action.startswith("match_catalog") for _, action in specs or []):
            if not (database and table_name):
                raise ResolveChoiceError("match_catalog needs database and table_name")
            catalog_types = self.glue_ctx._catalog_column_types(database, table_name, catalog_id)
        df = resolve(self._df, list(specs or []), catalog_types)
        return self._derive(
            df, _stage("ResolveChoice", transformation_ctx, info, stageThreshold, totalThreshold)
        )

    # -- Python functions on records -----------------------------------------------------------
    def filter(
        self,
        f: Callable[[Any], bool],
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        schema = self.schema()
        condition = compile_filter(f, schema)
        if condition is not None:  # a simple predicate: the same records, kept by the JVM
            log.debug("Filter %s runs as the Spark condition %s", getattr(f, "__name__", f), condition)
            return self._derive(
                self._df.filter(condition),
                _stage("Filter", transformation_ctx, info, stageThreshold, totalThreshold),
            )
        spark_schema = self._df.schema
        out_schema = T.StructType([*spark_schema.fields, T.StructField(_ERROR, T.StringType())])

        def run(batches: Iterator[Any]) -> Iterator[Any]:
            import pyarrow as pa

            for batch in batches:
                records = BatchRecords(batch, schema)
                keep: list[bool] = []
                errors: list[str | None] | None = None
                view = RecordView(records, 0)  # one view, moved along the batch: a filter keeps no records
                for i in range(len(records)):
                    view.move_to(i)
                    try:
                        ok = bool(f(view))
                    except (KeyError, ValueError, TypeError):
                        ok = False  # as on Glue: such a record is simply filtered out
                    except Exception as exc:  # any other failure makes the record an error record
                        ok = True
                        errors = errors if errors is not None else [None] * len(records)
                        errors[i] = f"{type(exc).__name__}: {exc}"
                    keep.append(ok)
                flags = (
                    pa.nulls(len(records), pa.string()) if errors is None else pa.array(errors, pa.string())
                )
                out = pa.RecordBatch.from_arrays([*batch.columns, flags], names=[*batch.schema.names, _ERROR])
                yield out.filter(pa.array(keep, pa.bool_()))

        mapped = self._df.mapInArrow(run, out_schema)
        data = mapped.filter(F.col(_ERROR).isNull()).drop(_ERROR).to(spark_schema)
        stage = _stage("Filter", transformation_ctx, info, stageThreshold, totalThreshold)
        stage.errors = error_records(
            mapped.filter(F.col(_ERROR).isNotNull()),
            stage,
            "FilterError",
            F.col(_ERROR),
            F.to_json(F.struct(*[F.col(field_ref(c)) for c in spark_schema.names])),
        )
        return self._derive(data, stage)

    def map(
        self,
        f: Callable[[Any], Any],
        preservesPartitioning: bool = False,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        schema = self.schema()
        out_schema = T.StructType(
            [
                T.StructField(_RECORD, T.StringType()),
                T.StructField(_ERROR, T.StringType()),
                T.StructField(_INPUT, T.StringType()),
            ]
        )

        def run(batches: Iterator[Any]) -> Iterator[Any]:
            import pyarrow as pa

            for batch in batches:
                records, errors, inputs = [], [], []
                for row in batch.to_pylist():
                    record = row_to_record(row, schema)
                    original = to_json(record)
                    try:
                        result = f(record)
                        if not result:
                            raise ValueError("the function returned None instead of a DynamicRecord")
                        records.append(to_json(result))
                        errors.append(None)
                        inputs.append(None)
                    except Exception as exc:
                        records.append(None)
                        errors.append(f"{type(exc).__name__}: {exc}")
                        inputs.append(original)
                yield pa.RecordBatch.from_arrays(
                    [
                        pa.array(records, pa.string()),
                        pa.array(errors, pa.string()),
                        pa.array(inputs, pa.string()),
                    ],
                    names=[_RECORD, _ERROR, _INPUT],
                )

        mapped = self._df.mapInArrow(run, out_schema)
        good = mapped.filter(F.col(_ERROR).isNull()).select(
            F.call_function("parse_json", F.col(_RECORD)).alias("v"), F.col(_RECORD)
        )
        samples = [json.loads(r[_RECORD]) for r in good.select(_RECORD).limit(50).collect()]
        df = _keep_input_types(frame_from_variants(good.select("v"), samples=samples), self._df.schema)
        stage = _stage("Map", transformation_ctx, info, stageThreshold, totalThreshold)
        stage.errors = error_records(
            mapped.filter(F.col(_ERROR).isNotNull()), stage, "MapError", F.col(_ERROR), F.col(_INPUT)
        )
        return self._derive(df, stage)

    # -- combining ---------------------------------------------------------------------------
    def join(
        self,
        paths1: str | list[str],
        paths2: str | list[str],
        frame2: DynamicFrame,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        keys1 = [paths1] if isinstance(paths1, str) else list(paths1)
        keys2 = [paths2] if isinstance(paths2, str) else list(paths2)
        if len(keys1) != len(keys2) or not keys1:
            raise ValueError("join needs the same number of keys on both sides")
        left = self._df.alias("l")
        right = frame2._df
        taken = set(self._df.columns)
        # A field of frame2 named like one of this frame's is kept, prefixed with a dot.
        renamed = {c: (f".{c}" if c in taken else c) for c in right.columns}
        right = right.select(*[F.col(field_ref(c)).alias(renamed[c]) for c in right.columns]).alias("r")
        condition = None
        for k1, k2 in zip(keys1, keys2, strict=True):
            p1, p2 = parse_path(k1), parse_path(k2)
            p2 = [renamed.get(p2[0], p2[0]), *p2[1:]]
            term = _qualified("l", p1) == _qualified("r", p2)
            condition = term if condition is None else condition & term
        df = left.join(right, condition, "inner").select("l.*", "r.*")
        return self._derive(
            df,
            _stage("Join", transformation_ctx, info, stageThreshold, totalThreshold),
            name=self.name + frame2.name,
            parents=[frame2],
        )

    def union(
        self,
        other_frame: DynamicFrame,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        merged = gt.merge(self.schema(), other_frame.schema())
        assert isinstance(merged, gt.StructType)
        df = _conform(self._df, self.schema(), merged).unionByName(
            _conform(other_frame._df, other_frame.schema(), merged)
        )
        return self._derive(
            df,
            _stage("Union", transformation_ctx, info, stageThreshold, totalThreshold),
            parents=[other_frame],
        )

    def mergeDynamicFrame(
        self,
        stage_dynamic_frame: DynamicFrame,
        primary_keys: str | list[str],
        transformation_ctx: str = "",
        options: dict[str, Any] | None = None,
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        primary_keys = [primary_keys] if isinstance(primary_keys, str) else list(primary_keys or [])
        if not primary_keys:
            raise ValueError("mergeDynamicFrame needs primary_keys")
        keys = [column(parse_path(k)) for k in primary_keys]
        staged_keys = stage_dynamic_frame._df.select(
            *[k.alias(f"_k{i}") for i, k in enumerate(keys)]
        ).distinct()
        kept = self._df.join(staged_keys, [k == F.col(f"_k{i}") for i, k in enumerate(keys)], "left_anti")
        merged = DynamicFrame(kept, self.glue_ctx, self.name)
        merged._lineage = self._lineage
        result = merged.union(stage_dynamic_frame)
        return self._derive(
            result._df,
            _stage("MergeDynamicFrame", transformation_ctx, info, stageThreshold, totalThreshold),
            parents=[stage_dynamic_frame],
        )

    # -- splitting ---------------------------------------------------------------------------
    def split_fields(
        self,
        paths: list[str],
        name1: str,
        name2: str,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrameCollection:
        first = self.select_fields(paths, transformation_ctx, info, stageThreshold, totalThreshold)
        second = self.drop_fields(paths, transformation_ctx, info, stageThreshold, totalThreshold)
        first.name, second.name = name1, name2
        return DynamicFrameCollection({name1: first, name2: second}, self.glue_ctx)

    def split_rows(
        self,
        comparison_dict: dict[str, dict[str, Any]],
        name1: str,
        name2: str,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrameCollection:
        ops = {
            ">": Column.__gt__,
            "<": Column.__lt__,
            ">=": Column.__ge__,
            "<=": Column.__le__,
            "=": Column.__eq__,
            "==": Column.__eq__,
            "!=": Column.__ne__,
        }
        condition = F.lit(True)
        for path, comparisons in comparison_dict.items():
            parts = resolve_path(self._df.schema, parse_path(path))
            for op, value in comparisons.items():
                if op not in ops:
                    raise ValueError(f"split_rows: unknown comparison {op!r}; use one of {', '.join(ops)}")
                if parts is None:  # no record has the field, so none matches
                    condition = F.lit(False)
                    continue
                col = _comparable(column(parts), type_at(self._df.schema, parts), value)
                condition = condition & ops[op](col, F.lit(value))
        stage = _stage("SplitRows", transformation_ctx, info, stageThreshold, totalThreshold)
        matching = self._derive(self._df.filter(condition), stage, name=name1)
        rest = self._derive(self._df.filter(~F.coalesce(condition, F.lit(False))), stage, name=name2)
        return DynamicFrameCollection({name1: matching, name2: rest}, self.glue_ctx)

    # -- nested data ---------------------------------------------------------------------------
    def unbox(
        self,
        path: str,
        format: str,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
        **options: Any,
    ) -> DynamicFrame:
        from .nested import unbox

        stage = _stage("Unbox", transformation_ctx, info, stageThreshold, totalThreshold)
        df, stage.errors = unbox(self._df, path, format, options, stage)
        return self._derive(df, stage)

    def relationalize(
        self,
        root_table_name: str,
        staging_path: str | None,
        options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrameCollection:
        from .nested import relationalize
        from .paths import spark_path

        if not staging_path:
            from .utils import _global_args

            staging_path = _global_args.get("TempDir")
            if not staging_path:
                raise RuntimeError("Relationalize needs staging_path (or --TempDir in the job's arguments)")
        staging = (
            spark_path(staging_path, self.glue_ctx.warehouse)
            if "://" in staging_path and not staging_path.startswith("file:")
            else staging_path
        )
        stage = _stage("Relationalize", transformation_ctx, info, stageThreshold, totalThreshold)
        tables = relationalize(self._df, root_table_name, staging, self._spark)
        frames = {name: self._derive(df, stage, name=name) for name, df in tables.items()}
        return DynamicFrameCollection(frames, self.glue_ctx)

    def simplify_ddb_json(self) -> DynamicFrame:
        from .nested import simplify_ddb

        return self.map(lambda record: simplify_ddb(dict(record)))

    def unnest_ddb_json(
        self, transformation_ctx: str = "", info: str = "", stageThreshold: int = 0, totalThreshold: int = 0
    ) -> DynamicFrame:
        from .nested import unnest_column

        simplified = self.simplify_ddb_json()
        df = unnest_column(simplified._df, "Item") if "Item" in simplified._df.columns else simplified._df
        return simplified._derive(
            df, _stage("UnnestDDBJson", transformation_ctx, info, stageThreshold, totalThreshold)
        )

    def drop_null_fields(
        self, transformation_ctx: str = "", info: str = "", stageThreshold: int = 0, totalThreshold: int = 0
    ) -> DynamicFrame:
        from .nested import null_fields

        dropped = null_fields(self._df)
        print("null_fields", dropped)  # as Glue's DropNullFields does
        return self.drop_fields(dropped, transformation_ctx, info, stageThreshold, totalThreshold)

    # -- side effects and writing ------------------------------------------------------------
    def spigot(
        self,
        path: str,
        options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        options = options or {}
        sample = self._df
        if "prob" in options:
            sample = sample.sample(fraction=float(options["prob"]))
        sample = sample.limit(int(options.get("topk", 100)))
        frame = self._derive(sample)
        self.glue_ctx.write_dynamic_frame.from_options(
            frame, "s3" if path.startswith("s3") else "file", {"path": path}, "json"
        )
        return self._derive(
            self._df, _stage("Spigot", transformation_ctx, info, stageThreshold, totalThreshold)
        )

    def write(
        self,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,
        format_options: dict[str, Any] | None = None,
        accumulator_size: int = 0,
    ) -> DynamicFrame:
        return self.glue_ctx.write_from_options(
            self, connection_type, connection_options or {}, format, format_options or {}
        )


def _one_column_per_name(df: DataFrame) -> DataFrame:
    """``df`` with each column name once, as Glue's records are keyed by name: where a name repeats (a
    join that keeps both ``country`` columns), the field stands where the first column stood and holds
    the name, type and values of the last. Names that differ only by case repeat too (Spark's writers
    refuse them) unless ``spark.sql.caseSensitive`` is on."""
    names = df.columns
    case_sensitive = str(df.sparkSession.conf.get("spark.sql.caseSensitive", "false")).lower() == "true"
    key = (lambda n: n) if case_sensitive else (lambda n: n.lower())
    last = {key(n): i for i, n in enumerate(names)}
    if len(last) == len(names):
        return df
    repeated = sorted({names[i] for k, i in last.items() if sum(key(n) == k for n in names) > 1})
    log.warning(
        "fromDF: the DataFrame has columns named alike (%s); the frame keeps one field per name, "
        "with the last such column's values",
        ", ".join(repeated),
    )
    by_position = df.toDF(*[f"__glue_c{i}" for i in range(len(names))])
    firsts = dict.fromkeys(key(n) for n in names)  # each name once, in the order of first sight
    return by_position.select(*[F.col(f"__glue_c{last[k]}").alias(names[last[k]]) for k in firsts])


def _comparable(col: Column, spark_type: Any, value: Any) -> Column:
    """What ``split_rows`` compares with ``value``: the column, or for a choice the alternative of the
    value's kind (numbers: any numeric alternative); null where the record holds another kind."""
    if not gt.is_choice_struct(spark_type):
        return col
    if isinstance(value, bool):
        names = [f.name for f in spark_type.fields if isinstance(f.dataType, T.BooleanType)]
    elif isinstance(value, int | float):
        names = [f.name for f in spark_type.fields if isinstance(f.dataType, T.NumericType)]
    else:
        names = [f.name for f in spark_type.fields if isinstance(f.dataType, T.StringType)]
    if not names:
        return F.lit(None)
    if len(names) == 1:
        return col.getField(names[0])
    return F.coalesce(*[col.getField(n).cast("double") for n in names])


def _qualified(alias: str, parts: list[str]) -> Column:
    col = F.col(f"{alias}.{field_ref(parts[0])}")
    for part in parts[1:]:
        col = col.getField(part)
    return col


def _conform(df: DataFrame, schema: gt.StructType, target: gt.StructType) -> DataFrame:
    """``df`` (of ``schema``) as columns of ``target``: missing fields null, values moved into choices."""
    columns = []
    for field in target.fields:
        have = schema.getField(field.name)
        col = F.col(field_ref(field.name)) if have else None
        columns.append(_fit(col, have.dataType if have else None, field.dataType).alias(field.name))
    return df.select(*columns).to(gt.to_spark(target))


def _fit(col: Column | None, have: gt.DataType | None, want: gt.DataType) -> Column:
    spark_type = gt.to_spark(want)
    if col is None or have is None:
        return F.lit(None).cast(spark_type)
    if have == want:
        return col
    if isinstance(want, gt.ChoiceType):
        if isinstance(have, gt.ChoiceType):
            return F.struct(
                *[
                    (col.getField(n) if n in have.choices else F.lit(None).cast(gt.to_spark(t))).alias(n)
                    for n, t in want.choices.items()
                ]
            )
        slot = have.typeName()
        value = F.struct(
            *[
                (_fit(col, have, t) if n == slot else F.lit(None).cast(gt.to_spark(t))).alias(n)
                for n, t in want.choices.items()
            ]
        )
        return F.when(col.isNotNull(), value)
    if isinstance(want, gt.StructType) and isinstance(have, gt.StructType):
        return F.when(col.isNull(), F.lit(None)).otherwise(
            F.struct(
                *[
                    _fit(
                        col.getField(f.name) if have.hasField(f.name) else None,
                        have.getField(f.name).dataType if have.hasField(f.name) else None,
                        f.dataType,
                    ).alias(f.name)
                    for f in want.fields
                ]
            )
        )
    if isinstance(want, gt.ArrayType) and isinstance(have, gt.ArrayType):
        return F.transform(col, lambda e: _fit(e, have.elementType, want.elementType))
    return col.try_cast(spark_type)


# Types that JSON turns into text or wider numbers; a map output field gets them back from its input.
_RESTORED = (T.DateType, T.TimestampType, T.DecimalType, T.IntegerType, T.ShortType, T.ByteType, T.FloatType)


def _keep_input_types(df: DataFrame, input_schema: T.StructType) -> DataFrame:
    """``map`` output went through JSON: fields (at any depth) that kept their name get their input's
    date, timestamp, decimal, narrow number or (top-level) binary type back."""
    before = {f.name: f.dataType for f in input_schema.fields}
    columns = []
    for field in df.schema.fields:
        col = F.col(field_ref(field.name))
        original = before.get(field.name)
        if isinstance(original, T.BinaryType) and isinstance(field.dataType, T.StringType):
            columns.append(F.unbase64(col).alias(field.name))
            continue
        restored = _restored_type(field.dataType, original)
        columns.append(col if restored == field.dataType else col.try_cast(restored).alias(field.name))
    return df.select(*columns)


def _restored_type(out: Any, before: Any) -> Any:
    if gt.is_choice_struct(out):
        return out
    if isinstance(out, T.StructType) and isinstance(before, T.StructType):
        types = {f.name: f.dataType for f in before.fields}
        return T.StructType(
            [T.StructField(f.name, _restored_type(f.dataType, types.get(f.name)), True) for f in out.fields]
        )
    if isinstance(out, T.ArrayType) and isinstance(before, T.ArrayType):
        return T.ArrayType(_restored_type(out.elementType, before.elementType), True)
    if isinstance(before, _RESTORED) and not isinstance(out, T.StructType | T.ArrayType | T.MapType):
        return before
    return out


class DynamicFrameCollection:
    """Named DynamicFrames (``awsglue.dynamicframe.DynamicFrameCollection``)."""

    def __init__(self, dynamic_frames: dict[str, DynamicFrame] | list[DynamicFrame], glue_ctx: Any):
        if isinstance(dynamic_frames, dict):
            self._frames = dict(dynamic_frames)
        elif isinstance(dynamic_frames, list):
            self._frames = {frame.name: frame for frame in dynamic_frames}
        else:
            raise TypeError("dynamic_frames must be a list or a dict of DynamicFrames")
        self.glue_ctx = glue_ctx

    def __getitem__(self, key: str) -> DynamicFrame:
        return self._frames[key]

    def __len__(self) -> int:
        return len(self._frames)

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def keys(self) -> Any:
        return self._frames.keys()

    def values(self) -> Any:
        return self._frames.values()

    def items(self) -> Any:
        return self._frames.items()

    def select(self, key: str, transformation_ctx: str = "") -> DynamicFrame:
        if key in self._frames:
            return self._frames[key]
        spark = self.glue_ctx.spark_session
        return DynamicFrame(spark.createDataFrame([], T.StructType([])), self.glue_ctx, key)

    def map(
        self, callable: Callable[[DynamicFrame, str], DynamicFrame], transformation_ctx: str = ""
    ) -> DynamicFrameCollection:
        result = {}
        for key, frame in self._frames.items():
            out = callable(frame, f"{transformation_ctx}:{key}")
            if not isinstance(out, DynamicFrame):
                raise TypeError(f"the function must return a DynamicFrame, not {type(out).__name__}")
            result[key] = out
        return DynamicFrameCollection(result, self.glue_ctx)

    def flatmap(
        self, f: Callable[[DynamicFrame, str], Any], transformation_ctx: str = ""
    ) -> DynamicFrameCollection:
        """``f(frame, ctx + ":" + frame.name)`` for every frame; a frame it returns is keyed by its name,
        the frames of a collection it returns by their keys (as on Glue)."""
        result: dict[str, DynamicFrame] = {}
        for frame in self._frames.values():
            out = f(frame, f"{transformation_ctx}:{frame.name}")
            if isinstance(out, DynamicFrameCollection):
                result.update(out.items())
            elif isinstance(out, DynamicFrame):
                result[out.name] = out
            else:
                raise TypeError(
                    f"the function must return a DynamicFrame or a collection, not {type(out).__name__}"
                )
        return DynamicFrameCollection(result, self.glue_ctx)


__all__ = [
    "DynamicFrame",
    "DynamicFrameCollection",
    "ResolveOption",
    "ERROR_SCHEMA",
    "FieldPathError",
    "ARRAY_MARK",
]
