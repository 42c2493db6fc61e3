"""DigitalOcean Gradient serverless inference: the OpenAI-compatible chat completions API.

Every behaviour here is marked with its entry in ledger/gradient.yaml (what it is, and the
evidence for it or that it is assumed). Error bodies use the OpenAI-compatible envelope
{"error": {"message", "type", "param", "code"}}: an assumption, no real Gradient error body
is public.
"""

from __future__ import annotations

import hashlib
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..providers import GRADIENT_PLACEHOLDER_KEY
from . import ANSWERED_AT, catalog, controls, faults, ledger, tokens
from .refusals import Refused, record_problem, wrong_type
from .replies import ScriptProblem, Turn, answer

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
# (type, code) of error bodies by status.
_ERROR_KINDS = {
    400: ("invalid_request_error", None),
    401: ("authentication_error", "unauthorized"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("rate_limit_error", "too_many_requests"),  # DigitalOcean names this identifier
    500: ("server_error", "internal_error"),
}


def error(
    status: int, message: str, param: str | None = None, headers: dict | None = None
) -> Response:
    kind, code = _ERROR_KINDS[status]
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status, headers=headers)


def _authorized(request: Request) -> bool:
    return request.headers.get("authorization", "") == f"Bearer {GRADIENT_PLACEHOLDER_KEY}"


