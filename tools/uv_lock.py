"""The versions in uv.lock, for the tools that show or pin them (install cells, the site's
package versions). Read as text, so it works on Python 3.10 without tomllib."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "uv.lock"


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def versions(lock: Path = LOCK) -> dict[str, list[str]]:
    """Every package in uv.lock, by normalized name: its locked version(s)."""
    found: dict[str, list[str]] = {}
    name = None
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line == "[[package]]":
            name = None
        elif line.startswith("name = ") and name is None:
            name = normalized(line.split('"')[1])
        elif line.startswith("version = ") and name:
            found.setdefault(name, []).append(line.split('"')[1])
            name = ""  # the package's own version, not a dependency's
    return found


def version(name: str, locked: dict[str, list[str]] | None = None) -> str | None:
    """The package's version in uv.lock (None when it is not there); where the lock holds
    several (one per Python version), the one this environment installed from it."""
    choices = (locked if locked is not None else versions()).get(normalized(name), [])
    if len(choices) <= 1:
        return choices[0] if choices else None
    installed = importlib.metadata.version(name)
    return installed if installed in choices else None
