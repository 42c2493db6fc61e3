"""OCI Generative AI's OpenAI-compatible routes on the inference host:

- POST /openai/v1/chat/completions: OpenAI Chat Completions (ChatOCIOpenAI with
  use_responses_api=False);
- POST /openai/v1/responses: the OpenAI Responses API (ChatOCIOpenAI's default);
- POST /v1/responses: where langchain-oci's ChatOCIGenAI(use_responses_api=True) posts.

Requests are signed with the OCI signer (oci-openai's httpx auth, or the SDK signer on
`requests`) and name the compartment in the `opc-compartment-id` header. What the bodies
look like is the OpenAI contract (the openai SDK's types), not an observed OCI answer: the
ledger marks these `contract`. Answers come from the reply scripts, shaped by the request's
controls, as on the other routes.
"""

from __future__ import annotations

import hashlib
import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...providers import OCI_PLACEHOLDER_COMPARTMENT
from .. import ANSWERED_AT, catalog, controls, ledger, tokens
from ..bodies import BadBody, parse_json
from ..gradient.chat_answers import completion
from ..gradient.chat_requests import FIELD_TYPES, text_of, turn_of
from ..gradient.chat_stream import stream_events
from ..refusals import READ_ERRORS, Refused, record_problem, unreadable, wrong_type
from ..replies import ScriptProblem, Turn, answer
from .auth import authenticated
from .errors import NOT_AUTHENTICATED, NOT_FOUND, error, json_response
from .models import announce_retirement

COMPARTMENT_HEADER = "opc-compartment-id"
STORE_HEADER = "opc-conversation-store-id"


def openai_usage(reply: controls.Reply) -> dict:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
    }


# The OpenAI request fields the emulator reads, and their JSON types: the chat-completions
# fields the Gradient emulator checks (the same contract), and the Responses API's own.
OPENAI_FIELDS = {
    **FIELD_TYPES,
    "input": ("string", "array"),
    "store": "boolean",
    "text": "object",
    "reasoning": "object",
    "metadata": "object",
    "instructions": "string",
    "previous_response_id": "string",
    "max_output_tokens": "integer",
}


def check_openai_fields(body: dict) -> None:
    """A 400 naming the first field of a wrong type, a message without a role or a tool
    without a name."""
    bad = wrong_type(body, OPENAI_FIELDS)
    if bad:
        name, should = bad
        raise Refused(400, f"Invalid type for '{name}': expected {should}.", "oci.openai.errors")
    for index, message in enumerate(body.get("messages") or []):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise Refused(
                400,
                f"Invalid value for 'messages[{index}]': expected an object with a role.",
                "oci.openai.errors",
            )
    for index, tool in enumerate(body.get("tools") or []):
        function = tool.get("function", tool) if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise Refused(
                400,
                f"Missing required parameter: 'tools[{index}].function.name'.",
                "oci.openai.errors",
            )


def model_of(request: Request, model_id) -> catalog.Model:
    if not isinstance(model_id, str):
        raise Refused(400, "Invalid type for 'model': expected a string.", "oci.openai.errors")
    model = catalog.oci().get(model_id)
    if model is not None and model.kind != "chat":
        # A 404 as the OpenAI contract answers a model of the wrong kind, but naming why.
        raise Refused(
            404,
            f"The model {model_id} is {model.kind_phrase}: it does not serve chat "
            "completions or responses.",
            "oci.openai.models",
        )
    if model is None:
        raise Refused(404, NOT_FOUND, "oci.openai.models")
    if model.retired:
        raise Refused(400, f"Model {model_id} is retired.", "oci.openai.models")
    ledger.use(request, "oci.openai.models", "oci.catalog")
    announce_retirement(request, model)
    return model


def _check(request: Request) -> None:
    if request.headers.get(COMPARTMENT_HEADER) != OCI_PLACEHOLDER_COMPARTMENT:
        raise Refused(404, NOT_FOUND, "oci.openai.compartment")
    ledger.use(request, "oci.openai.compartment")


# --- Responses API ----------------------------------------------------------------------


