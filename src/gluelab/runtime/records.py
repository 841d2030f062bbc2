"""DynamicRecord: a dict with attribute access, as Glue hands records to ``map`` and ``filter`` functions;
and the conversions between Spark rows (choices as structs) and records (a choice is its one value)."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from typing import Any

from . import gluetypes as gt


class DynamicRecord(dict):
    """``rec.field`` is ``rec["field"]``; nested dicts are DynamicRecords too."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for key, value in self.items():
            self[key] = _wrap(value)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = _wrap(value)


def _wrap(value: Any) -> Any:
    if isinstance(value, dict) and not isinstance(value, DynamicRecord):
        return DynamicRecord(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


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
