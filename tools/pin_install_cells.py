"""Pin every page's `%pip install` cell to the versions the page was proved with.

    .venv/bin/python tools/pin_install_cells.py [--check] [notebooks/x.ipynb ...]

An install cell is a code cell with a `%pip install` (or `!pip install`) line. Each one is
rewritten in place, keeping its id, tags and metadata, into one form:

    # The versions this page was checked with (from the project's uv.lock). Inside the
    # project's environment they are installed already, and this cell does nothing.
    import importlib.util

    if importlib.util.find_spec("notebook_replay") is None:
        %pip install -q langchain-gradient==1.0.0 langchain-core==1.0.4 ...

- The packages: those the cell names, plus every third-party distribution the page imports
  that no install cell of the page names yet (added to its first install cell), each
  pinned `==` to its version in uv.lock.
- The guard: the project's environment is built by uv without pip, so `%pip` there printed
  "No module named pip". A downloaded notebook has no `notebook_replay` (the same signal
  the page's first cell uses) and installs the proved versions, not the newest.

With no paths, every notebook in notebooks/ (translations included). Idempotent: a second
run changes nothing. `--check` writes nothing and exits 1 when a cell is out of date.
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib.metadata
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import uv_lock  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
HELPER = "notebook_replay"
HEADER = (
    "# The versions this page was checked with (from the project's uv.lock). Inside the\n"
    "# project's environment they are installed already, and this cell does nothing.\n"
    "import importlib.util\n"
    "\n"
    f'if importlib.util.find_spec("{HELPER}") is None:\n'
)
_INSTALL_LINE = re.compile(r"^\s*[%!]pip\s+install\b(?P<args>.*)$", re.M)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[A-Za-z0-9,._-]+\])?")


def lock_versions() -> dict[str, list[str]]:
    return uv_lock.versions()


def locked_version(name: str, locked: dict[str, list[str]]) -> str:
    found = uv_lock.version(name.split("[")[0], locked)
    if found is None:
        raise SystemExit(
            f"pin_install_cells: {name} is not in uv.lock (or not as installed); add it to "
            "pyproject.toml and run `make lock` and `make env`, or take it out of the cell."
        )
    return found


def is_install_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(_INSTALL_LINE.search(cell.source))


def named_packages(source: str) -> list[str]:
    """The packages an install cell names, versions and flags left out, in its order."""
    names: list[str] = []
    for line in _INSTALL_LINE.finditer(source):
        for token in line["args"].split():
            token = token.strip("'\"")
            match = _NAME.match(token)
            if token.startswith("-") or not match:
                continue
            if match.group(0) not in names:
                names.append(match.group(0))
    return names


@functools.cache
def _owners() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()  # slow: every installed package


def imported_distributions(notebook, locked: dict[str, list[str]]) -> list[str]:
    """Third-party distributions the page's code imports, as uv.lock names them."""
    from IPython.core.inputtransformer2 import TransformerManager

    modules: set[str] = set()
    transform = TransformerManager().transform_cell
    for cell in notebook.cells:
        if cell.cell_type != "code" or is_install_cell(cell):
            continue
        for node in ast.walk(ast.parse(transform(cell.source))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    modules.discard(HELPER)
    owners = _owners()
    found = {
        uv_lock.normalized(distribution)
        for module in modules
        for distribution in owners.get(module, [])
        if uv_lock.normalized(distribution) in locked
    }
    return sorted(found)


def pinned_source(packages: list[str], locked: dict[str, list[str]]) -> str:
    pins = [f"{name}=={locked_version(name, locked)}" for name in packages]
    quoted = [f'"{pin}"' if "[" in pin else pin for pin in pins]
    return HEADER + "    %pip install -q " + " ".join(quoted)


def pin(notebook, locked: dict[str, list[str]]) -> bool:
    """Rewrite the notebook's install cells in place; True when anything changed."""
    cells = [cell for cell in notebook.cells if is_install_cell(cell)]
    if not cells:
        return False
    named = [named_packages(cell.source) for cell in cells]
    everywhere = {uv_lock.normalized(name.split("[")[0]) for names in named for name in names}
    missing = [d for d in imported_distributions(notebook, locked) if d not in everywhere]
    named[0] += missing
    changed = False
    for cell, packages in zip(cells, named, strict=True):
        source = pinned_source(packages, locked)
        if cell.source != source:
            cell.source = source
            changed = True
    return changed


def write_atomically(notebook, path: Path) -> None:
    nbformat.validate(notebook)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            nbformat.write(notebook, out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((REPO / "notebooks").glob("*.ipynb"))
    locked = lock_versions()
    stale = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        if pin(notebook, locked):
            stale.append(path)
            if not args.check:
                write_atomically(notebook, path)
    for path in stale:
        print(f"{'out of date' if args.check else 'pinned'}: {path}")
    if args.check and stale:
        print("run: .venv/bin/python tools/pin_install_cells.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
