"""Running one crawl: scan the targets, plan tables and partitions, and write them to the catalog under
the crawler's SchemaChangePolicy, RecrawlPolicy and Configuration. Nothing is written until every target
is scanned, so a stopped crawl leaves the catalog as it was."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog.formats import SERDES, TEXT_INPUT, TEXT_OUTPUT
from ..errors import EntityNotFoundException, GlueError
from ..runtime.paths import is_s3, to_local, to_s3
from .configuration import CrawlerConfiguration, parse_configuration
from .grouping import PlannedTable, fits_schema, merged_schema, partition_values, plan_tables, table_of
from .jdbc_targets import JdbcTable, list_jdbc_tables
from .s3scan import Leaf, classify_leaf, list_leaves


class CrawlStopped(Exception):
    """StopCrawler was called: the crawl ends without writing."""


class CrawlFailed(Exception):
    """The crawl cannot finish (its message says why); nothing more is written."""


@dataclass
class Summary:
    TablesCreated: int = 0
    TablesUpdated: int = 0
    TablesDeleted: int = 0
    TablesDeprecated: int = 0
    PartitionsCreated: int = 0
    PartitionsUpdated: int = 0
    PartitionsDeleted: int = 0
    FilesScanned: int = 0
    FilesSkipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class CrawlContext:
    """What a crawl needs from outside: the services, the crawler's definition and memory, and hooks."""

    services: Any
    crawler: dict[str, Any]
    memory: dict[str, Any]
    log: Callable[[str], None]
    progress: Callable[[dict[str, Any]], bool]  # saves progress; True when a stop was requested
    summary: Summary = field(default_factory=Summary)

    @property
    def warehouse(self) -> Path:
        return self.services.settings.warehouse_dir

    def describe(self, path: Path) -> str:
        return to_s3(path, self.warehouse) or str(path)


def run_crawl(ctx: CrawlContext) -> dict[str, Any]:
    """Crawl every target; returns the crawler's new memory. Raises CrawlStopped or a GlueError."""
    crawler = ctx.crawler
    config = parse_configuration(crawler.get("Configuration"))
    database = crawler.get("DatabaseName")
    targets = crawler.get("Targets") or {}
    if database:
        ctx.services.catalog.get_database(Name=database)  # EntityNotFoundException: the crawl fails
    new_only = (crawler.get("RecrawlPolicy") or {}).get("RecrawlBehavior") == "CRAWL_NEW_FOLDERS_ONLY"
    incremental = new_only and bool(ctx.memory.get("folders"))  # the first crawl crawls everything
    seen_folders: set[str] = set(ctx.memory.get("folders", [])) if incremental else set()
    planned: list[tuple[str, PlannedTable]] = []  # (include path, table)
    new_folders: list[Leaf] = []  # an incremental crawl's new folders, for the tables they fall in
    all_folders: set[str] = set(ctx.memory.get("folders", []))
    for target in targets.get("S3Targets") or []:
        root, fresh = _scan_s3_target(ctx, target, seen_folders, all_folders)
        if incremental:
            new_folders += fresh
        elif root is not None:
            planned += _plan_s3_target(ctx, target["Path"], root, fresh, config)
    for target in targets.get("CatalogTargets") or []:
        for name in target.get("Tables") or []:
            _write_tables(
                ctx,
                target["DatabaseName"],
                _scan_catalog_table(ctx, target["DatabaseName"], name),
                config,
                new_only,
                keep_names=True,
            )
    jdbc_tables = []
    for target in targets.get("JdbcTargets") or []:
        props = ctx.services.catalog.connection_properties(target["ConnectionName"])
        found = list_jdbc_tables(target, props, ctx.log)
        ctx.log(f"INFO {target['ConnectionName']}:{target.get('Path')}: {len(found)} table(s)")
        jdbc_tables += [(target["ConnectionName"], t) for t in found]
        if ctx.progress(
            {"phase": "scanning", "path": target.get("Path", ""), "files_done": 0, "files_total": 0}
        ):
            raise CrawlStopped()
    if config.table_threshold is not None:
        existing = {t["Name"] for t in _tables_of(ctx, database)} if database else set()
        new = {crawler.get("TablePrefix", "") + t.name for _, t in [*planned, *jdbc_tables]} - existing
        if len(new) > config.table_threshold:
            raise CrawlFailed(
                f"The crawl would create {len(new)} tables, more than TableThreshold {config.table_threshold}"
            )
    if ctx.progress({"phase": "writing", "tables": len(planned)}):
        raise CrawlStopped()
    written = _write_tables(ctx, database, planned, config, new_only)
    written |= _write_jdbc_tables(ctx, database, jdbc_tables, config, new_only)
    if incremental:
        _add_new_partitions(ctx, database, new_folders, config)
    if not new_only:
        _retire_missing_tables(ctx, database, written)
    return {"folders": sorted(all_folders), "tables": sorted(written | set(ctx.memory.get("tables", [])))}


