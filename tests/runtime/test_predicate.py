"""Compiled Filter predicates keep exactly the records the Python path keeps (Glue's rules: a KeyError,
ValueError or TypeError drops the record), over rows full of edge values; what cannot be compiled is not."""

from __future__ import annotations

import importlib.util
import os
import random
import sys

import pytest

from gluelab.runtime import gluetypes as gt
from gluelab.runtime.dynamicframe import DynamicFrame
from gluelab.runtime.predicate import compile_filter
from gluelab.runtime.records import row_to_record

NAN = float("nan")
ROWS = [
    (0, 1.5, "eu", 3, True, "alpha"),
    (1, None, "us", None, None, None),
    (2, NAN, "", 0, False, ""),
    (3, -2.0, "EU", -7, True, "Ålesund"),
    (4, 50.0, "eu-west", 50, False, "beta"),
    (5, 1e300, "us", 2**40, True, "x"),
    (6, 0.0, None, 1, None, "alphabet"),
    (7, float("inf"), "ap", 3, True, "a"),
    (8, -0.0, "eu", 2, False, "ab"),
]
COLUMNS = "id long, amount double, region string, n long, ok boolean, name string"
SCHEMA = gt.StructType(
    [
        gt.Field("id", gt.LongType()),
        gt.Field("amount", gt.DoubleType()),
        gt.Field("region", gt.StringType()),
        gt.Field("n", gt.LongType()),
        gt.Field("ok", gt.BooleanType()),
        gt.Field("name", gt.StringType()),
    ]
)
LIMIT = 2
REGIONS = ("eu", "us")


def python_keeps(f, rows) -> set[int]:  # type: ignore[no-untyped-def]
    kept = set()
    for row in rows:
        record = row_to_record(dict(zip(SCHEMA.field_map(), row, strict=True)), SCHEMA)
        try:
            if f(record):
                kept.add(row[0])
        except (KeyError, ValueError, TypeError):
            pass
    return kept


def make_closure():  # type: ignore[no-untyped-def]
    k = 2
    return lambda r: r["n"] > k


HAND_WRITTEN = {
    "gt": lambda r: r["amount"] > 1,
    "ge-int": lambda r: r["n"] >= 3,
    "eq-str": lambda r: r["region"] == "eu",
    "ne-str": lambda r: r["region"] != "eu",
    "attribute": lambda r: r.region == "us",
    "not-none": lambda r: r["amount"] is not None and r["amount"] > 0,
    "is-none": lambda r: r["region"] is None,
    "get-none": lambda r: r.get("region") is None,
    "get-eq": lambda r: r.get("n") == 3,
    "get-ne": lambda r: r.get("n") != 3,
    "get-order": lambda r: r.get("n") > 1,
    "in": lambda r: r["region"] in ("eu", "us"),
    "not-in": lambda r: r["region"] not in REGIONS,
    "get-in": lambda r: r.get("region") in ("eu", None),
    "substring": lambda r: "alpha" in r["name"],
    "startswith": lambda r: r["name"].startswith("al"),
    "endswith": lambda r: r["name"].endswith("a"),
    "bool": lambda r: r["ok"],
    "not-bool": lambda r: not r["ok"],
    "eq-true": lambda r: r["ok"] == True,  # noqa: E712 - users write it
    "and-or": lambda r: (r["amount"] > 0 and r["region"] == "eu") or r["n"] == 1,
    "not-and": lambda r: not (r["amount"] > 0 and r["ok"]),
    "chain": lambda r: 0 < r["n"] < 10,
    "closure": make_closure(),
    "global": lambda r: r["n"] > LIMIT,
    "field-vs-field": lambda r: r["n"] > r["id"],
    "missing-field": lambda r: r["colour"] == "red",
    "missing-get": lambda r: r.get("colour") is None,
    "negative": lambda r: r["amount"] > -1,
    "nan-ne": lambda r: r["amount"] != 1.5,
}
NOT_COMPILED = {
    "arithmetic": lambda r: r["n"] * 2 > 3,
    "call": lambda r: len(r["name"]) > 2,
    "lower": lambda r: r["region"].lower() == "eu",
    "mixed-kinds": lambda r: r["region"] > 1,
    "float-field-vs-field": lambda r: r["amount"] > r["n"],
    "truthiness": lambda r: r["name"],
}


@pytest.fixture(scope="module")
def frame(spark):  # type: ignore[no-untyped-def]
    return spark.createDataFrame(ROWS, COLUMNS)


def compiled_keeps(frame, conditions: dict[str, object]) -> dict[str, set[int]]:  # type: ignore[no-untyped-def]
    rows = frame.select("id", *[c.alias(name) for name, c in conditions.items()]).collect()
    return {name: {r["id"] for r in rows if r[name]} for name in conditions}


def test_hand_written_predicates_compile_and_agree_with_python(frame):
    conditions = {name: compile_filter(f, SCHEMA) for name, f in HAND_WRITTEN.items()}
    assert [n for n, c in conditions.items() if c is None] == []
    got = compiled_keeps(frame, conditions)
    for name, f in HAND_WRITTEN.items():
        assert got[name] == python_keeps(f, ROWS), name


