"""STS's GetCallerIdentity, answered by the Glue endpoint. Clients ask who they are before they call Glue
(Glue's interactive-sessions kernel tags each session with the caller's UserId): with an AWS profile whose
``endpoint_url`` is gluelab, the answer comes from here. AWS's query protocol: a form-encoded POST with
``Action``, answered in XML."""

from __future__ import annotations

from urllib.parse import parse_qs
from xml.sax.saxutils import escape

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
FORM = "application/x-www-form-urlencoded"


def is_query_request(content_type: str | None, target: str | None) -> bool:
    """A query-protocol request (STS), not a JSON 1.1 Glue call."""
    return not target and (content_type or "").split(";")[0].strip().lower() == FORM


def caller_identity(account_id: str, access_key_id: str) -> dict[str, str]:
    return {
        "UserId": f"AIDA{account_id}{access_key_id.upper()}"[:21],
        "Account": account_id,
        "Arn": f"arn:aws:iam::{account_id}:user/{access_key_id}",
    }


def _xml(tag: str, fields: dict[str, str]) -> str:
    return f"<{tag}>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items()) + f"</{tag}>"


def answer(body: bytes, identity: dict[str, str], request_id: str) -> tuple[int, bytes]:
    """(HTTP status, XML body) for one STS request."""
    form = parse_qs(body.decode("utf-8", "replace"))
    action = (form.get("Action") or [""])[0]
    if action == "GetCallerIdentity":
        result = _xml("GetCallerIdentityResult", identity)
        meta = _xml("ResponseMetadata", {"RequestId": request_id})
        text = f'<GetCallerIdentityResponse xmlns="{NAMESPACE}">{result}{meta}</GetCallerIdentityResponse>'
        return 200, text.encode()
    message = f"Could not find operation {action or '(none)'}: gluelab answers STS GetCallerIdentity only"
    return 400, error_body("InvalidAction", message, request_id)


def error_body(code: str, message: str, request_id: str) -> bytes:
    """The query protocol's error document (authentication errors too)."""
    error = _xml("Error", {"Type": "Sender", "Code": code, "Message": message})
    request = f"<RequestId>{escape(request_id)}</RequestId>"
    return f'<ErrorResponse xmlns="{NAMESPACE}">{error}{request}</ErrorResponse>'.encode()
