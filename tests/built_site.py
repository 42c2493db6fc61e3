"""The site as the tests see it: its pages, and one strict build per test run.

Two test modules need the built site (tests/test_site.py reads its files,
tests/test_site_browser.py opens them in Chromium), and pytest-xdist may run them on two
workers at once. The first to ask builds it, under a file lock in the run's shared
temporary folder; the others wait for that build and read the same folder."""

from __future__ import annotations

import fcntl
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import site_weight  # noqa: E402

from notebook_replay import pages  # noqa: E402

LANGUAGES = {"en": "", "zh": "zh/"}
NOTEBOOK_PAGES = tuple(f"notebooks/{page}/" for page in pages.pages())
PAGES = ("", *NOTEBOOK_PAGES, "how-it-works/", "emulators/")
TESTED_WITH_TITLE = {"en": "Tested with", "zh": "测试所用版本"}


def built_site(tmp_path_factory) -> Path:
    """`mkdocs build --strict` of the repository, once per run; fails the asking test,
    with mkdocs' messages, if the build failed."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    site, outcome = shared / "built-site", shared / "built-site.json"
    with open(shared / "built-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not outcome.exists():
            built = site_weight.build_site(site)
            result = {"returncode": built.returncode, "stderr": built.stderr}
            outcome.write_text(json.dumps(result), encoding="utf-8")
        result = json.loads(outcome.read_text(encoding="utf-8"))
    assert result["returncode"] == 0, f"mkdocs build --strict failed:\n{result['stderr']}"
    return site
