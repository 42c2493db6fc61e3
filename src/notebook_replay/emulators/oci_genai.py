"""OCI Generative AI: POST /20231130/actions/chat (COHERE and GENERIC formats) on the
inference host, and GET /20231130/models (the model listing) on the management host.

Every behaviour here is marked with its entry in ledger/oci.yaml (what it is, and the
evidence for it or that it is assumed).
"""

from __future__ import annotations

import hashlib
import json
import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..providers import OCI_PLACEHOLDER_COMPARTMENT, throwaway_oci_fingerprint
from . import ANSWERED_AT, catalog, controls, faults, ledger, synth, tokens
from .refusals import Refused, record_problem, wrong_type
from .replies import ScriptProblem, Turn, answer

NOT_FOUND = "Authorization failed or requested resource not found."
MALFORMED = "Please pass in correct format of request."
NOT_AUTHENTICATED = (
    "The required information to complete authentication was not provided or was incorrect."
)
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


def request_id(raw: bytes, body: bytes) -> str:
    """A stable opc-request-id: a hash of what was asked and answered."""
    return hashlib.sha256(raw + body).hexdigest()[:32].upper()


def json_response(data, status: int = 200, raw: bytes = b"") -> Response:
    # Exactly application/json (no charset) and a content-length: the OCI SDK hands back
    # a raw response otherwise, and both LangChain classes read content-length.
    body = json.dumps(data).encode("utf-8")
    return Response(
        body,
        status,
        headers={"content-type": "application/json", "opc-request-id": request_id(raw, body)},
    )


