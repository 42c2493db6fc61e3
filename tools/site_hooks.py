"""MkDocs hooks that make each notebook page light and linked like the rest of the site.

mkdocs-jupyter renders a notebook with the whole JupyterLab stylesheet, its scripts and a
copy button (an inline SVG plus a hidden copy of the source) inlined into every page. Here:

- every <style> of a notebook page moves to one shared, content-addressed file under
  assets/notebook/ (the same for every page, so a browser fetches it once);
- the per-cell copy machinery is dropped: code goes into <pre><code>, which gets
  Material's own copy button (theme feature content.code.copy), as every other code block
  (cell ids lose the "=" nbconvert puts in them, which the button's selector cannot take);
- the MathJax/Mermaid loaders go: these pages have neither math nor diagrams (a page that
  has some keeps them);
- cell outputs are left out of the search index (data-search-exclude), so a search finds
  the prose and the code, not every recorded answer;
- links between notebooks (`gradient.ipynb#tool-calling`) point at the rendered pages;
- headings keep the ids their links use (a Chinese heading carries the English id as
  `<a id="…"></a>`), and the table of contents is rebuilt from the rendered headings, so
  its entries always point at real ids;
- a "download this notebook" button (mkdocs-jupyter copies the .ipynb beside the page,
  but Material 9.8 no longer shows a button for it).

It also lets mkdocs-static-i18n see notebooks as pages (its open issue #198): the plugin
rebuilds every File and keeps as pages only the files MkDocs calls Markdown.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import mkdocs.utils
from bs4 import BeautifulSoup
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url

SHARED = "assets/notebook"
_DOWNLOAD_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
    '<path d="M5 20h14v-2H5m14-9h-4V3H9v6H5l7 7z"/></svg>'
)
_stylesheets: dict[str, str] = {}  # file name -> CSS, written once after the build
_MATH = re.compile(r"\$\$|\\\(|(?<![\w$])\$[^\s$][^$\n]*\$(?![\w$])")
_NOTEBOOK_LINK = re.compile(r"^(?P<stem>[\w-]+?)(?:\.[a-z]{2}(?:-\w+)?)?\.ipynb(?P<anchor>#.*)?$")


def on_config(config):
    if ".ipynb" not in mkdocs.utils.markdown_extensions:
        mkdocs.utils.markdown_extensions = (*mkdocs.utils.markdown_extensions, ".ipynb")
    return config


def _is_notebook(page) -> bool:
    return page.file.src_uri.endswith(".ipynb")


def on_page_content(html: str, page, config, files) -> str:
    if not _is_notebook(page):
        return html
    soup = BeautifulSoup(html, "html.parser")

    css = "\n".join(style.get_text() for style in soup.find_all("style"))
    for style in soup.find_all("style"):
        style.decompose()
    stylesheet = f"{hashlib.sha256(css.encode()).hexdigest()[:16]}.css"
    _stylesheets[stylesheet] = css
    page.meta["notebook_stylesheet"] = f"{SHARED}/{stylesheet}"

    prose = " ".join(cell.get_text() for cell in soup.select(".jp-MarkdownCell"))
    needs_math = _MATH.search(prose) or soup.select_one(".jp-Mermaid")
    for script in soup.find_all("script"):
        if not needs_math or "clipboard" in script.get_text():
            script.decompose()
    for element in soup.select(".zeroclipboard-container, .clipboard-copy-txt, .jp-Collapser"):
        element.decompose()

    # nbconvert's cell ids ("cell-id=set-key") are not valid in a CSS selector, and
    # Material's copy button finds its code block with one.
    for cell in soup.select('[id^="cell-id="]'):
        cell["id"] = "cell-" + cell["id"].removeprefix("cell-id=")

    for pre in soup.select(".highlight-ipynb > pre"):
        code = soup.new_tag("code")
        for child in list(pre.contents):
            code.append(child.extract())
        pre.append(code)

    for output in soup.select(".jp-Cell-outputWrapper"):
        output["data-search-exclude"] = ""
    # The helper's provenance box is the one output that belongs in the index.
    for box in soup.select(".replay-provenance"):
        box.find_parent(class_="jp-Cell-outputWrapper").attrs.pop("data-search-exclude", None)

    page.toc = get_toc(_headings(soup))

    for link in soup.find_all("a", href=True):
        match = _NOTEBOOK_LINK.match(link["href"])
        if match:
            link["href"] = f"../{match['stem']}/{match['anchor'] or ''}"

    notebook = Path(page.file.src_uri).name
    chinese = page.file.src_uri.endswith(".zh.ipynb")
    label = "下载此 notebook" if chinese else "Download this notebook"
    button = BeautifulSoup(
        f'<a href="{notebook}" download class="md-content__button md-icon notebook-download" '
        f'title="{label}" aria-label="{label}">{_DOWNLOAD_ICON}</a>',
        "html.parser",
    )
    return str(button) + str(soup)


def _headings(soup) -> list[dict]:
    """Give each heading of the notebook's prose its explicit id, if it has one, and return
    the table-of-contents tokens (nested by level) that MkDocs builds its TOC from."""
    tokens: list[dict] = []
    open_levels: list[dict] = []
    for heading in soup.select(".jp-MarkdownCell :is(h1, h2, h3, h4, h5, h6)"):
        explicit = heading.find("a", id=True, href=False)
        if explicit:
            heading["id"] = explicit["id"]
            explicit.decompose()
        permalink = heading.find("a", class_="anchor-link")
        if permalink:
            permalink["href"] = f"#{heading['id']}"
        token = {
            "level": int(heading.name[1]),
            "id": heading["id"],
            "name": heading.get_text().removesuffix("¶").strip(),
            "children": [],
        }
        while open_levels and open_levels[-1]["level"] >= token["level"]:
            open_levels.pop()
        (open_levels[-1]["children"] if open_levels else tokens).append(token)
        open_levels.append(token)
    return tokens


def on_post_page(output: str, page, config) -> str:
    stylesheet = page.meta.get("notebook_stylesheet")
    if not stylesheet:
        return output
    href = get_relative_url(stylesheet, page.url)
    return output.replace("</head>", f'<link rel="stylesheet" href="{href}">\n</head>', 1)


def on_post_build(config) -> None:
    folder = Path(config["site_dir"]) / SHARED
    folder.mkdir(parents=True, exist_ok=True)
    for name, css in _stylesheets.items():
        (folder / name).write_text(css, encoding="utf-8")


def on_page_markdown(markdown: str, page, config, files) -> str:
    """The emulators page: its ledger section is rendered from the ledger and catalog
    YAML at build time (notebook_replay.emulators.ledger_page), so it cannot drift."""
    from notebook_replay.emulators import ledger_page

    if ledger_page.MARKER not in markdown:
        return markdown
    language = "zh" if page.file.src_uri.endswith(".zh.md") else "en"
    return markdown.replace(ledger_page.MARKER, ledger_page.render(language))
