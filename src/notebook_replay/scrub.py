"""Scrubbing: what a cassette may keep, and the patterns that must never reach one.

The same scrubber runs on every request vcrpy sees, in every mode: when recording it
cleans what is written, and when replaying it turns the request being matched into the
same shape (real OCIDs become the same placeholders), so a recorded placeholder still
answers a request that carries a reader's real compartment OCID.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable

REDACTED = "<redacted>"
OCID_PLACEHOLDER = "replay-placeholder"

# Headers a cassette keeps; every other header (authorization, date, x-content-sha256,
# opc-request-id, opc-retry-token, opc-client-info, user-agent, x-ms-client-request-id, …)
# is dropped. A list of what to keep cannot miss a header a new SDK version starts sending.
REQUEST_HEADERS_KEPT = frozenset({"content-type", "accept"})
RESPONSE_HEADERS_KEPT = frozenset({"content-type", "content-length", "retry-after"})

# ocid1.<resource type>.<realm>.[region][.future use].<unique id>
OCID = re.compile(r"\bocid1\.([a-z0-9]+)\.([a-z0-9]+)\.([a-z0-9-]*)\.(?:[a-z0-9-]*\.)?([a-z0-9-]+)")

# Shapes of secrets that must never be written, whatever header or body carries them.
SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "bearer token": re.compile(r"Bearer\s+[A-Za-z0-9._~+/=-]{16,}"),
    "OCI signature key id": re.compile(r'keyId="[^"]{12,}"'),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "real OCID": re.compile(r"\bocid1\.[a-z0-9]+\.oc[0-9]+\.[a-z0-9-]*\.[a-z0-9]{20,}\b"),
    "DigitalOcean token": re.compile(r"\bdop_v1_[a-f0-9]{20,}"),
    "Gradient model access key": re.compile(r"\bsk-do-[A-Za-z0-9_-]{16,}"),
}


def find_secrets(text: str) -> list[tuple[str, str]]:
    """Every (kind, excerpt) in ``text`` that looks like a secret."""
    hits = []
    for kind, pattern in SECRET_PATTERNS.items():
        for match in pattern.finditer(text):
            hits.append((kind, match.group(0)[:24] + "…"))
    return hits


def placeholder_ocids(text: str) -> str:
    """Replace the unique part of every OCID, keeping its type, realm and region."""
    return OCID.sub(
        lambda m: f"ocid1.{m.group(1)}.{m.group(2)}.{m.group(3)}.{OCID_PLACEHOLDER}", text
    )


class Scrubber:
    """Cleans vcrpy requests and responses before they are matched or written."""

    def __init__(self, secret_values: Iterable[str] = ()):
        # Longest first, so a secret that contains another is replaced whole.
        values = {v for v in secret_values if v and len(v) >= 6}
        self.secret_values = sorted(values, key=len, reverse=True)

    def text(self, text: str) -> str:
        text = placeholder_ocids(text)  # first, so a secret OCID keeps its shape
        for value in self.secret_values:
            text = text.replace(value, REDACTED)
        for pattern in SECRET_PATTERNS.values():
            text = pattern.sub(REDACTED, text)
        return text

    def body(self, body):
        if body is None:
            return None
        if isinstance(body, bytes):
            try:
                decoded = body.decode("utf-8")
            except UnicodeDecodeError:
                return body  # binary bodies carry no text secrets of ours
            return self.text(decoded).encode("utf-8")
        return self.text(body)

    def request(self, request):
        """vcrpy's before_record_request hook. Never returns None: that would let a
        request through unrecorded and unmatched."""
        request = copy.deepcopy(request)
        for name in list(request.headers):
            if name.lower() not in REQUEST_HEADERS_KEPT:
                del request.headers[name]
        request.body = self.body(request.body)
        return request

    def response(self, response: dict) -> dict:
        """vcrpy's before_record_response hook."""
        response = copy.deepcopy(response)
        headers = {
            name: values
            for name, values in response.get("headers", {}).items()
            if name.lower() in RESPONSE_HEADERS_KEPT
        }
        body = response.get("body", {}).get("string")
        if body is not None:
            body = self.body(body)
            response["body"]["string"] = body
            size = len(body if isinstance(body, bytes) else body.encode("utf-8"))
            for name in headers:
                if name.lower() == "content-length":
                    headers[name] = [str(size)]
        response["headers"] = headers
        return response
