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
  but Material 9.8 no longer shows a button for it);
- a "Tested with" box under the provenance box, from the last `make compat` report
  (compat/report.json): the page's packages, locked and newest versions tried, the result
  and the date, and a failure box when the page does not replay with the newest releases.
- cell tags (`nbval-skip`, `raises-exception`) are CI plumbing, not shown; a cell that
  raises on purpose gets one small line saying so above its error.

On every page, PyPI badges (`img.shields.io/pypi/v/<package>`, `…/dm/<package>`) become the
version in uv.lock that the page was checked with, and a link to the package's download
statistics: the site loads nothing from another host, and a build with any other external
image, script or stylesheet in a page's content fails. The site gets a valid
sitemap.xml beside every page (Material's language switcher fetches one there; a
missing one was a 404 on every page view).

It also lets mkdocs-static-i18n see notebooks as pages (its open issue #198): the plugin
rebuilds every File and keeps as pages only the files MkDocs calls Markdown.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import mkdocs.plugins
import mkdocs.utils
from bs4 import BeautifulSoup
from mkdocs.exceptions import PluginError
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url

sys.path.insert(0, str(Path(__file__).parent))
import compat_report  # noqa: E402
import uv_lock  # noqa: E402

SHARED = "assets/notebook"
_DOWNLOAD_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
    '<path d="M5 20h14v-2H5m14-9h-4V3H9v6H5l7 7z"/></svg>'
)
_stylesheets: dict[str, str] = {}  # file name -> CSS, written once after the build
_MATH = re.compile(r"\$\$|\\\(|(?<![\w$])\$[^\s$][^$\n]*\$(?![\w$])")
_BADGE = re.compile(r"^https://img\.shields\.io/pypi/(?P<kind>v|dm)/(?P<package>[\w.-]+)")
_EXTERNAL = {"img": "src", "script": "src", "iframe": "src", "source": "src", "link": "href"}
_RAISES_TAGS = ("raises-exception", "expected-error")
_CUE = {"en": "This cell raises an error on purpose.", "zh": "此单元格会故意引发错误。"}
_NOTEBOOK_LINK = re.compile(r"^(?P<stem>[\w-]+?)(?:\.[a-z]{2}(?:-\w+)?)?\.ipynb(?P<anchor>#.*)?$")
COMPAT_REPORT = "compat/report.json"  # beside mkdocs.yml
_compat: dict = {}  # the last `make compat` report, read once per build
_installed_now: dict = {}  # the environment's versions, read once per build (1/6 s each time)
log = logging.getLogger("mkdocs.hooks.site_hooks")


@mkdocs.plugins.event_priority(100)  # before mkdocs-static-i18n reads the nav
def on_config(config):
    config["nav"] = derived_nav(config.get("nav") or [], config)
    if ".ipynb" not in mkdocs.utils.markdown_extensions:
        mkdocs.utils.markdown_extensions = (*mkdocs.utils.markdown_extensions, ".ipynb")
    _compat.clear()
    _compat.update(read_compat_report(Path(config.config_file_path).parent / COMPAT_REPORT))
    _installed_now.clear()
    if _compat:
        _installed_now.update(_installed())
    return config


TUTORIALS = {"en": "Tutorials", "zh": "教程"}


