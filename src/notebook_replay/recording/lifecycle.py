"""Which models each page runs, read against the catalogs' lifecycle dates.

A page *runs* a model when a request in its cassette names it (Gradient's `model`, OCI's
`servingMode.modelId`, the OpenAI-compatible routes' `model`). The cells that run it are the
code cells naming the id in quotes. On a given day a model is retired, deprecated (its
retirement is announced) or active, from catalog/*.yaml (`Model.status_on`).

- A page that runs a model retired on that day is a *problem*, unless every cell naming it
  carries the tag `retired-model` (a cell about the lifecycle on purpose) and every recorded
  answer to it shows the retirement: an error, or OCI's `model-retirement-info` header of a
  model that was deprecated when recorded.
- A model that retires within WARN_DAYS is *soon*: the page still works, a reader should be
  told, and the page should move to the replacement.

tests/test_model_lifecycle.py runs this with today's date (the only check in the suite that
reads the calendar); the live canary (.github/workflows/canary.yml) lists the same findings.

    python -m notebook_replay.recording.lifecycle [--date YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import pages as page_list
from .. import provenance
from ..cassette import ReadableYaml
from ..emulators import catalog

DECLARED_TAG = "retired-model"
WARN_DAYS = 30
CASSETTES = page_list.REPO_ROOT / "cassettes"


@dataclass(frozen=True)
class Finding:
    page: str
    model: str
    cells: tuple[str, ...]  # ids of the code cells that name the model
    status: str  # retired | deprecated
    retired_on: str | None
    replacement: str | None
    declared: bool = False  # every cell naming it is tagged retired-model

    def __str__(self) -> str:
        where = (
            ", ".join(f"cell {c}" for c in self.cells)
            if self.cells
            else "no code cell names it literally"
        )
        when = f"on {self.retired_on}" if self.retired_on else "(date not published)"
        instead = f"; use {self.replacement} instead" if self.replacement else ""
        verb = "retired" if self.status == "retired" else "retires"
        return f"{self.page}: {self.model} {verb} {when} ({where}){instead}"


def known_models() -> dict[str, catalog.Model]:
    return {**catalog.gradient(), **catalog.oci()}


RETIREMENT_HEADER = "model-retirement-info"


def requested_models(cassette: Path) -> dict[str, list[bool]]:
    """Each model id the cassette's requests name, and for each answer whether it showed the
    retirement (an error status, or the model-retirement-info header)."""
    data = ReadableYaml.deserialize(cassette.read_text(encoding="utf-8"))
    found: dict[str, list[bool]] = {}
    for interaction in data.get("interactions") or []:
        try:
            model = provenance.model_named(json.loads(interaction["request"].get("body") or ""))
        except (ValueError, TypeError):
            continue
        if model:
            response = interaction["response"]
            headers = {k.lower() for k in response.get("headers") or {}}
            shown = int(response["status"]["code"]) >= 400 or RETIREMENT_HEADER in headers
            found.setdefault(model, []).append(shown)
    return found


def code_cells(notebook: Path) -> list[tuple[str, list[str], str]]:
    """(id, tags, source) of every code cell."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [
        (str(c.get("id")), list(c.get("metadata", {}).get("tags") or []), "".join(c["source"]))
        for c in cells
        if c["cell_type"] == "code"
    ]


def cells_naming(cells: list[tuple[str, list[str], str]], model: str) -> list[tuple[str, list]]:
    """(cell id, tags) of the code cells that name the model id in quotes."""
    quoted = re.compile(rf"""["']{re.escape(model)}["']""")
    return [(cell, tags) for cell, tags, source in cells if quoted.search(source)]


def findings(
    day: dt.date,
    pages: list[str] | None = None,
    notebooks: Path = page_list.NOTEBOOKS,
    cassettes: Path = CASSETTES,
    models: dict[str, catalog.Model] | None = None,
) -> tuple[list[Finding], list[Finding]]:
    """(problems, soon) on `day`: pages running a retired model outside a declared cell,
    and pages running a model that retires within WARN_DAYS."""
    models = known_models() if models is None else models
    names = (
        pages
        if pages is not None
        else sorted(p.stem for p in notebooks.glob("*.ipynb") if "." not in p.stem)
    )
    problems: list[Finding] = []
    soon: list[Finding] = []
    horizon = day + dt.timedelta(days=WARN_DAYS)
    for page in names:
        cassette = cassettes / f"{page}.yaml"
        if not cassette.exists():
            continue
        cells_of_page = code_cells(notebooks / f"{page}.ipynb")
        for model_id, shown in requested_models(cassette).items():
            model = models.get(model_id)
            if model is None:  # a dedicated endpoint's OCID, or an id the page shows refused
                continue
            cells = cells_naming(cells_of_page, model_id)
            declared = bool(cells) and all(DECLARED_TAG in tags for _, tags in cells)
            finding = Finding(
                page=page,
                model=model_id,
                cells=tuple(c for c, _ in cells),
                status=model.status_on(day),
                retired_on=model.retired_on,
                replacement=model.replacement,
                declared=declared,
            )
            if finding.status == "retired":
                if not (declared and all(shown)):
                    problems.append(finding)
            elif model.retired_on and model.retired_on <= horizon.isoformat() and not declared:
                soon.append(finding)
    return problems, soon


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args(argv)
    problems, soon = findings(args.date)
    if args.json:
        print(
            json.dumps(
                {
                    "date": args.date.isoformat(),
                    "retired": [f.__dict__ for f in problems],
                    "retiring_soon": [f.__dict__ for f in soon],
                },
                indent=2,
            )
        )
    else:
        for finding in problems:
            print(f"retired: {finding}")
        for finding in soon:
            print(f"retires within {WARN_DAYS} days: {finding}")
        if not problems and not soon:
            print(
                f"{args.date}: no page runs a retired model or one retiring within {WARN_DAYS} days"
            )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