def _scan_s3_target(
    ctx: CrawlContext, target: dict[str, Any], seen_folders: set[str], all_folders: set[str]
) -> tuple[Path | None, list[Leaf]]:
    """The include path's local folder (None when it is not a folder) and its classified data folders,
    minus ``seen_folders``; every folder listed is added to ``all_folders``."""
    include = target["Path"]
    root = to_local(include, ctx.warehouse)
    ctx.log(f"INFO crawling {include}")
    if not root.is_dir():
        ctx.log(f"WARN {include} does not exist or is not a folder; nothing to crawl there")
        return None, []
    custom = ctx.services.crawlers.classifier_definitions(ctx.crawler.get("Classifiers") or [])
    exclusions = list(target.get("Exclusions") or [])
    leaves = list_leaves(root, exclusions, target.get("SampleSize"), ctx.log, _confine(ctx, include))
    fresh = []
    for leaf in leaves:
        key = ctx.describe(leaf.path)
        all_folders.add(key)
        if key in seen_folders:
            continue
        fresh.append(leaf)
    if seen_folders:
        ctx.log(f"INFO {len(fresh)} new folder(s) of {len(leaves)} (CRAWL_NEW_FOLDERS_ONLY)")
    total = sum(len(leaf.files) for leaf in fresh)
    done = 0
    last_report = 0.0
    for leaf in fresh:
        classify_leaf(leaf, custom, ctx.describe, ctx.log)
        done += len(leaf.files)
        ctx.summary.FilesScanned += len(leaf.files) - len(leaf.skipped)
        ctx.summary.FilesSkipped += len(leaf.skipped)
        now = time.monotonic()
        if now - last_report > 0.5 or done == total:
            last_report = now
            if ctx.progress({"phase": "scanning", "path": include, "files_done": done, "files_total": total}):
                raise CrawlStopped()
    return root, fresh


def _plan_s3_target(
    ctx: CrawlContext, include: str, root: Path, fresh: list[Leaf], config: CrawlerConfiguration
) -> list[tuple[str, PlannedTable]]:
    """The tables an include path's data folders make, logged."""
    include_name = root.name if root != ctx.warehouse else "root"
    bucket_depth = len(root.relative_to(ctx.warehouse.resolve()).parts) if _inside(root, ctx.warehouse) else 1
    tables = plan_tables(fresh, include_name, config, bucket_depth)
    for table in tables:
        where = ctx.describe(_table_root(root, table))
        ctx.log(
            f"INFO planned table {table.name} at {where}: {table.schema.classification}, "
            f"{len(table.schema.columns)} column(s), {len(table.partitions)} partition(s)"
        )
    return [(include, t) for t in tables]


