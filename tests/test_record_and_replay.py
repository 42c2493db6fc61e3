"""Record through the real SDK stacks over real HTTP, then replay with nothing listening."""

from __future__ import annotations

from vcr.request import Request

import notebook_replay
from conftest import MODEL, OCI_ENDPOINT, cassette_path, gradient, in_mode, oci_chat
from notebook_replay import provenance
from notebook_replay.cassette import json_body


def run_gradient_page():
    answer = gradient().invoke("Tell me about the lighthouse keeper").content
    streamed = "".join(
        chunk.content
        for chunk in gradient(stream_options={"include_usage": True}).stream("A lighthouse?")
    )
    return answer, streamed


def test_record_then_replay_through_pydo_needs_no_server(monkeypatch, emulator):
    app, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    recorded = run_gradient_page()
    reached = app.state.requests

    in_mode(monkeypatch, "replay", "gradient")
    replayed = run_gradient_page()

    assert recorded == replayed
    assert recorded[0] == "The keeper lit the lamp at dusk and waited for the ships."
    assert app.state.requests == reached, "a replay reached the server"
    assert (
        "https://inference.do-ai.run/v1/chat/completions" in cassette_path("gradient").read_text()
    )


def test_record_then_replay_through_the_oci_sdk_needs_no_server(monkeypatch, emulator):
    app, address = emulator
    in_mode(monkeypatch, "record", "oci_generative_ai", address)
    recorded = oci_chat().invoke("What is a compartment?").content
    reached = app.state.requests

    in_mode(monkeypatch, "replay", "oci_generative_ai")
    replayed = oci_chat().invoke("What is a compartment?").content

    assert recorded == replayed == "A compartment groups cloud resources under one policy."
    assert app.state.requests == reached, "a replay reached the server"
    assert f"{OCI_ENDPOINT}/20231130/actions/chat" in cassette_path("oci_generative_ai").read_text()


def test_emulated_recording_says_so_in_its_provenance(monkeypatch, emulator, capsys):
    _, address = emulator
    monkeypatch.setenv("NOTEBOOK_EMULATOR_NAME", "the test emulator")
    in_mode(monkeypatch, "record", "gradient", address)
    gradient().invoke("lighthouse")

    data = provenance.read(cassette_path("gradient"))
    assert data["source"] == "emulated"
    assert data["emulator"] == "the test emulator"
    assert data["models"] == [MODEL]
    assert data["packages"]["langchain-gradient"] == "1.0.0"

    in_mode(monkeypatch, "replay", "gradient")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "1 recorded interaction" in line
    assert "by the test emulator, not by the live service" in line


def test_replay_matches_json_bodies_whatever_their_key_order():
    sent = Request("POST", "https://x/v1", '{"model": "m", "user": "u", "n": 1}', {})
    recorded = Request("POST", "https://x/v1", '{"n": 1, "user": "u", "model": "m"}', {})
    assert json_body(sent, recorded) is None  # no AssertionError: a match


def test_replay_refuses_a_body_that_differs_and_says_where():
    sent = Request("POST", "https://x/v1", '{"messages": [{"content": "hi"}]}', {})
    recorded = Request("POST", "https://x/v1", '{"messages": [{"content": "hello"}]}', {})
    try:
        json_body(sent, recorded)
    except AssertionError as difference:
        assert "body.messages[0].content" in str(difference)
    else:
        raise AssertionError("different bodies matched")


def test_replay_answers_a_readers_real_compartment_with_the_recorded_placeholder(
    monkeypatch, emulator
):
    _, address = emulator
    in_mode(monkeypatch, "record", "oci_generative_ai", address)
    expected = oci_chat().invoke("compartment, please").content

    in_mode(monkeypatch, "replay", "oci_generative_ai")
    real_looking = "ocid1.compartment.oc1..aaaaaaaa" + "q" * 52
    monkeypatch.setenv("OCI_COMPARTMENT_ID", real_looking)
    assert oci_chat().invoke("compartment, please").content == expected


def test_a_replay_skips_the_oci_retry_back_off_but_a_recording_waits(monkeypatch):
    """The SDK's retry loop runs unchanged in a replay; only its wait between attempts is
    skipped (nothing to wait for). While a service is called, the real clock is in place."""
    import time

    import oci.retry.retry

    from notebook_replay.emulators import replies, server

    script = [replies.Entry(prompt="busy", fault="rate_limited_once", reply="Answered.")]
    with server.serving(server.app(script)) as address:
        in_mode(monkeypatch, "record", "oci_generative_ai", address)
        assert oci.retry.retry.time is time
        assert oci_chat().invoke("busy").content == "Answered."

    in_mode(monkeypatch, "replay", "oci_generative_ai")
    assert oci.retry.retry.time is not time
    assert oci.retry.retry.time.time() > 0  # clock readings stay real
    assert oci_chat().invoke("busy").content == "Answered."  # the 429, retried, then the answer
    notebook_replay.stop()
    assert oci.retry.retry.time is time


