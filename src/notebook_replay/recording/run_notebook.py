"""Execute one notebook in a fresh kernel, in a chosen mode, the way nbval runs it."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

SKIP_TAG = "nbval-skip"  # cells nbval never runs (%pip installs): neither do we


def execute(path: Path, mode: str, env: dict[str, str] | None = None, timeout: int = 300):
    """Run the notebook with NOTEBOOK_MODE=mode and return it with fresh outputs.

    Cells tagged nbval-skip keep their source and get no outputs; stored metadata stays
    clean (no execution timestamps)."""
    notebook = nbformat.read(path, as_version=4)
    runnable = copy.deepcopy(notebook)
    for cell in runnable.cells:
        if SKIP_TAG in cell.get("metadata", {}).get("tags", []):
            cell.source = ""
    saved = {k: os.environ.get(k) for k in ["NOTEBOOK_MODE", *(env or {})]}
    os.environ.update({"NOTEBOOK_MODE": mode, **(env or {})})
    try:
        NotebookClient(
            runnable,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
            record_timing=False,
        ).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    for original, ran in zip(notebook.cells, runnable.cells, strict=True):
        if original.cell_type == "code":
            skipped = SKIP_TAG in original.metadata.get("tags", [])
            original.outputs = [] if skipped else ran.outputs
            original.execution_count = None if skipped else ran.execution_count
    notebook.metadata["language_info"] = runnable.metadata.get("language_info", {})
    return notebook


def write(notebook, path: Path) -> None:
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
