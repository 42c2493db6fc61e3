"""ChatOpenAI pointed at DigitalOcean's OpenAI-compatible base URL goes through the openai
SDK's httpx stack: it records against the emulator under the service's https address, and
a replay answers it from the cassette, never the network, with the helper's own error for
a request the cassette cannot answer."""

from __future__ import annotations

import os
import socket

import pytest

import notebook_replay
from conftest import cassette_path, in_mode
from notebook_replay.errors import NetworkBlockedError, UnmatchedRequestError

BASE_URL = "https://inference.do-ai.run/v1"


def chat_openai(**kwargs):
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model="llama3.3-70b-instruct",
        base_url=BASE_URL,
        api_key=os.environ["DIGITALOCEAN_INFERENCE_KEY"],
        **kwargs,
    )


@pytest.fixture
def recorded(monkeypatch, emulator):
    app, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    reached = app.state.requests
    answer = chat_openai().invoke("Tell me about the lighthouse keeper")
    streamed = "".join(c.content for c in chat_openai().stream("lighthouse at night"))
    assert app.state.requests == reached + 2, "the recording did not reach the emulator"
    notebook_replay.stop()
    return app, answer, streamed


def test_chat_openai_records_through_httpx_under_the_service_address(recorded):
    _, answer, streamed = recorded
    assert answer.content == streamed == "The keeper lit the lamp at dusk and waited for the ships."
    text = cassette_path("gradient").read_text()
    assert f"uri: {BASE_URL}/chat/completions" in text
    assert "127.0.0.1" not in text
    assert "authorization" not in text.lower() and "replay-placeholder-key" not in text
    assert "x-stainless" not in text.lower()


def test_chat_openai_replays_from_the_cassette_without_the_emulator(monkeypatch, recorded):
    app, answer, streamed = recorded
    in_mode(monkeypatch, "replay", "gradient")
    reached = app.state.requests
    assert chat_openai().invoke("Tell me about the lighthouse keeper").content == answer.content
    assert "".join(c.content for c in chat_openai().stream("lighthouse at night")) == streamed
    assert app.state.requests == reached


def test_unmatched_chat_openai_request_raises_the_helpers_error_at_once(monkeypatch, recorded):
    """Not the openai SDK's APIConnectionError after two retries: the helper's error, on the
    first attempt, naming the cassette, the request and the command that re-records."""
    import openai

    app, _, _ = recorded
    in_mode(monkeypatch, "replay", "gradient")
    reached = app.state.requests
    attempts = []
    monkeypatch.setattr(openai.OpenAI, "_sleep_for_retry", lambda *a, **k: attempts.append("retry"))

    with pytest.raises(UnmatchedRequestError) as raised:
        chat_openai().invoke("A question nobody recorded")

    assert not isinstance(raised.value, openai.APIConnectionError)
    assert attempts == [], "the openai SDK retried an unmatched request"
    message = str(raised.value)
    assert f"POST {BASE_URL}/chat/completions" in message
    assert "A question nobody recorded" in message
    assert "make record-emulated PAGE=gradient" in message
    assert app.state.requests == reached, "the unmatched request reached the server"


def test_a_replay_with_chat_openai_cannot_reach_the_network(monkeypatch, recorded):
    import httpx

    in_mode(monkeypatch, "replay", "gradient")
    with pytest.raises(UnmatchedRequestError):
        httpx.get("https://inference.do-ai.run/v1/models")
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("inference.do-ai.run", 443)


def test_a_planted_key_never_reaches_the_cassette_through_the_openai_sdk(monkeypatch, emulator):
    """The openai SDK sends the key as `Authorization: Bearer …` (and x-stainless-* headers):
    the scrubber keeps only content-type and accept, and a key-shaped value in a body is
    replaced too."""
    import openai
    from langchain_openai import ChatOpenAI

    _, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    sentinel = "sk-do-v1-" + "5e7e1" * 8
    model = ChatOpenAI(
        model="llama3.3-70b-instruct", base_url=BASE_URL, api_key=sentinel, max_retries=0
    )
    with pytest.raises(openai.AuthenticationError):  # the emulator knows only the placeholder
        model.invoke(f"lighthouse, and my key is {sentinel}")
    notebook_replay.stop()

    text = cassette_path("gradient").read_text()
    assert "code: 401" in text, "the refused request was not recorded"
    assert "5e7e1" not in text
