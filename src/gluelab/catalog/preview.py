"""The first rows of a catalog table without Spark (gluelab's own ``GetTablePreview``, for the lab's
catalog browser): CSV and JSON files with the standard library, Parquet and ORC with pyarrow, JDBC tables
with one ``SELECT ... LIMIT`` through SQLAlchemy. Files are read in path order under the table's location;
partition values come from the folders between the location and a file (``key=value`` or plain values,
as crawlers name them). Values are what the file holds, nothing is cast to the catalog's types."""

from __future__ import annotations

import base64
import bz2
import csv
import datetime as dt
import decimal
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import InvalidInputException
from ..runtime.listing import walk_files
from ..runtime.paths import check_inside, is_s3, to_local
from .formats import JDBC_CLASSIFICATIONS, format_of

MAX_ROWS = 100
_WHOLE_JSON_LIMIT = 16 * 1024 * 1024  # characters: a JSON file holding one array is parsed whole up to this
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open}


def preview_rows(table: dict[str, Any], warehouse: Path, limit: int, jdbc: Any = None) -> dict[str, Any]:
    """``Columns`` (data columns then partition keys) and up to ``limit`` ``Rows`` of ``table``;
    ``jdbc(table)`` gives url/user/password/dbtable for a JDBC table."""
    classification, options = format_of(table)
    descriptor = table.get("StorageDescriptor") or {}
    columns = [c["Name"] for c in descriptor.get("Columns") or []]
    keys = [k["Name"] for k in table.get("PartitionKeys") or []]
    if classification in JDBC_CLASSIFICATIONS:
        if jdbc is None:
            raise InvalidInputException(f"Table {table['Name']} is a JDBC table")
        return _jdbc_preview(jdbc(table), columns, limit)
    readers = {"csv": _csv_rows, "json": _json_rows, "parquet": _arrow_rows, "orc": _arrow_rows}
    reader = readers.get(classification)
    if reader is None:
        raise InvalidInputException(
            f"Table {table['Name']}: a preview reads csv, json, parquet, orc and JDBC tables, not "
            f"{classification or 'an unknown format'}; read it with Spark (open it in a notebook)"
        )
    location = descriptor.get("Location")
    if not location:
        raise InvalidInputException(f"Table {table['Name']} has no StorageDescriptor.Location")
    root = to_local(location, warehouse)
    rows: list[list[Any]] = []
    files = 0
    for path in _data_files(root, location, warehouse):
        files += 1
        values = _partition_values(root, path, len(keys))
        for record in reader(path, columns, options, classification):
            rows.append([*record, *values])
            if len(rows) >= limit:
                return {"Columns": columns + keys, "Rows": rows, "Truncated": True, "FilesRead": files}
    return {"Columns": columns + keys, "Rows": rows, "Truncated": False, "FilesRead": files}


def _data_files(root: Path, location: str, warehouse: Path) -> Iterator[Path]:
    """Data files under root (or root itself) in path order, read lazily: a preview needs the first few.
    Hidden files are skipped and a warehouse file linking out of the warehouse is refused, as the
    runtime's listing does."""
    files = [root] if root.is_file() else walk_files(root) if root.is_dir() else []
    for path in files:
        if is_s3(location):
            check_inside(path, warehouse, location)
        yield path


def _partition_values(root: Path, path: Path, count: int) -> list[str | None]:
    folders = path.parent.relative_to(root).parts if path != root else ()
    values: list[str | None] = [folder.split("=", 1)[-1] for folder in folders[:count]]
    return values + [None] * (count - len(values))


def _open_text(path: Path) -> IO[str]:
    opener = _OPENERS.get(path.suffix.lower())
    if opener is not None:
        return opener(path, "rt", encoding="utf-8", errors="replace", newline="")  # type: ignore[operator]
    return path.open(encoding="utf-8", errors="replace", newline="")


def _csv_rows(path: Path, columns: list[str], options: dict[str, Any], _: str) -> Iterator[list[Any]]:
    with _open_text(path) as handle:
        reader = csv.reader(
            handle,
            delimiter=str(options.get("separator", ","))[:1] or ",",
            quotechar=str(options.get("quoteChar", '"'))[:1] or '"',
            escapechar=str(options["escaper"])[:1] if options.get("escaper") else None,
        )
        if options.get("withHeader"):
            next(reader, None)
        for fields in reader:
            if fields:
                yield (fields + [None] * len(columns))[: len(columns)]


def _json_rows(path: Path, columns: list[str], options: dict[str, Any], _: str) -> Iterator[list[Any]]:
    def project(value: Any) -> list[Any]:
        record = value if isinstance(value, dict) else {}
        return [_jsonable(record.get(name)) for name in columns]

    with _open_text(path) as handle:
        head = handle.read(1)
        while head.isspace():
            head = handle.read(1)
        if head == "[":
            text = head + handle.read(_WHOLE_JSON_LIMIT)
            if handle.read(1):
                raise InvalidInputException(
                    f"{path.name} holds one JSON array over {_WHOLE_JSON_LIMIT:,} characters: the preview "
                    "reads JSON lines, or arrays up to that size; read it with Spark"
                )
            try:
                records = json.loads(text)
            except ValueError:
                return  # malformed: Spark would show it as _corrupt_record
            yield from (project(r) for r in records if isinstance(r, dict))
            return
        for line in _prepend(head, handle):
            if line.strip():
                try:
                    yield project(json.loads(line))
                except ValueError:
                    continue  # a malformed record: Spark would show it as _corrupt_record


def _prepend(first: str, handle: IO[str]) -> Iterator[str]:
    lines = iter(handle)
    yield first + next(lines, "")
    yield from lines


def _arrow_rows(path: Path, columns: list[str], _: dict[str, Any], kind: str) -> Iterator[list[Any]]:
    if kind == "parquet":
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        names = set(parquet.schema_arrow.names)
        batches = parquet.iter_batches(batch_size=MAX_ROWS, columns=[c for c in columns if c in names])
    else:
        import pyarrow.orc as orc

        orc_file = orc.ORCFile(path)
        batches = (orc_file.read_stripe(i) for i in range(orc_file.nstripes))
    for batch in batches:
        for record in batch.to_pylist():
            yield [_jsonable(record.get(name)) for name in columns]


def _jdbc_preview(options: dict[str, str], columns: list[str], limit: int) -> dict[str, Any]:
    import sqlalchemy as sa

    from ..runtime.jdbc import sqlalchemy_url

    *schema, name = options["dbtable"].split(".")
    query = sa.select(sa.text("*")).select_from(sa.table(name, schema=".".join(schema) or None)).limit(limit)
    engine = sa.create_engine(sqlalchemy_url(options["url"], options["user"], options["password"]))
    try:
        with engine.connect() as connection:
            result = connection.execute(query)
            names = list(result.keys())
            rows = [[_jsonable(value) for value in row] for row in result]
    except sa.exc.SQLAlchemyError as error:
        raise InvalidInputException(
            f"JDBC table {options['dbtable']}: {error.__class__.__name__}: "
            f"{str(error.orig if hasattr(error, 'orig') else error).splitlines()[0]}"
        ) from None
    finally:
        engine.dispose()
    return {"Columns": names or columns, "Rows": rows, "Truncated": len(rows) >= limit, "FilesRead": 0}


def _jsonable(value: Any) -> Any:
    """A value as JSON can carry it: dates and times in ISO form, decimals as text, bytes as base64."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, float) and value != value:
        return None
    return value


__all__ = ["MAX_ROWS", "preview_rows"]
