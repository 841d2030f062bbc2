"""Signature Version 4 for S3, checked from the request line and headers alone (before any body is read):
the ``Authorization`` header, or a presigned URL's ``X-Amz-*`` query parameters. The canonical request is
S3's: the path and query as AWS canonicalizes them (each part URI-encoded once), the signed headers, and
the payload hash the client declared in ``x-amz-content-sha256`` (the body is checked against it as it
streams in). Chunk signatures of ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` bodies chain from the request's.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from ...lake.errors import (
    AccessDenied,
    AuthorizationHeaderMalformed,
    InvalidAccessKeyId,
    InvalidArgument,
    InvalidRequest,
    RequestTimeTooSkewed,
    SignatureDoesNotMatch,
)

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
UNSIGNED = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING = (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW = dt.timedelta(minutes=15)
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600
# Query parameters that are part of a Signature Version 2 resource (as botocore signs them).
_V2_SUBRESOURCES = frozenset(
    {
        "accelerate",
        "acl",
        "cors",
        "defaultObjectAcl",
        "location",
        "logging",
        "partNumber",
        "policy",
        "requestPayment",
        "torrent",
        "versioning",
        "versionId",
        "versions",
        "website",
        "uploads",
        "uploadId",
        "response-content-type",
        "response-content-language",
        "response-expires",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "delete",
        "lifecycle",
        "tagging",
        "restore",
        "storageClass",
        "notification",
        "replication",
        "analytics",
        "metrics",
        "inventory",
        "select",
        "select-type",
        "object-lock",
    }
)
_FIELD = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]+)")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Signed:
    """A request whose signature checked out: what its body must match."""

    payload: str  # a hex SHA256, UNSIGNED-PAYLOAD or a STREAMING-... value
    signature: str
    amz_date: str
    scope: str
    key: bytes  # the signing key, for chunk signatures

    @property
    def body_sha256(self) -> str | None:
        return self.payload if _HEX64.match(self.payload) else None


def uses_s3_signature(authorization: str | None, query: dict[str, list[str]]) -> bool:
    """Whether a request is signed for S3 (header or presigned URL): how the server tells S3 requests
    from Glue's and Livy's on one port."""
    credential = ""
    if authorization and authorization.startswith(ALGORITHM):
        match = re.search(r"Credential=([^,\s]+)", authorization)
        credential = match.group(1) if match else ""
    elif query.get("X-Amz-Credential"):
        credential = query["X-Amz-Credential"][0]
    elif query.get("AWSAccessKeyId") and query.get("Signature"):
        return True  # a presigned URL of Signature Version 2 (boto3's default for presigning)
    parts = credential.split("/")
    return len(parts) == 5 and parts[3] == SERVICE


class S3Verifier:
    def __init__(self, access_key_id: str, secret_key: str, region: str):
        self.access_key_id = access_key_id
        self.secret_key = secret_key
        self.region = region

    def verify(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, list[str]],
        now: dt.datetime | None = None,
        raw_query: str = "",
        virtual_bucket: str | None = None,
    ) -> Signed:
        """``path`` as sent (percent-encoded), ``query`` decoded (and ``raw_query`` as sent); ``headers``
        by lower-case name; ``virtual_bucket`` when the bucket came from the Host header."""
        now = now or dt.datetime.now(dt.UTC)
        authorization = (headers.get("authorization") or [""])[0].strip()
        params = dict(query)
        if authorization:
            return self._verify_header(method, path, query, headers, authorization, now)
        if params.get("X-Amz-Signature") is not None:
            return self._verify_presigned(method, path, query, headers, now)
        if params.get("Signature") is not None and params.get("AWSAccessKeyId") is not None:
            resource = f"/{virtual_bucket}{path}" if virtual_bucket else path
            return self._verify_presigned_v2(method, resource, raw_query, params, headers, now)
        raise AccessDenied("Access Denied: sign requests with SigV4 (run `gluelab credentials`).")

    def _verify_presigned_v2(
        self,
        method: str,
        resource: str,
        raw_query: str,
        params: dict[str, str],
        headers: dict[str, list[str]],
        now: dt.datetime,
    ) -> Signed:
        """A presigned URL of Signature Version 2 (HMAC-SHA1 over the method, Content-MD5, Content-Type,
        expiry, x-amz-* headers and the resource with its sub-resources), as boto3 presigns by default."""
        if params["AWSAccessKeyId"] != self.access_key_id:
            raise InvalidAccessKeyId(
                "The AWS Access Key Id you provided does not exist in our records: "
                f"{params['AWSAccessKeyId']!r}."
            )
        try:
            expires = int(params.get("Expires", ""))
        except ValueError:
            raise AccessDenied("Query-string authentication requires the Expires parameter.") from None
        if now.timestamp() > expires:
            raise AccessDenied("Request has expired")

        def header(name: str) -> str:
            return (headers.get(name) or [params.get(name, "")])[0].strip()

        amz = sorted(
            {
                name: ",".join(v.strip() for v in values)
                for name, values in headers.items()
                if name.startswith("x-amz-")
            }.items()
        )
        subresources = []
        for part in raw_query.split("&"):
            name, sep, value = part.partition("=")
            if name in _V2_SUBRESOURCES:
                subresources.append((name, f"{name}={unquote(value)}" if sep else name))
        canonical_resource = resource
        if subresources:
            canonical_resource += "?" + "&".join(text for _, text in sorted(subresources, key=lambda s: s[0]))
        text = "\n".join(
            [method, header("content-md5"), header("content-type"), str(expires)]
            + [f"{name}:{value}" for name, value in amz]
            + [canonical_resource]
        )
        expected = base64.b64encode(hmac.new(self.secret_key.encode(), text.encode(), hashlib.sha1).digest())
        if not hmac.compare_digest(expected.decode(), params["Signature"]):
            raise SignatureDoesNotMatch(
                "The request signature we calculated does not match the signature you provided."
            )
        return Signed(UNSIGNED, "", "", "", b"")

    def _verify_header(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, list[str]],
        authorization: str,
        now: dt.datetime,
    ) -> Signed:
        algorithm, _, rest = authorization.partition(" ")
        if algorithm != ALGORITHM:
            raise InvalidArgument(
                f"Unsupported Authorization Type {algorithm!r}: only AWS4-HMAC-SHA256 (SigV4) is accepted."
            )
        fields = dict(_FIELD.findall(rest))
        missing = [f for f in ("Credential", "SignedHeaders", "Signature") if f not in fields]
        if missing:
            raise AuthorizationHeaderMalformed(
                f"The authorization header is malformed; it lacks {', '.join(missing)}."
            )
        amz_date = (headers.get("x-amz-date") or [""])[0]
        self._check_date(amz_date, now)
        scope = self._scope(fields["Credential"], amz_date)
        payload = (headers.get("x-amz-content-sha256") or [""])[0]
        if not payload:
            raise InvalidRequest("Missing required header for this request: x-amz-content-sha256")
        if payload not in (UNSIGNED, *STREAMING) and not _HEX64.match(payload):
            raise InvalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-... or a SHA256.")
        signed_names = fields["SignedHeaders"].split(";")
        self._check_signed_headers(signed_names, headers)
        canonical = canonical_request(method, path, query, headers, signed_names, payload)
        key = self._key(scope)
        expected = _sign(key, string_to_sign(amz_date, scope, canonical))
        if not hmac.compare_digest(expected, fields["Signature"]):
            raise SignatureDoesNotMatch(
                "The request signature we calculated does not match the signature you provided. Check your "
                "key (the token `gluelab credentials` prints) and signing method."
            )
        return Signed(payload, expected, amz_date, scope, key)

    def _verify_presigned(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, list[str]],
        now: dt.datetime,
    ) -> Signed:
        params = dict(query)
        if params.get("X-Amz-Algorithm") != ALGORITHM:
            raise AuthorizationHeaderMalformed("X-Amz-Algorithm must be AWS4-HMAC-SHA256.")
        amz_date = params.get("X-Amz-Date", "")
        try:
            signed_at = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            expires = int(params.get("X-Amz-Expires", ""))
        except ValueError:
            raise AuthorizationHeaderMalformed("X-Amz-Date and X-Amz-Expires must be given.") from None
        if not 1 <= expires <= MAX_PRESIGNED_SECONDS:
            raise AuthorizationHeaderMalformed("X-Amz-Expires must be between 1 and 604800 seconds.")
        if now > signed_at + dt.timedelta(seconds=expires):
            raise AccessDenied("Request has expired")
        if signed_at - now > MAX_SKEW:
            raise AccessDenied("Request is not valid yet (X-Amz-Date is in the future).")
        scope = self._scope(params.get("X-Amz-Credential", ""), amz_date)
        signed_names = params.get("X-Amz-SignedHeaders", "").split(";")
        self._check_signed_headers(signed_names, headers, need_date=False)
        unsigned_query = [(k, v) for k, v in query if k != "X-Amz-Signature"]
        payload = (headers.get("x-amz-content-sha256") or [UNSIGNED])[0]
        canonical = canonical_request(method, path, unsigned_query, headers, signed_names, payload)
        key = self._key(scope)
        expected = _sign(key, string_to_sign(amz_date, scope, canonical))
        if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
            raise SignatureDoesNotMatch(
                "The request signature we calculated does not match the signature you provided."
            )
        return Signed(UNSIGNED, expected, amz_date, scope, key)

    def _check_date(self, amz_date: str, now: dt.datetime) -> None:
        try:
            signed_at = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            raise AccessDenied(
                "AWS authentication requires a valid x-amz-date header (YYYYMMDDTHHMMSSZ)."
            ) from None
        if abs(now - signed_at) > MAX_SKEW:
            raise RequestTimeTooSkewed(
                "The difference between the request time and the server's time is too large "
                f"({amz_date} against {now.strftime('%Y%m%dT%H%M%SZ')})."
            )

    def _scope(self, credential: str, amz_date: str) -> str:
        parts = credential.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request":
            raise AuthorizationHeaderMalformed(
                "The Credential must be <access key>/<date>/<region>/s3/aws4_request."
            )
        key_id, date, region, service, _ = parts
        if key_id != self.access_key_id:
            raise InvalidAccessKeyId(
                f"The AWS Access Key Id you provided does not exist in our records: {key_id!r} (run "
                "`gluelab credentials`)."
            )
        if service != SERVICE:
            raise AuthorizationHeaderMalformed(f"The Credential is scoped to {service!r}, not s3.")
        if region != self.region:
            error = AuthorizationHeaderMalformed(
                f"The authorization header is malformed; the region '{region}' is wrong; expecting "
                f"'{self.region}'"
            )
            error.extra["Region"] = self.region  # botocore retries in the region S3 names
            raise error
        if date != amz_date[:8]:
            raise AuthorizationHeaderMalformed("The Credential's date does not match X-Amz-Date.")
        return "/".join(parts[1:])

    @staticmethod
    def _check_signed_headers(
        names: list[str], headers: dict[str, list[str]], need_date: bool = True
    ) -> None:
        if "host" not in names or (need_date and "x-amz-date" not in names):
            raise AuthorizationHeaderMalformed("SignedHeaders must include host and x-amz-date.")
        absent = [n for n in names if n not in headers]
        if absent:
            raise AuthorizationHeaderMalformed(
                f"Signed header(s) missing from the request: {', '.join(absent)}"
            )

    def _key(self, scope: str) -> bytes:
        date, region, service, terminal = scope.split("/")
        key = f"AWS4{self.secret_key}".encode()
        for part in (date, region, service, terminal):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        return key


def _uri_encode(text: str, keep_slash: bool) -> str:
    return quote(text, safe="/~" if keep_slash else "~")


def canonical_request(
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, list[str]],
    signed_names: list[str],
    payload: str,
) -> str:
    """S3's canonical request: the path decoded and encoded once (not normalized), the query sorted."""
    canonical_path = _uri_encode(unquote(path), keep_slash=True) or "/"
    pairs = sorted((_uri_encode(k, False), _uri_encode(v, False)) for k, v in query)
    canonical_query = "&".join(f"{k}={v}" for k, v in pairs)
    canonical_headers = "".join(
        f"{name}:{','.join(' '.join(v.split()) for v in headers[name])}\n" for name in signed_names
    )
    return "\n".join(
        [method, canonical_path, canonical_query, canonical_headers, ";".join(signed_names), payload]
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])


def _sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


class ChunkSignatures:
    """The signatures of an ``aws-chunked`` body's chunks and trailer, each chained from the one before."""

    def __init__(self, signed: Signed):
        self.signed = signed
        self.previous = signed.signature

    def check_chunk(self, data_sha256: str, signature: str) -> None:
        text = "\n".join(
            [
                f"{ALGORITHM}-PAYLOAD",
                self.signed.amz_date,
                self.signed.scope,
                self.previous,
                EMPTY_SHA256,
                data_sha256,
            ]
        )
        self._check(text, signature, "chunk")

    def check_trailer(self, trailer_text: str, signature: str) -> None:
        text = "\n".join(
            [
                f"{ALGORITHM}-TRAILER",
                self.signed.amz_date,
                self.signed.scope,
                self.previous,
                hashlib.sha256(trailer_text.encode()).hexdigest(),
            ]
        )
        self._check(text, signature, "trailer")

    def _check(self, text: str, signature: str, what: str) -> None:
        expected = _sign(self.signed.key, text)
        if not hmac.compare_digest(expected, signature):
            raise SignatureDoesNotMatch(f"The {what} signature of the streamed body does not match.")
        self.previous = expected
