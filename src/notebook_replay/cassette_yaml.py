"""A fast reader for the YAML our cassette writer emits, and nothing else.

PyYAML, even on libyaml, builds every node in Python: 18 CPU-seconds for a 50 MB cassette,
against about 3 for this reader.

``load(text)`` reads the subset ``yaml.dump(..., Dumper=SafeDumper subclass)`` writes (block
mappings and sequences as the SafeDumper lays them out, plain, single- and double-quoted
scalars, literal blocks ``|`` with their indicators, ints, null, booleans, ``[]`` and
``{}``) and returns what ``yaml.load(text, Loader=CSafeLoader)`` returns. Anything else (a
comment, an anchor, a tag, a flow collection, a float, a blank line between entries, a tab
or a carriage return, odd indentation) raises ``NotOurSubset``, and the caller asks PyYAML:
when in doubt this reader gives up rather than guess.
"""

from __future__ import annotations

import functools
import re

import yaml
from yaml.constructor import SafeConstructor


class NotOurSubset(Exception):
    """The text is outside the subset this reader knows: parse it with PyYAML."""


# Characters the writer leaves unescaped (allow_unicode=True). Anything else (a tab, \r, a
# control character, NEL/LS/PS, which YAML 1.1 counts as line breaks, a BOM) only ever
# appears escaped inside double quotes; raw, it is someone else's YAML.
_FOREIGN = re.compile(
    "[^\n -~\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_SPACES = re.compile(" *")
_SINGLE = re.compile(r"'[^']*(?:''[^']*)*'")
_DOUBLE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_DOUBLE_RUN = re.compile(r"[^\\ \n]+")
_LITERAL_HEADER = re.compile(r"\|([1-9]?)([-+]?)\n")
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,99})")
# A plain scalar may not start with an indicator ("-", "?" and ":" only before a space).
_NOT_PLAIN_START = frozenset("#&*!|>'\"%@`,[]{}")
_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
    "e": "\x1b", " ": " ", '"': '"', "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028",
    "P": "\u2029",
}  # fmt: skip
_HEX_LENGTH = {"x": 2, "u": 4, "U": 8}
_NULL, _BOOL, _INT = (f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int"))


def load(text: str, resolvers: dict | None = None):
    """The data in ``text``, as CSafeLoader would build it; NotOurSubset if unsure.
    ``resolvers``: the loader's implicit resolvers (which plain scalars are not strings)."""
    if not text.endswith("\n") or text[0] == " " or _FOREIGN.search(text):
        raise NotOurSubset("outside the characters the writer leaves unescaped")
    reader = _Reader(text, resolvers or yaml.SafeLoader.yaml_implicit_resolvers)
    try:
        data = reader.block(0)
    except IndexError:  # ran off the end of the text somewhere: not ours to guess
        raise NotOurSubset("cut short") from None
    if reader.pos != len(text):
        raise NotOurSubset(f"stopped at offset {reader.pos}")
    return data


class _Reader:
    def __init__(self, text: str, resolvers: dict):
        self.text = text
        self.pos = 0
        self.resolvers = resolvers
        self.plain = functools.lru_cache(maxsize=4096)(self._resolve)

    # Structure. ``column`` is a collection's own column; a scalar inside it reads its
    # continuation lines and a literal block's indentation relative to that column.

    def indent(self) -> int:
        """Spaces at the start of the line at ``pos`` (-1 at the end of the text)."""
        text, pos = self.text, self.pos
        if pos == len(text):
            return -1
        spaces = _SPACES.match(text, pos).end() - pos
        if text[pos + spaces] == "\n":
            raise NotOurSubset("a blank line between entries")
        return spaces

    def is_item(self, pos: int) -> bool:
        return self.text.startswith(("- ", "-\n"), pos)

    def block(self, column: int, indentless: bool = False, first_key=None):
        """The block collection whose first entry starts at ``pos`` (at ``column``)."""
        if first_key is None and self.is_item(self.pos):
            return self.sequence(column, indentless)
        return self.mapping(column, first_key)

    def sequence(self, column: int, indentless: bool) -> list:
        items = []
        while True:
            if not self.text.startswith("- ", self.pos):
                raise NotOurSubset("an item with its value on the next line")
            self.pos += 2
            items.append(self.inline(column + 2, column, in_sequence=True))
            spaces = self.indent()
            if spaces < column or (indentless and spaces == column and not self.is_item(
                self.pos + spaces
            )):  # fmt: skip
                return items
            if spaces > column or not self.is_item(self.pos + spaces):
                raise NotOurSubset("an item out of line")
            self.pos += spaces

    def mapping(self, column: int, first_key=None) -> dict:
        mapping = {}
        key = first_key
        while True:
            if key is None:
                if self.is_item(self.pos):
                    raise NotOurSubset("an item inside a mapping")
                key = self.key()
            mapping[key] = self.value(column)
            key = None
            spaces = self.indent()
            if spaces < column:
                return mapping
            if spaces > column:
                raise NotOurSubset("a key out of line")
            self.pos += spaces

    def key(self):
        """A simple key on one line, and the ':' after it; ``pos`` ends after the ':'."""
        text, pos = self.text, self.pos
        first = text[pos]
        if first in "'\"":
            key = self.quoted(-1)
            if not text.startswith((": ", ":\n"), self.pos):
                raise NotOurSubset("a quoted scalar where a key should be")
            return self.simple_key(key, pos)
        end = text.index("\n", pos)
        colon = text.find(": ", pos, end)
        if colon < 0:
            if text[end - 1] != ":":
                raise NotOurSubset("a line without a key")
            colon = end - 1
        raw = text[pos:colon]
        if len(raw) > 1000:
            raise NotOurSubset("a very long key")
        self.pos = colon + 1
        return self.plain(raw)

    def value(self, column: int):
        """A mapping value: after ': ' on the key's line, or on the lines below."""
        text = self.text
        if text[self.pos] == " ":
            self.pos += 1
            return self.inline(-1, column, in_sequence=False)
        self.pos += 1  # the line break after "key:"
        spaces = self.indent()
        if spaces > column or (spaces == column and self.is_item(self.pos + spaces)):
            self.pos += spaces
            return self.block(spaces, indentless=spaces == column)
        raise NotOurSubset("an empty value")

    def inline(self, at: int, column: int, in_sequence: bool):
        """The node starting mid-line at ``pos`` (column ``at``) inside the collection at
        ``column``: a scalar, or after "- " also a nested sequence or a compact mapping."""
        text, pos = self.text, self.pos
        first = text[pos]
        if first == " ":
            raise NotOurSubset("more than one space before a node")
        if in_sequence and self.is_item(pos):
            return self.block(at)
        if first in "'\"":
            value = self.quoted(column)
            if text.startswith((": ", ":\n"), self.pos) and in_sequence:
                return self.block(at, first_key=self.simple_key(value, pos))
            return self.line_end(value)
        if first == "|":
            return self.literal(column)
        if text.startswith(("[]\n", "{}\n"), pos):
            self.pos += 3
            return [] if first == "[" else {}
        end = text.index("\n", pos)
        if text.find(": ", pos, end) >= 0 or text[end - 1] == ":":
            if not in_sequence:
                raise NotOurSubset("a mapping on a key's line")
            return self.block(at, first_key=self.key())
        return self.plain_scalar(column, end)

    def simple_key(self, key: str, start: int) -> str:
        """A quoted key (read from ``start``): on one line, shorter than libyaml's limit."""
        if "\n" in self.text[start : self.pos] or self.pos - start > 1000:
            raise NotOurSubset("not a simple key")
        self.pos += 1  # the ':'
        return key

    def line_end(self, value):
        if self.text[self.pos] != "\n":
            raise NotOurSubset("something after a scalar")
        self.pos += 1
        return value

    # Scalars.

    def check_plain(self, raw: str) -> None:
        if (
            not raw
            or raw[0] in _NOT_PLAIN_START
            or (raw[0] in "-?:" and raw[1:2] in ("", " "))
            or raw.startswith(("---", "..."))
            or raw[-1] == " "
            or " #" in raw
            or ": " in raw
        ):
            raise NotOurSubset(f"not a plain scalar we know: {raw[:40]!r}")

    def _resolve(self, raw: str):
        """What CSafeLoader makes of a plain scalar: the implicit resolvers decide its tag.
        (Cached: keys and values such as "POST" come back thousands of times.)"""
        self.check_plain(raw)
        candidates = self.resolvers.get(raw[0], []) + self.resolvers.get(None, [])
        tag = next((tag for tag, pattern in candidates if pattern.match(raw)), None)
        if tag is None:
            return raw
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return SafeConstructor.bool_values[raw.lower()]
        if tag == _INT and _DECIMAL.fullmatch(raw):
            return int(raw)
        raise NotOurSubset(f"a plain scalar tagged {tag}")

    def plain_scalar(self, column: int, end: int):
        """A plain scalar from ``pos`` to ``end``, and the lines that continue it (deeper
        than ``column``), each line break folded into a space."""
        text = self.text
        raw = text[self.pos : end]
        if raw[-1:] == ":":
            raise NotOurSubset("a plain scalar ending with ':'")
        words = None
        while end + 1 < len(text):
            start = end + 1
            spaces = _SPACES.match(text, start).end() - start
            if spaces <= column or text[start + spaces] == "\n":
                break
            end = text.index("\n", start)
            more = text[start + spaces : end]
            if more[0] == "#" or more[-1] in ": " or " #" in more or ": " in more:
                raise NotOurSubset("a plain continuation line we do not know")
            if not words:
                self.check_plain(raw)
                words = [raw]
            words.append(more)
        self.pos = end + 1
        return self.plain(" ".join(words) if words else raw)

    def quoted(self, column: int) -> str:
        """A single- or double-quoted scalar at ``pos``; ``pos`` ends after the quote."""
        text, pos = self.text, self.pos
        match = (_SINGLE if text[pos] == "'" else _DOUBLE).match(text, pos)
        if not match:
            raise NotOurSubset("an unterminated quoted scalar")
        self.pos = match.end()
        raw = match.group()[1:-1]
        if "\n" in raw:
            lines = raw.split("\n")
            for number, line in enumerate(lines[1:], start=2):
                words = line.lstrip(" ")
                if (words or number == len(lines)) and len(line) - len(words) <= column:
                    raise NotOurSubset("a quoted scalar's line out of line")
        if text[pos] == "'":
            return (_fold(raw) if "\n" in raw else raw).replace("''", "'")
        if "\\" in raw or "\n" in raw:
            return _double_quoted(raw)
        return raw

    def literal(self, column: int) -> str:
        """A literal block scalar: its header at ``pos``, its lines below."""
        text = self.text
        header = _LITERAL_HEADER.match(text, self.pos)
        if not header:
            raise NotOurSubset("a block scalar header we do not know")
        start = header.end()
        if header.group(1):
            indent = column + int(header.group(1))
        else:
            indent = _SPACES.match(text, start).end() - start
            if indent <= column or text[start + indent] == "\n":
                raise NotOurSubset("a literal block whose indentation we cannot see")
        end = _block_lines(indent).match(text, start).end()
        self.pos = end
        lines = [line[indent:] for line in text[start : end - 1].split("\n")] if end > start else []
        chomping = header.group(2)
        last = len(lines)
        while last and not lines[last - 1]:
            last -= 1
        if not last:  # no content at all
            return "\n" * len(lines) if chomping == "+" else ""
        body = "\n".join(lines[:last])
        if chomping == "-":
            return body
        if chomping == "+":
            return body + "\n" * (1 + len(lines) - last)
        return body + "\n"


@functools.cache
def _block_lines(indent: int) -> re.Pattern:
    """Lines of a literal block at ``indent``: content lines, and blank ones (no deeper)."""
    return re.compile(f"(?:(?: {{{indent}}}[^\n]*| {{0,{indent}}})\n)*")


def _fold(raw: str) -> str:
    """Line folding inside a quoted scalar: a line break becomes a space, unless blank lines
    follow it, which become one line break each; the spaces around breaks go."""
    lines = raw.split("\n")
    out = [lines[0].rstrip(" ")]
    breaks = 0
    for number, line in enumerate(lines[1:], start=2):
        last = number == len(lines)
        words = line.lstrip(" ") if last else line.strip(" ")
        if not words and not last:
            breaks += 1
            continue
        out.append("\n" * breaks if breaks else " ")
        out.append(words)
        breaks = 0
    return "".join(out)


def _double_quoted(raw: str) -> str:
    """A double-quoted scalar's text between the quotes: escapes and line folding."""
    chunks = []
    i, n = 0, len(raw)
    while i < n:
        run = _DOUBLE_RUN.match(raw, i)
        if run:
            chunks.append(run.group())
            i = run.end()
            continue
        if raw[i] == "\\":
            code = raw[i + 1]
            if code in _ESCAPES:
                chunks.append(_ESCAPES[code])
                i += 2
            elif code in _HEX_LENGTH:
                digits = raw[i + 2 : i + 2 + _HEX_LENGTH[code]]
                if len(digits) != _HEX_LENGTH[code] or not _is_hex(digits):
                    raise NotOurSubset("a bad escape")
                point = int(digits, 16)
                if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
                    raise NotOurSubset("an escape that is not a character")
                chunks.append(chr(point))
                i += 2 + len(digits)
            elif code == "\n":  # an escaped line break: nothing, then blank lines
                i, breaks = _breaks(raw, i + 2)
                chunks.append("\n" * breaks)
            else:
                raise NotOurSubset(f"an escape we do not know: \\{code}")
            continue
        spaces = _SPACES.match(raw, i).end()
        if spaces < n and raw[spaces] == "\n":
            i, breaks = _breaks(raw, spaces + 1)
            chunks.append("\n" * breaks if breaks else " ")
        else:
            chunks.append(raw[i:spaces])
            i = spaces
    return "".join(chunks)


def _breaks(raw: str, i: int) -> tuple[int, int]:
    """After a line break: skip the next line's indentation and count blank lines."""
    breaks = 0
    while True:
        i = _SPACES.match(raw, i).end()
        if i < len(raw) and raw[i] == "\n":
            breaks += 1
            i += 1
        else:
            return i, breaks


def _is_hex(digits: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in digits)
