"""A translated twin (notebooks/<page>.<lang>.ipynb) replays its original's cassette, so
everything but Markdown text must be the original's: cell ids, types, tags, code."""

from __future__ import annotations

from pathlib import Path

import nbformat


def structure(notebook) -> list:
    """What a translation must keep of its original: every cell's id, type and tags, and
    every code cell's source. Only markdown text may differ. (A path or a read notebook.)"""
    if isinstance(notebook, Path):
        notebook = nbformat.read(notebook, as_version=4)
    return [
        (
            cell.id,
            cell.cell_type,
            cell.metadata.get("tags", []),
            cell.source if cell.cell_type == "code" else None,
        )
        for cell in notebook.cells
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


def with_outputs_of(original, twin: Path):
    """The twin, read from disk, given the executed original's outputs cell for cell.

    A twin's code, tags and cell ids are its original's and it replays the same cassette,
    so its outputs are the original's: the recorder copies them instead of running the
    same code again in another kernel."""
    translated = nbformat.read(twin, as_version=4)
    difference = first_difference(structure(original), structure(translated))
    if difference:
        raise ValueError(f"{twin.parent.name}/{twin.name}: {difference[:400]}")
    for source, cell in zip(original.cells, translated.cells, strict=True):
        if cell.cell_type == "code":
            cell.outputs = source.outputs
            cell.execution_count = source.execution_count
    translated.metadata["language_info"] = original.metadata.get("language_info", {})
    return translated
