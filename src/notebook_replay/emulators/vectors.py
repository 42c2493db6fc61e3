"""The emulator's own vectors and relevance scores: a hashed bag of words, normalised.

No machine here can run Cohere's embedding or rerank models, so the emulator makes vectors
a reader can reason about: each word (lower-cased, a plural's final "s" dropped, a short
list of function words left out) adds weight to one coordinate chosen by a hash of the
word, and the vector is scaled to length 1. Two texts are close exactly when they share
words, so a retrieval example finds the right document for a reason the page can show.
Images are hashed as bytes: an image is close only to itself. A relevance score is the
cosine of the query's and the document's vectors, in [0, 1].

These are the emulator's own by design (ledger: oci.embed.vectors, oci.rerank.scores),
never a claim about what the real models answer.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter

_WORD = re.compile(r"[^\W_]+")
FUNCTION_WORDS = frozenset(
    "a an and are as at be by can do does for from has have how i in is it its of on or "
    "our that the their this to was we what when where which who why will with you your".split()
)


def words(text: str) -> list[str]:
    """The words that count, in order: lower case, no function words, no plural s."""
    found = []
    for word in _WORD.findall(text.lower()):
        if word in FUNCTION_WORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.append(word)
    return found


def _slot(token: bytes, dimensions: int) -> int:
    return int.from_bytes(hashlib.sha256(token).digest()[:8], "big") % dimensions


def _unit(weights: dict[int, float], dimensions: int) -> list[float]:
    norm = math.sqrt(sum(w * w for w in weights.values()))
    vector = [0.0] * dimensions
    for slot, weight in weights.items():
        vector[slot] = round(weight / norm, 6)
    return vector


def text_vector(text: str, dimensions: int) -> list[float]:
    """A text's vector: one coordinate per distinct word, weighted 1 + log(count)."""
    counts = Counter(words(text))
    if not counts:  # nothing but function words or punctuation: the text as a whole
        counts = Counter([text.strip().lower() or " "])
    weights: dict[int, float] = {}
    for word, count in counts.items():
        slot = _slot(word.encode(), dimensions)
        weights[slot] = weights.get(slot, 0.0) + 1 + math.log(count)
    return _unit(weights, dimensions)


def image_vector(data: bytes, dimensions: int) -> list[float]:
    """An image's vector: eight coordinates chosen by hashes of its bytes."""
    weights = {_slot(data + bytes([i]), dimensions): 1.0 for i in range(8)}
    return _unit(weights, dimensions)


def relevance(query: str, document: str) -> float:
    """The cosine of the two texts' word vectors (1024 coordinates), rounded to 6 places."""
    a, b = text_vector(query, 1024), text_vector(document, 1024)
    return min(1.0, round(sum(x * y for x, y in zip(a, b, strict=True)), 6))
