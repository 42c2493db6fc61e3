"""OCI error bodies and the JSON responses every OCI route sends (ledger: oci.error.*,
oci.response.request-id).
"""

from __future__ import annotations

import hashlib
import json

from starlette.requests import Request
from starlette.responses import Response

from .. import ledger
from ..refusals import Refused

NOT_FOUND = "Authorization failed or requested resource not found."
MALFORMED = "Please pass in correct format of request."
NOT_AUTHENTICATED = (
    "The required information to complete authentication was not provided or was incorrect."
)


def request_id(raw: bytes, body: bytes) -> str:
    """A stable opc-request-id: a hash of what was asked and answered."""
    return hashlib.sha256(raw + body).hexdigest()[:32].upper()


def compact(data) -> str:
    """JSON as the service writes it: no spaces after separators, so content-length matches
    (ledger: oci.response.json-headers)."""
    return json.dumps(data, separators=(",", ":"))


def json_response(data, status: int = 200, raw: bytes = b"") -> Response:
    # Exactly application/json (no charset) and a content-length: the OCI SDK hands back
    # a raw response otherwise, and both LangChain classes read content-length.
    body = compact(data).encode("utf-8")
    return Response(
        body,
        status,
        headers={"content-type": "application/json", "opc-request-id": request_id(raw, body)},
    )


# The code in an error body is the HTTP status as a string: real 400, 401 and 404 bodies show
# it (ledger oci.error.*); for 429 and 500 the same pattern is assumed (oci.fault.*).
def code_of(status: int) -> str:
    return str(status)


def error(
    status: int, message: str, code: str | None = None, headers: dict | None = None
) -> Response:
    """{"code", "message"}: the code is the HTTP status as a string unless given."""
    body = {"code": code or code_of(status), "message": message}
    response = json_response(body, status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class Unsupported(Refused):
    """A parameter an OpenAI-family model rejects: OCI wraps OpenAI's error object as a
    JSON string in its own {"code": "400", "message": …} body."""

    def __init__(self, param: str, code: str, message: str, ledger_id: str):
        super().__init__(400, message, ledger_id, param)
        self.code = code

    def body(self) -> dict:
        inner = {
            "error": {
                "message": self.message,
                "type": "invalid_request_error",
                "param": self.param,
                "code": self.code,
            }
        }
        return {"code": "400", "message": compact(inner)}


def refused(request: Request, refusal: Refused) -> Response:
    """A refusal as OCI shapes it: {"code", "message"}."""
    ledger.use(request, refusal.ledger_id)
    return error(refusal.status, refusal.message)
