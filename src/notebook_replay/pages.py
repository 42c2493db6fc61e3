"""The pages: every notebooks/<page>.ipynb is one, and it says which service it calls.

Nothing lists the pages by hand. A page's service comes from its notebook's metadata
(``"notebook_replay": {"service": "gradient"}``, which `make page` writes), or else from
what its code imports (``langchain_gradient`` → gradient; ``langchain_oci``, ``oci`` or
langchain-community's ``oci_generative_ai`` → oci). Translated twins are
notebooks/<page>.<lang>.ipynb.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .errors import NotebookReplayError, UnknownPageError

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO_ROOT / "notebooks"

# Import prefixes that give a page's service away, tried in this order.
SERVICE_IMPORTS = (
    ("langchain_gradient", "gradient"),
    ("pydo", "gradient"),
    ("langchain_oci", "oci"),
    ("langchain_community.chat_models.oci_generative_ai", "oci"),
    ("oci", "oci"),
)
_IMPORT = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_][\w.]*)", re.MULTILINE)


class UnknownServiceError(NotebookReplayError):
    def __init__(self, notebook: Path, known: list[str]):
        super().__init__(
            f"{notebook} does not say which service it calls, and imports none this project "
            "knows. Add to its notebook metadata "
            f'"notebook_replay": {{"service": "<one of {", ".join(known)}>"}}.'
        )


def pages() -> list[str]:
    """Every page name: notebooks/<page>.ipynb without a language suffix."""
    return sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb") if "." not in p.stem)


def notebook(page: str) -> Path:
    return NOTEBOOKS / f"{page}.ipynb"


def translations(page: str) -> list[Path]:
    return sorted(NOTEBOOKS.glob(f"{page}.*.ipynb"))


def service_of(page: str, known: list[str]) -> str:
    if page not in pages():
        raise UnknownPageError(page, pages())
    path = notebook(page)
    data = json.loads(path.read_text(encoding="utf-8"))
    declared = (data.get("metadata", {}).get("notebook_replay") or {}).get("service")
    if declared:
        if declared not in known:
            raise UnknownServiceError(path, known)
        return declared
    code = "\n".join(
        "".join(cell.get("source", ""))
        for cell in data.get("cells", [])
        if cell.get("cell_type") == "code"
    )
    imported = _IMPORT.findall(code)
    for prefix, service in SERVICE_IMPORTS:
        if any(name == prefix or name.startswith(prefix + ".") for name in imported):
            return service
    raise UnknownServiceError(path, known)
