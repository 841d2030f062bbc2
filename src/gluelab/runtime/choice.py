"""resolveChoice: turning a choice into one type (``cast:<type>``, ``project:<type>``), a struct
(``make_struct``), one column per alternative (``make_cols``), or the catalog's type (``match_catalog``).

Each action rewrites the Spark column at a path and, in step, the Glue schema, so the choices left
untouched keep their marks (the result is re-typed with ``DataFrame.to``).
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from . import gluetypes as gt
from .conversions import convert
from .fieldpaths import ARRAY_MARK, field_ref, format_path, parse_path

ACTIONS = ("cast", "project", "make_struct", "make_cols", "match_catalog")


class ResolveChoiceError(ValueError):
    pass


def parse_action(action: str) -> tuple[str, gt.DataType | None]:
    kind, _, type_name = action.partition(":")
    kind = kind.strip().lower()
    if kind not in ACTIONS:
        raise ResolveChoiceError(
            f"unknown resolveChoice action {action!r}; use cast:<type>, project:<type>, "
            "make_struct, make_cols or match_catalog"
        )
    if kind in ("cast", "project"):
        if not type_name:
            raise ResolveChoiceError(f"{kind} needs a type, e.g. {kind}:long")
        try:
            return kind, gt.parse_type(type_name)
        except gt.TypeNameError as exc:
            raise ResolveChoiceError(f"{action!r}: {exc}") from None
    return kind, None


def choice_paths(t: gt.DataType, path: list[str] | None = None) -> list[list[str]]:
    """Every path in ``t`` that holds a choice (outermost first)."""
    path = path or []
    if isinstance(t, gt.ChoiceType):
        return [path]
    if isinstance(t, gt.StructType):
        return [p for f in t.fields for p in choice_paths(f.dataType, [*path, f.name])]
    if isinstance(t, gt.ArrayType):
        return choice_paths(t.elementType, [*path, ARRAY_MARK])
    return []


def _alternatives(col: Column, choice: gt.ChoiceType) -> list[tuple[str, Column, gt.DataType]]:
    return [(name, col.getField(name), t) for name, t in choice.choices.items()]


def _cast_column(col: Column, choice: gt.ChoiceType, target: gt.DataType) -> Column:
    """The first alternative that converts to ``target`` (the alternative of that type first)."""
    spark_type = gt.to_spark(target)
    alts = _alternatives(col, choice)
    exact = [(c, t) for name, c, t in alts if name == target.typeName()]
    others = [(c, t) for name, c, t in alts if name != target.typeName()]
    return (
        F.coalesce(*[convert(c, gt.to_spark(t), spark_type) for c, t in exact + others])
        if alts
        else F.lit(None).cast(spark_type)
    )


def _project_column(col: Column, choice: gt.ChoiceType, target: gt.DataType) -> Column:
    name = target.typeName()
    if name in choice.choices:
        return convert(col.getField(name), gt.to_spark(choice.choices[name]), gt.to_spark(target))
    return F.lit(None).cast(gt.to_spark(target))


def _apply(
    df_col: Column,
    glue_type: gt.DataType,
    rest: list[str],
    kind: str,
    target: gt.DataType | None,
    where: str,
) -> tuple[Any, gt.DataType | None, list[tuple[str, Column, gt.DataType]] | None]:
    """(new column, new type, or for make_cols: the columns that replace the field)."""
    if not rest:
        if not isinstance(glue_type, gt.ChoiceType):
            # A plain field: cast converts it (scripts use ResolveChoice to cast); the rest leave it be.
            if kind == "cast" and glue_type != target:
                return convert(df_col, gt.to_spark(glue_type), gt.to_spark(target)), target, None
            return df_col, glue_type, None
        if kind == "cast":
            return _cast_column(df_col, glue_type, target), target, None
        if kind == "project":
            return _project_column(df_col, glue_type, target), target, None
        if kind == "make_struct":
            plain = gt.StructType([gt.Field(n, t) for n, t in glue_type.choices.items()])
            return df_col, plain, None
        if kind == "make_cols":
            return None, None, [(n, c, t) for n, c, t in _alternatives(df_col, glue_type)]
        raise AssertionError(kind)
    head = rest[0]
    if head == ARRAY_MARK:
        if not isinstance(glue_type, gt.ArrayType):
            raise ResolveChoiceError(f"{where}: not an array")
        element_type: list[gt.DataType | None] = []

        def per_element(e: Column) -> Column:
            col, t, cols = _apply(e, glue_type.elementType, rest[1:], kind, target, where)
            if cols is not None:  # the elements themselves are the choice: no struct to add columns to
                raise ResolveChoiceError(f"{where}: make_cols cannot split array elements; use make_struct")
            element_type.append(t)
            return col

        new = F.transform(df_col, per_element)
        return new, gt.ArrayType(element_type[0] or glue_type.elementType), None
    if not isinstance(glue_type, gt.StructType) or not glue_type.hasField(head):
        raise ResolveChoiceError(f"{where}: no field {head!r}")
    fields_out: list[Column] = []
    types_out: list[gt.Field] = []
    for field in glue_type.fields:
        sub = df_col.getField(field.name)
        if field.name != head:
            fields_out.append(sub.alias(field.name))
            types_out.append(field)
            continue
        col, t, cols = _apply(sub, field.dataType, rest[1:], kind, target, where)
        if cols is not None:
            for name, c, ct in cols:
                fields_out.append(c.alias(f"{field.name}_{name}"))
                types_out.append(gt.Field(f"{field.name}_{name}", ct))
        else:
            fields_out.append(col.alias(field.name))
            types_out.append(gt.Field(field.name, t))
    return (
        F.when(df_col.isNull(), F.lit(None)).otherwise(F.struct(*fields_out)),
        gt.StructType(types_out),
        None,
    )


def resolve(
    df: DataFrame, specs: list[tuple[str, str]], catalog_types: dict[str, gt.DataType] | None = None
) -> DataFrame:
    """Apply ``specs`` [(path, action)] to ``df``; ``catalog_types`` maps top-level column names to the
    catalog's types for ``match_catalog``."""
    schema = gt.from_spark(df.schema)
    assert isinstance(schema, gt.StructType)
    for path, action in specs:
        kind, target = parse_action(action)
        parts = parse_path(path)
        if kind == "match_catalog":
            if catalog_types is None:
                raise ResolveChoiceError("match_catalog needs database and table_name")
            target = _catalog_type_at(catalog_types, parts, path)
            kind = "cast"
        root = F.struct(*[F.col(field_ref(f.name)) for f in schema.fields])
        new_root, new_schema, _ = _apply(root, schema, parts, kind, target, format_path(parts))
        assert isinstance(new_schema, gt.StructType)
        df = df.select(*[new_root.getField(f.name).alias(f.name) for f in new_schema.fields])
        schema = new_schema
    return df.to(gt.to_spark(schema))


