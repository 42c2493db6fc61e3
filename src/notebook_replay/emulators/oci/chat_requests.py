"""POST /20231130/actions/chat, the request side: the three apiFormats (COHERE, COHEREV2,
GENERIC) validated as the OCI SDK models define them, and the conversation turned into a
reply-script turn (ledger: oci.validate.*, oci.error.malformed).
"""

from __future__ import annotations

import json

from starlette.requests import Request

from .. import catalog, ledger, synth
from ..refusals import Refused, wrong_type
from ..replies import Turn
from .auth import check_compartment
from .errors import MALFORMED, Unsupported
from .models import model_of

# OCI's common text for a 500 (the service's own wording for this case is not public).
INTERNAL_ERROR = "Internal error occurred"


COHERE_ROLES = ("USER", "CHATBOT", "SYSTEM", "TOOL")


V2_ROLES = ("USER", "ASSISTANT", "SYSTEM", "TOOL")


V2_CONTENT = ("TEXT", "IMAGE_URL", "DOCUMENT", "THINKING")


GENERIC_ROLES = ("SYSTEM", "USER", "ASSISTANT", "TOOL", "DEVELOPER")


EFFORTS = ("NONE", "MINIMAL", "LOW", "MEDIUM", "HIGH")


COMMON_TYPES = {
    "apiFormat": "string",
    "isStream": "boolean",
    "streamOptions": "object",
    "maxTokens": "integer",
    "temperature": "number",
    "topP": "number",
    "topK": "integer",
    "frequencyPenalty": "number",
    "presencePenalty": "number",
    "seed": "integer",
    "tools": "array",
    "responseFormat": "object",
}


COHERE_TYPES = {
    **COMMON_TYPES,
    "message": "string",
    "chatHistory": "array",
    "toolResults": "array",
    "stopSequences": "array",
    "preambleOverride": "string",
}


V2_TYPES = {
    **COMMON_TYPES,
    "messages": "array",
    "stopSequences": "array",
    "thinking": "object",
}


FIELD_TYPES = {"COHERE": COHERE_TYPES, "COHEREV2": V2_TYPES}


GENERIC_TYPES = {
    **COMMON_TYPES,
    "messages": "array",
    "stop": "array",
    "maxCompletionTokens": "integer",
    "numGenerations": "integer",
    "reasoningEffort": "string",
    "toolChoice": "object",
    "isParallelToolCalls": "boolean",
    "logProbs": "integer",
}


# Sampling fields accepted without effect: a scripted answer does not vary (see the ledger).
SAMPLING = ("temperature", "topP", "topK", "seed", "frequencyPenalty", "presencePenalty")


# Temperature ranges the emulator enforces per API format (see the ledger: assumed).
TEMPERATURE = {"COHERE": 1.0, "COHEREV2": 1.0, "GENERIC": 2.0}


# Model families: a Cohere model answers both Cohere formats (see the ledger: assumed).
FAMILY = {"COHERE": "COHERE", "COHEREV2": "COHERE", "GENERIC": "GENERIC"}


def generic_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return " ".join(p.get("text", "") or "" for p in content or [] if isinstance(p, dict))


