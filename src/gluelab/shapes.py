"""Glue's request shapes, read from botocore's model of the Glue API, and validation against them.

Every field name, type, enum, length bound and pattern a boto3 client knows is enforced here, for every
face (API, CLI, widgets), so a request the real service would reject is rejected the same way.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import math
import re
from typing import Any

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

from .errors import InvalidInputException

MAX_ERRORS_REPORTED = 5


@functools.cache
def glue_model() -> ServiceModel:
    return ServiceModel(Loader().load_service_model("glue", "service-2"), service_name="glue")


def operation_model(name: str) -> OperationModel:
    return glue_model().operation_model(name)


def has_operation(name: str) -> bool:
    return name in glue_model().operation_names


# -- Java regular expressions (as the model writes them) to Python ---------------------------
_SURROGATE_PAIR_RANGE = r"\uD800\uDC00-\uDBFF\uDFFF"  # Java's spelling of "any supplementary character"


@functools.cache
def _compile_pattern(pattern: str) -> re.Pattern[str] | None:
    translated = pattern.replace(_SURROGATE_PAIR_RANGE, r"\U00010000-\U0010FFFF")
    try:
        return re.compile(translated, re.DOTALL)
    except re.error:
        return None  # constructs Python lacks (\p{L}); the length and type checks still apply


# -- validation ---------------------------------------------------------------------------
class _Validator:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, value: Any, constraint: str) -> None:
        shown = "null" if value is None else _short_repr(value)
        self.errors.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")

    def check(self, shape: Shape, value: Any, path: str) -> Any:
        kind = shape.type_name
        handler = getattr(self, "_" + kind, None)
        if handler is None:  # 'document' and anything newer: accept JSON as it is
            return value
        return handler(shape, value, path)

    def _structure(self, shape: Shape, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            self.fail(path, value, "Member must be a structure (JSON object)")
            return value
        out: dict[str, Any] = {}
        members = shape.members
        for name in value:
            if name not in members:
                self.errors.append(
                    f"Unknown parameter '{_join(path, name)}'; valid parameters are: " + ", ".join(members)
                )
        for name, member in members.items():
            if name not in value or value[name] is None:
                if name in shape.required_members:
                    self.fail(_join(path, name), None, "Member must not be null")
                continue
            out[name] = self.check(member, value[name], _join(path, name))
        return out

    def _list(self, shape: Shape, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            self.fail(path, value, "Member must be a list")
            return value
        self._length(shape, len(value), value, path, "have length")
        return [self.check(shape.member, item, f"{path}.{i + 1}.member") for i, item in enumerate(value)]

    def _map(self, shape: Shape, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            self.fail(path, value, "Member must be a map (JSON object)")
            return value
        self._length(shape, len(value), value, path, "have length")
        out = {}
        for key, item in value.items():
            self.check(shape.key, key, f"{path}.key")
            out[key] = self.check(shape.value, item, f"{path}.{key}")
        return out

    def _string(self, shape: Shape, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            self.fail(path, value, "Member must be a string")
            return value
        # Neither can be stored (PostgreSQL text refuses NUL; UTF-8 has no lone surrogates), on any backend.
        if "\x00" in value:
            self.fail(path, value, "Member must not contain NUL characters")
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.fail(path, value, "Member must be valid Unicode (it contains a lone surrogate)")
            return value
        if shape.enum and value not in shape.enum:
            self.fail(path, value, "Member must satisfy enum value set: [" + ", ".join(shape.enum) + "]")
            return value
        self._length(shape, len(value), value, path, "have length")
        pattern = shape.metadata.get("pattern")
        if pattern and value:
            compiled = _compile_pattern(pattern)
            if compiled is not None and not compiled.fullmatch(value):
                self.fail(path, value, f"Member must satisfy regular expression pattern: {pattern}")
        return value

    def _integer(self, shape: Shape, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, value, "Member must be an integer")
            return value
        self._length(shape, value, value, path, "have value")
        return value

    _long = _integer

    def _double(self, shape: Shape, value: Any, path: str) -> Any:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not math.isfinite(value))
        ):
            self.fail(path, value, "Member must be a number")
            return value
        self._length(shape, value, value, path, "have value")
        return value

    _float = _double

    def _boolean(self, shape: Shape, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            self.fail(path, value, "Member must be a boolean")
        return value

    def _timestamp(self, shape: Shape, value: Any, path: str) -> Any:
        parsed = parse_timestamp(value)
        if parsed is None:
            self.fail(path, value, "Member must be a timestamp (epoch seconds or ISO 8601)")
            return value
        return parsed

    def _blob(self, shape: Shape, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            self.fail(path, value, "Member must be base64-encoded binary data")
            return value
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            self.fail(path, value, "Member must be base64-encoded binary data")
        return value

    def _length(self, shape: Shape, size: float, value: Any, path: str, what: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and size < low:
            self.fail(path, value, f"Member must {what} greater than or equal to {low}")
        if high is not None and size > high:
            self.fail(path, value, f"Member must {what} less than or equal to {high}")


def validate_request(operation: str, request: Any) -> dict[str, Any]:
    """Check ``request`` against the operation's input shape; return a normalised copy
    (timestamps as aware datetimes). Raises InvalidInputException listing what is wrong."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return {}
    validator = _Validator()
    checked = validator.check(shape, request, "")
    if validator.errors:
        n = len(validator.errors)
        shown = "; ".join(validator.errors[:MAX_ERRORS_REPORTED])
        more = f" (and {n - MAX_ERRORS_REPORTED} more)" if n > MAX_ERRORS_REPORTED else ""
        raise InvalidInputException(f"{n} validation error{'s' if n > 1 else ''} detected: {shown}{more}")
    return checked


def parse_timestamp(value: Any) -> dt.datetime | None:
    """A UTC datetime from epoch seconds or ISO 8601; None if it is neither, or not in years 1-9999 UTC."""
    parsed: dt.datetime
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, bool):
        return None
    elif isinstance(value, int | float):
        if not (0 <= value < 253402300800):  # up to year 9999; also false for NaN and huge ints
            return None
        return dt.datetime.fromtimestamp(value, dt.UTC)
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+00:30 is before year 1 in UTC
        return None


def _join(path: str, name: str) -> str:
    name = name[:1].lower() + name[1:]
    return f"{path}.{name}" if path else name


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
