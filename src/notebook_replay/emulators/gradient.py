"""DigitalOcean Gradient serverless inference: the OpenAI-compatible chat completions API.

Error bodies use the OpenAI-compatible shape {"error": {"message", "type", "code"}}, which
azure-core (under pydo) turns into its exception message. That shape is an assumption of
this emulator, not something recorded from the live service.
"""

from __future__ import annotations

import hashlib
import json
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..providers import GRADIENT_PLACEHOLDER_KEY
from . import faults
from .catalog import GRADIENT_MODELS
from .replies import Answer, Turn, answer, pieces, token_counts


def _authorized(request: Request) -> bool:
    return request.headers.get("authorization", "") == f"Bearer {GRADIENT_PLACEHOLDER_KEY}"


# (type, code) of the error bodies the scripted faults produce.
_ERROR_KINDS = {
    401: ("authentication_error", "unauthorized"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", "internal_error"),
}


def error(status: int, message: str, kind: str, code: str) -> Response:
    headers = {"retry-after": "0"} if status == 429 else None
    return JSONResponse(
        {"error": {"message": message, "type": kind, "code": code}}, status, headers=headers
    )


def _text(content) -> str:
    if isinstance(content, list):  # content parts
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def turn_of(body: dict) -> Turn:
    messages = body.get("messages", [])
    last = messages[-1] if messages else {}
    prompt = next(
        (_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
    )
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = choice.get("function", {}).get("name")
    response_format = (body.get("response_format") or {}).get("type")
    return Turn(
        model=body.get("model", ""),
        prompt=prompt,
        tool_result=_text(last.get("content")) if last.get("role") == "tool" else None,
        tools=[t["function"]["name"] for t in body.get("tools") or []],
        tool_choice=choice,
        wants_json=response_format in ("json_object", "json_schema"),
        stream=bool(body.get("stream")),
        include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
        prompt_text=json.dumps(messages),
        logprobs=bool(body.get("logprobs")),
    )


def _call_id(raw: bytes, i: int) -> str:
    return f"call_{hashlib.sha256(raw + bytes([i])).hexdigest()[:24]}"


def completion(raw: bytes, turn: Turn, said: Answer) -> dict:
    message: dict = {"role": "assistant", "content": said.text or None}
    if said.tool_calls:
        message["tool_calls"] = [
            {
                "id": _call_id(raw, i),
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for i, call in enumerate(said.tool_calls)
        ]
    return {
        "id": "chatcmpl-" + hashlib.sha256(raw).hexdigest()[:24],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": turn.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if said.tool_calls else "stop",
                "logprobs": logprobs(said.text) if turn.logprobs else None,
            }
        ],
        "usage": usage(turn, said),
    }


def logprobs(text: str) -> dict:
    """OpenAI-shaped log probabilities, one entry a word (stable, made-up values)."""
    words = [w + " " for w in text.split(" ")]
    words[-1] = words[-1].rstrip()
    return {
        "content": [
            {
                "token": w,
                "logprob": -round(0.01 + (len(w) % 5) * 0.07, 4),
                "bytes": list(w.encode()),
                "top_logprobs": [],
            }
            for w in words
        ]
    }


def usage(turn: Turn, said: Answer) -> dict:
    prompt, completion_tokens = token_counts(turn, said)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    }


def stream_events(raw: bytes, turn: Turn, said: Answer) -> list[str]:
    """The chunks of a streamed completion, each a `data: {...}` event."""
    whole = completion(raw, turn, said)
    head = {k: whole[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}

    def chunk(delta: dict, finish=None, **extra) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return json.dumps({**head, "choices": [choice], **extra})

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": piece}) for piece in pieces(said.text)] if said.text else []
    for i, call in enumerate(whole["choices"][0]["message"].get("tool_calls", [])):
        opening = {
            "index": i,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        events.append(chunk({"tool_calls": [opening]}))
        arguments = call["function"]["arguments"]
        for start in range(0, len(arguments), 12):  # index-keyed argument fragments
            fragment = {"index": i, "function": {"arguments": arguments[start : start + 12]}}
            events.append(chunk({"tool_calls": [fragment]}))
    events.append(chunk({}, whole["choices"][0]["finish_reason"]))
    if turn.include_usage:
        events.append(json.dumps({**head, "choices": [], "usage": whole["usage"]}))
    return [f"data: {event}\n\n" for event in events] + ["data: [DONE]\n\n"]


def routes(script, attempts: faults.Attempts) -> list[Route]:
    async def chat_completions(request: Request) -> Response:
        if not _authorized(request):
            return error(
                401, "Missing or invalid model access key.", "authentication_error", "unauthorized"
            )
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            return error(
                400, "The request body is not valid JSON.", "invalid_request_error", "bad_request"
            )
        if body.get("model") not in GRADIENT_MODELS:
            return error(
                404,
                f"The model `{body.get('model')}` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            )
        if body.get("stream_options") and not body.get("stream"):
            return error(
                400,
                "Stream options can only be defined when `stream=True`.",
                "invalid_request_error",
                "bad_request",
            )
        turn = turn_of(body)
        said = answer(script, turn)
        refusal = faults.refusal(said.fault, attempts.count(raw))
        if refusal:
            status, message = refusal
            return error(status, message, *_ERROR_KINDS[status])
        if not turn.stream:
            if said.fault == "malformed_json":
                return Response(
                    b'{"id": "chatcmpl-cut", "choices": [', 200, media_type="application/json"
                )
            return JSONResponse(completion(raw, turn, said))
        events = stream_events(raw, turn, said)
        body_text = "".join(faults.damage_stream(events, said.fault))
        return Response(body_text, 200, headers={"content-type": "text/event-stream"})

    async def models(request: Request) -> Response:
        if not _authorized(request):
            return error(
                401, "Missing or invalid model access key.", "authentication_error", "unauthorized"
            )
        data = [
            {"created": created, "id": model, "object": "model", "owned_by": owner}
            for model, (created, owner) in sorted(GRADIENT_MODELS.items())
        ]
        return JSONResponse({"object": "list", "data": data})

    return [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
    ]
