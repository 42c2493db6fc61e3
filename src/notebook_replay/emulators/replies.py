"""Reply scripts: for each prompt a page sends, the answer the emulator gives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

SCRIPTS = Path(__file__).with_name("replies")
NO_SCRIPT = (
    "(The local emulator has no scripted reply for this prompt: add one to "
    "src/notebook_replay/emulators/replies/.)"
)


@dataclass(frozen=True)
class Reply:
    prompt_contains: str
    text: str


def load(folder: Path = SCRIPTS) -> list[Reply]:
    replies = []
    for path in sorted(folder.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            replies.append(Reply(entry["prompt_contains"], entry["reply"].strip()))
    return replies


def choose(replies: list[Reply], prompt: str) -> str:
    """The first reply whose key text appears in the prompt (case and spacing ignored)."""
    wanted = " ".join(prompt.split()).lower()
    for reply in replies:
        if " ".join(reply.prompt_contains.split()).lower() in wanted:
            return reply.text
    return NO_SCRIPT


def count_tokens(text: str) -> int:
    """A stable, rough token count (about 4 characters a token), for usage figures."""
    return max(1, round(len(text) / 4))


def pieces(text: str, size: int = 3) -> list[str]:
    """Split a reply into stream deltas of a few words each, spaces kept."""
    words = text.split(" ")
    return [
        " ".join(words[i : i + size]) + (" " if i + size < len(words) else "")
        for i in range(0, len(words), size)
    ]
