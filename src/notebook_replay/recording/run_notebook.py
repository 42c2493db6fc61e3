"""Execute one notebook in a fresh kernel, in a chosen mode, the way nbval runs it, and
store its outputs so that running it again on an unchanged page changes nothing."""

from __future__ import annotations

import configparser
import copy
import os
import re
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from ..cassette import write_atomically
from ..pages import REPO_ROOT

SKIP_TAG = "nbval-skip"  # cells nbval never runs (%pip installs): neither do we
# What changes on every run (run ids, temporary file names, timestamps): the same rules
# nbval applies when it compares, applied to what is stored.
SANITIZE = REPO_ROOT / "tests" / "sanitize.cfg"


def execute(
    path: Path,
    mode: str,
    env: dict[str, str] | None = None,
    timeout: int = 300,
    after_cell: Callable | None = None,
):
    """Run the notebook with NOTEBOOK_MODE=mode and return it with fresh outputs.

    Cells tagged nbval-skip keep their source and get no outputs; stored metadata stays
    clean (no execution timestamps). ``after_cell(cell)`` runs after each cell (the
    recorder's checks); what it raises stops the run."""
    notebook = nbformat.read(path, as_version=4)
    runnable = copy.deepcopy(notebook)
    for cell in runnable.cells:
        if SKIP_TAG in cell.get("metadata", {}).get("tags", []):
            cell.source = ""

    current: dict = {}

    def starting(cell, cell_index):
        current["id"] = cell.get("id")

    def executed(cell, cell_index, execute_reply):
        if after_cell is not None:
            after_cell(cell)

    saved = {k: os.environ.get(k) for k in ["NOTEBOOK_MODE", *(env or {})]}
    os.environ.update({"NOTEBOOK_MODE": mode, **(env or {})})
    try:
        NotebookClient(
            runnable,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
            record_timing=False,
            on_cell_start=starting,
            on_cell_executed=executed,
        ).execute()
    except Exception as problem:
        problem.cell_id = current.get("id")  # which cell failed, for the recorder's message
        raise
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    for original, ran in zip(notebook.cells, runnable.cells, strict=True):
        if original.cell_type == "code":
            skipped = SKIP_TAG in original.metadata.get("tags", [])
            original.outputs = [] if skipped else stable_outputs(ran.outputs)
            original.execution_count = None if skipped else ran.execution_count
    notebook.metadata["language_info"] = runnable.metadata.get("language_info", {})
    return notebook


def stable_outputs(outputs: list) -> list:
    """A cell's outputs as they are stored: consecutive stream outputs of one name merged
    (the kernel splits a cell's printing differently from run to run) and every volatile
    value replaced as nbval's sanitizers replace it."""
    merged = []
    for output in outputs:
        output = copy.deepcopy(output)
        if output.get("output_type") == "stream":
            previous = merged[-1] if merged else None
            if previous and previous.get("output_type") == "stream":
                if previous["name"] == output["name"]:
                    previous["text"] += output["text"]
                    continue
        merged.append(output)
    return [_sanitized(output) for output in merged]


def _rules() -> list[tuple[re.Pattern, str]]:
    config = configparser.ConfigParser()
    config.read(SANITIZE)
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def _sanitized(value):
    if isinstance(value, str):
        for pattern, replacement in _rules_cached():
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [_sanitized(item) for item in value]
    if isinstance(value, dict):
        return type(value)({key: _sanitized(item) for key, item in value.items()})
    return value


_RULES: list = []


def _rules_cached() -> list:
    if not _RULES:
        _RULES.extend(_rules())
    return _RULES


def render(notebook) -> str:
    """The notebook's file text, validated."""
    nbformat.validate(notebook)
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def write(notebook, path: Path) -> None:
    """Validate, then write in place of the old file all at once."""
    write_atomically(path, render(notebook))
