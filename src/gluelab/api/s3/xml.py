"""S3's XML documents: the responses of the operations the endpoint serves, its error document, and the
request bodies it reads (DeleteObjects, CompleteMultipartUpload)."""

from __future__ import annotations

import datetime as dt
import re
import time
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from ...lake.errors import MalformedXML, S3Error
from ...lake.objects import Bucket, ObjectInfo

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
OWNER = {"ID": "gluelab", "DisplayName": "gluelab"}


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# Characters XML 1.0 cannot hold even escaped (keys may have them: clients list with EncodingType=url).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    text = str(value)
    if _SPECIAL.search(text) is None:  # the common case, checked once: listings write thousands
        return text
    return escape(_NOT_XML.sub("\ufffd", text))


def _element(tag: str, value: Any) -> str:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return f"<{tag}>{_text(value)}</{tag}>"
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(_element(k, v) for k, v in value.items()) + f"</{tag}>"
    if isinstance(value, list):
        return "".join(_element(tag, v) for v in value)
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{tag}>{_text(value)}</{tag}>"


def document(root: str, fields: dict[str, Any], written: str = "") -> bytes:
    """``<root>`` with ``fields`` as elements (None left out), then ``written`` (XML already made)."""
    body = "".join(_element(k, v) for k, v in fields.items() if v is not None)
    return (DECLARATION + f'<{root} xmlns="{NAMESPACE}">{body}{written}</{root}>').encode()


def error_document(error: S3Error, request_id: str) -> bytes:
    fields = {"Code": error.code, "Message": error.message}
    if error.resource:
        fields["Resource"] = error.resource
    fields.update(error.extra)
    fields["RequestId"] = request_id
    return (DECLARATION + _element("Error", fields)).encode()


def list_buckets(buckets: list[Bucket]) -> bytes:
    entries = [{"Name": b.name, "CreationDate": iso(b.created)} for b in buckets]
    return document(
        "ListAllMyBucketsResult", {"Owner": OWNER, "Buckets": {"Bucket": entries} if entries else ""}
    )


def _encoder(encoding: str | None):  # type: ignore[no-untyped-def]
    if encoding == "url":
        return lambda text: quote(text, safe="/")
    return lambda text: text


def _iso_ns(mtime_ns: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(mtime_ns // 1_000_000_000))


_OWNER = _element("Owner", OWNER)


def contents(objects: list[ObjectInfo], encode: Any, owner: bool = False) -> str:
    """The ``<Contents>`` of a listing, written directly: a page holds up to 1,000 of them."""
    parts = []
    for info in objects:
        algorithms = "".join(f"<ChecksumAlgorithm>{a.upper()}</ChecksumAlgorithm>" for a in info.checksums)
        parts.append(
            f"<Contents><Key>{_text(encode(info.key))}</Key>"
            f"<LastModified>{_iso_ns(info.mtime_ns)}</LastModified>"
            f"<ETag>&quot;{_text(info.etag)}&quot;</ETag><Size>{info.size}</Size>{algorithms}"
            f"<StorageClass>STANDARD</StorageClass>{_OWNER if owner else ''}</Contents>"
        )
    return "".join(parts)


def list_objects_v2(
    bucket: str,
    listing: Any,
    *,
    prefix: str,
    delimiter: str,
    max_keys: int,
    encoding: str | None,
    start_after: str | None,
    continuation: str | None,
    next_token: str | None,
    fetch_owner: bool,
) -> bytes:
    encode = _encoder(encoding)
    fields: dict[str, Any] = {
        "Name": bucket,
        "Prefix": encode(prefix),
        "Delimiter": encode(delimiter) if delimiter else None,
        "MaxKeys": max_keys,
        "EncodingType": encoding,
        "KeyCount": len(listing.objects) + len(listing.prefixes),
        "IsTruncated": listing.truncated,
        "ContinuationToken": continuation,
        "NextContinuationToken": next_token,
        "StartAfter": encode(start_after) if start_after else None,
        "CommonPrefixes": [{"Prefix": encode(p)} for p in listing.prefixes] or None,
    }
    return document("ListBucketResult", fields, contents(listing.objects, encode, fetch_owner))


def list_objects_v1(
    bucket: str,
    listing: Any,
    *,
    prefix: str,
    delimiter: str,
    max_keys: int,
    encoding: str | None,
    marker: str,
) -> bytes:
    encode = _encoder(encoding)
    next_marker = listing.last if listing.truncated and delimiter else None
    fields: dict[str, Any] = {
        "Name": bucket,
        "Prefix": encode(prefix),
        "Marker": encode(marker),
        "NextMarker": encode(next_marker) if next_marker else None,
        "MaxKeys": max_keys,
        "Delimiter": encode(delimiter) if delimiter else None,
        "EncodingType": encoding,
        "IsTruncated": listing.truncated,
        "CommonPrefixes": [{"Prefix": encode(p)} for p in listing.prefixes] or None,
    }
    return document("ListBucketResult", fields, contents(listing.objects, encode, owner=True))


def copy_result(root: str, info: ObjectInfo) -> bytes:
    fields: dict[str, Any] = {"LastModified": iso(info.last_modified), "ETag": f'"{info.etag}"'}
    for algorithm, value in info.checksums.items():
        fields[f"Checksum{algorithm.upper()}"] = value
    return document(root, fields)


def parse(body: bytes, root: str) -> ET.Element:
    try:
        element = ET.fromstring(body)
    except ET.ParseError as exc:
        raise MalformedXML(
            "The XML you provided was not well-formed or did not validate against our published schema "
            f"({exc})."
        ) from None
    if _local(element.tag) != root:
        raise MalformedXML(f"The XML you provided has root element {_local(element.tag)!r}, not {root!r}.")
    return element


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def text_of(element: ET.Element, name: str, default: str | None = None) -> str | None:
    found = children(element, name)
    return (found[0].text or "") if found else default
