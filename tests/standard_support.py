"""What LangChain's standard chat-model tests need to run against our emulators.

The tests (langchain-tests' ChatModelIntegrationTests) build each model from the class's
`chat_model_params`; here those point the real SDKs at one emulator per test module,
served on loopback with a reply script written for the standard tests' prompts only:

- OCI: `service_endpoint` is the emulator's http address; requests are signed with the
  throwaway API key (the key whose fingerprint the emulator accepts).
- Gradient: pydo's base URL is fixed, so the HTTPS connections urllib3 opens are routed to
  the emulator, as a recording against the emulator routes them
  (notebook_replay.recording.emulator_route): the whole SDK stack runs; only the socket
  goes to loopback.

A class lists the standard tests its package cannot pass in `package_limitations`
(test name, or name[param id] → reason naming the installed source line); each becomes a
strict xfail, so a package that starts passing one turns the run red.
"""

from __future__ import annotations

import contextlib
import os
import struct
import zlib
from pathlib import Path

import httpx
import pytest
import urllib3.connectionpool

from notebook_replay.emulators import catalog, replies, server
from notebook_replay.providers import (
    GRADIENT_PLACEHOLDER_KEY,
    OCI_PLACEHOLDER_COMPARTMENT,
    _write_throwaway_oci_config,
)
from notebook_replay.recording import emulator_route

SCRIPT_FOLDER = Path(__file__).with_name("standard_replies")


def standard_script() -> list[replies.Entry]:
    return replies.load(SCRIPT_FOLDER)


@contextlib.contextmanager
def running_emulator():
    """The emulator app with only the standard tests' reply script, on loopback."""
    application = server.app(standard_script())
    with server.serving(application) as address:
        yield application, address


@contextlib.contextmanager
def https_routed_to(address: str):
    """Every HTTPS connection urllib3 opens goes to the emulator over plain HTTP, keeping
    the service's host name in the request (what emulated recording does under vcrpy)."""
    pool = urllib3.connectionpool.HTTPSConnectionPool
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pool, "ConnectionCls", emulator_route.emulator_connection(address))
        yield


def throwaway_oci_config() -> str:
    """The throwaway OCI config file (its key is the one the emulator knows)."""
    _write_throwaway_oci_config()
    return os.environ["OCI_CONFIG_FILE"]


_oci_clients: dict[tuple[type, str], object] = {}


def oci_params(chat_class: type, address: str, model_id: str) -> dict:
    """A model's parameters, with the OCI SDK client the class built for the first model
    of this emulator. Building a client loads and checks the RSA key (~70 ms, the bulk of
    a test's cost); the class accepts a ready `client`, and every request still goes
    through it, signed, to the emulator."""
    params = {
        "model_id": model_id,
        "service_endpoint": f"http://{address}",
        "compartment_id": OCI_PLACEHOLDER_COMPARTMENT,
        "auth_file_location": throwaway_oci_config(),
    }
    key = (chat_class, address)
    if key not in _oci_clients:
        _oci_clients[key] = chat_class(**params).client
    return {**params, "client": _oci_clients[key]}


def gradient_params(model: str) -> dict:
    return {"model": model, "api_key": GRADIENT_PLACEHOLDER_KEY}


class CatalogCapabilities:
    """The standard tests' capability properties, from the model's catalog entry (the
    vendor's model page, cited there): images only for vision models, JSON mode only
    where structured JSON output is documented. A class sets `catalog_entry`."""

    catalog_entry: catalog.Model

    @property
    def has_tool_calling(self) -> bool:
        return self.catalog_entry.can("tools")

    @property
    def supports_image_inputs(self) -> bool:
        return self.catalog_entry.can("vision")

    @property
    def supports_json_mode(self) -> bool:
        return self.catalog_entry.can("json_schema")


# --- Test data the standard tests download -------------------------------------------

# langchain-tests fetches its sample image from GitHub (test_image_inputs); this machine
# has no network, so the test gets a PNG made here instead. Only the test's own download
# is served locally: the model call still goes through the SDK to the emulator.
STANDARD_IMAGE_URL = (
    "https://raw.githubusercontent.com/langchain-ai/docs/"
    "4d11d08b6b0e210bd456943f7a22febbd168b543/src/images/agentic-rag-output.png"
)


def small_png(width: int = 8, height: int = 8) -> bytes:
    """A valid 8x8 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class LocalTestData:
    """Stands in for the `httpx` module inside langchain-tests: answers its known sample
    URLs from local bytes and refuses anything else with a clear error."""

    FILES = {STANDARD_IMAGE_URL: small_png()}

    @classmethod
    def get(cls, url: str, **_) -> httpx.Response:
        if url not in cls.FILES:
            raise RuntimeError(f"standard test data {url} has no local copy (no network here)")
        return httpx.Response(200, content=cls.FILES[url])


# --- Fixtures each standard-test module uses -----------------------------------------


STARTED: list = []  # every emulator app this process started, for a look afterwards


@pytest.fixture(scope="module")
def standard_emulator():
    """One emulator per test module. Leaving it, no request may have been a reply-script
    problem (an unscripted prompt is a 400 the test may not even look at)."""
    with running_emulator() as (application, address):
        STARTED.append(application)
        yield application, address
    problems = application.state.problems
    assert not problems, f"the standard tests' reply script fell short: {problems}"


@pytest.fixture(autouse=True)
def _standard_test_setup(request, monkeypatch, standard_emulator):
    """Give the class its emulator's address, serve the tests' sample files locally, and
    mark the package's known limitations as strict xfails."""
    import langchain_tests.integration_tests.chat_models as standard

    cls = request.cls
    if cls is None:
        yield
        return
    cls.emulator_address = standard_emulator[1]
    monkeypatch.setattr(standard, "httpx", LocalTestData)
    limitations = getattr(cls, "package_limitations", {})
    reason = limitations.get(request.node.name) or limitations.get(request.node.originalname)
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    yield
