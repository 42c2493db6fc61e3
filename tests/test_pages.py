"""Pages are found, not listed: each notebook says which service it calls."""

from __future__ import annotations

import json

import nbformat
import pytest

from notebook_replay import pages
from notebook_replay.errors import UnknownPageError
from notebook_replay.recording import new_page, run_notebook


@pytest.fixture
def notebooks(monkeypatch, tmp_path):
    monkeypatch.setattr(pages, "NOTEBOOKS", tmp_path)
    return tmp_path


def write(folder, name: str, code: str, metadata: dict | None = None) -> None:
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(code, id="c")], metadata=metadata or {}
    )
    nbformat.write(notebook, folder / f"{name}.ipynb")


def test_a_pages_service_comes_from_its_metadata_or_else_its_imports(notebooks):
    write(notebooks, "declared", "x = 1", {"notebook_replay": {"service": "oci"}})
    write(notebooks, "grad", "from langchain_gradient import ChatGradient")
    write(notebooks, "community", "from langchain_community.chat_models.oci_generative_ai import X")
    write(notebooks, "native", "import oci\nfrom langchain_oci import ChatOCIGenAI")
    write(notebooks, "grad.zh", "from langchain_gradient import ChatGradient")  # a twin
    known = ["gradient", "oci"]
    assert pages.pages() == ["community", "declared", "grad", "native"]
    assert [pages.service_of(p, known) for p in pages.pages()] == ["oci", "oci", "gradient", "oci"]
    assert pages.translations("grad") == [notebooks / "grad.zh.ipynb"]


def test_a_page_that_names_no_known_service_says_what_to_add(notebooks):
    write(notebooks, "mystery", "import requests")
    with pytest.raises(pages.UnknownServiceError, match='"notebook_replay": {"service"'):
        pages.service_of("mystery", ["gradient", "oci"])
    with pytest.raises(UnknownPageError, match="notebooks/absent.ipynb does not exist"):
        pages.service_of("absent", ["gradient", "oci"])


def test_the_scaffolded_twins_share_code_ids_and_tags():
    from notebook_replay.recording.twins import first_difference

    def shape(notebook):
        return [
            (
                c.id,
                c.cell_type,
                c.metadata.get("tags", []),
                c.source if c.cell_type == "code" else 0,
            )
            for c in notebook.cells
        ]

    for service in ("gradient", "oci"):
        en, zh = (new_page.notebook("p", service, lang) for lang in ("en", "zh"))
        assert first_difference(shape(en), shape(zh)) is None
        assert en.metadata["notebook_replay"] == {"service": service}
        nbformat.validate(en)


RUN_ID = "0a1b2c3d-0000-1111-2222-333344445555"


def test_stored_outputs_merge_consecutive_streams_and_hide_run_ids():
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "one|"},
        {"output_type": "stream", "name": "stdout", "text": "two|\n"},
        {"output_type": "stream", "name": "stderr", "text": "warn\n"},
        {
            "output_type": "execute_result",
            "data": {
                "text/plain": "AIMessage(id='lc_run--0a1b2c3d-0000-1111-2222-333344445555-0')"
            },
            "metadata": {},
            "execution_count": 1,
        },
    ]
    stored = run_notebook.stable_outputs(outputs)
    assert [o["output_type"] for o in stored] == ["stream", "stream", "execute_result"]
    assert stored[0]["text"] == "one|two|\n"
    assert "lc_run--<run-id>-0" in json.dumps(stored[2])


def test_make_page_refuses_an_existing_page_a_bad_name_or_an_unknown_service():
    before = sorted(p.name for p in pages.NOTEBOOKS.iterdir())
    for name, service, problem in [
        ("gradient", "gradient", "already exists: nothing written"),
        ("Bad-Name", "gradient", "lower case letters"),
        ("fresh", "bedrock", "use one of gradient, oci"),
    ]:
        with pytest.raises(SystemExit, match=problem):
            new_page.scaffold(name, service)
    assert sorted(p.name for p in pages.NOTEBOOKS.iterdir()) == before


def test_a_page_that_calls_both_services_gets_both_providers(notebooks):
    from notebook_replay.providers import GRADIENT, OCI, combined, provider_for

    write(notebooks, "both", "from langchain_gradient import A\nfrom langchain_oci import B")
    write(notebooks, "listed", "x = 1", {"notebook_replay": {"service": ["oci", "gradient"]}})
    assert pages.service_of("both", ["gradient", "oci"]) == "gradient+oci"
    assert pages.service_of("listed", ["gradient", "oci"]) == "oci+gradient"
    both = provider_for("both")
    assert both.service == "DigitalOcean Gradient and OCI Generative AI"
    assert both.placeholders == {**GRADIENT.placeholders, **OCI.placeholders}
    assert [c.variable for c in both.credentials] == [
        "DIGITALOCEAN_INFERENCE_KEY",
        "OCI_COMPARTMENT_ID",
    ]
    assert both.interception() == [*GRADIENT.interception(), *OCI.interception()]
    assert set(both.sdks) == {*GRADIENT.sdks, *OCI.sdks}
    assert combined(OCI) is OCI
