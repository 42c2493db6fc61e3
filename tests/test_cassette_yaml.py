"""The fast cassette reader returns exactly what PyYAML (libyaml) returns, or gives up."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from notebook_replay import cassette_yaml
from notebook_replay.cassette import YAML_LOADER, ReadableYaml

REPO = Path(__file__).resolve().parents[1]

AWKWARD = [
    "", " ", "  lead", "trail  ", "a\n", "a\n\n", "\n", "\n\nx", "x\n\n\n", " x\ny ", "a \nb",
    "null", "Null", "~", "true", "False", "yes", "NO", "on", "off", "y", "n", "0", "-1", "007",
    "0x1F", "1_000", "3.14", "1e3", ".inf", ".NaN", "2026-11-22", "2026-11-22 05:05:09",
    "1:30", "<<", "=", "-", "- x", "--- x", "...", "?", "? x", ":", ": x", "a: b", "a:b",
    "a #b", "a#b", "#x", "'quoted'", '"dq"', "it's", 'say "hi"', "back\\slash", "[1]", "{}",
    "[]", "&anchor", "*alias", "!tag", "%dir", "@at", "`tick", "|", ">", ",", "tab\there",
    "cr\rlf\r\n", "nul\0", "bell\a", "esc\x1b", "del\x7f", "nel\x85", "nbsp\xa0", "ls\u2028",
    "ps\u2029", "bom\ufeff", "\ud7ff\ue000\ufffd", "café", "中文字符", "日本語のテキスト", "😀🎉",
    "\U0010ffff", "data: {\"a\": 1}\n\ndata: [DONE]\n\n", "x" * 300, "word " * 60,
    "quote's " * 40, "\\n literally " * 30, "é " * 120, "line\n  indented\n\tand tab\n",
]  # fmt: skip
PIECES = [*AWKWARD, "a", "b", " ", "\n", "'", '"', ":", "#", "\\", "-", "\t", "\r", "😀", "中"]


def pyyaml(text: str):
    return yaml.load(text, Loader=YAML_LOADER)


def same_as_pyyaml(text: str):
    """The fast reader's answer, after checking it is PyYAML's (when it has one)."""
    try:
        fast = cassette_yaml.load(text)
    except cassette_yaml.NotOurSubset:
        return None
    assert fast == pyyaml(text)
    assert [type(v) for v in _leaves(fast)] == [type(v) for v in _leaves(pyyaml(text))]
    return fast


def _leaves(data):
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _leaves(value)
    elif isinstance(data, list):
        for value in data:
            yield from _leaves(value)
    else:
        yield data


def key_of(s: str) -> str:
    """``s`` as the writer can put it in a simple key: one line, under 128 characters
    (else it writes a complex "? key", which the fast reader leaves to PyYAML)."""
    for line_break in "\n\x85\u2028\u2029":
        s = s.replace(line_break, " ")
    return s[:100] or "empty"


def cassette_of(strings: list[str]) -> dict:
    """A vcrpy-shaped cassette carrying ``strings`` in every place a string can be."""
    interactions = [
        {
            "request": {
                "body": s,
                "headers": {"X-Value": [s], key_of(s): ["v"]},
                "method": "POST",
                "uri": f"https://example.test/{i}?q={s[:20]}",
            },
            "response": {
                "body": {"string": s},
                "headers": {"content-length": [str(len(s))], "x-list": [[s, {key_of(s): s}], []]},
                "x-empty": {},
                "status": {"code": 200 + i % 300, "message": s},
            },
        }
        for i, s in enumerate(strings)
    ]
    return {"interactions": interactions, "version": 1, "flags": [None, True, False, -3, 0]}


@pytest.mark.parametrize("path", sorted((REPO / "cassettes").glob("*.yaml")), ids=lambda p: p.name)
def test_fast_reader_reads_the_committed_cassettes_as_pyyaml_does(path):
    text = path.read_text(encoding="utf-8")
    assert same_as_pyyaml(text) is not None, "a committed cassette fell back to PyYAML"


def test_fast_reader_round_trips_awkward_strings_as_pyyaml_does():
    strings = [s for s in AWKWARD if not set(s) & set("\x85\u2028\u2029")]
    text = ReadableYaml.serialize(cassette_of(strings))
    assert same_as_pyyaml(text) == cassette_of(strings)


@pytest.mark.parametrize("seed", range(15))
def test_fast_reader_round_trips_random_awkward_strings_as_pyyaml_does(seed):
    rng = random.Random(seed)
    strings = ["".join(rng.choices(PIECES, k=rng.randint(1, 12))) for _ in range(30)]
    text = ReadableYaml.serialize(cassette_of(strings))
    loaded = same_as_pyyaml(text)
    if loaded is not None:
        assert loaded == cassette_of(strings)


def test_fast_reader_reads_the_writers_output_without_falling_back():
    """Falling back is allowed only for what the writer leaves raw and YAML 1.1 counts as
    line breaks (NEL, LS, PS): every other string stays on the fast path."""
    rng = random.Random(7)
    pieces = [p for p in PIECES if not set(p) & set("\x85\u2028\u2029")]
    for _ in range(10):
        strings = ["".join(rng.choices(pieces, k=rng.randint(1, 12))) for _ in range(30)]
        text = ReadableYaml.serialize(cassette_of(strings))
        assert same_as_pyyaml(text) == cassette_of(strings)


MUTATIONS = [" ", "\n", "'", '"', ":", "#", "-", "|", "\\", "a", "  ", "- ", ": ", "\n  ", "|-\n"]


@pytest.mark.parametrize("seed", range(0, 1000, 100))
def test_fast_reader_never_answers_differently_from_pyyaml_on_damaged_cassettes(seed):
    """A cassette with a few characters deleted or inserted: the fast reader gives up, or
    returns what PyYAML returns; it never accepts what PyYAML refuses."""
    for rng in map(random.Random, range(seed, seed + 100)):
        strings = ["".join(rng.choices(PIECES, k=rng.randint(1, 4))) for _ in range(2)]
        text = ReadableYaml.serialize(cassette_of(strings))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text))
            cut = rng.random() < 0.4
            text = text[:at] + ("" if cut else rng.choice(MUTATIONS)) + text[at + cut :]
        try:
            cassette_yaml.load(text)
        except cassette_yaml.NotOurSubset:
            continue
        same_as_pyyaml(text)  # raises if PyYAML refuses the text or reads it differently


FOREIGN = {
    "flow mapping": "a: {b: 1}\n",
    "flow sequence": "a: [1, 2]\n",
    "anchor and alias": "a: &x 1\nb: *x\n",
    "comment": "a: 1 # one\n",
    "comment line": "# head\na: 1\n",
    "tag": "a: !!str 1\n",
    "float": "a: 1.5\n",
    "octal int": "a: 017\n",
    "underscored int": "a: 1_000\n",
    "timestamp": "a: 2026-11-22\n",
    "merge key": "a: &x {b: 1}\nc:\n  <<: *x\n",
    "document start": "--- \na: 1\n",
    "document end": "a: 1\n...\n",
    "folded block": "a: >\n  x\n  y\n",
    "blank line": "a: 1\n\nb: 2\n",
    "tab": "a:\tb\n",
    "carriage return": "a: b\r\nc: d\r\n",
    "empty value": "a:\nb: 1\n",
    "complex key": "? a\n: 1\n",
    "indented sequence item on its own line": "a:\n-\n  b: 1\n",
    "no final line break": "a: 1",
    "not a mapping": "just text\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "unknown escape": 'a: "\\/"\n',
    "surrogate escape": 'a: "\\ud800"\n',
    "quoted line out of line": "a:\n  b: 'x\n  y'\n",
    "plain continuation with a colon": "a: x\n  y: z\n",
}


@pytest.mark.parametrize("text", FOREIGN.values(), ids=FOREIGN.keys())
def test_fast_reader_gives_up_on_yaml_outside_its_subset(text):
    with pytest.raises(cassette_yaml.NotOurSubset):
        cassette_yaml.load(text)


@pytest.mark.parametrize("text", FOREIGN.values(), ids=FOREIGN.keys())
def test_deserialize_falls_back_to_pyyaml_with_the_same_result(text):
    try:
        expected = pyyaml(text)
    except yaml.YAMLError as problem:
        with pytest.raises(type(problem)):
            ReadableYaml.deserialize(text)
    else:
        assert ReadableYaml.deserialize(text) == expected


HAND_WRITTEN = {
    "literal keep with trailing blank lines": "a: |+\n  x\n\n\nb: 1\n",
    "literal strip": "a: |-\n  x\n   y\n",
    "literal with indentation indicator": "a:\n- |2-\n\n    lead\n  x\n",
    "literal, only blank lines kept": "a: |2+\n\n\nb: 1\n",
    "nested sequences": "- - a\n  - - b\n    - c\n- d\n",
    "compact mappings in an indentless sequence": "a:\n- b: 1\n  c:\n  - x\n- {}\nd: []\n",
    "multi-line plain": "a: one two\n  three -four 'five\n  six\n",
    "folded quoted with blank lines": "a: 'x\n\n\n   y  \n  z'\n",
    "double-quoted folding and escapes": 'a: "x\\\n    \\ y\\t\\x41\\u00e9\\U0001F600\n\n  z"\n',
    "quoted keys": "'a b': 1\n\"c\\nd\": 2\n'': 3\n",
    "scalar keys": "1: a\nnull: b\ntrue: c\n-7: d\n",
    "duplicate keys": "a: 1\nb: 2\na: 3\n",
}


@pytest.mark.parametrize("text", HAND_WRITTEN.values(), ids=HAND_WRITTEN.keys())
def test_fast_reader_reads_hand_written_corners_as_pyyaml_does(text):
    assert same_as_pyyaml(text) is not None