def validate(request: Request, body) -> tuple[str, catalog.Model | None, dict]:
    if not isinstance(body, dict) or not isinstance(body.get("chatRequest"), dict):
        raise Refused(400, MALFORMED, "oci.error.malformed")
    check_compartment(body)
    chat_request = body["chatRequest"]
    api_format = chat_request.get("apiFormat")
    if api_format not in FAMILY:
        raise Refused(400, MALFORMED, "oci.error.malformed")
    if wrong_type(chat_request, FIELD_TYPES.get(api_format, GENERIC_TYPES)):
        raise Refused(400, MALFORMED, "oci.error.malformed")
    model_id, model = model_of(request, body)
    if model and FAMILY.get(model.api_format) != FAMILY[api_format]:
        raise Refused(
            400,
            f"The model {model_id} takes apiFormat {model.api_format}, not {api_format}.",
            "oci.validate.api-format",
        )
    if api_format == "COHERE":
        _validate_cohere(chat_request)
    elif api_format == "COHEREV2":
        ledger.use(request, "oci.format.cohere-v2")
        _validate_cohere_v2(chat_request, model)
    else:
        _validate_generic(chat_request, model)
    temperature = chat_request.get("temperature")
    if temperature is not None and not 0 <= temperature <= TEMPERATURE[api_format]:
        raise Refused(
            400,
            f"temperature must be between 0 and {TEMPERATURE[api_format]:g}; got {temperature}.",
            "oci.validate.temperature",
        )
    for name in ("maxTokens", "maxCompletionTokens", "numGenerations"):
        if chat_request.get(name) is not None and chat_request[name] < 1:
            raise Refused(
                400, f"{name} must be at least 1; got {chat_request[name]}.", "oci.validate.types"
            )
    if (
        model
        and model.quirks.get("max_tokens_field") == "maxCompletionTokens"
        and chat_request.get("maxTokens") is not None
    ):
        raise Unsupported(
            "maxTokens",
            "unsupported_parameter",
            "Unsupported parameter: 'maxTokens' is not supported with this model. "
            "Use 'maxCompletionTokens' instead.",
            "oci.control.max-completion-tokens",
        )
    if model and "temperature" in model.quirks:
        for name in ("temperature", "topP"):
            if chat_request.get(name) not in (None, 1, 1.0):
                raise Unsupported(
                    name,
                    "unsupported_value",
                    f"Unsupported value: '{name}' does not support {chat_request[name]} with "
                    "this model. Only the default (1) value is supported.",
                    "oci.control.default-sampling-only",
                )
    response_format = chat_request.get("responseFormat") or {}
    kind = str(response_format.get("type", "TEXT")).upper()
    if kind not in ("TEXT", "JSON_OBJECT", "JSON_SCHEMA"):
        raise Refused(
            400,
            f"Invalid responseFormat type '{response_format.get('type')}'. "
            "Expected one of TEXT, JSON_OBJECT, JSON_SCHEMA.",
            "oci.validate.response-format",
        )
    if api_format == "COHERE" and kind == "JSON_SCHEMA":
        # CohereChatRequest's response format has no JSON_SCHEMA type (a schema rides on
        # JSON_OBJECT): the request cannot be read.
        raise Refused(400, MALFORMED, "oci.validate.cohere-json-schema")
    if kind == "JSON_SCHEMA" and model is not None and model.refuses("json_schema"):
        raise Refused(
            400,
            f"The model {model_id} does not support a JSON_SCHEMA response format.",
            "oci.validate.json-schema",
        )
    if model is not None and model.vendor == "google":
        bound = exclusive_bound(chat_request.get("tools") or [])
        if bound:
            raise Refused(
                400,
                f'Invalid JSON payload received. Unknown name "{bound}" in a tool\'s parameters.',
                "oci.validate.gemini-exclusive-bounds",
            )
    if chat_request.get("tools") and model is not None and model.refuses("tools"):
        raise Refused(400, f"The model {model_id} does not support tools.", "oci.validate.tools")
    effort = chat_request.get("reasoningEffort")
    if effort is not None and str(effort).upper() not in EFFORTS:
        raise Refused(
            400,
            f"Invalid reasoningEffort '{effort}'. Expected one of {', '.join(EFFORTS)}.",
            "oci.control.reasoning",
        )
    if effort is not None and model is not None and not model.can("reasoning"):
        ledger.use(request, "oci.control.reasoning-effort-ignored")
    return model_id, model, chat_request


