"""The website: a strict build, links that resolve, light notebook pages, a search index
without outputs, and every page in both languages in a real browser (Chromium)."""

from __future__ import annotations

import functools
import http.server
import json
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import nbformat
import pytest
from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import site_weight  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / ".artifacts" / "screenshots"
LANGUAGES = {"en": "", "zh": "zh/"}
NOTEBOOK_PAGES = ("notebooks/gradient/", "notebooks/oci_generative_ai/")
PAGES = ("", *NOTEBOOK_PAGES, "how-it-works/", "emulators/")
PROVENANCE_TITLE = {"en": "Replayed answers", "zh": "回放的回答"}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = site_weight.build_site(out)
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.stderr}"
    return out


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_site_builds_strict_with_every_page_in_both_languages(site):
    for prefix in LANGUAGES.values():
        for page in PAGES:
            assert (site / prefix / page / "index.html").is_file(), f"/{prefix}{page} missing"


def test_every_internal_link_and_anchor_resolves(site):
    ids: dict[Path, set[str]] = {}

    def ids_of(path: Path) -> set[str]:
        if path not in ids:
            soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
            ids[path] = {tag["id"] for tag in soup.find_all(id=True)}
        return ids[path]

    broken = []
    for page in html_files(site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        base = "/" + page.relative_to(site).as_posix()
        for link in soup.find_all(["a", "link"], href=True):
            href = link["href"]
            if urlparse(href).scheme or href.startswith(("//", "mailto:")):
                continue
            target = urlparse(urljoin(base, href))
            path = site / unquote(target.path).lstrip("/")
            if path.is_dir():
                path = path / "index.html"
            if not path.exists():
                broken.append(f"{base}: {href} (no such file)")
            elif target.fragment and path.suffix == ".html":
                if unquote(target.fragment) not in ids_of(path):
                    broken.append(f"{base}: {href} (no such anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken)


@pytest.mark.parametrize("stem", [p.rstrip("/").split("/")[-1] for p in NOTEBOOK_PAGES])
def test_each_notebook_page_weighs_at_most_twice_its_markdown_twin(site, stem, tmp_path):
    twin = site_weight.markdown_twin_site([REPO / "notebooks" / f"{stem}.ipynb"], tmp_path)
    ours = site_weight.page_bytes(site / "notebooks", stem)
    plain = site_weight.page_bytes(twin, stem)
    assert ours <= 2 * plain, f"{stem}: {ours} bytes, {ours / plain:.2f}x its Markdown twin"


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


# --- In a real browser ---------------------------------------------------------------


@pytest.fixture(scope="module")
def served(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's (`apt-get install chromium`, as "
            ".ci/run does) to run the browser tests"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    yield page
    context.close()


def screenshot(tab, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.strip("/") or "home")
@pytest.mark.parametrize("language", LANGUAGES)
def test_page_in_the_browser(served, tab, language, page):
    """Content visible, the language switcher reaching the twin page, both palettes."""
    url = served + LANGUAGES[language] + page
    problems: list[str] = []  # the site's own files that fail, and script errors
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    # Material's language switcher probes for a sitemap.xml beside the page (it has one
    # only at the top, from mkdocs-static-i18n); without it, it follows the link as is.
    tab.on(
        "response",
        lambda r: (
            r.url.startswith(served)
            and r.status >= 400
            and not r.url.endswith("/sitemap.xml")
            and problems.append(r.url)
        ),
    )
    response = tab.goto(url)
    assert response.ok
    assert tab.locator("html").get_attribute("lang").startswith(language)
    assert tab.locator("article h1").first.is_visible()

    if page in NOTEBOOK_PAGES:
        check_notebook_page(tab, language)

    name = f"{language}-{page.strip('/').replace('/', '-') or 'home'}"
    screenshot(tab, f"{name}-light")
    toggle = tab.locator("form[data-md-component=palette] label:visible").first
    toggle.click()
    assert tab.locator("body").get_attribute("data-md-color-scheme") == "slate"
    screenshot(tab, f"{name}-dark")

    other = "zh" if language == "en" else "en"
    tab.locator(".md-header__option .md-select").first.hover()
    tab.locator(f"a.md-select__link[hreflang={other}]").click()
    tab.wait_for_load_state()
    assert tab.url == served + LANGUAGES[other] + page
    assert not problems, problems


def check_notebook_page(tab, language: str) -> None:
    box = tab.locator(".replay-provenance")
    assert box.is_visible(), "no provenance box"
    title = box.locator(".admonition-title:visible")
    assert title.count() == 1 and PROVENANCE_TITLE[language] in title.inner_text()
    assert tab.locator(".jp-CodeCell .highlight-ipynb pre").first.is_visible()
    copy = tab.locator(".jp-CodeCell .md-code__button[data-md-type=copy]")
    assert copy.count() > 10, "no copy buttons on the code cells"
    code = tab.locator(".jp-CodeCell pre > code").nth(1)
    copy.nth(1).click()
    copied = tab.evaluate("navigator.clipboard.readText()")
    assert copied.strip() and copied.strip() == code.inner_text().strip()
    outputs = tab.locator(".jp-OutputArea-output")
    assert outputs.count() > 10 and outputs.nth(5).is_visible()
    assert tab.locator("code:has-text('from notebook_replay')").count() == 0, "helper visible"

    download = tab.locator("a.notebook-download")
    href = download.get_attribute("href")
    assert href.endswith(".zh.ipynb" if language == "zh" else ".ipynb")
    notebook = tab.request.get(urljoin(tab.url, href))
    assert notebook.ok and "cells" in notebook.json()


@pytest.mark.parametrize("language", LANGUAGES)
def test_search_finds_chatgradient(served, tab, language):
    tab.goto(served + LANGUAGES[language])
    tab.wait_for_load_state("networkidle")  # the search index is loaded and built
    tab.locator(".md-search__input").click()
    # Real key presses: Material's search listens to the keyboard, not to value changes.
    tab.locator(".md-search__input").press_sequentially("ChatGradient")
    results = tab.locator(".md-search-result__item")
    results.first.wait_for(timeout=30_000)
    # Read every result's link at once: the list re-renders while results keep arriving.
    links = tab.eval_on_selector_all(
        ".md-search-result__item a", "anchors => anchors.map(a => a.getAttribute('href'))"
    )
    assert any("notebooks/gradient/" in link for link in links), links
    screenshot(tab, f"{language}-search")
