"""S3's REST API over the lake, on the same port as the Glue API and Livy.

Requests are told apart by how they are signed: SigV4 scoped to ``s3`` (a header or a presigned URL), or
addressed to ``bucket.localhost``, is S3's; so is an unsigned request for any path Glue and Livy do not
own (it gets S3's AccessDenied). ``POST /`` and anything with ``X-Amz-Target`` stay Glue's (and STS's),
whatever their signature says, so Glue answers a wrongly scoped signature with its own error. A bucket
named ``sessions`` is never shadowed by Livy: S3 clients always sign.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import tornado.httputil
import tornado.routing

from ...config import Settings
from ...lake import BucketLister, Lake, Uploads
from .auth import S3Verifier, uses_s3_signature
from .handler import S3Api, S3Handler, bucket_from_host

_NOT_S3_PATHS = re.compile(r"^/(?:sessions|batches|version|ping)?(?:/|$)")


def is_s3_request(request: tornado.httputil.HTTPServerRequest) -> bool:
    if request.headers.get("X-Amz-Target") or (request.method == "POST" and request.path == "/"):
        return False  # Glue's JSON protocol and STS's query protocol (S3 has no POST /)
    authorization = request.headers.get("Authorization")
    query = {k: [v.decode("utf-8", "replace") for v in vs] for k, vs in request.query_arguments.items()}
    if uses_s3_signature(authorization, query):
        return True
    if bucket_from_host(request.host or ""):
        return True
    if authorization:
        return False  # signed for Glue or STS, or Livy's Basic/Bearer
    return not _NOT_S3_PATHS.match(request.path)


class S3Requests(tornado.routing.Matcher):
    def match(self, request: tornado.httputil.HTTPServerRequest) -> dict[str, Any] | None:
        return {} if is_s3_request(request) else None


def make_s3_api(settings: Settings, *, verify: bool = True) -> S3Api:
    lake = Lake(settings.warehouse_dir, settings.region)
    lake.remove_stale_temporaries()
    uploads = Uploads(lake)
    uploads.remove_stale()
    return S3Api(
        lake=lake,
        lister=BucketLister(settings.warehouse_dir),
        uploads=uploads,
        verifier=S3Verifier(settings.access_key_id, settings.token, settings.region) if verify else None,
        executor=ThreadPoolExecutor(max_workers=8, thread_name_prefix="gluelab-s3"),
        region=settings.region,
    )


def route(s3: S3Api) -> tornado.routing.Rule:
    """The rule to put first among an application's routes."""
    return tornado.routing.Rule(S3Requests(), S3Handler, {"s3": s3})


__all__ = ["is_s3_request", "make_s3_api", "route", "S3Api"]
