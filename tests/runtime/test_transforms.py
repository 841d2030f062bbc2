"""``awsglue.transforms`` as Glue scripts call them: ``Cls.apply`` with Glue's argument names."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import awsglue.transforms as transforms
from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame, DynamicFrameCollection
from awsglue.transforms import (
    ApplyMapping,
    Coalesce,
    DropFields,
    DropNullFields,
    ErrorsAsDynamicFrame,
    Filter,
    FlatMap,
    GlueTransform,
    Join,
    Map,
    MapToCollection,
    Relationalize,
    RenameField,
    Repartition,
    ResolveChoice,
    SelectFields,
    SelectFromCollection,
    Spigot,
    SplitFields,
    SplitRows,
    Unbox,
    Union,
    UnnestFrame,
    describe_transform,
    get_transform,
    get_transforms,
)
from awsglue.utils import getResolvedOptions
from gluelab.runtime import gluetypes as gt
from gluelab.runtime import utils as runtime_utils
from gluelab.runtime.frame_errors import ErrorThresholdExceeded
from tests.runtime.frames import (
    LONG,
    STRING,
    choice,
    column,
    frame_of,
    module_context,
    read_json,
    rows,
    struct,
)

NAMES = {
    "ApplyMapping",
    "SelectFields",
    "DropFields",
    "RenameField",
    "SplitFields",
    "SplitRows",
    "Join",
    "Spigot",
    "Filter",
    "Map",
    "ResolveChoice",
    "DropNullFields",
    "Unbox",
    "UnnestFrame",
    "Relationalize",
    "Repartition",
    "Coalesce",
    "Union",
    "ErrorsAsDynamicFrame",
    "SelectFromCollection",
    "MapToCollection",
    "FlatMap",
}


@pytest.fixture(scope="module")
def ctx(spark, tmp_path_factory) -> Iterator[GlueContext]:
    yield from module_context(spark, tmp_path_factory.mktemp("transforms-home"))


@pytest.fixture(scope="module")
def people(ctx) -> DynamicFrame:
    return read_json(
        ctx,
        "people",
        [
            {"id": 1, "name": "Ann", "age": 34, "zip": 501, "address": {"city": "Oslo"}, "raw": '{"a": 1}'},
            {"id": 2, "name": "Bob", "age": "old", "zip": "n/a", "tags": ["x"], "raw": '{"a": "b"}'},
            {"id": 3, "name": "Cy", "age": 51, "note": None},
            "{not json",
        ],
    )


@pytest.fixture(scope="module")
def orders(ctx) -> DynamicFrame:
    return frame_of(
        ctx, [(10, 1, 9.5), (11, 1, 1.0), (12, 3, 2.0)], "order long, person long, total double", "orders"
    )


@pytest.fixture
def global_args() -> Iterator[dict]:
    runtime_utils._global_args.clear()
    yield runtime_utils._global_args
    runtime_utils._global_args.clear()


# -- the module ------------------------------------------------------------------------------------------
def test_every_transform_is_exported_and_listed():
    assert set(transforms.__all__) >= NAMES
    assert {t.name() for t in get_transforms()} == NAMES
    assert all(isinstance(t, GlueTransform) for t in get_transforms())
    for name in NAMES:
        assert issubclass(getattr(transforms, name), GlueTransform)


def test_get_transform_and_describe_transform():
    assert get_transform("applymapping") == ApplyMapping()
    assert repr(get_transform("Join")) == "<Transform: Join>"
    assert get_transform("NoSuchThing") is None
    described = json.loads(describe_transform("ApplyMapping"))["transform"]
    assert described["name"] == "ApplyMapping"
    assert described["location"] == "internal"
    assert described["returns"]["type"] == "DynamicFrame"
    assert described["raises"] == []
    args = {a["name"]: a for a in described["args"]}
    assert list(args) == [
        "frame",
        "mappings",
        "case_sensitive",
        "transformation_ctx",
        "info",
        "stageThreshold",
        "totalThreshold",
    ]
    assert args["frame"] == {
        "name": "frame",
        "type": "DynamicFrame",
        "description": "The DynamicFrame to transform",
        "optional": False,
        "defaultValue": None,
    }
    assert args["case_sensitive"]["type"] == "Boolean"
    assert args["case_sensitive"]["defaultValue"] == "false"
    assert args["stageThreshold"]["defaultValue"] == "0"
    assert (
        json.loads(describe_transform("SplitRows"))["transform"]["returns"]["type"]
        == "DynamicFrameCollection"
    )
    assert (
        json.loads(describe_transform("FlatMap"))["transform"]["returns"]["type"] == "DynamicFrameCollection"
    )
    assert describe_transform("NoSuchThing") == "{}"


# -- field transforms -------------------------------------------------------------------------------------
def test_apply_mapping(people):
    mapped = ApplyMapping.apply(
        frame=people,
        mappings=[
            ("id", "long", "person_id", "int"),
            ("name", "string", "person.name", "string"),
            ("age", "choice", "age", "int"),
        ],
        transformation_ctx="mapped",
    )
    assert mapped.schema() == struct(
        person_id=gt.IntegerType(), person=struct(name=STRING), age=gt.IntegerType()
    )
    assert rows(mapped, "person_id") == [
        {"person_id": 1, "person": {"name": "Ann"}, "age": 34},
        {"person_id": 2, "person": {"name": "Bob"}, "age": None},
        {"person_id": 3, "person": {"name": "Cy"}, "age": 51},
    ]
    positional = ApplyMapping.apply(people, [("ID", "long", "id", "string")], True)
    assert positional.schema() == struct()  # case-sensitive: no field ID


def test_select_drop_and_rename_fields(people):
    selected = SelectFields.apply(frame=people, paths=["id", "address.city"], transformation_ctx="sel")
    assert selected.schema() == struct(id=LONG, address=struct(city=STRING))
    dropped = DropFields.apply(frame=people, paths=["name", "address", "raw"], transformation_ctx="drop")
    assert [f.name for f in dropped.schema().fields] == ["id", "age", "zip", "tags", "note"]
    renamed = RenameField.apply(
        frame=people, old_name="address.city", new_name="city", transformation_ctx="ren"
    )
    assert column(renamed, "city") == ["Oslo", None, None]
    assert not renamed.schema().getField("address").dataType.hasField("city")


def test_split_fields_names(ctx, people, orders):
    named = SplitFields.apply(frame=people, paths=["id", "name"], name1="keys", name2="others")
    assert sorted(named.keys()) == ["keys", "others"]
    assert named["keys"].schema() == struct(id=LONG, name=STRING)
    default = SplitFields.apply(frame=people, paths=["id"])
    assert sorted(default.keys()) == [f"{people.name}1", f"{people.name}2"]
    nameless = SplitFields.apply(frame=DynamicFrame.fromDF(orders.toDF(), ctx), paths=["order"])
    assert sorted(nameless.keys()) == ["frame1", "frame2"]
    assert nameless["frame2"].schema() == struct(person=LONG, total=gt.DoubleType())


def test_split_rows(orders):
    parts = SplitRows.apply(frame=orders, comparison_dict={"total": {">=": 2.0}, "person": {"=": 1}})
    assert sorted(parts.keys()) == ["frame1", "frame2"]
    assert column(parts["frame1"], "order", "order") == [10]
    assert column(parts["frame2"], "order", "order") == [11, 12]
    named = SplitRows.apply(orders, {"person": {"<": 2}}, "ones", "rest", transformation_ctx="split")
    assert column(named["ones"], "order", "order") == [10, 11]


def test_join_ignores_its_transformation_ctx(people, orders, monkeypatch):
    joined = Join.apply(frame1=people, frame2=orders, keys1=["id"], keys2=["person"], transformation_ctx="j")
    assert joined.name == people.name + orders.name
    assert sorted((r["name"], r["order"]) for r in rows(joined, None)) == [
        ("Ann", 10),
        ("Ann", 11),
        ("Cy", 12),
    ]
    calls = []
    monkeypatch.setattr(DynamicFrame, "join", lambda self, *args, **kwargs: calls.append((args, kwargs)))
    Join.apply(people, orders, "id", "person", transformation_ctx="ctx")
    assert calls == [(("id", "person", orders), {})]


def test_spigot(ctx, orders):
    out = Spigot.apply(
        frame=orders, path="s3://bucket/spigot-t/", options={"topk": 1}, transformation_ctx="sp"
    )
    assert out.count() == 3
    written = [p for p in (ctx.warehouse / "bucket" / "spigot-t").rglob("*.json")]
    assert sum(len(p.read_text().splitlines()) for p in written) == 1


def test_filter_and_map(people):
    adults = Filter.apply(frame=people, f=lambda r: r["age"] > 40, transformation_ctx="adults")
    assert column(adults, "id") == [3]  # "old" > 40 is a TypeError: the record is filtered out

    def greet(record):
        record["greeting"] = "hi " + record["name"]
        return record

    greeted = Map.apply(frame=people, f=greet, transformation_ctx="greet")
    assert column(greeted, "greeting") == ["hi Ann", "hi Bob", "hi Cy"]
    failing = Map.apply(frame=people, f=lambda r: r["address"], stageThreshold=1)
    with pytest.raises(ErrorThresholdExceeded):
        failing.count()
    errors = ErrorsAsDynamicFrame.apply(frame=failing)
    assert errors.count() == failing.errorsCount() == 3  # two records without address, one broken line


def test_resolve_choice(people):
    cast = ResolveChoice.apply(frame=people, specs=[("age", "cast:long")], transformation_ctx="rc")
    assert cast.schema().getField("age").dataType == LONG
    assert column(cast, "age") == [34, None, 51]
    cols = ResolveChoice.apply(people, choice="make_cols")
    names = [f.name for f in cols.schema().fields]
    assert names[:7] == ["id", "name", "age_long", "age_string", "zip_long", "zip_string", "address"]
    with pytest.raises(ValueError):
        ResolveChoice.apply(frame=people)


def test_drop_null_fields(people, capsys):
    assert people.schema().getField("note").dataType == gt.NullType()
    cleaned = DropNullFields.apply(frame=people, transformation_ctx="dn")
    assert not cleaned.schema().hasField("note")
    assert "null_fields ['note']" in capsys.readouterr().out


def test_unbox_and_unnest(people):
    unboxed = Unbox.apply(frame=people, path="raw", format="json", transformation_ctx="ub")
    assert unboxed.schema().getField("raw").dataType == struct(a=choice(LONG, STRING))
    flat = UnnestFrame.apply(frame=people, transformation_ctx="un")
    assert flat.schema().hasField("address.city")
    assert column(flat, "address.city") == ["Oslo", None, None]


def test_repartition_coalesce_union(people, orders):
    assert Repartition.apply(frame=orders, num_partitions=3).getNumPartitions() == 3
    assert Coalesce.apply(frame=Repartition.apply(orders, 3), num_partitions=1).getNumPartitions() == 1
    both = Union.apply(frame1=people, frame2=orders, transformation_ctx="u")
    assert both.count() == 6
    assert both.schema().hasField("order") and both.schema().hasField("name")
    assert both.errorsCount() == 1


# -- Relationalize -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nested(ctx) -> DynamicFrame:
    return read_json(ctx, "rel", [{"id": 1, "kids": [{"n": "a"}, {"n": "b"}]}, {"id": 2, "kids": []}])


def test_relationalize_with_a_staging_path(ctx, nested):
    tables = Relationalize.apply(
        frame=nested, staging_path="s3://bucket/stage/", name="fam", transformation_ctx="r"
    )
    assert sorted(tables.keys()) == ["fam", "fam_kids"]
    assert sorted(r["kids.val.n"] for r in rows(tables["fam_kids"], None)) == ["a", "b"]
    assert (ctx.warehouse / "bucket" / "stage").is_dir()


def test_relationalize_takes_tempdir_from_the_job_arguments(ctx, nested, global_args):
    getResolvedOptions(["job.py", "--TempDir", "s3://bucket/tempdir/", "--JOB_NAME", "j"], ["JOB_NAME"])
    tables = Relationalize.apply(frame=nested)
    assert sorted(tables.keys()) == ["roottable", "roottable_kids"]
    assert (ctx.warehouse / "bucket" / "tempdir").is_dir()


def test_relationalize_without_a_staging_path_fails(nested, global_args):
    with pytest.raises(RuntimeError):
        Relationalize.apply(frame=nested)
    getResolvedOptions(["job.py"], [])  # TempDir absent: None
    with pytest.raises(RuntimeError):
        Relationalize.apply(frame=nested)


# -- collections -------------------------------------------------------------------------------------------
def test_collection_transforms(ctx, people, orders):
    dfc = DynamicFrameCollection({"people": people, "orders": orders}, ctx)
    assert SelectFromCollection.apply(dfc=dfc, key="orders", transformation_ctx="s") is orders
    missing = SelectFromCollection.apply(dfc, "nobody")
    assert missing.name == "nobody" and missing.count() == 0

    contexts = []

    def only_ids(frame, transformation_ctx):
        contexts.append(transformation_ctx)
        return SelectFields.apply(frame, ["id", "order"], transformation_ctx)

    mapped = MapToCollection.apply(dfc=dfc, callable=only_ids, transformation_ctx="m")
    assert contexts == ["m:people", "m:orders"]
    assert mapped["people"].schema() == struct(id=LONG)
    assert mapped["orders"].schema() == struct(order=LONG)

    selected = FlatMap.apply(dfc=dfc, BaseTransform=SelectFields, frame_name="frame", paths=["name", "total"])
    assert sorted(selected.keys()) == sorted([people.name, orders.name])
    assert selected[people.name].schema() == struct(name=STRING)


def test_flat_map_flattens_returned_collections(ctx, orders):
    dfc = DynamicFrameCollection({"orders": orders}, ctx)
    split = FlatMap.apply(
        dfc,
        SplitRows,
        "frame",
        transformation_ctx="fm",
        comparison_dict={"total": {">": 5}},
        name1="big",
        name2="small",
    )
    assert sorted(split.keys()) == ["big", "small"]
    assert column(split["big"], "order", "order") == [10]
    assert column(split["small"], "order", "order") == [11, 12]
