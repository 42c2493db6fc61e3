"""DigitalOcean Gradient serverless inference: the OpenAI-compatible chat completions API."""

from __future__ import annotations

import hashlib
import json
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .replies import choose, count_tokens, pieces


def _text(content) -> str:
    if isinstance(content, list):  # content parts
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def _last_user(messages: list[dict]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _text(message.get("content"))
    return ""


def _completion_id(body: bytes) -> str:
    return "chatcmpl-" + hashlib.sha256(body).hexdigest()[:24]


def routes(replies) -> list[Route]:
    async def chat_completions(request: Request) -> Response:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return JSONResponse(
                {"id": "unauthorized", "message": "Unable to authenticate you"}, 401
            )
        raw = await request.body()
        body = json.loads(raw)
        messages = body.get("messages", [])
        text = choose(replies, _last_user(messages))
        prompt_tokens = count_tokens(json.dumps(messages))
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": count_tokens(text),
            "total_tokens": prompt_tokens + count_tokens(text),
        }
        common = {"id": _completion_id(raw), "created": int(time.time()), "model": body["model"]}
        if not body.get("stream"):
            return JSONResponse(
                {
                    **common,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )

        def events():
            chunk = {**common, "object": "chat.completion.chunk"}
            first = {"index": 0, "delta": {"role": "assistant", "content": ""}}
            yield f"data: {json.dumps({**chunk, 'choices': [first]})}\n\n"
            for piece in pieces(text):
                delta = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                yield f"data: {json.dumps({**chunk, 'choices': [delta]})}\n\n"
            last = {"index": 0, "delta": {}, "finish_reason": "stop"}
            yield f"data: {json.dumps({**chunk, 'choices': [last]})}\n\n"
            if (body.get("stream_options") or {}).get("include_usage"):
                yield f"data: {json.dumps({**chunk, 'choices': [], 'usage': usage})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return [Route("/v1/chat/completions", chat_completions, methods=["POST"])]
