"""Repository conventions: a license matching pyproject, a contributing guide, a changelog
in Keep a Changelog form, and pre-commit hooks that work offline from this environment."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import notebook_hygiene  # noqa: E402

from notebook_replay import pages  # noqa: E402

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def test_the_license_file_is_the_mit_license_pyproject_declares():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["license"]
    text = (REPO / "LICENSE").read_text()
    assert declared == {"text": "MIT"}
    assert text.startswith("MIT License\n") and "Permission is hereby granted" in text


def test_contributing_says_how_to_edit_rerecord_translate_and_what_to_commit_together():
    guide = (REPO / "CONTRIBUTING.md").read_text()
    for needed in (
        "## Edit a page",
        "make record-emulated PAGE=",
        "make outputs PAGE=",
        "## Translate",
        ".zh.ipynb",
        "## Commit together",
        "provenance.yaml",
        "tools/pin_install_cells.py",
        "pre-commit install",
    ):
        assert needed in guide, f"CONTRIBUTING.md does not cover {needed!r}"


def test_the_changelog_follows_keep_a_changelog():
    log = (REPO / "CHANGELOG.md").read_text()
    assert log.startswith("# Changelog\n") and "keepachangelog.com" in log
    releases = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", log, re.M)
    assert releases[0] == ("Unreleased", ""), releases
    assert all(date for name, date in releases[1:]), "a release without a date"
    kinds = set(re.findall(r"^### (.+)$", log, re.M))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, kinds


CONFIG = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
HOOKS = {hook["id"]: hook for repo in CONFIG["repos"] for hook in repo["hooks"]}


def test_pre_commit_hooks_are_local_and_run_from_the_projects_environment():
    """No hook repository to fetch: CI and contributors need no network to run them."""
    assert all(repo["repo"] == "local" for repo in CONFIG["repos"])
    assert all(hook["entry"].startswith(".venv/bin/") for hook in HOOKS.values())
    assert "jupyter" in HOOKS["ruff-check"]["types_or"], "notebooks not linted"
    assert "jupyter" in HOOKS["ruff-format"]["types_or"], "notebooks not format-checked"
    assert "secret_scan" in HOOKS["secret-scan"]["entry"]
    assert "notebook_hygiene" in HOOKS["notebook-hygiene"]["entry"]


@pytest.mark.parametrize("path", sorted((REPO / "notebooks").glob("*.ipynb")), ids=str)
def test_every_page_passes_the_notebook_hygiene_hook(path):
    assert notebook_hygiene.problems(path) == []


def test_the_hygiene_hook_flags_editor_metadata_and_stripped_outputs_not_kept_outputs(tmp_path):
    notebook = nbformat.read(REPO / "notebooks" / "gradient.ipynb", as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    code[1].metadata["execution"] = {"iopub.execute_input": "2026-11-22T04:00:00Z"}
    code[2].execution_count, code[2].outputs = None, []  # as an output stripper leaves it
    notebook.metadata["widgets"] = {}
    dirty = tmp_path / "dirty.ipynb"
    nbformat.write(notebook, dirty)
    found = "\n".join(notebook_hygiene.problems(dirty))
    assert "['widgets']" in found and "['execution']" in found and "outputs stripped" in found


@pytest.mark.skipif(not shutil.which("git"), reason="pre-commit needs git")
def test_pre_commit_runs_offline_and_stops_a_dirty_notebook_and_a_planted_secret(tmp_path):
    """The real pre-commit, on a scratch repository using this project's environment."""
    scratch = tmp_path / "scratch"
    (scratch / "notebooks").mkdir(parents=True)
    (scratch / "cassettes").mkdir()
    (scratch / "tools").mkdir()
    for name in ("notebook_hygiene.py", "pin_install_cells.py", "uv_lock.py"):
        shutil.copy(REPO / "tools" / name, scratch / "tools" / name)
    for name in (".pre-commit-config.yaml", "pyproject.toml", "uv.lock"):
        shutil.copy(REPO / name, scratch / name)
    (scratch / ".venv").symlink_to(REPO / ".venv")
    notebook = nbformat.read(REPO / "notebooks" / "gradient.ipynb", as_version=4)
    notebook.cells[1].metadata["collapsed"] = True
    nbformat.write(notebook, scratch / "notebooks" / "gradient.ipynb")
    planted = "sk-do-" + "SENTINEL0123456789abcdef"
    (scratch / "cassettes" / "gradient.yaml").write_text(f"authorization: Bearer {planted}\n")

    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "home"),
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=scratch, check=True, env=env)
    subprocess.run([*git, "add", "-A"], cwd=scratch, check=True, env=env)
    ran = subprocess.run(
        [str(REPO / ".venv" / "bin" / "pre-commit"), "run", "--all-files"],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = ran.stdout + ran.stderr
    assert ran.returncode == 1, report
    status = dict(
        re.findall(r"^(.+?)\.{3,}(Passed|Failed|\(no files to check\)Skipped)$", report, re.M)
    )
    assert status["secret scan (cassettes and notebooks)"] == "Failed", report
    assert status["notebooks keep clean metadata and their outputs"] == "Failed", report
    assert status["ruff check (Python and notebooks)"] == "Passed", report
    assert "['collapsed']" in report and "Gradient model access key" in report


def test_the_readmes_performance_figures_are_the_committed_bench_results_for_every_page():
    """The README's Performance table is written from bench/results.json by `make bench`,
    never by hand, and those results cover every page there is."""
    import json

    sys.path.insert(0, str(REPO / "bench"))
    import run as bench

    results = json.loads((REPO / "bench" / "results.json").read_text(encoding="utf-8"))
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme[
        readme.index(bench.README_BEGIN) + len(bench.README_BEGIN) : readme.index(bench.README_END)
    ]
    assert block.strip() == bench.readme_table(results).strip(), (
        "README's Performance table is not bench/results.json: run "
        "`make bench BENCH_OUT=bench/results.json`"
    )
    every_page = set(pages.pages())
    weighed = {key.split("/", 1)[1] for key in results["page_weight"]}
    assert weighed == every_page, (
        f"bench/results.json weighs {sorted(weighed)}, pages are {sorted(every_page)}"
    )
    assert set(results["notebooks"]) == every_page


def test_the_benchmark_reads_every_pages_imports_past_its_install_cell():
    """`make bench` builds each page's floor from the page's imports; a pinned install cell
    (%pip inside an if) must not stop it."""
    sys.path.insert(0, str(REPO / "bench"))
    import run as bench

    for notebook in bench.NOTEBOOKS:
        imports = bench.imports_of(notebook)
        assert any("langchain" in line for line in imports), (notebook.name, imports)
        assert not any("notebook_replay" in line for line in imports)
