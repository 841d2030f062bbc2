"""The S3 endpoint's HTTP face: one tornado handler for S3's REST API over the lake, routing each request
by method, bucket, key and sub-resource to its operation. Path-style (``/bucket/key``) and virtual-host
(``bucket.localhost``) addressing (``base``)."""

from __future__ import annotations

import tornado.web

from ...lake.errors import MethodNotAllowed, NotImplemented_
from .base import S3Api, bucket_from_host
from .buckets import BucketOperations
from .multipart import MultipartOperations
from .objects import ObjectOperations

NOT_ALLOWED = "The specified method is not allowed against this resource."


@tornado.web.stream_request_body
class S3Handler(BucketOperations, ObjectOperations, MultipartOperations):
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

    async def _get(self) -> None:
        if not self.bucket:
            await self.list_buckets()
        elif not self.key:
            await (self.list_uploads() if "uploads" in self.args else self.get_bucket())
        elif "uploadId" in self.args:
            await self.list_parts()
        else:
            await self.get_object()

    async def _head(self) -> None:
        if not self.bucket:
            raise MethodNotAllowed(NOT_ALLOWED)
        await (self.head_object() if self.key else self.head_bucket())

    async def _put(self) -> None:
        if not self.bucket:
            raise MethodNotAllowed(NOT_ALLOWED)
        copy_source = self.request.headers.get("x-amz-copy-source")
        if not self.key:
            await self.create_bucket()
        elif "partNumber" in self.args or "uploadId" in self.args:
            await self.upload_part(copy_source)
        elif copy_source:
            await self.copy_object(copy_source)
        else:
            await self.put_object()

    async def _post(self) -> None:
        if not self.bucket:
            raise MethodNotAllowed(NOT_ALLOWED)
        if not self.key:
            if "delete" not in self.args:
                raise NotImplemented_("POST on a bucket serves only ?delete (DeleteObjects) here.")
            await self.delete_objects()
        elif "uploads" in self.args:
            await self.create_upload()
        elif "uploadId" in self.args:
            await self.complete_upload()
        else:
            raise NotImplemented_("POST on an object serves only multipart uploads (?uploads, ?uploadId).")

    async def _delete(self) -> None:
        if not self.bucket:
            raise MethodNotAllowed(NOT_ALLOWED)
        if not self.key:
            await self.delete_bucket()
        elif "uploadId" in self.args:
            await self.abort_upload()
        else:
            await self.delete_object()


__all__ = ["S3Handler", "S3Api", "bucket_from_host"]
