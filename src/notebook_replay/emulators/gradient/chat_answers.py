"""POST /v1/chat/completions, the answer: a chat.completion with its message, tool calls,
usage and logprobs (ledger: gradient.response.*). The OCI OpenAI-compatible route reuses it.
"""

from __future__ import annotations

import hashlib
import json

from .. import ANSWERED_AT, controls, tokens
from ..replies import Turn

FINISH = {"stop": "stop", "stop_sequence": "stop", "length": "length", "tool_calls": "tool_calls"}


def call_id(raw: bytes, i: int) -> str:
    return f"call_{hashlib.sha256(raw + bytes([i])).hexdigest()[:24]}"


def _message(raw: bytes, choice: controls.Choice) -> dict:
    message: dict = {"role": "assistant", "content": choice.text or None, "refusal": None}
    if choice.reasoning:
        message["reasoning_content"] = choice.reasoning
    if choice.tool_calls:
        message["tool_calls"] = [
            {
                "id": call_id(raw, i),
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
                "finish_reason": FINISH[choice.finish],
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
