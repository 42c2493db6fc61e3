"""Three layers, one way: the runtime a page imports (notebook_replay/*.py) depends on
nothing above it; recording/ and emulators/ sit above it and plug in; tools/ and bench/
use both. These tests read the imports from the source, so a new import anywhere shows."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from notebook_replay import session

PACKAGE = Path(session.__file__).parent
RUNTIME = sorted(PACKAGE.glob("*.py"))
ABOVE = ("notebook_replay.recording", "notebook_replay.emulators")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every notebook_replay module this file imports, at any depth (functions included)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("notebook_replay")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("notebook_replay"):
                continue
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}  # `from . import x`
    known = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {m for m in found if m in known and m != name}


def test_the_runtime_imports_neither_recording_nor_the_emulators():
    offending = {
        module_name(path): sorted(m for m in imports_of(path) if m.startswith(ABOVE))
        for path in RUNTIME
    }
    assert not {k: v for k, v in offending.items() if v}, offending


def test_the_package_has_no_import_circle():
    graph = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}
    # A package's __init__ is imported with each of its modules; edges into it are not circles.
    packages = {module_name(p) for p in PACKAGE.rglob("__init__.py")}

    def visit(node, trail):
        if node in trail:
            return trail[trail.index(node) :] + [node]
        for target in sorted(graph.get(node, ())):
            if target in packages and node.startswith(target + "."):
                continue
            circle = visit(target, [*trail, node])
            if circle:
                return circle
        return None

    for start in sorted(graph):
        circle = visit(start, [])
        assert circle is None, " -> ".join(circle)


def test_a_replay_loads_no_recording_or_emulator_module():
    code = (
        "import json, sys\n"
        "from notebook_replay import start\n"
        "from notebook_replay.pages import REPO_ROOT\n"
        "start('gradient', cassettes=REPO_ROOT / 'cassettes')\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({ABOVE!r}))))\n"
    )
    env = {**os.environ, session.MODE_VARIABLE: "replay"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_record_mode_is_the_recording_package_plugged_in_by_entry_point():
    from notebook_replay.recording import record_mode

    assert session.mode_plugin("record") is record_mode.begin_page


def test_a_mode_no_package_provides_is_a_clear_error():
    import pytest

    from notebook_replay.errors import ModeNotInstalledError

    with pytest.raises(ModeNotInstalledError, match="entry-point group 'notebook_replay.modes'"):
        session.mode_plugin("nowhere")