def _scan_catalog_table(ctx: CrawlContext, database: str, name: str) -> list[tuple[str, PlannedTable]]:
    """A catalog target's table: its location crawled again, as one table (its name and place kept)."""
    try:
        table = ctx.services.catalog.get_table(DatabaseName=database, Name=name)["Table"]
    except EntityNotFoundException:
        ctx.log(f"WARN catalog target {database}.{name} does not exist; skipped")
        return []
    location = (table.get("StorageDescriptor") or {}).get("Location")
    try:
        root = to_local(location or "", ctx.warehouse)
    except GlueError as exc:
        ctx.log(f"WARN catalog target {database}.{name}: {exc.message}; skipped")
        return []
    if not root.is_dir():
        ctx.log(f"WARN catalog target {database}.{name}: {location} is not a folder; skipped")
        return []
    ctx.log(f"INFO crawling {location} for catalog table {database}.{name}")
    custom = ctx.services.crawlers.classifier_definitions(ctx.crawler.get("Classifiers") or [])
    leaves = list_leaves(root, [], None, ctx.log, _confine(ctx, location or ""))
    for leaf in leaves:
        classify_leaf(leaf, custom, ctx.describe, ctx.log)
        ctx.summary.FilesScanned += len(leaf.files) - len(leaf.skipped)
        ctx.summary.FilesSkipped += len(leaf.skipped)
    usable = [leaf for leaf in leaves if leaf.schema is not None]
    if not usable:
        ctx.log(f"WARN catalog target {database}.{name}: no data under {location}")
        return []
    deepest = max(len(leaf.parts) for leaf in usable)
    planned = table_of(name, (), [leaf for leaf in usable if len(leaf.parts) == deepest])
    keys = [k["Name"] for k in table.get("PartitionKeys") or []]
    if len(keys) == len(planned.partition_keys):  # the table's own key names stay
        planned.partition_keys = keys
        planned.schema.columns = [(n, t) for n, t in planned.schema.columns if n not in set(keys)]
    return [(location, planned)]


def _confine(ctx: CrawlContext, location: str) -> Path | None:
    """The warehouse for an s3:// location, whose files may not link out of it (the lake's one rule);
    None for a local one (file://, /path), whose files are used as they are."""
    return ctx.warehouse if is_s3(location) else None


def _inside(path: Path, root: Path) -> bool:
    root = root.resolve()
    return path == root or root in path.resolve().parents


def _table_root(include_root: Path, table: PlannedTable) -> Path:
    return include_root.joinpath(*table.root)


def _location(ctx: CrawlContext, path: Path) -> str:
    uri = to_s3(path, ctx.warehouse)
    return (uri or "file://" + str(path)).rstrip("/") + "/"


def _storage(
    ctx: CrawlContext, table: PlannedTable, path: Path, columns: list[tuple[str, str]]
) -> dict[str, Any]:
    schema = table.schema
    serde = SERDES.get(schema.classification)
    descriptor: dict[str, Any] = {
        "Columns": [{"Name": n, "Type": t} for n, t in columns],
        "Location": _location(ctx, path),
        "InputFormat": serde["InputFormat"] if serde else TEXT_INPUT,
        "OutputFormat": serde["OutputFormat"] if serde else TEXT_OUTPUT,
        "Compressed": schema.compression not in ("none", "", None),
        "NumberOfBuckets": -1,
        "SerdeInfo": {
            "SerializationLibrary": serde["SerializationLibrary"]
            if serde
            else "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
            "Parameters": dict(schema.serde_parameters),
        },
        "StoredAsSubDirectories": False,
        "Parameters": _data_parameters(ctx, table, [table_leaf for table_leaf in table.leaves]),
    }
    return descriptor


def _data_parameters(ctx: CrawlContext, table: PlannedTable, leaves: list[Leaf]) -> dict[str, str]:
    schema = table.schema
    objects = sum(leaf.objects for leaf in leaves)
    size = sum(leaf.size for leaf in leaves)
    average = schema.sample_bytes // schema.records if schema.records else 0
    records = size // average if average else schema.records
    return {
        "classification": schema.classification,
        "compressionType": schema.compression or "none",
        "typeOfData": "file",
        "objectCount": str(objects),
        "sizeKey": str(size),
        "recordCount": str(records),
        "averageRecordSize": str(average),
        "UPDATED_BY_CRAWLER": ctx.crawler["Name"],
        "CrawlerSchemaSerializerVersion": "1.0",
        "CrawlerSchemaDeserializerVersion": "1.0",
        **schema.parameters,
    }


