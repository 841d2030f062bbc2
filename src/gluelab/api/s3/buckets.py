"""S3's bucket operations over the lake: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
GetBucketLocation, GetBucketVersioning, ListObjects and ListObjectsV2 (continuation tokens are the key to
resume after, encoded)."""

from __future__ import annotations

import base64
import binascii

from ...lake.errors import InvalidArgument
from . import xml
from .base import S3Request


class BucketOperations(S3Request):
    async def list_buckets(self) -> None:
        self.operation = "ListBuckets"
        buckets = await self._blocking(self.s3.lake.list_buckets)
        self._xml(xml.list_buckets(buckets))

    async def create_bucket(self) -> None:
        self.operation = "CreateBucket"
        await self._blocking(self.s3.lake.create_bucket, self.bucket)
        self.set_header("Location", f"/{self.bucket}")
        self._finish()

    async def head_bucket(self) -> None:
        self.operation = "HeadBucket"
        await self._blocking(self.s3.lake.bucket_dir, self.bucket)
        self.set_header("x-amz-bucket-region", self.s3.region)
        self._finish()

    async def delete_bucket(self) -> None:
        self.operation = "DeleteBucket"
        await self._blocking(self.s3.lake.delete_bucket, self.bucket)
        self.set_status(204)
        self._finish()

    async def get_bucket(self) -> None:
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


def _encode_token(after: str | None) -> str | None:
    if after is None:
        return None
    return base64.urlsafe_b64encode(after.encode("utf-8", "surrogatepass")).decode()


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode("utf-8", "surrogatepass")
    except (binascii.Error, ValueError):
        raise InvalidArgument("The continuation token provided is incorrect") from None