def responses_turn(body: dict, model: catalog.Model) -> Turn:
    items = body.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    if not isinstance(items, list) or not items:
        raise Refused(400, "input must be a string or a non-empty list.", "oci.openai.errors")
    text = text_of  # a string, or the text of its content parts
    users = [text(i.get("content")) for i in items if i.get("role") == "user"]
    system = [text(i.get("content")) for i in items if i.get("role") in ("system", "developer")]
    if body.get("instructions"):
        system.insert(0, body["instructions"])
    last = items[-1]
    tools = [t for t in body.get("tools") or [] if t.get("type") == "function"]
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = choice.get("name")
    text_format = (body.get("text") or {}).get("format") or {}
    return Turn(
        model=model.id,
        prompt=users[-1] if users else "",
        system=" ".join(system),
        tool_result=str(last.get("output")) if last.get("type") == "function_call_output" else None,
        tools=[t.get("name") for t in tools],
        tool_schemas={t.get("name"): t.get("parameters") or {} for t in tools},
        tool_choice=choice,
        wants_json=text_format.get("type") in ("json_object", "json_schema"),
        json_schema=text_format.get("schema"),
        stream=bool(body.get("stream")),
        include_usage=True,
        prompt_text=json.dumps(items),
        max_tokens=body.get("max_output_tokens"),
        parallel_tools=model.can("parallel_tools") and body.get("parallel_tool_calls") is not False,
        reasoning=model.can("reasoning"),
    )


def response_object(raw: bytes, body: dict, reply: controls.Reply, status="completed") -> dict:
    """An OpenAI Response: reasoning (reasoning models), then the message or function calls."""
    digest = hashlib.sha256(raw).hexdigest()
    choice = reply.choices[0]
    output: list[dict] = []
    if choice.reasoning:
        output.append(
            {
                "type": "reasoning",
                "id": f"rs_{digest[:24]}",
                "summary": [{"type": "summary_text", "text": choice.reasoning}],
            }
        )
    for i, call in enumerate(choice.tool_calls):
        output.append(
            {
                "type": "function_call",
                "id": f"fc_{digest[:20]}{i:04d}",
                "call_id": f"call_{hashlib.sha256(raw + bytes([i])).hexdigest()[:24]}",
                "name": call.name,
                "arguments": json.dumps(call.arguments),
                "status": "completed",
            }
        )
    if not choice.tool_calls:
        output.append(
            {
                "type": "message",
                "id": f"msg_{digest[:24]}",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": choice.text, "annotations": []}],
            }
        )
    incomplete = choice.finish == "length"
    return {
        "id": f"resp_{digest[:32]}",
        "object": "response",
        "created_at": int(ANSWERED_AT.timestamp()),
        "status": "incomplete" if incomplete and status == "completed" else status,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "error": None,
        "model": body.get("model"),
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "store": body.get("store", True),
        "max_output_tokens": body.get("max_output_tokens"),
        "usage": {
            "input_tokens": reply.prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": reply.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


def response_events(raw: bytes, body: dict, reply: controls.Reply) -> list[str]:
    """The Responses API's typed SSE events: created, in_progress, per output item its
    added / delta / done events, then completed (each `event: <type>` + `data: {...}`)."""
    whole = response_object(raw, body, reply)
    started = {**whole, "status": "in_progress", "output": [], "usage": None}
    events: list[dict] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
    ]
    for index, item in enumerate(whole["output"]):
        common = {"output_index": index, "item_id": item["id"]}
        if item["type"] == "message":
            opened = {**item, "status": "in_progress", "content": []}
            part = {"type": "output_text", "text": "", "annotations": []}
            text = item["content"][0]["text"]
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": opened}
            )
            events.append(
                {"type": "response.content_part.added", **common, "content_index": 0, "part": part}
            )
            for piece in tokens.tokens(text):
                events.append(
                    {
                        "type": "response.output_text.delta",
                        **common,
                        "content_index": 0,
                        "delta": piece,
                        "logprobs": [],
                    }
                )
            events.append(
                {
                    "type": "response.output_text.done",
                    **common,
                    "content_index": 0,
                    "text": text,
                    "logprobs": [],
                }
            )
            events.append(
                {
                    "type": "response.content_part.done",
                    **common,
                    "content_index": 0,
                    "part": item["content"][0],
                }
            )
        elif item["type"] == "function_call":
            opened = {**item, "status": "in_progress", "arguments": ""}
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": opened}
            )
            for piece in tokens.tokens(item["arguments"]):
                events.append(
                    {"type": "response.function_call_arguments.delta", **common, "delta": piece}
                )
            events.append(
                {
                    "type": "response.function_call_arguments.done",
                    **common,
                    "arguments": item["arguments"],
                    "name": item["name"],
                }
            )
        else:
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": item}
            )
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": whole})
    return [
        f"event: {e['type']}\ndata: {json.dumps({**e, 'sequence_number': n})}\n\n"
        for n, e in enumerate(events)
    ]


