"""Scrubbing: what a cassette may keep, and the patterns that must never reach one.

The same scrubber runs on every request vcrpy sees, in every mode: when recording it
cleans what is written, and when replaying it turns the request being matched into the
same shape (real OCIDs become the same placeholders), so a recorded placeholder still
answers a request that carries a reader's real compartment OCID.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

REDACTED = "<redacted>"
OCID_PLACEHOLDER = "replay-placeholder"

# Headers a cassette keeps; every other header (authorization, date, x-content-sha256,
# opc-request-id, opc-retry-token, opc-client-info, user-agent, x-ms-client-request-id, …)
# is dropped. A list of what to keep cannot miss a header a new SDK version starts sending.
REQUEST_HEADERS_KEPT = frozenset({"content-type", "accept"})
# model-retirement-info: OCI's notice on every answer of a deprecated model (no secret in it).
RESPONSE_HEADERS_KEPT = frozenset(
    {"content-type", "content-length", "retry-after", "model-retirement-info"}
)

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
    # In URLs: a credential-named query parameter with a value, and a password before a host.
    "secret in a URL query": re.compile(
        r"[?&](?:[A-Za-z0-9_.-]*(?:key|token|secret|signature|sig|password|passwd|auth|"
        r"credential|session)[A-Za-z0-9_.-]*)=[^&\s<#'\"]{6,}",
        re.IGNORECASE,
    ),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@<]+:[^/\s@<]+@", re.IGNORECASE),
}

# Query parameters whose value is dropped whole, whatever it looks like.
SECRET_QUERY_NAME = re.compile(
    r"key|token|secret|signature|sig$|password|passwd|auth|credential|session", re.IGNORECASE
)


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

    def uri(self, uri: str) -> str:
        """A URL with the same rules as a body, plus: userinfo (user:password@) dropped,
        and the value of every credential-named query parameter (api_key, token,
        signature, …) replaced whole. Recording and replay clean a URL alike, so a
        scrubbed one still matches."""
        parts = urlsplit(uri)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
        query = "&".join(self._query_pair(pair) for pair in parts.query.split("&"))
        path = self.text(parts.path)
        return urlunsplit((parts.scheme, netloc, path, query if parts.query else "", ""))

    def _query_pair(self, pair: str) -> str:
        name, equals, value = pair.partition("=")
        if equals and value and SECRET_QUERY_NAME.search(name):
            return f"{name}={REDACTED}"
        return f"{name}{equals}{self.text(value)}"

    def request(self, request):
        """vcrpy's before_record_request hook. Never returns None: that would let a
        request through unrecorded and unmatched."""
        request = copy.deepcopy(request)
        request.uri = self.uri(request.uri)
        for name in list(request.headers):
            if name.lower() not in REQUEST_HEADERS_KEPT:
                del request.headers[name]
        request.body = canonical_json(self.body(request.body))
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


def canonical_json(body):
    """A JSON body written one way only: sorted keys, two-space indent, one key a line.
    SDKs build bodies in varying key order (ChatGradient from a set); stored canonically,
    one changed prompt is one changed line of a cassette. Anything else is left as it is."""
    if not body:
        return body
    raw = body.decode("utf-8") if isinstance(body, bytes) else body
    try:
        data = json.loads(raw)
    except ValueError:
        return body
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)
    return text.encode("utf-8") if isinstance(body, bytes) else text
