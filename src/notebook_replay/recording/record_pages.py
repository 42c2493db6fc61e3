"""Re-record pages: `python -m notebook_replay.recording.record_pages [--emulated] [PAGE ...]`.

For each page, before anything is recorded: its translations' code must be the
original's. Then, into a staging folder (cassettes/.recording/<page>-…/), never over the
committed files:

1. run its notebook in record mode (against the real service, or with --emulated against
   the local emulator), checking after every cell that the emulator met no reply-script
   problem and that no output holds an `[ERROR]` chunk (unless the cell is tagged
   `raises-exception` or `expected-error`);
2. replay the staged cassette through the page; its translations, whose code is the
   page's, get the outputs of that replay (running the same code again would only repeat
   it).

Only when all of that succeeded are cassettes/<page>.yaml and its provenance replaced
(each by an atomic rename) and the notebooks' outputs stored. On any failure the
committed files are untouched, the message says so, and the staged recording is deleted
(KEEP_PARTIAL=1 keeps it and says where). `--outputs-only` records nothing: it refreshes
the stored outputs by replaying the committed cassettes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

from .. import pages, provenance
from ..cassette import write_atomically
from ..errors import NotebookReplayError
from ..session import cassette_dir, shown
from . import record_mode, run_notebook, twins
from .file_swap import FileSwap

EXPECTED_ERROR_TAGS = ("raises-exception", "expected-error")
KEEP_PARTIAL_VARIABLE = "KEEP_PARTIAL"


class RecordingFailed(NotebookReplayError):
    """Why a page was not recorded; the committed files are as they were."""


def pages_to_record(names: list[str]) -> list[str]:
    known = pages.pages()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RecordingFailed(f"No notebook for {', '.join(unknown)}; pages: {', '.join(known)}")
    return names or known


def translations_of(page: str) -> list[Path]:
    return pages.translations(page)


@contextlib.contextmanager
def emulator_environment(emulated: bool):
    """Yield (environment for the kernels, the emulator app or None)."""
    if not emulated:
        yield {}, None
        return
    from ..emulators import NAME, server
    from ..providers import OCI

    # The kernels inherit this throwaway OCI key; the emulator knows it as uploaded.
    OCI.prepare_offline()
    application = server.app()
    with server.serving(application) as address:
        yield (
            {
                record_mode.EMULATOR_VARIABLE: address,
                record_mode.EMULATOR_NAME_VARIABLE: NAME,
            },
            application,
        )


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _text_of(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return str(data.get("text/plain", "")) + str(output.get("evalue", ""))


def cell_checker(page: str, application=None):
    """The check run after each cell: refuse what is not an answer."""
    seen = len(_problems(application))

    def check(cell) -> None:
        nonlocal seen
        problems = _problems(application)
        new, seen = problems[seen:], len(problems)
        if any(tag in _tags(cell) for tag in EXPECTED_ERROR_TAGS):
            return
        if new:
            described = "; ".join(
                f"{p.get('kind', 'problem')} for prompt {p.get('prompt')!r}"
                f" ({p.get('service', '?')}, {p.get('model', '?')}): {p.get('detail', '')}"
                for p in new
            )
            raise RecordingFailed(
                f"{page}, cell {cell.get('id')!r}: the emulator's reply script could not "
                f"answer: {described[:600]}. Add or fix the reply in "
                f"src/notebook_replay/emulators/replies/{page}.yaml."
            )
        for output in cell.get("outputs", []):
            text = _text_of(output)
            if "[ERROR]" in text:
                line = next(x for x in text.splitlines() if "[ERROR]" in x)
                raise RecordingFailed(
                    f"{page}, cell {cell.get('id')!r}: an output holds an [ERROR] chunk "
                    f"({line.strip()[:200]}), an error streamed as if it were the answer. "
                    "Fix the cause, or tag the cell `expected-error` if the page shows it "
                    f"on purpose. Prompt/code: {cell.get('source', '')[:200]!r}"
                )

    return check


def _problems(application) -> list:
    if application is None:
        return []
    return list(application.state.problems)


def _complete_provenance(staged: Path, application) -> None:
    """Add what only the recorder knows: the emulator's assumed behaviours the page used."""
    path = provenance.provenance_path(staged)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    if not isinstance(data, dict):
        raise RecordingFailed(f"the recording wrote no provenance beside {staged.name}")
    if application is not None:
        from ..emulators import ledger

        data["assumed"] = ledger.assumed(application.state.ledger_used)
    write_atomically(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def write_fidelity_report(staged: Path) -> tuple[Path, Path]:
    """A live recording compared, request by request, with what the emulator answers
    (recording/fidelity.py): <page>.fidelity.md and .json beside the staged cassette."""
    from ..emulators import server
    from . import fidelity

    return fidelity.write_report(staged, server.app())


def _promote(staging: Path, page: str, committed: Path, notebooks=()) -> None:
    """Replace the committed files by the staged ones in one FileSwap: a live recording's
    fidelity report, the cassette, its provenance and the notebooks' outputs (`notebooks`:
    (path, executed notebook) pairs) are all written beside their targets first, then
    renamed together, or none is."""
    staged = staging / f"{page}.yaml"
    reports = [staging / f"{page}.fidelity.json", staging / f"{page}.fidelity.md"]
    with FileSwap() as swap:
        for source in [
            *(r for r in reports if r.exists()),
            staged,
            provenance.provenance_path(staged),
        ]:
            swap.stage_file(source, committed / source.name)
        for path, executed in notebooks:
            swap.stage_text(path, run_notebook.render(executed))
        swap.commit()


def _staging_root(committed: Path) -> Path:
    root = committed / ".recording"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_recordings(root: Path, page: str) -> list[Path]:
    """Staging folders (<page>-<pid>-…) left by a recorder that was killed outright: its
    process is gone and nobody asked to keep them. Kept ones are named <page>-kept-…."""
    removed = []
    for folder in sorted(root.glob(f"{page}-*-*")) if root.is_dir() else []:
        pid = folder.name[len(page) + 1 :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _run(path: Path, mode: str, env: dict, check) -> object:
    try:
        return run_notebook.execute(path, mode, env, after_cell=check)
    except RecordingFailed:
        raise
    except Exception as problem:  # nbclient's CellExecutionError, a dead kernel, …
        cell = getattr(problem, "cell_id", None)
        text = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(problem)).split())
        where = f"cell {cell!r}: " if cell else ""
        raise RecordingFailed(
            f"{pages.NOTEBOOKS.name}/{path.name} ({mode}): {where}{text[-700:]}"
        ) from None


