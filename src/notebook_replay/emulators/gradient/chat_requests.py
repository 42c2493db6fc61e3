"""POST /v1/chat/completions, the request side: fields, types and values checked as the
OpenAI-compatible API and DigitalOcean's docs define them, and the conversation turned into
a reply-script turn (ledger: gradient.validate.*).
"""

from __future__ import annotations

import json

from starlette.requests import Request

from .. import catalog, ledger
from ..refusals import Refused, wrong_type
from ..replies import Turn

ROLES = ("system", "developer", "user", "assistant", "tool", "function")


# The known values in DigitalOcean's API description (pydo create_chat_completion) and in
# its "Use Reasoning" page (none, low, medium, high, max).
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


FIELD_TYPES = {
    "model": "string",
    "messages": "array",
    "temperature": "number",
    "top_p": "number",
    "max_tokens": "integer",
    "max_completion_tokens": "integer",
    "n": "integer",
    "stop": ("string", "array"),
    "stream": "boolean",
    "stream_options": "object",
    "tools": "array",
    "tool_choice": ("string", "object"),
    "parallel_tool_calls": "boolean",
    "response_format": "object",
    "reasoning_effort": "string",
    "logprobs": "boolean",
    "seed": "integer",
    "user": "string",
}


# Fields the emulator reads or knowingly passes over; anything else is ignored (assumed).
KNOWN_FIELDS = {
    *FIELD_TYPES,
    "top_logprobs",
    "frequency_penalty",
    "presence_penalty",
    "logit_bias",
    "metadata",
    "store",
    "service_tier",
    "modalities",
    "prediction",
    "audio",
    "verbosity",
    "web_search_options",
}


# Sampling fields accepted without effect: a scripted answer does not vary (see the ledger).
SAMPLING = ("temperature", "top_p", "seed", "frequency_penalty", "presence_penalty", "logit_bias")


