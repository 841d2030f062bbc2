"""S3's object operations over the lake: GetObject (ranges, conditions, checksums; streamed in slices from
an open descriptor), HeadObject, PutObject, CopyObject, DeleteObject and DeleteObjects."""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import os

from ...lake.checksums import ALGORITHMS, Checksum, header_name
from ...lake.errors import BadDigest, InvalidArgument, InvalidDigest, InvalidRange, MalformedXML, S3Error
from ...lake.keys import check_key
from ...lake.objects import ObjectInfo, check_conditions
from . import xml
from .base import S3Request

READ_SLICE = 8 * 1024 * 1024


class ObjectOperations(S3Request):
    async def get_object(self) -> None:
        self.operation = "GetObject"
        info, fd = await self._blocking(self.s3.lake.open, self.bucket, self.key)
        try:
            start, end = self._answer_head(info)
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

    async def head_object(self) -> None:
        self.operation = "HeadObject"
        info = await self._blocking(self.s3.lake.head, self.bucket, self.key)
        self._answer_head(info)
        self._finish()

    def _answer_head(self, info: ObjectInfo) -> tuple[int, int]:
        """Check the request's conditions against ``info`` and set the status and headers of the answer
        (206 with Content-Range for a part); the byte range answered."""
        check_conditions(info, self._conditions())
        start, end = self._range(info.size)
        self._object_headers(info, whole=(start, end) == (0, info.size))
        if (start, end) != (0, info.size):
            self.set_status(206)
            self.set_header("Content-Range", f"bytes {start}-{end - 1}/{info.size}")
        self.set_header("Content-Length", str(end - start))
        return start, end

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

    async def put_object(self) -> None:
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

    async def copy_object(self, header: str) -> None:
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

    async def delete_object(self) -> None:
        self.operation = "DeleteObject"
        await self._blocking(self.s3.lake.delete, self.bucket, self.key)
        self.set_status(204)
        self._finish()

    async def delete_objects(self) -> None:
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
