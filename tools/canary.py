"""The live canary: record the pages against the real services, never committing anything,
and say what changed out there (.github/workflows/canary.yml runs it on a schedule).

For each page whose services have credentials in the environment (DigitalOcean:
DIGITALOCEAN_INFERENCE_KEY; OCI: an OCI config file and OCI_COMPARTMENT_ID), it records the
page as `make record` does, but into OUT/cassettes (a copy of cassettes/), so the recorder's
fidelity reports (<page>.fidelity.json and .md: every answer compared with the emulator's)
land there too. Then it writes OUT/summary.md and OUT/summary.json:

- retired models: a recording that failed on a model the service no longer serves, and the
  pages that run a model the catalogs date as retired (or retiring within 30 days);
- contradictions: the ledger entries a real answer contradicted (the fidelity reports'
  "to review");
- pages that failed to record for any other reason, with the recorder's message.

Without credentials it records nothing and says so. It exits 0 whenever it ran (summary.json's
`act` tells the workflow whether to open or update its issue), and 2 when it cannot run at
all (an unknown page, say).

    .venv/bin/python tools/canary.py [--out .artifacts/canary] [--emulated] [PAGE ...]

--emulated records against the local emulator instead (no credentials needed): how
`make test` exercises this path.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import sys
from pathlib import Path

from notebook_replay import pages
from notebook_replay.errors import NotebookReplayError
from notebook_replay.providers import SERVICES
from notebook_replay.recording import lifecycle, record_pages

REPO = Path(__file__).resolve().parents[1]
# How the services word a model they no longer serve (ledger: oci.error.retired-model,
# gradient.error.model-not-found).
RETIRED_WORDS = re.compile(
    r"Model (?P<oci>\S+) \S+ is retired|Model (?P<openai>\S+) is retired"
    r"|The model `(?P<gradient>[^`]+)` does not exist"
)


def missing_credentials() -> dict[str, str]:
    """For each service this environment cannot call live, what it lacks: the provider's
    credential variables (providers.SERVICES), then its own live check (OCI: a config)."""
    missing = {}
    for service, provider in SERVICES.items():
        unset = [c.variable for c in provider.credentials if not os.environ.get(c.variable)]
        if unset:
            missing[service] = " and ".join(unset)
            continue
        try:
            provider.check_live()
        except NotebookReplayError as problem:
            missing[service] = str(problem).split(". ")[0]  # its first sentence
    return missing


def services_of(page: str) -> list[str]:
    return pages.service_of(page, sorted(SERVICES)).split("+")


@contextlib.contextmanager
def cassettes_in(folder: Path):
    """Recordings land in `folder` (a copy of cassettes/), not in cassettes/."""
    shutil.copytree(REPO / "cassettes", folder, dirs_exist_ok=True)
    saved = os.environ.get("NOTEBOOK_CASSETTES")
    os.environ["NOTEBOOK_CASSETTES"] = str(folder)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("NOTEBOOK_CASSETTES", None)
        else:
            os.environ["NOTEBOOK_CASSETTES"] = saved


def retired_in(message: str) -> list[str]:
    return sorted(
        {next(v for v in m.groupdict().values() if v) for m in RETIRED_WORDS.finditer(message)}
    )


def contradictions(folder: Path) -> dict[str, dict]:
    """{page: {ledger id: [interactions]}} from the fidelity reports in `folder`."""
    found = {}
    for report in sorted(folder.glob("*.fidelity.json")):
        data = json.loads(report.read_text(encoding="utf-8"))
        if data.get("to_review"):
            found[report.name.split(".")[0]] = data["to_review"]
    return found


def summary(result: dict) -> str:
    lines = [f"# Live canary, {result['date']}", ""]
    if not result["recorded"] and not result["failed"]:
        lines += [result["note"], ""]
    else:
        lines += [
            f"Recorded {', '.join(result['recorded']) or 'no page'} "
            f"({'the local emulator' if result['emulated'] else 'the real services'}).",
            "",
        ]
    if result["skipped"]:
        lines += [f"Not recorded, no credentials: {', '.join(result['skipped'])}.", ""]
    lines += ["## Retired models", ""]
    retired = result["retired_errors"]
    lines += [f"- {page}: the service refused {', '.join(ids)} as retired or unknown"
              for page, ids in retired.items()]  # fmt: skip
    lines += [f"- {f}" for f in result["lifecycle"]["retired"]]
    lines += [f"- soon: {f}" for f in result["lifecycle"]["retiring_soon"]]
    if not (retired or result["lifecycle"]["retired"] or result["lifecycle"]["retiring_soon"]):
        lines.append("- none")
    lines += ["", "## Answers that contradict the ledger", ""]
    for page, entries in result["contradictions"].items():
        lines += [
            f"- {page}: `{k}` (interactions {', '.join(map(str, v))})" for k, v in entries.items()
        ]
    if not result["contradictions"]:
        lines.append("- none")
    lines += ["", "## Pages that failed to record", ""]
    lines += [f"- {page}: {why.splitlines()[0][:500]}" for page, why in result["failed"].items()]
    if not result["failed"]:
        lines.append("- none")
    return "\n".join(lines) + "\n"


def run(out: Path, names: list[str], emulated: bool, today: dt.date) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    lacking = missing_credentials()
    wanted = record_pages.pages_to_record(names)
    ready = [p for p in wanted if emulated or not set(services_of(p)) & set(lacking)]
    skipped = [p for p in wanted if p not in ready]
    recorded, failed, retired_errors = [], {}, {}
    folder = out / "cassettes"
    with cassettes_in(folder):
        for page in ready:
            try:
                record_pages.record_page(
                    page, emulated=emulated, keep_partial=False, store_outputs=False
                )
                recorded.append(page)
            except record_pages.RecordingFailed as problem:
                failed[page] = str(problem)
                if retired_in(str(problem)):
                    retired_errors[page] = retired_in(str(problem))
    problems, soon = lifecycle.findings(today)
    missing = [f"{service} ({what})" for service, what in lacking.items()]
    result = {
        "date": today.isoformat(),
        "emulated": emulated,
        "recorded": recorded,
        "skipped": skipped,
        "failed": failed,
        "retired_errors": retired_errors,
        "lifecycle": {
            "retired": [str(f) for f in problems],
            "retiring_soon": [str(f) for f in soon],
        },
        "contradictions": contradictions(folder),
        "note": (
            "No credentials for "
            + " or ".join(missing)
            + ": nothing was recorded live. Add them as repository secrets to run the canary."
        )
        if missing and not emulated
        else "",
    }
    result["act"] = bool(failed or retired_errors or problems or soon or result["contradictions"])
    (out / "summary.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (out / "summary.md").write_text(summary(result), encoding="utf-8")
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / ".artifacts" / "canary")
    parser.add_argument("--emulated", action="store_true", help="record against the emulator")
    parser.add_argument("pages", nargs="*", help="page names (default: all)")
    args = parser.parse_args(argv)
    try:
        result = run(args.out, args.pages, args.emulated, dt.date.today())
    except record_pages.RecordingFailed as problem:  # an unknown page name, say
        print(f"canary: {problem}", file=sys.stderr)
        return 2
    print((args.out / "summary.md").read_text(encoding="utf-8"))
    print(f"act={'true' if result['act'] else 'false'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
