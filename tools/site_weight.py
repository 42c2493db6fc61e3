"""How heavy a notebook page is, against the same notebook as a plain Markdown page.

The Markdown twin is the notebook exported by nbconvert (`--to markdown`: prose, code and
text outputs) and built by MkDocs with this site's theme and Markdown extensions but none
of its notebook machinery. Used by the site tests (the 2x ceiling) and by `make bench`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


# The Material/MkDocs end-of-life notices are silenced by their own switch, nothing else.
BUILD_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def build_command(
    site_dir: Path, *, config: Path = REPO / "mkdocs.yml", strict: bool = True
) -> list[str]:
    """`mkdocs build [--strict]` of config into site_dir."""
    return (
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "-f", str(config)]
        + ["--strict"] * strict
        + ["-d", str(site_dir)]
    )


def build_site(site_dir: Path, **options) -> subprocess.CompletedProcess:
    return subprocess.run(
        build_command(site_dir, **options), cwd=REPO, env=BUILD_ENV, capture_output=True, text=True
    )


def markdown_twin_site(notebooks: list[Path], work: Path) -> Path:
    """Build the notebooks as plain Markdown pages with the site's theme; return the site."""
    docs = work / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "markdown", "--log-level=ERROR"]
        + ["--output-dir", str(docs), *map(str, notebooks)],
        check=True,
        capture_output=True,
    )
    ours = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    config = {
        "site_name": ours["site_name"],
        "docs_dir": str(docs),
        "theme": ours["theme"],
        "extra_css": [],
        "markdown_extensions": ours["markdown_extensions"],
        "plugins": ["search"],
    }
    (work / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    site = work / "site"
    # Not strict: the twin's links between notebooks point at .ipynb files it does not have.
    built = build_site(site, config=work / "mkdocs.yml", strict=False)
    if built.returncode:
        raise RuntimeError(f"the Markdown twin did not build:\n{built.stderr}")
    return site


def page_bytes(site: Path, stem: str) -> int:
    return (site / stem / "index.html").stat().st_size
