"""The pages' `%pip install` cells: pinned to the versions in uv.lock (the ones the page
was proved with), in sync with what the page imports, silent inside the project's
environment, and installing exactly those pins in a downloaded notebook."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import pin_install_cells  # noqa: E402
import uv_lock  # noqa: E402

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@functools.cache
def locked() -> dict[str, set[str]]:
    """uv.lock read as TOML, independently of the tool's own reader (once: 0.1 s a read)."""
    packages = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))["package"]
    versions: dict[str, set[str]] = {}
    for package in packages:
        versions.setdefault(uv_lock.normalized(package["name"]), set()).add(package["version"])
    return versions


def install_cells(path: Path) -> list:
    notebook = nbformat.read(path, as_version=4)
    return [cell for cell in notebook.cells if pin_install_cells.is_install_cell(cell)]


def pins(cell) -> dict[str, str]:
    line = cell.source.strip().splitlines()[-1]
    assert line.startswith("    %pip install -q "), line
    return dict(token.strip('"').split("==") for token in line.split()[3:])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_install_cell_pins_each_package_to_its_version_in_uv_lock(path):
    cells = install_cells(path)
    assert cells, f"{path.name} has no install cell"
    versions = locked()
    for cell in cells:
        for name, version in pins(cell).items():
            assert version in versions[uv_lock.normalized(name)], (
                f"{path.name} cell {cell.id}: {name}=={version}, uv.lock has "
                f"{sorted(versions[uv_lock.normalized(name)])}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_install_cells_are_what_the_pinning_tool_writes(path):
    """In sync with the lock and the page's imports: rerunning the tool changes nothing
    (after a lock or import change: `.venv/bin/python tools/pin_install_cells.py`)."""
    notebook = nbformat.read(path, as_version=4)
    assert not pin_install_cells.pin(notebook, pin_install_cells.lock_versions()), (
        f"{path.name}: install cells out of date; run .venv/bin/python tools/pin_install_cells.py"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_package_the_page_imports_is_pinned(path):
    notebook = nbformat.read(path, as_version=4)
    imported = pin_install_cells.imported_distributions(notebook, pin_install_cells.lock_versions())
    pinned = {uv_lock.normalized(n) for c in install_cells(path) for n in pins(c)}
    assert imported and set(imported) <= pinned, f"not pinned: {set(imported) - pinned}"


def test_the_tool_pins_a_loose_cell_keeping_its_id_and_tags_and_is_idempotent(tmp_path):
    original = REPO / "notebooks" / "gradient.ipynb"
    notebook = nbformat.read(original, as_version=4)
    cell = install_cells(original)[0]
    loose = next(c for c in notebook.cells if c.id == cell.id)
    loose.source = "%pip install -qU langchain-gradient"
    loose.metadata["tags"] = ["nbval-skip", "keep-me"]
    copy = tmp_path / "gradient.ipynb"
    nbformat.write(notebook, copy)

    assert pin_install_cells.main([str(copy)]) == 0
    first = copy.read_text(encoding="utf-8")
    assert pin_install_cells.main(["--check", str(copy)]) == 0  # nothing left to do
    assert pin_install_cells.main([str(copy)]) == 0
    assert copy.read_text(encoding="utf-8") == first

    pinned = next(c for c in nbformat.read(copy, as_version=4).cells if c.id == cell.id)
    assert pinned.metadata["tags"] == ["nbval-skip", "keep-me"]
    assert pinned.source == cell.source  # what the committed page holds
    assert list(pins(pinned))[0] == "langchain-gradient"  # the cell's own package first


def test_check_mode_reports_a_stale_cell_and_writes_nothing(tmp_path, capsys):
    notebook = nbformat.read(REPO / "notebooks" / "gradient.ipynb", as_version=4)
    stale = next(c for c in notebook.cells if pin_install_cells.is_install_cell(c))
    stale.source = stale.source.replace("langchain-gradient==1.0.0", "langchain-gradient==0.9")
    copy = tmp_path / "gradient.ipynb"
    nbformat.write(notebook, copy)
    before = copy.read_bytes()
    assert pin_install_cells.main(["--check", str(copy)]) == 1
    assert "out of date" in capsys.readouterr().out
    assert copy.read_bytes() == before


# Runs a cell in a real IPython shell in a fresh interpreter of this environment.
RUN_CELL = """
import importlib.util, json, sys
from IPython.core.interactiveshell import InteractiveShell

source = json.loads(sys.argv[1])
outside = sys.argv[2] == "outside"
shell = InteractiveShell.instance()
calls = []
if outside:  # as in a downloaded notebook: no helper; record what %pip would install
    real = importlib.util.find_spec
    importlib.util.find_spec = lambda n, *a: None if n == "notebook_replay" else real(n, *a)
    shell.register_magic_function(lambda line: calls.append(line), "line", "pip")
result = shell.run_cell(source)
print(json.dumps({"ok": result.success, "pip": calls}))
"""


def run_cell(source: str, where: str) -> tuple[dict, str]:
    ran = subprocess.run(
        [sys.executable, "-c", RUN_CELL, json.dumps(source), where],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    *printed, result = ran.stdout.splitlines() or [""]
    return json.loads(result), "\n".join(printed) + ran.stderr


def test_inside_the_project_the_install_cell_runs_silently():
    """The project's environment has no pip: an unguarded %pip printed 'No module named pip'."""
    cell = install_cells(REPO / "notebooks" / "gradient.ipynb")[0]
    result, printed = run_cell(cell.source, "inside")
    assert result == {"ok": True, "pip": []}
    assert printed.strip() == "", printed


@pytest.mark.parametrize(
    "path", [p for p in NOTEBOOKS if p.name.count(".") == 1], ids=lambda p: p.name
)
def test_a_downloaded_notebook_installs_exactly_the_pinned_versions(path):
    cell = install_cells(path)[0]
    result, _ = run_cell(cell.source, "outside")
    assert result["ok"]
    assert result["pip"] == ["install -q " + " ".join(f"{n}=={v}" for n, v in pins(cell).items())]
