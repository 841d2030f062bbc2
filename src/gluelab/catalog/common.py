"""What every part of the catalog service shares: the store, the catalog id, lookups that raise
Glue's errors, and the conversions between JSON columns and Glue timestamps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..errors import AccessDeniedException, EntityNotFoundException, InvalidInputException
from ..store import Store
from ..store.concurrency import lock_row
from ..store.models import DatabaseRow, TableRow


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def folded_name(name: str, what: str) -> str:
    """Glue folds database and table names to lower case; some characters grow when folded."""
    lowered = name.lower()
    if len(lowered) > 255:
        raise InvalidInputException(f"The {what} name is longer than 255 characters once lower-cased.")
    return lowered


def compact(shape: dict[str, Any]) -> dict[str, Any]:
    """Drop unset fields, as Glue's responses do."""
    return {k: v for k, v in shape.items() if v is not None}


class CatalogBase:
    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings

    @property
    def catalog_id(self) -> str:
        return self.settings.account_id

    def _check_catalog(self, request: dict[str, Any]) -> str:
        requested = request.get("CatalogId")
        if requested not in (None, self.catalog_id):
            raise AccessDeniedException(
                f"Catalog {requested} is not accessible: "
                f"this gluelab serves one Data Catalog, {self.catalog_id}."
            )
        return self.catalog_id

    @staticmethod
    def _reject_unsupported(request: dict[str, Any], *fields: str) -> None:
        for field in fields:
            if request.get(field) is not None:
                raise InvalidInputException(f"{field} is not supported by gluelab (no Lake Formation).")

    def _find_database(self, session: Session, name: str) -> DatabaseRow | None:
        return session.scalar(
            select(DatabaseRow).where(
                DatabaseRow.catalog_id == self.catalog_id, DatabaseRow.name == name.lower()
            )
        )

    def _find_table(self, session: Session, database_id: int, name: str) -> TableRow | None:
        return session.scalar(
            select(TableRow).where(TableRow.database_id == database_id, TableRow.name == name.lower())
        )

    def _database(self, session: Session, name: str) -> DatabaseRow:
        row = self._find_database(session, name)
        if row is None:
            raise EntityNotFoundException(f"Database {name.lower()} not found.")
        return row

    def _table(self, session: Session, database: str, name: str) -> TableRow:
        db = self._database(session, database)
        row = self._find_table(session, db.id, name)
        if row is None:
            raise EntityNotFoundException(f"Table {name.lower()} not found in database {db.name}.")
        return row

    def _locked_table(self, session: Session, database: str, name: str) -> TableRow:
        """``_table`` for a writer: locked until the transaction ends, so concurrent changes of one table
        (its versions, its partitions) are made one after the other."""
        row = lock_row(session, self._table(session, database, name))
        if row is None:
            raise EntityNotFoundException(f"Table {name.lower()} not found in database {database.lower()}.")
        return row