def _tables_of(ctx: CrawlContext, database: str) -> list[dict[str, Any]]:
    tables, token = [], None
    while True:
        page = ctx.services.catalog.get_tables(
            DatabaseName=database, **({"NextToken": token} if token else {})
        )
        tables += page["TableList"]
        token = page.get("NextToken")
        if not token:
            return tables


def _partitions_of(ctx: CrawlContext, database: str, table: str) -> list[dict[str, Any]]:
    partitions, token = [], None
    while True:
        page = ctx.services.catalog.get_partitions(
            DatabaseName=database, TableName=table, **({"NextToken": token} if token else {})
        )
        partitions += page["Partitions"]
        token = page.get("NextToken")
        if not token:
            return partitions


def _write_tables(
    ctx: CrawlContext,
    database: str,
    planned: list[tuple[str, PlannedTable]],
    config: CrawlerConfiguration,
    new_only: bool,
    keep_names: bool = False,
) -> set[str]:
    policy = ctx.crawler.get("SchemaChangePolicy") or {}
    update = policy.get("UpdateBehavior", "UPDATE_IN_DATABASE") == "UPDATE_IN_DATABASE" and not new_only
    delete_behavior = "LOG" if new_only else policy.get("DeleteBehavior", "DEPRECATE_IN_DATABASE")
    prefix = "" if keep_names else ctx.crawler.get("TablePrefix") or ""
    written: set[str] = set()
    for include, table in planned:
        name = (prefix + table.name).lower()
        root = _table_root(to_local(include, ctx.warehouse), table)
        storage = _storage(ctx, table, root, table.schema.columns)
        table_input = {
            "Name": name,
            "StorageDescriptor": storage,
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in table.partition_keys],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": dict(storage["Parameters"]),
        }
        written.add(name)
        try:
            existing = ctx.services.catalog.get_table(DatabaseName=database, Name=name)["Table"]
        except EntityNotFoundException:
            existing = None
        if existing is None:
            ctx.services.catalog.create_table(DatabaseName=database, TableInput=table_input)
            ctx.summary.TablesCreated += 1
            ctx.log(f"INFO created table {database}.{name}")
        else:
            _update_table(ctx, database, existing, table_input, update, config)
        _write_partitions(ctx, database, name, root, table, update, delete_behavior, config)
    return written


def _write_jdbc_tables(
    ctx: CrawlContext,
    database: str,
    tables: list[tuple[str, JdbcTable]],
    config: CrawlerConfiguration,
    new_only: bool,
) -> set[str]:
    policy = ctx.crawler.get("SchemaChangePolicy") or {}
    update = policy.get("UpdateBehavior", "UPDATE_IN_DATABASE") == "UPDATE_IN_DATABASE" and not new_only
    prefix = ctx.crawler.get("TablePrefix") or ""
    written: set[str] = set()
    for connection, found in tables:
        name = (prefix + found.name).lower()
        parameters = {
            "classification": found.classification,
            "connectionName": connection,
            "typeOfData": "view" if found.view else "table",
            "UPDATED_BY_CRAWLER": ctx.crawler["Name"],
            "CrawlerSchemaSerializerVersion": "1.0",
            "CrawlerSchemaDeserializerVersion": "1.0",
        }
        table_input = {
            "Name": name,
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in found.columns],
                "Location": found.location,
                "Compressed": False,
                "NumberOfBuckets": -1,
                "SerdeInfo": {"Parameters": {}},
                "StoredAsSubDirectories": False,
                "Parameters": dict(parameters),
            },
            "PartitionKeys": [],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": parameters,
        }
        written.add(name)
        try:
            existing = ctx.services.catalog.get_table(DatabaseName=database, Name=name)["Table"]
        except EntityNotFoundException:
            ctx.services.catalog.create_table(DatabaseName=database, TableInput=table_input)
            ctx.summary.TablesCreated += 1
            ctx.log(f"INFO created table {database}.{name} for {connection}:{found.path}")
            continue
        _update_table(ctx, database, existing, table_input, update, config)
    return written


