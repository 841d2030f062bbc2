"""Compiling simple Filter functions to Spark conditions, so they run in the JVM instead of once per record
in Python. Only what is provably equivalent is compiled; anything else keeps running in Python.

Equivalence, under Glue's Filter rules (a KeyError, ValueError or TypeError drops the record): every
compiled sub-expression is TRUE, FALSE, or NULL meaning "Python would raise one of those" (then the record
is dropped). ``rec["f"]`` on a null field raises KeyError (Glue leaves nulls out of records), so it is a
"strict" value whose NULL means raise; ``rec.get("f")`` is "optional": its NULL is Python's None.
``and``/``or`` follow Python's evaluation order; comparisons between mismatched types, arithmetic,
dates, choices and calls other than ``get``/``startswith``/``endswith`` are not compiled.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import math
import types
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column
from pyspark.sql import functions as F

from . import gluetypes as gt

_NUMERIC = (
    gt.ByteType,
    gt.ShortType,
    gt.IntegerType,
    gt.LongType,
    gt.FloatType,
    gt.DoubleType,
    gt.DecimalType,
)
_FLOATING = (gt.FloatType, gt.DoubleType)
_ORDER = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


class NotCompilable(Exception):
    pass


@dataclass(frozen=True)
class Cond:
    """A compiled condition: TRUE, FALSE, or NULL where Python would raise (the record is dropped)."""

    column: Column
    nulls: frozenset[tuple[str, ...]] = frozenset()  # NULL wherever one of these strict fields is null
    null_or_true: bool = False  # never FALSE: NULL exactly where a field of ``nulls`` is null, else TRUE
    exact: bool = False  # NULL exactly where a field of ``nulls`` is null


def _raises() -> Cond:
    """NULL: where Python would raise (KeyError, TypeError), so the record is dropped."""
    return Cond(F.lit(None).cast("boolean"))


@dataclass(frozen=True)
class Value:
    column: Column
    kind: str  # number | string | boolean | none
    strict: bool  # True: NULL means Python raised (rec["f"]); False: NULL is None (rec.get, constants)
    floating: bool = False
    constant: Any = ...
    decimal: bool = False
    path: tuple[str, ...] = ()

    @property
    def nulls(self) -> frozenset[tuple[str, ...]]:
        """A strict field read makes the comparison NULL (Python raised) wherever the field is null."""
        return frozenset([self.path]) if self.strict and self.path else frozenset()


def _kind_of(data_type: gt.DataType) -> str:
    if isinstance(data_type, _NUMERIC):
        return "number"
    if isinstance(data_type, gt.StringType):
        return "string"
    if isinstance(data_type, gt.BooleanType):
        return "boolean"
    raise NotCompilable(f"fields of type {data_type.typeName()} are not compiled")


def _constant_kind(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            raise NotCompilable("NaN constants are not compiled")
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise NotCompilable("integers beyond a long are not compiled")
        return "number"
    if isinstance(value, str):
        return "string"
    raise NotCompilable(f"constants of type {type(value).__name__} are not compiled")


def _code_key(code: types.CodeType) -> tuple[Any, ...]:
    consts = tuple(c for c in code.co_consts if not isinstance(c, types.CodeType))
    return code.co_code, code.co_names, code.co_varnames, code.co_freevars, consts


def _compiled_code(
    node: ast.Lambda | ast.FunctionDef, freevars: tuple[str, ...], name: str
) -> types.CodeType | None:
    """Compile ``node`` alone (inside a function that binds ``freevars``, so closures compile the same)."""
    inner: ast.stmt = node if isinstance(node, ast.FunctionDef) else ast.Return(value=node)
    body: list[ast.stmt] = [
        ast.Assign(targets=[ast.Name(id=v, ctx=ast.Store())], value=ast.Constant(None)) for v in freevars
    ]
    body.append(inner)
    extra: dict[str, Any] = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
    outer = ast.FunctionDef(
        name="__outer__",
        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=body,
        decorator_list=[],
        returns=None,
        **extra,
    )
    module = ast.fix_missing_locations(ast.Module(body=[outer], type_ignores=[]))
    try:
        compiled = compile(module, "<predicate>", "exec")
    except (SyntaxError, ValueError, TypeError):
        return None
    outer_code = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    return next(
        (c for c in outer_code.co_consts if isinstance(c, types.CodeType) and c.co_name == name), None
    )


def _function_ast(f: Any) -> tuple[ast.expr, str]:
    """The expression a one-parameter function returns, and the parameter's name. The function's whole
    source file (or notebook cell) is parsed, and a candidate is used only if compiling it gives exactly
    the function's bytecode, so a truncated or ambiguous source can never be compiled by mistake."""
    if not isinstance(f, types.FunctionType):
        raise NotCompilable("not a Python function")
    code = f.__code__
    if (
        code.co_argcount != 1
        or code.co_kwonlyargcount
        or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)
    ):
        raise NotCompilable("the function must take exactly one argument")
    lines = linecache.getlines(code.co_filename, f.__globals__)
    if not lines:
        raise NotCompilable("no source")
    try:
        tree = ast.parse("".join(lines))
    except SyntaxError:
        raise NotCompilable("the source could not be parsed") from None
    wanted = _code_key(code)
    found: list[tuple[ast.expr, str]] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Lambda)
            and code.co_name == "<lambda>"
            and node.lineno <= code.co_firstlineno <= (node.end_lineno or node.lineno)
        ):
            body = node.body
        elif isinstance(node, ast.FunctionDef) and node.name == code.co_name:
            statements = [
                st
                for st in node.body
                if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))
            ]
            if (
                len(statements) != 1
                or not isinstance(statements[0], ast.Return)
                or statements[0].value is None
            ):
                continue
            body = statements[0].value
        else:
            continue
        if len(node.args.args) != 1:
            continue
        candidate = _compiled_code(node, code.co_freevars, code.co_name)
        if candidate is not None and _code_key(candidate) == wanted:
            found.append((body, node.args.args[0].arg))
    if len(found) != 1:
        raise NotCompilable("the function's source could not be identified")
    return found[0]


