"""A pytest plugin `make compat` loads (`-p compat_nbval`) beside nbval: one JSON line per
notebook cell, with what nbval saw when a cell failed, in $COMPAT_RESULTS/<worker>.jsonl.

It only records; it changes nothing about how nbval runs or judges a cell.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

_LIMIT = 4000


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    folder = os.environ.get("COMPAT_RESULTS")
    if not folder or not hasattr(item, "cell"):
        return
    if report.when != "call" and report.passed:
        return  # setup and teardown that went well say nothing
    error = call.excinfo.value if call.excinfo else None
    record = {
        "notebook": Path(str(item.fspath)).name,
        "cell": getattr(item, "cell_num", None),
        "id": item.cell.get("id"),
        "when": report.when,
        "outcome": report.outcome,
        "message": str(error)[:_LIMIT] if error is not None else None,
        "errors": [
            {"ename": out.get("ename"), "evalue": str(out.get("evalue"))[:_LIMIT]}
            for out in getattr(item, "test_outputs", None) or []
            if out.get("output_type") == "error"
        ],
        "comparison": "\n".join(getattr(item, "comparison_traceback", None) or [])[:_LIMIT],
    }
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(Path(folder) / f"{worker}.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