def _text(content) -> str:
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
    prompt = next((_text(m.get("content")) for m in reversed(messages) if m["role"] == "user"), "")
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = (choice.get("function") or {}).get("name")
    response_format = body.get("response_format") or {}
    stop = body.get("stop")
    stop = (stop,) if isinstance(stop, str) else tuple(s for s in stop or () if s)
    functions = [t.get("function") or {} for t in body.get("tools") or []]
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    system = " ".join(
        _text(m.get("content")) for m in messages if m["role"] in ("system", "developer")
    )
    return Turn(
        model=model.id,
        prompt=prompt,
        system=system,
        tool_result=_text(last.get("content")) if last["role"] == "tool" else None,
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


_APPLIED = {
    "stop": "gradient.control.stop",
    "max_tokens": "gradient.control.max-tokens",
    "n": "gradient.control.n",
    "tool_choice_none": "gradient.control.tool-choice",
    "tool_choice_named": "gradient.control.tool-choice",
    "tool_choice_required": "gradient.control.tool-choice",
    "synthesized_call": "gradient.control.synthesized-call",
    "parallel_calls": "gradient.control.parallel-tool-calls",
    "parallel_dropped": "gradient.control.parallel-tool-calls",
    "reasoning": "gradient.control.reasoning",
}
_FINISH = {"stop": "stop", "stop_sequence": "stop", "length": "length", "tool_calls": "tool_calls"}


def _call_id(raw: bytes, i: int) -> str:
    return f"call_{hashlib.sha256(raw + bytes([i])).hexdigest()[:24]}"


def _message(raw: bytes, choice: controls.Choice) -> dict:
    message: dict = {"role": "assistant", "content": choice.text or None, "refusal": None}
    if choice.reasoning:
        message["reasoning_content"] = choice.reasoning
    if choice.tool_calls:
        message["tool_calls"] = [
            {
                "id": _call_id(raw, i),
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for i, call in enumerate(choice.tool_calls)
        ]
    return message


def usage(reply: controls.Reply) -> dict:
    """DigitalOcean's usage object (its cache counters always 0: no cache hit is emulated),
    plus the OpenAI-style details (assumed)."""
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        "cache_created_input_tokens": 0,
        "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
        "cache_read_input_tokens": 0,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
    }


def completion(raw: bytes, turn: Turn, reply: controls.Reply, usage_of=None) -> dict:
    """A chat.completion object (`usage_of` makes its usage: DigitalOcean's by default)."""
    return {
        "id": "chatcmpl-" + hashlib.sha256(raw).hexdigest()[:24],
        "object": "chat.completion",
        "created": int(ANSWERED_AT.timestamp()),
        "model": turn.model,
        "choices": [
            {
                "index": i,
                "message": _message(raw, choice),
                "finish_reason": _FINISH[choice.finish],
                "logprobs": logprobs(choice.text) if turn.logprobs else None,
            }
            for i, choice in enumerate(reply.choices)
        ],
        "usage": (usage_of or usage)(reply),
    }


def logprobs(text: str) -> dict:
    """OpenAI-shaped log probabilities, one entry a token (stable, made-up values)."""
    return {
        "content": [
            {
                "token": t,
                "logprob": -round(0.01 + (len(t) % 5) * 0.07, 4),
                "bytes": list(t.encode()),
                "top_logprobs": [],
            }
            for t in tokens.tokens(text)
        ]
    }


def stream_events(raw: bytes, turn: Turn, reply: controls.Reply, usage_of=None) -> list[str]:
    """The chunks of a streamed completion, each a `data: {...}` event: per choice a role
    chunk, token-sized reasoning and content deltas, index-keyed tool-call fragments, a
    finish chunk; then a usage chunk when asked, then `data: [DONE]`."""
    whole = completion(raw, turn, reply, usage_of)
    head = {k: whole[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}

    # With include_usage every other chunk carries "usage": null (the OpenAI contract).
    no_usage = {"usage": None} if turn.include_usage else {}

    def chunk(index: int, delta: dict, finish=None) -> str:
        choice = {"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}
        return json.dumps({**head, "choices": [choice], **no_usage})

    events = []
    for index, choice in enumerate(whole["choices"]):
        message = choice["message"]
        events.append(chunk(index, {"role": "assistant", "content": ""}))
        for piece in tokens.tokens(message.get("reasoning_content") or ""):
            events.append(chunk(index, {"reasoning_content": piece}))
        for piece in tokens.tokens(message.get("content") or ""):
            events.append(chunk(index, {"content": piece}))
        for i, call in enumerate(message.get("tool_calls", [])):
            opening = {
                "index": i,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            events.append(chunk(index, {"tool_calls": [opening]}))
            for piece in tokens.tokens(call["function"]["arguments"]):
                fragment = {"index": i, "function": {"arguments": piece}}
                events.append(chunk(index, {"tool_calls": [fragment]}))
        events.append(chunk(index, {}, choice["finish_reason"]))
    if turn.include_usage:
        events.append(json.dumps({**head, "choices": [], "usage": whole["usage"]}))
    return [f"data: {event}\n\n" for event in events] + ["data: [DONE]\n\n"]


def routes(script, attempts: faults.Attempts) -> list[Route]:
    async def chat_completions(request: Request) -> Response:
        response = await _chat_completions(request)
        if response.status_code >= 400:
            ledger.use(request, "gradient.error.envelope")
        return response

    async def _chat_completions(request: Request) -> Response:
        ledger.use(request, "gradient.endpoint.chat-completions")
        if not _authorized(request):
            ledger.use(request, "gradient.error.unauthorized")
            return error(401, "Missing or invalid model access key.")
        ledger.use(request, "gradient.auth.bearer")
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            ledger.use(request, "gradient.error.invalid-json")
            return error(400, "We could not parse the JSON body of your request.")
        # Ids in the answer derive from what was asked, not from the body's key order
        # (ChatGradient's order changes run to run): a re-recording keeps them.
        raw = json.dumps(body, sort_keys=True).encode()
        turn = None
        try:
            model = validate(request, body)
            if set(body) - KNOWN_FIELDS:
                ledger.use(request, "gradient.control.unknown-fields-ignored")
            if any(body.get(name) is not None for name in SAMPLING):
                ledger.use(request, "gradient.control.sampling-no-effect")
            try:
                turn = turn_of(body, model)
            except (AttributeError, KeyError, TypeError, ValueError) as unreadable:
                raise Refused(
                    400,
                    f"The request could not be read: {type(unreadable).__name__} in a "
                    "message or tool definition (check their JSON shapes).",
                    "gradient.validate.types",
                ) from None
            reply = controls.shape(turn, answer(script, turn))
        except Refused as refused:
            ledger.use(request, refused.ledger_id)
            return error(refused.status, refused.message, refused.param)
        except ScriptProblem as problem:
            ledger.use(request, "gradient.script.problem")
            model_id = body.get("model", "") if isinstance(body, dict) else ""
            prompt = turn.prompt if turn else ""
            message = record_problem(request, "gradient", model_id, prompt, problem)
            return error(400, message, "messages")
        ledger.use(request, *{_APPLIED[a] for a in reply.applied if a in _APPLIED})
        if turn.wants_json:
            ledger.use(request, "gradient.control.response-format")
        refusal = faults.refusal(reply.fault, attempts.count(raw))
        if refusal:
            status, message, retry_after = refusal
            ledger.use(request, faults.LEDGER["gradient"][reply.fault])
            headers = {"retry-after": "0"} if retry_after else None
            return error(status, message, headers=headers)
        ledger.use(
            request,
            "gradient.response.usage",
            "gradient.response.usage-details",
            "gradient.response.token-counts",
        )
        if not turn.stream:
            if reply.fault == "malformed_json":
                ledger.use(request, "gradient.fault.malformed-json")
                return Response(
                    b'{"id": "chatcmpl-cut", "choices": [', 200, media_type="application/json"
                )
            ledger.use(request, "gradient.response.completion", "gradient.response.created")
            if turn.logprobs:
                ledger.use(request, "gradient.response.logprobs")
            return JSONResponse(completion(raw, turn, reply))
        ledger.use(request, "gradient.stream.framing", "gradient.stream.tokens")
        if turn.include_usage:
            ledger.use(request, "gradient.stream.usage-chunk")
        if any(c.tool_calls for c in reply.choices):
            ledger.use(request, "gradient.stream.tool-call-fragments")
        if reply.fault in ("cut_stream", "malformed_json"):
            ledger.use(request, faults.LEDGER["gradient"][reply.fault])
        events = stream_events(raw, turn, reply)
        body_text = "".join(faults.damage_stream(events, reply.fault))
        return Response(body_text, 200, headers={"content-type": "text/event-stream"})

    async def models(request: Request) -> Response:
        ledger.use(request, "gradient.models.list", "gradient.catalog")
        if not _authorized(request):
            ledger.use(request, "gradient.error.unauthorized")
            return error(401, "Missing or invalid model access key.")
        data = [
            {"created": m.created or 0, "id": m.id, "object": "model", "owned_by": m.owned_by}
            for m in sorted(catalog.gradient().values(), key=lambda m: m.id)
            if not m.retired
        ]
        return JSONResponse({"object": "list", "data": data})

    return [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
    ]