def _title(notebook: dict, path: Path) -> str:
    """A notebook's first heading (the nav shows the rendered page's own title; this only
    orders the entries)."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def _paths(nav) -> set[str]:
    """Every page path a nav (or a section of it) lists."""
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, dict):
        return set().union(*(_paths(v) for v in nav.values()))
    return set().union(*(_paths(v) for v in nav)) if nav else set()


def derived_nav(nav: list, config) -> list:
    """The nav from the notebooks themselves: after the first entry (Home), every page in
    notebooks/ by title, then a Tutorials section of the pages whose metadata says
    `"notebook_replay": {"section": "tutorials"}`, then the rest of mkdocs.yml's nav. Each
    entry shows its page's own title, so a Chinese page shows its twin's. Adding a page or a
    tutorial touches no configuration. A nav that already lists a notebook keeps it (the
    Chinese build runs this again on the derived nav)."""
    docs = Path(config["docs_dir"])
    listed = _paths(nav)
    pages, tutorials = [], []
    for path in sorted((docs / "notebooks").glob("*.ipynb")):
        if "." in path.stem or f"notebooks/{path.name}" in listed:
            continue
        notebook = json.loads(path.read_text(encoding="utf-8"))
        section = (notebook.get("metadata", {}).get("notebook_replay") or {}).get("section")
        entry = {_title(notebook, path): f"notebooks/{path.name}"}
        (tutorials if section == "tutorials" else pages).append(entry)
    if not pages and not tutorials:
        return nav
    by_title = lambda entry: next(iter(entry)).lower()  # noqa: E731
    derived = nav[:1] + sorted(pages, key=by_title)
    if tutorials:
        derived.append({TUTORIALS["en"]: sorted(tutorials, key=by_title)})
        _translate_nav(config, {TUTORIALS["en"]: TUTORIALS["zh"]})
    return derived + nav[1:]


def _translate_nav(config, titles: dict[str, str]) -> None:
    plugin = config["plugins"].get("i18n")
    if plugin is None:
        return
    for language in plugin.config.languages:
        if language.locale == "zh":
            language.nav_translations = {**titles, **(language.nav_translations or {})}


def read_compat_report(path: Path) -> dict:
    """The last compatibility report, checked; {} (and no table) when there is none yet.
    A report that cannot be read stops the build, saying which file and what is wrong."""
    if not path.exists():
        log.info("no %s: notebook pages get no Tested-with table (run `make compat`)", path)
        return {}
    try:
        return compat_report.validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, compat_report.ReportError) as error:
        raise PluginError(
            f"{path} cannot be used ({error}). Restore it from git or run `make compat`."
        ) from error


def _installed() -> dict[str, str]:
    """The versions this build's environment (the lock's) has, to tell a stale report."""
    from importlib.metadata import distributions

    return {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version for d in distributions()}


def tested_with(soup, page_name: str, language: str) -> None:
    """Put the page's Tested-with box right under its provenance box (or at the top)."""
    if not _compat:
        return
    html = compat_report.tested_with_html(_compat, page_name, language, _installed_now)
    if not html:
        return
    box = BeautifulSoup(html, "html.parser")
    provenance = soup.find(class_="replay-provenance")
    cell = provenance.find_parent(class_="jp-Cell") if provenance else None
    if cell is not None:
        cell.insert_after(box)
    else:
        soup.insert(0, box)


def _is_notebook(page) -> bool:
    return page.file.src_uri.endswith(".ipynb")


def _language(page) -> str:
    return "zh" if re.search(r"\.zh\.(md|ipynb)$", page.file.src_uri) else "en"


def _locked_versions(soup, page) -> bool:
    """PyPI badges from a third-party host become the version from uv.lock."""
    badges = soup.find_all("img", src=_BADGE)
    for image in badges:
        match = _BADGE.match(image["src"])
        package = match["package"]
        if match["kind"] == "dm":
            label = "下载统计" if _language(page) == "zh" else "download stats"
            link = soup.new_tag("a", href=f"https://pypistats.org/packages/{package}")
            link.string = label
            image.replace_with(link)
            continue
        version = uv_lock.version(package)
        if version is None:
            raise PluginError(
                f"{page.file.src_uri}: a version badge for {package}, which uv.lock does not "
                "hold; add the package to pyproject.toml and run `make lock`, or drop the badge."
            )
        code = soup.new_tag("code", attrs={"class": "locked-version", "title": "uv.lock"})
        code.string = version
        image.replace_with(code)
    return bool(badges)


def _no_external_resources(soup, page) -> None:
    for tag, attribute in _EXTERNAL.items():
        for element in soup.find_all(tag, attrs={attribute: True}):
            if tag == "link" and "stylesheet" not in element.get("rel", []):
                continue
            if urlparse(element[attribute]).scheme in ("http", "https") or element[
                attribute
            ].startswith("//"):
                raise PluginError(
                    f"{page.file.src_uri}: <{tag} {attribute}={element[attribute]!r}> would be "
                    "fetched from another host; the site loads only its own files. Save it "
                    "under docs/assets/ or make it a link."
                )


def _tags_hidden(soup, page) -> None:
    """Cell tags are for CI; a cell that raises on purpose says so in one small line."""
    for toolbar in soup.find_all(class_="celltoolbar"):
        toolbar.decompose()
    tagged = {f"celltag_{tag}" for tag in _RAISES_TAGS}
    for cell in soup.find_all(class_="jp-CodeCell"):
        if not tagged.intersection(cell["class"]):
            continue
        # nbconvert nests two elements with the cell's classes: one cue per output area.
        outputs = cell.find(class_="jp-OutputArea")
        if outputs is not None and not outputs.find(class_="cell-cue"):
            cue = soup.new_tag("p", attrs={"class": "cell-cue"})
            cue.string = _CUE[_language(page)]
            outputs.insert(0, cue)


