"""Field-level transforms of a DynamicFrame as Spark expressions: ApplyMapping (select, rename, cast,
nest), SelectFields, DropFields, RenameField, Unnest."""

from __future__ import annotations

import logging
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from . import gluetypes as gt
from .choice import _cast_column
from .conversions import convert
from .fieldpaths import (
    ARRAY_MARK,
    FieldPathError,
    column,
    field_ref,
    format_path,
    parse_path,
    resolve,
    type_at,
)

log = logging.getLogger("gluelab.runtime")


class MappingError(ValueError):
    pass


def normalize_mappings(mappings: Any) -> list[tuple[str, str | None, str, str | None]]:
    """Glue accepts one tuple or a list; each (source, source type, target, target type), or
    (source, target, target type), or (source, target)."""
    if isinstance(mappings, tuple) and mappings and isinstance(mappings[0], str):
        mappings = [mappings]
    result = []
    for mapping in mappings:
        if not isinstance(mapping, tuple | list) or not all(isinstance(x, str) for x in mapping):
            raise MappingError(f"a mapping must be a tuple of strings, not {mapping!r}")
        if len(mapping) == 4:
            src, src_type, dst, dst_type = mapping
        elif len(mapping) == 3:
            src, dst, dst_type = mapping
            src_type = None
        elif len(mapping) == 2:
            src, dst = mapping
            src_type = dst_type = None
        else:
            raise MappingError(f"a mapping has 2, 3 or 4 items, not {len(mapping)}: {mapping!r}")
        result.append((src, src_type, dst, dst_type))
    return result


def target_type(name: str | None) -> Any:
    if not name or name.strip().lower() in ("choice", "null", "unknown"):
        return None  # keep the value as it is (a choice stays a choice)
    try:
        glue_type = gt.parse_type(name)
    except gt.TypeNameError as exc:
        raise MappingError(str(exc)) from None
    if isinstance(glue_type, gt.StructType) and not glue_type.fields:
        return None  # bare "struct": keep the value as it is
    if isinstance(glue_type, gt.ArrayType | gt.MapType) and isinstance(
        getattr(glue_type, "elementType", getattr(glue_type, "valueType", None)), gt.UnknownType
    ):
        return None  # bare "array"/"map"
    return glue_type


def apply_mapping(df: DataFrame, mappings: Any, case_sensitive: bool = False) -> DataFrame:
    """Select, rename, cast and nest fields; fields not mapped are dropped (Glue's ApplyMapping)."""
    tree: dict[str, Any] = {}
    for src, _src_type, dst, dst_type in normalize_mappings(mappings):
        src_parts = parse_path(src)
        if ARRAY_MARK in src_parts or ARRAY_MARK in parse_path(dst):
            raise MappingError(
                f"ApplyMapping cannot map through an array ({src} -> {dst}); use Relationalize or Map"
            )
        resolved = resolve(df.schema, src_parts, case_sensitive)
        if resolved is None:
            log.warning("ApplyMapping: no field %s in the frame; %s is left out", src, dst)
            continue
        spark_type = type_at(df.schema, resolved)
        value = column(resolved)
        target = target_type(dst_type)
        if target is not None:
            value = _cast(value, spark_type, target)
        node = tree
        dst_parts = parse_path(dst)
        for part in dst_parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise MappingError(f"ApplyMapping target {dst} goes through {part}, which is already mapped")
        if dst_parts[-1] in node:
            raise MappingError(f"ApplyMapping maps two fields to {dst}")
        node[dst_parts[-1]] = value
    return df.select(*[_build(v).alias(k) for k, v in tree.items()])


def _build(node: Any) -> Column:
    if isinstance(node, dict):
        return F.struct(*[_build(v).alias(k) for k, v in node.items()])
    return node


def _cast(value: Column, spark_type: Any, target: gt.DataType) -> Column:
    """The value as ``target`` (see ``conversions``); a choice gives its alternatives' first value."""
    glue_source = gt.from_spark(spark_type)
    if isinstance(glue_source, gt.ChoiceType):
        return _cast_column(value, glue_source, target)
    return convert(value, spark_type, gt.to_spark(target))


