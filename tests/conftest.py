"""Shared fixtures: a clean environment per test, and the local emulator on loopback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import notebook_replay
from notebook_replay.emulators import catalog, replies, server

# The emulator's calendar in tests: a fixed day, so that a model retiring tomorrow changes no
# test but the one meant to see it (tests/test_model_lifecycle.py reads the real date).
FIXED_TODAY = "2026-12-08"

MODEL = "llama3.3-70b-instruct"
OCI_ENDPOINT = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com"
SCRIPT = [
    replies.Entry(
        prompt="lighthouse", reply="The keeper lit the lamp at dusk and waited for the ships."
    ),
    replies.Entry(
        prompt="compartment", reply="A compartment groups cloud resources under one policy."
    ),
]

_VARIABLES = (
    "NOTEBOOK_MODE",
    "NOTEBOOK_CASSETTES",
    "NOTEBOOK_EMULATOR",
    "NOTEBOOK_EMULATOR_NAME",
    "NOTEBOOK_RECORD_INTO",
    "DIGITALOCEAN_INFERENCE_KEY",
    "OCI_COMPARTMENT_ID",
    "OCI_CONFIG_FILE",
    "CI",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Each test starts outside the repository (no .env), with no mode or credentials set,
    and leaves no cassette open and no network guard behind."""
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(catalog.TODAY_VARIABLE, FIXED_TODAY)
    # Recording writes where replay reads: these tests drive record mode directly, not
    # through the page recorder (whose staging and checks tests/test_recorder.py covers).
    monkeypatch.setenv("NOTEBOOK_CASSETTES", str(tmp_path / "cassettes"))
    monkeypatch.setenv("NOTEBOOK_RECORD_INTO", str(tmp_path / "cassettes"))
    monkeypatch.chdir(tmp_path)
    yield
    notebook_replay.stop()


@pytest.fixture(scope="module")
def emulator():
    """The emulator app (its .state.requests counts what reached it) and its address."""
    application = server.app(SCRIPT)
    with server.serving(application) as address:
        yield application, address


def in_mode(monkeypatch, mode: str, page: str, emulator_address: str | None = None):
    """Switch this process to a mode, as a page's first cell would."""
    monkeypatch.setenv("NOTEBOOK_MODE", mode)
    if emulator_address:
        monkeypatch.setenv("NOTEBOOK_EMULATOR", emulator_address)
    else:
        monkeypatch.delenv("NOTEBOOK_EMULATOR", raising=False)
    notebook_replay.start(page)


def cassette_path(page: str) -> Path:
    return Path(os.environ["NOTEBOOK_CASSETTES"]) / f"{page}.yaml"


def gradient(**kwargs):
    from langchain_gradient import ChatGradient

    # api_key explicitly: the class default was read when the module was first imported.
    return ChatGradient(model=MODEL, api_key=os.environ["DIGITALOCEAN_INFERENCE_KEY"], **kwargs)


def oci_chat(model_id="cohere.command-a-03-2025", **kwargs):
    """langchain-community's ChatOCIGenAI."""
    from langchain_community.chat_models.oci_generative_ai import ChatOCIGenAI

    return ChatOCIGenAI(
        model_id=model_id,
        service_endpoint=OCI_ENDPOINT,
        compartment_id=os.environ["OCI_COMPARTMENT_ID"],
        **kwargs,
    )


def langchain_oci(model_id="meta.llama-3.3-70b-instruct", **kwargs):
    """langchain-oci's ChatOCIGenAI."""
    from langchain_oci import ChatOCIGenAI

    return ChatOCIGenAI(
        model_id=model_id,
        service_endpoint=OCI_ENDPOINT,
        compartment_id=os.environ["OCI_COMPARTMENT_ID"],
        **kwargs,
    )


def no_retries_client():
    """The OCI SDK's inference client, without its retry strategy."""
    import oci

    from notebook_replay.providers import _write_throwaway_oci_config

    if "OCI_CONFIG_FILE" not in os.environ:
        _write_throwaway_oci_config()  # only to construct a client: nothing is sent
    return oci.generative_ai_inference.GenerativeAiInferenceClient(
        oci.config.from_file(os.environ["OCI_CONFIG_FILE"]),
        service_endpoint=OCI_ENDPOINT,
        retry_strategy=oci.retry.NoneRetryStrategy(),
    )
