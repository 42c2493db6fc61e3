"""Warnings on the pages name no machine paths: not the kernel's temporary cell files,
not where the environment is installed."""

from __future__ import annotations

import sys
import sysconfig
import warnings

import notebook_replay
from notebook_replay import warning_paths

SITE = sysconfig.get_paths()["purelib"]


def test_after_start_a_package_warning_names_the_file_inside_its_package(monkeypatch):
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)
    monkeypatch.delenv("NOTEBOOK_CASSETTES")  # the repository's cassettes
    notebook_replay.start("gradient")
    text = warnings.formatwarning(
        "could not extract text", UserWarning, f"{SITE}/langchain_oci/chat_models/x.py", 667, "x"
    )
    assert text.startswith("langchain_oci/chat_models/x.py:667: UserWarning: could not")
    assert SITE not in text and sys.prefix not in text


def test_a_warning_raised_in_a_notebook_cell_shows_as_the_cell_with_its_source_line(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)
    cell = tmp_path / "ipykernel_19720" / "3696457387.py"
    cell.parent.mkdir()
    cell.write_text("from langchain_community import thing\n")
    warning_paths.install()
    text = warnings.formatwarning("sunset", DeprecationWarning, str(cell), 1)
    assert text == "<cell>:1: DeprecationWarning: sunset\n  from langchain_community import thing\n"


def test_a_file_outside_every_import_path_is_left_as_it_is():
    assert warning_paths.shown("/opt/elsewhere/tool.py") == "/opt/elsewhere/tool.py"