def _columns(descriptor: dict[str, Any] | None) -> list[tuple[str, str]]:
    return [(c["Name"], c.get("Type", "")) for c in (descriptor or {}).get("Columns", [])]


def _update_table(
    ctx: CrawlContext,
    database: str,
    existing: dict[str, Any],
    table_input: dict[str, Any],
    update: bool,
    config: CrawlerConfiguration,
) -> None:
    name = table_input["Name"]
    old_columns = _columns(existing.get("StorageDescriptor"))
    new_columns = _columns(table_input["StorageDescriptor"])
    if config.merge_new_columns:
        known = {n for n, _ in old_columns}
        new_columns = old_columns + [(n, t) for n, t in new_columns if n not in known]
        table_input["StorageDescriptor"]["Columns"] = [{"Name": n, "Type": t} for n, t in new_columns]
    old_keys = [k["Name"] for k in existing.get("PartitionKeys", [])]
    new_keys = [k["Name"] for k in table_input["PartitionKeys"]]
    old_format = (existing.get("Parameters") or {}).get("classification")
    changed = (
        old_columns != new_columns
        or old_keys != new_keys
        or old_format != table_input["Parameters"]["classification"]
    )
    if not changed:
        return
    added = [n for n, _ in new_columns if n not in {o for o, _ in old_columns}]
    removed = [o for o, _ in old_columns if o not in {n for n, _ in new_columns}]
    change = (
        f"columns added {added or '-'}, removed {removed or '-'}; partition keys {old_keys} -> {new_keys}"
    )
    if not update:
        ctx.log(f"INFO table {database}.{name} changed ({change}); not updated (UpdateBehavior LOG)")
        return
    parameters = {**(existing.get("Parameters") or {}), **table_input["Parameters"]}
    parameters.pop("DEPRECATED_BY_CRAWLER", None)
    table_input["Parameters"] = parameters
    ctx.services.catalog.update_table(DatabaseName=database, TableInput=table_input)
    ctx.summary.TablesUpdated += 1
    ctx.log(f"INFO updated table {database}.{name}: {change} (a new table version)")


def _write_partitions(
    ctx: CrawlContext,
    database: str,
    name: str,
    root: Path,
    table: PlannedTable,
    update: bool,
    delete_behavior: str,
    config: CrawlerConfiguration,
    retire: bool = True,
) -> None:
    """Create the table's planned partitions the catalog lacks, update changed ones when ``update``, and
    when ``retire`` (every folder of the table was listed) retire the ones whose folders are gone."""
    if not table.partition_keys:
        return
    existing = {tuple(p["Values"]): p for p in _partitions_of(ctx, database, name)}
    create, change = [], []
    for values, leaf in table.partitions:
        assert leaf.schema is not None
        columns = table.schema.columns if config.partitions_inherit else leaf.schema.columns
        columns = [(n, t) for n, t in columns if n not in set(table.partition_keys)]
        single = PlannedTable(
            name=name, root=table.root, schema=table.schema, partition_keys=[], leaves=[leaf]
        )
        storage = _storage(ctx, single, leaf.path, columns)
        partition = {
            "Values": values,
            "StorageDescriptor": storage,
            "Parameters": dict(storage["Parameters"]),
        }
        old = existing.pop(tuple(values), None)
        if old is None:
            create.append(partition)
        elif _columns(old.get("StorageDescriptor")) != columns and update:
            change.append({"PartitionValueList": values, "PartitionInput": partition})
    for start in range(0, len(create), 100):
        batch = create[start : start + 100]
        result = ctx.services.catalog.batch_create_partition(
            DatabaseName=database, TableName=name, PartitionInputList=batch
        )
        for error in result.get("Errors", []):
            ctx.log(f"WARN partition {error.get('PartitionValues')} of {name}: {error.get('ErrorDetail')}")
        ctx.summary.PartitionsCreated += len(batch) - len(result.get("Errors", []))
    for start in range(0, len(change), 100):
        batch = change[start : start + 100]
        ctx.services.catalog.batch_update_partition(DatabaseName=database, TableName=name, Entries=batch)
        ctx.summary.PartitionsUpdated += len(batch)
    if create:
        ctx.log(f"INFO {name}: {len(create)} partition(s) added")
    gone = list(existing)
    if gone and retire:
        _retire_partitions(ctx, database, name, gone, delete_behavior)


