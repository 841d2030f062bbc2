"""Glue's partition ``Expression``: a SQL WHERE clause over partition keys, parsed here and compiled to
SQLAlchemy over the indexed ``partition_values`` table.

Grammar (keywords case-insensitive)::

    expr       := term (OR term)*
    term       := factor (AND factor)*
    factor     := NOT factor | '(' expr ')' | predicate
    predicate  := operand ( cmp operand
                          | [NOT] IN '(' literal (',' literal)* ')'
                          | [NOT] BETWEEN literal AND literal
                          | [NOT] LIKE 'pattern'
                          | IS [NOT] NULL )
    cmp        := = | <> | != | < | <= | > | >=
    operand    := key | 'string' | number          (one side of a comparison is a key)

Keys of type int, bigint, long, tinyint, smallint and decimal compare as numbers; string, char, varchar,
date and timestamp keys compare as strings (ISO dates order correctly). Other key types are refused, as
Glue refuses them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, not_, or_
from sqlalchemy.sql.elements import ColumnElement

from ..errors import InvalidInputException
from ..patterns import MAX_LENGTH

MAX_DEPTH = 64

NUMERIC_TYPES = {"int", "integer", "bigint", "long", "tinyint", "smallint", "decimal"}
STRING_TYPES = {"string", "char", "varchar", "date", "timestamp"}


def expression_error(expression: str, problem: str) -> InvalidInputException:
    return InvalidInputException(f"Invalid partition Expression {expression!r}: {problem}")


# -- tokens -------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<quoted>`[^`]+`|"[^"]+")
      | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
      | (?P<op><>|!=|<=|>=|=|<|>|\(|\)|,)
    )""",
    re.VERBOSE,
)
KEYWORDS = {"AND", "OR", "NOT", "IN", "BETWEEN", "LIKE", "IS", "NULL"}


@dataclass(frozen=True)
class Token:
    kind: str  # string | number | key | keyword | op | end
    value: Any
    pos: int


