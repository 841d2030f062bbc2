"""The partition Expression grammar (parsing only; evaluation is tested against the store)."""

import pytest

from gluelab.catalog.expression import (
    Between,
    BoolOp,
    Compare,
    InList,
    IsNull,
    Like,
    Literal,
    Not,
    parse,
)
from gluelab.errors import InvalidInputException


def s(v):
    return Literal(v, False)


def n(v):
    return Literal(v, True)


@pytest.mark.parametrize(
    "text, tree",
    [
        ("year = '2024'", Compare("year", "=", s("2024"))),
        ("year=2024", Compare("year", "=", n("2024"))),
        ("2024 < year", Compare("year", ">", n("2024"))),
        ("year != 1", Compare("year", "<>", n("1"))),
        ("`my key` >= 'a'", Compare("my key", ">=", s("a"))),
        ('"Year" <= -1.5', Compare("Year", "<=", n("-1.5"))),
        ("name = 'it''s'", Compare("name", "=", s("it's"))),
        ("m IN ('01', '02')", InList("m", (s("01"), s("02")), False)),
        ("m not in (1)", InList("m", (n("1"),), True)),
        ("d BETWEEN '2024-01-01' AND '2024-01-31'", Between("d", s("2024-01-01"), s("2024-01-31"), False)),
        ("d NOT BETWEEN 1 AND 2", Between("d", n("1"), n("2"), True)),
        ("r LIKE 'eu-%'", Like("r", "eu-%", False)),
        ("r NOT LIKE 'eu-%'", Like("r", "eu-%", True)),
        ("r IS NULL", IsNull("r", False)),
        ("r is not null", IsNull("r", True)),
        ("NOT a = 1", Not(Compare("a", "=", n("1")))),
        (
            "a = 1 OR b = 2 AND c = 3",
            BoolOp(
                "OR",
                (
                    Compare("a", "=", n("1")),
                    BoolOp("AND", (Compare("b", "=", n("2")), Compare("c", "=", n("3")))),
                ),
            ),
        ),
        (
            "(a = 1 OR b = 2) AND c = 3",
            BoolOp(
                "AND",
                (
                    BoolOp("OR", (Compare("a", "=", n("1")), Compare("b", "=", n("2")))),
                    Compare("c", "=", n("3")),
                ),
            ),
        ),
    ],
)
def test_parses(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize(
    "text, problem",
    [
        ("year =", "expected a partition key or a value"),
        ("year = 1 AND", "expected a partition key or a value"),
        ("year == 1", "expected a partition key or a value"),
        ("(year = 1", "expected ) "),
        ("year = 1)", "unexpected ')'"),
        ("year = 'open", "unexpected character"),
        ("year ; drop table x", "unexpected character"),
        ("a = b", "a partition key on one side and a value on the other"),
        ("1 = 2", "a partition key on one side"),
        ("year IN ()", "expected a partition key or a value"),
        ("year LIKE k", "expected a value, found the key"),
        ("year", "expected an operator"),
        ("(" * 100 + "a = 1" + ")" * 100, "nested more than"),
    ],
)
def test_rejects_with_a_reason(text, problem):
    with pytest.raises(InvalidInputException) as info:
        parse(text)
    assert problem in info.value.message
    assert "Invalid partition Expression" in info.value.message
