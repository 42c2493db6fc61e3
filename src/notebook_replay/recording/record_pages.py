"""Re-record pages: `python -m notebook_replay.recording.record_pages [--emulated] [PAGE ...]`.

For each page: run its notebook in record mode (against the real service, or with
--emulated against the local emulator) to write cassettes/<page>.yaml and its provenance;
then run it again in replay mode and store those outputs in the notebook, so the page
shows exactly what a replay produces and nbval checks. Translated twins
(notebooks/<page>.<lang>.ipynb, same code, same cassette) get their outputs the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from ..session import REPO_ROOT
from . import record_mode, run_notebook

NOTEBOOKS = REPO_ROOT / "notebooks"


def pages_to_record(names: list[str]) -> list[Path]:
    notebooks = {p.stem: p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if "." not in p.stem}
    unknown = [n for n in names if n not in notebooks]
    if unknown:
        raise SystemExit(f"No notebook for {', '.join(unknown)}; pages: {', '.join(notebooks)}")
    return [notebooks[n] for n in names] if names else list(notebooks.values())


def translations_of(page: Path) -> list[Path]:
    return sorted(page.parent.glob(f"{page.stem}.*.ipynb"))


@contextlib.contextmanager
def emulator_environment(emulated: bool):
    if not emulated:
        yield {}
        return
    from ..emulators import NAME, server
    from ..providers import OCI

    # The kernels inherit this throwaway OCI key; the emulator knows it as uploaded.
    OCI.prepare_offline()
    with server.serving(server.app()) as address:
        yield {
            record_mode.EMULATOR_VARIABLE: address,
            record_mode.EMULATOR_NAME_VARIABLE: NAME,
        }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emulated", action="store_true", help="record against the emulator")
    parser.add_argument(
        "--outputs-only",
        action="store_true",
        help="record nothing: refresh the stored outputs by replaying the existing cassettes",
    )
    parser.add_argument("pages", nargs="*", help="page names (default: all)")
    args = parser.parse_args(argv)
    for path in pages_to_record(args.pages):
        if not args.outputs_only:
            with emulator_environment(args.emulated) as env:
                print(f"recording {path.stem} ({'emulated' if args.emulated else 'live'}) …")
                run_notebook.execute(path, "record", env)
            print(f"  wrote cassettes/{path.stem}.yaml")
        for page in [path, *translations_of(path)]:
            run_notebook.write(run_notebook.execute(page, "replay"), page)
            print(f"  wrote the outputs of {page.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
