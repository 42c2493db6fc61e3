"""Scripted faults: how an emulated service misbehaves, for the pages' error sections."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter

# The ledger entry of each fault, per service.
LEDGER = {
    "gradient": {
        "rate_limited": "gradient.fault.rate-limited",
        "rate_limited_once": "gradient.fault.rate-limited",
        "rate_limited_once_with_retry_after": "gradient.fault.retry-after",
        "server_error": "gradient.fault.server-error",
        "unauthorized": "gradient.error.unauthorized",
        "cut_stream": "gradient.fault.cut-stream",
        "malformed_json": "gradient.fault.malformed-json",
    },
    "oci": {
        "rate_limited": "oci.fault.rate-limited",
        "rate_limited_once": "oci.fault.rate-limited",
        "rate_limited_once_with_retry_after": "oci.fault.retry-after",
        "server_error": "oci.fault.server-error",
        "unauthorized": "oci.error.not-authenticated",
        "cut_stream": "oci.fault.cut-stream",
        "malformed_json": "oci.fault.malformed-json",
    },
}


class Attempts:
    """How many times each exact request body has arrived, so that a fault such as
    `rate_limited_once` depends on what was asked, never on the order of requests."""

    def __init__(self):
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, raw: bytes) -> int:
        key = hashlib.sha256(raw).hexdigest()
        with self._lock:
            self._seen[key] += 1
            return self._seen[key]


def refusal(fault: str | None, attempt: int) -> tuple[int, str, bool] | None:
    """(status, message, with a Retry-After header) when this attempt is refused."""
    once = fault in ("rate_limited_once", "rate_limited_once_with_retry_after")
    if fault == "rate_limited" or (once and attempt == 1):
        message = "Too many requests: the rate limit for this model was exceeded."
        return 429, message, fault == "rate_limited_once_with_retry_after"
    if fault == "server_error":
        return 500, "The server had an error while processing your request.", False
    if fault == "unauthorized":
        return 401, "The credentials were refused.", False
    return None


def damage_stream(events: list[str], fault: str | None) -> list[str]:
    """A stream cut in the middle of an event, or with one event that is not JSON."""
    if fault == "cut_stream":
        kept = events[: max(2, len(events) // 2)]
        return [*kept, events[len(kept)][: len(events[len(kept)]) // 2]]
    if fault == "malformed_json":
        middle = len(events) // 2
        return [*events[:middle], 'data: {"choices": [{"delta": \n\n', *events[middle:]]
    return events
