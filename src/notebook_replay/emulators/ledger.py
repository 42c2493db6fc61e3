"""The evidence ledger: what the emulators do, and how we know it, as data.

ledger/gradient.yaml and ledger/oci.yaml list every behaviour the emulators implement,
each with an id, a sentence saying what happens,
`status: evidenced | contract | assumed | own` (see STATUSES), and its evidence (SDK
model or source, integration-package source, vendor doc with the date read, public
recording or report). The code marks each behaviour where it implements it:

    ledger.use(request, "oci.error.not-found")

which records the id in `app.state.ledger_used` (a set), so a recording can say which
assumed behaviours its page relied on. Ids are literal strings at the call site, so
code_of() finds the modules that implement an entry (the website page shows them beside
it) and tests/test_ledger.py checks that every id used exists and every entry is used.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

FOLDER = Path(__file__).with_name("ledger")
CODE = Path(__file__).parent  # the emulator package: gradient/, oci/ and the shared modules
_ID = re.compile(r"""["']((?:gradient|oci)\.[a-z][a-z0-9.-]*)["']""")
SERVICES = ("gradient", "oci")
# evidenced: a source shows the service does this; contract: the OpenAI-compatible
# contract (the openai SDK's types), which the service says it follows, not observed on it;
# assumed: nothing public shows it (a gap a real recording can close); own: the emulator's
# own by design (its vectors, scores, fixed timestamps), a stand-in no page presents as the
# service's.
STATUSES = ("evidenced", "contract", "assumed", "own")
KINDS = ("sdk", "package", "vendor-doc", "recording", "report")


@functools.cache
def entries() -> dict[str, dict]:
    """Every ledger entry by id, each with the `service` it belongs to."""
    found: dict[str, dict] = {}
    for service in SERVICES:
        data = yaml.safe_load((FOLDER / f"{service}.yaml").read_text(encoding="utf-8")) or []
        for entry in data:
            if entry["id"] in found:
                raise ValueError(f"ledger id {entry['id']} appears twice")
            found[entry["id"]] = {**entry, "service": service}
    return found


def use(where, *ids: str) -> None:
    """Record that a request relied on these behaviours. `where` is a Starlette request
    (or the app itself)."""
    app = getattr(where, "app", where)
    app.state.ledger_used.update(ids)


def assumed(used: set[str]) -> list[dict]:
    """The assumed entries among `used`, as {id, behaviour}, for a cassette's provenance."""
    table = entries()
    return [
        {"id": i, "behaviour": table[i]["behaviour"]}
        for i in sorted(used)
        if i in table and table[i]["status"] == "assumed"
    ]


@functools.cache
def code_of() -> dict[str, tuple[str, ...]]:
    """For each ledger id the code marks, the modules that mark it (paths relative to the
    emulator package, e.g. 'oci/chat.py')."""
    where: dict[str, set[str]] = {}
    for path in sorted(CODE.rglob("*.py")):
        if path.name == "ledger.py":  # its docstring's example is not a use
            continue
        for found in _ID.findall(path.read_text(encoding="utf-8")):
            if found in entries():
                where.setdefault(found, set()).add(path.relative_to(CODE).as_posix())
    return {i: tuple(sorted(paths)) for i, paths in where.items()}
