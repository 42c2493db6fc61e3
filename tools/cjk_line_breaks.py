"""Join Chinese source lines that a Markdown renderer would join with a stray space.

    .venv/bin/python tools/cjk_line_breaks.py [--check] docs/index.zh.md notebooks/x.zh.ipynb

A soft line break inside a paragraph renders as a space: `使用\\n该服务` reads "使用 该服务".
This removes the break (and any plain space) between two CJK characters in prose, outside
code blocks and code spans; a heading line is left alone (the next line starts a new block).
For a notebook only its Markdown cells change. `--check` writes nothing and exits 1 when a
file would change. tests/test_chinese_spacing.py finds the same thing independently.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_ENDS_CJK = re.compile(f"[{CJK}]$")
_STARTS_CJK = re.compile(f"^[ \t]*[{CJK}]")
_SPACED = re.compile(f"(?<=[{CJK}])[ \t]+(?=[{CJK}])")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _outside_code_spans(line: str, fix) -> str:
    parts = re.split(r"(`[^`]*`)", line)
    return "".join(part if part.startswith("`") else fix(part) for part in parts)


def joined(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    fenced = False
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
            out.append(line)
            continue
        if fenced:
            out.append(line)
            continue
        line = _outside_code_spans(line, lambda part: _SPACED.sub("", part))
        previous = out[-1] if out else None
        if (
            previous is not None
            and _ENDS_CJK.search(previous)
            and _STARTS_CJK.match(line)
            and not previous.lstrip().startswith("#")
        ):
            out[-1] = previous + line.lstrip(" \t")
        else:
            out.append(line)
    return "\n".join(out)


def fix_file(path: Path, write: bool) -> bool:
    if path.suffix == ".ipynb":
        import nbformat

        notebook = nbformat.read(path, as_version=4)
        changed = False
        for cell in notebook.cells:
            if cell.cell_type == "markdown" and joined(cell.source) != cell.source:
                cell.source = joined(cell.source)
                changed = True
        if changed and write:
            nbformat.write(notebook, path)
        return changed
    text = path.read_text(encoding="utf-8")
    if joined(text) == text:
        return False
    if write:
        path.write_text(joined(text), encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    changed = [path for path in args.files if fix_file(path, write=not args.check)]
    for path in changed:
        print(f"{'would join lines in' if args.check else 'joined lines in'}: {path}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
