"""What the widgets share: the services of the notebook's gluelab home, and Glue errors as messages."""

from __future__ import annotations

from typing import Any

from ..config import Settings
from ..errors import GlueError


def default_services() -> Any:
    from ..services import shared_services

    return shared_services(Settings.load())


def error_text(exc: Exception) -> str:
    if isinstance(exc, GlueError):
        return f"{exc.code}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"
