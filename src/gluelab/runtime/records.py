"""DynamicRecord: a dict with attribute access, as Glue hands records to ``map`` and ``filter`` functions;
and the conversions between Spark rows (choices as structs) and records (a choice is its one value)."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from collections.abc import Mapping
from typing import Any

from . import gluetypes as gt


class DynamicRecord(dict):
    """``rec.field`` is ``rec["field"]``; nested dicts are DynamicRecords too."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for key, value in self.items():
            self[key] = _wrap(value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # copy, pickle and friends probe these
        return self[name]  # as Glue's DynamicRecord: a missing field is a KeyError

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = _wrap(value)


def _wrap(value: Any) -> Any:
    if isinstance(value, dict) and not isinstance(value, DynamicRecord):
        return DynamicRecord(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class BatchRecords:
    """The rows of one Arrow batch as records, converting a column to Python values only when a record's
    field in it is first read (a Filter function usually reads one or two fields of many)."""

    def __init__(self, batch: Any, schema: gt.StructType):
        self._batch = batch
        self.names = list(batch.schema.names)
        self._types = {f.name: f.dataType for f in schema.fields}
        self._columns: dict[str, list[Any]] = {}

    def __len__(self) -> int:
        return self._batch.num_rows

    def value(self, name: str, row: int) -> Any:
        column = self._columns.get(name)
        if column is None:
            if name not in self._types:
                raise KeyError(name)
            data_type = self._types[name]
            column = self._batch.column(name).to_pylist()
            if not isinstance(data_type, gt.AtomicType) or isinstance(data_type, gt.TimestampType):
                column = [_wrap(_value(v, data_type)) for v in column]
            self._columns[name] = column
        return column[row]


class RecordView(Mapping):
    """One row of a BatchRecords, read like a DynamicRecord: ``rec["f"]``, ``rec.f``, ``rec.get("f")``;
    a null field is absent (KeyError), as in Glue. Assignments stay on the view."""

    __slots__ = ("_batch", "_columns", "_row", "_changes")

    def __init__(self, batch: BatchRecords, row: int):
        self._batch = batch
        self._columns = batch._columns  # converted columns, shared by the batch's records
        self._row = row
        self._changes: dict[str, Any] | None = None

    def move_to(self, row: int) -> None:
        self._row = row
        self._changes = None

    def __getitem__(self, key: str) -> Any:
        if self._changes is not None and key in self._changes:
            return self._changes[key]
        try:
            value = self._columns[key][self._row]  # the common case, kept to one lookup
        except KeyError:
            value = self._batch.value(key, self._row)  # first read of this column (or no such field)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        if self._changes is None:
            self._changes = {}
        self._changes[key] = value

    def __iter__(self) -> Any:
        names = list(self._batch.names) + [k for k in (self._changes or {}) if k not in self._batch.names]
        return (name for name in names if name in self)

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # copy, pickle and friends probe these
        return self[name]  # as Glue's DynamicRecord: a missing field is a KeyError

    def copy(self) -> DynamicRecord:
        return DynamicRecord({k: self[k] for k in self})

    def __repr__(self) -> str:
        return repr(dict(self.items()))


def row_to_record(row: dict[str, Any], schema: gt.StructType) -> DynamicRecord:
    """A Spark row (as a dict) to the record a user's function sees: choices collapse to their value,
    absent (null) fields are left out, as in a DynamicRecord."""
    return DynamicRecord(_struct_value(row, schema))


def _struct_value(row: dict[str, Any], schema: gt.StructType) -> dict[str, Any]:
    out = {}
    for field in schema.fields:
        value = _value(row.get(field.name), field.dataType)
        if value is not None:
            out[field.name] = value
    return out


def _value(value: Any, data_type: gt.DataType) -> Any:
    if value is None:
        return None
    if isinstance(data_type, gt.ChoiceType):
        for name, choice in data_type.choices.items():
            inner = value.get(name) if isinstance(value, dict) else None
            if inner is not None:
                return _value(inner, choice)
        return None
    if isinstance(data_type, gt.StructType):
        return _struct_value(value, data_type)
    if isinstance(data_type, gt.ArrayType):
        return [_value(v, data_type.elementType) for v in value]
    if isinstance(data_type, gt.MapType):
        items = value.items() if isinstance(value, dict) else value  # arrow gives maps as pairs
        return {k: _value(v, data_type.valueType) for k, v in items}
    if (
        isinstance(value, dt.datetime)
        and value.tzinfo is not None
        and isinstance(data_type, gt.TimestampType)
    ):
        # Arrow hands timestamps over in the session's time zone; a record holds them naive, as Spark rows do
        return value.replace(tzinfo=None)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot be stored in a DynamicRecord")


def to_json(record: Any) -> str:
    return json.dumps(record, default=_json_default, ensure_ascii=False, allow_nan=False)
