"""POST /20231130/actions/chat, the answer side for a non-streamed request: the chatResponse
of each apiFormat, its usage and finish reasons (ledger: oci.response.*, oci.format.*).
"""

from __future__ import annotations

import hashlib
import json

from .. import ANSWERED_AT, catalog, controls


def chat_usage(reply: controls.Reply, model: catalog.Model | None) -> dict:
    usage = {
        "completionTokens": reply.completion_tokens,
        "promptTokens": reply.prompt_tokens,
        "totalTokens": reply.prompt_tokens + reply.completion_tokens,
    }
    if openai_family(model):  # Llama 4 and the rest send no details (oci.response.usage-details)
        usage["completionTokensDetails"] = {"reasoningTokens": reply.reasoning_tokens}
        usage["promptTokensDetails"] = {"cachedTokens": 0}
    return usage


COHERE_FINISH = {
    "stop": "COMPLETE",
    "stop_sequence": None,
    "length": "MAX_TOKENS",
    "tool_calls": "COMPLETE",
}


GENERIC_FINISH = {
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
        "finishReason": COHERE_FINISH[choice.finish],
        "usage": chat_usage(reply, model),
    }
    if calls:
        response["toolCalls"] = calls
    return response


def generic_calls(raw: bytes, choice: controls.Choice, index: int) -> list[dict]:
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
        message["toolCalls"] = generic_calls(raw, choice, index)
    if choice.reasoning:
        message["reasoningContent"] = choice.reasoning
    return message


def time_created() -> str:
    """Milliseconds and a Z, as real GENERIC answers write it: 2026-11-22T00:00:00.000Z."""
    return ANSWERED_AT.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ANSWERED_AT.microsecond // 1000:03d}Z"


def openai_family(model: catalog.Model | None) -> bool:
    return model is not None and model.vendor == "openai"


def generic_response(raw: bytes, reply: controls.Reply, model) -> dict:
    response = {
        "apiFormat": "GENERIC",
        "timeCreated": time_created(),
        "choices": [
            {
                "index": i,
                "message": _generic_message(raw, choice, i),
                "finishReason": GENERIC_FINISH[choice.finish],
                "logprobs": {},
            }
            for i, choice in enumerate(reply.choices)
        ],
        "usage": chat_usage(reply, model),
    }
    if openai_family(model):
        for choice in response["choices"]:
            choice["message"]["annotations"] = []
        response["serviceTier"] = SERVICE_TIER
    return response


# The tier OpenAI-family answers report; the value is the SDK's enum (GenericChatRequest).
SERVICE_TIER = "DEFAULT"


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
        "usage": chat_usage(reply, model),
    }
