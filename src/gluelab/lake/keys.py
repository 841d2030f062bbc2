"""Which bucket names and keys the lake can hold, and where they live: ``runtime.paths.object_path`` (the
mapping Spark's FileSystem applies too), with S3's errors.

A key is a path in a folder tree here, so a few keys S3 would take cannot be stored: empty segments
(``a//b``), ``.`` and ``..`` segments, NUL, a leading ``/``, and a segment over 255 bytes (the file system's
limit). Keys ending in ``/`` name folders (the zero-byte "folder" objects clients create)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidInputException
from ..runtime.paths import PathEscapesWarehouse, is_bucket_name, object_path
from .errors import AccessDenied, InvalidArgument, InvalidBucketName, KeyTooLongError

MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 255


def check_bucket(bucket: str) -> str:
    if not is_bucket_name(bucket):
        raise InvalidBucketName(
            f"The specified bucket is not valid: {bucket!r} (3-63 lower-case letters, digits, dots and "
            "hyphens, starting and ending with a letter or digit).",
            bucket,
        )
    return bucket


def check_key(key: str) -> str:
    if not key:
        raise InvalidArgument("An object key must not be empty.")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidArgument("An object key must be valid UTF-8.", key) from None
    if size > MAX_KEY_BYTES:
        raise KeyTooLongError(f"Your key is too long: {size} bytes, at most {MAX_KEY_BYTES}.", key[:64])
    if "\x00" in key:
        raise InvalidArgument("An object key must not hold a NUL character.", key)
    segments = key.split("/")
    if segments[-1] == "":
        segments = segments[:-1]  # a folder's key
    for segment in segments:
        if segment in ("", ".", ".."):
            raise InvalidArgument(
                f"The key {key!r} cannot be stored in the warehouse: empty segments ('//' or a leading "
                "'/'), '.' and '..' are not allowed.",
                key,
            )
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise KeyTooLongError(
                f"A part of the key between slashes is longer than {MAX_SEGMENT_BYTES} bytes, which the "
                "warehouse's file system cannot hold.",
                key[:64],
            )
    return key


def bucket_path(warehouse: Path, bucket: str) -> Path:
    check_bucket(bucket)
    return _mapped(warehouse, bucket, "")


def key_path(warehouse: Path, bucket: str, key: str) -> Path:
    """The local path of an object (or, for a key ending in ``/``, of a folder)."""
    check_bucket(bucket)
    check_key(key)
    return _mapped(warehouse, bucket, key)


def _mapped(warehouse: Path, bucket: str, key: str) -> Path:
    try:
        return object_path(warehouse, bucket, key)
    except PathEscapesWarehouse as exc:
        raise AccessDenied(exc.message, f"/{bucket}/{key}") from None
    except InvalidInputException as exc:
        raise InvalidArgument(exc.message, f"/{bucket}/{key}") from None
