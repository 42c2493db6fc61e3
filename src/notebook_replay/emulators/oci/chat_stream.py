"""POST /20231130/actions/chat with isStream: the server-sent events of each apiFormat
(ledger: oci.stream.*).
"""

from __future__ import annotations

import hashlib

from .. import controls, tokens
from ..replies import Turn
from .chat_answers import (
    GENERIC_FINISH,
    chat_usage,
    cohere_response,
    cohere_v2_response,
    generic_calls,
)
from .errors import compact


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
            events += [delta(index, toolCalls=[part]) for part in streamed_call(call, model)]
        finish = GENERIC_FINISH[choice.finish]
        ending = {**delta(index, content=[{"type": "TEXT", "text": ""}]), "finishReason": finish}
        if index == len(reply.choices) - 1:
            ending.pop("index")  # the last finishReason event has none (oci.stream.generic-framing)
        events.append(ending)
    if turn.include_usage:
        events.append({"usage": chat_usage(reply, model)})
    return [*events, "[DONE]"]


STREAMED_CALLS_LEDGER = {
    "opened-then-fragments": "oci.stream.generic-tool-calls",
    "fresh-id-fragments": "oci.stream.tool-calls-gpt-oss",
    "whole-without-id": "oci.stream.tool-calls-gemini",
}


def tool_call_style(model) -> str:
    """How a family streams a tool call (ledger: oci.stream.tool-calls-*)."""
    if model is not None and model.family == "gpt-oss":
        return "fresh-id-fragments"
    if model is not None and model.vendor == "google":
        return "whole-without-id"
    return "opened-then-fragments"


def streamed_call(call: dict, model) -> list[dict]:
    """The toolCalls parts one call streams as, one part an event (so parallel calls
    arrive one call per event: oci.stream.parallel-calls)."""
    style = tool_call_style(model)
    arguments = call.pop("arguments")
    if style == "whole-without-id":
        call.pop("id")
        return [{**call, "arguments": arguments}]
    parts = [{**call, "arguments": ""}]
    for i, piece in enumerate(tokens.tokens(arguments)):
        if style == "fresh-id-fragments":
            fresh = hashlib.sha256(f"{call['id']}/{i}".encode()).hexdigest()[:24]
            parts.append({"type": "FUNCTION", "id": "chatcmpl-tool-" + fresh, "arguments": piece})
        else:
            parts.append({"arguments": piece})
    return parts


def sse(events: list[dict | str]) -> list[str]:
    lines = []
    for event in events:
        if isinstance(event, dict):
            event = compact({**event, "pad": pad(compact(event))})
        lines.append(f"data: {event}\n\n")
    return lines
