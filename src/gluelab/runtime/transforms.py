"""Glue's transforms (``awsglue.transforms``): ``Cls.apply(...)`` is ``Cls()(...)``, each forwarding to
the DynamicFrame or DynamicFrameCollection method that does the work."""

from __future__ import annotations

import inspect
import json
from typing import Any

from .dynamicframe import DynamicFrame, DynamicFrameCollection

# Types and descriptions of the arguments most transforms share (``describeArgs``).
_ARGS = {
    "frame": ("DynamicFrame", "The DynamicFrame to transform"),
    "frame1": ("DynamicFrame", "The first DynamicFrame"),
    "frame2": ("DynamicFrame", "The second DynamicFrame"),
    "dfc": ("DynamicFrameCollection", "The DynamicFrameCollection to transform"),
    "transformation_ctx": ("String", "A unique string that identifies state information (job bookmarks)"),
    "info": ("String", "Any string to be associated with errors in the transformation"),
    "stageThreshold": (
        "Integer",
        "Max number of errors in this transformation before it fails (0: no limit)",
    ),
    "totalThreshold": (
        "Integer",
        "Max number of errors up to this transformation before it fails (0: no limit)",
    ),
}
_TYPES = {"str": "String", "int": "Integer", "bool": "Boolean"}


class GlueTransform:
    """Base of all transforms: ``Cls.apply(...)`` is ``Cls()(...)``; ``describe()`` documents it."""

    returns = "DynamicFrame"

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        return cls()(*args, **kwargs)

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    @classmethod
    def describeArgs(cls) -> list[dict[str, Any]]:
        args = []
        for p in list(inspect.signature(cls.__call__).parameters.values())[1:]:
            if p.kind is inspect.Parameter.VAR_KEYWORD:
                continue
            annotation = str(p.annotation).split(" | ")[0]
            arg_type, description = _ARGS.get(p.name, (_TYPES.get(annotation, annotation), ""))
            optional = p.default is not inspect.Parameter.empty
            default = None if not optional or p.default is None else json.dumps(p.default)
            args.append(
                {
                    "name": p.name,
                    "type": arg_type,
                    "description": description,
                    "optional": optional,
                    "defaultValue": default,
                }
            )
        return args

    @classmethod
    def describeReturn(cls) -> dict[str, str]:
        return {"type": cls.returns, "description": f"The resulting {cls.returns}"}

    @classmethod
    def describeTransform(cls) -> str:
        return (cls.__doc__ or cls.__name__).strip()

    @classmethod
    def describeErrors(cls) -> list[dict[str, str]]:
        return []

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {
            "transform": {
                "name": cls.name(),
                "args": cls.describeArgs(),
                "returns": cls.describeReturn(),
                "description": cls.describeTransform(),
                "raises": cls.describeErrors(),
                "location": "internal",
            }
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"<Transform: {self.name()}>"


class ApplyMapping(GlueTransform):
    """Select, rename, cast and nest fields; unmapped fields are dropped."""

    def __call__(
        self,
        frame: DynamicFrame,
        mappings: Any,
        case_sensitive: bool = False,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        return frame.apply_mapping(
            mappings, case_sensitive, transformation_ctx, info, stageThreshold, totalThreshold
        )


class SelectFields(GlueTransform):
    """Keep only the given fields."""

    def __call__(
        self,
        frame: DynamicFrame,
        paths: Any,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        return frame.select_fields(paths, transformation_ctx, info, stageThreshold, totalThreshold)


class DropFields(GlueTransform):
    """Remove the given fields."""

    def __call__(
        self,
        frame: DynamicFrame,
        paths: Any,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        return frame.drop_fields(paths, transformation_ctx, info, stageThreshold, totalThreshold)


class RenameField(GlueTransform):
    """Rename a field (full paths; back-tick names that contain dots)."""

    def __call__(
        self,
        frame: DynamicFrame,
        old_name: str,
        new_name: str,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        return frame.rename_field(
            old_name, new_name, transformation_ctx, info, stageThreshold, totalThreshold
        )


class SplitFields(GlueTransform):
    """Two frames: the given fields, and the rest."""

    returns = "DynamicFrameCollection"

    def __call__(
        self,
        frame: DynamicFrame,
        paths: Any,
        name1: str | None = None,
        name2: str | None = None,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrameCollection:
        base = frame.name or "frame"
        return frame.split_fields(
            paths,
            name1 or f"{base}1",
            name2 or f"{base}2",
            transformation_ctx,
            info,
            stageThreshold,
            totalThreshold,
        )


class SplitRows(GlueTransform):
    """Two frames: the rows matching the comparisons, and the rest."""

    returns = "DynamicFrameCollection"

    def __call__(
        self,
        frame: DynamicFrame,
        comparison_dict: dict[str, Any],
        name1: str = "frame1",
        name2: str = "frame2",
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrameCollection:
        return frame.split_rows(
            comparison_dict, name1, name2, transformation_ctx, info, stageThreshold, totalThreshold
        )


class Join(GlueTransform):
    """Equi-join two frames; both key fields are kept."""

    def __call__(
        self, frame1: DynamicFrame, frame2: DynamicFrame, keys1: Any, keys2: Any, transformation_ctx: str = ""
    ) -> DynamicFrame:
        return frame1.join(keys1, keys2, frame2)


class Spigot(GlueTransform):
    """Write a sample of the frame to a path, and pass the frame on."""

    def __call__(
        self,
        frame: DynamicFrame,
        path: str,
        options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
    ) -> DynamicFrame:
        return frame.spigot(path, options or {}, transformation_ctx)


class Filter(GlueTransform):
    """Keep the records for which ``f(record)`` is true."""

    def __call__(
        self,
        frame: DynamicFrame,
        f: Any,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        return frame.filter(f, transformation_ctx, info, stageThreshold, totalThreshold)


class Map(GlueTransform):
    """Apply ``f(record) -> record`` to every record."""

    def __call__(
        self,
        frame: DynamicFrame,
        f: Any,
        preservesPartitioning: bool = False,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        return frame.map(f, preservesPartitioning, transformation_ctx, info, stageThreshold, totalThreshold)


class ResolveChoice(GlueTransform):
    """Resolve choices by cast, project, make_struct, make_cols or match_catalog."""

    def __call__(
        self,
        frame: DynamicFrame,
        specs: Any = None,
        choice: str = "",
        database: str | None = None,
        table_name: str | None = None,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
        catalog_id: str | None = None,
    ) -> DynamicFrame:
        return frame.resolveChoice(
            specs,
            choice,
            database,
            table_name,
            transformation_ctx,
            info,
            stageThreshold,
            totalThreshold,
            catalog_id,
        )


class DropNullFields(GlueTransform):
    """Drop the fields that are null in every record."""

    def __call__(
        self,
        frame: DynamicFrame,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        return frame.drop_null_fields(transformation_ctx, info, stageThreshold, totalThreshold)


class Unbox(GlueTransform):
    """Parse a string field (json or csv) into a struct."""

    def __call__(
        self,
        frame: DynamicFrame,
        path: str,
        format: str,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
        **options: Any,
    ) -> DynamicFrame:
        return frame.unbox(path, format, transformation_ctx, info, stageThreshold, totalThreshold, **options)


class UnnestFrame(GlueTransform):
    """Flatten nested structs into top-level ``outer.inner`` fields."""

    def __call__(
        self,
        frame: DynamicFrame,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        return frame.unnest(transformation_ctx, info, stageThreshold, totalThreshold)


class Relationalize(GlueTransform):
    """Flatten structs and pivot arrays into child tables joined by keys."""

    returns = "DynamicFrameCollection"

    def __call__(
        self,
        frame: DynamicFrame,
        staging_path: str | None = None,
        name: str = "roottable",
        options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrameCollection:
        return frame.relationalize(
            name, staging_path, options, transformation_ctx, info, stageThreshold, totalThreshold
        )


class Repartition(GlueTransform):
    """Change the number of partitions (with a shuffle)."""

    def __call__(
        self,
        frame: DynamicFrame,
        num_partitions: int,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        return frame.repartition(num_partitions, transformation_ctx, info, stageThreshold, totalThreshold)


class Coalesce(GlueTransform):
    """Reduce the number of partitions."""

    def __call__(
        self,
        frame: DynamicFrame,
        num_partitions: int,
        shuffle: bool = False,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        return frame.coalesce(
            num_partitions, shuffle, transformation_ctx, info, stageThreshold, totalThreshold
        )


class Union(GlueTransform):
    """All records of both frames (fields of different types become choices)."""

    def __call__(
        self,
        frame1: DynamicFrame,
        frame2: DynamicFrame,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        return frame1.union(frame2, transformation_ctx, info, stageThreshold, totalThreshold)


class ErrorsAsDynamicFrame(GlueTransform):
    """The error records behind a frame."""

    def __call__(self, frame: DynamicFrame) -> DynamicFrame:
        return frame.errorsAsDynamicFrame()


class SelectFromCollection(GlueTransform):
    """One frame of a collection."""

    def __call__(self, dfc: DynamicFrameCollection, key: str, transformation_ctx: str = "") -> DynamicFrame:
        return dfc.select(key, transformation_ctx)


class MapToCollection(GlueTransform):
    """Apply a function to every frame of a collection."""

    returns = "DynamicFrameCollection"

    def __call__(
        self, dfc: DynamicFrameCollection, callable: Any, transformation_ctx: str = ""
    ) -> DynamicFrameCollection:
        return dfc.map(callable, transformation_ctx)


class FlatMap(GlueTransform):
    """Apply a transform to every frame of a collection, flattening collections it returns."""

    returns = "DynamicFrameCollection"

    def __call__(
        self,
        dfc: DynamicFrameCollection,
        BaseTransform: type[GlueTransform],
        frame_name: str,
        transformation_ctx: str = "",
        **base_kwargs: Any,
    ) -> DynamicFrameCollection:
        def apply(frame: DynamicFrame, ctx: str) -> Any:
            return BaseTransform.apply(**{**base_kwargs, frame_name: frame, "transformation_ctx": ctx})

        return dfc.flatmap(apply, transformation_ctx)


ALL_TRANSFORMS = [
    ApplyMapping,
    SelectFields,
    DropFields,
    RenameField,
    SplitFields,
    SplitRows,
    Join,
    Spigot,
    Filter,
    Map,
    ResolveChoice,
    DropNullFields,
    Unbox,
    UnnestFrame,
    Relationalize,
    Repartition,
    Coalesce,
    Union,
    ErrorsAsDynamicFrame,
    SelectFromCollection,
    MapToCollection,
    FlatMap,
]


def get_transforms() -> set[GlueTransform]:
    return {transform() for transform in ALL_TRANSFORMS}


def get_transform(name: str) -> GlueTransform | None:
    """The transform named ``name`` (any case), or None."""
    return next((t() for t in ALL_TRANSFORMS if t.name().lower() == name.lower()), None)


def describe_transform(name: str) -> str:
    """The transform's description as JSON text (``{}`` for an unknown name)."""
    transform = get_transform(name)
    description = transform.describe() if transform else {}
    return json.dumps(description, sort_keys=True, indent=4, separators=(",", ": "))


__all__ = [t.__name__ for t in ALL_TRANSFORMS] + [
    "GlueTransform",
    "get_transforms",
    "get_transform",
    "describe_transform",
]
