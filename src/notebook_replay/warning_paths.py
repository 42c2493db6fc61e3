"""Warnings that name no machine paths: a page's stored outputs are read by everyone.

Python prints a warning as `<file>:<line>: <Category>: <message>`, and <file> is where the
code lives on this machine: `/tmp/ipykernel_19720/3696457387.py` for a notebook cell, or
`/home/…/.venv/lib/python3.11/site-packages/langchain_oci/…` for a package. Once
`install()` has run, a cell shows as `<cell>` and any other file relative to the import
path it was loaded from (`langchain_oci/chat_models/oci_generative_ai.py`). The source
line under the warning is kept.
"""

from __future__ import annotations

import linecache
import re
import sys
import warnings

CELL = "<cell>"
_CELL_FILE = re.compile(r"[/\\]ipykernel_\d+[/\\]\d+\.py$")
_original = warnings.formatwarning


def shown(filename: str) -> str:
    """A file name as a reader should see it: no temporary folder, no install prefix."""
    if _CELL_FILE.search(filename):
        return CELL
    roots = sorted((p for p in sys.path if p and p != "."), key=len, reverse=True)
    for root in roots:
        prefix = root.rstrip("/\\") + "/"
        if filename.startswith(prefix):
            return filename[len(prefix) :]
    return filename


def formatwarning(message, category, filename, lineno, line=None) -> str:
    if line is None:
        line = linecache.getline(filename, lineno) if lineno else ""
    return _original(message, category, shown(str(filename)), lineno, line)


def install() -> None:
    """Format every warning of this process without machine paths (idempotent)."""
    warnings.formatwarning = formatwarning
