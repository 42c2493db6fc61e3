"""The request's own controls, applied to what the reply script says, the same way for
both services: tool choice, parallel calls, reasoning, stop sequences, max tokens, n.

Each service maps the result to its wire vocabulary and marks the ledger entries for what
was applied (`Reply.applied`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import synth, tokens
from .replies import Answer, ScriptProblem, ToolCall, Turn


@dataclass
class Choice:
    text: str
    reasoning: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    finish: str = "stop"  # stop | length | tool_calls | stop_sequence


@dataclass
class Reply:
    choices: list[Choice]
    fault: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    applied: set[str] = field(default_factory=set)


def _calls(turn: Turn, said: Answer, applied: set[str]) -> tuple[ToolCall, ...]:
    if turn.tool_choice == "none" or not turn.tools:
        if said.tool_calls:
            applied.add("tool_choice_none")
        return ()
    calls = said.tool_calls
    unknown = [c.name for c in calls if c.name not in turn.tools]
    if unknown:
        raise ScriptProblem(
            "script_error",
            f"the entry calls {unknown} but the request offers only {turn.tools}",
        )
    forced = turn.tool_choice if turn.tool_choice in turn.tools else None
    if forced:
        applied.add("tool_choice_named")
        calls = tuple(c for c in calls if c.name == forced)
    elif turn.tool_choice == "required":
        applied.add("tool_choice_required")
    target = forced or (turn.tools[0] if turn.tool_choice == "required" else None)
    if target and not calls:
        applied.add("synthesized_call")
        calls = (ToolCall(target, synth.value(turn.tool_schemas.get(target) or {})),)
    if len(calls) > 1:
        applied.add("parallel_calls" if turn.parallel_tools else "parallel_dropped")
        if not turn.parallel_tools:
            calls = calls[:1]
    return calls


def shape(turn: Turn, said: Answer) -> Reply:
    applied: set[str] = set()
    calls = _calls(turn, said, applied)
    if not calls and not any(said.texts):
        raise ScriptProblem(
            "script_error",
            "the entry has only tool calls, but this request does not let the model call "
            f"a tool (tool_choice {turn.tool_choice!r}, tools {turn.tools})",
        )
    reasoning = said.reasoning if turn.reasoning and said.reasoning else None
    if reasoning:
        applied.add("reasoning")
    if turn.stop:
        applied.add("stop")
    if turn.max_tokens is not None:
        applied.add("max_tokens")
    if turn.n > 1:
        applied.add("n")
    choices = []
    for i in range(max(1, turn.n)):
        text = said.texts[i % len(said.texts)]
        choice = Choice(text=text, reasoning=reasoning, tool_calls=calls)
        if calls:
            choice.finish = "tool_calls"
        else:
            _cut(choice, turn, applied)
        choices.append(choice)
    reasoning_tokens = sum(tokens.count(c.reasoning or "") for c in choices)
    completion = sum(
        tokens.count(c.text) + tokens.count(json.dumps([t.arguments for t in c.tool_calls]))
        if c.tool_calls
        else tokens.count(c.text)
        for c in choices
    )
    return Reply(
        choices=choices,
        fault=said.fault,
        prompt_tokens=max(1, tokens.count(turn.prompt_text)),
        completion_tokens=completion + reasoning_tokens,
        reasoning_tokens=reasoning_tokens,
        applied=applied,
    )


def _cut(choice: Choice, turn: Turn, applied: set[str]) -> None:
    """Stop sequences end the text before the first one; max tokens (reasoning included)
    cut it at that many tokens."""
    starts = [choice.text.find(s) for s in turn.stop if s and s in choice.text]
    if starts:
        choice.text = choice.text[: min(starts)]
        choice.finish = "stop_sequence"
        applied.add("stop_fired")
    if turn.max_tokens is None:
        return
    budget = turn.max_tokens
    if choice.reasoning and tokens.count(choice.reasoning) >= budget:
        choice.reasoning = tokens.truncate(choice.reasoning, budget)
        choice.text, choice.finish = "", "length"
        applied.add("length")
        return
    budget -= tokens.count(choice.reasoning or "")
    if tokens.count(choice.text) > budget:
        choice.text = tokens.truncate(choice.text, budget)
        choice.finish = "length"
        applied.add("length")
