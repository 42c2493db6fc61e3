"""Secrets never reach a cassette: planted sentinel values, recorded live, then searched for."""

from __future__ import annotations

import contextlib
import json
import os
from unittest import mock

import oci
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import notebook_replay
from conftest import OCI_ENDPOINT, cassette_path, in_mode
from notebook_replay import provenance
from notebook_replay.cassette import CassetteFile, ReadableYaml
from notebook_replay.emulators import server
from notebook_replay.errors import NotebookReplayError
from notebook_replay.recording import emulator_route, secret_scan
from notebook_replay.scrub import Scrubber, placeholder_ocids

GRADIENT_KEY = "sk-do-SENTINELgradientKEY0123456789abcdef"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaasentinelcompartment" + "x" * 32
TENANCY = "ocid1.tenancy.oc1..aaaaaaaasentineltenancy" + "y" * 36
USER = "ocid1.user.oc1..aaaaaaaasentineluser" + "z" * 40
ENDPOINT = "ocid1.generativeaiendpoint.oc1.us-chicago-1.amaaaaaasentinelendpoint" + "w" * 30
RESPONSE_SECRET = "SENTINEL-response-request-id-5f0c"
QUERY_TOKEN = "SENTINELqueryTOKEN7f3a"  # looks like nothing: only its parameter name gives it away
SENTINELS = [GRADIENT_KEY, COMPARTMENT, TENANCY, USER, ENDPOINT, RESPONSE_SECRET, "sentinel"]


def leaky_service() -> Starlette:
    """A service that echoes everything secret it receives, in its body and headers."""

    async def echo(request: Request) -> Response:
        received = {
            "headers": dict(request.headers),
            "body": json.loads(await request.body()),
            "note": f"your key is {GRADIENT_KEY}",
        }
        body = json.dumps({"echo": received}).encode()
        return Response(
            body,
            headers={
                "content-type": "application/json",
                "opc-request-id": RESPONSE_SECRET,
                "x-request-id": RESPONSE_SECRET,
                "set-cookie": f"session={RESPONSE_SECRET}",
            },
        )

    async def echo_query(request: Request) -> Response:
        return Response(json.dumps({"url": str(request.url)}), media_type="application/json")

    return Starlette(
        routes=[
            Route("/v1/models", echo_query, methods=["GET"]),
            Route("/v1/chat/completions", echo, methods=["POST"]),
            Route("/20231130/actions/chat", echo, methods=["POST"]),
            Route("/20231130/actions/embedText", echo, methods=["POST"]),
            Route("/20231130/actions/applyGuardrails", echo, methods=["POST"]),
            Route("/openai/v1/chat/completions", echo, methods=["POST"]),
        ]
    )


@contextlib.contextmanager
def routed_to(address: str):
    """Send the services' HTTPS hosts to a local server, as `make record-emulated` does,
    while the recording itself runs live, with real credentials to scrub."""
    with contextlib.ExitStack() as stack:
        for target, attribute, replacement in emulator_route.patches(address):
            stack.enter_context(mock.patch.object(target, attribute, replacement))
        yield


def write_sentinel_oci_config(tmp_path, monkeypatch) -> dict:
    """An OCI config whose identities are sentinels, with a throwaway key to sign with."""
    from notebook_replay.providers import _write_throwaway_oci_config

    _write_throwaway_oci_config()
    config = dict(oci.config.from_file(os.environ["OCI_CONFIG_FILE"]))
    config.update(user=USER, tenancy=TENANCY)
    path = tmp_path / "oci_config"
    path.write_text("[DEFAULT]\n" + "".join(f"{k}={v}\n" for k, v in config.items()))
    monkeypatch.setenv("OCI_CONFIG_FILE", str(path))
    return config


