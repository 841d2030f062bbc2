"""What a job's next bookmarked run will read, without running it (``gluelab bookmarks preview``): the
files each s3/file source would pick up, and the rows past each JDBC source's last key. Uses the same
tracker rules as a run; needs no Spark."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..errors import EntityNotFoundException
from .bookmark_tracker import ENABLE, BookmarkTracker
from .jdbc import sqlalchemy_url
from .jdbc_io import _after, conf_from_properties, vendor_of
from .listing import list_files, parse_exclusions


def preview(services: Any, job_name: str) -> list[dict[str, Any]]:
    entry = services.bookmarks.load(job_name)
    if entry is None:
        raise EntityNotFoundException(f"Continuation for job {job_name} not found")
    state = entry["State"]
    tracker = BookmarkTracker(option=ENABLE, stored=state)
    return [_preview_element(services, tracker, ctx, element) for ctx, element in sorted(state.items())]


def _preview_element(
    services: Any, tracker: BookmarkTracker, ctx: str, element: dict[str, Any]
) -> dict[str, Any]:
    source = element.get("source") or {}
    if element.get("kind") == "s3":
        files = _source_files(services, source)
        if files is None:
            return {"ctx": ctx, "kind": "s3", "note": "the source's location is not recorded in the bookmark"}
        new = tracker.filter_files(
            ctx, files, {**source, "connection_options": source.get("connection_options", {})}
        )
        return {
            "ctx": ctx,
            "kind": "s3",
            "files": [f.uri for f in new],
            "count": len(new),
            "bytes": sum(f.size for f in new),
            "listed": len(files),
        }
    if element.get("kind") == "jdbc":
        return _preview_jdbc(services, ctx, element)
    return {"ctx": ctx, "kind": element.get("kind", "?"), "note": "unknown kind of bookmark"}


def _source_files(services: Any, source: dict[str, Any]) -> list[Any] | None:
    warehouse = services.settings.warehouse_dir
    if source.get("paths"):
        return list_files(
            list(source["paths"]),
            warehouse,
            recurse=bool(source.get("recurse")),
            exclusions=parse_exclusions(source.get("exclusions")),
        )
    if source.get("database") and source.get("table"):
        catalog = services.catalog
        table = catalog.get_table(DatabaseName=source["database"], Name=source["table"])["Table"]
        location = (table.get("StorageDescriptor") or {}).get("Location")
        locations = [location] if location else []
        token = None
        while table.get("PartitionKeys"):
            page = catalog.get_partitions(
                DatabaseName=source["database"],
                TableName=source["table"],
                **({"NextToken": token} if token else {}),
            )
            locations += [(p.get("StorageDescriptor") or {}).get("Location") for p in page["Partitions"]]
            token = page.get("NextToken")
            if not token:
                break
        return list_files([loc for loc in dict.fromkeys(locations) if loc], warehouse, recurse=True)
    return None


def _preview_jdbc(services: Any, ctx: str, element: dict[str, Any]) -> dict[str, Any]:
    source = element.get("source") or {}
    jdbc = element.get("jdbc") or {}
    result: dict[str, Any] = {
        "ctx": ctx,
        "kind": "jdbc",
        "table": source.get("dbtable"),
        "keys": jdbc.get("keys"),
        "last": jdbc.get("last"),
    }
    name = source.get("connection_name")
    if not name:
        result["note"] = "the script passed credentials directly; the new rows cannot be counted without them"
        return result
    conf = conf_from_properties(name, services.catalog.connection_properties(name))
    vendor = vendor_of(conf["url"])
    where = ""
    if jdbc.get("last") is not None and jdbc.get("keys"):
        where = " WHERE " + _after(vendor, jdbc["keys"], jdbc["last"], jdbc.get("sort_order") == "desc")
    engine = sa.create_engine(sqlalchemy_url(conf["url"], conf["user"], conf["password"]))
    try:
        with engine.connect() as connection:
            result["count"] = connection.execute(
                sa.text(f"SELECT count(*) FROM {source['dbtable']}{where}")
            ).scalar()
    finally:
        engine.dispose()
    return result
