"""POST /20231130/actions/chat with isStream: the server-sent events of each apiFormat
(ledger: oci.stream.*).
"""

from __future__ import annotations

import hashlib
import json

from .. import controls, tokens
from ..replies import Turn
from .chat_answers import (
    GENERIC_FINISH,
    chat_usage,
    cohere_response,
    cohere_v2_response,
    generic_calls,
)


def pad(seed: str) -> str:
    """Real events carry a `pad` of varying length (it hides token lengths)."""
    return "a" * (3 + int(hashlib.sha256(seed.encode()).hexdigest()[:2], 16) % 24)


def cohere_v2_events(raw: bytes, turn: Turn, reply: controls.Reply, model) -> list[dict]:
    """Token-sized THINKING then TEXT deltas as {apiFormat, message {role, content}}
    events, then a final event with the whole message, finishReason and (when asked)
    usage. No [DONE]."""
    final = cohere_v2_response(raw, reply, model)
    events: list[dict] = []
    for block in final["message"]["content"]:
        key = "thinking" if block["type"] == "THINKING" else "text"
        for piece in tokens.tokens(block[key]):
            part = {"type": block["type"], key: piece}
            events.append(
                {"apiFormat": "COHEREV2", "message": {"role": "ASSISTANT", "content": [part]}}
            )
    if not turn.include_usage:
        final.pop("usage")
    return [*events, final]


def cohere_events(chat_request: dict, turn: Turn, reply: controls.Reply, model) -> list[dict]:
    """Token-sized text deltas; tool calls on an event of their own; then one final event
    repeating the whole text with the chat history, the finish reason, the tool calls and
    (when asked) usage. No [DONE]."""
    final = cohere_response(chat_request, reply, model)
    events: list[dict] = [
        {"apiFormat": "COHERE", "text": piece} for piece in tokens.tokens(final["text"])
    ]
    if final.get("toolCalls"):
        events.append({"apiFormat": "COHERE", "toolCalls": final["toolCalls"]})
    if not turn.include_usage:
        final.pop("usage")
    return [*events, final]


def generic_events(raw: bytes, turn: Turn, reply: controls.Reply, model) -> list[dict | str]:
    """Per choice: an empty first delta, token-sized reasoning and text deltas, tool-call
    fragments, a finishReason event; then a usage event when streamOptions.isIncludeUsage,
    then [DONE]."""

    def delta(index: int, **message) -> dict:
        return {"index": index, "message": {"role": "ASSISTANT", **message}}

    events: list[dict | str] = []
    for index, choice in enumerate(reply.choices):
        events.append(delta(index, content=[{"type": "TEXT", "text": ""}]))
        for piece in tokens.tokens(choice.reasoning or ""):
            events.append(delta(index, reasoningContent=piece))
        for piece in tokens.tokens(choice.text if not choice.tool_calls else ""):
            events.append(delta(index, content=[{"type": "TEXT", "text": piece}]))
        for call in generic_calls(raw, choice, index):
            arguments = call.pop("arguments")
            events.append(delta(index, toolCalls=[{**call, "arguments": ""}]))
            for piece in tokens.tokens(arguments):
                events.append(delta(index, toolCalls=[{"arguments": piece}]))
        finish = GENERIC_FINISH[choice.finish]
        events.append(
            {**delta(index, content=[{"type": "TEXT", "text": ""}]), "finishReason": finish}
        )
    if turn.include_usage:
        events.append({"usage": chat_usage(reply, model)})
    return [*events, "[DONE]"]


def sse(events: list[dict | str]) -> list[str]:
    lines = []
    for event in events:
        if isinstance(event, dict):
            event = json.dumps({**event, "pad": pad(json.dumps(event))})
        lines.append(f"data: {event}\n\n")
    return lines
