"""OCI's OpenAI-compatible routes: langchain-oci's ChatOCIOpenAI on the Responses API (with
a conversation store, or store=False) and on Chat Completions, and ChatOCIGenAI with
use_responses_api=True, through the openai SDK's httpx stack (oci-openai's signer) and
`requests` (the OCI signer). Every recorded answer validates with the openai SDK's types;
refusals are 4xx with a clear message."""

from __future__ import annotations

import os

import httpx
import pytest
from langchain_core.tools import tool
from test_emulator_fidelity import check_cassette_deserializes

import notebook_replay
from conftest import OCI_ENDPOINT, in_mode
from notebook_replay.emulators import replies, server

E = replies.Entry
SCRIPT = [
    E(prompt="capital of Portugal", reply="Lisbon is the capital of Portugal."),
    E(prompt="weather in Porto", tool_calls=(replies.ToolCall("get_weather", {"city": "Porto"}),)),
    E(tool_result="17", reply="It is 17 °C and cloudy in Porto."),
]
STORE = "ocid1.generativeaiconversationstore.oc1.us-chicago-1.replay-placeholder"
ROUTES = {
    "chat-completions": {"use_responses_api": False},
    "responses-stateless": {"store": False},
    "responses-stored": {"conversation_store_id": STORE},
}


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"17 °C and cloudy in {city}"


@pytest.fixture(scope="module")
def openai_emulator():
    application = server.app(SCRIPT)
    with server.serving(application) as address:
        yield application, address
    assert not application.state.problems


@pytest.fixture
def oci_page(monkeypatch, openai_emulator):
    in_mode(monkeypatch, "record", "oci_generative_ai", openai_emulator[1])
    yield openai_emulator[0]
    notebook_replay.stop()
    check_cassette_deserializes("oci_generative_ai")


def oci_openai(model="openai.gpt-oss-120b", compartment=None, **kwargs):
    from langchain_oci import ChatOCIOpenAI
    from oci_openai import OciUserPrincipalAuth

    return ChatOCIOpenAI(
        auth=OciUserPrincipalAuth(config_file=os.environ["OCI_CONFIG_FILE"]),
        compartment_id=compartment or os.environ["OCI_COMPARTMENT_ID"],
        model=model,
        region="us-chicago-1",
        **kwargs,
    )


def text_of(message) -> str:
    if isinstance(message.content, str):
        return message.content
    return "".join(b.get("text", "") for b in message.content if isinstance(b, dict))


@pytest.mark.parametrize("route", ROUTES, ids=list(ROUTES))
def test_chat_oci_openai_invokes_streams_and_calls_tools(oci_page, route):
    model = oci_openai(**ROUTES[route])
    reply = model.invoke("What is the capital of Portugal?")
    assert text_of(reply) == "Lisbon is the capital of Portugal."
    assert reply.usage_metadata["total_tokens"] > reply.usage_metadata["input_tokens"] > 0
    chunks = list(model.stream("What is the capital of Portugal?"))
    assert len(chunks) > 5
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert text_of(whole) == "Lisbon is the capital of Portugal."
    with_tools = model.bind_tools([get_weather])
    call = with_tools.invoke("What is the weather in Porto?")
    assert [(c["name"], c["args"]) for c in call.tool_calls] == [("get_weather", {"city": "Porto"})]
    result = get_weather.invoke(call.tool_calls[0])
    final = with_tools.invoke(["What is the weather in Porto?", call, result])
    assert text_of(final) == "It is 17 °C and cloudy in Porto."


def test_chat_oci_genai_with_the_responses_api_invokes_and_streams(oci_page):
    from langchain_oci import ChatOCIGenAI

    model = ChatOCIGenAI(
        model_id="openai.gpt-oss-120b",
        service_endpoint=OCI_ENDPOINT,
        compartment_id=os.environ["OCI_COMPARTMENT_ID"],
        use_responses_api=True,
    )
    assert model.invoke("What is the capital of Portugal?").content == (
        "Lisbon is the capital of Portugal."
    )
    pieces = [c.content for c in model.stream("What is the capital of Portugal?")]
    assert "".join(pieces) == "Lisbon is the capital of Portugal." and len(pieces) > 5


def refused(call):
    import openai

    with pytest.raises(openai.APIStatusError) as raised:
        call()
    return raised.value.status_code, str(raised.value)


def test_a_stored_response_without_a_conversation_store_is_a_400(oci_page):
    # ChatOCIOpenAI refuses to build without one; a plain openai client can still send it.
    from oci_openai import OciUserPrincipalAuth
    from openai import OpenAI

    client = OpenAI(
        api_key="<NOTUSED>",
        base_url=f"{OCI_ENDPOINT}/openai/v1",
        max_retries=0,
        http_client=httpx.Client(
            auth=OciUserPrincipalAuth(config_file=os.environ["OCI_CONFIG_FILE"]),
            headers={"opc-compartment-id": os.environ["OCI_COMPARTMENT_ID"]},
        ),
    )
    status, message = refused(
        lambda: client.responses.create(model="openai.gpt-oss-120b", input="capital of Portugal")
    )
    assert status == 400 and "opc-conversation-store-id" in message


@pytest.mark.parametrize(
    "build, status, words",
    [
        (
            lambda: oci_openai(compartment="ocid1.compartment.oc1..other", store=False),
            404,
            "not found",
        ),
        (lambda: oci_openai(model="openai.gpt-9", store=False), 404, "not found"),
        (
            lambda: oci_openai(model="cohere.embed-v4.0", use_responses_api=False),
            404,
            "is an embedding model",
        ),
        (lambda: oci_openai(model="meta.llama-3.1-70b-instruct", store=False), 400, "retired"),
    ],
    ids=["other-compartment", "unknown-model", "embedding-model", "retired-model"],
)
def test_openai_routes_refuse_what_the_service_would(oci_page, build, status, words):
    got, message = refused(lambda: build().invoke("What is the capital of Portugal?"))
    assert got == status and words in message, message
