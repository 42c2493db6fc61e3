"""Notebooks keep clean metadata and keep their outputs (a pre-commit hook).

    .venv/bin/python tools/notebook_hygiene.py [notebooks/x.ipynb ...]

The opposite of an output stripper: the pages' stored outputs are what nbval checks and
the site shows, so they stay; what goes is what an editor adds on the side. A notebook
passes when it is valid nbformat 4 and
- its metadata holds only `kernelspec` (the standard `python3`), `language_info` and
  `notebook_replay` (the page's service, written by `make page`);
- each cell's metadata holds only `tags` (no execution timestamps, `collapsed`,
  `scrolled`, `jupyter`, widget state, …), and its id is short, readable and unique;
- every code cell that nbval runs (not tagged `nbval-skip`) was executed and kept its
  result: an execution count is stored (an output stripper removes it).
With no paths, every notebook in notebooks/. Exits 1 and names each problem.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
# notebook_replay: the page's service, where its imports do not tell (pages.py; `make page`).
NOTEBOOK_KEYS = {"kernelspec", "language_info", "notebook_replay"}
CELL_KEYS = {"tags"}
CELL_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def problems(path: Path) -> list[str]:
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # any unreadable notebook is a finding, not a crash
        return [f"not a valid notebook: {error}"]
    found = []
    extra = set(notebook.metadata) - NOTEBOOK_KEYS
    if extra:
        found.append(f"notebook metadata {sorted(extra)}: keep only {sorted(NOTEBOOK_KEYS)}")
    kernel = notebook.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        found.append(f"kernel {kernel!r}: use the standard python3 kernel")
    seen: set[str] = set()
    for number, cell in enumerate(notebook.cells, 1):
        where = f"cell {number} ({cell.get('id')})"
        extra = set(cell.metadata) - CELL_KEYS
        if extra:
            found.append(f"{where}: metadata {sorted(extra)}: keep only tags")
        if not CELL_ID.fullmatch(cell.get("id", "")):
            found.append(f"{where}: id should be short, lowercase words joined by '-'")
        if cell.get("id") in seen:
            found.append(f"{where}: id used twice")
        seen.add(cell.get("id"))
        skipped = "nbval-skip" in cell.metadata.get("tags", [])
        if cell.cell_type == "code" and not skipped and cell.execution_count is None:
            found.append(
                f"{where}: no stored result (outputs stripped?): refresh them with "
                "`make outputs PAGE=<page>`"
            )
    return found


def main(argv: list[str] | None = None) -> int:
    paths = [Path(a) for a in (argv if argv is not None else sys.argv[1:])]
    paths = paths or sorted((REPO / "notebooks").glob("*.ipynb"))
    failed = 0
    for path in paths:
        for problem in problems(path):
            print(f"{path}: {problem}")
            failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main())
