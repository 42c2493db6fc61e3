"""One tokenizer for everything the emulators count or cut: stream pieces, max-token
truncation and usage figures, so the three always agree.

Real tokenizers differ by model; this one only has their shape: a word with its leading
space is one token up to 4 characters and splits into 4-character pieces beyond that,
punctuation is a token of its own. About 4 characters a token, words split across pieces,
the same text always the same tokens.
"""

from __future__ import annotations

import re

_WORDS = re.compile(r" ?\w+| ?[^\w\s]+|\s+")
SIZE = 4


def tokens(text: str) -> list[str]:
    """The text as tokens; "".join(tokens(text)) == text."""
    out: list[str] = []
    for word in _WORDS.findall(text or ""):
        out += [word[i : i + SIZE] for i in range(0, len(word), SIZE)]
    return out


def count(text: str) -> int:
    return len(tokens(text))


def truncate(text: str, limit: int) -> str:
    """The first `limit` tokens of the text."""
    return "".join(tokens(text)[: max(0, limit)])
