"""A page's model-features table (and its model-families matrix) may only claim what the page
shows: every ✅ (and every ❌ that has a link) points at a section whose code cells ran and
produced output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest


def _is_tutorial(path: Path) -> bool:
    meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    return (meta.get("notebook_replay") or {}).get("section") == "tutorials"


# Integration pages have a features table; a tutorial says what it builds instead.
NOTEBOOKS = [
    p
    for p in sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
    if not _is_tutorial(p)
]
MARK = re.compile(r"\[(✅|❌)\]\(#([^)]+)\)")


def anchor(heading: str) -> str:
    """The id a link can use for a heading: its explicit `<a id="…">` (the Chinese pages
    keep the English ids that way), else the one the website gives it: lower case, spaces
    as hyphens."""
    explicit = re.search(r'<a id="([^"]+)"></a>', heading)
    if explicit:
        return explicit.group(1)
    return re.sub(r"\s+", "-", heading.strip().lstrip("#").strip()).lower()


TABLES = ("Model features", 'id="model-features"', "Model families", 'id="model-families"')


def is_features_table(cell) -> bool:
    """The model features table, and a page's per-family matrix where it has one."""
    return cell.cell_type == "markdown" and any(title in cell.source for title in TABLES)


def sections(notebook) -> dict[str, list]:
    """Each heading's anchor and the cells up to the next heading of the same or a higher level."""
    found: dict[str, list] = {}
    open_sections: list[tuple[int, str]] = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                heading = re.match(r"^(#{1,6})\s+(.*)$", line)
                if heading:
                    level = len(heading.group(1))
                    open_sections = [(lv, a) for lv, a in open_sections if lv < level]
                    open_sections.append((level, anchor(heading.group(2))))
                    found.setdefault(open_sections[-1][1], [])
        for _, name in open_sections:
            found[name].append(cell)
    return found


def feature_rows(notebook) -> list[tuple[str, str, str]]:
    """(feature, mark, anchor) for every linked mark in the model features table."""
    rows = []
    for cell in notebook.cells:
        if is_features_table(cell):
            for line in cell.source.splitlines():
                if line.startswith("|") and MARK.search(line):
                    feature = line.strip("|").split("|")[0].strip()
                    rows += [(feature, m, a) for m, a in MARK.findall(line)]
    return rows


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_claimed_feature_links_to_an_executed_demonstration(path):
    notebook = nbformat.read(path, as_version=4)
    rows = feature_rows(notebook)
    assert rows, "the page has no model features table with linked marks"
    known = sections(notebook)
    for feature, mark, target in rows:
        assert target in known, f"{feature} {mark} links to #{target}, which is not a heading"
        shown = [c for c in known[target] if c.cell_type == "code" and c.outputs]
        assert shown, f"{feature} {mark}: section #{target} has no executed code cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_checked_feature_has_a_link(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if is_features_table(cell):
            for line in cell.source.splitlines():
                bare = line.count("✅") - len(re.findall(r"\[✅\]\(#", line))
                assert bare == 0, f"a ✅ without a link to its demonstration: {line}"


def test_the_table_checker_catches_an_unbacked_claim():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "### Model features\n| Feature | x |\n|---|---|\n| Tool calling | [✅](#tools) |"
            ),
            nbformat.v4.new_markdown_cell("## Tools"),
            nbformat.v4.new_code_cell("pass"),  # never executed: no outputs
        ]
    )
    feature, mark, target = feature_rows(notebook)[0]
    assert (feature, mark, target) == ("Tool calling", "✅", "tools")
    assert not [c for c in sections(notebook)[target] if c.cell_type == "code" and c.outputs]


def test_the_family_matrix_is_checked_like_the_features_table():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "### Model families\n| Family | Tools |\n|---|---|\n| Llama 4 | [✅](#nowhere) |"
            ),
        ]
    )
    assert feature_rows(notebook) == [("Llama 4", "✅", "nowhere")]
    assert "nowhere" not in sections(notebook)
