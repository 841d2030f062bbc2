"""purge_s3_path and purge_table: delete files older than ``retentionPeriod`` hours (default 168, as on
Glue) under a location or a table's partitions; a manifest of what was deleted (Success.csv) or could
not be (Failed.csv) when ``manifestFilePath`` is given; partitions left empty leave the catalog."""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path
from typing import Any

from ..errors import InvalidInputException
from .catalog_io import _all_partitions, prune_partitions
from .listing import SourceFile, list_files
from .paths import to_local

log = logging.getLogger("gluelab.runtime")
DEFAULT_RETENTION_HOURS = 168


def _retention_ms(options: dict[str, Any]) -> int:
    try:
        hours = float(options.get("retentionPeriod", DEFAULT_RETENTION_HOURS))
    except (TypeError, ValueError):
        raise InvalidInputException("retentionPeriod must be a number of hours") from None
    if hours < 0:
        raise InvalidInputException("retentionPeriod must not be negative")
    return int(hours * 3600 * 1000)


def _delete(files: list[SourceFile], options: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    cutoff = int(time.time() * 1000) - _retention_ms(options)
    deleted: list[str] = []
    failed: list[tuple[str, str]] = []
    for f in files:
        if f.mtime_ms > cutoff:
            continue
        try:
            f.local.unlink()
            deleted.append(f.uri)
        except OSError as exc:
            failed.append((f.uri, exc.strerror or str(exc)))
    return deleted, failed


def _finish(
    options: dict[str, Any], warehouse: Path, deleted: list[str], failed: list[tuple[str, str]]
) -> None:
    manifest = options.get("manifestFilePath")
    if manifest:
        folder = to_local(manifest, warehouse)
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "Success.csv").open("w", newline="") as handle:
            csv.writer(handle).writerows([[uri] for uri in deleted])
        with (folder / "Failed.csv").open("w", newline="") as handle:
            csv.writer(handle).writerows(failed)
    log.info("purge: %d file(s) deleted, %d failed", len(deleted), len(failed))


def purge_path(glue_ctx: Any, path: str, options: dict[str, Any]) -> list[str]:
    deleted, failed = _delete(list_files([path], glue_ctx.warehouse, recurse=True), options)
    _finish(options, glue_ctx.warehouse, deleted, failed)
    return deleted


def purge_table(glue_ctx: Any, database: str, table_name: str, options: dict[str, Any]) -> list[str]:
    catalog = glue_ctx.services.catalog
    table = catalog.get_table(DatabaseName=database, Name=table_name)["Table"]
    location = (table.get("StorageDescriptor") or {}).get("Location")
    if not location:
        raise InvalidInputException(f"table {database}.{table_name} has no location to purge")
    keys = table.get("PartitionKeys") or []
    if not keys:
        return purge_path(glue_ctx, location, options)
    partitions = prune_partitions(
        glue_ctx.spark_session,
        keys,
        _all_partitions(catalog, database, table_name, None),
        options.get("partitionPredicate", ""),
    )
    deleted: list[str] = []
    failed: list[tuple[str, str]] = []
    emptied = []
    for partition in partitions:
        part_location = (partition.get("StorageDescriptor") or {}).get("Location")
        if not part_location:
            continue
        gone, bad = _delete(list_files([part_location], glue_ctx.warehouse, recurse=True), options)
        deleted += gone
        failed += bad
        if not list_files([part_location], glue_ctx.warehouse, recurse=True):
            emptied.append({"Values": partition["Values"]})
    for i in range(0, len(emptied), 25):
        catalog.batch_delete_partition(
            DatabaseName=database, TableName=table_name, PartitionsToDelete=emptied[i : i + 25]
        )
    _finish(options, glue_ctx.warehouse, deleted, failed)
    return deleted
