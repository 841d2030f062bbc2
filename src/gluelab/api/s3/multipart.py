"""S3's multipart uploads over the lake: CreateMultipartUpload, UploadPart, UploadPartCopy,
CompleteMultipartUpload, AbortMultipartUpload, ListParts and ListMultipartUploads."""

from __future__ import annotations

import os
from typing import Any

from ...lake.checksums import ALGORITHMS, header_name
from ...lake.errors import InvalidArgument, InvalidRange, InvalidRequest, MalformedXML
from ...lake.objects import ObjectInfo, check_conditions
from . import xml
from .base import S3Request


class MultipartOperations(S3Request):
    async def create_upload(self) -> None:
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
        self._xml(
            xml.document(
                "InitiateMultipartUploadResult",
                {"Bucket": self.bucket, "Key": self.key, "UploadId": upload.upload_id},
            )
        )

    async def upload_part(self, copy_source: str | None) -> None:
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

    async def complete_upload(self) -> None:
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

    async def list_parts(self) -> None:
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

    async def list_uploads(self) -> None:
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

    async def abort_upload(self) -> None:
        self.operation = "AbortMultipartUpload"
        upload = await self._blocking(self.s3.uploads.get, self.bucket, self.key, self.args["uploadId"])
        await self._blocking(self.s3.uploads.abort, upload)
        self.set_status(204)
        self._finish()
