"""Reply scripts: for each thing a page asks, what the emulated model answers.

A script is a YAML list in replies/<page>.yaml. Each entry says when it applies and what
the model does:

    - prompt: "rainy afternoon in Lisbon"   # text the last user message contains
      reply: "Visit the Gulbenkian …"      # answer with text
    - prompt: "Name a colour"
      reply: ["Teal.", "Ochre.", "Indigo."] # a list: choice i of n (n / numGenerations)
                                           # takes item i (cycling); one text for all otherwise
    - prompt: "How many r in strawberry"
      reasoning: "s-t-r-a-w-b-e-r-r-y: r at 3, 8, 9."   # reasoning models only: their
      reply: "Three."                      # reasoning_content / reasoningContent
    - prompt: "weather in Porto"
      tool_calls: [{name: get_weather, arguments: {city: Porto}}]   # or call tools;
                                           # several calls = parallel calls (kept only for
                                           # models whose catalog entry has parallel_tools)
    - tool_result: "17°C"                   # text the tool result being answered contains
      reply: "It is 17°C in Porto."
    - prompt: "Extract the booking"
      structured: {guest: Ana, nights: 2}  # JSON text, or a call to the schema tool
    - prompt: "trigger a rate limit"
      fault: rate_limited_once             # see FAULTS
      reply: "…"                           # what the retry gets

Optional `model:` restricts an entry to one model id, and optional `system:` to requests
whose system message (or Cohere preamble) contains that text, so a system prompt can change
the answer: list the entry with `system:` before the one without. Entries are tried in order; the
first that applies wins. A reply is chosen by what a request asks, never by the order of
requests, so editing one cell's prompt changes one reply.

The request's own controls then shape the answer (see controls.py): stop sequences and
max tokens cut the text, `n` repeats it, a forced tool choice with no scripted call gets a
call built from the tool's JSON schema.

A request no entry answers, or one its entry cannot satisfy (JSON asked for and the reply
is not JSON), is a *script problem*: the emulator answers 400 with a message starting
`emulator reply script:` and appends it to `app.state.problems`, so recording fails loudly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SCRIPTS = Path(__file__).with_name("replies")

FAULTS = {
    "rate_limited_once": "429 on the first attempt at this exact request (no Retry-After "
    "header), then the answer",
    "rate_limited_once_with_retry_after": "429 with `Retry-After: 0` on the first attempt, "
    "then the answer (that the service sends Retry-After is assumed)",
    "rate_limited": "429 on every attempt",
    "server_error": "500 on every attempt",
    "unauthorized": "401: the credentials were refused",
    "cut_stream": "a stream that stops in the middle of an event",
    "malformed_json": "a 200 whose body (or one stream event) is not valid JSON",
}

PROBLEM_PREFIX = "emulator reply script: "


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict


@dataclass(frozen=True)
class Entry:
    prompt: str | None = None
    tool_result: str | None = None
    model: str | None = None
    reply: str | tuple[str, ...] | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    structured: dict | None = None
    fault: str | None = None
    reasoning: str | None = None
    system: str | None = None

    @property
    def texts(self) -> tuple[str, ...]:
        if self.reply is None:
            return ()
        return (self.reply,) if isinstance(self.reply, str) else tuple(self.reply)

    @classmethod
    def from_yaml(cls, data: dict, where: str) -> Entry:
        known = {
            "prompt",
            "tool_result",
            "model",
            "reply",
            "tool_calls",
            "structured",
            "fault",
            "reasoning",
            "system",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}; use {sorted(known)}")
        if bool(data.get("prompt")) == bool(data.get("tool_result")):
            raise ValueError(f"{where}: give exactly one of `prompt` or `tool_result`")
        if data.get("fault") and data["fault"] not in FAULTS:
            raise ValueError(f"{where}: fault must be one of {sorted(FAULTS)}")
        reply = data.get("reply")
        if isinstance(reply, list):
            reply = tuple(" ".join(str(r).split()) for r in reply)
        elif reply:
            reply = " ".join(str(reply).split())
        return cls(
            prompt=data.get("prompt"),
            tool_result=data.get("tool_result"),
            model=data.get("model"),
            reply=reply or None,
            tool_calls=tuple(
                ToolCall(c["name"], c.get("arguments", {})) for c in data.get("tool_calls", [])
            ),
            structured=data.get("structured"),
            fault=data.get("fault"),
            reasoning=" ".join(data["reasoning"].split()) if data.get("reasoning") else None,
            system=data.get("system"),
        )


@dataclass
class Turn:
    """What one request asks, in terms both services share."""

    model: str
    prompt: str = ""  # the last user message
    system: str = ""  # the system messages (or Cohere preamble), joined
    tool_result: str | None = None  # set when the request answers a tool call
    tools: list[str] = field(default_factory=list)  # names of the tools offered
    tool_schemas: dict[str, dict] = field(default_factory=dict)  # name -> JSON schema
    tool_choice: str | None = None  # "auto", "none", "required", or a tool's name
    wants_json: bool = False  # a response format of JSON was asked for
    json_schema: dict | None = None  # the schema of a JSON-schema response format
    stream: bool = False
    include_usage: bool = False
    prompt_text: str = ""  # everything sent, for a token count
    logprobs: bool = False  # log probabilities were asked for
    stop: tuple[str, ...] = ()  # stop sequences
    max_tokens: int | None = None  # completion budget (reasoning included)
    n: int = 1  # how many choices
    parallel_tools: bool = False  # several calls in one reply allowed (model and request)
    reasoning: bool = False  # a reasoning model, reasoning not switched off


@dataclass(frozen=True)
class Answer:
    """What the script says, before the request's controls shape it."""

    texts: tuple[str, ...] = ("",)
    tool_calls: tuple[ToolCall, ...] = ()
    fault: str | None = None
    reasoning: str | None = None


