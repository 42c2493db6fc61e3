"""Every page of the built site in both languages in a real browser (Debian's Chromium,
driven by Playwright): content visible, both palettes, notebook cells styled as the site's
code blocks, layout at a desktop and a phone width, copy buttons, the language switcher,
nothing fetched from elsewhere, and search."""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin

import pytest
from built_site import LANGUAGES, NOTEBOOK_PAGES, PAGES, TESTED_WITH_TITLE, built_site

REPO = Path(__file__).resolve().parents[1]
# Debian's chromium-headless-shell: Chromium's old headless mode, the build Playwright itself
# uses for headless Chromium; here about a third quicker per page than the full browser.
CHROMIUM = Path("/usr/bin/chromium-headless-shell")
SCREENSHOTS = REPO / ".artifacts" / "screenshots"
# The site build and a minute of browser work: started before the short modules.
pytestmark = pytest.mark.starts_first
PROVENANCE_TITLE = {"en": "Replayed answers", "zh": "回放的回答"}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return built_site(tmp_path_factory)


@pytest.fixture(scope="module")
def served(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a tab closed mid-page
            super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"no headless Chromium at {CHROMIUM}: install Debian's (`apt-get install "
            "chromium-headless-shell`, as .ci/run does) to run the browser tests"
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
    """Content visible, both palettes, a notebook page's layout at a desktop and a phone
    width, the language switcher reaching the twin page."""
    url = served + LANGUAGES[language] + page
    problems = watch_requests(tab, served)
    response = tab.goto(url)
    assert response.ok
    assert tab.locator("html").get_attribute("lang").startswith(language)
    assert tab.locator("article h1").first.is_visible()

    if page in NOTEBOOK_PAGES:
        check_notebook_page(tab, language)
        check_cells_look_like_the_sites_code_blocks(tab)
        check_layout(tab.evaluate(LAYOUT), "desktop")

    name = f"{language}-{page.strip('/').replace('/', '-') or 'home'}"
    screenshot(tab, f"{name}-light")
    toggle = tab.locator("form[data-md-component=palette] label:visible").first
    toggle.click()
    assert tab.locator("body").get_attribute("data-md-color-scheme") == "slate"
    if page in NOTEBOOK_PAGES:
        check_cells_look_like_the_sites_code_blocks(tab)
    screenshot(tab, f"{name}-dark")

    if page in NOTEBOOK_PAGES:  # the same page, laid out again at a phone's width
        tab.set_viewport_size({"width": WIDTHS["phone"], "height": 900})
        check_layout(tab.evaluate(LAYOUT), "phone")
        screenshot(tab, f"{name}-phone")
        tab.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})

    other = "zh" if language == "en" else "en"
    tab.locator(".md-header__option .md-select").first.hover()
    tab.locator(f"a.md-select__link[hreflang={other}]").click()
    # The twin page is tested on its own: reaching its address is what the switch owes.
    tab.wait_for_url(served + LANGUAGES[other] + page, wait_until="commit")
    assert not problems, problems


def watch_requests(tab, served: str) -> list[str]:
    """Problems seen while the tab works: a request to any host but the site (a badge, a
    font, a script: the site promises to load nothing from elsewhere and to work offline),
    any of the site's own files failing (a missing sitemap.xml included), script errors."""
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    tab.on(
        "request",
        lambda r: (
            not r.url.startswith((served, "data:", "blob:"))
            and problems.append(f"request outside the site: {r.url}")
        ),
    )
    tab.on(
        "response",
        lambda r: r.url.startswith(served) and r.status >= 400 and problems.append(r.url),
    )
    return problems


# The same page's Markdown code block, as Material styles it: a probe put into the
# article beside the notebook, in the current palette and language.
CODE_STYLES = """() => {
  const styles = (el) => {
    const s = getComputedStyle(el);
    return {size: s.fontSize, family: s.fontFamily, background: s.backgroundColor};
  };
  const probe = document.createElement('div');
  probe.innerHTML = '<pre><code>x = 1</code></pre>';
  document.querySelector('article').appendChild(probe);
  const markdown = styles(probe.querySelector('code'));
  probe.remove();
  const input = document.querySelector('.jp-CodeCell .highlight-ipynb pre > code');
  const output = document.querySelector('.jp-OutputArea-output pre');
  return {markdown, input: styles(input), output: styles(output)};
}"""


def check_cells_look_like_the_sites_code_blocks(tab) -> None:
    styles = tab.evaluate(CODE_STYLES)
    markdown, code, output = styles["markdown"], styles["input"], styles["output"]
    assert code == markdown, f"executed code {code} != Markdown code block {markdown}"
    assert (output["size"], output["family"]) == (markdown["size"], markdown["family"]), (
        f"outputs {output} != Markdown code blocks {markdown}"
    )


CUE = {"en": "raises an error on purpose", "zh": "故意引发错误"}


