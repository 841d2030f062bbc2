"""Catalog partitions: Create/Get/Update/Delete Partition, the Batch* forms, and GetPartitions with
Glue's Expression, Segment and pagination."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session, aliased

from ..errors import AlreadyExistsException, EntityNotFoundException, GlueError, InvalidInputException
from ..operations import glue_operation
from ..pagination import decode_token, encode_token, page_size
from ..store.models import PartitionRow, PartitionValueRow, TableRow
from .common import CatalogBase, compact, utcnow
from .expression import compile_expression, number_value


def values_hash(values: list[str]) -> str:
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()


class PartitionOperations(CatalogBase):
    @glue_operation("CreatePartition")
    def create_partition(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        with self.store.write() as session:
            table = self._locked_table(session, request["DatabaseName"], request["TableName"])
            _touch(session, table)
            self._insert(session, table, request["PartitionInput"])
        return {}

    @glue_operation("BatchCreatePartition")
    def batch_create_partition(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        errors = []
        with self.store.write() as session:
            table = self._locked_table(session, request["DatabaseName"], request["TableName"])
            for partition_input in request["PartitionInputList"]:
                try:
                    with session.begin_nested():
                        self._insert(session, table, partition_input)
                except GlueError as exc:
                    errors.append(_partition_error(partition_input.get("Values"), exc))
            if len(errors) < len(request["PartitionInputList"]):  # a batch that changed nothing: no touch
                _touch(session, table)
        return {"Errors": errors}

    @glue_operation("GetPartition")
    def get_partition(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        with self.store.read() as session:
            table = self._table(session, request["DatabaseName"], request["TableName"])
            row = self._partition(session, table, request["PartitionValues"])
            return {"Partition": self._partition_shape(row, table)}

    @glue_operation("BatchGetPartition")
    def batch_get_partition(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        with self.store.read() as session:
            table = self._table(session, request["DatabaseName"], request["TableName"])
            hashes = [values_hash(item["Values"]) for item in request["PartitionsToGet"]]
            rows = (
                session.scalars(
                    select(PartitionRow).where(
                        PartitionRow.table_id == table.id, PartitionRow.values_hash.in_(hashes)
                    )
                ).all()
                if hashes
                else []
            )
            by_hash = {row.values_hash: row for row in rows}
            found = [by_hash[h] for h in dict.fromkeys(hashes) if h in by_hash]
            return {"Partitions": [self._partition_shape(row, table) for row in found], "UnprocessedKeys": []}

    @glue_operation("GetPartitions")
    def get_partitions(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        self._reject_unsupported(request, "TransactionId", "QueryAsOfTime")
        limit = page_size(request.get("MaxResults"), 1000)
        with self.store.read() as session:
            table = self._table(session, request["DatabaseName"], request["TableName"])
            scope = f"GetPartitions/{table.id}"
            after = decode_token(request.get("NextToken"), scope, int)
            query = select(PartitionRow).where(PartitionRow.table_id == table.id)
            expression = (request.get("Expression") or "").strip()
            if expression:
                query = _filtered(query, expression, table.partition_keys or [])
            segment = request.get("Segment")
            if segment:
                number, total = segment["SegmentNumber"], segment["TotalSegments"]
                if number >= total:
                    raise InvalidInputException(
                        f"SegmentNumber {number} must be less than TotalSegments {total}."
                    )
                query = query.where(PartitionRow.id % total == number)
            if after is not None:
                query = query.where(PartitionRow.id > after)
            rows = session.scalars(query.order_by(PartitionRow.id).limit(limit + 1)).all()
            exclude_columns = bool(request.get("ExcludeColumnSchema"))
            result: dict[str, Any] = {
                "Partitions": [self._partition_shape(row, table, exclude_columns) for row in rows[:limit]]
            }
        if len(rows) > limit:
            result["NextToken"] = encode_token(scope, rows[limit - 1].id)
        return result

    @glue_operation("UpdatePartition")
    def update_partition(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        with self.store.write() as session:
            table = self._locked_table(session, request["DatabaseName"], request["TableName"])
            _touch(session, table)
            self._update(session, table, request["PartitionValueList"], request["PartitionInput"])
        return {}

    @glue_operation("BatchUpdatePartition")
    def batch_update_partition(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        errors = []
        with self.store.write() as session:
            table = self._locked_table(session, request["DatabaseName"], request["TableName"])
            for entry in request["Entries"]:
                try:
                    with session.begin_nested():
                        self._update(session, table, entry["PartitionValueList"], entry["PartitionInput"])
                except GlueError as exc:
                    errors.append(_partition_error(entry["PartitionValueList"], exc))
            if len(errors) < len(request["Entries"]):
                _touch(session, table)
        return {"Errors": errors}

    @glue_operation("DeletePartition")
    def delete_partition(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        with self.store.write() as session:
            table = self._locked_table(session, request["DatabaseName"], request["TableName"])
            _touch(session, table)
            row = self._partition(session, table, request["PartitionValues"])
            session.execute(delete(PartitionRow).where(PartitionRow.id == row.id))
        return {}

    @glue_operation("BatchDeletePartition")
    def batch_delete_partition(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        errors = []
        with self.store.write() as session:
            table = self._locked_table(session, request["DatabaseName"], request["TableName"])
            for item in request["PartitionsToDelete"]:
                try:
                    row = self._partition(session, table, item["Values"])
                except GlueError as exc:
                    errors.append(_partition_error(item["Values"], exc))
                    continue
                session.execute(delete(PartitionRow).where(PartitionRow.id == row.id))
            if len(errors) < len(request["PartitionsToDelete"]):
                _touch(session, table)
        return {"Errors": errors}

    # -- helpers --------------------------------------------------------------------------
    def _insert(self, session: Session, table: TableRow, partition_input: dict[str, Any]) -> PartitionRow:
        values = self._check_values(table, partition_input.get("Values"))
        digest = values_hash(values)
        if session.scalar(
            select(PartitionRow.id).where(
                PartitionRow.table_id == table.id, PartitionRow.values_hash == digest
            )
        ):
            raise AlreadyExistsException(f"Partition {values} already exists in table {table.name}.")
        row = PartitionRow(table_id=table.id, values=values, values_hash=digest, creation_time=utcnow())
        _apply_input(row, partition_input)
        row.key_values = [
            PartitionValueRow(position=i, table_id=table.id, string_value=v, number_value=number_value(v))
            for i, v in enumerate(values)
        ]
        session.add(row)
        session.flush()
        return row

    def _update(
        self, session: Session, table: TableRow, current: list[str], partition_input: dict[str, Any]
    ) -> None:
        row = self._partition(session, table, current)
        new_values = self._check_values(table, partition_input.get("Values") or current)
        digest = values_hash(new_values)
        if digest != row.values_hash:
            if session.scalar(
                select(PartitionRow.id).where(
                    PartitionRow.table_id == table.id, PartitionRow.values_hash == digest
                )
            ):
                raise AlreadyExistsException(f"Partition {new_values} already exists in table {table.name}.")
            row.values, row.values_hash = new_values, digest
            for key_value, value in zip(row.key_values, new_values, strict=True):
                key_value.string_value, key_value.number_value = value, number_value(value)
        _apply_input(row, partition_input)
        session.flush()

    def _check_values(self, table: TableRow, values: list[str] | None) -> list[str]:
        keys = table.partition_keys or []
        if not keys:
            raise InvalidInputException(f"Table {table.name} has no partition keys, so it has no partitions.")
        if values is None or len(values) != len(keys):
            raise InvalidInputException(
                f"Table {table.name} is partitioned by {len(keys)} key(s) "
                f"({', '.join(k['Name'] for k in keys)}); {len(values or [])} value(s) given."
            )
        return list(values)

    def _partition(self, session: Session, table: TableRow, values: list[str]) -> PartitionRow:
        row = session.scalar(
            select(PartitionRow).where(
                PartitionRow.table_id == table.id, PartitionRow.values_hash == values_hash(list(values))
            )
        )
        if row is None:
            raise EntityNotFoundException(f"Partition {list(values)} not found in table {table.name}.")
        return row

    def _partition_shape(
        self, row: PartitionRow, table: TableRow, exclude_columns: bool = False
    ) -> dict[str, Any]:
        descriptor = row.storage_descriptor
        if exclude_columns and descriptor:
            descriptor = {k: v for k, v in descriptor.items() if k != "Columns"}
        return compact(
            {
                "Values": row.values,
                "DatabaseName": table.database.name,
                "TableName": table.name,
                "CreationTime": row.creation_time,
                "LastAccessTime": row.last_access_time,
                "StorageDescriptor": descriptor,
                "Parameters": row.parameters or {},
                "LastAnalyzedTime": row.last_analyzed_time,
                "CatalogId": self.catalog_id,
            }
        )


def _filtered(query, expression: str, partition_keys: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    aliases: dict[int, Any] = {}

    def columns_for(position: int) -> tuple[Any, Any]:
        if position not in aliases:
            aliases[position] = aliased(PartitionValueRow, name=f"pv{position}")
        alias = aliases[position]
        return alias.string_value, alias.number_value

    condition = compile_expression(expression, partition_keys, columns_for)
    for position, alias in sorted(aliases.items()):
        # table_id leads both value indexes: without it PostgreSQL scans every table's values.
        query = query.join(
            alias,
            and_(
                alias.partition_id == PartitionRow.id,
                alias.table_id == PartitionRow.table_id,
                alias.position == position,
            ),
        )
    return query.where(condition)


def _apply_input(row: PartitionRow, partition_input: dict[str, Any]) -> None:
    row.storage_descriptor = partition_input.get("StorageDescriptor")
    row.parameters = dict(partition_input.get("Parameters") or {})
    row.last_access_time = partition_input.get("LastAccessTime")
    row.last_analyzed_time = partition_input.get("LastAnalyzedTime")


def _partition_error(values: list[str] | None, exc: GlueError) -> dict[str, Any]:
    return compact(
        {"PartitionValues": values, "ErrorDetail": {"ErrorCode": exc.code, "ErrorMessage": exc.message}}
    )


def _touch(session: Session, table: TableRow) -> None:
    """Count a change to the table's partitions (in SQL, so concurrent writers never lose one): Spark
    sessions compare it to know when to refresh the partitions they registered."""
    session.execute(
        update(TableRow)
        .where(TableRow.id == table.id)
        .values(partition_version=TableRow.partition_version + 1)
    )
