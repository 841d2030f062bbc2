"""AWS Signature Version 4 checking: the request's signature is recomputed with botocore's own signer,
using gluelab's token as the secret key, and compared. Anything else gets AWS's authentication errors.

The credential scope is checked as AWS checks it: the service the request is for (``glue`` for a Glue
action, ``sts`` for STS) and the endpoint's region (gluelab's configured region). STS also takes
``us-east-1``, the scope AWS's global endpoint (``sts.amazonaws.com``) expects, which botocore signs with
when a client has no region of its own."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Iterable

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from ..errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW = dt.timedelta(minutes=15)
_FIELD = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]+)")
# Services with one global endpoint as well as regional ones, and the region that endpoint's scope names.
GLOBAL_ENDPOINT_REGION = {"sts": "us-east-1"}


class SigV4Verifier:
    def __init__(
        self,
        access_key_id: str,
        secret_key: str,
        services: Iterable[str] = ("glue",),
        region: str = "us-east-1",
    ):
        self.access_key_id = access_key_id
        self.secret_key = secret_key
        self.services = frozenset(services)
        self.region = region

    def verify(
        self,
        method: str,
        uri: str,
        headers: list[tuple[str, str]],
        body: bytes,
        now: dt.datetime | None = None,
        service: str | None = None,
    ) -> str:
        """Raise an AWS authentication error unless the request is signed with our key, scoped to our
        region and to ``service`` (the service the request is for; by default any of ``services``);
        return the signing service name."""
        lowered: dict[str, list[str]] = {}
        for name, value in headers:
            lowered.setdefault(name.lower(), []).append(value)
        authorization = (lowered.get("authorization") or [""])[0].strip()
        if not authorization:
            raise MissingAuthenticationTokenException(
                "Missing Authentication Token: sign requests with SigV4 (run `gluelab credentials`)."
            )
        algorithm, _, rest = authorization.partition(" ")
        if algorithm != ALGORITHM:
            raise IncompleteSignatureException(
                f"Unsupported authorization algorithm {algorithm!r}; use {ALGORITHM}."
            )
        fields = dict(_FIELD.findall(rest))
        missing = [f for f in ("Credential", "SignedHeaders", "Signature") if f not in fields]
        if missing:
            raise IncompleteSignatureException(f"Authorization header requires {', '.join(missing)}.")

        scope = fields["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise IncompleteSignatureException(
                "Credential must be <access key>/<date>/<region>/<service>/aws4_request."
            )
        key_id, scope_date, region, scoped_service, _ = scope
        if key_id != self.access_key_id:
            raise UnrecognizedClientException(
                f"The security token included in the request is invalid: unknown access key id {key_id!r} "
                "(run `gluelab credentials`)."
            )
        self._check_scope(region, scoped_service, service)

        signed = fields["SignedHeaders"].split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            raise IncompleteSignatureException("SignedHeaders must include host and x-amz-date.")
        absent = [name for name in signed if name not in lowered]
        if absent:
            raise IncompleteSignatureException(
                f"Signed header(s) missing from the request: {', '.join(absent)}."
            )

        amz_date = lowered["x-amz-date"][0]
        try:
            signed_at = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            raise IncompleteSignatureException(
                f"X-Amz-Date {amz_date!r} is not in the form YYYYMMDDTHHMMSSZ."
            ) from None
        if scope_date != amz_date[:8]:
            raise InvalidSignatureException("The credential scope date does not match X-Amz-Date.")
        now = now or dt.datetime.now(dt.UTC)
        if abs(now - signed_at) > MAX_CLOCK_SKEW:
            raise InvalidSignatureException(
                f"Signature expired: {amz_date} is more than 15 minutes from the server time "
                f"{now.strftime('%Y%m%dT%H%M%SZ')}."
            )
        declared_hash = (lowered.get("x-amz-content-sha256") or [None])[0]
        if declared_hash is not None and declared_hash != hashlib.sha256(body).hexdigest():
            raise InvalidSignatureException(
                "X-Amz-Content-SHA256 does not match the request body (unsigned payloads are not accepted)."
            )

        request_headers = HTTPHeaders()
        for name in signed:
            for value in lowered[name]:
                request_headers[name] = value
        request = AWSRequest(
            method=method, url=f"http://{lowered['host'][0]}{uri}", data=body, headers=request_headers
        )
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(key_id, self.secret_key), scoped_service, region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, fields["Signature"]):
            raise InvalidSignatureException(
                "The request signature we calculated does not match the signature you provided. "
                "Check your secret key (the token `gluelab credentials` prints) and signing method."
            )
        return scoped_service

    def _check_scope(self, region: str, scoped: str, wanted: str | None) -> None:
        """AWS's messages for a credential scoped to another service or region."""
        allowed = {wanted} if wanted else self.services
        if scoped not in allowed:
            expected = " or ".join(sorted(allowed))
            raise InvalidSignatureException(
                f"Credential should be scoped to correct service: '{expected}'. "
                f"This request is signed for {scoped!r}."
            )
        regions = {self.region, GLOBAL_ENDPOINT_REGION.get(scoped, self.region)}
        if region not in regions:
            raise InvalidSignatureException(
                f"Credential should be scoped to a valid region, not '{region}'. "
                f"This endpoint's region is {self.region} (`gluelab credentials` shows it)."
            )
