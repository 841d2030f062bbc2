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


def gluelab_operation(
    name: str, *fields: str, optional: tuple[str, ...] = ()
) -> Callable[[Callable[[Any, Request], Response]], Callable[..., Response]]:
    """An operation of gluelab's own, beyond Glue's model (``AWSGlue.<name>`` on the same endpoint; boto3
    cannot call it, the lab and the CLI do). Its request is the string ``fields``, each required, and the
    ``optional`` ones, which the method checks itself."""

    def decorate(func: Callable[[Any, Request], Response]) -> Callable[..., Response]:
        @functools.wraps(func)
        def wrapper(self: Any, request: Request | None = None, /, **given: Any) -> Response:
            merged = {**(request or {}), **given} if isinstance(request, dict) or request is None else request
            return func(self, _check_own(name, merged, fields, optional))

        wrapper.glue_operation = name  # type: ignore[attr-defined]
        wrapper.own_operation = True  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _check_own(name: str, request: Any, fields: tuple[str, ...], optional: tuple[str, ...] = ()) -> Request:
    from .errors import InvalidInputException

    if not isinstance(request, dict):
        raise InvalidInputException(f"{name} takes a JSON object")
    unknown = sorted(set(request) - set(fields) - set(optional))
    if unknown:
        raise InvalidInputException(f"{name} does not take {', '.join(map(str, unknown))}")
    for field in fields:
        value = request.get(field)
        if not isinstance(value, str) or not 1 <= len(value) <= 255:
            raise InvalidInputException(f"{name} needs {field}, a string of 1 to 255 characters")
    return dict(request)


def is_own_operation(method: Any) -> bool:
    return bool(getattr(method, "own_operation", False))


def operations_of(service: object) -> Iterator[tuple[str, Callable[[Request], Response]]]:
    """The (operation name, bound method) pairs a service object implements."""
    for attr in dir(type(service)):
        method = getattr(type(service), attr, None)
        name = getattr(method, "glue_operation", None)
        if name:
            yield name, getattr(service, attr)
