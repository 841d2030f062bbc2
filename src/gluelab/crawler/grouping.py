"""Which leaf folders make one table with partitions, and which make tables of their own (Glue's rule).

Below a folder, leaf folders are one table partitioned by the folder levels between them and it when they
all hold the same format and compression, sit at the same depth, and their schemas are similar: at least
70% of the smaller schema's columns (by name) are in the first leaf's schema too. Otherwise every child folder
is looked at the same way, down to the leaves. ``Key=value`` folder names give partition keys their
names; other levels are ``partition_0``, ``partition_1``... (keys are strings). A crawler configuration
can combine compatible schemas into one table per include path, or fix the table level.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from .classifiers import FileSchema, merge_columns
from .configuration import CrawlerConfiguration
from .s3scan import Leaf

SIMILARITY = 0.7
_GENERIC_KEY = re.compile(r"partition_\d+")  # a key named by level, not by a key=value folder


@dataclass
class PlannedTable:
    name: str
    root: tuple[str, ...]  # folder parts below the include path
    schema: FileSchema
    partition_keys: list[str]
    partitions: list[tuple[list[str], Leaf]] = field(default_factory=list)  # values, folder
    leaves: list[Leaf] = field(default_factory=list)


def similarity(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> float:
    """The share of the smaller schema's columns the other has too (by name): a folder that only adds
    columns is similar (1.0); folders sharing just a key column are not."""
    names_a, names_b = {n for n, _ in a}, {n for n, _ in b}
    smaller = min(len(names_a), len(names_b))
    return 1.0 if not smaller else len(names_a & names_b) / smaller


def _compatible(leaves: list[Leaf], depth: int) -> bool:
    first = leaves[0].schema
    assert first is not None
    for leaf in leaves:
        schema = leaf.schema
        assert schema is not None
        if len(leaf.parts) != depth or (schema.classification, schema.compression) != (
            first.classification,
            first.compression,
        ):
            return False
        if similarity(schema.columns, first.columns) < SIMILARITY:
            return False
    return True


def table_name(text: str) -> str:
    """A catalog table name from a folder name: lower case, characters other than a-z, 0-9 and _ as _."""
    name = re.sub(r"[^a-z0-9_]", "_", unquote(text).lower())
    return name or "table"


def _partition_keys(leaves: list[Leaf], start: int, depth: int) -> list[tuple[str, bool]]:
    """(name, is a Hive key=value level) for each folder level between the table root and the leaves."""
    keys = []
    for level in range(start, depth):
        names = {leaf.parts[level] for leaf in leaves}
        hive = {n.split("=", 1)[0] for n in names if "=" in n}
        if len(hive) == 1 and all("=" in n for n in names):
            keys.append((hive.pop().lower(), True))
        else:
            keys.append((f"partition_{level - start}", False))
    return keys


def _value(folder: str, hive: bool) -> str:
    return unquote(folder.split("=", 1)[1]) if hive else unquote(folder)


def merged_schema(leaves: list[Leaf]) -> FileSchema:
    """The schema of classified ``leaves`` together: columns merged in first-seen order, samples summed."""
    merged: FileSchema | None = None
    for leaf in leaves:
        assert leaf.schema is not None
        if merged is None:
            merged = FileSchema(**{**leaf.schema.__dict__, "columns": list(leaf.schema.columns)})
        else:
            merged.columns = merge_columns(merged.columns, leaf.schema.columns)
            merged.records += leaf.schema.records
            merged.sample_bytes += leaf.schema.sample_bytes
    assert merged is not None
    return merged


def table_of(name: str, root: tuple[str, ...], leaves: list[Leaf]) -> PlannedTable:
    """One table rooted at ``root`` whose partitions are ``leaves`` (all at the same depth)."""
    depth = len(leaves[0].parts)
    keys = _partition_keys(leaves, len(root), depth)
    merged = merged_schema(leaves)
    partition_names = {name for name, _ in keys}
    merged.columns = [(n, t) for n, t in merged.columns if n not in partition_names]
    table = PlannedTable(
        name=name, root=root, schema=merged, partition_keys=[n for n, _ in keys], leaves=list(leaves)
    )
    if keys:
        for leaf in leaves:
            values = [
                _value(leaf.parts[level], hive)
                for level, (_, hive) in zip(range(len(root), depth), keys, strict=True)
            ]
            table.partitions.append((values, leaf))
    return table


def partition_values(keys: list[str], folders: tuple[str, ...]) -> list[str] | None:
    """The values a folder path below a table's root gives the table's partition ``keys``, or None when
    the path does not fit them: another depth, or a ``key=value`` folder naming another key (a plain
    folder fits only a crawler-named ``partition_N`` key)."""
    if not keys or len(folders) != len(keys):
        return None
    values = []
    for key, folder in zip(keys, folders, strict=True):
        hive = "=" in folder
        if hive and folder.split("=", 1)[0].lower() != key.lower():
            return None
        if not hive and not _GENERIC_KEY.fullmatch(key):
            return None
        values.append(_value(folder, hive))
    return values


def fits_schema(
    schema: FileSchema, classification: str | None, compression: str, columns: list[tuple[str, str]]
) -> bool:
    """Whether a new folder's schema may be a partition of a table recorded with ``classification``,
    ``compression`` and ``columns``: same format and compression, and similar columns (as ``_plan``)."""
    same_format = (schema.classification, schema.compression or "none") == (classification, compression)
    return same_format and similarity(schema.columns, columns) >= SIMILARITY


def plan_tables(
    leaves: list[Leaf], include_name: str, config: CrawlerConfiguration, include_depth: int
) -> list[PlannedTable]:
    """The tables an include path's classified leaves make. ``include_depth`` is the include path's
    absolute folder depth (the bucket is 1), for ``TableLevelConfiguration``."""
    usable = [leaf for leaf in leaves if leaf.schema is not None]
    if not usable:
        return []
    tables: list[PlannedTable] = []
    if config.table_level is not None:
        level = config.table_level - include_depth  # folder parts below the include path
        if level < 0:
            level = 0
        groups: dict[tuple[str, ...], list[Leaf]] = {}
        for leaf in usable:
            if len(leaf.parts) < level:
                continue  # files above the table level are not part of any table
            groups.setdefault(leaf.parts[:level], []).append(leaf)
        for root, group in groups.items():
            deepest = max(len(leaf.parts) for leaf in group)
            same_depth = [leaf for leaf in group if len(leaf.parts) == deepest]
            tables.append(table_of(table_name(root[-1] if root else include_name), root, same_depth))
        return _unique_names(tables)
    if config.combine_compatible_schemas:
        depth = len(usable[0].parts)
        kinds = {(leaf.schema.classification, leaf.schema.compression) for leaf in usable if leaf.schema}
        if len(kinds) == 1 and all(len(leaf.parts) == depth for leaf in usable):
            return [table_of(table_name(include_name), (), usable)]
    _plan(usable, (), include_name, tables)
    return _unique_names(tables)


def _plan(leaves: list[Leaf], root: tuple[str, ...], name: str, out: list[PlannedTable]) -> None:
    depth = len(leaves[0].parts)
    if _compatible(leaves, depth):
        out.append(table_of(table_name(name), root, leaves))
        return
    here = [leaf for leaf in leaves if len(leaf.parts) == len(root)]
    if here:  # files directly in this folder, beside sub-folders that differ from them
        out.append(table_of(table_name(name), root, here))
    children: dict[str, list[Leaf]] = {}
    for leaf in leaves:
        if len(leaf.parts) > len(root):
            children.setdefault(leaf.parts[len(root)], []).append(leaf)
    for child, group in children.items():
        _plan(group, (*root, child), child, out)


def _unique_names(tables: list[PlannedTable]) -> list[PlannedTable]:
    """Two folders with the same name become two tables: the later ones get a hash of their path."""
    seen: set[str] = set()
    for table in tables:
        if table.name in seen:
            digest = hashlib.sha1("/".join(table.root).encode()).hexdigest()[:8]
            table.name = f"{table.name}_{digest}"
        seen.add(table.name)
    return tables