def test_what_is_not_provably_equal_is_not_compiled():
    for name, f in NOT_COMPILED.items():
        assert compile_filter(f, SCHEMA) is None, name
    choice_schema = gt.StructType([gt.Field("p", gt.ChoiceType([gt.LongType(), gt.StringType()]))])
    assert compile_filter(lambda r: r["p"] > 1, choice_schema) is None
    assert compile_filter(eval("lambda r: r['n'] > 1"), SCHEMA) is None  # no source to read
    assert compile_filter(len, SCHEMA) is None


def _random_predicate(rng: random.Random, depth: int = 0) -> str:
    fields = {
        "amount": ("1.5", "0", "-2.0", "50.0"),
        "n": ("3", "0", "-7", "50"),
        "id": ("4", "0"),
        "region": ("'eu'", "''", "'us'", "'EU'"),
        "name": ("'alpha'", "''", "'a'"),
    }
    if depth < 2 and rng.random() < 0.45:
        op = rng.choice(["and", "or"])
        return f"({_random_predicate(rng, depth + 1)} {op} {_random_predicate(rng, depth + 1)})"
    if depth < 3 and rng.random() < 0.15:
        return f"(not {_random_predicate(rng, depth + 1)})"
    field = rng.choice(list(fields))
    access = rng.choice([f"r[{field!r}]", f"r.get({field!r})", f"r.{field}"])
    kind = rng.random()
    operator = rng.choice(["<", "<=", ">", ">=", "==", "!="])
    if kind < 0.35:
        return f"{access} {operator} {rng.choice(fields[field])}"
    if kind < 0.45:
        return f"{rng.choice(fields[field])} {operator} {access}"
    if kind < 0.55:
        return f"({access} is not None and {access} {operator} {rng.choice(fields[field])})"
    if kind < 0.7:
        return f"{access} {rng.choice(['is', 'is not'])} None"
    if kind < 0.85:
        values = ", ".join(rng.sample(fields[field], k=2))
        return f"{access} {rng.choice(['in', 'not in'])} ({values})"
    if field in ("region", "name"):
        return f"{rng.choice(fields[field])} in r[{field!r}]"
    return f"{rng.choice(['0', '-1'])} < r[{field!r}] < {rng.choice(fields[field])}"


@pytest.mark.parametrize("seed", range(1, 1 + int(os.environ.get("GLUELAB_PREDICATE_SEEDS", "4"))))
def test_random_predicates_agree_with_python(frame, tmp_path, seed):
    rng = random.Random(seed)
    sources = [_random_predicate(rng) for _ in range(50)]
    module_path = tmp_path / f"random_predicates_{seed}.py"
    module_path.write_text("".join(f"P{i} = lambda r: {src}\n" for i, src in enumerate(sources)))
    spec = importlib.util.spec_from_file_location(module_path.stem, module_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_path.stem] = module
    spec.loader.exec_module(module)
    predicates = {f"P{i}": getattr(module, f"P{i}") for i in range(len(sources))}
    conditions = {name: compile_filter(f, SCHEMA) for name, f in predicates.items()}
    compiled = {name: c for name, c in conditions.items() if c is not None}
    assert len(compiled) >= 25  # most of the grammar compiles
    got = compiled_keeps(frame, compiled)
    for name in compiled:
        index = int(name[1:])
        assert got[name] == python_keeps(predicates[name], ROWS), f"{sources[index]}"


def test_filter_keeps_the_same_records_compiled_or_not(glue_ctx, frame, monkeypatch):
    dyf = DynamicFrame.fromDF(frame, glue_ctx, "t")
    for name, f in HAND_WRITTEN.items():
        fast = sorted(r["id"] for r in dyf.filter(f).toDF().collect())
        with monkeypatch.context() as m:
            m.setattr("gluelab.runtime.dynamicframe.compile_filter", lambda *a: None)
            slow = sorted(r["id"] for r in dyf.filter(f).toDF().collect())
        assert fast == slow, name


def test_numbers_python_compares_exactly_are_compiled_only_where_spark_agrees(spark):
    from decimal import Decimal

    schema = gt.StructType([gt.Field("id", gt.LongType()), gt.Field("d", gt.DecimalType(10, 1))])
    rows = [(0, Decimal("0.1")), (1, Decimal("1.0")), (2**53 + 1, None), (-(2**53) - 1, Decimal("2.5"))]
    frame = spark.createDataFrame(rows, "id long, d decimal(10,1)")
    declined = {
        "decimal-vs-float": lambda r: r["d"] == 0.1,
        "long-vs-huge-float": lambda r: r["id"] > 9007199254740992.0,
        "float-membership": lambda r: r["id"] in (1.5, 2),
        "beyond-long": lambda r: r["id"] < 2**70,
    }
    for name, f in declined.items():
        assert compile_filter(f, schema) is None, name
    compiled = {
        "decimal-vs-int": lambda r: r["d"] == 1,
        "decimal-order": lambda r: r["d"] > 0,
        "long-vs-small-float": lambda r: r["id"] > 0.5,
        "big-long-eq": lambda r: r["id"] == 9007199254740993,
    }
    conditions = {name: compile_filter(f, schema) for name, f in compiled.items()}
    assert [n for n, c in conditions.items() if c is None] == []
    got = compiled_keeps(frame, conditions)
    for name, f in compiled.items():
        kept = set()
        for row in rows:
            try:
                if f(row_to_record({"id": row[0], "d": row[1]}, schema)):
                    kept.add(row[0])
            except (KeyError, ValueError, TypeError):
                pass
        assert got[name] == kept, name