def text_of(content) -> str:
    if isinstance(content, list):  # content parts
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def validate(request: Request, body: dict) -> catalog.Model:
    """The 400s and 404s an OpenAI-compatible server gives, in the order it checks."""
    if not isinstance(body, dict):
        raise Refused(400, "The request body must be a JSON object.", "gradient.validate.types")
    bad = wrong_type(body, FIELD_TYPES)
    if bad:
        name, should = bad
        raise Refused(
            400,
            f"Invalid type for '{name}': expected {should}, but got "
            f"{type(body[name]).__name__} instead.",
            "gradient.validate.types",
            name,
        )
    messages = body.get("messages")
    if not messages:
        raise Refused(
            400, "[] is too short - 'messages'", "gradient.validate.messages-empty", "messages"
        )
    called = False
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            raise Refused(
                400,
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', "
                "'user', 'function', 'tool', and 'developer'.",
                "gradient.validate.role",
                f"messages[{i}].role",
            )
        content = message.get("content")
        if content is None and not (role == "assistant" and message.get("tool_calls")):
            raise Refused(
                400,
                f"Missing required parameter: 'messages[{i}].content'.",
                "gradient.validate.types",
                f"messages[{i}].content",
            )
        parts_ok = isinstance(content, list) and all(
            isinstance(p, dict) and isinstance(p.get("type"), str) for p in content
        )
        if content is not None and not isinstance(content, str) and not parts_ok:
            raise Refused(
                400,
                f"Invalid type for 'messages[{i}].content': expected a string or an array "
                "of content parts.",
                "gradient.validate.types",
                f"messages[{i}].content",
            )
        if role == "assistant" and message.get("tool_calls"):
            called = True
        if role == "tool" and not called:
            raise Refused(
                400,
                "Invalid parameter: messages with role 'tool' must be a response to a "
                "preceding message with 'tool_calls'.",
                "gradient.validate.orphan-tool",
                f"messages.[{i}].role",
            )
    stop = body.get("stop")
    if isinstance(stop, list) and not all(isinstance(s, str) for s in stop):
        raise Refused(
            400, "Invalid type for 'stop': expected strings.", "gradient.validate.types", "stop"
        )
    for i, tool in enumerate(body.get("tools") or []):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise Refused(
                400,
                f"Missing required parameter: 'tools[{i}].function.name'.",
                "gradient.validate.types",
                f"tools[{i}].function",
            )
    model = catalog.gradient().get(body.get("model"))
    if model is None or model.retired:
        raise Refused(
            404,
            f"The model `{body.get('model')}` does not exist or you do not have access to it.",
            "gradient.error.model-not-found",
            "model",
        )
    ledger.use(request, "gradient.catalog")
    if model.kind != "chat":
        raise Refused(
            400,
            f"The model `{model.id}` is {model.kind_phrase}: it does not serve chat completions.",
            "gradient.validate.model-kind",
            "model",
        )
    images = any(
        isinstance(p, dict) and p.get("type") == "image_url"
        for m in messages
        if isinstance(m.get("content"), list)
        for p in m["content"]
    )
    if images and not model.can("vision"):
        raise Refused(
            400,
            f"Invalid content type. image_url is only supported by certain models; "
            f"{model.id} takes text only.",
            "gradient.validate.vision",
            "messages",
        )
    temperature = body.get("temperature")
    if temperature is not None and not 0 <= temperature <= 2:
        raise Refused(
            400,
            f"Invalid 'temperature': expected a value between 0 and 2, but got {temperature} "
            "instead.",
            "gradient.validate.temperature",
            "temperature",
        )
    for name in ("max_tokens", "max_completion_tokens", "n"):
        if body.get(name) is not None and body[name] < 1:
            raise Refused(
                400,
                f"Invalid '{name}': integer below minimum value. Expected a value >= 1, "
                f"but got {body[name]} instead.",
                "gradient.validate.types",
                name,
            )
    choice = body.get("tool_choice")
    if isinstance(choice, str) and choice not in ("none", "auto", "required"):
        raise Refused(
            400,
            f"Invalid value: '{choice}'. Supported values are: 'none', 'auto', and "
            '\'required\' (name a function as {"type": "function", "function": '
            '{"name": ...}}).',
            "gradient.control.tool-choice-bare-name",
            "tool_choice",
        )
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in EFFORTS:
        raise Refused(
            400,
            f"Invalid value: '{effort}'. Supported values are: "
            + ", ".join(f"'{e}'" for e in EFFORTS)
            + ".",
            "gradient.validate.reasoning-effort",
            "reasoning_effort",
        )
    response_format = (body.get("response_format") or {}).get("type")
    if response_format not in (None, "text", "json_object", "json_schema"):
        raise Refused(
            400,
            f"Invalid value: '{response_format}'. Supported values are: 'text', "
            "'json_object', and 'json_schema'.",
            "gradient.control.response-format",
            "response_format.type",
        )
    if response_format == "json_schema" and model.refuses("json_schema"):
        raise Refused(
            400,
            f"response_format json_schema is not supported with {model.id}.",
            "gradient.validate.json-schema",
            "response_format",
        )
    if body.get("tools") and model.refuses("tools"):
        raise Refused(
            400, f"Tools are not supported with {model.id}.", "gradient.validate.tools", "tools"
        )
    if effort is not None and not model.can("reasoning"):
        ledger.use(request, "gradient.control.reasoning-effort-ignored")
    if body.get("stream_options") and not body.get("stream"):
        raise Refused(
            400,
            # The service's own words, as langchain-gradient quotes them (chat_models.py:314).
            "Stream options can only be defined when `stream=True`",
            "gradient.validate.stream-options",
            "stream_options",
        )
    return model


def turn_of(body: dict, model: catalog.Model) -> Turn:
    messages = body["messages"]
    last = messages[-1]
    prompt = next(
        (text_of(m.get("content")) for m in reversed(messages) if m["role"] == "user"), ""
    )
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = (choice.get("function") or {}).get("name")
    response_format = body.get("response_format") or {}
    stop = body.get("stop")
    stop = (stop,) if isinstance(stop, str) else tuple(s for s in stop or () if s)
    functions = [t.get("function") or {} for t in body.get("tools") or []]
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    system = " ".join(
        text_of(m.get("content")) for m in messages if m["role"] in ("system", "developer")
    )
    return Turn(
        model=model.id,
        prompt=prompt,
        system=system,
        tool_result=text_of(last.get("content")) if last["role"] == "tool" else None,
        tools=[f.get("name") for f in functions],
        tool_schemas={f.get("name"): f.get("parameters") or {} for f in functions},
        tool_choice=choice,
        wants_json=response_format.get("type") in ("json_object", "json_schema"),
        json_schema=(response_format.get("json_schema") or {}).get("schema"),
        stream=bool(body.get("stream")),
        include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
        prompt_text=json.dumps(messages),
        logprobs=bool(body.get("logprobs")),
        stop=stop,
        max_tokens=max_tokens,
        n=body.get("n") or 1,
        parallel_tools=model.can("parallel_tools") and body.get("parallel_tool_calls") is not False,
        reasoning=model.can("reasoning") and body.get("reasoning_effort") != "none",
    )
