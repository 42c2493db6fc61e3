"""The whole suite's hooks (the tests' fixtures and helpers are in tests/conftest.py).

- Every cell nbval runs of a page in notebooks/ gets one check nbval does not make: its
  fresh outputs name no path of this machine (each page is replayed once, by nbval;
  tests/test_notebooks.py makes the same check of the stored outputs).
- An expected failure (xfail) is reported without formatting its traceback.
- The longest modules, marked `starts_first`, are collected first."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
sys.path.insert(0, str(NOTEBOOKS.parent / "tests"))
import machine_paths  # noqa: E402


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    outputs = getattr(item, "test_outputs", None)  # what nbval's cell just produced
    if outputs and item.path.parent == NOTEBOOKS:
        found = machine_paths.found_in(outputs, item.name)
        assert not found, f"a replay's output names this machine: {found}"
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that fails as its xfail marker expects shows only its reason (`-ra`), yet
    pytest formats its traceback anyway, parsing the source file of every frame: for the
    standard tests' strict xfails (frames in langchain-tests' 3,400-line module) that was
    10 s of CPU. Such a report gets pytest's one-line form; any other failure, an
    unexpected exception included, keeps the full traceback."""
    marker = item.get_closest_marker("xfail")
    expected = (
        call.excinfo is not None
        and marker is not None
        and not item.config.option.runxfail
        and call.excinfo.errisinstance(marker.kwargs.get("raises") or BaseException)
    )
    if not expected:
        return (yield)
    style = item.config.option.tbstyle
    item.config.option.tbstyle = "line"
    try:
        return (yield)
    finally:
        item.config.option.tbstyle = style


def pytest_collection_modifyitems(items):
    """`make test` spreads whole modules over the workers in collection order (pytest-xdist,
    --dist loadscope --no-loadscope-reorder): the longest modules go first, so no worker
    is left running a long one while the others idle."""
    items.sort(key=lambda item: item.get_closest_marker("starts_first") is None)
