"""The S3 endpoint's HTTP face: one tornado handler for S3's REST API over the lake.

Each request is authenticated from its headers before any body is read (a refused upload never reaches
the disk), then bodies stream: an object's bytes go to a temporary file through ``lake.writes`` (decoded
from ``aws-chunked`` on the way) on a worker thread, and are published by one rename; a GET streams the
file in slices from an open descriptor. Path-style (``/bucket/key``) and virtual-host
(``bucket.localhost``) addressing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import logging
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import tornado.httputil
import tornado.web

from ...lake import BucketLister, Lake, Uploads
from ...lake.checksums import ALGORITHMS, header_name
from ...lake.errors import (
    EntityTooLarge,
    InternalError,
    InvalidArgument,
    InvalidRange,
    InvalidRequest,
    MalformedXML,
    MethodNotAllowed,
    NotImplemented_,
    NotModified,
    S3Error,
)
from ...lake.keys import check_bucket, check_key
from ...lake.objects import ObjectInfo, check_conditions
from ...lake.writes import MAX_OBJECT_BYTES, ObjectWriter
from . import xml
from .auth import STREAMING, ChunkSignatures, S3Verifier, Signed
from .chunked import AwsChunkedDecoder
from .pipeline import Pipeline

log = logging.getLogger("gluelab.s3")
access_log = logging.getLogger("gluelab.access")

XML_BODY_LIMIT = 1024 * 1024
READ_SLICE = 8 * 1024 * 1024
# Sub-resources S3 has and this endpoint does not serve: a clear 501 rather than a wrong answer.
UNSUPPORTED = {
    "acl",
    "accelerate",
    "analytics",
    "attributes",
    "cors",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "tagging",
    "torrent",
    "versions",
    "website",
}


@dataclass
class S3Api:
    lake: Lake
    lister: BucketLister
    uploads: Uploads
    verifier: S3Verifier | None
    executor: ThreadPoolExecutor  # bodies: hashing and writing
    region: str


def bucket_from_host(host: str) -> str | None:
    """The bucket of a virtual-host-style request (``bucket.localhost[:port]``, ``bucket.s3.localhost``)."""
    name = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else ""
    if not name.endswith(".localhost"):
        return None
    bucket = name.removesuffix(".localhost").removesuffix(".s3")
    return bucket or None


class _S3Headers(tornado.httputil.HTTPHeaders):
    """Response headers as S3 writes them: ``x-amz-*`` in lower case (clients take user metadata names
    from ``x-amz-meta-<name>`` as sent; tornado would send ``X-Amz-Meta-Name``)."""

    def get_all(self) -> Any:
        for name, value in super().get_all():
            yield (name.lower() if name.lower().startswith("x-amz-") else name), value


@tornado.web.stream_request_body
class S3Handler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")

    def compute_etag(self) -> None:
        return None  # objects carry their own ETag; tornado's (a hash of any GET's body) would be wrong

    def set_default_headers(self) -> None:
        headers = _S3Headers()
        for name, value in self._headers.get_all():
            headers.add(name, value)
        self._headers = headers

    def initialize(self, s3: S3Api) -> None:
        self.s3 = s3
        self.request_id = uuid.uuid4().hex[:16].upper()
        self.started = time.perf_counter()
        self.bucket = ""
        self.key = ""
        self.args: dict[str, str] = {}
        self.signed: Signed | None = None
        self.writer: ObjectWriter | None = None
        self.pipeline: Pipeline | None = None
        self.decoder: AwsChunkedDecoder | None = None
        self.small_body: bytearray | None = None
        self.body_error: S3Error | None = None
        self.operation = "-"

    # -- request line, authentication, body plan ---------------------------------------------------------
    async def prepare(self) -> None:
        try:
            self._address()
            self._authenticate()
            self._plan_body()
        except S3Error as error:
            self._fail(error)

    def _address(self) -> None:
        self.args = {k: v[-1].decode("utf-8", "replace") for k, v in self.request.query_arguments.items()}
        path = self.request.path
        host_bucket = bucket_from_host(self.request.host or "")
        try:
            decoded = unquote(path, errors="strict")
        except UnicodeDecodeError:
            raise InvalidArgument("The request path is not valid UTF-8 once decoded.") from None
        if host_bucket:
            self.bucket, self.key = host_bucket, decoded.removeprefix("/")
        else:
            self.bucket, _, self.key = decoded.removeprefix("/").partition("/")

    def _authenticate(self) -> None:
        if self.s3.verifier is None:
            return
        headers: dict[str, list[str]] = {}
        for name, value in self.request.headers.get_all():
            headers.setdefault(name.lower(), []).append(value)
        path, _, query = (self.request.uri or "/").partition("?")
        pairs = [
            (unquote(k), unquote(v)) for k, _, v in (part.partition("=") for part in query.split("&") if part)
        ]
        self.signed = self.s3.verifier.verify(
            self.request.method or "GET",
            path,
            pairs,
            headers,
            raw_query=query,
            virtual_bucket=bucket_from_host(self.request.host or ""),
        )

    def _plan_body(self) -> None:
        method = self.request.method
        headers = self.request.headers
        declared = headers.get("Content-Length")
        length = int(declared) if declared and declared.isdigit() else None
        is_upload = method == "PUT" and self.key and "x-amz-copy-source" not in headers
        if is_upload:
            limit = MAX_OBJECT_BYTES + MAX_OBJECT_BYTES // 64  # aws-chunked framing on top
            if length is not None and length > limit:
                raise EntityTooLarge("Your proposed upload exceeds the maximum allowed size.")
            self.request.connection.set_max_body_size(limit)
            self._start_upload(length)
        elif method in ("POST", "PUT"):
            if length is not None and length > XML_BODY_LIMIT:
                raise MalformedXML("The request body is too large for this operation.")
            self.request.connection.set_max_body_size(XML_BODY_LIMIT)
            self.small_body = bytearray()
        else:
            self.request.connection.set_max_body_size(XML_BODY_LIMIT)

    def _start_upload(self, length: int | None) -> None:
        headers = self.request.headers
        payload = self.signed.payload if self.signed else (headers.get("x-amz-content-sha256") or "")
        encodings = [e.strip() for e in (headers.get("Content-Encoding") or "").split(",")]
        chunked = payload in STREAMING or "aws-chunked" in encodings
        decoded_length = headers.get("x-amz-decoded-content-length")
        if chunked:
            signatures = ChunkSignatures(self.signed) if self.signed and payload in STREAMING[:2] else None
            self.decoder = AwsChunkedDecoder(signatures)
            expected = int(decoded_length) if decoded_length and decoded_length.isdigit() else None
        else:
            expected = length
        algorithm = self._checksum_algorithm()
        self.writer = self.s3.lake.writer(
            expected_size=expected,
            sha256=self.signed.body_sha256 if self.signed else None,
            content_md5=headers.get("Content-MD5"),
            checksum_algorithm=algorithm,
        )
        self.pipeline = Pipeline(self.writer)

    def _checksum_algorithm(self) -> str | None:
        headers = self.request.headers
        trailer = (headers.get("x-amz-trailer") or "").strip().lower()
        if trailer.startswith("x-amz-checksum-"):
            return trailer.removeprefix("x-amz-checksum-")
        for algorithm in ALGORITHMS:
            if header_name(algorithm) in headers:
                return algorithm
        sdk = headers.get("x-amz-sdk-checksum-algorithm")
        return sdk.lower() if sdk else None

    async def data_received(self, chunk: bytes) -> None:
        if self._finished or self.body_error is not None:
            return
        try:
            if self.writer is not None:
                pieces = self.decoder.feed(chunk) if self.decoder is not None else [chunk]
                data = b"".join(pieces) if len(pieces) != 1 else pieces[0]
                if data:
                    await self.pipeline.feed(data)
            elif self.small_body is not None:
                self.small_body += chunk
                if len(self.small_body) > XML_BODY_LIMIT:
                    raise MalformedXML("The request body is too large for this operation.")
        except S3Error as error:
            self.body_error = error
            self._discard()
        except Exception:
            log.exception("S3 %s %s: receiving the body failed", self.request.method, self.request.path)
            self.body_error = InternalError("We encountered an internal error. Please try again.")
            self._discard()

    def on_connection_close(self) -> None:
        self._discard()  # an upload the client gave up on leaves nothing behind

    def _discard(self) -> None:
        if self.pipeline is not None:
            self.pipeline.close()
        if self.writer is not None:
            self.writer.discard()

    # -- dispatch ---------------------------------------------------------------------------------------
    async def get(self) -> None:
        await self._run(self._get)

    async def head(self) -> None:
        await self._run(self._head)

    async def put(self) -> None:
        await self._run(self._put)

    async def post(self) -> None:
        await self._run(self._post)

    async def delete(self) -> None:
        await self._run(self._delete)

    async def _run(self, operation: Any) -> None:
        try:
            if self.body_error is not None:
                raise self.body_error
            unsupported = UNSUPPORTED & set(self.args)
            if unsupported:
                raise NotImplemented_(
                    f"The {sorted(unsupported)[0]!r} sub-resource is not implemented by gluelab's S3 "
                    "endpoint."
                )
            if self.bucket:
                check_bucket(self.bucket)
            if self.key:
                check_key(self.key)
            await operation()
        except S3Error as error:
            self._fail(error)
        except Exception:
            log.exception("S3 %s %s failed", self.request.method, self.request.path)
            self._fail(InternalError("We encountered an internal error. Please try again."))
        finally:
            self._discard()

    async def _blocking(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.s3.executor, function, *args)

    # -- GET and HEAD -----------------------------------------------------------------------------------
    async def _get(self) -> None:
        if not self.bucket:
            self.operation = "ListBuckets"
            buckets = await self._blocking(self.s3.lake.list_buckets)
            return self._xml(xml.list_buckets(buckets))
        if not self.key:
            return await self._get_bucket()
        if "uploadId" in self.args:
            return await self._list_parts()
        self.operation = "GetObject"
        info, fd = await self._blocking(self.s3.lake.open, self.bucket, self.key)
        try:
            check_conditions(info, self._conditions())
            start, end = self._range(info.size)
            self._object_headers(info, whole=(start, end) == (0, info.size))
            if (start, end) != (0, info.size):
                self.set_status(206)
                self.set_header("Content-Range", f"bytes {start}-{end - 1}/{info.size}")
            self.set_header("Content-Length", str(end - start))
            offset = start
            while offset < end and fd is not None:
                data = await self._blocking(os.pread, fd, min(READ_SLICE, end - offset), offset)
                if not data:
                    break
                offset += len(data)
                self.write(data)
                await self.flush()
            self._finish()
        finally:
            if fd is not None:
                os.close(fd)

    async def _head(self) -> None:
        if not self.bucket:
            raise MethodNotAllowed("The specified method is not allowed against this resource.")
        if not self.key:
            self.operation = "HeadBucket"
            await self._blocking(self.s3.lake.bucket_dir, self.bucket)
            self.set_header("x-amz-bucket-region", self.s3.region)
            return self._finish()
        self.operation = "HeadObject"
        info = await self._blocking(self.s3.lake.head, self.bucket, self.key)
        check_conditions(info, self._conditions())
        start, end = self._range(info.size)
        self._object_headers(info, whole=(start, end) == (0, info.size))
        if (start, end) != (0, info.size):
            self.set_status(206)
            self.set_header("Content-Range", f"bytes {start}-{end - 1}/{info.size}")
        self.set_header("Content-Length", str(end - start))
        self._finish()

    def _conditions(self) -> dict[str, str]:
        names = ("if-match", "if-none-match", "if-modified-since", "if-unmodified-since")
        return {n: self.request.headers[n] for n in names if n in self.request.headers}

    def _range(self, size: int) -> tuple[int, int]:
        """The [start, end) the Range header asks for, else the whole object."""
        header = self.request.headers.get("Range")
        if not header:
            return 0, size
        unit, _, spec = header.partition("=")
        if unit.strip() != "bytes" or "," in spec:
            return 0, size  # S3 ignores what it does not understand and sends the whole object
        first, _, last = spec.strip().partition("-")
        try:
            if not first:
                length = int(last)
                if length <= 0:
                    raise InvalidRange("The requested range is not satisfiable")
                return max(0, size - length), size
            start = int(first)
            end = min(int(last) + 1, size) if last else size
        except ValueError:
            return 0, size
        if start >= size or end <= start:
            error = InvalidRange("The requested range is not satisfiable")
            error.extra.update({"RangeRequested": header, "ActualObjectSize": str(size)})
            raise error
        return start, end

    def _object_headers(self, info: ObjectInfo, whole: bool) -> None:
        self.set_header("ETag", f'"{info.etag}"')
        self.set_header("Last-Modified", email.utils.format_datetime(info.last_modified, usegmt=True))
        self.set_header("Accept-Ranges", "bytes")
        self.set_header("Content-Type", self.args.get("response-content-type") or info.content_type)
        for name, value in info.metadata.items():
            self.set_header(f"x-amz-meta-{name}", value)
        for header in (
            "cache-control",
            "content-disposition",
            "content-encoding",
            "content-language",
            "expires",
        ):
            override = self.args.get(f"response-{header}")
            if override:
                self.set_header(header, override)
        # S3 sends an object's checksum only with the whole object, never with a range of it.
        if whole and self.request.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED":
            for algorithm, value in info.checksums.items():
                self.set_header(header_name(algorithm), value)
                self.set_header("x-amz-checksum-type", "COMPOSITE" if "-" in value else "FULL_OBJECT")

    async def _get_bucket(self) -> None:
        if "location" in self.args:
            self.operation = "GetBucketLocation"
            await self._blocking(self.s3.lake.bucket_dir, self.bucket)
            region = "" if self.s3.region == "us-east-1" else self.s3.region
            return self._xml(
                (
                    xml.DECLARATION
                    + f'<LocationConstraint xmlns="{xml.NAMESPACE}">{region}</LocationConstraint>'
                ).encode()
            )
        if "versioning" in self.args:
            self.operation = "GetBucketVersioning"
            await self._blocking(self.s3.lake.bucket_dir, self.bucket)
            return self._xml(xml.document("VersioningConfiguration", {}))
        if "uploads" in self.args:
            return await self._list_uploads()
        bucket_dir = await self._blocking(self.s3.lake.bucket_dir, self.bucket)
        prefix = self.args.get("prefix", "")
        delimiter = self.args.get("delimiter", "")
        encoding = self.args.get("encoding-type")
        if encoding not in (None, "url"):
            raise InvalidArgument("Invalid Encoding Method specified in Request")
        max_keys = self._int_arg("max-keys", 1000, 0, 2**31 - 1)
        page = min(max_keys, 1000)
        if self.args.get("list-type") == "2":
            self.operation = "ListObjectsV2"
            token = self.args.get("continuation-token")
            start_after = self.args.get("start-after")
            after = _decode_token(token) if token is not None else (start_after or "")
            listing = await self._blocking(self.s3.lister.list, bucket_dir, prefix, delimiter, after, page)
            next_token = _encode_token(listing.resume_after) if listing.truncated else None
            return self._xml(
                xml.list_objects_v2(
                    self.bucket,
                    listing,
                    prefix=prefix,
                    delimiter=delimiter,
                    max_keys=max_keys,
                    encoding=encoding,
                    start_after=start_after,
                    continuation=token,
                    next_token=next_token,
                    fetch_owner=self.args.get("fetch-owner") == "true",
                )
            )
        self.operation = "ListObjects"
        marker = self.args.get("marker", "")
        after = marker
        if marker and delimiter and delimiter in marker[len(prefix) :] and marker.endswith(delimiter):
            after = marker + chr(0x10FFFF)  # a NextMarker that was a common prefix: past all of it
        listing = await self._blocking(self.s3.lister.list, bucket_dir, prefix, delimiter, after, page)
        self._xml(
            xml.list_objects_v1(
                self.bucket,
                listing,
                prefix=prefix,
                delimiter=delimiter,
                max_keys=max_keys,
                encoding=encoding,
                marker=marker,
            )
        )

    def _int_arg(self, name: str, default: int, low: int, high: int) -> int:
        value = self.args.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise InvalidArgument(f"Provided {name} not an integer or within integer range") from None
        if not low <= number <= high:
            raise InvalidArgument(f"Argument {name} must be an integer between {low} and {high}")
        return number

    # -- PUT --------------------------------------------------------------------------------------------
    async def _put(self) -> None:
        if not self.bucket:
            raise MethodNotAllowed("The specified method is not allowed against this resource.")
        if not self.key:
            self.operation = "CreateBucket"
            await self._blocking(self.s3.lake.create_bucket, self.bucket)
            self.set_header("Location", f"/{self.bucket}")
            return self._finish()
        copy_source = self.request.headers.get("x-amz-copy-source")
        if "partNumber" in self.args or "uploadId" in self.args:
            return await self._upload_part(copy_source)
        if copy_source:
            return await self._copy_object(copy_source)
        self.operation = "PutObject"
        received = await self._received()
        if_none_match = self.request.headers.get("If-None-Match", "").strip() == "*"
        info = await self._blocking(
            lambda: self.s3.lake.put(
                self.bucket,
                self.key,
                received,
                content_type=self.request.headers.get("Content-Type"),
                metadata=self._metadata(),
                if_none_match=if_none_match,
            )
        )
        self.set_header("ETag", f'"{info.etag}"')
        for algorithm, value in info.checksums.items():
            self.set_header(header_name(algorithm), value)
        self._finish()

    async def _received(self) -> Any:
        """The upload's body, whole and checked (S3's errors otherwise)."""
        assert self.writer is not None and self.pipeline is not None
        await self.pipeline.drain()
        trailers = self.decoder.finish() if self.decoder is not None else {}
        declared = {
            a: self.request.headers[header_name(a)]
            for a in ALGORITHMS
            if header_name(a) in self.request.headers
        }
        trailer_checksums = {
            k.removeprefix("x-amz-checksum-"): v
            for k, v in trailers.items()
            if k.startswith("x-amz-checksum-")
        }
        writer, self.writer = self.writer, None
        return await self._blocking(lambda: writer.finish(trailer_checksums, declared))

    def _metadata(self) -> dict[str, str]:
        return {
            name.lower().removeprefix("x-amz-meta-"): value
            for name, value in self.request.headers.get_all()
            if name.lower().startswith("x-amz-meta-")
        }

    def _copy_source(self, header: str) -> tuple[str, str]:
        source = unquote(header.split("?versionId=", 1)[0]).removeprefix("/")
        bucket, _, key = source.partition("/")
        if not bucket or not key:
            raise InvalidArgument(
                "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"
            )
        check_bucket(bucket)
        check_key(key)
        return bucket, key

    def _copy_conditions(self) -> dict[str, str]:
        prefix = "x-amz-copy-source-"
        names = ("if-match", "if-none-match", "if-modified-since", "if-unmodified-since")
        return {
            prefix + n: self.request.headers[prefix + n] for n in names if prefix + n in self.request.headers
        }

    async def _copy_object(self, header: str) -> None:
        self.operation = "CopyObject"
        source_bucket, source_key = self._copy_source(header)
        directive = (self.request.headers.get("x-amz-metadata-directive") or "COPY").upper()
        if directive not in ("COPY", "REPLACE"):
            raise InvalidArgument("Unknown metadata directive.")
        replace = (
            (self.request.headers.get("Content-Type"), self._metadata()) if directive == "REPLACE" else None
        )
        info = await self._blocking(
            lambda: self.s3.lake.copy(
                source_bucket,
                source_key,
                self.bucket,
                self.key,
                replace=replace,
                conditions=self._copy_conditions(),
            )
        )
        self._xml(xml.copy_result("CopyObjectResult", info))

    # -- multipart --------------------------------------------------------------------------------------
    async def _upload_part(self, copy_source: str | None) -> None:
        upload_id = self.args.get("uploadId", "")
        number = self._int_arg("partNumber", 0, 1, 10_000)
        upload = await self._blocking(self.s3.uploads.get, self.bucket, self.key, upload_id)
        if copy_source:
            self.operation = "UploadPartCopy"
            received = await self._blocking(self._part_copy, copy_source)
        else:
            self.operation = "UploadPart"
            received = await self._received()
        part = await self._blocking(self.s3.uploads.add_part, upload, number, received)
        if copy_source:
            return self._xml(
                xml.copy_result(
                    "CopyPartResult",
                    ObjectInfo(self.key, part.size, int(part.modified.timestamp() * 1e9), part.etag),
                )
            )
        self.set_header("ETag", f'"{part.etag}"')
        for algorithm, value in part.checksums.items():
            self.set_header(header_name(algorithm), value)
        self._finish()

    def _part_copy(self, copy_source: str) -> Any:
        source_bucket, source_key = self._copy_source(copy_source)
        info, fd = self.s3.lake.open(source_bucket, source_key)
        try:
            check_conditions(info, self._copy_conditions(), copy_source=True)
            start, end = 0, info.size
            wanted = self.request.headers.get("x-amz-copy-source-range")
            if wanted:
                first, _, last = wanted.removeprefix("bytes=").partition("-")
                try:
                    start, end = int(first), int(last) + 1
                except ValueError:
                    raise InvalidArgument(
                        "The x-amz-copy-source-range value must be of the form bytes=first-last"
                    ) from None
                if not 0 <= start < end <= info.size:
                    raise InvalidRange("The requested range is not satisfiable")
            return self.s3.lake.copy_range(fd, start, end - start)
        finally:
            if fd is not None:
                os.close(fd)

    async def _post(self) -> None:
        if not self.bucket:
            raise MethodNotAllowed("The specified method is not allowed against this resource.")
        if not self.key:
            if "delete" in self.args:
                return await self._delete_objects()
            raise NotImplemented_("POST on a bucket serves only ?delete (DeleteObjects) here.")
        if "uploads" in self.args:
            self.operation = "CreateMultipartUpload"
            algorithm = self.request.headers.get("x-amz-checksum-algorithm")
            if algorithm and algorithm.lower() not in ALGORITHMS:
                raise InvalidRequest(f"Checksum algorithm {algorithm!r} is not supported.")
            upload = await self._blocking(
                lambda: self.s3.uploads.create(
                    self.bucket,
                    self.key,
                    self.request.headers.get("Content-Type"),
                    self._metadata(),
                    algorithm,
                )
            )
            if upload.checksum_algorithm:
                self.set_header("x-amz-checksum-algorithm", upload.checksum_algorithm.upper())
            return self._xml(
                xml.document(
                    "InitiateMultipartUploadResult",
                    {"Bucket": self.bucket, "Key": self.key, "UploadId": upload.upload_id},
                )
            )
        if "uploadId" in self.args:
            return await self._complete()
        raise NotImplemented_("POST on an object serves only multipart uploads (?uploads, ?uploadId).")

    async def _complete(self) -> None:
        self.operation = "CompleteMultipartUpload"
        upload = await self._blocking(self.s3.uploads.get, self.bucket, self.key, self.args["uploadId"])
        document = xml.parse(bytes(self.small_body or b""), "CompleteMultipartUpload")
        requested = []
        for part in xml.children(document, "Part"):
            try:
                number = int(xml.text_of(part, "PartNumber", "") or "")
            except ValueError:
                raise MalformedXML("Every Part needs a numeric PartNumber.") from None
            etag = xml.text_of(part, "ETag", "") or ""
            checksums = {
                a: value
                for a in ALGORITHMS
                if (value := xml.text_of(part, f"Checksum{a.upper()}")) is not None
            }
            requested.append((number, etag, checksums))
        info = await self._blocking(self.s3.uploads.complete, upload, requested)
        fields = {
            "Location": f"{self.request.protocol}://{self.request.host}/{self.bucket}/{self.key}",
            "Bucket": self.bucket,
            "Key": self.key,
            "ETag": f'"{info.etag}"',
        }
        for algorithm, value in info.checksums.items():
            fields[f"Checksum{algorithm.upper()}"] = value
        self._xml(xml.document("CompleteMultipartUploadResult", fields))

    async def _list_parts(self) -> None:
        self.operation = "ListParts"
        upload = await self._blocking(self.s3.uploads.get, self.bucket, self.key, self.args["uploadId"])
        parts = await self._blocking(self.s3.uploads.parts, upload)
        marker = self._int_arg("part-number-marker", 0, 0, 10_000)
        max_parts = self._int_arg("max-parts", 1000, 0, 1000)
        after = [p for p in parts if p.number > marker]
        page, truncated = after[:max_parts], len(after) > max_parts
        entries = []
        for p in page:
            entry = {
                "PartNumber": p.number,
                "LastModified": xml.iso(p.modified),
                "ETag": f'"{p.etag}"',
                "Size": p.size,
            }
            for algorithm, value in p.checksums.items():
                entry[f"Checksum{algorithm.upper()}"] = value
            entries.append(entry)
        fields: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self.key,
            "UploadId": upload.upload_id,
            "Initiator": xml.OWNER,
            "Owner": xml.OWNER,
            "StorageClass": "STANDARD",
            "PartNumberMarker": marker,
            "NextPartNumberMarker": page[-1].number if truncated and page else None,
            "MaxParts": max_parts,
            "IsTruncated": truncated,
            "Part": entries or None,
        }
        if upload.checksum_algorithm:
            fields["ChecksumAlgorithm"] = upload.checksum_algorithm.upper()
        self._xml(xml.document("ListPartsResult", fields))

    async def _list_uploads(self) -> None:
        self.operation = "ListMultipartUploads"
        await self._blocking(self.s3.lake.bucket_dir, self.bucket)
        prefix = self.args.get("prefix", "")
        uploads = await self._blocking(self.s3.uploads.list, self.bucket, prefix)
        entries = [
            {
                "Key": u.key,
                "UploadId": u.upload_id,
                "Initiator": xml.OWNER,
                "Owner": xml.OWNER,
                "StorageClass": "STANDARD",
                "Initiated": xml.iso(u.initiated),
            }
            for u in uploads
        ]
        fields = {
            "Bucket": self.bucket,
            "KeyMarker": "",
            "UploadIdMarker": "",
            "Prefix": prefix,
            "MaxUploads": 1000,
            "IsTruncated": False,
            "Upload": entries or None,
        }
        self._xml(xml.document("ListMultipartUploadsResult", fields))

    # -- DELETE -----------------------------------------------------------------------------------------
    async def _delete(self) -> None:
        if not self.bucket:
            raise MethodNotAllowed("The specified method is not allowed against this resource.")
        if not self.key:
            self.operation = "DeleteBucket"
            await self._blocking(self.s3.lake.delete_bucket, self.bucket)
            self.set_status(204)
            return self._finish()
        if "uploadId" in self.args:
            self.operation = "AbortMultipartUpload"
            upload = await self._blocking(self.s3.uploads.get, self.bucket, self.key, self.args["uploadId"])
            await self._blocking(self.s3.uploads.abort, upload)
            self.set_status(204)
            return self._finish()
        self.operation = "DeleteObject"
        await self._blocking(self.s3.lake.delete, self.bucket, self.key)
        self.set_status(204)
        self._finish()

    async def _delete_objects(self) -> None:
        self.operation = "DeleteObjects"
        await self._blocking(self.s3.lake.bucket_dir, self.bucket)
        body = bytes(self.small_body or b"")
        self._check_body_digest(body)
        document = xml.parse(body, "Delete")
        quiet = (xml.text_of(document, "Quiet", "false") or "").strip().lower() == "true"
        objects = xml.children(document, "Object")
        if len(objects) > 1000:
            raise MalformedXML("A DeleteObjects request holds at most 1000 keys.")
        deleted, errors = [], []
        for entry in objects:
            key = xml.text_of(entry, "Key", "") or ""
            try:
                check_key(key)
                await self._blocking(self.s3.lake.delete, self.bucket, key)
                if not quiet:
                    deleted.append({"Key": key})
            except S3Error as error:
                errors.append({"Key": key, "Code": error.code, "Message": error.message})
        self._xml(xml.document("DeleteResult", {"Deleted": deleted or None, "Error": errors or None}))

    def _check_body_digest(self, body: bytes) -> None:
        """Content-MD5 or an x-amz-checksum-* header of a small body (DeleteObjects requires one)."""
        import hashlib

        from ...lake.checksums import Checksum
        from ...lake.errors import BadDigest, InvalidDigest

        md5 = self.request.headers.get("Content-MD5")
        if md5 is not None:
            try:
                expected = base64.b64decode(md5, validate=True)
            except (binascii.Error, ValueError):
                raise InvalidDigest("The Content-MD5 you specified was invalid.") from None
            if hashlib.md5(body, usedforsecurity=False).digest() != expected:
                raise BadDigest("The Content-MD5 you specified did not match what we received.")
        for algorithm in ALGORITHMS:
            claimed = self.request.headers.get(header_name(algorithm))
            if claimed is not None:
                checksum = Checksum(algorithm)
                checksum.update(body)
                if checksum.value() != claimed:
                    raise BadDigest(
                        f"The {algorithm.upper()} you specified did not match the calculated checksum."
                    )

    # -- answers ----------------------------------------------------------------------------------------
    def _common_headers(self) -> None:
        self.set_header("x-amz-request-id", self.request_id)
        self.set_header("x-amz-id-2", self.request_id)
        self.set_header("Server", "gluelab")

    def _xml(self, body: bytes) -> None:
        self.set_header("Content-Type", "application/xml")
        self.write(body)
        self._finish()

    def _finish(self) -> None:
        self._common_headers()
        self.finish()
        self._access_log()

    def _fail(self, error: S3Error) -> None:
        self._discard()
        if self._finished:
            return
        self.clear()
        self._common_headers()
        self.set_status(error.status)
        if isinstance(error, NotModified):
            self.finish()
        elif self.request.method == "HEAD":
            self.set_header("x-amz-error-code", error.code)
            self.finish()
        else:
            self.set_header("Content-Type", "application/xml")
            self.finish(xml.error_document(error, self.request_id))
        self._access_log(error.code)

    def _access_log(self, outcome: str = "") -> None:
        access_log.info(
            "%s s3 %s %s %d %.1fms %s%s",
            self.request.remote_ip,
            self.operation,
            _printable(f"/{self.bucket}/{self.key}" if self.bucket else self.request.path),
            self.get_status(),
            (time.perf_counter() - self.started) * 1000,
            self.request_id,
            f" {outcome}" if outcome else "",
        )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Anything tornado itself refuses (a malformed request): still S3's XML."""
        self.set_header("Content-Type", "application/xml")
        error = S3Error(self._reason)
        error.code = "InvalidRequest" if status_code < 500 else "InternalError"
        self.finish(xml.error_document(error, self.request_id))


def _printable(text: str) -> str:
    """A key as one line of the log: control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _encode_token(after: str | None) -> str | None:
    if after is None:
        return None
    return base64.urlsafe_b64encode(after.encode("utf-8", "surrogatepass")).decode()


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode("utf-8", "surrogatepass")
    except (binascii.Error, ValueError):
        raise InvalidArgument("The continuation token provided is incorrect") from None
