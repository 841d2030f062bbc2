"""A failure as its user should read it: their error first (type and message), then where in their code
(their frames only: gluelab's, awsglue's, pyspark's, py4j's and the interpreter's own are left out, as is
a JVM stack trace). The full trace belongs in a log file; these are for what a person sees first (a job
run's ErrorMessage and stderr, ``gluelab run``'s output)."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

from ..errors import GlueError

_PACKAGES = ("gluelab", "awsglue", "pyspark", "py4j", "IPython", "papermill", "runpy", "typer", "click")
MAX_MESSAGE_LINES = 8


def _roots() -> tuple[str, ...]:
    import importlib.util

    roots: list[str] = []
    for name in _PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue
        origin = spec.submodule_search_locations or ([spec.origin] if spec.origin else [])
        for location in origin:
            path = Path(location)
            if path.is_absolute():
                roots.append(str(path) + os.sep if path.is_dir() else str(path))
    return tuple(roots)


_INTERNAL = _roots()


class UserCodeFailed(RuntimeError):
    """The user's code failed where gluelab ran it (a notebook's cell): its message is already the user's
    view (their error, then where), shown as it is."""


def internal(filename: str) -> bool:
    """A frame of gluelab's or of the libraries under it, or of the interpreter (``<frozen runpy>``)."""
    return filename.startswith("<frozen ") or filename.startswith(_INTERNAL)


def headline(exc: BaseException) -> str:
    """``Type: message``: the message's first lines, without a JVM stack trace."""
    if isinstance(exc, UserCodeFailed):
        return str(exc)
    if isinstance(exc, GlueError):
        name, text = exc.code, exc.message
    else:
        name, text = type(exc).__name__, str(exc)
    lines: list[str] = []
    for line in text.strip().splitlines():
        if line.strip() == "JVM stacktrace:" or line.lstrip().startswith("at ") or line.startswith("\tat "):
            break
        if line.strip():
            lines.append(line.rstrip())
        if len(lines) == MAX_MESSAGE_LINES:
            break
    return f"{name}: " + "\n".join(lines) if lines else name


def user_frames(exc: BaseException) -> traceback.StackSummary:
    """The frames of ``exc``'s traceback in the user's own code, outermost first."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not internal(f.filename)]
    return traceback.StackSummary.from_list(frames)


def _where(exc: BaseException, innermost_only: bool) -> list[str]:
    if isinstance(exc, SyntaxError) and exc.filename:
        return traceback.format_exception_only(type(exc), exc)[:-1]  # File, the line, the caret
    frames = user_frames(exc)
    if innermost_only:
        frames = traceback.StackSummary.from_list(frames[-1:])
    return frames.format()


def _title(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:  # the message names the file and line
        return f"{type(exc).__name__}: {exc.msg} ({Path(exc.filename).name}, line {exc.lineno})"
    return headline(exc)


def shown(exc: BaseException, pointer: str | None = None) -> str:
    """The user's view of ``exc``: their error, then their frames (Python's order), then ``pointer``
    (where the full trace is)."""
    text = _title(exc) + "\n" + "".join(_where(exc, False))
    return text.rstrip("\n") + (f"\n{pointer}" if pointer else "")


def summary(exc: BaseException, pointer: str | None = None) -> str:
    """Shorter, for a job run's ErrorMessage: the error and the one line of the user's code it came from."""
    text = _title(exc) + "\n" + "".join(_where(exc, True))
    return text.rstrip("\n") + (f"\n{pointer}" if pointer else "")


def full_trace(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
