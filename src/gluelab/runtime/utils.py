"""Glue's ``awsglue.utils``: ``getResolvedOptions`` (job arguments from the command line as Glue passes
them, ``--key value``), ``GlueArgumentError``, ``makeOptions`` and ``callsite``.

Behaviour follows aws-glue-libs (Glue 6.0), quirks included, so a script's arguments resolve the same here
and on AWS. The option lists below are the ones ``Job``'s class helpers return.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

CONTINUATION_OPTIONS = (
    "--continuation-option",
    "continuation-enabled",
    "continuation-readonly",
    "continuation-ignore",
)
JOB_BOOKMARK_OPTIONS = (
    "--job-bookmark-option",
    "job-bookmark-enable",
    "job-bookmark-pause",
    "job-bookmark-disable",
)
JOB_BOOKMARK_RANGE_OPTIONS = ("--job-bookmark-from", "--job-bookmark-to")
ID_PARAMS = ("--JOB_NAME", "--JOB_ID", "--JOB_RUN_ID", "--SECURITY_CONFIGURATION")
ENCRYPTION_TYPE_OPTIONS = ("--encryption-type", "sse-s3")
DATA_LINEAGE_OPTIONS = ("--enable-data-lineage",)
TEMP_DIRS = ("RedshiftTempDir", "TempDir")

BOOKMARK_PAUSE = JOB_BOOKMARK_OPTIONS[2]
BOOKMARK_DISABLE = JOB_BOOKMARK_OPTIONS[3]

# Every resolved argument dict of this process, merged; Relationalize reads TempDir from it.
_global_args: dict[str, Any] = {}


class GlueArgumentError(Exception):
    """A job argument is missing, malformed or not allowed."""


class GlueBookmarkRangeError(GlueArgumentError, RuntimeError):
    """``--job-bookmark-from``/``--job-bookmark-to`` misused. Also a RuntimeError, which is what
    aws-glue-libs raises here, so scripts catching either keep working."""


class GlueArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that raises GlueArgumentError instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise GlueArgumentError(message)


def _reserved(name: str) -> RuntimeError:
    return RuntimeError(f"Using reserved arguments {name}")


def getResolvedOptions(
    args: Sequence[str], options: Iterable[str], allow_abbrev: bool = False
) -> dict[str, Any]:
    """Resolve the job arguments ``options`` from ``args`` (normally ``sys.argv``; ``args[0]`` is skipped).

    Each requested name is a required ``--<name>``; its key in the result is argparse's dest (``-`` becomes
    ``_``). The bookmark, id, encryption, lineage and temp-dir arguments are always in the result (``None``
    when absent, the bookmark option defaulting to ``job-bookmark-disable``). Unknown arguments are ignored;
    prefix abbreviations are refused unless ``allow_abbrev``.
    """
    options = list(options)
    parser = GlueArgumentParser(allow_abbrev=allow_abbrev)

    for reserved in (CONTINUATION_OPTIONS[0], JOB_BOOKMARK_OPTIONS[0]):
        if reserved[2:] in options:
            raise _reserved(reserved[2:])
    parser.add_argument(JOB_BOOKMARK_OPTIONS[0], choices=JOB_BOOKMARK_OPTIONS[1:], required=False)
    parser.add_argument(CONTINUATION_OPTIONS[0], choices=CONTINUATION_OPTIONS[1:], required=False)

    for option in (*JOB_BOOKMARK_RANGE_OPTIONS, *ID_PARAMS[1:]):  # JOB_NAME is not reserved
        if option[2:] in options:
            raise _reserved(option)
        parser.add_argument(option, required=False)

    # Glue compares these two with their "--" prefix, so requesting "encryption-type" is not caught here;
    # it then fails in add_argument below as a conflicting option string (argparse.ArgumentError), as on AWS.
    if ENCRYPTION_TYPE_OPTIONS[0] in options:
        raise _reserved(ENCRYPTION_TYPE_OPTIONS[0])
    parser.add_argument(ENCRYPTION_TYPE_OPTIONS[0], choices=ENCRYPTION_TYPE_OPTIONS[1:])
    if DATA_LINEAGE_OPTIONS[0] in options:
        raise _reserved(DATA_LINEAGE_OPTIONS[0])
    parser.add_argument(DATA_LINEAGE_OPTIONS[0], required=False)

    # Temp dirs are optional even when requested.
    options = [option for option in options if option not in TEMP_DIRS]
    for temp_dir in TEMP_DIRS:
        parser.add_argument(f"--{temp_dir}", required=False)

    for option in options:
        parser.add_argument(f"--{option}", required=True)

    parsed, _unknown = parser.parse_known_args(list(args[1:]))
    resolved: dict[str, Any] = vars(parsed)

    if resolved["TempDir"] is not None:
        resolved["RedshiftTempDir"] = resolved["TempDir"]
    elif resolved["RedshiftTempDir"] is not None:
        resolved["TempDir"] = resolved["RedshiftTempDir"]

    # An explicit --job-bookmark-option wins over the legacy --continuation-option.
    continuation = resolved.pop("continuation_option", None)
    if resolved["job_bookmark_option"] is None:
        if continuation is None:
            resolved["job_bookmark_option"] = BOOKMARK_DISABLE
        else:
            resolved["job_bookmark_option"] = JOB_BOOKMARK_OPTIONS[CONTINUATION_OPTIONS.index(continuation)]

    absent = [opt for opt in JOB_BOOKMARK_RANGE_OPTIONS if resolved[opt[2:].replace("-", "_")] is None]
    if resolved["job_bookmark_option"] == BOOKMARK_PAUSE:
        if len(absent) == 1:
            raise GlueBookmarkRangeError(f"Missing option or value for {absent[0]}")
    elif not absent:
        names = " ".join(JOB_BOOKMARK_RANGE_OPTIONS)
        raise GlueBookmarkRangeError(f"Invalid option(s) {names}: a bookmark range needs {BOOKMARK_PAUSE}")

    _global_args.update(resolved)
    return resolved


def makeOptions(sc: Any, py_obj: dict[str, Any] | str) -> dict[str, Any]:
    """Options for a Glue call. On AWS this wraps the JSON in a JVM ``JsonOptions``; gluelab has no JVM
    object model, so a dict is returned unchanged and a JSON string is parsed into one. ``sc`` is unused."""
    if isinstance(py_obj, dict):
        return py_obj
    if isinstance(py_obj, str):
        return json.loads(py_obj)
    raise TypeError(f"Unexpected type {type(py_obj)} in makeOptions")


def callsite() -> str:
    """``"file:line"`` of the code that called the function calling ``callsite()`` (the user's line)."""
    try:
        frame = sys._getframe(2)
    except ValueError:  # called from the outermost frame
        return "<unknown>:0"
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
