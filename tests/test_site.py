"""The website, built: a strict build with every page in both languages, links that
resolve, light notebook pages, the Tested-with boxes, a search index without outputs,
sitemaps, versions from the lock, a nav derived from the notebooks. In a browser:
tests/test_site_browser.py."""

from __future__ import annotations

import html.parser
import json
import sys
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import nbformat
import pytest
from bs4 import BeautifulSoup
from built_site import LANGUAGES, NOTEBOOK_PAGES, PAGES, TESTED_WITH_TITLE, built_site, site_weight

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return built_site(tmp_path_factory)


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_site_builds_strict_with_every_page_in_both_languages(site):
    for prefix in LANGUAGES.values():
        for page in PAGES:
            assert (site / prefix / page / "index.html").is_file(), f"/{prefix}{page} missing"


class LinksAndIds(html.parser.HTMLParser):
    """A page's link targets (<a href>, <link href>) and element ids, in one pass (the
    standard library's parser: no tree is built, which makes it quick on big pages)."""

    def __init__(self, path: Path):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id") is not None:
            self.ids.add(attributes["id"])
        if tag in ("a", "link") and attributes.get("href") is not None:
            self.links.append(attributes["href"])


def test_every_internal_link_and_anchor_resolves(site):
    parsed = {page: LinksAndIds(page) for page in html_files(site)}
    broken = []
    for page, found in parsed.items():
        base = "/" + page.relative_to(site).as_posix()
        for href in found.links:
            if urlparse(href).scheme or href.startswith(("//", "mailto:")):
                continue
            target = urlparse(urljoin(base, href))
            path = site / unquote(target.path).lstrip("/")
            if path.is_dir():
                path = path / "index.html"
            if not path.exists():
                broken.append(f"{base}: {href} (no such file)")
            elif target.fragment and path.suffix == ".html":
                ids = (parsed.get(path) or LinksAndIds(path)).ids
                if unquote(target.fragment) not in ids:
                    broken.append(f"{base}: {href} (no such anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken)


STEMS = [p.rstrip("/").split("/")[-1] for p in NOTEBOOK_PAGES]


@pytest.fixture(scope="module")
def markdown_twins(tmp_path_factory) -> Path:
    """Every notebook page as a plain Markdown page, in one build."""
    notebooks = [REPO / "notebooks" / f"{stem}.ipynb" for stem in STEMS]
    return site_weight.markdown_twin_site(notebooks, tmp_path_factory.mktemp("twins"))


@pytest.mark.parametrize("stem", STEMS)
def test_each_notebook_page_weighs_at_most_twice_its_markdown_twin(site, markdown_twins, stem):
    twin = markdown_twins
    ours = site_weight.page_bytes(site / "notebooks", stem)
    plain = site_weight.page_bytes(twin, stem)
    assert ours <= 2 * plain, f"{stem}: {ours} bytes, {ours / plain:.2f}x its Markdown twin"


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_notebook_page_shows_what_it_was_tested_with(site, language, page):
    """The last `make compat` report, as a table under the provenance box, in the page's
    language; a page that breaks with the newest releases says so."""
    sys.path.insert(0, str(REPO / "tools"))
    import compat_report

    report = json.loads((REPO / "compat" / "report.json").read_text(encoding="utf-8"))
    html = (site / LANGUAGES[language] / page / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    box = soup.select_one(".tested-with")
    assert box is not None, "no Tested-with box"
    assert box.name == "details" and box.get("open") is None, "folded to one line"
    assert box.select_one("summary strong").get_text() == TESTED_WITH_TITLE[language]
    provenance = soup.select_one(".replay-provenance").find_parent(class_="jp-Cell")
    assert provenance.find_next_sibling() is box, "not right under the provenance box"
    table = box.get_text()
    stem = page.rstrip("/").split("/")[-1]
    if stem not in report["pages"]:  # added since the last `make compat`: it says so
        untested = compat_report._TEXT[language]["untested"].format(date=report["tested_on"])
        untested = BeautifulSoup(untested, "html.parser").get_text()
        assert untested in table and not box.select("table")
        return
    assert "langchain-core" in table and report["tested_on"] in table
    assert bool(box.select(".compat-broken")) == (stem in compat_report.broken_pages(report))
    failing = compat_report.failing_sets(report, stem)
    assert bool(box.select(".compat-oldest")) == ("oldest" in failing)
    assert bool(box.select(".compat-ahead")) == ("newest-released" in failing)


def test_the_search_index_holds_prose_and_code_but_not_outputs(site):
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "ChatGradient" in index and "ChatOCIGenAI" in index
    notebook = nbformat.read(REPO / "notebooks" / "gradient.ipynb", as_version=4)
    sources = "\n".join(cell.source for cell in notebook.cells)
    output_only = [
        line.strip()
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
        for line in output["text"].splitlines()
        if len(line.strip()) > 30 and line.strip() not in sources
    ]
    assert output_only, "no output text to check against"
    leaked = [line for line in output_only if json.dumps(line)[1:-1] in index]
    assert not leaked, f"outputs in the search index: {leaked[:3]}"


def test_a_valid_sitemap_lies_beside_every_page_where_the_language_switcher_fetches_it(site):
    import xml.etree.ElementTree as ElementTree

    for page in html_files(site):
        if page.name != "index.html":
            continue
        sitemap = page.parent / "sitemap.xml"
        assert sitemap.is_file(), f"{sitemap.relative_to(site)} missing (Material fetches it)"
        root = ElementTree.parse(sitemap).getroot()
        assert root.tag.endswith("urlset")
        assert "None" not in sitemap.read_text(encoding="utf-8"), "locations without a site_url"


def test_package_versions_come_from_the_lock_not_a_badge_host(site):
    sys.path.insert(0, str(REPO / "tools"))
    import uv_lock

    for prefix in LANGUAGES.values():
        html = (site / prefix / "notebooks" / "gradient" / "index.html").read_text("utf-8")
        assert "shields.io" not in html
        soup = BeautifulSoup(html, "html.parser")
        shown = [code.get_text() for code in soup.select("table code.locked-version")]
        assert shown == [uv_lock.version("langchain-gradient")], shown


def test_the_nav_is_derived_from_the_notebooks_tutorials_in_their_own_section(tmp_path):
    """A page or a tutorial needs no nav entry: the hook lists every notebook after Home
    (by title), tutorials in a section of their own, and leaves a derived nav as it is
    (the Chinese build runs the hook again)."""
    sys.path.insert(0, str(REPO / "tools"))
    import site_hooks

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()

    def page(name: str, title: str, **meta) -> None:
        cells = [{"cell_type": "markdown", "metadata": {}, "source": f"# {title}\n\nText."}]
        data = {"cells": cells, "metadata": {"notebook_replay": meta}, "nbformat": 4}
        (notebooks / f"{name}.ipynb").write_text(json.dumps(data), encoding="utf-8")

    page("zeta", "Zeta reference")
    page("alpha", "Alpha reference")
    page("alpha.zh", "阿尔法")
    page("rag", "Answer questions", section="tutorials")
    fixed = [{"Home": "index.md"}, {"How it works": "how-it-works.md"}]
    config = {"docs_dir": str(tmp_path), "plugins": {}}
    nav = site_hooks.derived_nav(fixed, config)
    assert nav == [
        {"Home": "index.md"},
        {"Alpha reference": "notebooks/alpha.ipynb"},
        {"Zeta reference": "notebooks/zeta.ipynb"},
        {"Tutorials": [{"Answer questions": "notebooks/rag.ipynb"}]},
        {"How it works": "how-it-works.md"},
    ]
    assert site_hooks.derived_nav(nav, config) == nav
