"""The evidence ledger: every behaviour the emulator code marks has an entry, every entry
is marked somewhere in the code, each entry says what its evidence is (or that it is
assumed), and the website page renders all of it in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from notebook_replay.emulators import ledger, ledger_page

EMULATORS = Path(ledger.__file__).parent
REPO = EMULATORS.parents[2]
ID = re.compile(r"""["']((?:gradient|oci)\.[a-z][a-z0-9.-]*)["']""")


def ids_in_code() -> set[str]:
    found = {m for path in EMULATORS.rglob("*.py") for m in ID.findall(path.read_text())}
    return {m for m in found if not m.endswith((".yaml", ".py"))}


def test_every_ledger_id_in_the_code_has_an_entry():
    missing = ids_in_code() - set(ledger.entries())
    assert not missing, f"ledger ids used in code but not in ledger/*.yaml: {sorted(missing)}"


def test_every_ledger_entry_is_marked_in_the_code():
    unused = set(ledger.entries()) - ids_in_code()
    assert not unused, f"ledger entries no code marks with ledger.use: {sorted(unused)}"


def test_every_entry_says_what_happens_and_how_we_know():
    for entry_id, entry in ledger.entries().items():
        assert entry_id.startswith(entry["service"] + "."), entry_id
        assert entry["status"] in ledger.STATUSES, entry_id
        assert len(entry["behaviour"]) > 20 and entry["behaviour_zh"], entry_id
        if entry["status"] == "evidenced":
            assert entry["evidence"], f"{entry_id} is evidenced but names no evidence"
        for item in entry["evidence"]:
            assert item["kind"] in ledger.KINDS, entry_id
            assert item["source"] and item["says"] and item["read"], entry_id


def test_each_entry_names_the_modules_that_implement_it():
    code = ledger.code_of()
    assert set(code) == set(ledger.entries())
    assert code["oci.stream.generic-framing"] == ("oci/chat.py",)
    assert "gradient/chat_requests.py" in code["gradient.validate.stream-options"]
    for entry_id, modules in code.items():
        service = entry_id.split(".")[0]
        assert all((EMULATORS / m).is_file() for m in modules), entry_id
        if entry_id.split(".")[1] in ("stream", "validate", "embed", "rerank", "guardrails"):
            assert any(m.startswith(service + "/") for m in modules), (entry_id, modules)
    page = ledger_page.render("en")
    assert "(code: `oci/chat.py`)" in page


def test_assumed_lists_only_assumed_entries_that_were_used():
    used = {
        "oci.error.not-found",
        "oci.response.token-counts",
        "oci.response.created",
        "not.a.ledger-id",
    }
    assert ledger.assumed(used) == [
        {
            "id": "oci.response.token-counts",
            "behaviour": ledger.entries()["oci.response.token-counts"]["behaviour"],
        }
    ]


def test_the_emulators_page_renders_every_entry_in_both_languages():
    for language in ("en", "zh"):
        page = ledger_page.render(language)
        for entry_id, entry in ledger.entries().items():
            assert f"`{entry_id}`" in page
            text = entry["behaviour"] if language == "en" else entry["behaviour_zh"]
            assert ledger_page._escape(text) in page, entry_id
    assert "&lt;region&gt;" in ledger_page.render("en")  # prose, not an HTML tag


def test_the_emulators_page_is_in_the_site_and_linked_from_how_it_works():
    for name in ("emulators.md", "emulators.zh.md"):
        assert ledger_page.MARKER in (REPO / "docs" / name).read_text(encoding="utf-8")
    nav = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8").replace("!!", ""))
    assert {"What the emulators know": "emulators.md"} in nav["nav"]
    for name in ("how-it-works.md", "how-it-works.zh.md"):
        assert "(emulators.md)" in (REPO / "docs" / name).read_text(encoding="utf-8")