def _add_new_partitions(
    ctx: CrawlContext, database: str, folders: list[Leaf], config: CrawlerConfiguration
) -> None:
    """An incremental crawl (CRAWL_NEW_FOLDERS_ONLY after the first): each new data folder becomes a
    partition of the table of this crawler whose location holds it, when it fits that table's partition
    keys and schema; other folders are logged and left out. No table is created or changed, and the
    partitions whose folders were not listed are left as they are."""
    if not folders or not database:
        return
    tables = _crawled_tables(ctx, database)
    found: dict[str, tuple[Path, dict[str, Any], list[tuple[list[str], Leaf]]]] = {}
    for leaf in folders:
        if leaf.schema is None:
            continue  # no usable file: its files were logged as skipped
        where = _location(ctx, leaf.path)
        owner = next(((root, t) for root, t in tables if _inside(leaf.path, root)), None)
        if owner is None:
            ctx.log(
                f"INFO new folder {where} is in no table of this crawler; not added "
                "(CRAWL_NEW_FOLDERS_ONLY adds partitions to existing tables, not new tables)"
            )
            continue
        root, table = owner
        values = _new_partition_values(ctx, database, table, root, leaf, where)
        if values is not None:
            found.setdefault(table["Name"], (root, table, []))[2].append((values, leaf))
    for name, (root, table, partitions) in found.items():
        leaves = [leaf for _, leaf in partitions]
        schema = merged_schema(leaves)
        schema.columns = _columns(table.get("StorageDescriptor"))  # what InheritFromTable gives them
        keys = [k["Name"] for k in table.get("PartitionKeys") or []]
        planned = PlannedTable(
            name=name, root=(), schema=schema, partition_keys=keys, partitions=partitions, leaves=leaves
        )
        _write_partitions(
            ctx,
            database,
            name,
            root,
            planned,
            update=False,
            delete_behavior="LOG",
            config=config,
            retire=False,
        )


def _crawled_tables(ctx: CrawlContext, database: str) -> list[tuple[Path, dict[str, Any]]]:
    """The tables earlier crawls of this crawler made, with their local folder, the deepest first."""
    names = set(ctx.memory.get("tables", []))
    tables = []
    for table in _tables_of(ctx, database):
        location = (table.get("StorageDescriptor") or {}).get("Location") or ""
        if table["Name"] not in names or not location:
            continue
        try:
            tables.append((to_local(location, ctx.warehouse).resolve(), table))
        except GlueError:
            continue  # not a folder (a JDBC table's database.schema.table)
    return sorted(tables, key=lambda entry: len(entry[0].parts), reverse=True)


