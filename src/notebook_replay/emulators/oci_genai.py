"""OCI Generative AI inference: POST /20231130/actions/chat, COHERE and GENERIC formats."""

from __future__ import annotations

import datetime as dt
import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .replies import choose, count_tokens


def json_response(data: dict, status: int = 200) -> Response:
    # Exactly application/json (no charset), with a content-length: both LangChain classes
    # and the OCI SDK depend on it.
    body = json.dumps(data).encode("utf-8")
    return Response(body, status, media_type=None, headers={"content-type": "application/json"})


def _generic_prompt(messages: list[dict]) -> str:
    for message in reversed(messages):
        if message.get("role") == "USER":
            return " ".join(p.get("text", "") for p in message.get("content") or [])
    return ""


def routes(replies) -> list[Route]:
    async def chat(request: Request) -> Response:
        if not request.headers.get("authorization", "").startswith("Signature "):
            return json_response(
                {
                    "code": "NotAuthenticated",
                    "message": "The required information to complete "
                    "authentication was not provided or was incorrect.",
                },
                401,
            )
        body = json.loads(await request.body())
        chat_request = body["chatRequest"]
        serving = body.get("servingMode", {})
        model = serving.get("modelId") or serving.get("endpointId")
        if chat_request.get("apiFormat") == "COHERE":
            prompt = chat_request.get("message", "")
            text = choose(replies, prompt)
            usage = _usage(json.dumps(chat_request), text)
            history = [
                *chat_request.get("chatHistory", []),
                {"role": "USER", "message": prompt},
                {"role": "CHATBOT", "message": text},
            ]
            chat_response = {
                "apiFormat": "COHERE",
                "text": text,
                "chatHistory": history,
                "finishReason": "COMPLETE",
                "usage": usage,
            }
        else:
            text = choose(replies, _generic_prompt(chat_request.get("messages", [])))
            chat_response = {
                "apiFormat": "GENERIC",
                "timeCreated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "ASSISTANT",
                            "content": [{"type": "TEXT", "text": text}],
                        },
                        "finishReason": "stop",
                        "logprobs": {},
                    }
                ],
                "usage": _usage(json.dumps(chat_request), text),
            }
        return json_response(
            {"modelId": model, "modelVersion": "1.0", "chatResponse": chat_response}
        )

    return [Route("/20231130/actions/chat", chat, methods=["POST"])]


def _usage(prompt: str, text: str) -> dict:
    prompt_tokens, completion_tokens = count_tokens(prompt), count_tokens(text)
    return {
        "promptTokens": prompt_tokens,
        "completionTokens": completion_tokens,
        "totalTokens": prompt_tokens + completion_tokens,
    }
