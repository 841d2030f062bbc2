"""Catalog tables and their versions: Create/Get/Update/Delete Table, GetTables, BatchDeleteTable,
GetTableVersion(s), DeleteTableVersion, BatchDeleteTableVersion."""

from __future__ import annotations

import functools
import re
from typing import Any

import regex
from sqlalchemy import delete, desc, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import patterns
from ..errors import (
    AlreadyExistsException,
    ConcurrentModificationException,
    EntityNotFoundException,
    GlueError,
    InvalidInputException,
)
from ..operations import glue_operation, gluelab_operation
from ..pagination import MAX_INT_KEY, decode_token, encode_token, page_size
from ..runtime.jdbc import table_jdbc_options
from ..shapes import parse_timestamp
from ..store.concurrency import retried
from ..store.models import TableRow, TableVersionRow
from . import preview
from .common import CatalogBase, compact, folded_name, utcnow

_EXTRA_FIELDS = (
    "Retention",
    "ViewOriginalText",
    "ViewExpandedText",
    "TargetTable",
    "FederatedTable",
    "ViewDefinition",
)
_TIMESTAMP_FIELDS = ("CreateTime", "UpdateTime", "LastAccessTime", "LastAnalyzedTime")
_COMPLEX_TYPE = re.compile(r"^\s*(array|map|struct|uniontype)\s*<", re.IGNORECASE)
_SCAN_CHUNK = 500