def _replayed_with_twins(page: str, env: dict) -> list[tuple[Path, object]]:
    """The page replayed once, and each translation with that replay's outputs."""
    original = pages.notebook(page)
    executed = _run(original, "replay", env, cell_checker(page))
    replayed = [(original, executed)]
    for twin in translations_of(page):
        try:
            replayed.append((twin, twins.with_outputs_of(executed, twin)))
        except ValueError as changed:
            raise RecordingFailed(f"{changed}; it changed during the run") from None
    return replayed


def record_page(
    page: str, *, emulated: bool, keep_partial: bool, store_outputs: bool = True
) -> None:
    """Record `page` into a staging folder and, when everything succeeded, replace its
    cassette and provenance in cassette_dir() and (with store_outputs) the notebooks'
    outputs. The live canary (tools/canary.py) records without storing outputs."""
    committed = cassette_dir()
    try:
        root = _staging_root(committed)
        for stale in remove_stale_recordings(root, page):
            print(f"removed {shown(stale)}, left by a recording that was killed", flush=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{page}-{os.getpid()}-", dir=root))
    except OSError as problem:
        raise RecordingFailed(
            f"Recording {page} cannot start: {shown(committed)} is not writable "
            f"({problem.strerror or problem}). Nothing was recorded or changed; make the "
            "folder writable (or point NOTEBOOK_CASSETTES at one that is) and record again."
        ) from None
    succeeded = False
    try:
        with emulator_environment(emulated) as (env, application):
            mode = "emulated" if emulated else "live"
            print(f"recording {page} ({mode}) into {shown(staging)} …", flush=True)
            env = {**env, record_mode.RECORD_INTO_VARIABLE: str(staging)}
            _run(pages.notebook(page), "record", env, cell_checker(page, application))
            _complete_provenance(staging / f"{page}.yaml", application)
        if not emulated:
            for report in write_fidelity_report(staging / f"{page}.yaml"):
                print(f"  compared with the emulator: {shown(committed / report.name)}")
        print(f"  replaying {page}.ipynb from the new recording …", flush=True)
        replayed = _replayed_with_twins(page, {"NOTEBOOK_CASSETTES": str(staging)})
        _promote(staging, page, committed, replayed if store_outputs else ())
        outputs = (
            f" and the outputs of {', '.join(n.name for n, _ in replayed)}" if store_outputs else ""
        )
        print(f"  wrote {shown(committed / page)}.yaml, its provenance{outputs}")
        succeeded = True
    except (RecordingFailed, NotebookReplayError, OSError) as problem:
        if keep_partial:
            kept_as = staging.with_name(staging.name.replace(f"-{os.getpid()}-", "-kept-", 1))
            staging = staging.rename(kept_as)
        kept = (
            f"The partial recording is kept in {shown(staging)}."
            if keep_partial
            else f"The partial recording was deleted ({KEEP_PARTIAL_VARIABLE}=1 keeps it)."
        )
        raise RecordingFailed(
            f"Recording {page} failed: {problem}\nNothing was changed: "
            f"{shown(committed / page)}.yaml, its provenance and the notebooks are as "
            f"they were. {kept}"
        ) from None
    finally:
        if succeeded or not keep_partial:
            shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            staging.parent.rmdir()  # only when empty


def refresh_outputs(page: str) -> None:
    """Replay the committed cassette through the page; store its outputs, and its
    translations', only when the replay ran."""
    try:
        replayed = _replayed_with_twins(page, {})
    except RecordingFailed as problem:
        raise RecordingFailed(
            f"Refreshing the outputs of {page} failed: {problem}\nNothing was changed: "
            "the notebooks are as they were."
        ) from None
    for notebook, executed in replayed:
        run_notebook.write(executed, notebook)
        print(f"  wrote the outputs of {notebook.parent.name}/{notebook.name}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emulated", action="store_true", help="record against the emulator")
    parser.add_argument(
        "--outputs-only",
        action="store_true",
        help="record nothing: refresh the stored outputs by replaying the existing cassettes",
    )
    parser.add_argument(
        "pages", nargs="*", help="page names (default: $PAGE, as make passes it, or all)"
    )
    args = parser.parse_args(argv)
    args.pages = args.pages or os.environ.get("PAGE", "").split()
    keep_partial = os.environ.get(KEEP_PARTIAL_VARIABLE, "") not in ("", "0")
    try:
        names = pages_to_record(args.pages)
        mismatched = [
            line
            for name in names
            for line in twins.problems(pages.notebook(name), translations_of(name))
        ]
        if mismatched:
            raise RecordingFailed(
                "A translation's code must be its original's (only Markdown may differ):\n  "
                + "\n  ".join(mismatched)
                + "\nCopy the original's cells into the translation, then run this again. "
                "Nothing was recorded."
            )
        for name in names:
            if args.outputs_only:
                refresh_outputs(name)
            else:
                record_page(name, emulated=args.emulated, keep_partial=keep_partial)
    except RecordingFailed as failure:
        print(f"\n{failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
