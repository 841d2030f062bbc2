"""Catalog connections: Create/Get/Update/Delete Connection, GetConnections, BatchDeleteConnection.

Passwords are secrets: every response hides them unless the caller sets ``HidePassword`` to false.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import AlreadyExistsException, EntityNotFoundException, GlueError, InvalidInputException
from ..operations import glue_operation
from ..pagination import decode_token, encode_token, page_size
from ..store.models import ConnectionRow
from .common import CatalogBase, compact, utcnow

_EXTRA_FIELDS = (
    "SparkProperties",
    "AthenaProperties",
    "PythonProperties",
    "AuthenticationConfiguration",
    "ValidateCredentials",
    "ValidateForComputeEnvironments",
)
_JDBC_URL = re.compile(r"^jdbc:[a-z0-9]+(:[a-z0-9]+)?:.+", re.IGNORECASE)
_OUTPUT_AUTH_FIELDS = ("AuthenticationType", "SecretArn", "KmsKeyArn", "OAuth2Properties")


def _is_secret(key: str) -> bool:
    upper = key.upper()
    return "PASSWORD" in upper or ("SECRET" in upper and upper != "SECRET_ID")


def validate_connection_input(connection: dict[str, Any]) -> None:
    """Glue's per-type rules for ConnectionProperties (see the reference, section 9)."""
    kind = connection["ConnectionType"]
    props = connection.get("ConnectionProperties") or {}
    auth = connection.get("AuthenticationConfiguration")

    def need(*keys: str) -> None:
        missing = [k for k in keys if not props.get(k)]
        if missing:
            raise InvalidInputException(
                f"A {kind} connection needs ConnectionProperties {', '.join(missing)}."
            )

    if kind == "SFTP":
        raise InvalidInputException("SFTP connections are not supported (nor are they by AWS Glue).")
    if kind == "JDBC":
        if not props.get("JDBC_CONNECTION_URL") and not all(
            props.get(k) for k in ("HOST", "PORT", "JDBC_ENGINE")
        ):
            raise InvalidInputException(
                "A JDBC connection needs JDBC_CONNECTION_URL, or HOST, PORT and JDBC_ENGINE."
            )
        url = props.get("JDBC_CONNECTION_URL")
        if url and not _JDBC_URL.match(url):
            raise InvalidInputException(
                f"JDBC_CONNECTION_URL {url!r} is not a JDBC URL (e.g. jdbc:postgresql://host:5432/db)."
            )
        has_basic = props.get("USERNAME") and props.get("PASSWORD")
        if not (has_basic or props.get("SECRET_ID") or auth):
            raise InvalidInputException(
                "A JDBC connection needs USERNAME and PASSWORD, SECRET_ID, or an AuthenticationConfiguration."
            )
    elif kind == "KAFKA":
        need("KAFKA_BOOTSTRAP_SERVERS")
    elif kind == "MONGODB":
        need("CONNECTION_URL")
    elif kind == "NETWORK":
        if not connection.get("PhysicalConnectionRequirements"):
            raise InvalidInputException("A NETWORK connection needs PhysicalConnectionRequirements.")
    elif kind in ("MARKETPLACE", "CUSTOM"):
        need("CONNECTOR_TYPE", "CONNECTOR_URL", "CONNECTOR_CLASS_NAME")
    if props.get("PORT") and not str(props["PORT"]).isdigit():
        raise InvalidInputException(f"PORT must be a number, not {props['PORT']!r}.")


