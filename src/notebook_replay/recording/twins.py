"""A translated twin (notebooks/<page>.<lang>.ipynb) replays its original's cassette, so
everything but Markdown text must be the original's: cell ids, types, tags, code."""

from __future__ import annotations

from pathlib import Path

import nbformat


def structure(path: Path) -> list:
    """What a translation must keep of its original: every cell's id, type and tags, and
    every code cell's source. Only markdown text may differ."""
    return [
        (
            cell.id,
            cell.cell_type,
            cell.metadata.get("tags", []),
            cell.source if cell.cell_type == "code" else None,
        )
        for cell in nbformat.read(path, as_version=4).cells
    ]


def first_difference(original: list, twin: list) -> str | None:
    for i, (a, b) in enumerate(zip(original, twin, strict=False)):
        if a != b:
            what = next(
                name
                for name, x, y in zip(("id", "type", "tags", "code"), a, b, strict=True)
                if x != y
            )
            return f"cell {i} (id {a[0]!r}) differs in its {what}: {a!r} != {b!r}"
    if len(original) != len(twin):
        return f"{len(original)} cells in the original, {len(twin)} in the translation"
    return None


def problems(original: Path, twins: list[Path]) -> list[str]:
    """One line per twin whose structure differs from the original's, naming both files."""
    found = []
    reference = structure(original)
    for twin in twins:
        difference = first_difference(reference, structure(twin))
        if difference:
            found.append(
                f"{twin.parent.name}/{twin.name} does not match "
                f"{original.parent.name}/{original.name}: {difference[:400]}"
            )
    return found
