"""Opaque NextToken values for keyset pagination: the last key seen, bound to the listing it came from."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .errors import InvalidInputException

MAX_INT_KEY = 2**31 - 1  # ids and version numbers are 32-bit integers in every backend
MAX_STR_KEY = 1024


def encode_token(scope: str, last_key: str | int) -> str:
    raw = json.dumps({"s": scope, "k": last_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _valid(key: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= MAX_INT_KEY
    if not isinstance(key, str) or len(key) > MAX_STR_KEY or "\x00" in key:
        return False
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode_token(token: str | None, scope: str, kind: type = str) -> Any:
    """The last key of the previous page (a ``kind``), or None for the first page. A token made by
    another listing, or not made by gluelab at all, is InvalidInputException."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(data, dict) and data.get("s") == scope and _valid(data.get("k"), kind):
            return data["k"]
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        pass
    raise InvalidInputException("The NextToken is invalid or belongs to another listing.")


def page_size(requested: int | None, default: int) -> int:
    return requested if requested is not None else default


def page_by_name(
    session: Any, model: Any, request: dict[str, Any], scope: str, tags: dict[str, str] | None = None
) -> tuple[list[Any], dict[str, Any]]:
    """A page of ``model`` rows (with ``name`` and ``tags`` columns) in name order after the request's
    NextToken, keeping those carrying every one of ``tags``; and the NextToken of the next page, if any."""
    from sqlalchemy import select

    limit = request.get("MaxResults") or 100
    after = decode_token(request.get("NextToken"), scope)
    query = select(model).order_by(model.name)
    if after is not None:
        query = query.where(model.name > after)
    rows = [r for r in session.scalars(query) if not tags or all(r.tags.get(k) == v for k, v in tags.items())]
    token = {"NextToken": encode_token(scope, rows[limit - 1].name)} if len(rows) > limit else {}
    return rows[:limit], token