# --- the routes -------------------------------------------------------------------------


def routes(script) -> list[Route]:
    async def read(request: Request):
        """Authenticated, compartment named, JSON: (raw body, body) or a refusal response."""
        if not authenticated(request.headers.get("authorization", "")):
            ledger.use(request, "oci.error.not-authenticated")
            return error(401, NOT_AUTHENTICATED)
        ledger.use(request, "oci.openai.auth", "oci.response.request-id")
        raw = await request.body()
        try:
            _check(request)
            try:
                body = parse_json(raw, request.headers.get("content-type"))
            except BadBody as bad:
                too_large = bad.status == 413
                which = "oci.error.too-large" if too_large else "oci.openai.errors"
                raise Refused(bad.status, bad.message, which) from None
            if not isinstance(body, dict):
                raise Refused(400, "The body is not a JSON object.", "oci.openai.errors")
            check_openai_fields(body)
        except Refused as refusal:
            return _refused(request, refusal)
        return json.dumps(body, sort_keys=True).encode(), body

    def _refused(request: Request, refusal: Refused) -> Response:
        ledger.use(request, refusal.ledger_id, "oci.openai.errors")
        return error(refusal.status, refusal.message)

    def problem(request: Request, turn: Turn | None, detail: ScriptProblem) -> Response:
        ledger.use(request, "oci.script.problem")
        message = record_problem(
            request, "oci", turn.model if turn else "", turn.prompt if turn else "", detail
        )
        return error(400, message)

    async def answered(request: Request, turn_for):
        """The routes' shared start: read the request, make its turn (turn_for(request, body)
        may refuse it), answer from the script. (raw, body, turn, reply), or the response
        that refuses it."""
        got = await read(request)
        if isinstance(got, Response):
            return got
        raw, body = got
        turn = None
        try:
            try:
                turn = turn_for(request, body)
            except READ_ERRORS as unread:
                raise unreadable(unread, "oci.openai.errors") from None
            reply = controls.shape(turn, answer(script, turn))
        except Refused as refusal:
            return _refused(request, refusal)
        except ScriptProblem as detail:
            return problem(request, turn, detail)
        ledger.use(request, "oci.response.token-counts")
        return raw, body, turn, reply

    def chat_turn(request: Request, body: dict) -> Turn:
        model = model_of(request, body.get("model"))
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            raise Refused(400, "messages must be a non-empty list.", "oci.openai.errors")
        return turn_of(body, model)

    def responses_turn_of(request: Request, body: dict) -> Turn:
        stored = body.get("store", True) is not False
        if (
            request.url.path.startswith("/openai/")
            and stored
            and not request.headers.get(STORE_HEADER)
        ):
            raise Refused(
                400,
                "A stored response (store true, the default) needs a conversation store: "
                f"send its OCID in the {STORE_HEADER} header, or set store to false.",
                "oci.openai.conversation-store",
            )
        if request.headers.get(STORE_HEADER):
            ledger.use(request, "oci.openai.conversation-store")
        return responses_turn(body, model_of(request, body.get("model")))

    async def chat_completions(request: Request) -> Response:
        ledger.use(request, "oci.openai.chat-completions")
        got = await answered(request, chat_turn)
        if isinstance(got, Response):
            return got
        raw, _, turn, reply = got
        if not turn.stream:
            return json_response(completion(raw, turn, reply, openai_usage), raw=raw)
        ledger.use(request, "oci.openai.chat-stream")
        text = "".join(stream_events(raw, turn, reply, openai_usage))
        return Response(text, 200, headers={"content-type": "text/event-stream"})

    async def responses(request: Request) -> Response:
        ledger.use(request, "oci.openai.responses")
        if request.url.path == "/v1/responses":
            ledger.use(request, "oci.openai.v1-responses-path")
        got = await answered(request, responses_turn_of)
        if isinstance(got, Response):
            return got
        raw, body, turn, reply = got
        if not turn.stream:
            return json_response(response_object(raw, body, reply), raw=raw)
        ledger.use(request, "oci.openai.responses-stream")
        text = "".join(response_events(raw, body, reply))
        return Response(text, 200, headers={"content-type": "text/event-stream"})

    return [
        Route("/openai/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/openai/v1/responses", responses, methods=["POST"]),
        Route("/v1/responses", responses, methods=["POST"]),
    ]
