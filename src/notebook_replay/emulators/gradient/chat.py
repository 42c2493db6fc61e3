"""The chat completions route: checks, reply, faults and answer, each behaviour marked with
its entry in ledger/gradient.yaml (gradient.endpoint.*, gradient.control.*, gradient.fault.*).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import controls, faults, ledger
from ..bodies import BadBody, parse_json
from ..refusals import READ_ERRORS, Refused, record_problem, unreadable
from ..replies import ScriptProblem, answer
from .chat_answers import completion
from .chat_requests import KNOWN_FIELDS, SAMPLING, turn_of, validate
from .chat_stream import stream_events
from .errors import authorized, error

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


def routes(script, attempts: faults.Attempts) -> list[Route]:
    async def chat_completions(request: Request) -> Response:
        response = await _chat_completions(request)
        if response.status_code >= 400:
            ledger.use(request, "gradient.error.envelope")
        return response

    async def _chat_completions(request: Request) -> Response:
        ledger.use(request, "gradient.endpoint.chat-completions")
        if not authorized(request):
            ledger.use(request, "gradient.error.unauthorized")
            return error(401, "Missing or invalid model access key.")
        ledger.use(request, "gradient.auth.bearer")
        raw = await request.body()
        try:
            body = parse_json(raw, request.headers.get("content-type"))
        except BadBody as bad:
            if bad.status == 413:
                ledger.use(request, "gradient.error.too-large")
                return error(413, bad.message)
            ledger.use(request, "gradient.error.invalid-json")
            return error(400, f"We could not parse the JSON body of your request. {bad.message}")
        if not isinstance(body, dict):
            ledger.use(request, "gradient.error.invalid-json")
            return error(400, "We could not parse the JSON body of your request: not an object.")
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
            except READ_ERRORS as problem:
                raise unreadable(problem, "gradient.validate.types") from None
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

    return [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    ]
