"""Field paths as Glue writes them (``a.b``, back-ticks for names with dots: `` `a.b`.c ``, ``arr[].x``
for the elements of an array) and the Spark column expressions that read or rewrite the field there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

ARRAY_MARK = "[]"


class FieldPathError(ValueError):
    pass


def parse_path(path: str) -> list[str]:
    """``a.`b.c`.d`` -> ["a", "b.c", "d"]; ``arr[].x`` -> ["arr", "[]", "x"]."""
    parts: list[str] = []
    current = ""
    i = 0
    quoted = False
    while i < len(path):
        ch = path[i]
        if ch == "`":
            quoted = not quoted
        elif ch == "." and not quoted:
            parts.append(current)
            current = ""
        elif not quoted and path.startswith("[]", i):
            if current:
                parts.append(current)
            parts.append(ARRAY_MARK)
            current = ""
            i += 2
            if i < len(path) and path[i] == ".":
                i += 1
            continue
        else:
            current += ch
        i += 1
    if quoted:
        raise FieldPathError(f"unbalanced back-tick in field path {path!r}")
    if current or not parts:
        parts.append(current)
    if any(p == "" for p in parts):
        raise FieldPathError(f"empty name in field path {path!r}")
    return parts


def format_path(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if part == ARRAY_MARK:
            out += "[]"
            continue
        name = f"`{part}`" if "." in part or "`" in part else part
        out += ("." if out else "") + name
    return out


def resolve(schema: T.StructType, parts: list[str], case_sensitive: bool = True) -> list[str] | None:
    """The path's parts with the schema's own spelling of each name, or None if there is no such field."""
    resolved: list[str] = []
    current: Any = schema
    for part in parts:
        if part == ARRAY_MARK:
            if not isinstance(current, T.ArrayType):
                return None
            current = current.elementType
            resolved.append(part)
            continue
        if not isinstance(current, T.StructType):
            return None
        match = None
        for field in current.fields:
            if field.name == part or (not case_sensitive and field.name.lower() == part.lower()):
                match = field
                if field.name == part:
                    break
        if match is None:
            return None
        resolved.append(match.name)
        current = match.dataType
    return resolved


def type_at(schema: T.StructType, parts: list[str]) -> Any:
    current: Any = schema
    for part in parts:
        if part == ARRAY_MARK:
            current = current.elementType
        else:
            current = next(f for f in current.fields if f.name == part).dataType
    return current


def field_ref(name: str) -> str:
    """``name`` quoted for Spark's parser (``F.col``, ``withField``, ``dropFields``): any character may
    appear in it (spaces, ``-``, ``(``, ``#``, ``%``, dots, non-ASCII)."""
    return "`" + name.replace("`", "``") + "`"


def column(parts: list[str]) -> Column:
    """The column at a path of struct fields (no arrays)."""
    if ARRAY_MARK in parts:
        raise FieldPathError(f"{format_path(parts)} goes through an array; use a transform")
    col = F.col(field_ref(parts[0]))
    for part in parts[1:]:
        col = col.getField(part)
    return col


def rewrite(
    df_schema: T.StructType, parts: list[str], fn: Callable[[Column, Any], Column | None]
) -> dict[str, Column]:
    """Columns to replace so that the field at ``parts`` becomes ``fn(current column, its type)``
    (``None`` drops it). Works through structs and arrays; returns {top-level name: new column}."""
    top = parts[0]
    top_field = next(f for f in df_schema.fields if f.name == top)
    return {top: _rewrite(column([top]), top_field.dataType, parts[1:], fn)}


def _rewrite(col: Column, data_type: Any, rest: list[str], fn: Callable[[Column, Any], Column | None]) -> Any:
    if not rest:
        return fn(col, data_type)
    head = rest[0]
    if head == ARRAY_MARK:
        return F.transform(col, lambda e: _rewrite(e, data_type.elementType, rest[1:], fn))
    field = next(f for f in data_type.fields if f.name == head)
    new = _rewrite(col.getField(head), field.dataType, rest[1:], fn)
    if new is None:
        return col.dropFields(field_ref(head))
    # Rebuilt field by field (keeping order); choice metadata is re-applied by the caller.
    return F.when(col.isNull(), F.lit(None)).otherwise(
        F.struct(*[(new if f.name == head else col.getField(f.name)).alias(f.name) for f in data_type.fields])
    )
