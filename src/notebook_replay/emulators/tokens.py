"""One tokenizer for everything the emulators count or cut: stream pieces, max-token
truncation and usage figures, so the three always agree.

It is OpenAI's o200k_base BPE (quicktok ships it, byte-identical to tiktoken's, with the
data inside the wheel, so nothing is downloaded). It is exact for the OpenAI families (GPT-4.1
and 5.x; gpt-oss's o200k_harmony splits plain text the same way) and stands in for every
other family, whose own tokenizers cut slightly differently (ledger: oci.stream.tokens,
gradient.stream.tokens). Real OCI deltas average 4.3-4.5 characters and keep common words
whole; so do these.

A token that ends inside a multi-byte character is joined to the next one, so every piece
is text: "".join(tokens(text)) == text.
"""

from __future__ import annotations

from functools import lru_cache

import quicktok

ENCODING = "o200k_base"


@lru_cache(maxsize=1)
def _encoding():
    return quicktok.get_encoding(ENCODING)


@lru_cache(maxsize=4096)
def _pieces(text: str) -> tuple[str, ...]:
    encoding = _encoding()
    out: list[str] = []
    pending = b""
    for token in encoding.encode_ordinary(text):
        pending += encoding.decode_single_token_bytes(token)
        try:
            out.append(pending.decode("utf-8"))
        except UnicodeDecodeError:
            continue  # the character goes on in the next token
        pending = b""
    if pending:  # cannot happen for valid text; kept so no byte is ever lost
        out.append(pending.decode("utf-8", errors="replace"))
    return tuple(out)


def tokens(text: str) -> list[str]:
    """The text as tokens; "".join(tokens(text)) == text."""
    return list(_pieces(text or ""))


def count(text: str) -> int:
    return len(_pieces(text or ""))


def truncate(text: str, limit: int) -> str:
    """The first `limit` tokens of the text."""
    return "".join(_pieces(text or "")[: max(0, limit)])
