"""The one place (for Python) that maps s3:// URIs to the warehouse directory, and back.

``s3://bucket/key`` is ``<warehouse>/bucket/key``; ``s3a://`` and ``s3n://`` are the same. A URI whose
path would leave its bucket (``..``) or the warehouse (a symbolic link pointing out of it) is refused, as is
a bucket name S3 would refuse. The key is taken literally, as Hadoop's ``Path`` and S3 take it (``%20``,
``?`` and ``#`` are characters of the name). ``file://`` URIs and absolute paths are local files, used as
they are. Spark applies the same rules through the lake's FileSystem (``lakefs``); the S3 endpoint through
``object_path``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import InvalidInputException

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


class PathEscapesWarehouse(InvalidInputException):
    pass


_S3_URI = re.compile(r"^(s3|s3a|s3n)://([^/]*)(.*)$", re.IGNORECASE | re.DOTALL)


def is_s3(uri: str) -> bool:
    return _S3_URI.match(uri) is not None


def split_s3(uri: str) -> tuple[str, str]:
    """The bucket and key of an s3:// URI, the key literal and without its leading slash."""
    match = _S3_URI.match(uri)
    if match is None:
        raise InvalidInputException(f"{uri!r} is not an s3:// location")
    return match.group(2), match.group(3).lstrip("/")


def object_path(warehouse: Path, bucket: str, key: str, uri: str | None = None) -> Path:
    """The local path of ``key`` in ``bucket``: refused (InvalidInputException, named by ``uri``) when
    the bucket name is not S3's, or the key leaves its bucket or resolves outside the warehouse."""
    name = uri or f"s3://{bucket}/{key}"
    _check_bucket(name, bucket)
    root = warehouse.resolve()
    candidate = Path(os.path.normpath(root / bucket / key))
    if not _inside(candidate, root / bucket):
        raise PathEscapesWarehouse(f"{name!r} leaves its bucket ('..'); refused.")
    check_inside(candidate, warehouse, name)
    return candidate


def to_local(uri: str, warehouse: Path) -> Path:
    """The local path of an s3://, file:// or absolute location."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        return object_path(warehouse, bucket, key, uri)
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return Path(unquote(parts.path))
    if scheme == "" and uri.startswith("/"):
        return Path(uri)
    raise InvalidInputException(
        f"{uri!r} is not a location gluelab can read: "
        "use s3://bucket/key (the warehouse), file:///path or /path."
    )


def check_location(uri: str, what: str) -> None:
    """Refuse (InvalidInputException naming ``what``) a location the rule above does not give a place to
    without a warehouse at hand: a relative path (it would mean whatever directory a process happens to
    run in), an unknown scheme, a bad bucket name or a key leaving its bucket."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        _check_bucket(uri, bucket)
        if not _inside(Path(os.path.normpath(Path("/", bucket, key))), Path("/", bucket)):
            raise PathEscapesWarehouse(f"{what} {uri!r} leaves its bucket ('..'); refused.")
        return
    scheme = urlsplit(uri).scheme.lower() if "://" in uri else ""
    if scheme == "file" or (scheme == "" and uri.startswith("/")):
        return
    kind = "a relative path" if scheme == "" else f"a {scheme}:// location"
    raise InvalidInputException(
        f"{what} {uri!r} is {kind}: a location is s3://bucket/key (the warehouse), file:///path or /path "
        "(a relative path is refused, as it would depend on the server's working directory)."
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


def is_bucket_name(name: str) -> bool:
    try:
        _check_bucket(name, name)
    except InvalidInputException:
        return False
    return True


def to_s3(path: Path, warehouse: Path) -> str | None:
    """The s3:// URI of a local path inside the warehouse, or None if it is outside (or in a folder of the
    warehouse that is not a bucket, such as gluelab's own)."""
    root = warehouse.resolve()
    path = Path(os.path.normpath(path))
    if not _inside(path, root) or path == root:
        return None
    relative = path.relative_to(root).as_posix()
    if not is_bucket_name(relative.split("/", 1)[0]):
        return None
    return "s3://" + relative


def local_uri(path: Path) -> str:
    """A local path as Hadoop takes it: ``file://`` and the path as is (Path.as_uri would percent-encode
    ``=`` in Hive partition folders, which Hadoop then takes literally)."""
    return "file://" + str(path)


_GLOB_CHARS = re.compile(r"([\\{}\[\]*?])")


def literal(spark_uri: str) -> str:
    """A Spark path meaning this one file: Spark takes read paths as glob patterns, so a name holding
    ``[``, ``{``, ``*`` or ``?`` is escaped to mean itself."""
    return _GLOB_CHARS.sub(r"\\\1", spark_uri)


def spark_uri(path: Path, warehouse: Path) -> str:
    """How Spark names a local file or folder: ``s3://bucket/key`` inside the warehouse (the lake's
    FileSystem reads it there, and Spark reports it so), ``file://`` elsewhere."""
    return to_s3(path, warehouse) or local_uri(path)


def spark_path(uri: str, warehouse: Path) -> str:
    """What to give Spark for a location a user named: an ``s3://`` (``s3a``, ``s3n``) URI as it is, once
    checked by the same rules the lake's FileSystem applies (so the error is gluelab's, before Spark
    starts); a local one as a ``file://`` URI (keeps a trailing slash)."""
    local = to_local(uri, warehouse)
    if is_s3(uri):
        return uri
    text = local_uri(local)
    return text + "/" if uri.endswith("/") and not text.endswith("/") else text


def reported(spark_file_path: str) -> str:
    """A path as Spark reports it (``_metadata.file_path`` once URL-decoded) in the form ``spark_uri``
    gives without ``file://``: local files are plain paths, lake files ``s3://bucket/key``."""
    return re.sub(r"^file:(//)?", "", spark_file_path)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