def _catalog_type_at(catalog_types: dict[str, gt.DataType], parts: list[str], path: str) -> gt.DataType:
    current: gt.DataType | None = gt.StructType([gt.Field(n, t) for n, t in catalog_types.items()])
    for part in parts:
        if part == ARRAY_MARK and isinstance(current, gt.ArrayType):
            current = current.elementType
        elif isinstance(current, gt.StructType):
            field = next((f for f in current.fields if f.name.lower() == part.lower()), None)
            current = field.dataType if field else None
        else:
            current = None
        if current is None:
            raise ResolveChoiceError(f"match_catalog: the catalog table has no column {path!r}")
    return current


def strip_choices(spark_type: Any) -> Any:
    """The same Spark type without choice marks (a cast to it drops them)."""
    if isinstance(spark_type, T.StructType):
        return T.StructType(
            [T.StructField(f.name, strip_choices(f.dataType), f.nullable) for f in spark_type.fields]
        )
    if isinstance(spark_type, T.ArrayType):
        return T.ArrayType(strip_choices(spark_type.elementType), spark_type.containsNull)
    if isinstance(spark_type, T.MapType):
        return T.MapType(
            spark_type.keyType, strip_choices(spark_type.valueType), spark_type.valueContainsNull
        )
    return spark_type