def exclusive_bound(value) -> str | None:
    """The first exclusiveMinimum / exclusiveMaximum key anywhere in tool definitions."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("exclusiveMinimum", "exclusiveMaximum"):
                return key
            found = exclusive_bound(inner)
            if found:
                return found
    if isinstance(value, list):
        for inner in value:
            found = exclusive_bound(inner)
            if found:
                return found
    return None


def _validate_cohere(chat_request: dict) -> None:
    history = chat_request.get("chatHistory") or []
    for message in history:
        if not isinstance(message, dict) or message.get("role") not in COHERE_ROLES:
            raise Refused(400, MALFORMED, "oci.error.malformed")
    if not chat_request.get("message") and not chat_request.get("toolResults"):
        raise Refused(400, "message must not be empty.", "oci.validate.messages-empty")


def _validate_cohere_v2(chat_request: dict, model: catalog.Model | None) -> None:
    messages = chat_request.get("messages")
    if not messages:
        raise Refused(400, "messages must not be empty.", "oci.validate.messages-empty")
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in V2_ROLES:
            raise Refused(400, MALFORMED, "oci.error.malformed")
        content = message.get("content") or []
        if not isinstance(content, list) or not all(
            isinstance(p, dict) and p.get("type") in V2_CONTENT for p in content
        ):
            raise Refused(400, MALFORMED, "oci.error.malformed")
        if any(p["type"] == "IMAGE_URL" for p in content) and model and not model.can("vision"):
            raise Refused(
                400, f"The model {model.id} does not accept image content.", "oci.validate.vision"
            )


def v2_text(message: dict) -> str:
    return " ".join(
        p.get("text", "") or "" for p in message.get("content") or [] if p.get("type") == "TEXT"
    )


def _validate_generic(chat_request: dict, model: catalog.Model | None) -> None:
    messages = chat_request.get("messages")
    if not messages:
        raise Refused(400, "messages must not be empty.", "oci.validate.messages-empty")
    calls: set = set()  # ids of the tool calls of the latest ASSISTANT message
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in GENERIC_ROLES:
            raise Refused(400, MALFORMED, "oci.error.malformed")
        if message["role"] == "ASSISTANT":
            calls = {c.get("id") for c in message.get("toolCalls") or [] if isinstance(c, dict)}
            if calls and model is not None and model.vendor == "google":
                if not generic_text(message).strip():
                    # A NullPointerException in the service (langchain-oci sends "." instead).
                    raise Refused(500, INTERNAL_ERROR, "oci.validate.gemini-empty-tool-turn")
        if message["role"] == "TOOL" and message.get("toolCallId") not in calls:
            raise Refused(
                400,
                f"Invalid parameter: 'toolCallId' of '{message.get('toolCallId')}' not found "
                "in 'toolCalls' of previous message.",
                "oci.validate.orphan-tool",
            )
        content = message.get("content")
        images = isinstance(content, list) and any(
            isinstance(p, dict) and p.get("type") == "IMAGE" for p in content
        )
        if images and model is not None and not model.can("vision"):
            raise Refused(
                400,
                f"The model {model.id} does not accept image content.",
                "oci.validate.vision",
            )


# What a prompt-token count covers: the conversation and the tools, never the request's
# control fields (isStream, streamOptions, maxTokens …), so invoke and stream count alike.
_CONVERSATION = frozenset(
    {"message", "messages", "chatHistory", "preambleOverride", "documents", "toolResults", "tools"}
)


def turn_of(chat_request: dict, model_id: str, model: catalog.Model | None) -> Turn:
    stream_options = chat_request.get("streamOptions") or {}
    response_format = chat_request.get("responseFormat") or {}
    kind = str(response_format.get("type", "TEXT")).upper()
    max_tokens = chat_request.get("maxCompletionTokens", chat_request.get("maxTokens"))
    common = dict(
        model=model_id,
        stream=bool(chat_request.get("isStream")),
        include_usage=bool(stream_options.get("isIncludeUsage")),
        wants_json=kind in ("JSON_OBJECT", "JSON_SCHEMA"),
        json_schema=(response_format.get("jsonSchema") or {}).get("schema")
        or response_format.get("schema"),
        prompt_text=json.dumps({k: v for k, v in chat_request.items() if k in _CONVERSATION}),
        max_tokens=max_tokens,
    )
    if chat_request.get("apiFormat") == "COHEREV2":
        messages = chat_request["messages"]
        tools = [t.get("function") or t for t in chat_request.get("tools") or []]
        thinking = (chat_request.get("thinking") or {}).get("type")
        return Turn(
            prompt=next((v2_text(m) for m in reversed(messages) if m["role"] == "USER"), ""),
            system=" ".join(v2_text(m) for m in messages if m["role"] == "SYSTEM"),
            tool_result=v2_text(messages[-1]) if messages[-1]["role"] == "TOOL" else None,
            tools=[t.get("name") for t in tools],
            tool_schemas={t.get("name"): t.get("parameters") or {} for t in tools},
            stop=tuple(s for s in chat_request.get("stopSequences") or () if s),
            reasoning=model is not None and model.can("reasoning") and thinking != "DISABLED",
            **common,
        )
    if chat_request.get("apiFormat") == "COHERE":
        results = chat_request.get("toolResults")
        history = chat_request.get("chatHistory") or []
        users = [m.get("message", "") for m in history if m.get("role") == "USER"]
        tools = chat_request.get("tools") or []
        preamble = [chat_request.get("preambleOverride") or ""]
        preamble += [m.get("message", "") for m in history if m.get("role") == "SYSTEM"]
        return Turn(
            prompt=chat_request.get("message") or (users[-1] if users else ""),
            system=" ".join(p for p in preamble if p),
            tool_result=json.dumps([r.get("outputs") for r in results]) if results else None,
            tools=[t["name"] for t in tools],
            tool_schemas={
                t["name"]: synth.cohere_schema(t.get("parameterDefinitions")) for t in tools
            },
            stop=tuple(s for s in chat_request.get("stopSequences") or () if s),
            parallel_tools=model is not None and model.can("parallel_tools"),
            **common,
        )
    messages = chat_request["messages"]
    last = messages[-1]
    choice = chat_request.get("toolChoice") or {}
    tool_choice = {"AUTO": "auto", "NONE": "none", "REQUIRED": "required"}.get(
        choice.get("type"), choice.get("name")
    )
    tools = chat_request.get("tools") or []
    effort = str(chat_request.get("reasoningEffort") or "").upper()
    return Turn(
        prompt=next((generic_text(m) for m in reversed(messages) if m["role"] == "USER"), ""),
        system=" ".join(generic_text(m) for m in messages if m["role"] in ("SYSTEM", "DEVELOPER")),
        tool_result=generic_text(last) if last["role"] == "TOOL" else None,
        tools=[t["name"] for t in tools],
        tool_schemas={t["name"]: t.get("parameters") or {} for t in tools},
        tool_choice=tool_choice,
        stop=tuple(s for s in chat_request.get("stop") or () if s),
        n=chat_request.get("numGenerations") or 1,
        parallel_tools=model is not None
        and model.can("parallel_tools")
        and chat_request.get("isParallelToolCalls") is not False,
        reasoning=model is not None and model.can("reasoning") and effort != "NONE",
        **common,
    )