def test_sentinel_secrets_never_reach_the_cassette_or_its_provenance(monkeypatch, tmp_path):
    from oci.generative_ai_inference import GenerativeAiInferenceClient, models
    from pydo.inference import Client

    monkeypatch.setenv("DIGITALOCEAN_INFERENCE_KEY", GRADIENT_KEY)
    monkeypatch.setenv("OCI_COMPARTMENT_ID", COMPARTMENT)
    config = write_sentinel_oci_config(tmp_path, monkeypatch)

    with server.serving(leaky_service()) as address, routed_to(address):
        in_mode(monkeypatch, "record", "gradient")  # live recording: real secrets in play
        Client(api_key=GRADIENT_KEY).chat.completions.create(
            model="llama3.3-70b-instruct",
            messages=[{"role": "user", "content": f"my key is {GRADIENT_KEY}"}],
        )
        in_mode(monkeypatch, "record", "oci_generative_ai")
        client = GenerativeAiInferenceClient(
            config, service_endpoint=OCI_ENDPOINT, retry_strategy=None
        )
        client.chat(
            models.ChatDetails(
                compartment_id=COMPARTMENT,
                serving_mode=models.DedicatedServingMode(endpoint_id=ENDPOINT),
                chat_request=models.CohereChatRequest(message="hello"),
            )
        )

    for page in ("gradient", "oci_generative_ai"):
        written = (
            cassette_path(page).read_text()
            + provenance.provenance_path(cassette_path(page)).read_text()
        )
        for sentinel in SENTINELS:
            assert sentinel not in written, f"{sentinel} reached the {page} cassette"
        assert secret_scan.scan([cassette_path(page).parent]) == []
    oci_text = cassette_path("oci_generative_ai").read_text()
    assert "ocid1.compartment.oc1..replay-placeholder" in oci_text
    assert "ocid1.generativeaiendpoint.oc1.us-chicago-1.replay-placeholder" in oci_text


STORE = "ocid1.generativeaiconversationstore.oc1.us-chicago-1.amaaaaaasentinelstore" + "v" * 30


def test_sentinels_sent_to_embeddings_guardrails_and_the_openai_routes_never_reach_disk(
    monkeypatch, tmp_path
):
    """embedText and applyGuardrails through the OCI SDK, and ChatOCIOpenAI through httpx
    (compartment and conversation store in its headers), recorded live against a service
    that echoes everything back."""
    from langchain_oci import ChatOCIOpenAI, OCIGenAIEmbeddings, OCIGuardrails
    from oci_openai import OciUserPrincipalAuth

    monkeypatch.setenv("OCI_COMPARTMENT_ID", COMPARTMENT)
    write_sentinel_oci_config(tmp_path, monkeypatch)
    common = {"service_endpoint": OCI_ENDPOINT, "compartment_id": COMPARTMENT}
    with (
        server.serving(leaky_service()) as address,
        routed_to(address),
        emulator_route.httpx_routed(address),
    ):
        in_mode(monkeypatch, "record", "oci_embeddings")  # live: real secrets in play
        embed = OCIGenAIEmbeddings(model_id="cohere.embed-v4.0", **common)
        embed.client.embed_text(embed._build_embed_request([f"compartment {COMPARTMENT}"]))
        guard = OCIGuardrails(**common)
        guard.client.apply_guardrails(guard._build_details(f"tenancy {TENANCY}"))
        chat = ChatOCIOpenAI(
            auth=OciUserPrincipalAuth(config_file=os.environ["OCI_CONFIG_FILE"]),
            compartment_id=COMPARTMENT,
            model="openai.gpt-oss-120b",
            region="us-chicago-1",
            conversation_store_id=STORE,
            use_responses_api=False,
            max_retries=0,
        )
        chat.root_client.chat.completions.create(
            model="openai.gpt-oss-120b", messages=[{"role": "user", "content": f"user {USER}"}]
        )
        notebook_replay.stop()
    written = cassette_path("oci_embeddings").read_text()
    written += provenance.provenance_path(cassette_path("oci_embeddings")).read_text()
    for sentinel in [*SENTINELS, STORE]:
        assert sentinel not in written, f"{sentinel} reached the cassette"
    assert secret_scan.scan([cassette_path("oci_embeddings").parent]) == []
    assert written.count("/20231130/actions/") == 2 and "/openai/v1/chat/completions" in written


