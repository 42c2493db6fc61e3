"""Field types of an OCI request body, checked against the OCI SDK's own models before the
emulator reads any field (ledger: oci.error.malformed).

Every model in oci.generative_ai_inference.models declares its fields (`swagger_types`,
with the JSON names in `attribute_map`), and the polymorphic ones (ServingMode, ChatRequest,
Message, ChatContent, ToolDefinition …) say which subclass a body is (`get_subtype`). A field
of the wrong JSON type is a 400 in the service's own evidenced words ("Please pass in correct
format of request.", which names no field; the refusal keeps the path, `servingMode.modelId`,
as its `param` for the emulator's own messages and tests); an unknown subtype or a field the
model does not declare is left to the route (the service ignores unknown fields). Nothing
here depends on a model id.
"""

from __future__ import annotations

import functools
import re

from oci.generative_ai_inference import models

from ..refusals import Refused, is_integer, is_number
from .errors import MALFORMED

_LIST = re.compile(r"list\[(.+)\]$")
_DICT = re.compile(r"dict\(str, (.+)\)$")
_PRIMITIVES = {
    "str": ("a string", lambda v: isinstance(v, str)),
    "int": ("an integer", is_integer),
    "float": ("a number", is_number),
    "bool": ("a boolean", lambda v: isinstance(v, bool)),
    "datetime": ("a date-time string", lambda v: isinstance(v, str)),
    "object": ("any JSON value", lambda v: True),
}


@functools.cache
def _fields(name: str) -> dict[str, tuple[str, str]]:
    """{JSON name: (python name, declared type)} of an SDK model."""
    instance = getattr(models, name)()
    return {json: (py, instance.swagger_types[py]) for py, json in instance.attribute_map.items()}


def _subtype(name: str, value: dict) -> str:
    cls = getattr(models, name)
    picker = cls.__dict__.get("get_subtype")
    if picker is None:
        return name
    try:
        chosen = picker.__func__(value) if hasattr(picker, "__func__") else picker(value)
    except Exception:  # an SDK picker that cannot read the discriminator
        return name
    return chosen if hasattr(models, chosen) else name


def _refuse(path: str, expected: str) -> Refused:
    refusal = Refused(400, MALFORMED, "oci.error.malformed", path)
    refusal.expected = expected
    return refusal


def check(value, declared: str, path: str) -> None:
    """Raise Refused(400) naming the first field of `value` whose JSON type is not the
    `declared` SDK type ('str', 'list[Message]', 'ChatDetails' …)."""
    if value is None:  # an explicit null is an absent optional field
        return
    if declared in _PRIMITIVES:
        words, ok = _PRIMITIVES[declared]
        if not ok(value):
            raise _refuse(path, words)
        return
    inner = _LIST.match(declared)
    if inner:
        if not isinstance(value, list):
            raise _refuse(path, "an array")
        for index, item in enumerate(value):
            check(item, inner[1], f"{path}[{index}]")
        return
    inner = _DICT.match(declared)
    if inner:
        if not isinstance(value, dict):
            raise _refuse(path, "an object")
        for key, item in value.items():
            check(item, inner[1], f"{path}.{key}")
        return
    if not hasattr(models, declared):
        return  # a type this SDK does not define: nothing to check against
    if not isinstance(value, dict):
        raise _refuse(path, "an object")
    fields = _fields(_subtype(declared, value))
    for key, item in value.items():
        if key in fields:
            check(item, fields[key][1], f"{path}.{key}" if path else key)


def check_body(body, model: str) -> None:
    """The whole request body against an SDK model name ('EmbedTextDetails')."""
    if not isinstance(body, dict):
        raise _refuse("body", "a JSON object")
    check(body, model, "")