class ScriptProblem(Exception):
    """The reply script cannot answer this request: `kind` is "unscripted" or
    "script_error"."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


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
        if entry.system and not _contains(turn.system, entry.system):
            continue
        if turn.tool_result is not None:
            if entry.tool_result and _contains(turn.tool_result, entry.tool_result):
                return entry
        elif entry.prompt and _contains(turn.prompt, entry.prompt):
            return entry
    return None


def answer(entries: list[Entry], turn: Turn) -> Answer:
    """What the script says for this turn, with structured answers placed where the
    request wants them (JSON text, or a call to the schema tool). Raises ScriptProblem."""
    entry = find(entries, turn)
    if entry is None:
        asked = f"tool result {turn.tool_result!r}" if turn.tool_result else repr(turn.prompt)
        raise ScriptProblem(
            "unscripted",
            f"no entry answers {asked} (model {turn.model}); add one to "
            "src/notebook_replay/emulators/replies/<page>.yaml",
        )
    name = repr(entry.prompt or entry.tool_result)
    texts = entry.texts
    calls = entry.tool_calls
    if entry.structured is not None:
        if turn.wants_json:
            texts, calls = (json.dumps(entry.structured),), ()
        else:
            forced = turn.tool_choice if turn.tool_choice in turn.tools else None
            target = forced or (turn.tools[0] if turn.tools else None)
            if target:
                calls = (ToolCall(target, entry.structured),)
            elif not texts:
                texts = (json.dumps(entry.structured),)
    elif turn.wants_json and not calls:
        for text in texts:
            try:
                json.loads(text)
            except ValueError:
                raise ScriptProblem(
                    "script_error",
                    f"the request asks for a JSON answer but the entry for {name} replies "
                    f"with text that is not JSON: {text[:60]!r} (give `structured:`)",
                ) from None
    if not texts and not calls and not turn.tools:
        raise ScriptProblem(
            "script_error",
            f"the entry for {name} has tool calls only, but the request offers no tools",
        )
    return Answer(
        texts=texts or ("",), tool_calls=calls, fault=entry.fault, reasoning=entry.reasoning
    )
