"""What real OCI traffic shows holds on every committed cassette and on the emulator's
fresh answers to the same requests: error bodies {code: "<status>", message}, compact JSON
whose content-length matches, GENERIC details (modelVersion 1.0.0, timeCreated with
milliseconds and Z, OpenAI-family annotations and serviceTier, no token details for other
families, no index on the last finishReason event), chunked no-cache streams, and stream
deltas whose sizes sit in the real range. And the fidelity report that `make record` writes
beside a live cassette confirms what agrees and names what does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from notebook_replay import pages
from notebook_replay.emulators import server
from notebook_replay.providers import OCI
from notebook_replay.recording import fidelity

CASSETTES = Path(__file__).parents[1] / "cassettes"


@pytest.fixture(scope="module")
def oci_key():
    OCI.prepare_offline()  # the throwaway key the emulator knows as uploaded


@pytest.mark.parametrize("page", pages.pages())
def test_every_cassette_and_the_emulators_fresh_answers_keep_real_oci_invariants(oci_key, page):
    cassette = CASSETTES / f"{page}.yaml"
    application = server.app()
    problems, committed_deltas, fresh_deltas = [], [], []
    with TestClient(application, base_url="http://emulator") as client:
        for index, interaction in enumerate(fidelity.interactions(cassette)):
            fresh, _ = fidelity.ask_emulator(client, application, interaction)
            committed = fidelity.recorded(interaction)
            if fidelity.is_native_oci(interaction["request"]["uri"]):
                problems += [
                    f"#{index} committed: {p}"
                    for p in fidelity.oci_problems(committed, recorded=True)
                ]
                problems += [f"#{index} emulator: {p}" for p in fidelity.oci_problems(fresh)]
            for answer, deltas in ((committed, committed_deltas), (fresh, fresh_deltas)):
                if answer.is_stream:
                    deltas += fidelity.delta_texts(fidelity.events(answer))
    problems += [f"committed: {p}" for p in fidelity.delta_problems(committed_deltas)]
    problems += [f"emulator: {p}" for p in fidelity.delta_problems(fresh_deltas)]
    assert not problems, f"{page}: " + "; ".join(problems[:8])


def _answer(status: int, body: dict | str, **headers) -> fidelity.Answer:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return fidelity.Answer(status, {"content-type": "application/json", **headers}, text)


def test_the_invariants_catch_each_departure_from_real_traffic():
    """Each answer breaks one thing real OCI traffic shows, and is named for it."""
    answer = {
        "modelId": "meta.llama-4-maverick-17b-128e-instruct-fp8",
        "modelVersion": "1.0.0",
        "chatResponse": {
            "apiFormat": "GENERIC",
            "timeCreated": "2026-11-22T00:00:00.000Z",
            "choices": [],
            "usage": {"completionTokens": 1, "promptTokens": 1, "totalTokens": 2},
        },
    }
    assert fidelity.oci_problems(_answer(200, answer)) == []
    spaced = json.dumps(answer)
    assert fidelity.oci_problems(_answer(200, spaced)) == ["body is not compact JSON"]
    old = {**answer, "modelVersion": "1.0"}
    assert fidelity.oci_problems(_answer(200, old)) == ["modelVersion '1.0'"]
    no_millis = json.loads(json.dumps(answer))
    no_millis["chatResponse"]["timeCreated"] = "2026-11-22T00:00:00+00:00"
    assert fidelity.oci_problems(_answer(200, no_millis)) == [
        "timeCreated '2026-11-22T00:00:00+00:00'"
    ]
    details = json.loads(json.dumps(answer))
    details["chatResponse"]["usage"]["promptTokensDetails"] = {"cachedTokens": 0}
    assert "usage with token details" in fidelity.oci_problems(_answer(200, details))[0]
    named = {"code": "NotAuthenticated", "message": "no"}
    assert "is not {code: '401', message}" in fidelity.oci_problems(_answer(401, named))[0]
    message_only = {"message": "Please pass in correct format of request."}
    assert fidelity.oci_problems(_answer(400, message_only))
    wrong_length = _answer(400, {"code": "400", "message": "x"}, **{"content-length": "3"})
    assert "content-length 3" in fidelity.oci_problems(wrong_length)[0]
    stream = fidelity.Answer(
        200,
        {"content-type": "text/event-stream", "content-length": "10"},
        'data: {"index": 0, "message": {"role": "ASSISTANT"}, "finishReason": "stop"}\n\n',
    )
    assert fidelity.oci_problems(stream) == [
        "stream cache-control None",
        "a stream with a content-length (real streams are chunked)",
        'event not compact: {"index": 0, "message": {"role": "ASSISTANT"}, "finishReason": "stop"}',
        "the last GENERIC finishReason event carries an index",
    ]
    # "Lisbon is the capital of Portugal." as the emulator's old 4-character cut gave it,
    # and as o200k_base does.
    split = ["Lisb", "on", " is", " the", " cap", "ital", " of", " Por", "tuga", "l", "."] * 3
    assert fidelity.delta_problems(split) == [
        "word deltas average 3.30 characters, outside 3.5-5.5"
    ]
    whole = ["Lis", "bon", " is", " the", " capital", " of", " Portugal", "."] * 4
    assert fidelity.delta_problems(whole) == []


# --- The fidelity report ----------------------------------------------------------------

OCI_CHAT = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/20231130/actions/chat"


def _request(model: str, text: str = "Hello") -> dict:
    body = {
        "compartmentId": "ocid1.compartment.oc1..replay-placeholder",
        "servingMode": {"servingType": "ON_DEMAND", "modelId": model},
        "chatRequest": {
            "apiFormat": "GENERIC",
            "messages": [{"role": "USER", "content": [{"type": "TEXT", "text": text}]}],
        },
    }
    return {
        "method": "POST",
        "uri": OCI_CHAT,
        "body": json.dumps(body),
        "headers": {"content-type": ["application/json"]},
    }


def _interaction(request: dict, status: int, body: str) -> dict:
    return {
        "request": request,
        "response": {
            "status": {"code": status, "message": ""},
            "headers": {
                "content-type": ["application/json"],
                "content-length": [str(len(body.encode()))],
            },
            "body": {"string": body},
        },
    }


# Real answers quoted in public reports (short factual error bodies).
RETIRED = '{"code":"400","message":"Model meta.llama-3.1-70b-instruct 1.0.0 is retired"}'
MALFORMED = '{"code":"400","message":"Please pass in correct format of request."}'


def real_cassette(tmp_path: Path, *interactions: dict) -> Path:
    path = tmp_path / "page.yaml"
    path.write_text(yaml.safe_dump({"interactions": list(interactions), "version": 1}))
    return path


def test_the_report_finds_public_real_error_bodies_alike_and_their_entries_consistent(
    oci_key, tmp_path
):
    """A retired model (oracle/ai-optimizer issue 263) and a body the service cannot read
    (BerriAI/litellm issue 18166), as the real service answered them."""
    garbled = {**_request("meta.llama-3.3-70b-instruct"), "body": '{"chatRequest": 7}'}
    cassette = real_cassette(
        tmp_path,
        _interaction(_request("meta.llama-3.1-70b-instruct"), 400, RETIRED),
        _interaction(garbled, 400, MALFORMED),
    )
    data = fidelity.report(cassette, server.app())
    assert (data["alike"], data["interactions"]) == (2, 2), data["answers"]
    assert {"oci.error.retired-model", "oci.error.malformed"} <= set(data["consistent"])
    assert data["to_review"] == {}


def test_the_report_names_each_difference_and_the_entries_to_review(oci_key, tmp_path):
    """A real answer unlike the emulator's: the old message-only 400, and an answer with a
    field the emulator does not send and spaced JSON."""
    message_only = '{"message": "Model meta.llama-3.1-70b-instruct 1.0.0 is retired"}'
    cassette = real_cassette(
        tmp_path, _interaction(_request("meta.llama-3.1-70b-instruct"), 400, message_only)
    )
    data = fidelity.report(cassette, server.app())
    assert data["alike"] == 0
    differences = data["answers"][0]["differences"]
    assert "json spacing: real compact=False, emulator not alike" in differences
    assert "$.code: real absent, emulator string '400'" in differences
    assert data["to_review"]["oci.error.retired-model"] == ["#0"]
    written = fidelity.write_report(cassette, server.app())
    assert [p.name for p in written] == ["page.fidelity.json", "page.fidelity.md"]
    markdown = written[1].read_text()
    assert "0 of 1 answers alike" in markdown
    assert "- `oci.error.retired-model`: interactions #0" in markdown
    assert json.loads(written[0].read_text())["to_review"] == data["to_review"]


def test_a_live_recording_promotes_its_fidelity_report_with_the_cassette(oci_key, tmp_path):
    from notebook_replay.recording import record_pages

    staging, committed = tmp_path / "staging", tmp_path / "committed"
    staging.mkdir()
    committed.mkdir()
    staged = staging / "page.yaml"
    staged.write_text(real_cassette(tmp_path, _interaction(_request("x"), 404, "{}")).read_text())
    (staging / "page.provenance.yaml").write_text("recorded: live\n")
    record_pages.write_fidelity_report(staged)
    record_pages._promote(staging, "page", committed)
    assert sorted(p.name for p in committed.iterdir()) == [
        "page.fidelity.json",
        "page.fidelity.md",
        "page.provenance.yaml",
        "page.yaml",
    ]
    assert "0 of 1 answers alike" in (committed / "page.fidelity.md").read_text()