def error(
    status: int, message: str, code: str | None = None, headers: dict | None = None
) -> Response:
    """{"code", "message"}, or only {"message"} when the service gives no code."""
    body = {"code": code, "message": message} if code else {"message": message}
    response = json_response(body, status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class Unsupported(Refused):
    """A parameter an OpenAI-family model rejects: OCI wraps OpenAI's error object as a
    JSON string in its own {"code": "400", "message": …} body."""

    def __init__(self, param: str, code: str, message: str, ledger_id: str):
        super().__init__(400, message, ledger_id, param)
        self.code = code

    def body(self) -> dict:
        inner = {
            "error": {
                "message": self.message,
                "type": "invalid_request_error",
                "param": self.param,
                "code": self.code,
            }
        }
        return {"code": "400", "message": json.dumps(inner)}


_CODES = {401: "NotAuthenticated", 404: "404", 429: "TooManyRequests", 500: "InternalServerError"}


def _pad(seed: str) -> str:
    """Real events carry a `pad` of varying length (it hides token lengths)."""
    return "a" * (3 + int(hashlib.sha256(seed.encode()).hexdigest()[:2], 16) % 24)


def _generic_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return " ".join(p.get("text", "") or "" for p in content or [] if isinstance(p, dict))


def _model(request: Request, body: dict, kind: str = "chat") -> tuple[str, catalog.Model | None]:
    """The model a request's servingMode names, refused unless it is on demand, current
    and of the `kind` the route serves (chat, embedding or rerank)."""
    serving = body.get("servingMode")
    if not isinstance(serving, dict):
        raise Refused(400, MALFORMED, "oci.error.malformed")
    if serving.get("servingType") == "DEDICATED":
        ledger.use(request, "oci.serving.dedicated")
        return str(serving.get("endpointId")), None
    model_id = serving.get("modelId")
    model = catalog.oci().get(model_id)
    if model is None:
        raise Refused(404, NOT_FOUND, "oci.error.not-found")
    ledger.use(request, "oci.catalog")
    if model.retired:
        instead = f" Use {model.replacement} instead." if model.replacement else ""
        raise Refused(
            400,
            f"The model {model_id} was retired from on-demand serving"
            + (f" on {model.retired_on}" if model.retired_on else "")
            + f" and no longer answers.{instead}",
            "oci.error.retired-model",
        )
    if model.kind != kind:
        raise Refused(
            400,
            f"The model {model_id} is a{'n' if model.kind[0] in 'ae' else ''} {model.kind} "
            f"model: it does not serve {ROUTE_OF_KIND[kind]}.",
            "oci.validate.model-type",
        )
    return model_id, model


# What each kind of model serves, for the wrong-model-type refusal.
ROUTE_OF_KIND = {"chat": "chat", "embedding": "embedText", "rerank": "rerankText"}


def refused(request: Request, refusal: Refused) -> Response:
    """A refusal as OCI shapes it: {"code", "message"} (or only a message)."""
    ledger.use(request, refusal.ledger_id)
    code = refusal.service_code or _CODES.get(refusal.status)
    return error(refusal.status, refusal.message, code)


async def signed_body(request: Request):
    """A signed request's JSON body, or the answer that refuses it: a 401 for a signature
    the service does not know, a 400 for a body that is not JSON (the actions' shared start)."""
    if not authenticated(request.headers.get("authorization", "")):
        ledger.use(request, "oci.error.not-authenticated")
        return error(401, NOT_AUTHENTICATED, "NotAuthenticated")
    ledger.use(request, "oci.auth.signature")
    try:
        return json.loads(await request.body())
    except ValueError:
        return refused(request, Refused(400, MALFORMED, "oci.error.malformed"))


def check_compartment(body: dict) -> None:
    if body.get("compartmentId") != OCI_PLACEHOLDER_COMPARTMENT:
        # The real service answers the same for a compartment you cannot use.
        raise Refused(404, NOT_FOUND, "oci.error.not-found")


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
    model_id, model = _model(request, body)
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
        bound = _exclusive_bound(chat_request.get("tools") or [])
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


def _exclusive_bound(value) -> str | None:
    """The first exclusiveMinimum / exclusiveMaximum key anywhere in tool definitions."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("exclusiveMinimum", "exclusiveMaximum"):
                return key
            found = _exclusive_bound(inner)
            if found:
                return found
    if isinstance(value, list):
        for inner in value:
            found = _exclusive_bound(inner)
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


def _v2_text(message: dict) -> str:
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
        if message["role"] == "TOOL" and message.get("toolCallId") not in calls:
            raise Refused(
                400,
                f"Invalid parameter: 'toolCallId' of '{message.get('toolCallId')}' not found "
                "in 'toolCalls' of previous message.",
                "oci.validate.orphan-tool",
                service_code="400",
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
            prompt=next((_v2_text(m) for m in reversed(messages) if m["role"] == "USER"), ""),
            system=" ".join(_v2_text(m) for m in messages if m["role"] == "SYSTEM"),
            tool_result=_v2_text(messages[-1]) if messages[-1]["role"] == "TOOL" else None,
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
        prompt=next((_generic_text(m) for m in reversed(messages) if m["role"] == "USER"), ""),
        system=" ".join(_generic_text(m) for m in messages if m["role"] in ("SYSTEM", "DEVELOPER")),
        tool_result=_generic_text(last) if last["role"] == "TOOL" else None,
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


def _usage(reply: controls.Reply, model: catalog.Model | None) -> dict:
    usage = {
        "completionTokens": reply.completion_tokens,
        "promptTokens": reply.prompt_tokens,
        "totalTokens": reply.prompt_tokens + reply.completion_tokens,
    }
    if model is not None and model.vendor == "openai":
        usage["completionTokensDetails"] = {"reasoningTokens": reply.reasoning_tokens}
        usage["promptTokensDetails"] = {"cachedTokens": 0}
    return usage


_COHERE_FINISH = {
    "stop": "COMPLETE",
    "stop_sequence": None,
    "length": "MAX_TOKENS",
    "tool_calls": "COMPLETE",
}
_GENERIC_FINISH = {
    "stop": "stop",
    "stop_sequence": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
}


def cohere_response(chat_request: dict, reply: controls.Reply, model) -> dict:
    choice = reply.choices[0]
    history = list(chat_request.get("chatHistory") or [])
    if chat_request.get("message"):
        history.append({"role": "USER", "message": chat_request["message"]})
    said: dict = {"role": "CHATBOT", "message": choice.text}
    calls = [{"name": c.name, "parameters": c.arguments} for c in choice.tool_calls]
    if calls:
        said["toolCalls"] = calls
    response = {
        "apiFormat": "COHERE",
        "text": choice.text,
        "chatHistory": [*history, said],
        "finishReason": _COHERE_FINISH[choice.finish],
        "usage": _usage(reply, model),
    }
    if calls:
        response["toolCalls"] = calls
    return response


def _generic_calls(raw: bytes, choice: controls.Choice, index: int) -> list[dict]:
    return [
        {
            "type": "FUNCTION",
            "id": "chatcmpl-tool-" + hashlib.sha256(raw + bytes([index, i])).hexdigest()[:24],
            "name": call.name,
            "arguments": json.dumps(call.arguments),
        }
        for i, call in enumerate(choice.tool_calls)
    ]


def _generic_message(raw: bytes, choice: controls.Choice, index: int) -> dict:
    message: dict = {
        "role": "ASSISTANT",
        "content": [{"type": "TEXT", "text": choice.text}],
        "toolCalls": [],
    }
    if choice.tool_calls:
        message["content"] = None
        message["toolCalls"] = _generic_calls(raw, choice, index)
    if choice.reasoning:
        message["reasoningContent"] = choice.reasoning
    return message


def generic_response(raw: bytes, reply: controls.Reply, model) -> dict:
    return {
        "apiFormat": "GENERIC",
        "timeCreated": ANSWERED_AT.isoformat(timespec="milliseconds"),
        "choices": [
            {
                "index": i,
                "message": _generic_message(raw, choice, i),
                "finishReason": _GENERIC_FINISH[choice.finish],
                "logprobs": {},
            }
            for i, choice in enumerate(reply.choices)
        ],
        "usage": _usage(reply, model),
    }


_V2_FINISH = {
    "stop": "COMPLETE",
    "stop_sequence": "STOP_SEQUENCE",
    "length": "MAX_TOKENS",
    "tool_calls": "TOOL_CALL",
}


def cohere_v2_response(raw: bytes, reply: controls.Reply, model) -> dict:
    """A CohereChatResponseV2: the reply as an ASSISTANT message whose content holds a
    THINKING block (reasoning models) and a TEXT block."""
    choice = reply.choices[0]
    content = [{"type": "THINKING", "thinking": choice.reasoning}] if choice.reasoning else []
    content.append({"type": "TEXT", "text": choice.text})
    message: dict = {"role": "ASSISTANT", "content": content}
    if choice.tool_calls:
        message["toolCalls"] = [
            {
                "id": f"call_{hashlib.sha256(raw + bytes([i])).hexdigest()[:24]}",
                "type": "FUNCTION",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
            }
            for i, c in enumerate(choice.tool_calls)
        ]
    return {
        "apiFormat": "COHEREV2",
        "id": hashlib.sha256(raw).hexdigest()[:32],
        "message": message,
        "finishReason": _V2_FINISH[choice.finish],
        "usage": _usage(reply, model),
    }


def cohere_v2_events(raw: bytes, turn: Turn, reply: controls.Reply, model) -> list[dict]:
    """Token-sized THINKING then TEXT deltas as {apiFormat, message {role, content}}
    events, then a final event with the whole message, finishReason and (when asked)
    usage. No [DONE]."""
    final = cohere_v2_response(raw, reply, model)
    events: list[dict] = []
    for block in final["message"]["content"]:
        key = "thinking" if block["type"] == "THINKING" else "text"
        for piece in tokens.tokens(block[key]):
            part = {"type": block["type"], key: piece}
            events.append(
                {"apiFormat": "COHEREV2", "message": {"role": "ASSISTANT", "content": [part]}}
            )
    if not turn.include_usage:
        final.pop("usage")
    return [*events, final]


def cohere_events(chat_request: dict, turn: Turn, reply: controls.Reply, model) -> list[dict]:
    """Token-sized text deltas; tool calls on an event of their own; then one final event
    repeating the whole text with the chat history, the finish reason, the tool calls and
    (when asked) usage. No [DONE]."""
    final = cohere_response(chat_request, reply, model)
    events: list[dict] = [
        {"apiFormat": "COHERE", "text": piece} for piece in tokens.tokens(final["text"])
    ]
    if final.get("toolCalls"):
        events.append({"apiFormat": "COHERE", "toolCalls": final["toolCalls"]})
    if not turn.include_usage:
        final.pop("usage")
    return [*events, final]


def generic_events(raw: bytes, turn: Turn, reply: controls.Reply, model) -> list[dict | str]:
    """Per choice: an empty first delta, token-sized reasoning and text deltas, tool-call
    fragments, a finishReason event; then a usage event when streamOptions.isIncludeUsage,
    then [DONE]."""

    def delta(index: int, **message) -> dict:
        return {"index": index, "message": {"role": "ASSISTANT", **message}}

    events: list[dict | str] = []
    for index, choice in enumerate(reply.choices):
        events.append(delta(index, content=[{"type": "TEXT", "text": ""}]))
        for piece in tokens.tokens(choice.reasoning or ""):
            events.append(delta(index, reasoningContent=piece))
        for piece in tokens.tokens(choice.text if not choice.tool_calls else ""):
            events.append(delta(index, content=[{"type": "TEXT", "text": piece}]))
        for call in _generic_calls(raw, choice, index):
            arguments = call.pop("arguments")
            events.append(delta(index, toolCalls=[{**call, "arguments": ""}]))
            for piece in tokens.tokens(arguments):
                events.append(delta(index, toolCalls=[{"arguments": piece}]))
        finish = _GENERIC_FINISH[choice.finish]
        events.append(
            {**delta(index, content=[{"type": "TEXT", "text": ""}]), "finishReason": finish}
        )
    if turn.include_usage:
        events.append({"usage": _usage(reply, model)})
    return [*events, "[DONE]"]


def sse(events: list[dict | str]) -> list[str]:
    lines = []
    for event in events:
        if isinstance(event, dict):
            event = json.dumps({**event, "pad": _pad(json.dumps(event))})
        lines.append(f"data: {event}\n\n")
    return lines


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


_APPLIED = {
    "stop": "oci.control.stop",
    "max_tokens": "oci.control.max-tokens",
    "n": "oci.control.num-generations",
    "tool_choice_none": "oci.control.tool-choice",
    "tool_choice_named": "oci.control.tool-choice",
    "tool_choice_required": "oci.control.tool-choice",
    "synthesized_call": "oci.control.synthesized-call",
    "parallel_calls": "oci.control.parallel-tool-calls",
    "parallel_dropped": "oci.control.parallel-tool-calls",
    "reasoning": "oci.control.reasoning",
}


def routes(script, attempts: faults.Attempts) -> list[Route]:
    async def chat(request: Request) -> Response:
        ledger.use(request, "oci.endpoint.chat", "oci.response.request-id")
        if not authenticated(request.headers.get("authorization", "")):
            ledger.use(request, "oci.error.not-authenticated")
            return error(401, NOT_AUTHENTICATED, "NotAuthenticated")
        ledger.use(request, "oci.auth.signature")
        raw = await request.body()
        turn = None
        try:
            try:
                body = json.loads(raw)
            except ValueError:
                raise Refused(400, MALFORMED, "oci.error.malformed") from None
            raw = json.dumps(body, sort_keys=True).encode()  # ids from content, not key order
            try:
                model_id, model, chat_request = validate(request, body)
                turn = turn_of(chat_request, model_id, model)
            except (AttributeError, KeyError, TypeError, ValueError):
                raise Refused(400, MALFORMED, "oci.error.malformed") from None
            if any(chat_request.get(name) is not None for name in SAMPLING):
                ledger.use(request, "oci.control.sampling-no-effect")
            reply = controls.shape(turn, answer(script, turn))
        except Unsupported as unsupported:
            ledger.use(request, unsupported.ledger_id)
            return json_response(unsupported.body(), 400)
        except Refused as refusal:
            return refused(request, refusal)
        except ScriptProblem as problem:
            ledger.use(request, "oci.script.problem")
            model_id = turn.model if turn else ""
            message = record_problem(request, "oci", model_id, turn.prompt if turn else "", problem)
            return error(400, message)
        api_format = chat_request["apiFormat"]
        cohere = api_format == "COHERE"
        if api_format != "COHEREV2":
            ledger.use(request, "oci.format.cohere" if cohere else "oci.format.generic")
            if not cohere:
                ledger.use(request, "oci.response.created")
        ledger.use(request, *{_APPLIED[a] for a in reply.applied if a in _APPLIED})
        if "reasoning" in reply.applied and not (model and model.can("reasoning_trace")):
            # Only some models are known to return their trace (catalog `reasoning_trace`).
            ledger.use(request, "oci.control.reasoning-trace-unconfirmed")
        if "stop_fired" in reply.applied and cohere:
            ledger.use(request, "oci.control.cohere-stop-finish-null")
        if turn.wants_json:
            ledger.use(request, "oci.control.response-format")
        refusal = faults.refusal(reply.fault, attempts.count(raw))
        if refusal:
            status, message, retry_after = refusal
            ledger.use(request, faults.LEDGER["oci"][reply.fault])
            headers = {"retry-after": "0"} if retry_after else None
            return error(status, message, _CODES[status], headers)
        ledger.use(request, "oci.response.usage", "oci.response.token-counts")
        if model is not None and model.vendor == "openai":
            ledger.use(request, "oci.response.usage-details")
        if not turn.stream:
            if reply.fault == "malformed_json":
                ledger.use(request, "oci.fault.malformed-json")
                cut = b'{"modelId": "' + model_id.encode() + b'", "chatResponse": {'
                return Response(
                    cut,
                    200,
                    headers={
                        "content-type": "application/json",
                        "opc-request-id": request_id(raw, cut),
                    },
                )
            ledger.use(request, "oci.response.json-headers")
            if api_format == "COHEREV2":
                chat_response = cohere_v2_response(raw, reply, model)
            elif cohere:
                chat_response = cohere_response(chat_request, reply, model)
            else:
                chat_response = generic_response(raw, reply, model)
            return json_response(
                {"modelId": model_id, "modelVersion": "1.0", "chatResponse": chat_response},
                raw=raw,
            )
        ledger.use(request, "oci.stream.pad", "oci.stream.tokens")
        if api_format == "COHEREV2":
            ledger.use(request, "oci.stream.cohere-v2")
            events = cohere_v2_events(raw, turn, reply, model)
        elif cohere:
            ledger.use(request, "oci.stream.cohere-final-event")
            if any(c.tool_calls for c in reply.choices):
                ledger.use(request, "oci.stream.cohere-tool-calls")
            events = cohere_events(chat_request, turn, reply, model)
        else:
            ledger.use(request, "oci.stream.generic-framing")
            if any(c.tool_calls for c in reply.choices):
                ledger.use(request, "oci.stream.generic-tool-calls")
            events = generic_events(raw, turn, reply, model)
        if reply.fault in ("cut_stream", "malformed_json"):
            ledger.use(request, faults.LEDGER["oci"][reply.fault])
        text = "".join(faults.damage_stream(sse(events), reply.fault))
        stream_id = request_id(raw, text.encode())
        return Response(
            text, 200, headers={"content-type": "text/event-stream", "opc-request-id": stream_id}
        )

    async def list_models(request: Request) -> Response:
        ledger.use(request, "oci.models.list", "oci.catalog", "oci.response.request-id")
        if not authenticated(request.headers.get("authorization", "")):
            ledger.use(request, "oci.error.not-authenticated")
            return error(401, NOT_AUTHENTICATED, "NotAuthenticated")
        if request.query_params.get("compartmentId") != OCI_PLACEHOLDER_COMPARTMENT:
            ledger.use(request, "oci.error.not-found")
            return error(404, NOT_FOUND, "404")
        wanted = request.query_params.get("vendor")
        capabilities = set(request.query_params.getlist("capability"))
        items = [
            model_summary(m)
            for m in sorted(catalog.oci().values(), key=lambda m: m.id)
            if wanted in (None, m.vendor)
        ]
        if capabilities:
            ledger.use(request, "oci.models.capability-filter")
            items = [i for i in items if capabilities & set(i["capabilities"])]
        return json_response({"items": items})

    return [
        Route("/20231130/actions/chat", chat, methods=["POST"]),
        Route("/20231130/models", list_models, methods=["GET"]),
    ]


def model_summary(model: catalog.Model) -> dict:
    """A ModelSummary (oci.generative_ai.models): the OCID is a placeholder, the name is
    the displayName; retirement shows in timeDeprecated / timeOnDemandRetired."""
    capabilities = {
        "chat": ["CHAT"] + (["IMAGE_TEXT_TO_TEXT"] if model.can("vision") else []),
        "embedding": ["TEXT_EMBEDDINGS"],
        "rerank": ["TEXT_RERANK"],
    }[model.kind]
    retired = f"{model.retired_on}T00:00:00.000Z" if model.retired_on else None
    return {
        "id": "ocid1.generativeaimodel.oc1.us-chicago-1.replay-placeholder",
        "compartmentId": None,
        "capabilities": capabilities,
        "lifecycleState": "ACTIVE",
        "displayName": model.id,
        "vendor": model.vendor,
        "version": "1.0",
        "timeCreated": "2025-01-01T00:00:00.000Z",
        "type": "BASE",
        "isLongTermSupported": False,
        "timeDeprecated": retired if model.status in ("deprecated", "retired") else None,
        "timeOnDemandRetired": retired,
    }
