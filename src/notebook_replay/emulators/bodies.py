"""Reading a request's JSON body within bounds (ledger: oci.error.malformed,
oci.error.too-large, gradient.error.invalid-json, gradient.error.too-large).

The body must say it is JSON, be at most MAX_BYTES, hold no NaN or Infinity (not JSON) and
nest at most MAX_DEPTH deep: anything else is refused before any other work, so no request
can make the emulator recurse or compute for long. The two limits are the emulator's own
(neither service documents one); real bodies are far below them.
"""

from __future__ import annotations

import json

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64


class BadBody(ValueError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def _constant(name: str):
    raise BadBody(f"The body is not valid JSON: {name} is not a JSON number.")


def _depth(value) -> int:
    """The nesting depth of a parsed value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def parse_json(raw: bytes, content_type: str | None):
    """The parsed body, or BadBody saying what is wrong with it."""
    if content_type is not None and "json" not in content_type.lower():
        raise BadBody(f"Content-Type {content_type!r} is not supported: send application/json.")
    if len(raw) > MAX_BYTES:
        raise BadBody(f"The body is {len(raw)} bytes; the most this accepts is {MAX_BYTES}.", 413)
    try:
        body = json.loads(raw, parse_constant=_constant)
    except BadBody:
        raise
    except RecursionError:  # the parser gives up on deep nesting at once
        raise BadBody(f"The body nests deeper than {MAX_DEPTH} levels.") from None
    except ValueError as problem:
        raise BadBody(f"The body is not valid JSON ({type(problem).__name__}).") from None
    if _depth(body) > MAX_DEPTH:
        raise BadBody(f"The body nests deeper than {MAX_DEPTH} levels.")
    return body
