"""AWS JSON 1.1, as Glue speaks it: ``POST /`` with ``X-Amz-Target: AWSGlue.<Action>`` and a JSON body;
answers are JSON with timestamps as epoch seconds; errors carry ``__type`` and a message."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..errors import GlueError, SerializationException, UnknownOperationException

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "AWSGlue."


def parse_target(target: str | None) -> str:
    if not target:
        raise UnknownOperationException("Missing X-Amz-Target header: expected AWSGlue.<Action>.")
    prefix, _, action = target.partition(".")
    if prefix + "." != TARGET_PREFIX or not action:
        raise UnknownOperationException(f"Unknown operation {target!r}: expected AWSGlue.<Action>.")
    return action


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
        data = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise SerializationException("The request body is not UTF-8.") from None
    except RecursionError:
        raise SerializationException("The request body is nested too deeply.") from None
    except ValueError as exc:
        raise SerializationException(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SerializationException("The request body must be a JSON object.")
    return data


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, default=_default, separators=(",", ":")).encode()


def error_payload(error: GlueError) -> dict[str, Any]:
    # "message" is what the issue and most AWS JSON services send; "Message" is the member Glue's
    # modeled exceptions declare, which botocore copies into the exception it raises.
    return {"__type": error.code, "message": error.message, "Message": error.message}
