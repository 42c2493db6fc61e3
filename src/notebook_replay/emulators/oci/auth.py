"""OCI request signing as the emulator checks it, and the signed JSON body every action
route starts from (ledger: oci.auth.*, oci.error.not-authenticated).
"""

from __future__ import annotations

import re

from starlette.requests import Request

from ...providers import OCI_PLACEHOLDER_COMPARTMENT, throwaway_oci_fingerprint
from .. import ledger
from ..bodies import BadBody, parse_json
from ..refusals import Refused
from . import shapes
from .errors import MALFORMED, NOT_AUTHENTICATED, NOT_FOUND, error, refused


async def signed_body(request: Request, model: str | None = None):
    """A signed request's JSON body, or the answer that refuses it: a 401 for a signature
    the service does not know, a 400 for a body that is not bounded JSON, or one whose
    fields do not have the types of the SDK `model` ('EmbedTextDetails'); the actions'
    shared start."""
    if not authenticated(request.headers.get("authorization", "")):
        ledger.use(request, "oci.error.not-authenticated")
        return error(401, NOT_AUTHENTICATED)
    ledger.use(request, "oci.auth.signature")
    try:
        body = read_body(await request.body(), request.headers.get("content-type"))
        if model:
            shapes.check_body(body, model)
    except Refused as refusal:
        return refused(request, refusal)
    return body


def read_body(raw: bytes, content_type: str | None):
    """The JSON body within the emulator's bounds, or Refused in the service's words."""
    try:
        return parse_json(raw, content_type)
    except BadBody as bad:
        if bad.status == 413:
            raise Refused(413, bad.message, "oci.error.too-large") from None
        raise Refused(400, MALFORMED, "oci.error.malformed") from None


def check_compartment(body: dict) -> None:
    if body.get("compartmentId") != OCI_PLACEHOLDER_COMPARTMENT:
        # The real service answers the same for a compartment you cannot use.
        raise Refused(404, NOT_FOUND, "oci.error.not-found")


def key_id(authorization: str) -> str | None:
    """The keyId of an OCI request signature: "<tenancy>/<user>/<fingerprint>" for an API
    key, "ST$<token>" for a session token or a principal."""
    match = re.search(r'keyId="([^"]*)"', authorization)
    return match.group(1) if authorization.startswith("Signature ") and match else None


def authenticated(authorization: str) -> bool:
    """As the service does: a session token, or an API key uploaded for the user. The
    emulator knows one uploaded key, the throwaway key that replay and emulated
    recording sign with. (It checks the key's fingerprint, not the signature's bytes.)"""
    signer = key_id(authorization)
    if signer is None:
        return False
    return signer.startswith("ST$") or signer.endswith("/" + throwaway_oci_fingerprint())