class TableOperations(CatalogBase):
    @glue_operation("CreateTable")
    def create_table(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        self._reject_unsupported(request, "TransactionId", "OpenTableFormatInput")
        table_input = _table_input(request)
        name = folded_name(table_input["Name"], "table")
        _check_columns(table_input)
        try:
            with self.store.write() as session:
                db = self._database(session, request["DatabaseName"])
                if self._find_table(session, db.id, name) is not None:
                    raise AlreadyExistsException(f"Table {name} already exists in database {db.name}.")
                now = utcnow()
                row = TableRow(database_id=db.id, name=name, version_id=0, create_time=now, update_time=now)
                _apply_input(row, table_input)
                session.add(row)
                session.flush()
                self._archive(session, row, db.name)
        except IntegrityError:  # a concurrent CreateTable won the race, or something else is wrong
            with self.store.read() as session:
                db = self._find_database(session, request["DatabaseName"])
                if db is not None and self._find_table(session, db.id, name) is not None:
                    raise AlreadyExistsException(
                        f"Table {name} already exists in database {db.name}."
                    ) from None
            raise
        return {}

    @glue_operation("GetTable")
    def get_table(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        self._reject_unsupported(request, "TransactionId", "QueryAsOfTime")
        with self.store.read() as session:
            row = self._table(session, request["DatabaseName"], request["Name"])
            return {"Table": self._table_shape(row, row.database.name)}

    @gluelab_operation("GetTablePreview", "DatabaseName", "Name", optional=("MaxRows",))
    def get_table_preview(self, request: dict[str, Any]) -> dict[str, Any]:
        """gluelab's own action: a table's first ``MaxRows`` rows (20 by default, at most 100) as its
        files or JDBC table hold them, read without Spark (``gluelab.catalog.preview``)."""
        limit = request.get("MaxRows", 20)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= preview.MAX_ROWS:
            raise InvalidInputException(f"MaxRows must be an integer from 1 to {preview.MAX_ROWS}")
        table = self.get_table({"DatabaseName": request["DatabaseName"], "Name": request["Name"]})["Table"]
        jdbc = functools.partial(table_jdbc_options, self)
        rows = preview.preview_rows(table, self.settings.warehouse_dir, limit, jdbc)
        return {"DatabaseName": table["DatabaseName"], "Name": table["Name"], **rows}

    def table_fingerprint(self, database: str, name: str) -> tuple[Any, ...] | None:
        """What changes whenever a table or its partitions change (None: no such table): one cheap query
        that tells a Spark session whether what it registered is still current."""
        with self.store.read() as session:
            db = self._find_database(session, database)
            row = None if db is None else self._find_table(session, db.id, name)
            if row is None:
                return None
            return (row.id, row.version_id, row.update_time.isoformat(), row.partition_version)

    @glue_operation("GetTables")
    def get_tables(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        self._reject_unsupported(request, "TransactionId", "QueryAsOfTime")
        matcher = table_name_matcher(request.get("Expression"))
        limit = page_size(request.get("MaxResults"), 100)
        with self.store.read() as session:
            db = self._database(session, request["DatabaseName"])
            scope = f"GetTables/{db.name}"
            after = decode_token(request.get("NextToken"), scope)
            ids: list[tuple[int, str]] = []
            # Scan names in order, a chunk at a time, until the page is full; only then load definitions.
            while len(ids) <= limit:
                query = select(TableRow.id, TableRow.name).where(TableRow.database_id == db.id)
                if after is not None:
                    query = query.where(TableRow.name > after)
                chunk = session.execute(query.order_by(TableRow.name).limit(_SCAN_CHUNK)).all()
                ids.extend((tid, tname) for tid, tname in chunk if matcher is None or matcher(tname))
                if len(chunk) < _SCAN_CHUNK:
                    break
                after = chunk[-1][1]
            page = ids[:limit]
            rows = {
                r.id: r
                for r in session.scalars(select(TableRow).where(TableRow.id.in_([i for i, _ in page])))
            }
            attributes = request.get("AttributesToGet")
            result: dict[str, Any] = {
                "TableList": [self._table_shape(rows[tid], db.name, attributes) for tid, _ in page]
            }
        if len(ids) > limit:
            result["NextToken"] = encode_token(scope, page[-1][1])
        return result

    @glue_operation("UpdateTable")
    @retried
    def update_table(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        self._reject_unsupported(request, "TransactionId", "UpdateOpenTableFormatInput", "ViewUpdateAction")
        table_input = _table_input(request)
        _check_columns(table_input)
        with self.store.write() as session:
            # Locked: concurrent updates each archive their own version, one after the other.
            row = self._locked_table(session, request["DatabaseName"], table_input["Name"])
            expected = request.get("VersionId")
            if expected is not None and expected != str(row.version_id):
                raise ConcurrentModificationException(
                    f"Table {row.name} is at version {row.version_id}, not {expected}; fetch it and retry."
                )
            previous = row.version_id
            _apply_input(row, table_input)
            row.version_id = previous + 1
            row.update_time = utcnow()
            if request.get("SkipArchive"):
                session.execute(
                    delete(TableVersionRow).where(
                        TableVersionRow.table_id == row.id, TableVersionRow.version_id == previous
                    )
                )
            self._archive(session, row, row.database.name)
        return {}

    @glue_operation("DeleteTable")
    def delete_table(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        self._reject_unsupported(request, "TransactionId")
        with self.store.write() as session:
            row = self._table(session, request["DatabaseName"], request["Name"])
            session.execute(delete(TableRow).where(TableRow.id == row.id))
        return {}

    @glue_operation("BatchDeleteTable")
    def batch_delete_table(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        self._reject_unsupported(request, "TransactionId")
        errors = []
        with self.store.write() as session:
            self._database(session, request["DatabaseName"])
            for name in request["TablesToDelete"]:
                try:
                    row = self._table(session, request["DatabaseName"], name)
                except GlueError as exc:
                    errors.append({"TableName": name, "ErrorDetail": _error_detail(exc)})
                    continue
                session.execute(delete(TableRow).where(TableRow.id == row.id))
        return {"Errors": errors}

    # -- versions -------------------------------------------------------------------------
    @glue_operation("GetTableVersions")
    def get_table_versions(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        limit = page_size(request.get("MaxResults"), 100)
        with self.store.read() as session:
            table = self._table(session, request["DatabaseName"], request["TableName"])
            scope = f"GetTableVersions/{table.id}"
            before = decode_token(request.get("NextToken"), scope, int)
            query = select(TableVersionRow).where(TableVersionRow.table_id == table.id)
            if before is not None:
                query = query.where(TableVersionRow.version_id < before)
            rows = session.scalars(query.order_by(desc(TableVersionRow.version_id)).limit(limit + 1)).all()
        result: dict[str, Any] = {"TableVersions": [_version_shape(v) for v in rows[:limit]]}
        if len(rows) > limit:
            result["NextToken"] = encode_token(scope, rows[limit - 1].version_id)
        return result

    @glue_operation("GetTableVersion")
    def get_table_version(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        with self.store.read() as session:
            table = self._table(session, request["DatabaseName"], request["TableName"])
            wanted = request.get("VersionId")
            version = table.version_id if wanted is None else _version_number(wanted)
            row = self._version(session, table, version)
            return {"TableVersion": _version_shape(row)}

    @glue_operation("DeleteTableVersion")
    def delete_table_version(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        with self.store.write() as session:
            table = self._locked_table(session, request["DatabaseName"], request["TableName"])
            self._delete_version(session, table, request["VersionId"])
        return {}

    @glue_operation("BatchDeleteTableVersion")
    def batch_delete_table_version(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        errors = []
        with self.store.write() as session:
            table = self._locked_table(session, request["DatabaseName"], request["TableName"])
            for version in request["VersionIds"]:
                try:
                    self._delete_version(session, table, version)
                except GlueError as exc:
                    errors.append(
                        {"TableName": table.name, "VersionId": version, "ErrorDetail": _error_detail(exc)}
                    )
        return {"Errors": errors}

    def _delete_version(self, session: Session, table: TableRow, version_id: str) -> None:
        number = _version_number(version_id)
        if number == table.version_id:
            raise InvalidInputException(
                f"Version {number} is the current version of table {table.name}; "
                "update the table before deleting it."
            )
        session.delete(self._version(session, table, number))

    def _version(self, session: Session, table: TableRow, number: int) -> TableVersionRow:
        row = (
            None
            if number > MAX_INT_KEY
            else session.scalar(
                select(TableVersionRow).where(
                    TableVersionRow.table_id == table.id, TableVersionRow.version_id == number
                )
            )
        )
        if row is None:
            raise EntityNotFoundException(f"Version {number} of table {table.name} not found.")
        return row

    def _archive(self, session: Session, row: TableRow, database_name: str) -> None:
        session.add(
            TableVersionRow(
                table_id=row.id,
                version_id=row.version_id,
                created_at=row.update_time,
                definition=_freeze(self._table_shape(row, database_name)),
            )
        )

    # -- shapes ---------------------------------------------------------------------------
    def _table_shape(
        self, row: TableRow, database_name: str, attributes: list[str] | None = None
    ) -> dict[str, Any]:
        if attributes and "DEFAULT" not in attributes and set(attributes) <= {"NAME", "TABLE_TYPE"}:
            return compact(
                {
                    "Name": row.name,
                    "DatabaseName": database_name,
                    "CatalogId": self.catalog_id,
                    "TableType": row.table_type if "TABLE_TYPE" in attributes else None,
                }
            )
        return compact(
            {
                "Name": row.name,
                "DatabaseName": database_name,
                "Description": row.description,
                "Owner": row.owner,
                "CreateTime": row.create_time,
                "UpdateTime": row.update_time,
                "LastAccessTime": row.last_access_time,
                "LastAnalyzedTime": row.last_analyzed_time,
                "Retention": row.extra.get("Retention", 0),
                "StorageDescriptor": row.storage_descriptor,
                "PartitionKeys": row.partition_keys or [],
                "ViewOriginalText": row.extra.get("ViewOriginalText"),
                "ViewExpandedText": row.extra.get("ViewExpandedText"),
                "TableType": row.table_type,
                "Parameters": row.parameters or {},
                "IsRegisteredWithLakeFormation": False,
                "TargetTable": row.extra.get("TargetTable"),
                "FederatedTable": row.extra.get("FederatedTable"),
                "ViewDefinition": row.extra.get("ViewDefinition"),
                "CatalogId": self.catalog_id,
                "VersionId": str(row.version_id),
            }
        )


def _table_input(request: dict[str, Any]) -> dict[str, Any]:
    """Newer clients may send Name beside (or instead of) TableInput; both must agree."""
    table_input = dict(request.get("TableInput") or {})
    name = request.get("Name")
    if name and table_input.get("Name") and name.lower() != table_input["Name"].lower():
        raise InvalidInputException("Name and TableInput.Name differ; renaming a table is not supported.")
    if not (name or table_input.get("Name")):
        raise InvalidInputException("TableInput with a Name is required.")
    table_input.setdefault("Name", name)
    return table_input


def _check_columns(table_input: dict[str, Any]) -> None:
    columns = (table_input.get("StorageDescriptor") or {}).get("Columns") or []
    keys = table_input.get("PartitionKeys") or []
    seen: set[str] = set()
    for column in [*columns, *keys]:
        lowered = column["Name"].lower()
        if lowered in seen:
            raise InvalidInputException(
                f"Column {column['Name']} is defined more than once "
                "(columns and partition keys share one namespace)."
            )
        seen.add(lowered)
    for key in keys:
        if _COMPLEX_TYPE.match(key.get("Type") or ""):
            raise InvalidInputException(
                f"Partition key {key['Name']} has type {key['Type']}; "
                "partition keys must have primitive types."
            )


def _apply_input(row: TableRow, table_input: dict[str, Any]) -> None:
    """UpdateTable replaces the definition, as in Glue: fields left out become unset."""
    row.description = table_input.get("Description")
    row.owner = table_input.get("Owner")
    row.table_type = table_input.get("TableType")
    row.last_access_time = table_input.get("LastAccessTime")
    row.last_analyzed_time = table_input.get("LastAnalyzedTime")
    row.storage_descriptor = table_input.get("StorageDescriptor")
    row.partition_keys = list(table_input.get("PartitionKeys") or [])
    row.parameters = dict(table_input.get("Parameters") or {})
    row.extra = {field: table_input[field] for field in _EXTRA_FIELDS if field in table_input}


def table_name_matcher(expression: str | None) -> patterns.Matcher | None:
    """Glue's GetTables Expression: a regular expression, where a ``*`` that quantifies nothing means
    "anything" (so ``sales*`` and ``*_raw|*_clean`` work as Glue users write them). Case-insensitive.
    Sized before it is compiled and matched under a time budget (``gluelab.patterns``), so a
    pathological pattern is an InvalidInputException, not a stuck server."""
    if not expression:
        return None
    what = f"Expression {expression[:100]!r}"
    patterns.check_pattern(expression, what)
    translated = re.sub(r"(?<![.)\]}\\])\*", ".*", expression)
    compiled = patterns.compile_pattern(translated, what, regex.IGNORECASE, 2 * patterns.MAX_LENGTH)
    return patterns.Matcher([compiled], "Expression")


def _version_number(version_id: str) -> int:
    try:
        number = int(version_id)
    except ValueError:
        raise InvalidInputException(f"VersionId {version_id!r} is not a version number.") from None
    if number < 0:
        raise InvalidInputException(f"VersionId {version_id!r} is not a version number.")
    return number


def _error_detail(exc: GlueError) -> dict[str, str]:
    return {"ErrorCode": exc.code, "ErrorMessage": exc.message}


def _freeze(table: dict[str, Any]) -> dict[str, Any]:
    frozen = dict(table)
    for field in _TIMESTAMP_FIELDS:
        if field in frozen:
            frozen[field] = frozen[field].isoformat()
    return frozen


def _version_shape(row: TableVersionRow) -> dict[str, Any]:
    table = dict(row.definition)
    for field in _TIMESTAMP_FIELDS:
        if field in table:
            table[field] = parse_timestamp(table[field])
    return {"Table": table, "VersionId": str(row.version_id)}
