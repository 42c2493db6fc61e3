"""Scan folders for anything that looks like a secret: `python -m ... cassettes notebooks`.

Run by `make test`; the cassette writer runs the same patterns before every write.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..scrub import find_secrets


def scan(paths: list[Path]) -> list[str]:
    findings = []
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            for kind, excerpt in find_secrets(text):
                findings.append(f"{path}: {kind}: {excerpt}")
    return findings


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [Path("cassettes"), Path("notebooks")]
    findings = scan(paths)
    for line in findings:
        print(line)
    shown = ", ".join(str(p) for p in paths)
    if findings:
        print(f"secret scan: {len(findings)} possible secret(s) in {shown}. Scrub them.")
        return 1
    print(f"secret scan: nothing secret-looking in {shown}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
