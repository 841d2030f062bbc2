"""The plumbing of the S3 endpoint's handler: addressing, authentication from the headers before any body
is read, the plan for the body (an object's bytes stream to a temporary file through ``lake.writes``,
decoded from ``aws-chunked`` on the way, on lanes of their own; small XML bodies are buffered), running an
operation with S3's errors, and the answers and their log lines. The operations themselves are in
``buckets``, ``objects`` and ``multipart``; ``handler`` routes to them."""

from __future__ import annotations

import asyncio
import logging
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
    MalformedXML,
    NotImplemented_,
    NotModified,
    S3Error,
)
from ...lake.keys import check_bucket, check_key
from ...lake.writes import MAX_OBJECT_BYTES, ObjectWriter
from . import xml
from .auth import STREAMING, ChunkSignatures, S3Verifier, Signed
from .chunked import AwsChunkedDecoder
from .pipeline import Pipeline

log = logging.getLogger("gluelab.s3")
access_log = logging.getLogger("gluelab.access")

XML_BODY_LIMIT = 1024 * 1024
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
    executor: ThreadPoolExecutor  # the lake's blocking calls
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


class S3Request(tornado.web.RequestHandler):
    """What every S3 operation stands on (see the module's docstring)."""

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
