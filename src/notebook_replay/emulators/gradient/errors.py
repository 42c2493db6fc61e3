"""Gradient error bodies and the access-key check (ledger: gradient.error.*). Bodies use the
OpenAI-compatible envelope {"error": {"message", "type", "param", "code"}}: an assumption,
no real Gradient error body is public (gradient.error.envelope).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...providers import GRADIENT_PLACEHOLDER_KEY

# (type, code) of error bodies by status.
ERROR_KINDS = {
    400: ("invalid_request_error", None),
    401: ("authentication_error", "unauthorized"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("rate_limit_error", "too_many_requests"),  # DigitalOcean names this identifier
    500: ("server_error", "internal_error"),
}


def error(
    status: int, message: str, param: str | None = None, headers: dict | None = None
) -> Response:
    kind, code = ERROR_KINDS[status]
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status, headers=headers)


def authorized(request: Request) -> bool:
    return request.headers.get("authorization", "") == f"Bearer {GRADIENT_PLACEHOLDER_KEY}"
