"""Outputs that name the machine they ran on: a kernel's temporary cell file, the
repository's or the environment's location. A page's outputs are the same on every
machine, so none may hold one (tracebacks aside: nbval never compares them)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_MARKERS = re.compile(
    "|".join(
        re.escape(m)
        for m in ("/tmp/", "ipykernel_", "site-packages", str(REPO), sys.prefix, "/home/")
    )
)


def found_in(outputs, where: str = "") -> list[str]:
    """`where: marker` for each output (a notebook output dict) that names this machine."""
    return [
        f"{where}: {match.group(0)}"
        for output in outputs
        for match in [
            _MARKERS.search(json.dumps({k: v for k, v in output.items() if k != "traceback"}))
        ]
        if match
    ]


def in_notebook(notebook) -> list[str]:
    return [
        found for cell in notebook.cells for found in found_in(cell.get("outputs", []), cell.id)
    ]
