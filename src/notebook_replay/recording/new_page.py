"""`make page NAME=<page> SERVICE=<gradient|oci>`: scaffold a new page that passes the
suite as it is: the notebook and its Chinese twin (same code, cell ids and tags), a
reply script for the prompt it sends. The site's navigation lists it by itself
(tools/site_hooks.py derives the nav from the notebooks); a tutorial says so in its
metadata, `"notebook_replay": {"section": "tutorials"}`.

Record it next (`make record-emulated PAGE=<page>`), then grow it one section at a time.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbformat

from ..pages import NOTEBOOKS, REPO_ROOT
from ..providers import SERVICES

REPLIES = REPO_ROOT / "src" / "notebook_replay" / "emulators" / "replies"

_MODEL = {
    "gradient": (
        "from langchain_gradient import ChatGradient\n\n"
        'llm = ChatGradient(model="llama3.3-70b-instruct")'
    ),
    "oci": (
        "import os\n\nfrom langchain_oci import ChatOCIGenAI\n\nllm = ChatOCIGenAI(\n"
        '    model_id="cohere.command-a-03-2025",\n'
        '    service_endpoint="https://inference.generativeai.us-chicago-1.oci.oraclecloud.com",\n'
        '    compartment_id=os.environ["OCI_COMPARTMENT_ID"],\n)'
    ),
}

_START = """# This page replays recorded answers by default: no key and no network needed.
# NOTEBOOK_MODE=live calls the real service; see "How the pages run" in the README.
try:
    from notebook_replay import start
except ImportError:  # opened outside the repository, e.g. downloaded from the website
    print("notebook_replay is not installed: this page runs live against the real service.")
else:
    start("{name}")"""

_TEXT = {
    "en": {
        "title": "# {title}\n\nWhat this page teaches, in two sentences.",
        "features": (
            "### Model features\n\nEach mark links to the cell on this page that shows it.\n\n"
            "| Feature | Supported |\n| :--- | :---: |\n| Invocation | [✅](#invocation) |"
        ),
        "invocation": "## Invocation",
    },
    "zh": {
        "title": "# {title}\n\n（待翻译）本页内容简介。",
        "features": (
            '### 模型功能 <a id="model-features"></a>\n\n'
            "每个标记都链接到本页演示该功能的单元格。\n\n"
            "| 功能 | 支持 |\n| :--- | :---: |\n| 调用 | [✅](#invocation) |"
        ),
        "invocation": '## 调用 <a id="invocation"></a>',
    },
}


def prompt(name: str) -> str:
    # Reply scripts are shared by all pages: the page's name keeps its prompt its own.
    return f"Say hello to the readers of the {name} page."


def notebook(name: str, service: str, language: str):
    text = {key: value.format(title=name) for key, value in _TEXT[language].items()}
    new = nbformat.v4
    cells = [
        new.new_markdown_cell(text["title"], id="title"),
        new.new_code_cell(_START.format(name=name), id="run-mode"),
        new.new_markdown_cell(text["features"], id="features"),
        new.new_markdown_cell(text["invocation"], id="invocation"),
        new.new_code_cell(_MODEL[service], id="model"),
        new.new_code_cell(f"print(llm.invoke({prompt(name)!r}).content)", id="invoke"),
    ]
    cells[1].metadata["tags"] = ["remove-input"]
    return new.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "notebook_replay": {"service": service},
        },
    )


def scaffold(name: str, service: str) -> list[Path]:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        raise SystemExit(f"NAME={name!r}: use lower case letters, digits and underscores.")
    if service not in SERVICES:
        raise SystemExit(f"SERVICE={service!r}: use one of {', '.join(sorted(SERVICES))}.")
    original = NOTEBOOKS / f"{name}.ipynb"
    replies = REPLIES / f"{name}.yaml"
    for path in (original, replies):
        if path.exists():
            raise SystemExit(f"{path.relative_to(REPO_ROOT)} already exists: nothing written.")
    written = []
    for language, path in (("en", original), ("zh", NOTEBOOKS / f"{name}.zh.ipynb")):
        nbformat.write(notebook(name, service, language), path)
        written.append(path)
    replies.write_text(
        f"# What the emulator says on the {name} page (notebooks/{name}.ipynb).\n"
        "# Format: see src/notebook_replay/emulators/replies.py.\n"
        f'- prompt: "{prompt(name)}"\n'
        f'  reply: "Hello from the {name} page: this answer is the local emulator\'s."\n',
        encoding="utf-8",
    )
    written.append(replies)
    return written  # the site's nav is derived from the notebooks (tools/site_hooks.py)


def main(argv: list[str]) -> int:
    # `make page NAME=… SERVICE=…` passes both through the environment, not a command line.
    argv = argv or [os.environ.get("NAME", ""), os.environ.get("SERVICE", "")]
    if len(argv) != 2 or not all(argv):
        raise SystemExit("usage: make page NAME=<page> SERVICE=<gradient|oci>")
    for path in scaffold(*argv):
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    print(f"next: make record-emulated PAGE={argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
