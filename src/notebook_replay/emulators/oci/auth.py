"""OCI request signing as the emulator checks it, and the signed JSON body every action
route starts from (ledger: oci.auth.*, oci.error.not-authenticated).
"""

from __future__ import annotations

import json
import re

from starlette.requests import Request

from ...providers import OCI_PLACEHOLDER_COMPARTMENT, throwaway_oci_fingerprint
from .. import ledger
from ..refusals import Refused
from .errors import MALFORMED, NOT_AUTHENTICATED, NOT_FOUND, error, refused


async def signed_body(request: Request):
    """A signed request's JSON body, or the answer that refuses it: a 401 for a signature
    the service does not know, a 400 for a body that is not JSON (the actions' shared start)."""
    if not authenticated(request.headers.get("authorization", "")):
        ledger.use(request, "oci.error.not-authenticated")
        return error(401, NOT_AUTHENTICATED)
    ledger.use(request, "oci.auth.signature")
    try:
        return json.loads(await request.body())
    except ValueError:
        return refused(request, Refused(400, MALFORMED, "oci.error.malformed"))


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
