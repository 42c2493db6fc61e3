"""Reply scripts: for each thing a page asks, what the emulated model answers.

A script is a YAML list in replies/<page>.yaml. Each entry says when it applies and what
the model does:

    - prompt: "rainy afternoon in Lisbon"   # text the last user message contains
      reply: "Visit the Gulbenkian …"      # answer with text
    - prompt: "weather in Porto"
      tool_calls: [{name: get_weather, arguments: {city: Porto}}]   # or call tools
    - tool_result: "17°C"                   # text the tool result being answered contains
      reply: "It is 17°C in Porto."
    - prompt: "Extract the booking"
      structured: {guest: Ana, nights: 2}  # JSON text, or a call to the schema tool
    - prompt: "trigger a rate limit"
      fault: rate_limited_once             # see FAULTS
      reply: "…"                           # what the retry gets

Optional `model:` restricts an entry to one model id. Entries are tried in order; the
first that applies wins. A reply is chosen by what a request asks, never by the order of
requests, so editing one cell's prompt changes one reply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SCRIPTS = Path(__file__).with_name("replies")

FAULTS = {
    "rate_limited_once": "429 on the first attempt at this exact request, then the answer",
    "rate_limited": "429 on every attempt",
    "server_error": "500 on every attempt",
    "unauthorized": "401: the credentials were refused",
    "cut_stream": "a stream that stops in the middle of an event",
    "malformed_json": "a 200 whose body (or one stream event) is not valid JSON",
}

NO_SCRIPT = (
    "(The local emulator has no scripted reply for this prompt: add one to "
    "src/notebook_replay/emulators/replies/.)"
)


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict


@dataclass(frozen=True)
class Entry:
    prompt: str | None = None
    tool_result: str | None = None
    model: str | None = None
    reply: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    structured: dict | None = None
    fault: str | None = None

    @classmethod
    def from_yaml(cls, data: dict, where: str) -> Entry:
        known = {"prompt", "tool_result", "model", "reply", "tool_calls", "structured", "fault"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}; use {sorted(known)}")
        if bool(data.get("prompt")) == bool(data.get("tool_result")):
            raise ValueError(f"{where}: give exactly one of `prompt` or `tool_result`")
        if data.get("fault") and data["fault"] not in FAULTS:
            raise ValueError(f"{where}: fault must be one of {sorted(FAULTS)}")
        return cls(
            prompt=data.get("prompt"),
            tool_result=data.get("tool_result"),
            model=data.get("model"),
            reply=" ".join(data["reply"].split()) if data.get("reply") else None,
            tool_calls=tuple(
                ToolCall(c["name"], c.get("arguments", {})) for c in data.get("tool_calls", [])
            ),
            structured=data.get("structured"),
            fault=data.get("fault"),
        )


@dataclass
class Turn:
    """What one request asks, in terms both services share."""

    model: str
    prompt: str = ""  # the last user message
    tool_result: str | None = None  # set when the request answers a tool call
    tools: list[str] = field(default_factory=list)  # names of the tools offered
    tool_choice: str | None = None  # "auto", "none", "required", or a tool's name
    wants_json: bool = False  # a response format of JSON was asked for
    stream: bool = False
    include_usage: bool = False
    prompt_text: str = ""  # everything sent, for a token count
    logprobs: bool = False  # log probabilities were asked for


@dataclass(frozen=True)
class Answer:
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    fault: str | None = None


def load(folder: Path = SCRIPTS) -> list[Entry]:
    entries = []
    for path in sorted(folder.glob("*.yaml")):
        for i, data in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            entries.append(Entry.from_yaml(data, f"{path.name} entry {i + 1}"))
    return entries


def _contains(haystack: str, needle: str) -> bool:
    return " ".join(needle.split()).lower() in " ".join(haystack.split()).lower()


def find(entries: list[Entry], turn: Turn) -> Entry | None:
    for entry in entries:
        if entry.model and entry.model != turn.model:
            continue
        if turn.tool_result is not None:
            if entry.tool_result and _contains(turn.tool_result, entry.tool_result):
                return entry
        elif entry.prompt and _contains(turn.prompt, entry.prompt):
            return entry
    return None


def answer(entries: list[Entry], turn: Turn) -> Answer:
    """The model's answer to a turn, honouring tool_choice and JSON response formats."""
    entry = find(entries, turn)
    if entry is None:
        return Answer(text=NO_SCRIPT)
    calls = entry.tool_calls
    if entry.structured is not None:
        if turn.wants_json:
            return Answer(text=json.dumps(entry.structured), fault=entry.fault)
        forced = turn.tool_choice if turn.tool_choice in turn.tools else None
        target = forced or (turn.tools[0] if turn.tools else None)
        if target:
            calls = (ToolCall(target, entry.structured),)
    if turn.tool_choice == "none" or not turn.tools:
        calls = ()
    elif turn.tool_choice in turn.tools:
        calls = tuple(c for c in calls if c.name == turn.tool_choice)
    if turn.tool_choice not in (None, "auto", "none") and not calls:
        raise ScriptError(
            f"the request requires a tool call ({turn.tool_choice}) but the script entry for "
            f"{entry.prompt or entry.tool_result!r} has none"
        )
    text = entry.reply or ("" if calls else NO_SCRIPT)
    return Answer(text=text, tool_calls=calls, fault=entry.fault)


class ScriptError(ValueError):
    """The reply script cannot answer a request the way the request demands."""


def count_tokens(text: str) -> int:
    """A stable, rough token count (about 4 characters a token), for usage figures."""
    return max(1, round(len(text) / 4))


def token_counts(turn: Turn, said: Answer) -> tuple[int, int]:
    """(prompt tokens, completion tokens) of one exchange; each service names them."""
    calls = json.dumps([c.arguments for c in said.tool_calls])
    return count_tokens(turn.prompt_text), count_tokens(said.text + calls)


def pieces(text: str, size: int = 3) -> list[str]:
    """Split a reply into stream deltas of a few words each, spaces kept."""
    words = text.split(" ")
    return [
        " ".join(words[i : i + size]) + (" " if i + size < len(words) else "")
        for i in range(0, len(words), size)
    ]
