"""S3's errors, each with the HTTP status S3 answers it with. The lake raises them; the S3 endpoint turns
them into S3's XML error document (``<Error><Code>NoSuchKey</Code>...``), which botocore maps back to
``client.exceptions.NoSuchKey`` and the like."""

from __future__ import annotations


class S3Error(Exception):
    status = 400
    code = "InvalidRequest"

    def __init__(self, message: str, resource: str = ""):
        super().__init__(message)
        self.message = message
        self.resource = resource
        self.extra: dict[str, str] = {}  # more elements of the error document (Region, ...)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _error(name: str, status: int, code: str | None = None) -> type[S3Error]:
    return type(name, (S3Error,), {"status": status, "code": code or name})


AccessDenied = _error("AccessDenied", 403)
SignatureDoesNotMatch = _error("SignatureDoesNotMatch", 403)
InvalidAccessKeyId = _error("InvalidAccessKeyId", 403)
RequestTimeTooSkewed = _error("RequestTimeTooSkewed", 403)
AuthorizationHeaderMalformed = _error("AuthorizationHeaderMalformed", 400)
NoSuchBucket = _error("NoSuchBucket", 404)
NoSuchKey = _error("NoSuchKey", 404)
NoSuchUpload = _error("NoSuchUpload", 404)
BucketNotEmpty = _error("BucketNotEmpty", 409)
BucketAlreadyOwnedByYou = _error("BucketAlreadyOwnedByYou", 409)
InvalidBucketName = _error("InvalidBucketName", 400)
KeyTooLongError = _error("KeyTooLongError", 400)
InvalidArgument = _error("InvalidArgument", 400)
InvalidRequest = _error("InvalidRequest", 400)
InvalidRange = _error("InvalidRange", 416)
InvalidPart = _error("InvalidPart", 400)
InvalidPartOrder = _error("InvalidPartOrder", 400)
EntityTooSmall = _error("EntityTooSmall", 400)
EntityTooLarge = _error("EntityTooLarge", 400)
IncompleteBody = _error("IncompleteBody", 400)
BadDigest = _error("BadDigest", 400)
InvalidDigest = _error("InvalidDigest", 400)
XAmzContentSHA256Mismatch = _error("XAmzContentSHA256Mismatch", 400)
MalformedXML = _error("MalformedXML", 400)
PreconditionFailed = _error("PreconditionFailed", 412)
MethodNotAllowed = _error("MethodNotAllowed", 405)
NotImplemented_ = _error("NotImplemented_", 501, "NotImplemented")
InternalError = _error("InternalError", 500)
# The warehouse is a folder tree: a key cannot be both an object and a folder of other keys.
ObjectExistsAsFolder = _error("ObjectExistsAsFolder", 409)
ParentIsObject = _error("ParentIsObject", 409)


class NotModified(S3Error):
    """Not an error to the client: GET/HEAD with If-None-Match or If-Modified-Since answered 304."""

    status = 304
    code = "NotModified"