def check_notebook_page(tab, language: str) -> None:
    box = tab.locator(".replay-provenance")
    assert box.is_visible(), "no provenance box"
    title = box.locator(".admonition-title:visible")
    assert title.count() == 1 and PROVENANCE_TITLE[language] in title.inner_text()
    assert tab.locator(".jp-CodeCell .highlight-ipynb pre").first.is_visible()
    copy = tab.locator(".jp-CodeCell .md-code__button[data-md-type=copy]")
    assert copy.count() > 5, "no copy buttons on the code cells"
    code = tab.locator(".jp-CodeCell pre > code").nth(1)
    copy.nth(1).click()
    copied = tab.evaluate("navigator.clipboard.readText()")
    assert copied.strip() and copied.strip() == code.inner_text().strip()
    outputs = tab.locator(".jp-OutputArea-output")
    assert outputs.count() > 5 and outputs.nth(5).is_visible()
    assert tab.locator("code:has-text('from notebook_replay')").count() == 0, "helper visible"
    tested = tab.locator(".tested-with")
    assert tested.is_visible() and TESTED_WITH_TITLE[language] in tested.inner_text()
    tags = tab.locator(".jp-Cell :text-matches('^(nbval-skip|raises-exception)$')")
    assert tags.count() == 0 or not any(t.is_visible() for t in tags.all()), "cell tags shown"
    if tab.locator("[id].celltag_raises-exception").count():
        check_raising_cells_cue(tab, language)

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


# --- Layout at a desktop and a phone width ----------------------------------------------

LAYOUT = """() => {
  const clipped = (el) => {  // part of el out of sight, and no scrolling brings it back
    let box = el.getBoundingClientRect();
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const overflow = getComputedStyle(a).overflowX;
      if (overflow === 'visible') continue;
      const r = a.getBoundingClientRect();
      if ((overflow === 'auto' || overflow === 'scroll') && a.scrollWidth >= box.width - 1) {
        box = r;  // scrolls: what matters now is whether the scroller itself is in sight
        continue;
      }
      if (box.right > r.right + 1 || box.left < r.left - 1) return true;
    }
    return box.right > document.documentElement.clientWidth + 1 || box.left < -1;
  };
  const tables = [...document.querySelectorAll('article table')].map(t => ({
    head: t.querySelector('tr').textContent.trim().replace(/\\s+/g, ' ').slice(0, 50),
    width: t.getBoundingClientRect().width,
    column: t.closest('.md-typeset__scrollwrap, .jp-RenderedMarkdown, article').clientWidth,
    clipped: clipped(t),
  }));
  const split = [...document.querySelectorAll('article table code')]
    .filter(c => c.getClientRects().length > 1).map(c => c.textContent);
  // A line break between two letters or digits of one word ("col|lections"), where the
  // word would fit on a line; breaks at spaces, hyphens and slashes are fine.
  const midword = [];
  const letter = /[\\p{L}\\p{N}_]/u;
  for (const pre of document.querySelectorAll('.jp-OutputArea-output pre')) {
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const rects = [...range.getClientRects()].filter(r => r.width > 0);
        if (new Set(rects.map(r => Math.round(r.top))).size < 2) continue;
        if (rects.reduce((sum, r) => sum + r.width, 0) > pre.clientWidth) continue;
        let top = null;
        for (let i = 0; i < word[0].length; i++) {
          range.setStart(node, word.index + i);
          range.setEnd(node, word.index + i + 1);
          const r = range.getBoundingClientRect();
          if (top !== null && Math.round(r.top) > top + 2 && letter.test(word[0][i])
              && letter.test(word[0][i - 1])) {
            midword.push(word[0].slice(0, i) + '|' + word[0].slice(i));
          }
          top = r.width > 0 ? Math.round(r.top) : top;
        }
      }
    }
  }
  return {tables, split, midword};
}"""

WIDTHS = {"desktop": 1280, "phone": 390}


def check_layout(layout: dict, device: str) -> None:
    """Tables are never clipped (at 1280 px they fit their column; on a phone they scroll),
    identifiers in tables stay on one line, outputs break lines between words. Checked by
    test_page_in_the_browser at both widths."""
    assert layout["tables"], "no tables measured"
    clipped = [t["head"] for t in layout["tables"] if t["clipped"]]
    assert not clipped, f"tables cut off at {WIDTHS[device]} px: {clipped}"
    if device == "desktop":
        wide = [t for t in layout["tables"] if t["width"] > t["column"] + 1]
        assert not wide, f"tables wider than their column at 1280 px: {wide}"
    assert not layout["split"], f"identifiers split across lines: {layout['split']}"
    assert not layout["midword"], f"outputs broken inside words: {layout['midword'][:10]}"


def check_raising_cells_cue(tab, language: str) -> None:
    """A cell that raises on purpose says so in one line above the error, as wide as the
    output, not a column beside it."""
    cue = tab.locator(".celltag_raises-exception .cell-cue").first
    assert cue.is_visible() and CUE[language] in cue.inner_text()
    for cell in tab.locator("[id].celltag_raises-exception").all():
        assert cell.locator(".cell-cue").count() == 1, "the cue repeated"
    area = tab.locator("[id].celltag_raises-exception .jp-OutputArea").first.bounding_box()
    box = cue.bounding_box()
    assert box["width"] > area["width"] / 2 and box["height"] < 40, (box, area)
