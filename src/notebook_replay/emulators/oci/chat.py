"""The chat route: checks, reply, faults and answer, each behaviour marked with its entry in
ledger/oci.yaml (oci.endpoint.chat, oci.control.*, oci.fault.*).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .. import controls, faults, ledger
from ..refusals import Refused, record_problem
from ..replies import ScriptProblem, answer
from . import shapes
from .auth import authenticated, read_body
from .chat_answers import cohere_response, cohere_v2_response, generic_response, openai_family
from .chat_requests import SAMPLING, turn_of, validate
from .chat_stream import (
    STREAMED_CALLS_LEDGER,
    cohere_events,
    cohere_v2_events,
    generic_events,
    sse,
    tool_call_style,
)
from .errors import (
    MALFORMED,
    NOT_AUTHENTICATED,
    Unsupported,
    error,
    json_response,
    refused,
    request_id,
)

# Real answers of the Meta and OpenAI families say "1.0.0" (oci.response.model-version).
MODEL_VERSION = "1.0.0"

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
            return error(401, NOT_AUTHENTICATED)
        ledger.use(request, "oci.auth.signature")
        raw = await request.body()
        turn = None
        try:
            body = read_body(raw, request.headers.get("content-type"))
            shapes.check_body(body, "ChatDetails")
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
            return error(status, message, headers=headers)
        ledger.use(request, "oci.response.usage", "oci.response.token-counts")
        if openai_family(model):
            ledger.use(request, "oci.response.usage-details")
        if not turn.stream:
            if reply.fault == "malformed_json":
                ledger.use(request, "oci.fault.malformed-json")
                cut = b'{"modelId":"' + model_id.encode() + b'","chatResponse":{'
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
            ledger.use(request, "oci.response.model-version")
            return json_response(
                {"modelId": model_id, "modelVersion": MODEL_VERSION, "chatResponse": chat_response},
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
            calls = [c for choice in reply.choices for c in choice.tool_calls]
            if calls:
                ledger.use(request, STREAMED_CALLS_LEDGER[tool_call_style(model)])
            if len(calls) > 1:
                ledger.use(request, "oci.stream.parallel-calls")
            events = generic_events(raw, turn, reply, model)
        if reply.fault in ("cut_stream", "malformed_json"):
            ledger.use(request, faults.LEDGER["oci"][reply.fault])
        chunks = list(faults.damage_stream(sse(events), reply.fault))
        stream_id = request_id(raw, "".join(chunks).encode())
        ledger.use(request, "oci.stream.headers")
        return StreamingResponse(  # chunked, no content-length
            iter(chunks),
            200,
            headers={
                "content-type": "text/event-stream",
                "cache-control": "no-cache",
                "opc-request-id": stream_id,
            },
        )

    return [
        Route("/20231130/actions/chat", chat, methods=["POST"]),
    ]
