"""The pages themselves: how they start, clean metadata, and translations that are their
originals but for the prose."""

from __future__ import annotations

import re
from pathlib import Path

import machine_paths
import nbformat
import pytest

from notebook_replay.recording import twins
from notebook_replay.recording.twins import first_difference, structure

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
ORIGINALS = [p for p in NOTEBOOKS if p.name.count(".") == 1]
LANGUAGES = ("zh",)  # each page has a translated twin: notebooks/<page>.<lang>.ipynb


@pytest.fixture(autouse=True)
def the_repositorys_cassettes(monkeypatch):
    monkeypatch.delenv("NOTEBOOK_CASSETTES", raising=False)


def code_cells(path: Path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_there_are_pages():
    assert {p.stem for p in NOTEBOOKS} >= {"gradient", "oci_generative_ai"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_page_starts_with_one_helper_call_that_falls_back_to_live(path, capsys):
    first = code_cells(path)[0]
    page = path.name.split(".")[0]
    assert f'start("{page}")' in first.source
    assert "remove-input" in first.metadata.get("tags", [])  # the site shows its output

    # Opened outside the repository, the helper is missing: one line, and on it goes live.
    namespace: dict = {}
    import builtins

    real_import = builtins.__import__

    def no_helper(name, *args, **kwargs):
        if name == "notebook_replay":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    builtins.__import__ = no_helper
    try:
        exec(first.source, namespace)
    finally:
        builtins.__import__ = real_import
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 1 and "runs live" in printed[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_page_metadata_is_clean(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    for cell in notebook.cells:
        assert re.fullmatch(r"[a-z0-9-]+", cell.id), f"unstable-looking cell id {cell.id}"
        assert "execution" not in cell.metadata, "execution timestamps are stored"
        if cell.cell_type == "code" and re.search(r"^\s*[%!]pip\s+install", cell.source, re.M):
            assert "nbval-skip" in cell.metadata.get("tags", []), "an install cell would run"


@pytest.mark.parametrize("path", ORIGINALS, ids=lambda p: p.stem)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_has_a_translation_with_the_same_code(path, language):
    """A translated page replays the same cassette, so its code must be the original's,
    cell for cell; nbval then checks its outputs like the original's."""
    twin = path.with_name(f"{path.stem}.{language}.ipynb")
    assert twin.exists(), f"{twin.name} is missing"
    assert first_difference(structure(path), structure(twin)) is None, (
        f"{twin.name}: {first_difference(structure(path), structure(twin))}"
    )


def test_a_translation_gets_its_originals_replay_outputs_but_keeps_its_prose(tmp_path):
    """What the recorder stores in a twin instead of replaying it again; a twin whose code
    no longer matches is refused."""
    original = ORIGINALS[0]
    twin = original.with_name(f"{original.stem}.zh.ipynb")
    executed = nbformat.read(original, as_version=4)
    cell = next(c for c in executed.cells if c.cell_type == "code" and c.outputs)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="fresh\n")]
    given = twins.with_outputs_of(executed, twin)
    assert [c.get("outputs") for c in given.cells] == [c.get("outputs") for c in executed.cells]
    translated = nbformat.read(twin, as_version=4)
    assert [c.source for c in given.cells] == [c.source for c in translated.cells]

    code = next(c for c in translated.cells if c.cell_type == "code" and "start(" not in c.source)
    code.source += "\nprint('only in the translation')"
    nbformat.write(translated, tmp_path / twin.name)
    with pytest.raises(ValueError, match="differs in its code"):
        twins.with_outputs_of(executed, tmp_path / twin.name)


def test_the_translation_check_catches_a_changed_code_cell(tmp_path):
    original = ORIGINALS[0]
    notebook = nbformat.read(original, as_version=4)
    code = next(c for c in notebook.cells if c.cell_type == "code" and "start(" not in c.source)
    code.source += "\nprint('only in the translation')"
    twin = tmp_path / original.name
    nbformat.write(notebook, twin)
    assert "differs" in first_difference(structure(original), structure(twin))


# nbval replays every original against its stored outputs, and the root conftest.py checks
# each of its cells' fresh outputs for machine paths. The twins run the same code against
# the same cassette (test_every_page_has_a_translation_with_the_same_code) and store the
# same outputs (test_a_translation_stores_its_originals_outputs), so nbval does not replay
# them again (pyproject: --ignore-glob), and the originals stand for them.


@pytest.mark.parametrize("path", ORIGINALS, ids=lambda p: p.stem)
def test_a_translation_stores_its_originals_outputs(path):
    original = nbformat.read(path, as_version=4)
    for twin_path in sorted(path.parent.glob(f"{path.stem}.*.ipynb")):
        twin = nbformat.read(twin_path, as_version=4)
        mine = [(c.id, c.outputs) for c in original.cells if c.cell_type == "code"]
        theirs = [(c.id, c.outputs) for c in twin.cells if c.cell_type == "code"]
        assert theirs == mine, f"{twin_path.name}: outputs differ from {path.name}'s"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_name_no_machine_paths(path):
    found = machine_paths.in_notebook(nbformat.read(path, as_version=4))
    assert not found, found