@pytest.mark.parametrize(
    "header",
    [
        "authorization",
        "x-content-sha256",
        "date",
        "opc-request-id",
        "opc-retry-token",
        "opc-client-info",
        "user-agent",
        "x-ms-client-request-id",
        "opc-client-retries",
    ],
)
def test_signing_and_id_headers_are_dropped(header):
    from vcr.request import Request

    request = Request("POST", "https://h/p", b"{}", {header: "sentinel", "Content-Type": "x"})
    assert list(Scrubber().request(request).headers) == ["Content-Type"]


def test_ocid_placeholders_keep_type_and_region_and_are_stable():
    assert placeholder_ocids(ENDPOINT) == (
        "ocid1.generativeaiendpoint.oc1.us-chicago-1.replay-placeholder"
    )
    assert placeholder_ocids(placeholder_ocids(COMPARTMENT)) == placeholder_ocids(COMPARTMENT)


def test_the_cassette_writer_refuses_to_write_a_secret(tmp_path):
    from vcr.request import Request

    path = tmp_path / "leak.yaml"
    request = Request("GET", "https://h/", "", {"Authorization": f"Bearer {GRADIENT_KEY}"})
    response = {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": ""}}
    with pytest.raises(NotebookReplayError, match="Refusing to write"):
        CassetteFile().save_cassette(
            path, {"requests": [request], "responses": [response]}, ReadableYaml
        )
    assert not path.exists()


def test_sentinels_in_a_url_query_never_reach_the_cassette(monkeypatch):
    """Recorded live through the real requests/urllib3 stack to a local echo server: a
    credential-named query parameter, the live key in another parameter, and a key-shaped
    value in the path are scrubbed from the recorded URI (and from the echoed body)."""
    import requests

    monkeypatch.setenv("DIGITALOCEAN_INFERENCE_KEY", GRADIENT_KEY)
    with server.serving(leaky_service()) as address, routed_to(address):
        in_mode(monkeypatch, "record", "gradient")
        for url in (
            f"https://inference.do-ai.run/v1/models?access_token={QUERY_TOKEN}&limit=5",
            f"https://inference.do-ai.run/v1/models?q={GRADIENT_KEY}",
            f"https://inference.do-ai.run/v1/models?token=x&sig={QUERY_TOKEN}",
        ):
            assert requests.get(url, timeout=10).status_code == 200
    written = cassette_path("gradient").read_text()
    for sentinel in (QUERY_TOKEN, GRADIENT_KEY):
        assert sentinel not in written, f"{sentinel} reached the cassette"
    assert "uri: https://inference.do-ai.run/v1/models?access_token=<redacted>&limit=5" in written
    assert secret_scan.scan([cassette_path("gradient")]) == []


def test_userinfo_in_a_url_is_dropped():
    from vcr.request import Request

    request = Request("GET", f"https://bob:{QUERY_TOKEN}@h.example/p?x=1", "", {})
    assert Scrubber().request(request).uri == "https://<redacted>@h.example/p?x=1"


def test_secret_scan_and_the_writer_look_at_urls(tmp_path):
    (tmp_path / "leak.yaml").write_text(
        f"uri: https://h/p?api_key={QUERY_TOKEN}\nother: https://bob:{QUERY_TOKEN}@h/\n"
    )
    kinds = {line.split(": ")[1] for line in secret_scan.scan([tmp_path])}
    assert kinds == {"secret in a URL query", "password in a URL"}
    from vcr.request import Request

    request = Request("GET", f"https://h/p?api_key={QUERY_TOKEN}", "", {})
    response = {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": ""}}
    with pytest.raises(NotebookReplayError, match="secret in a URL query"):
        CassetteFile().save_cassette(
            tmp_path / "c.yaml", {"requests": [request], "responses": [response]}, ReadableYaml
        )


def test_secret_scan_flags_planted_secrets(tmp_path, capsys):
    (tmp_path / "clean.yaml").write_text("body: ocid1.compartment.oc1..replay-placeholder\n")
    assert secret_scan.main([str(tmp_path)]) == 0
    (tmp_path / "leak.ipynb").write_text(f'{{"text": "{TENANCY}", "k": "{GRADIENT_KEY}"}}')
    assert secret_scan.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "real OCID" in out and "Gradient model access key" in out
