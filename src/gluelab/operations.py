"""Marks service methods as implementations of Glue operations.

A service method decorated with ``@glue_operation("CreateDatabase")`` takes the Glue request (a dict, or
keyword arguments with Glue's field names), receives it validated against Glue's input shape, and returns
the Glue response as a dict. The API dispatcher finds these methods by their ``glue_operation`` attribute,
so the mapping from action name to code exists only here, on the method itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from . import shapes

Request = dict[str, Any]
Response = dict[str, Any]


def glue_operation(name: str) -> Callable[[Callable[[Any, Request], Response]], Callable[..., Response]]:
    """(The model is loaded on first call, not at import; a test checks every name exists in it.)"""

    def decorate(func: Callable[[Any, Request], Response]) -> Callable[..., Response]:
        @functools.wraps(func)
        def wrapper(self: Any, request: Request | None = None, /, **fields: Any) -> Response:
            merged = dict(request or {}) if isinstance(request, dict) or request is None else request
            if isinstance(merged, dict):
                merged.update(fields)
            return func(self, shapes.validate_request(name, merged))

        wrapper.glue_operation = name  # type: ignore[attr-defined]
        return wrapper

    return decorate


def operations_of(service: object) -> Iterator[tuple[str, Callable[[Request], Response]]]:
    """The (operation name, bound method) pairs a service object implements."""
    for attr in dir(type(service)):
        method = getattr(type(service), attr, None)
        name = getattr(method, "glue_operation", None)
        if name:
            yield name, getattr(service, attr)
