"""Opaque NextToken values for keyset pagination: the last key seen, bound to the listing it came from."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .errors import InvalidInputException


def encode_token(scope: str, last_key: Any) -> str:
    raw = json.dumps({"s": scope, "k": last_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None, scope: str) -> Any:
    """The last key of the previous page, or None for the first page."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(data, dict) and data.get("s") == scope and "k" in data:
            return data["k"]
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    raise InvalidInputException("The NextToken is invalid or belongs to another listing.")


def page_size(requested: int | None, default: int) -> int:
    return requested if requested is not None else default
