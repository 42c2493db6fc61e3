"""The pages: every notebooks/<page>.ipynb is one, and it says which service it calls.

Nothing lists the pages by hand. A page's service comes from its notebook's metadata
(``"notebook_replay": {"service": "gradient"}``, which `make page` writes; a list for a
page that calls both), or else from what its code imports (``langchain_gradient`` →
gradient; ``langchain_oci``, ``oci`` or langchain-community's ``oci_generative_ai`` → oci;
both → "gradient+oci"). Translated twins are
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
    """The page's service, or services joined by "+" ("gradient+oci") for a page that calls
    more than one: as its metadata declares (a name, or a list of names), or else every
    service its code imports."""
    if page not in pages():
        raise UnknownPageError(page, pages())
    path = notebook(page)
    data = json.loads(path.read_text(encoding="utf-8"))
    declared = (data.get("metadata", {}).get("notebook_replay") or {}).get("service")
    if declared:
        names = [declared] if isinstance(declared, str) else list(declared)
        if not names or any(name not in known for name in names):
            raise UnknownServiceError(path, known)
        return "+".join(names)
    code = "\n".join(
        "".join(cell.get("source", ""))
        for cell in data.get("cells", [])
        if cell.get("cell_type") == "code"
    )
    imported = _IMPORT.findall(code)
    found: list[str] = []
    for prefix, service in SERVICE_IMPORTS:
        if service not in found and any(
            name == prefix or name.startswith(prefix + ".") for name in imported
        ):
            found.append(service)
    if not found:
        raise UnknownServiceError(path, known)
    return "+".join(found)
