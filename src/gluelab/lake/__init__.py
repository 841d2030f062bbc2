"""The lake: the warehouse folder as S3 buckets and objects, for the S3 endpoint (``api.s3``). Spark reaches
the same files through the lake's Hadoop FileSystem (``runtime.lakefs``); both map ``s3://bucket/key`` with
``runtime.paths``."""

from .listing import BucketLister, Listing
from .multipart import Uploads
from .objects import Lake, ObjectInfo

__all__ = ["Lake", "ObjectInfo", "BucketLister", "Listing", "Uploads"]