class _Compiler:
    def __init__(self, f: Any, param: str, schema: gt.StructType):
        self.f = f
        self.param = param
        self.schema = schema

    # -- values ---------------------------------------------------------------------------------------
    def _constant(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int | float)
            and not isinstance(node.operand.value, bool)
        ):
            return -node.operand.value
        if isinstance(node, ast.Name) and node.id != self.param:
            return self._free_variable(node.id)
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return tuple(self._constant(e) for e in node.elts)
        raise NotCompilable("not a constant")

    def _free_variable(self, name: str) -> Any:
        code = self.f.__code__
        if name in code.co_freevars:
            value = self.f.__closure__[code.co_freevars.index(name)].cell_contents
        elif name in self.f.__globals__:
            value = self.f.__globals__[name]
        else:
            raise NotCompilable(f"unknown name {name}")
        if isinstance(value, tuple | list | set | frozenset):
            for item in value:
                _constant_kind(item)
            return tuple(value)
        _constant_kind(value)
        return value

    def _field(self, node: ast.expr) -> tuple[list[str], bool] | None:
        """The field path a record access reads, and whether it is strict (rec["f"]) or optional (get)."""
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            if isinstance(node.value, ast.Name) and node.value.id == self.param:
                return [node.slice.value], True
            inner = self._field(node.value)
            if inner is not None and inner[1]:
                return [*inner[0], node.slice.value], True
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == self.param
        ):
            if node.attr in ("get", "keys", "values", "items", "copy"):
                return None
            return [node.attr], True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == self.param
            and not node.keywords
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            return [node.args[0].value], False
        return None

    def value(self, node: ast.expr) -> Value:
        access = self._field(node)
        if access is not None:
            path, strict = access
            current: gt.DataType = self.schema
            for part in path:
                if not isinstance(current, gt.StructType) or not current.hasField(part):
                    # Python: KeyError when read (strict), or None (get).
                    return Value(F.lit(None).cast("boolean"), "missing" if strict else "none", strict)
                current = current.getField(part).dataType
            column = F.col(f"`{path[0]}`")
            for part in path[1:]:
                column = column.getField(part)
            return Value(
                column,
                _kind_of(current),
                strict,
                floating=isinstance(current, _FLOATING),
                decimal=isinstance(current, gt.DecimalType),
                path=tuple(path),
            )
        value = self._constant(node)
        if isinstance(value, tuple):
            raise NotCompilable("a sequence is only compiled on the right of in")
        return Value(
            F.lit(value), _constant_kind(value), False, floating=isinstance(value, float), constant=value
        )

    # -- conditions (TRUE / FALSE / NULL = raise) ---------------------------------------------------------
    def condition(self, node: ast.expr) -> Cond:
        if isinstance(node, ast.BoolOp):
            result = self.condition(node.values[0])
            for operand in node.values[1:]:
                right = self.condition(operand)
                result = _and(result, right) if isinstance(node.op, ast.And) else _or(result, right)
            return result
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.condition(node.operand)
            return Cond(~inner.column, inner.nulls, exact=inner.exact)
        if isinstance(node, ast.Compare):
            return self._compare_chain(node)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith")
            and len(node.args) == 1
            and not node.keywords
        ):
            subject = self.value(node.func.value)
            prefix = self._constant(node.args[0])
            if subject.kind == "missing":
                return _raises()
            if subject.kind != "string" or not isinstance(prefix, str) or not subject.strict:
                raise NotCompilable("startswith/endswith on a string field with a string")
            column = (
                subject.column.startswith(prefix)
                if node.func.attr == "startswith"
                else subject.column.endswith(prefix)
            )
            return Cond(column, subject.nulls, exact=True)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return Cond(F.lit(node.value))
        value = self.value(node)
        if value.kind == "missing":
            return _raises()
        if value.kind == "boolean" and value.strict:
            return Cond(value.column, value.nulls, exact=True)
        raise NotCompilable("only boolean expressions are compiled")

    def _compare_chain(self, node: ast.Compare) -> Cond:
        left = node.left
        result: Cond | None = None
        for op, right in zip(node.ops, node.comparators, strict=True):
            term = self._compare(left, op, right)
            result = term if result is None else _and(result, term)
            left = right
        assert result is not None
        return result

    def _compare(self, left_node: ast.expr, op: ast.cmpop, right_node: ast.expr) -> Cond:
        if isinstance(op, ast.In | ast.NotIn):
            return self._membership(left_node, op, right_node)
        left, right = self.value(left_node), self.value(right_node)
        if "missing" in (left.kind, right.kind):
            return _raises()  # reading a field the frame does not have raises KeyError
        if isinstance(op, ast.Is | ast.IsNot) or "none" in (left.kind, right.kind):
            return self._none_test(left, op, right)
        if type(op) not in _ORDER:
            raise NotCompilable("comparison not compiled")
        symbol = _ORDER[type(op)]
        fields = [side for side in (left, right) if side.constant is ...]
        if len(fields) == 2 and any(not side.strict or side.floating for side in fields):
            # Python's evaluation order matters there (and NaN); keep it in Python.
            raise NotCompilable("field-to-field comparisons need strict, non-floating fields")
        if left.kind != right.kind:
            raise NotCompilable("comparisons between different kinds of values are not compiled")
        if left.kind == "boolean" and symbol not in ("==", "!="):
            raise NotCompilable("ordering booleans is not compiled")
        if left.kind == "number":
            _check_exact_numbers(left, right)
        if right.constant is ... and left.constant is not ...:  # the field on the left: c < x is x > c
            left, right, symbol = right, left, _MIRROR[symbol]
        a, b = left.column, right.column
        if left.floating and symbol in (">", ">="):
            # Python: NaN > c is False; Spark orders NaN above everything. Negated, NaN stays the largest,
            # so -x < -c is x > c for every number and False for NaN (<, <=, ==, != already agree).
            a, b, symbol = -a, -b, _MIRROR[symbol]
        result = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[symbol]
        exact = True
        for side in (left, right):
            # get() gave None: == and != answer (False/True); ordering raises TypeError (stays NULL).
            if not side.strict and side.constant is ... and symbol in ("==", "!="):
                result = F.when(side.column.isNull(), F.lit(symbol == "!=")).otherwise(result)
                exact = False
        return Cond(result, left.nulls | right.nulls, exact=exact and all(s.strict for s in fields))

    def _none_test(self, left: Value, op: ast.cmpop, right: Value) -> Cond:
        if right.kind != "none" or left.constant is not ...:
            raise NotCompilable("a None test needs a field on the left and None on the right")
        negate = isinstance(op, ast.IsNot | ast.NotEq)
        if not isinstance(op, ast.Is | ast.IsNot | ast.Eq | ast.NotEq):
            raise NotCompilable("ordering against None raises in Python")
        if left.strict:
            # rec["f"] is None: a null field raises KeyError first; a present one is never None.
            column = F.when(left.column.isNull(), F.lit(None)).otherwise(F.lit(negate))
            return Cond(column, left.nulls, null_or_true=negate, exact=True)
        return Cond(left.column.isNotNull() if negate else left.column.isNull())

    def _membership(self, left_node: ast.expr, op: ast.cmpop, right_node: ast.expr) -> Cond:
        negate = isinstance(op, ast.NotIn)
        try:
            items = self._constant(right_node)
        except NotCompilable:
            items = None
        if isinstance(items, tuple):
            value = self.value(left_node)
            if value.kind == "missing":
                return _raises()
            if (
                not items
                or any(_constant_kind(i) not in (value.kind, "none") for i in items)
                or value.floating
                or any(isinstance(i, float) for i in items)
            ):
                raise NotCompilable("membership needs constants of the field's kind (integers for numbers)")
            present = value.column.isin(*[i for i in items if i is not None])
            if not value.strict:
                present = F.when(value.column.isNull(), F.lit(None in items)).otherwise(present)
            return Cond(~present if negate else present, value.nulls, exact=value.strict)
        # "x" in rec["f"]: substring test on a string field.
        needle = self._constant(left_node)
        haystack = self.value(right_node)
        if haystack.kind == "missing":
            return _raises()
        if not isinstance(needle, str) or haystack.kind != "string" or not haystack.strict:
            raise NotCompilable("substring tests need a string constant and a string field")
        found = haystack.column.contains(needle)
        return Cond(~found if negate else found, haystack.nulls, exact=True)


