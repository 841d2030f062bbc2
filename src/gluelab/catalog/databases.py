"""Catalog databases: CreateDatabase, GetDatabase(s), UpdateDatabase, DeleteDatabase."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..errors import AlreadyExistsException, InvalidInputException
from ..operations import glue_operation
from ..pagination import decode_token, encode_token, page_size
from ..store.models import DatabaseRow
from .common import CatalogBase, compact, folded_name, utcnow

# What Glue gives a database created without explicit Lake Formation permissions.
DEFAULT_TABLE_PERMISSIONS = [
    {"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}
]
_EXTRA_FIELDS = ("CreateTableDefaultPermissions", "TargetDatabase", "FederatedDatabase")


class DatabaseOperations(CatalogBase):
    @glue_operation("CreateDatabase")
    def create_database(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        db_input = request["DatabaseInput"]
        name = folded_name(db_input["Name"], "database")
        try:
            with self.store.write() as session:
                if self._find_database(session, name) is not None:
                    raise AlreadyExistsException(f"Database {name} already exists.")
                row = DatabaseRow(
                    catalog_id=self.catalog_id,
                    name=name,
                    create_time=utcnow(),
                    tags=request.get("Tags") or {},
                )
                _apply_input(row, db_input)
                row.extra.setdefault("CreateTableDefaultPermissions", DEFAULT_TABLE_PERMISSIONS)
                session.add(row)
        except IntegrityError:  # a concurrent CreateDatabase won the race, or something else is wrong
            with self.store.read() as session:
                if self._find_database(session, name) is not None:
                    raise AlreadyExistsException(f"Database {name} already exists.") from None
            raise
        return {}

    @glue_operation("GetDatabase")
    def get_database(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        with self.store.read() as session:
            return {"Database": self._database_shape(self._database(session, request["Name"]))}

    @glue_operation("GetDatabases")
    def get_databases(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        if request.get("ResourceShareType") == "FOREIGN":  # nothing is shared with a local catalog
            return {"DatabaseList": []}
        scope = "GetDatabases"
        after = decode_token(request.get("NextToken"), scope)
        limit = page_size(request.get("MaxResults"), 100)
        query = (
            select(DatabaseRow).where(DatabaseRow.catalog_id == self.catalog_id).order_by(DatabaseRow.name)
        )
        if after is not None:
            query = query.where(DatabaseRow.name > after)
        with self.store.read() as session:
            rows = session.scalars(query.limit(limit + 1)).all()
        attributes = request.get("AttributesToGet")
        result: dict[str, Any] = {
            "DatabaseList": [self._database_shape(row, attributes) for row in rows[:limit]]
        }
        if len(rows) > limit:
            result["NextToken"] = encode_token(scope, rows[limit - 1].name)
        return result

    @glue_operation("UpdateDatabase")
    def update_database(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        db_input = request["DatabaseInput"]
        if db_input["Name"].lower() != request["Name"].lower():
            raise InvalidInputException(
                "Renaming a database is not supported: DatabaseInput.Name must equal Name."
            )
        with self.store.write() as session:
            row = self._database(session, request["Name"])
            _apply_input(row, db_input)
        return {}

    @glue_operation("DeleteDatabase")
    def delete_database(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        with self.store.write() as session:
            row = self._database(session, request["Name"])
            # Tables, their versions and partitions go with it (ON DELETE CASCADE), in this transaction.
            session.execute(delete(DatabaseRow).where(DatabaseRow.id == row.id))
        return {}

    def _database_shape(self, row: DatabaseRow, attributes: list[str] | None = None) -> dict[str, Any]:
        if attributes and "NAME" in attributes and len(attributes) <= 2:
            wanted = {"Name": row.name, "CatalogId": row.catalog_id}
            if "TARGET_DATABASE" in attributes:
                wanted["TargetDatabase"] = row.extra.get("TargetDatabase")
            return compact(wanted)
        return compact(
            {
                "Name": row.name,
                "Description": row.description,
                "LocationUri": row.location_uri,
                "Parameters": row.parameters or {},
                "CreateTime": row.create_time,
                **{field: row.extra.get(field) for field in _EXTRA_FIELDS},
                "CatalogId": row.catalog_id,
            }
        )


def _apply_input(row: DatabaseRow, db_input: dict[str, Any]) -> None:
    """UpdateDatabase replaces the whole definition, as in Glue: fields left out become unset."""
    row.description = db_input.get("Description")
    row.location_uri = db_input.get("LocationUri")
    row.parameters = dict(db_input.get("Parameters") or {})
    row.extra = {field: db_input[field] for field in _EXTRA_FIELDS if field in db_input}