def on_page_content(html: str, page, config, files) -> str:
    soup = BeautifulSoup(html, "html.parser")
    changed = _locked_versions(soup, page)
    _no_external_resources(soup, page)
    if not _is_notebook(page):
        return str(soup) if changed else html
    _tags_hidden(soup, page)

    css = "\n".join(style.get_text() for style in soup.find_all("style"))
    for style in soup.find_all("style"):
        style.decompose()
    stylesheet = f"{hashlib.sha256(css.encode()).hexdigest()[:16]}.css"
    _stylesheets[stylesheet] = css
    page.meta["notebook_stylesheet"] = f"{SHARED}/{stylesheet}"

    prose = " ".join(cell.get_text() for cell in soup.find_all(class_="jp-MarkdownCell"))
    needs_math = _MATH.search(prose) or soup.find(class_="jp-Mermaid")
    for script in soup.find_all("script"):
        if not needs_math or "clipboard" in script.get_text():
            script.decompose()
    for element in soup.find_all(
        class_=["zeroclipboard-container", "clipboard-copy-txt", "jp-Collapser"]
    ):
        element.decompose()

    # nbconvert's cell ids ("cell-id=set-key") are not valid in a CSS selector, and
    # Material's copy button finds its code block with one.
    for cell in soup.find_all(id=re.compile("^cell-id=")):
        cell["id"] = "cell-" + cell["id"].removeprefix("cell-id=")

    for pre in [
        pre
        for block in soup.find_all(class_="highlight-ipynb")
        for pre in block.find_all("pre", recursive=False)
    ]:
        code = soup.new_tag("code")
        for child in list(pre.contents):
            code.append(child.extract())
        pre.append(code)

    # (find_all rather than CSS selectors: on a notebook page it is several times faster.)
    for output in soup.find_all(class_="jp-Cell-outputWrapper"):
        output["data-search-exclude"] = ""
    # The helper's provenance box is the one output that belongs in the index.
    for box in soup.find_all(class_="replay-provenance"):
        box.find_parent(class_="jp-Cell-outputWrapper").attrs.pop("data-search-exclude", None)

    page.toc = get_toc(_headings(soup))

    for link in soup.find_all("a", href=True):
        match = _NOTEBOOK_LINK.match(link["href"])
        if match:
            link["href"] = f"../{match['stem']}/{match['anchor'] or ''}"

    notebook = Path(page.file.src_uri).name
    chinese = page.file.src_uri.endswith(".zh.ipynb")
    tested_with(soup, notebook.split(".")[0], "zh" if chinese else "en")
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
    levels = ["h1", "h2", "h3", "h4", "h5", "h6"]
    for heading in [
        heading
        for cell in soup.find_all(class_="jp-MarkdownCell")
        for heading in cell.find_all(levels)
    ]:
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


_EMPTY_SITEMAP = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n'
)


def _sitemaps(config) -> None:
    """A sitemap.xml beside every page. Material's language switcher fetches one relative
    to each `<link rel="alternate">` of the page, and mkdocs-static-i18n makes those the
    page's twins (`../../zh/notebooks/gradient/`), not the language roots Material
    expects: without this, two 404s on every page view (`make docs` logged them). Each is
    the site's own sitemap; without a site_url, mkdocs-static-i18n writes locations such
    as "None./" that no reader can use, so an empty, valid one stands in (the switcher
    then follows its links as they are)."""
    site = Path(config["site_dir"])
    root_map = site / "sitemap.xml"
    content = root_map.read_text(encoding="utf-8") if root_map.is_file() else ""
    if not config.get("site_url") or not content:
        content = _EMPTY_SITEMAP
        (site / "sitemap.xml.gz").unlink(missing_ok=True)
    for page in site.rglob("index.html"):
        (page.parent / "sitemap.xml").write_text(content, encoding="utf-8")


def on_post_build(config) -> None:
    folder = Path(config["site_dir"]) / SHARED
    folder.mkdir(parents=True, exist_ok=True)
    for name, css in _stylesheets.items():
        (folder / name).write_text(css, encoding="utf-8")
    _sitemaps(config)


def on_page_markdown(markdown: str, page, config, files) -> str:
    """The emulators page: its ledger section is rendered from the ledger and catalog
    YAML at build time (notebook_replay.emulators.ledger_page), so it cannot drift."""
    from notebook_replay.emulators import ledger_page

    if ledger_page.MARKER not in markdown:
        return markdown
    language = "zh" if page.file.src_uri.endswith(".zh.md") else "en"
    return markdown.replace(ledger_page.MARKER, ledger_page.render(language))
