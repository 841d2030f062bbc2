"""The one place that maps s3:// URIs to the warehouse directory, and back.

``s3://bucket/key`` is ``<warehouse>/bucket/key``; ``s3a://`` and ``s3n://`` are the same. A URI whose
path would leave its bucket (``..``) or the warehouse (a symbolic link pointing out of it) is refused, as is
a bucket name S3 would refuse. ``file://`` URIs and absolute paths are local files, used as they are.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import InvalidInputException

S3_SCHEMES = ("s3", "s3a", "s3n")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


class PathEscapesWarehouse(InvalidInputException):
    pass


def is_s3(uri: str) -> bool:
    return urlsplit(uri).scheme.lower() in S3_SCHEMES


def to_local(uri: str, warehouse: Path) -> Path:
    """The local path of an s3://, file:// or absolute location."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme in S3_SCHEMES:
        bucket = parts.netloc
        _check_bucket(uri, bucket)
        key = unquote(parts.path).lstrip("/")
        root = warehouse.resolve()
        candidate = Path(os.path.normpath(root / bucket / key))
        if not _inside(candidate, root / bucket):
            raise PathEscapesWarehouse(f"{uri!r} leaves its bucket ('..'); refused.")
        check_inside(candidate, warehouse, uri)
        return candidate
    if scheme == "file":
        return Path(unquote(parts.path))
    if scheme == "" and uri.startswith("/"):
        return Path(uri)
    raise InvalidInputException(
        f"{uri!r} is not a location gluelab can read: "
        "use s3://bucket/key (the warehouse), file:///path or /path."
    )


def _check_bucket(uri: str, bucket: str) -> None:
    """S3's bucket naming rules (3-63 lower-case letters, digits, dots, hyphens; no '..', no IP address)."""
    if (
        not _BUCKET.match(bucket)
        or ".." in bucket
        or _IP_ADDRESS.match(bucket)
        or bucket.startswith("xn--")
        or bucket.endswith(("-s3alias", "--ol-s3"))
    ):
        raise InvalidInputException(f"{uri!r}: {bucket!r} is not a valid S3 bucket name.")


def check_inside(path: Path, warehouse: Path, uri: str) -> None:
    """Refuse ``path`` (named ``uri``) when it resolves, through symbolic links, outside the warehouse."""
    root = warehouse.resolve()
    if not _inside(path.resolve(), root):
        raise PathEscapesWarehouse(f"{uri!r} points outside the warehouse ({root}); refused.")


def to_s3(path: Path, warehouse: Path) -> str | None:
    """The s3:// URI of a local path inside the warehouse, or None if it is outside."""
    root = warehouse.resolve()
    path = Path(os.path.normpath(path))
    if not _inside(path, root) or path == root:
        return None
    relative = path.relative_to(root).as_posix()
    return "s3://" + relative


def local_uri(path: Path) -> str:
    """A local path as Hadoop takes it: ``file://`` and the path as is (Path.as_uri would percent-encode
    ``=`` in Hive partition folders, which Hadoop then takes literally)."""
    return "file://" + str(path)


_GLOB_CHARS = re.compile(r"([\\{}\[\]*?])")


def literal_uri(path: Path) -> str:
    """``local_uri`` for reading one existing file: Spark takes read paths as glob patterns, so a name
    holding ``[``, ``{``, ``*`` or ``?`` is escaped to mean itself."""
    return _GLOB_CHARS.sub(r"\\\1", local_uri(path))


def local_path(uri: str) -> Path:
    """The local path of a ``literal_uri``."""
    return Path(re.sub(r"\\(.)", r"\1", uri.removeprefix("file://")))


def spark_path(uri: str, warehouse: Path) -> str:
    """What to give Spark for a location: its local path as a file:// URI (keeps a trailing slash)."""
    text = local_uri(to_local(uri, warehouse))
    return text + "/" if uri.endswith("/") and not text.endswith("/") else text


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
