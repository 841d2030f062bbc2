"""A crawler's ``Configuration``: the versioned JSON string of output and grouping options."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInputException


@dataclass(frozen=True)
class CrawlerConfiguration:
    combine_compatible_schemas: bool = False  # Grouping.TableGroupingPolicy = CombineCompatibleSchemas
    table_level: int | None = None  # Grouping.TableLevelConfiguration: table root at this folder depth
    merge_new_columns: bool = False  # CrawlerOutput.Tables.AddOrUpdateBehavior = MergeNewColumns
    table_threshold: int | None = None  # CrawlerOutput.Tables.TableThreshold
    partitions_inherit: bool = False  # CrawlerOutput.Partitions.AddOrUpdateBehavior = InheritFromTable


def _bad(message: str) -> InvalidInputException:
    return InvalidInputException(f"Crawler configuration not valid: {message}")


def parse_configuration(text: str | None) -> CrawlerConfiguration:
    if not text:
        return CrawlerConfiguration()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise _bad("it must be a JSON object")
    if data.get("Version") not in (1, 1.0, "1.0", None):
        raise _bad(f"unknown Version {data.get('Version')!r}; use 1.0")
    unknown = set(data) - {"Version", "Grouping", "CrawlerOutput", "CreatePartitionIndex"}
    if unknown:
        raise _bad(f"unknown key(s) {', '.join(sorted(unknown))}")
    grouping = _object(data, "Grouping")
    _only(grouping, "Grouping", {"TableGroupingPolicy", "TableLevelConfiguration"})
    output = _object(data, "CrawlerOutput")
    _only(output, "CrawlerOutput", {"Tables", "Partitions"})
    tables = _object(output, "Tables")
    _only(tables, "CrawlerOutput.Tables", {"AddOrUpdateBehavior", "TableThreshold"})
    partitions = _object(output, "Partitions")
    _only(partitions, "CrawlerOutput.Partitions", {"AddOrUpdateBehavior"})
    policy = grouping.get("TableGroupingPolicy")
    if policy not in (None, "CombineCompatibleSchemas"):
        raise _bad(f"TableGroupingPolicy {policy!r}; the only policy is CombineCompatibleSchemas")
    for key, value, allowed in (
        ("CrawlerOutput.Tables.AddOrUpdateBehavior", tables.get("AddOrUpdateBehavior"), "MergeNewColumns"),
        (
            "CrawlerOutput.Partitions.AddOrUpdateBehavior",
            partitions.get("AddOrUpdateBehavior"),
            "InheritFromTable",
        ),
    ):
        if value not in (None, allowed):
            raise _bad(f"{key} {value!r}; the only value is {allowed}")
    return CrawlerConfiguration(
        combine_compatible_schemas=policy == "CombineCompatibleSchemas",
        table_level=_positive(grouping.get("TableLevelConfiguration"), "TableLevelConfiguration"),
        merge_new_columns=tables.get("AddOrUpdateBehavior") == "MergeNewColumns",
        table_threshold=_positive(tables.get("TableThreshold"), "TableThreshold"),
        partitions_inherit=partitions.get("AddOrUpdateBehavior") == "InheritFromTable",
    )


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise _bad(f"{key} must be an object")
    return value


def _only(data: dict[str, Any], where: str, keys: set[str]) -> None:
    unknown = set(data) - keys
    if unknown:
        raise _bad(f"unknown key(s) in {where}: {', '.join(sorted(unknown))}")


def _positive(value: Any, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _bad(f"{key} must be a positive integer, not {value!r}")
    return value