_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _and(left: Cond, right: Cond) -> Cond:
    """Python's ``left and right``: NULL (raised) if left raised, FALSE if left is false, else right."""
    if left.null_or_true and left.nulls <= right.nulls:
        # left is NULL only where a field it reads is null, and right is NULL there too: right says it all
        # (typically ``r["x"] is not None and r["x"] > 1``).
        return right
    if left.exact and left.nulls and left.nulls <= right.nulls:
        # where left is NULL, right is NULL too: SQL's AND gives NULL, FALSE or right, as Python does
        return Cond(left.column & right.column, left.nulls)
    column = (
        F.when(left.column.isNull(), F.lit(None)).when(~left.column, F.lit(False)).otherwise(right.column)
    )
    return Cond(column, left.nulls)


def _or(left: Cond, right: Cond) -> Cond:
    """Python's ``left or right``: NULL (raised) if left raised, TRUE if left is true, else right."""
    if left.exact and left.nulls and left.nulls <= right.nulls:
        return Cond(left.column | right.column, left.nulls)
    column = F.when(left.column.isNull(), F.lit(None)).when(left.column, F.lit(True)).otherwise(right.column)
    return Cond(column, left.nulls)


def _check_exact_numbers(left: Value, right: Value) -> None:
    """Python compares int, float and Decimal exactly; Spark casts to double. Decline where that differs:
    a decimal against a float (Decimal("0.1") != 0.1 in Python), and an integer field against a float
    constant of magnitude 2**53 or more (beyond it, longs round when cast to double)."""
    for field, other in ((left, right), (right, left)):
        if field.constant is not ... or other.constant is ...:
            continue
        if isinstance(other.constant, float):
            if field.decimal:
                raise NotCompilable("decimal fields are not compared with floats")
            if not field.floating and math.isfinite(other.constant) and abs(other.constant) >= 2**53:
                raise NotCompilable("integer fields are not compared with very large floats")


def compile_filter(f: Any, schema: gt.StructType) -> Column | None:
    """A Spark condition that keeps exactly the records ``f`` keeps under Glue's Filter rules, or None
    when ``f`` is not a simple predicate (then it runs in Python)."""
    try:
        body, param = _function_ast(f)
        condition = _Compiler(f, param, schema).condition(body).column
    except (NotCompilable, RecursionError, ValueError):
        return None
    return F.coalesce(condition, F.lit(False))