def _new_partition_values(
    ctx: CrawlContext, database: str, table: dict[str, Any], root: Path, leaf: Leaf, where: str
) -> list[str] | None:
    """The partition values a new folder of ``table`` (rooted at ``root``) has, or None (logged) when it
    does not fit the table's partition keys or schema, which an incremental crawl never changes."""
    assert leaf.schema is not None
    name = f"{database}.{table['Name']}"
    keys = [k["Name"] for k in table.get("PartitionKeys") or []]
    values = partition_values(keys, leaf.path.resolve().relative_to(root).parts)
    if values is None:
        ctx.log(
            f"WARN new folder {where} does not fit the partition keys {keys} of table {name}; not added "
            "(Partition does not match table schema or has mismatch keys)"
        )
        return None
    parameters = table.get("Parameters") or {}
    descriptor = table.get("StorageDescriptor")
    if not fits_schema(
        leaf.schema,
        parameters.get("classification"),
        parameters.get("compressionType", "none"),
        _columns(descriptor),
    ):
        ctx.log(
            f"WARN new folder {where} ({leaf.schema.classification}, columns "
            f"{[n for n, _ in leaf.schema.columns]}) does not match the schema of table {name}; not added "
            "(Partition does not match table schema or has mismatch keys)"
        )
        return None
    return values


def _retire_partitions(
    ctx: CrawlContext, database: str, name: str, gone: list[tuple[str, ...]], delete_behavior: str
) -> None:
    listed = ", ".join("/".join(v) for v in gone[:5]) + (" ..." if len(gone) > 5 else "")
    if delete_behavior != "DELETE_FROM_DATABASE":
        ctx.log(
            f"INFO {name}: {len(gone)} partition(s) no longer in the data ({listed}); "
            f"kept ({delete_behavior})"
        )
        return
    for start in range(0, len(gone), 25):
        batch = [{"Values": list(v)} for v in gone[start : start + 25]]
        ctx.services.catalog.batch_delete_partition(
            DatabaseName=database, TableName=name, PartitionsToDelete=batch
        )
    ctx.summary.PartitionsDeleted += len(gone)
    ctx.log(f"INFO {name}: {len(gone)} partition(s) deleted, their folders are gone ({listed})")


def _retire_missing_tables(ctx: CrawlContext, database: str | None, written: set[str]) -> None:
    """Tables an earlier crawl of this crawler made whose data is gone: DeleteBehavior decides."""
    if not database:
        return
    behavior = (ctx.crawler.get("SchemaChangePolicy") or {}).get("DeleteBehavior", "DEPRECATE_IN_DATABASE")
    for name in sorted(set(ctx.memory.get("tables", [])) - written):
        try:
            table = ctx.services.catalog.get_table(DatabaseName=database, Name=name)["Table"]
        except EntityNotFoundException:
            continue
        if (table.get("Parameters") or {}).get("UPDATED_BY_CRAWLER") != ctx.crawler["Name"]:
            continue
        location = (table.get("StorageDescriptor") or {}).get("Location", "")
        if location and _exists(ctx, location):
            continue  # its folder is still there (another target's, or data now excluded): keep it
        if behavior == "DELETE_FROM_DATABASE":
            ctx.services.catalog.delete_table(DatabaseName=database, Name=name)
            ctx.summary.TablesDeleted += 1
            ctx.log(f"INFO deleted table {database}.{name}: {location} is gone")
        elif behavior == "DEPRECATE_IN_DATABASE":
            parameters = dict(table.get("Parameters") or {})
            if "DEPRECATED_BY_CRAWLER" in parameters:
                continue
            parameters["DEPRECATED_BY_CRAWLER"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            table_input = {k: v for k, v in table.items() if k in _TABLE_INPUT_FIELDS}
            table_input["Parameters"] = parameters
            ctx.services.catalog.update_table(DatabaseName=database, TableInput=table_input)
            ctx.summary.TablesDeprecated += 1
            ctx.log(f"INFO deprecated table {database}.{name}: {location} is gone")
        else:
            ctx.log(f"INFO table {database}.{name}: {location} is gone; kept (DeleteBehavior LOG)")


_TABLE_INPUT_FIELDS = (
    "Name",
    "Description",
    "Owner",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "TableType",
    "Parameters",
)


def _exists(ctx: CrawlContext, location: str) -> bool:
    try:
        return to_local(location, ctx.warehouse).exists()
    except GlueError:
        return False