# -- select / drop / rename / unnest ------------------------------------------------------------------
def _tree_of(paths: list[list[str]]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for parts in paths:
        node = tree
        for part in parts[:-1]:
            existing = node.get(part)
            if existing is True:
                break
            node = node.setdefault(part, {})
        else:
            node[parts[-1]] = True
    return tree


def select_paths(df: DataFrame, paths: list[str]) -> DataFrame:
    """Keep only the listed fields (top-level or nested), in the frame's own order."""
    resolved = []
    for path in paths:
        parts = resolve(df.schema, parse_path(path))
        if parts is None:
            log.warning("SelectFields: no field %s in the frame", path)
            continue
        if ARRAY_MARK in parts:
            raise FieldPathError(f"SelectFields cannot select inside an array ({path})")
        resolved.append(parts)
    tree = _tree_of(resolved)
    return df.select(
        *[
            _select(column([f.name]), f.dataType, tree[f.name]).alias(f.name)
            for f in df.schema.fields
            if f.name in tree
        ]
    )


def _select(col: Column, data_type: Any, node: Any) -> Column:
    if node is True:
        return col
    fields = [f for f in data_type.fields if f.name in node]
    return F.when(col.isNull(), F.lit(None)).otherwise(
        F.struct(*[_select(col.getField(f.name), f.dataType, node[f.name]).alias(f.name) for f in fields])
    )


def drop_paths(df: DataFrame, paths: list[str]) -> DataFrame:
    """Remove the listed fields (through structs and arrays of structs; not into maps)."""
    for path in paths:
        parts = resolve(df.schema, parse_path(path))
        if parts is None:
            continue
        if len(parts) == 1:
            df = df.drop(parts[0])
            continue
        df = df.withColumn(parts[0], _drop(column([parts[0]]), df.schema[parts[0]].dataType, parts[1:]))
    return df


def _drop(col: Column, data_type: Any, rest: list[str]) -> Column:
    head = rest[0]
    if head == ARRAY_MARK:
        return F.transform(col, lambda e: _drop(e, data_type.elementType, rest[1:]))
    if len(rest) == 1:
        if [f.name for f in data_type.fields] == [head]:  # Spark cannot drop a struct's last field
            return F.when(col.isNotNull(), F.struct())
        return col.dropFields(field_ref(head))
    field = next(f for f in data_type.fields if f.name == head)
    return col.withField(field_ref(head), _drop(col.getField(head), field.dataType, rest[1:]))


_MOVING = "__glue_moving"


def rename_path(df: DataFrame, old: str, new: str) -> DataFrame:
    old_parts = resolve(df.schema, parse_path(old))
    if old_parts is None:  # as on Glue, where no record has the field: nothing to rename
        log.warning("RenameField: no field %s in the frame", old)
        return df
    new_parts = parse_path(new)
    if ARRAY_MARK in old_parts or ARRAY_MARK in new_parts:
        raise FieldPathError("RenameField cannot rename inside an array")
    if old_parts == new_parts:
        return df
    if old_parts[:-1] == new_parts[:-1]:
        old_name, new_name = old_parts[-1], new_parts[-1]
        if len(old_parts) == 1:  # a field already named new_name gives way
            if new_name in df.columns:
                df = df.drop(new_name)
            return df.withColumnRenamed(old_name, new_name)
        parent = old_parts[:-1]
        parent_type = type_at(df.schema, parent)
        renamed = F.struct(
            *[
                column([*parent, f.name]).alias(new_name if f.name == old_name else f.name)
                for f in parent_type.fields
                if f.name != new_name
            ]
        )
        return set_path(df, parent, F.when(column(parent).isNull(), F.lit(None)).otherwise(renamed))
    # The value is kept aside first: once the old field is dropped, its column no longer resolves.
    df = df.withColumn(_MOVING, column(old_parts))
    df = drop_paths(df, [format_path(old_parts)])
    return set_path(df, new_parts, F.col(_MOVING)).drop(_MOVING)


def set_path(df: DataFrame, parts: list[str], value: Column) -> DataFrame:
    """``df`` with the field at ``parts`` set to ``value`` (structs on the way are created)."""
    top = parts[0]
    if len(parts) == 1:
        return df.withColumn(top, value)
    present = top in df.columns
    if present and not isinstance(df.schema[top].dataType, T.StructType):
        raise FieldPathError(f"{top} is not a struct; cannot put {format_path(parts)} inside it")
    col, col_type = (column([top]), df.schema[top].dataType) if present else (None, None)
    return df.withColumn(top, _with_field(col, col_type, parts[1:], value))


def _with_field(col: Column | None, col_type: Any, rest: list[str], value: Column) -> Column:
    """Struct ``col`` (of ``col_type``; None: no such struct yet) with the field at ``rest`` set to
    ``value``; null only when both are null."""
    head = rest[0]
    field = next((f for f in col_type.fields if f.name == head), None) if col_type else None
    if len(rest) == 1:
        inner = value
    else:
        if field is not None and not isinstance(field.dataType, T.StructType):
            raise FieldPathError(f"{head} is not a struct; cannot put {format_path(rest)} inside it")
        inner = _with_field(
            col.getField(head) if field and col is not None else None,
            field.dataType if field else None,
            rest[1:],
            value,
        )
    if col is None:
        return F.when(inner.isNotNull(), F.struct(inner.alias(head)))
    fields = [(inner if f.name == head else col.getField(f.name)).alias(f.name) for f in col_type.fields]
    if field is None:
        fields.append(inner.alias(head))
    return F.when(col.isNotNull() | inner.isNotNull(), F.struct(*fields))


def unnest(df: DataFrame) -> DataFrame:
    """Nested struct fields become top-level fields named ``outer.inner`` (choices stay whole)."""
    from .gluetypes import is_choice_struct

    columns: list[Column] = []

    def walk(col: Column, data_type: Any, name: str) -> None:
        if isinstance(data_type, T.StructType) and data_type.fields and not is_choice_struct(data_type):
            for field in data_type.fields:
                walk(col.getField(field.name), field.dataType, f"{name}.{field.name}")
        else:
            columns.append(col.alias(name))

    for field in df.schema.fields:
        walk(column([field.name]), field.dataType, field.name)
    return df.select(*columns)
