"""One check nbval does not make, added to every notebook cell it runs (the pages are
replayed once, by nbval; pyproject's addopts): the cell's fresh outputs name no path of
this machine. tests/test_notebooks.py makes the same check of the stored outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "tests"))
import machine_paths  # noqa: E402


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    outputs = getattr(item, "test_outputs", None)  # what nbval's cell just produced
    if outputs:
        found = machine_paths.found_in(outputs, item.name)
        assert not found, f"a replay's output names this machine: {found}"
    return result


def pytest_collection_modifyitems(items):
    """`make test` spreads whole modules over the workers in collection order (pytest-xdist,
    --dist loadscope --no-loadscope-reorder): the longest modules, marked `starts_first`,
    are handed out first, so no worker is left running a long one while the others idle."""
    items.sort(key=lambda item: item.get_closest_marker("starts_first") is None)
