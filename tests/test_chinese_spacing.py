"""Chinese pages have no stray spaces inside sentences: a source line break (or a space)
between two CJK characters renders as a space ("使用 该服务")."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import cjk_line_breaks  # noqa: E402

CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"  # ideographs and CJK punctuation
# A soft line break (one newline, not a blank line) or plain spaces between two of them.
STRAY = re.compile(f"([{CJK}])([ \t]*\n[ \t]*|[ \t]+)(?=[{CJK}])")


def prose(markdown: str) -> str:
    """The Markdown without code blocks and code spans (where spacing is meant)."""
    markdown = re.sub(
        r"(?ms)^\s*(```|~~~).*?^\s*\1", lambda m: "\n" * m.group(0).count("\n"), markdown
    )
    return re.sub(r"`[^`\n]*`", "`x`", markdown)


def stray_spaces(markdown: str) -> list[str]:
    text = prose(markdown)
    found = []
    for match in STRAY.finditer(text):
        line = text[: match.start()].rsplit("\n", 1)[-1]
        if "\n" in match.group(2) and line.lstrip().startswith("#"):
            continue  # a heading ends its block: the next line is not joined to it
        found.append(text[max(0, match.start() - 10) : match.end() + 10].replace("\n", "⏎"))
    return found


def markdown_of(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    return [path.read_text(encoding="utf-8")]


FILES = [*sorted((REPO / "docs").glob("*.zh.md")), *sorted((REPO / "notebooks").glob("*.zh.ipynb"))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_space_between_two_chinese_characters(path):
    found = [hit for text in markdown_of(path) for hit in stray_spaces(text)]
    assert not found, f"{path.name}: run tools/cjk_line_breaks.py on it: {found[:8]}"


PLANTED = """## 标题
正文第一行没有问题。

这一行在中间
断开了，还有 空格。

```python
print("代码 里的 空格")
```

`代码 片段` 与 Latin 混排，
Latin 开头的一行也没问题。"""


def test_the_check_finds_soft_breaks_and_spaces_but_not_code_headings_or_mixed_text():
    found = stray_spaces(PLANTED)
    assert len(found) == 2, found
    assert "在中间⏎断开" in found[0] and "还有 空格" in found[1]


def test_the_tool_joins_exactly_what_the_check_finds():
    fixed = cjk_line_breaks.joined(PLANTED)
    assert stray_spaces(fixed) == []
    assert "这一行在中间断开了，还有空格。" in fixed
    assert 'print("代码 里的 空格")' in fixed
    assert "`代码 片段` 与 Latin 混排，\nLatin 开头的一行也没问题。" in fixed
    assert cjk_line_breaks.joined(fixed) == fixed