def test_a_replay_skips_langchains_retry_back_off_but_a_recording_waits(monkeypatch, emulator):
    """`with_retry` (tenacity) retries as ever in a replay, every page's; only its wait
    between attempts is skipped. While a service is called, the real clock is in place."""
    import time

    import tenacity.nap
    from langchain_core.runnables import RunnableLambda

    attempts: list[float] = []

    def fails_every_other_call(text: str) -> str:
        attempts.append(time.monotonic())
        if len(attempts) % 2:
            raise ConnectionError("dropped once")
        return text

    patient = RunnableLambda(fails_every_other_call).with_retry(
        retry_if_exception_type=(ConnectionError,), stop_after_attempt=2
    )  # LangChain's default back-off: at least a second before the second attempt
    _, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    assert tenacity.nap.time is time
    gradient().invoke("lighthouse")  # a cassette for the replay below

    in_mode(monkeypatch, "replay", "gradient")
    assert tenacity.nap.time is not time
    assert patient.invoke("answered") == "answered" and len(attempts) == 2
    assert attempts[1] - attempts[0] < 0.5, "a replay waited out the back-off"
    notebook_replay.stop()
    assert tenacity.nap.time is time


def test_the_provenance_box_says_who_answered_in_both_languages():
    about = {
        "recorded_at": "2026-01-02T03:04:05+00:00",
        "emulator": "the <local> emulator 1.0",
        "packages": {"pydo": "0.39.0", "vcrpy": "9"},
    }

    def box(source: str) -> str:
        return provenance.banner_html(
            {**about, "source": source}, service="S", cassette="c.yaml", count=3, sdks=("pydo",)
        )

    emulated, live = box("emulated"), box("live")
    assert "admonition warning" in emulated and "not by S" in emulated
    assert "并非来自 S" in emulated and "the &lt;local&gt; emulator 1.0" in emulated
    assert "admonition info" in live and "recorded live from S on 2026-01-02" in live
    assert "not by" not in live and "真实服务录制" in live
    for text in (emulated, live):
        assert "<code>c.yaml</code>: 3 recorded HTTP interactions" in text
        assert "pydo 0.39.0" in text and "vcrpy" not in text


def test_the_provenance_box_says_when_answers_rely_on_assumed_behaviours():
    about = {"source": "emulated", "recorded_at": "2026-11-22T00:00:00+00:00", "emulator": "e 1"}
    assumed = [{"id": "oci.error.json-mode", "behaviour": "A json_mode 400"}] * 2
    box = provenance.banner_html(
        {**about, "assumed": assumed}, service="S", cassette="c.yaml", count=3, sdks=()
    )
    assert "2 emulated behaviours these answers rely on are assumptions" in box
    assert '<a href="../../emulators/">' in box  # /notebooks/<page>/ → /emulators/
    assert "有 2 项是假设" in box
    plain = provenance.banner_html(
        {**about, "assumed": []}, service="S", cassette="c.yaml", count=3, sdks=()
    )
    assert "assumption" not in plain and "emulators/" not in plain
    assert "1 emulated behaviour(s) they rely on are assumptions" in provenance.describe(
        {**about, "assumed": assumed[:1]}
    )


def test_a_missing_or_corrupt_provenance_is_said_not_guessed(monkeypatch, emulator, capsys):
    _, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    gradient().invoke("lighthouse")
    path = provenance.provenance_path(cassette_path("gradient"))
    for broken in (None, "source: [unclosed\n", "- a list\n"):
        if broken is None:
            path.unlink()
        else:
            path.write_text(broken)
        box = provenance.banner_html(
            provenance.read(cassette_path("gradient")),
            service="S",
            cassette="c.yaml",
            count=1,
            sdks=(),
        )
        assert "the provenance is missing" in box and "emulator, not by" not in box
        assert "gradient.provenance.yaml" in box
        in_mode(monkeypatch, "replay", "gradient")
        line = capsys.readouterr().out.strip().splitlines()[-1]
        assert "of unknown origin: its provenance is missing" in line
        assert "produced on" not in line
        gradient().invoke("lighthouse")  # the replay itself still works
