"""POST /v1/chat/completions with stream: true, as chat.completion.chunk server-sent events
(ledger: gradient.stream.*).
"""

from __future__ import annotations

import json

from .. import controls, tokens
from ..replies import Turn
from .chat_answers import completion


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
