"""`make compat`'s report: its format, how a failed cell is told apart (request no longer
matches the cassette, output changed, exception), the Markdown report, and the "Tested
with" box the site renders from it. Nothing here asks the package registry."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from mkdocs.exceptions import PluginError

from conftest import gradient, in_mode
from notebook_replay.errors import UnmatchedRequestError

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import compat_report  # noqa: E402
import site_hooks  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "compat_report.json"


@pytest.fixture
def report() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


# --- The format -----------------------------------------------------------------------


def test_a_report_validates_and_each_defect_is_named(report):
    assert compat_report.validate(report) is report
    defects = [
        (lambda r: r.update(format=2), "format is 2"),
        (lambda r: r.update(tested_on="22/11/2026"), "tested_on"),
        (lambda r: r["sets"].pop(0), "no locked set"),
        (lambda r: r["sets"][1].update(status="maybe"), "status"),
        (lambda r: r["pages"]["gradient"]["results"].update(later={"result": "passed"}), "later"),
        (lambda r: r["pages"]["gradient"]["results"]["newest"].update(result="meh"), "meh"),
        (
            lambda r: r["pages"]["gradient"]["results"]["newest"]["cells"][0].update(kind="odd"),
            "kind",
        ),
    ]
    for spoil, named in defects:
        bad = copy.deepcopy(report)
        spoil(bad)
        with pytest.raises(compat_report.ReportError, match=named):
            compat_report.validate(bad)


def test_the_committed_report_is_valid_covers_every_page_and_agrees_with_its_markdown():
    report = compat_report.validate(json.loads((REPO / "compat" / "report.json").read_text()))
    pages = {p.name.split(".")[0] for p in (REPO / "notebooks").glob("*.ipynb")}
    assert set(report["pages"]) == pages, "run `make compat`: the report must cover every page"
    assert len(report["packages"]) == len(set(report["packages"])), "a package listed twice"
    for entry in report["pages"].values():
        assert {"locked", "newest"} <= set(entry["results"])
    markdown = (REPO / "compat" / "report.md").read_text(encoding="utf-8")
    assert markdown == compat_report.markdown(report)


def test_the_committed_report_is_not_older_than_the_newest_cassette():
    """A page re-recorded after the last `make compat` was never replayed with the newest
    releases: the report is stale until `make compat` runs again."""
    report = json.loads((REPO / "compat" / "report.json").read_text())
    recorded = {
        path.name: yaml.safe_load(path.read_text())["recorded_at"][:10]
        for path in (REPO / "cassettes").glob("*.provenance.yaml")
    }
    newer = {name: day for name, day in recorded.items() if day > report["tested_on"]}
    assert not newer, f"recorded after the report of {report['tested_on']}: {newer}; make compat"


# --- Telling failures apart ------------------------------------------------------------


def test_an_unmatched_request_is_classified_with_the_field_it_differs_in(monkeypatch, emulator):
    """The helper's own error, as a page would raise it, names what the closest recorded
    request differs in; the report keeps that field."""
    _, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    gradient().invoke("Tell me about the lighthouse keeper")
    in_mode(monkeypatch, "replay", "gradient")
    with pytest.raises(UnmatchedRequestError) as raised:
        gradient().invoke("A question the new SDK words differently")

    record = {
        "notebook": "gradient.ipynb",
        "cell": 5,
        "id": "invoke",
        "outcome": "failed",
        "message": "Cell execution caused an exception",
        "errors": [{"ename": "UnmatchedRequestError", "evalue": str(raised.value)}],
    }
    cell = compat_report.classify(record)
    assert cell["kind"] == "unmatched-request"
    assert cell["field"] == "body.messages[0].content"
    assert "A question the new SDK words differently" in cell["detail"]


def nbval_records(tmp_path: Path, cells: list) -> list[dict]:
    """Run pytest --nbval with the compat plugin on a notebook made of `cells`, as
    `make compat` does, and return what the plugin recorded."""
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = tmp_path / "page.ipynb"
    nbformat.write(notebook, path)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    results = tmp_path / "results"
    results.mkdir()
    env = {
        **os.environ,
        "COMPAT_RESULTS": str(results),
        "PYTHONPATH": str(REPO / "tools"),
    }
    subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(tmp_path / "pytest.ini"), "-p", "compat_nbval"]
        + ["-p", "no:cacheprovider", "--nbval", "--nbval-current-env", "-q", str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for f in results.glob("*.jsonl") for line in f.read_text().splitlines()]
    return [json.loads(line) for line in lines]


def code(source: str, text: str | None, count: int = 1):
    cell = nbformat.v4.new_code_cell(source, execution_count=count)
    if text is not None:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return cell


def test_nbval_failures_are_recorded_per_cell_as_output_changed_or_exception(tmp_path):
    records = nbval_records(
        tmp_path,
        [
            code("print('as recorded')", "as recorded\n", 1),
            code("print('a new answer')", "the old answer\n", 2),
            code("raise ValueError('the SDK moved this')", None, 3),
        ],
    )
    result = compat_report.page_result(records)
    assert result["result"] == "failed"
    kinds = {cell["cell"]: cell for cell in result["cells"]}
    assert set(kinds) == {1, 2}, "the matching cell passed"
    assert kinds[1]["kind"] == "output-changed"
    assert "the old answer" in kinds[1]["detail"] and "a new answer" in kinds[1]["detail"]
    assert kinds[2]["kind"] == "exception"
    assert kinds[2]["detail"] == "ValueError: the SDK moved this"


def test_a_page_whose_cells_all_match_passes():
    records = [{"notebook": "p.ipynb", "cell": 0, "id": "a", "outcome": "passed"}]
    assert compat_report.page_result(records) == {"result": "passed", "cells": []}
    assert compat_report.page_result([])["result"] == "not-run"


# --- What people read ------------------------------------------------------------------


def test_the_markdown_report_names_sets_versions_claims_and_failing_cells(report):
    text = compat_report.markdown(report)
    assert "# Compatibility report, 2026-11-20" in text
    assert "| langchain-core | 1.7.2 | 1.9.0 | 1.9.0 |" in text
    assert "pins langchain-gradient==1.0.0" in text
    assert "newest-released**: pins overridden (unresolvable: No solution found)" in text
    assert "pydo 0.44.0 (in newest): langchain-gradient 1.0.0 requires pydo<0.40.0" in text
    assert "`gradient.ipynb` cell 5 `invoke`: unmatched-request (body)" in text


def box(report, page, language) -> BeautifulSoup:
    return BeautifulSoup(compat_report.tested_with_html(report, page, language), "html.parser")


@pytest.mark.parametrize(
    ("language", "title", "passes"),
    [("en", "Tested with", "replays as shown"), ("zh", "测试所用版本", "回放结果与页面一致")],
)
def test_the_tested_with_table_shows_packages_versions_result_and_date(
    report, language, title, passes
):
    html = box(report, "oci_generative_ai", language)
    summary = html.select_one("summary.admonition-title")
    assert summary.strong.get_text() == title and html.details.get("open") is None
    line = summary.get_text()
    assert "✅ locked, newest" in line or "✅ 锁定、最新" in line, line
    assert "❌" not in line and "\n" not in line
    assert "2026-11-20" in summary.get_text(), "one line: versions, result and date, folded"
    rows = [[td.get_text() for td in tr.find_all(["td", "th"])] for tr in html.select("tr")]
    assert len(rows[0]) == 3, "package, locked, newest: the unresolvable set has no column"
    assert rows[1:-1] == [["langchain-core", "1.7.2", "1.9.0"], ["oci", "2.189.0", "2.190.0"]] + [
        ["vcrpy", "9.4.2", "9.4.2"]
    ]
    assert passes in rows[-1][1] and passes in rows[-1][2]
    assert "2026-11-20" in html.select_one(".compat-date").get_text()
    assert "failure" not in html.details["class"] and not html.select(".compat-broken")


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("en", "does not replay as shown with the newest releases"),
        ("zh", "使用最新发布的版本时，本页无法按所示内容回放"),
    ],
)
def test_a_page_that_breaks_with_the_newest_releases_says_so(report, language, says):
    html = box(report, "gradient", language)
    assert "failure" in html.details["class"] and html.details.get("open") is not None
    broken = html.select_one(".compat-broken").get_text()
    assert says in broken and "invoke" in broken and "2026-11-20" in broken
    assert "❌ 2" in html.select("tr")[-1].get_text()
    assert "pydo 0.44.0" in html.get_text()  # held back by langchain-gradient's pin


@pytest.mark.parametrize(
    ("language", "says"),
    [("en", "oldest versions the project claims"), ("zh", "项目声明支持的最旧版本")],
)
def test_a_page_that_fails_only_with_the_oldest_claimed_versions_says_that_not_newest(
    report, language, says
):
    report["sets"].append({**report["sets"][0], "name": "oldest"})
    report["pages"]["oci_generative_ai"]["results"]["oldest"] = {
        "result": "failed",
        "cells": [
            {
                "notebook": "oci_generative_ai.ipynb",
                "cell": 0,
                "id": "run-mode",
                "kind": "exception",
                "field": None,
                "detail": "AttributeError: module 'aiohttp.streams' has no attribute 'X'",
            }
        ],
    }
    html = box(compat_report.validate(report), "oci_generative_ai", language)
    assert "warning" in html.details["class"] and not html.select(".compat-broken")
    oldest = html.select_one(".compat-oldest").get_text()
    assert says in oldest and "run-mode" in oldest and "aiohttp.streams" in oldest


@pytest.mark.parametrize(
    ("language", "says"),
    [("en", "releases that other packages still hold back"), ("zh", "仍被其他包的版本上限挡住")],
)
def test_releases_held_back_past_other_bounds_breaking_a_page_is_a_warning_not_a_failure(
    report, language, says
):
    """What a reader's install gets (newest) passes; only forcing held-back releases
    breaks the page: a warning, not "does not replay with the newest releases"."""
    report["sets"].append({**report["sets"][0], "name": "newest-released", "status": "ran"})
    report["pages"]["oci_generative_ai"]["results"]["newest-released"] = {
        "result": "failed",
        "cells": [
            {
                "notebook": "oci_generative_ai.ipynb",
                "cell": 39,
                "id": "chatociopenai-setup",
                "kind": "exception",
                "field": None,
                "detail": "TypeError: Invalid auth argument",
            }
        ],
    }
    html = box(compat_report.validate(report), "oci_generative_ai", language)
    assert "warning" in html.details["class"] and not html.select(".compat-broken")
    ahead = html.select_one(".compat-ahead").get_text()
    assert says in ahead and "chatociopenai-setup" in ahead


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_page_newer_than_the_report_says_it_has_not_been_tested_yet(report, language):
    html = box(report, "a_new_page", language)
    assert "make compat" in html.get_text() and "2026-11-20" in html.get_text()
    assert not html.select("table")


def test_the_box_says_when_the_lock_has_moved_since_the_report(report):
    installed = {"langchain-core": "1.7.2", "pydo": "0.39.0", "vcrpy": "9.4.2"}
    assert not box(report, "gradient", "en").select(".compat-stale")
    html = compat_report.tested_with_html(report, "gradient", "en", installed)
    assert "compat-stale" not in html, "same versions: nothing to say"
    installed["langchain-core"] = "1.8.0"
    for language in ("en", "zh"):
        html = compat_report.tested_with_html(report, "gradient", language, installed)
        stale = BeautifulSoup(html, "html.parser").select_one(".compat-stale").get_text()
        assert "langchain-core 1.7.2 → 1.8.0" in stale and "make compat" in stale


def test_the_ci_step_learns_which_pages_break(tmp_path, report):
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    script = REPO / "tools" / "compat_report.py"
    out = subprocess.run([sys.executable, script, "broken", path], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout == "broken=gradient\n"
    report["pages"]["gradient"]["results"]["newest"] = {"result": "passed", "cells": []}
    path.write_text(json.dumps(report))
    out = subprocess.run([sys.executable, script, "broken", path], capture_output=True, text=True)
    assert out.stdout == "broken=\n"


# --- The site hook -----------------------------------------------------------------------


def test_the_site_hook_puts_the_box_right_under_the_provenance_box(report, monkeypatch):
    monkeypatch.setattr(site_hooks, "_compat", report)
    soup = BeautifulSoup(
        '<div class="jp-Cell jp-CodeCell"><div class="jp-Cell-outputWrapper">'
        '<div class="replay-provenance">box</div></div></div>'
        '<div class="jp-Cell jp-MarkdownCell"><h2 id="setup">Setup</h2></div>',
        "html.parser",
    )
    site_hooks.tested_with(soup, "gradient", "zh")
    cells = soup.find_all(["div", "details"], recursive=False)
    assert "jp-CodeCell" in cells[0]["class"]
    assert "tested-with" in cells[1]["class"] and cells[1]["lang"] == "zh-Hans"
    assert "jp-MarkdownCell" in cells[2]["class"]


def test_a_report_the_site_cannot_read_stops_the_build_naming_the_file(tmp_path):
    assert site_hooks.read_compat_report(tmp_path / "absent.json") == {}
    bad = tmp_path / "report.json"
    bad.write_text('{"format": 1, "tested_on": "soon"}')
    with pytest.raises(PluginError, match=r"report\.json cannot be used .*tested_on"):
        site_hooks.read_compat_report(bad)
    bad.write_text("{ not json")
    with pytest.raises(PluginError, match="make compat"):
        site_hooks.read_compat_report(bad)


# --- The version sets make compat installs ------------------------------------------------


@pytest.fixture
def compat_tool():
    import compat

    return compat


def test_the_newest_set_asks_for_every_page_package_unbounded_and_keeps_the_harness(compat_tool):
    locked = compat_tool.installed(Path(sys.executable))
    reqs, extra = compat_tool.requirements("newest", locked)
    assert extra == []
    for package in compat_tool.TRACKED:
        assert package in reqs, f"{package} is not asked for by bare name"
    assert not [
        r
        for r in reqs
        if compat_tool.requirement_name(r) in compat_tool.TRACKED and r not in compat_tool.TRACKED
    ]
    for tool in ("pytest", "nbval", "pytest-xdist"):
        assert f"{tool}=={locked[tool]}" in reqs


def test_the_oldest_set_keeps_the_declared_bounds_and_resolves_them_lowest(compat_tool):
    locked = compat_tool.installed(Path(sys.executable))
    reqs, extra = compat_tool.requirements("oldest", locked)
    assert extra == ["--resolution", "lowest-direct"]
    vcrpy = re.search(r'"(vcrpy[<>=!~][^"]*)"', (REPO / "pyproject.toml").read_text()).group(1)
    assert vcrpy in reqs and "langchain-gradient==1.0.0" in reqs
    assert f"pyyaml=={locked['pyyaml']}" in reqs, "a non-page dependency moved"


def test_a_held_back_release_names_the_requirement_that_holds_it(
    compat_tool, tmp_path, monkeypatch
):
    dist = tmp_path / "langchain_gradient-1.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: langchain-gradient\nVersion: 1.0.0\n"
        "Requires-Dist: pydo (>=0.39.0,<0.40.0)\n"
        'Requires-Dist: langchain-core (<1.0.0) ; python_version < "3.10"\n'
    )
    monkeypatch.setattr(compat_tool, "uv_explains", lambda *args: "uv: no such release here")
    held = compat_tool.held_back(
        tmp_path,
        {"pydo": "0.39.0", "langchain-core": "1.7.2", "vcrpy": "9.4.2"},
        {"pydo": "0.44.0", "langchain-core": "1.8.2", "vcrpy": "9.4.2"},
        "3.11",
    )
    assert held["pydo"] == {
        "newest_release": "0.44.0",
        "why": "langchain-gradient 1.0.0 requires pydo<0.40.0,>=0.39.0",
        "pinned": True,
    }
    # A bound for another Python version holds nothing back here: the resolver's reason.
    assert held["langchain-core"]["why"] == "uv: no such release here"
    assert held["langchain-core"]["pinned"] is False
    assert "vcrpy" not in held
