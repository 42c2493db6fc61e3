"""A replay never sends a request its cassette cannot answer: it raises a clear error."""

from __future__ import annotations

import os

import pytest

from conftest import OCI_ENDPOINT, gradient, in_mode, oci_chat
from notebook_replay.errors import NetworkBlockedError, UnmatchedRequestError


def test_unmatched_request_names_cassette_request_and_rerecord_command(monkeypatch, emulator):
    app, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    gradient().invoke("Tell me about the lighthouse keeper")
    in_mode(monkeypatch, "replay", "gradient")
    reached = app.state.requests

    with pytest.raises(UnmatchedRequestError) as raised:
        gradient().invoke("A question nobody recorded")

    message = str(raised.value)
    assert "cassettes/gradient.yaml" in message
    assert "POST https://inference.do-ai.run/v1/chat/completions" in message
    assert '"content": "A question nobody recorded"' in message
    assert "body.messages[0].content" in message  # where it differs from the closest
    assert "make record-emulated PAGE=gradient" in message
    assert app.state.requests == reached, "the unmatched request reached the server"


def test_unmatched_oci_request_is_caught_by_the_cassette_not_sent(monkeypatch, emulator):
    """The OCI SDK's own HTTPS pool is intercepted: the error is the cassette's, not the
    network guard's (which would mean a real connection was attempted)."""
    _, address = emulator
    in_mode(monkeypatch, "record", "oci_generative_ai", address)
    oci_chat().invoke("compartment")
    in_mode(monkeypatch, "replay", "oci_generative_ai")

    with pytest.raises(Exception) as raised:
        oci_chat().invoke("Something else entirely")

    assert not isinstance(raised.value, NetworkBlockedError)
    assert isinstance(raised.value, UnmatchedRequestError), repr(raised.value)
    assert "/20231130/actions/chat" in str(raised.value)


def test_unmatched_async_oci_request_names_the_request_and_is_not_sent(monkeypatch, emulator):
    """langchain-oci's ainvoke goes through the OCI SDK's aiohttp client: an unmatched
    request there gets the same clear error, and nothing reaches the emulator."""
    import asyncio

    from langchain_oci import ChatOCIGenAI

    app, address = emulator
    in_mode(monkeypatch, "record", "oci_generative_ai", address)
    oci_chat().invoke("compartment")
    in_mode(monkeypatch, "replay", "oci_generative_ai")
    reached = app.state.requests
    model = ChatOCIGenAI(
        model_id="cohere.command-a-03-2025",
        service_endpoint=OCI_ENDPOINT,
        compartment_id=os.environ["OCI_COMPARTMENT_ID"],
    )

    with pytest.raises(UnmatchedRequestError) as raised:
        asyncio.run(model.ainvoke("Something else entirely"))

    assert "/20231130/actions/chat" in str(raised.value)
    assert "make record-emulated PAGE=oci_generative_ai" in str(raised.value)
    assert app.state.requests == reached


def test_an_answer_replays_once_and_a_second_ask_says_to_restart(monkeypatch, emulator):
    _, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    gradient().invoke("lighthouse")
    in_mode(monkeypatch, "replay", "gradient")
    gradient().invoke("lighthouse")

    with pytest.raises(UnmatchedRequestError, match="already played"):
        gradient().invoke("lighthouse")