class ConnectionOperations(CatalogBase):
    @glue_operation("CreateConnection")
    def create_connection(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        connection = request["ConnectionInput"]
        validate_connection_input(connection)
        name = connection["Name"]
        try:
            with self.store.write() as session:
                if self._find(session, name) is not None:
                    raise AlreadyExistsException(f"Connection {name} already exists.")
                now = utcnow()
                row = ConnectionRow(
                    catalog_id=self.catalog_id,
                    name=name,
                    creation_time=now,
                    last_updated_time=now,
                    status="READY",
                    tags=request.get("Tags") or {},
                )
                _apply_input(row, connection)
                session.add(row)
        except IntegrityError:  # a concurrent CreateConnection won the race, or something else is wrong
            with self.store.read() as session:
                if self._find(session, name) is not None:
                    raise AlreadyExistsException(f"Connection {name} already exists.") from None
            raise
        return {"CreateConnectionStatus": "READY"}

    @glue_operation("GetConnection")
    def get_connection(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        with self.store.read() as session:
            row = self._connection(session, request["Name"])
            return {"Connection": _connection_shape(row, hide=request.get("HidePassword") is not False)}

    @glue_operation("GetConnections")
    def get_connections(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        limit = page_size(request.get("MaxResults"), 100)
        scope = "GetConnections"
        after = decode_token(request.get("NextToken"), scope)
        wanted = request.get("Filter") or {}
        query = select(ConnectionRow).where(ConnectionRow.catalog_id == self.catalog_id)
        if wanted.get("ConnectionType"):
            query = query.where(ConnectionRow.connection_type == wanted["ConnectionType"])
        if after is not None:
            query = query.where(ConnectionRow.name > after)
        criteria = set(wanted.get("MatchCriteria") or [])
        version = wanted.get("ConnectionSchemaVersion")
        hide = request.get("HidePassword") is not False
        page: list[ConnectionRow] = []
        more = False
        with self.store.read() as session:
            for row in session.scalars(query.order_by(ConnectionRow.name)):
                if criteria and not criteria <= set(row.match_criteria or []):
                    continue
                if version is not None and version != 1:
                    continue
                if len(page) == limit:
                    more = True
                    break
                page.append(row)
        result: dict[str, Any] = {"ConnectionList": [_connection_shape(row, hide) for row in page]}
        if more:
            result["NextToken"] = encode_token(scope, page[-1].name)
        return result

    @glue_operation("UpdateConnection")
    def update_connection(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        connection = request["ConnectionInput"]
        validate_connection_input(connection)
        with self.store.write() as session:
            row = self._connection(session, request["Name"])
            if connection["Name"] != row.name and self._find(session, connection["Name"]) is not None:
                raise AlreadyExistsException(f"Connection {connection['Name']} already exists.")
            row.name = connection["Name"]
            _apply_input(row, connection)
            row.last_updated_time = utcnow()
        return {}

    @glue_operation("DeleteConnection")
    def delete_connection(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        with self.store.write() as session:
            row = self._connection(session, request["ConnectionName"])
            session.execute(delete(ConnectionRow).where(ConnectionRow.id == row.id))
        return {}

    @glue_operation("BatchDeleteConnection")
    def batch_delete_connection(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_catalog(request)
        succeeded, errors = [], {}
        with self.store.write() as session:
            for name in request["ConnectionNameList"]:
                try:
                    row = self._connection(session, name)
                except GlueError as exc:
                    errors[name] = {"ErrorCode": exc.code, "ErrorMessage": exc.message}
                    continue
                session.execute(delete(ConnectionRow).where(ConnectionRow.id == row.id))
                succeeded.append(name)
        return {"Succeeded": succeeded, "Errors": errors}

    def _find(self, session: Session, name: str) -> ConnectionRow | None:
        return session.scalar(
            select(ConnectionRow).where(
                ConnectionRow.catalog_id == self.catalog_id, ConnectionRow.name == name
            )
        )

    def _connection(self, session: Session, name: str) -> ConnectionRow:
        row = self._find(session, name)
        if row is None:
            raise EntityNotFoundException(f"Connection {name} not found.")
        return row

    def connection_properties(self, name: str) -> dict[str, str]:
        """The connection's properties with its password: for gluelab's own runtime, never a response."""
        with self.store.read() as session:
            return dict(self._connection(session, name).connection_properties)


def _apply_input(row: ConnectionRow, connection: dict[str, Any]) -> None:
    row.connection_type = connection["ConnectionType"]
    row.description = connection.get("Description")
    row.match_criteria = list(connection.get("MatchCriteria") or [])
    row.connection_properties = dict(connection.get("ConnectionProperties") or {})
    row.physical_connection_requirements = connection.get("PhysicalConnectionRequirements")
    row.extra = {field: connection[field] for field in _EXTRA_FIELDS if field in connection}


def _hidden(props: dict[str, Any] | None, hide: bool) -> dict[str, Any] | None:
    if props is None or not hide:
        return props
    return {k: v for k, v in props.items() if not _is_secret(k)}


def _connection_shape(row: ConnectionRow, hide: bool) -> dict[str, Any]:
    auth = row.extra.get("AuthenticationConfiguration")
    if auth is not None:  # the output shape carries no credentials, whatever HidePassword says
        auth = {k: v for k, v in auth.items() if k in _OUTPUT_AUTH_FIELDS}
        if hide and "OAuth2Properties" in auth:
            auth["OAuth2Properties"] = {
                k: v
                for k, v in auth["OAuth2Properties"].items()
                if k not in ("OAuth2Credentials", "AuthorizationCodeProperties")
            }
    return compact(
        {
            "Name": row.name,
            "Description": row.description,
            "ConnectionType": row.connection_type,
            "MatchCriteria": row.match_criteria or [],
            "ConnectionProperties": _hidden(row.connection_properties, hide),
            "SparkProperties": _hidden(row.extra.get("SparkProperties"), hide),
            "AthenaProperties": _hidden(row.extra.get("AthenaProperties"), hide),
            "PythonProperties": _hidden(row.extra.get("PythonProperties"), hide),
            "PhysicalConnectionRequirements": row.physical_connection_requirements,
            "CreationTime": row.creation_time,
            "LastUpdatedTime": row.last_updated_time,
            "LastUpdatedBy": row.last_updated_by,
            "Status": row.status,
            "AuthenticationConfiguration": auth,
            "ConnectionSchemaVersion": 1,
        }
    )
