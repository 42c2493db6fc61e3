"""Cassette files: written whole or not at all, read fast, and broken ones named clearly."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from vcr.request import Request

from conftest import cassette_path, gradient, in_mode
from notebook_replay import cassette, cassette_yaml
from notebook_replay.errors import CassetteCorruptError, CassetteWriteError
from notebook_replay.scrub import Scrubber

REPO = Path(__file__).resolve().parents[1]


def test_an_atomic_write_keeps_the_files_mode_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "page.yaml"
    target.write_text("old")
    target.chmod(0o644)
    cassette.write_atomically(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["page.yaml"]


def tiny_filesystem(path: Path, size: str = "16k"):
    """A real full disk: a tmpfs of a few kilobytes (needs root)."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)])
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root): the full-disk case is not checked")
    return path


def test_a_full_disk_raises_our_error_naming_the_file_and_keeps_the_old_one(tmp_path):
    disk = tiny_filesystem(tmp_path / "disk")
    try:
        target = disk / "page.yaml"
        target.write_text("the committed cassette\n")
        with pytest.raises(CassetteWriteError) as raised:
            cassette.write_atomically(target, "x" * 100_000)
        assert raised.value.errno == errno.ENOSPC
        assert f"Could not write {target}: No space left on device" in str(raised.value)
        assert target.read_text() == "the committed cassette\n"
        assert [p.name for p in disk.iterdir()] == ["page.yaml"]  # no temporary file left
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_cassette_cut_inside_a_block_scalar_names_the_file_interaction_and_command(
    monkeypatch, emulator
):
    """Cut inside a stream's body the YAML is still valid, only the rest is missing."""
    _, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    gradient().invoke("lighthouse")
    "".join(c.content for c in gradient().stream("lighthouse"))
    path = cassette_path("gradient")
    text = path.read_text()
    cut = text[: text.index("data: ", text.index("body:", text.index("- request:", 10))) + 20]
    path.write_text(cut)
    yaml.safe_load(cut)  # still valid YAML

    with pytest.raises(CassetteCorruptError) as raised:
        in_mode(monkeypatch, "replay", "gradient")
    message = str(raised.value)
    assert f"{path} cannot be read" in message
    assert "interaction 2 of 2 (POST https://inference.do-ai.run/v1/chat/completions)" in message
    assert "its response has no status, headers" in message and "cut short" in message
    assert "make record-emulated PAGE=gradient" in message


def test_cassettes_are_parsed_with_libyaml_when_pyyaml_has_it():
    assert yaml.__with_libyaml__, "PyYAML without libyaml: cassettes load slowly"
    assert cassette.YAML_LOADER is yaml.CSafeLoader


def test_replay_reads_a_recorded_cassette_with_the_fast_reader(monkeypatch, emulator):
    """What the writer writes stays on the fast path (cassette_yaml), never PyYAML's."""
    _, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    expected = gradient().invoke("lighthouse").content

    read = []

    def fast_only(text, resolvers=None):
        try:
            data = fast(text, resolvers)
        except cassette_yaml.NotOurSubset as problem:
            raise AssertionError(f"the cassette fell back to PyYAML: {problem}") from None
        read.append(data)
        return data

    fast = cassette_yaml.load
    monkeypatch.setattr(cassette_yaml, "load", fast_only)
    in_mode(monkeypatch, "replay", "gradient")
    assert read and gradient().invoke("lighthouse").content == expected


def test_request_bodies_are_stored_canonically_one_key_a_line(monkeypatch, emulator):
    """Key order changes per run (ChatGradient builds its body from a set): stored sorted
    and indented, one changed prompt is one changed line."""
    request = Request("POST", "https://h/v1", '{"model": "m", "messages": [{"b": 1, "a": 2}]}', {})
    body = Scrubber().request(request).body.decode()
    assert body == json.dumps(
        {"messages": [{"a": 2, "b": 1}], "model": "m"}, sort_keys=True, indent=2
    )
    _, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    gradient().invoke("lighthouse")
    text = cassette_path("gradient").read_text()
    assert '        "content": "lighthouse",\n' in text  # one key a line, in a block


def test_pytest_runs_without_xdist():
    """`-n auto` lives in the Makefile, not in addopts, so `pytest -p no:xdist` works."""
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "--co", "-q", "tests/test_offline.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_make_bench_writes_an_ignored_file_unless_told_otherwise():
    dry = subprocess.run(["make", "-n", "bench"], cwd=REPO, capture_output=True, text=True)
    assert "bench/run.py --out .artifacts/bench-results.json" in dry.stdout
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".artifacts/bench-results.json"], cwd=REPO
    )
    assert ignored.returncode == 0, "make bench would write a tracked file"