def tokenize(expression: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(expression):
        if expression[pos:].strip() == "":
            break
        match = _TOKEN.match(expression, pos)
        if not match:
            raise expression_error(
                expression, f"unexpected character {expression[pos:].lstrip()[:1]!r} at position {pos + 1}"
            )
        kind = match.lastgroup
        text = match.group(kind)
        start = match.start(kind)
        if kind == "string":
            tokens.append(Token("string", text[1:-1].replace("''", "'"), start))
        elif kind == "number":
            tokens.append(Token("number", text, start))
        elif kind == "quoted":
            tokens.append(Token("key", text[1:-1], start))
        elif kind == "word" and text.upper() in KEYWORDS:
            tokens.append(Token("keyword", text.upper(), start))
        elif kind == "word":
            tokens.append(Token("key", text, start))
        else:
            tokens.append(Token("op", text, start))
        pos = match.end()
    tokens.append(Token("end", None, len(expression)))
    return tokens


# -- syntax tree ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Literal:
    value: str
    is_number: bool


@dataclass(frozen=True)
class Compare:
    key: str
    op: str
    literal: Literal


@dataclass(frozen=True)
class InList:
    key: str
    literals: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class Between:
    key: str
    low: Literal
    high: Literal
    negated: bool


@dataclass(frozen=True)
class Like:
    key: str
    pattern: str
    negated: bool


@dataclass(frozen=True)
class IsNull:
    key: str
    negated: bool


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Compare | InList | Between | Like | IsNull | BoolOp | Not
_FLIPPED = {"=": "=", "<>": "<>", "!=": "<>", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


class _Parser:
    def __init__(self, expression: str):
        self.expression = expression
        self.tokens = tokenize(expression)
        self.i = 0
        self.depth = 0

    def fail(self, problem: str) -> InvalidInputException:
        return expression_error(self.expression, problem)

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def accept(self, kind: str, value: Any = None) -> bool:
        if self.token.kind == kind and (value is None or self.token.value == value):
            self.i += 1
            return True
        return False

    def expect(self, kind: str, value: Any = None) -> Token:
        if not (self.token.kind == kind and (value is None or self.token.value == value)):
            raise self.fail(
                f"expected {value or kind} at position {self.token.pos + 1}, found {self._describe()}"
            )
        return self.take()

    def _describe(self) -> str:
        token = self.token
        return "the end" if token.kind == "end" else repr(str(token.value))

    def parse(self) -> Node:
        node = self.expr()
        if self.token.kind != "end":
            raise self.fail(f"unexpected {self._describe()} at position {self.token.pos + 1}")
        return node

    def expr(self) -> Node:
        parts = [self.term()]
        while self.accept("keyword", "OR"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else BoolOp("OR", tuple(parts))

    def term(self) -> Node:
        parts = [self.factor()]
        while self.accept("keyword", "AND"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else BoolOp("AND", tuple(parts))

    def factor(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels deep")
        try:
            if self.accept("keyword", "NOT"):
                return Not(self.factor())
            if self.accept("op", "("):
                node = self.expr()
                self.expect("op", ")")
                return node
            return self.predicate()
        finally:
            self.depth -= 1

    def operand(self) -> str | Literal:
        token = self.take()
        if token.kind == "key":
            return token.value
        if token.kind in ("string", "number"):
            return Literal(token.value, token.kind == "number")
        self.i -= 1
        raise self.fail(
            f"expected a partition key or a value at position {token.pos + 1}, found {self._describe()}"
        )

    def literal(self) -> Literal:
        value = self.operand()
        if not isinstance(value, Literal):
            raise self.fail(f"expected a value, found the key {value!r}")
        return value

    def predicate(self) -> Node:
        left = self.operand()
        token = self.token
        if token.kind == "op" and token.value in _FLIPPED:
            op = self.take().value
            right = self.operand()
            if isinstance(left, str) and isinstance(right, Literal):
                return Compare(left, "<>" if op == "!=" else op, right)
            if isinstance(left, Literal) and isinstance(right, str):
                return Compare(right, _FLIPPED[op], left)
            raise self.fail("a comparison needs a partition key on one side and a value on the other")
        if not isinstance(left, str):
            raise self.fail(f"expected a partition key before {self._describe()}")
        negated = self.accept("keyword", "NOT")
        if self.accept("keyword", "IN"):
            self.expect("op", "(")
            literals = [self.literal()]
            while self.accept("op", ","):
                literals.append(self.literal())
            self.expect("op", ")")
            return InList(left, tuple(literals), negated)
        if self.accept("keyword", "BETWEEN"):
            low = self.literal()
            self.expect("keyword", "AND")
            return Between(left, low, self.literal(), negated)
        if self.accept("keyword", "LIKE"):
            pattern = self.literal()
            return Like(left, pattern.value, negated)
        if not negated and self.accept("keyword", "IS"):
            is_not = self.accept("keyword", "NOT")
            self.expect("keyword", "NULL")
            return IsNull(left, is_not)
        raise self.fail(f"expected an operator after {left!r}, found {self._describe()}")


def parse(expression: str) -> Node:
    if len(expression) > MAX_LENGTH:  # Glue's limit (PredicateString), for callers past the API
        raise expression_error(expression[:100] + "...", f"longer than {MAX_LENGTH} characters")
    return _Parser(expression).parse()


# -- compilation to SQL ------------------------------------------------------------------
@dataclass(frozen=True)
class KeyInfo:
    position: int
    type: str
    numeric: bool
    supported: bool


def key_infos(partition_keys: list[dict[str, Any]]) -> dict[str, KeyInfo]:
    infos = {}
    for position, key in enumerate(partition_keys):
        declared = (key.get("Type") or "string").strip().lower()
        base = re.split(r"[(<\s]", declared, maxsplit=1)[0]
        infos[key["Name"].lower()] = KeyInfo(
            position, declared, base in NUMERIC_TYPES, base in NUMERIC_TYPES | STRING_TYPES
        )
    return infos


ColumnsFor = Callable[[int], tuple[Any, Any]]  # position -> (string_value column, number_value column)


def compile_expression(
    expression: str,
    partition_keys: list[dict[str, Any]],
    columns_for: ColumnsFor,
) -> ColumnElement[bool]:
    """Parse ``expression`` and return a SQL condition; ``columns_for(position)`` gives the columns of the
    ``partition_values`` row (joined by the caller) for the key at that position."""
    tree = parse(expression)
    infos = key_infos(partition_keys)

    def key(name: str) -> tuple[KeyInfo, Any, Any]:
        info = infos.get(name.lower())
        if info is None:
            known = ", ".join(k["Name"] for k in partition_keys) or "none"
            raise expression_error(expression, f"{name!r} is not a partition key (keys: {known})")
        if not info.supported:
            raise expression_error(
                expression, f"partition key {name!r} has type {info.type}, which Expressions do not support"
            )
        string_col, number_col = columns_for(info.position)
        return info, string_col, number_col

    def value(info: KeyInfo, literal: Literal, name: str) -> Any:
        if not info.numeric:
            return literal.value
        try:
            return float(literal.value)
        except ValueError:
            raise expression_error(
                expression, f"{literal.value!r} is not a number, but key {name!r} is {info.type}"
            ) from None

    def build(node: Node) -> ColumnElement[bool]:
        if isinstance(node, BoolOp):
            parts = [build(p) for p in node.parts]
            return and_(*parts) if node.op == "AND" else or_(*parts)
        if isinstance(node, Not):
            return not_(build(node.part))
        if isinstance(node, Compare):
            info, string_col, number_col = key(node.key)
            column = number_col if info.numeric else string_col
            v = value(info, node.literal, node.key)
            return {
                "=": column == v,
                "<>": column != v,
                "<": column < v,
                ">": column > v,
                "<=": column <= v,
                ">=": column >= v,
            }[node.op]
        if isinstance(node, InList):
            info, string_col, number_col = key(node.key)
            column = number_col if info.numeric else string_col
            condition = column.in_([value(info, lit, node.key) for lit in node.literals])
            return not_(condition) if node.negated else condition
        if isinstance(node, Between):
            info, string_col, number_col = key(node.key)
            column = number_col if info.numeric else string_col
            condition = column.between(value(info, node.low, node.key), value(info, node.high, node.key))
            return not_(condition) if node.negated else condition
        if isinstance(node, Like):
            _, string_col, _ = key(node.key)
            condition = string_col.like(node.pattern, escape="\\")
            return not_(condition) if node.negated else condition
        if isinstance(node, IsNull):
            _, string_col, _ = key(node.key)
            return string_col.is_not(None) if node.negated else string_col.is_(None)
        raise AssertionError(node)

    return build(tree)


def number_value(value: str | None) -> float | None:
    """The number a partition value holds, if it is one (what numeric keys compare on)."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
