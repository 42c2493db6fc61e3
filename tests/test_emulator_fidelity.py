"""The emulators speak each service's wire format closely enough that the real SDK stacks
and all three LangChain classes consume them, and every reply deserializes with the SDKs'
own models. Each scenario runs in record mode, so its cassette is checked too."""

from __future__ import annotations

import functools
import json
import os

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

import notebook_replay
from conftest import (
    MODEL,
    OCI_ENDPOINT,
    cassette_path,
    gradient,
    in_mode,
    langchain_oci,
    no_retries_client,
    oci_chat,
)
from notebook_replay.emulators import replies, server

E = replies.Entry
SCRIPT = [
    E(prompt="capital of Portugal", reply="Lisbon is the capital of Portugal."),
    E(prompt="weather in Porto", tool_calls=(replies.ToolCall("get_weather", {"city": "Porto"}),)),
    E(tool_result="17", reply="It is 17 °C and cloudy in Porto right now."),
    E(prompt="Book a room", structured={"guest": "Ana Silva", "nights": 2}),
    E(prompt="rate limit once", fault="rate_limited_once", reply="Answered after one retry."),
    E(
        prompt="retry after",
        fault="rate_limited_once_with_retry_after",
        reply="Answered after the Retry-After wait.",
    ),
    E(prompt="always failing", fault="server_error", reply="never seen"),
    E(prompt="refused", fault="unauthorized", reply="never seen"),
    E(prompt="cut me off", fault="cut_stream", reply="This answer will stop half way through."),
    E(prompt="garbled", fault="malformed_json", reply="This body will not parse as JSON."),
]


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"17 °C and cloudy in {city}"


class Booking(BaseModel):
    """A hotel booking."""

    guest: str = Field(description="Full name of the guest")
    nights: int = Field(description="Number of nights")


@pytest.fixture(scope="module")
def fidelity_emulator():
    application = server.app(SCRIPT)
    with server.serving(application) as address:
        yield address


@pytest.fixture
def gradient_page(monkeypatch, fidelity_emulator):
    in_mode(monkeypatch, "record", "gradient", fidelity_emulator)
    yield
    check_cassette_deserializes("gradient")


@pytest.fixture
def oci_page(monkeypatch, fidelity_emulator):
    in_mode(monkeypatch, "record", "oci_generative_ai", fidelity_emulator)
    yield
    check_cassette_deserializes("oci_generative_ai")


def round_trip(model) -> str:
    """bind_tools → the model's tool call → run the tool → ToolMessage → final answer."""
    with_tools = model.bind_tools([get_weather])
    question = HumanMessage("What is the weather in Porto?")
    call = with_tools.invoke([question])
    assert [c["name"] for c in call.tool_calls] == ["get_weather"]
    assert call.tool_calls[0]["args"] == {"city": "Porto"}
    result = get_weather.invoke(call.tool_calls[0])
    assert isinstance(result, ToolMessage)
    return with_tools.invoke([question, call, result]).content


# --- Gradient through ChatGradient (pydo, azure-core) -------------------------------


def test_chat_gradient_invokes_streams_and_counts_usage(gradient_page):
    assert gradient().invoke("The capital of Portugal?").content == (
        "Lisbon is the capital of Portugal."
    )
    chunks = list(gradient(stream_options={"include_usage": True}).stream("capital of Portugal"))
    whole = sum(chunks[1:], chunks[0])
    assert whole.content == "Lisbon is the capital of Portugal."
    assert whole.usage_metadata["total_tokens"] > 0


def test_chat_gradient_tool_round_trip(gradient_page):
    assert round_trip(gradient()) == "It is 17 °C and cloudy in Porto right now."


def test_chat_gradient_streams_tool_calls_as_index_keyed_fragments(gradient_page):
    chunks = list(gradient().bind_tools([get_weather]).stream("weather in Porto?"))
    whole = sum(chunks[1:], chunks[0])
    assert len(chunks) > 3  # the arguments arrived in fragments
    assert whole.tool_calls == [
        {
            "name": "get_weather",
            "args": {"city": "Porto"},
            "id": whole.tool_calls[0]["id"],
            "type": "tool_call",
        }
    ]


def test_chat_gradient_structured_output_honours_the_forced_tool(gradient_page):
    booking = gradient().with_structured_output(Booking).invoke("Book a room for Ana")
    assert booking == Booking(guest="Ana Silva", nights=2)


def test_gradient_models_endpoint_lists_model_ids(gradient_page):
    from pydo.inference import Client

    listing = Client(api_key=os.environ["DIGITALOCEAN_INFERENCE_KEY"]).models.list()
    assert MODEL in [m["id"] for m in listing["data"]]


def test_gradient_unknown_model_is_a_404(gradient_page):
    from azure.core.exceptions import ResourceNotFoundError
    from langchain_gradient import ChatGradient

    llm = ChatGradient(model="llama-9000", api_key=os.environ["DIGITALOCEAN_INFERENCE_KEY"])
    with pytest.raises(ResourceNotFoundError, match="llama-9000"):
        llm.invoke("capital of Portugal")


def test_gradient_bare_429_is_not_retried_but_one_with_retry_after_is(gradient_page):
    """azure-core retries a POST on 429 only when Retry-After is present; the emulator
    sends that header only for the fault that asks for it (an assumption, see the ledger)."""
    from azure.core.exceptions import HttpResponseError

    with pytest.raises(HttpResponseError) as raised:
        gradient().invoke("rate limit once")
    assert raised.value.status_code == 429
    assert gradient().invoke("retry after").content == "Answered after the Retry-After wait."
    requests = cassette_text_interactions("gradient")
    assert [r["response"]["status"]["code"] for r in requests] == [429, 429, 200]
    assert "retry-after" not in requests[0]["response"]["headers"]


def test_gradient_server_error_and_refused_key_are_clear_errors(gradient_page):
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

    with pytest.raises(HttpResponseError, match="had an error") as raised:
        gradient(max_retries=0).invoke("always failing")
    assert raised.value.status_code == 500
    with pytest.raises(ClientAuthenticationError, match="refused"):
        gradient().invoke("refused")


def test_gradient_cut_stream_and_malformed_json_are_named(gradient_page):
    # ChatGradient 1.0.0 turns every streaming error into a chunk starting with [ERROR]:
    # here pydo's SSEStreamTransportError about the truncated last line.
    text = "".join(c.content for c in gradient().stream("cut me off"))
    assert text.startswith("This answer will ")
    assert "[ERROR] SSE stream ended with an incomplete line" in text
    with pytest.raises(Exception) as raised:
        gradient().invoke("garbled")
    assert "json" in repr(raised.value).lower() or "decode" in repr(raised.value).lower()


# --- OCI through langchain-community's ChatOCIGenAI ----------------------------------


def test_community_cohere_invokes_streams_and_calls_tools(oci_page):
    assert oci_chat().invoke("capital of Portugal").content == "Lisbon is the capital of Portugal."
    streamed = "".join(c.content for c in oci_chat().stream("capital of Portugal"))
    assert streamed == "Lisbon is the capital of Portugal."
    assert round_trip(oci_chat()) == "It is 17 °C and cloudy in Porto right now."
    booking = oci_chat().with_structured_output(Booking).invoke("Book a room for Ana")
    assert booking == Booking(guest="Ana Silva", nights=2)


def test_community_meta_invokes_but_its_stream_and_tools_fail(oci_page):
    meta = oci_chat("meta.llama-3.3-70b-instruct")
    assert meta.invoke("capital of Portugal").content == "Lisbon is the capital of Portugal."
    # langchain-community 0.4.2 parses every GENERIC event as JSON, the final [DONE] too.
    with pytest.raises(json.JSONDecodeError):
        "".join(c.content for c in meta.stream("capital of Portugal"))
    with pytest.raises(NotImplementedError):
        meta.bind_tools([get_weather])


def test_community_dedicated_endpoint_and_cohere_json_mode(oci_page):
    endpoint = "ocid1.generativeaiendpoint.oc1.us-chicago-1.replay-placeholder"
    dedicated = oci_chat(endpoint, provider="cohere")
    assert dedicated.invoke("capital of Portugal").content == "Lisbon is the capital of Portugal."
    body = cassette_text_interactions("oci_generative_ai")[-1]["request"]["body"]
    assert json.loads(body)["servingMode"] == {"servingType": "DEDICATED", "endpointId": endpoint}

    # langchain-community 0.4.2 sends responseFormat {"type": "json_object"}, lower case;
    # langchain-oci's own live test sends the same and expects success (see the ledger).
    as_json = oci_chat().with_structured_output(Booking, method="json_mode")
    assert as_json.invoke("Book a room for Ana") == Booking(guest="Ana Silva", nights=2)


def test_oci_unknown_model_is_a_404(oci_page):
    import oci

    with pytest.raises(oci.exceptions.ServiceError) as raised:
        oci_chat("cohere.command-z").invoke("capital of Portugal")
    assert (raised.value.status, raised.value.code) == (404, "404")
    assert raised.value.message == "Authorization failed or requested resource not found."


def test_oci_retired_model_answers_the_services_own_400(oci_page):
    """The body a real retired model gives (oracle/ai-optimizer issue 263): no date, no
    replacement, code "400"."""
    import oci

    with pytest.raises(oci.exceptions.ServiceError) as raised:
        oci_chat("cohere.command-r-16k").invoke("capital of Portugal")
    assert (raised.value.status, raised.value.code) == (400, "400")
    assert raised.value.message == "Model cohere.command-r-16k 1.0.0 is retired"


def test_oci_key_the_service_never_saw_is_a_401_not_authenticated(oci_page, tmp_path):
    """Signed with a fingerprint that names no uploaded key (a rotated key, a wrong
    profile): the service does not know who is asking. The SDK does not retry it."""
    import configparser

    import oci

    profile = configparser.ConfigParser()
    profile.read(os.environ["OCI_CONFIG_FILE"])
    profile["DEFAULT"]["fingerprint"] = ":".join(["aa"] * 16)
    stale = tmp_path / "stale_config"
    with open(stale, "w") as handle:
        profile.write(handle)
    with pytest.raises(oci.exceptions.ServiceError) as raised:
        oci_chat(auth_file_location=str(stale)).invoke("capital of Portugal")
    assert (raised.value.status, raised.value.code) == (401, "401")  # United-Codes/uc_ai#12
    codes = [
        r["response"]["status"]["code"] for r in cassette_text_interactions("oci_generative_ai")
    ]
    assert codes == [401]
    # The same profile with its real fingerprint, and a session token, are accepted.
    assert oci_chat().invoke("capital of Portugal").content.startswith("Lisbon")
    assert (
        oci_chat(auth_type="SECURITY_TOKEN", auth_profile="session")
        .invoke("capital of Portugal")
        .content.startswith("Lisbon")
    )


def test_oci_rate_limit_once_is_retried_by_the_sdk_then_answered(oci_page):
    assert oci_chat().invoke("rate limit once").content == "Answered after one retry."
    codes = [
        r["response"]["status"]["code"] for r in cassette_text_interactions("oci_generative_ai")
    ]
    assert codes[-2:] == [429, 200]


def test_oci_server_error_refusal_cut_stream_and_garbled_body_are_clear(oci_page):
    import oci

    no_retries = oci_chat(client=no_retries_client())
    with pytest.raises(oci.exceptions.ServiceError) as raised:
        no_retries.invoke("always failing")
    assert raised.value.status == 500 and raised.value.code == "500"
    with pytest.raises(oci.exceptions.ServiceError) as raised:
        no_retries.invoke("refused")
    assert raised.value.status == 401
    with pytest.raises(Exception) as cut:
        "".join(c.content for c in oci_chat().stream("cut me off"))
    assert cut.type.__name__ in ("JSONDecodeError", "ChunkedEncodingError", "ValueError")
    # The OCI SDK hands back a body it cannot parse as a plain string; the community class
    # then indexes into it: a TypeError is what a reader sees.
    with pytest.raises(TypeError, match="string indices"):
        oci_chat().invoke("garbled")


# --- OCI through langchain-oci's ChatOCIGenAI ----------------------------------------


@pytest.mark.parametrize("model_id", ["cohere.command-a-03-2025", "meta.llama-3.3-70b-instruct"])
def test_langchain_oci_invokes_streams_calls_tools_and_reports_usage(oci_page, model_id):
    answer = langchain_oci(model_id).invoke("capital of Portugal")
    assert answer.content == "Lisbon is the capital of Portugal."
    assert answer.usage_metadata["total_tokens"] > 0
    chunks = list(langchain_oci(model_id).stream("capital of Portugal"))
    whole = sum(chunks[1:], chunks[0])
    assert whole.content == "Lisbon is the capital of Portugal."
    assert round_trip(langchain_oci(model_id)) == "It is 17 °C and cloudy in Porto right now."


def test_langchain_oci_streams_generic_tool_calls(oci_page):
    chunks = list(langchain_oci().bind_tools([get_weather]).stream("weather in Porto?"))
    whole = sum(chunks[1:], chunks[0])
    assert [(c["name"], c["args"]) for c in whole.tool_calls] == [
        ("get_weather", {"city": "Porto"})
    ]


def test_langchain_oci_json_schema_structured_output(oci_page):
    structured = langchain_oci().with_structured_output(Booking, method="json_schema")
    assert structured.invoke("Book a room for Ana") == Booking(guest="Ana Silva", nights=2)


@pytest.mark.parametrize("model_id", ["cohere.command-a-03-2025", "meta.llama-3.3-70b-instruct"])
def test_langchain_oci_native_async_records_and_replays_through_aiohttp(
    monkeypatch, fidelity_emulator, model_id
):
    """langchain-oci's ainvoke/astream use the SDK's aiohttp client, not a thread: the
    recording reaches the emulator, the cassette keeps the service's https address, and
    a replay answers the same with the emulator out of the picture."""
    import asyncio

    async def ask():
        model = langchain_oci(model_id)
        answer = await model.ainvoke("capital of Portugal")
        chunks = [chunk async for chunk in model.astream("capital of Portugal")]
        return answer, sum(chunks[1:], chunks[0])

    in_mode(monkeypatch, "record", "oci_generative_ai", fidelity_emulator)
    recorded, streamed = asyncio.run(ask())
    notebook_replay.stop()
    assert recorded.content == streamed.content == "Lisbon is the capital of Portugal."
    uris = {i["request"]["uri"] for i in cassette_text_interactions("oci_generative_ai")}
    assert uris == {OCI_ENDPOINT + "/20231130/actions/chat"}
    assert "127.0.0.1" not in cassette_path("oci_generative_ai").read_text()

    in_mode(monkeypatch, "replay", "oci_generative_ai")
    replayed, restreamed = asyncio.run(ask())
    assert replayed.content == restreamed.content == recorded.content
    assert replayed.usage_metadata == recorded.usage_metadata


# --- What the cassettes hold deserializes with the SDKs' own models ------------------


def cassette_text_interactions(page: str) -> list[dict]:
    import yaml

    return yaml.safe_load(cassette_path(page).read_text())["interactions"]


def check_cassette_deserializes(page: str) -> None:
    if cassette_path(page).exists():
        for interaction in cassette_text_interactions(page):
            check_response(interaction["request"]["uri"], interaction["response"])


def committed_cassettes():
    folder = os.path.join(os.path.dirname(__file__), "..", "cassettes")
    return sorted(
        os.path.join(folder, name)
        for name in os.listdir(folder)
        if name.endswith(".yaml") and not name.endswith(".provenance.yaml")
    )


@pytest.mark.parametrize("path", committed_cassettes(), ids=os.path.basename)
def test_every_committed_cassette_deserializes_with_the_sdk_models(path):
    import yaml

    for interaction in yaml.safe_load(open(path).read())["interactions"]:
        check_response(interaction["request"]["uri"], interaction["response"])


def check_response(uri: str, response: dict) -> None:
    body = response["body"]["string"]
    status = response["status"]["code"]
    # aiohttp (the OCI SDK's async client) records header names as sent: compare in lower case.
    headers = {name.lower(): value for name, value in response["headers"].items()}
    content_type = headers.get("content-type")
    content_type = content_type[0] if content_type else ""
    if status >= 400:
        error = json.loads(body)
        assert "message" in error or "message" in error.get("error", {})
        return
    if "/20231130/actions/chat" in uri:
        check_oci(body, content_type, headers)
    elif "/20231130/actions/" in uri:
        check_oci_action(uri, body, content_type, headers)
    elif uri.endswith("/responses"):
        check_responses(body, content_type)
    elif uri.endswith("/openai/v1/chat/completions"):
        check_gradient(body, content_type)  # the same OpenAI contract
    elif uri.endswith("/v1/chat/completions"):
        check_gradient(body, content_type)
    elif uri.endswith("/v1/models"):
        from openai.types import Model

        assert all(Model.model_validate(m) for m in json.loads(body)["data"])


@functools.cache
def sdk_deserializer():
    """The OCI SDK's response deserializer, from one client: building a client loads its
    signing key, 40 ms a time, and the cassettes hold hundreds of answers."""
    return no_retries_client().base_client


def check_oci(body: str, content_type: str, headers: dict) -> None:
    """Through the OCI SDK's own deserializer and SSE reader."""
    import oci
    from oci._vendor import sseclient

    if content_type == "application/json":
        assert headers.get("content-length") == [str(len(body.encode()))]
        try:
            data = json.loads(body)
        except ValueError:
            return  # the malformed_json fault, on purpose
        result = sdk_deserializer().deserialize_response_data(
            json.dumps(data).encode(), "ChatResult"
        )
        assert isinstance(result, oci.generative_ai_inference.models.ChatResult)
        assert result.chat_response.api_format in ("COHERE", "COHEREV2", "GENERIC")
        return
    assert content_type == "text/event-stream", content_type
    events = [e.data for e in sseclient.SSEClient(Chunks(body)).events()]
    assert events
    for data in events:
        if data != "[DONE]":
            try:
                assert "pad" in json.loads(data)
            except ValueError:
                return  # the cut_stream and malformed_json faults, on purpose


OCI_ACTIONS = {
    "embedText": "EmbedTextResult",
    "rerankText": "RerankTextResult",
    "applyGuardrails": "ApplyGuardrailsResult",
}


def check_oci_action(uri: str, body: str, content_type: str, headers: dict) -> None:
    """embedText, rerankText, applyGuardrails: JSON the OCI SDK deserializes as its model."""
    import oci

    action = uri.split("/20231130/actions/")[1].split("?")[0]
    assert content_type == "application/json", content_type
    assert headers.get("content-length") == [str(len(body.encode()))]
    model = OCI_ACTIONS[action]
    result = sdk_deserializer().deserialize_response_data(body.encode(), model)
    assert isinstance(result, getattr(oci.generative_ai_inference.models, model))


def check_responses(body: str, content_type: str) -> None:
    """OCI's Responses routes, through the openai SDK's own types (the OpenAI contract)."""
    import pydantic
    from openai.types.responses import Response, ResponseStreamEvent

    if content_type == "application/json":
        assert Response.model_validate(json.loads(body)).object == "response"
        return
    assert content_type == "text/event-stream", content_type
    adapter = pydantic.TypeAdapter(ResponseStreamEvent)
    events = [line[6:] for line in body.splitlines() if line.startswith("data: ")]
    parsed = [adapter.validate_json(data) for data in events]
    assert [e.sequence_number for e in parsed] == list(range(len(parsed)))
    assert parsed[0].type == "response.created" and parsed[-1].type == "response.completed"


class Chunks:
    """The recorded body as the SDKs' SSE readers take it: bytes, in pieces."""

    def __init__(self, body: str):
        self.data = body.encode()

    def __iter__(self):
        return iter([self.data[i : i + 64] for i in range(0, len(self.data), 64)])

    def iter_bytes(self):
        return iter(self)


def check_gradient(body: str, content_type: str) -> None:
    """Through OpenAI's types, and pydo's own SSE reader for streams."""
    from openai.types.chat import ChatCompletion, ChatCompletionChunk
    from pydo.custom_extensions import SSEStream
    from pydo.exceptions import SSEStreamDecodeError, SSEStreamTransportError

    if content_type.startswith("application/json"):
        try:
            data = json.loads(body)
        except ValueError:
            return  # the malformed_json fault, on purpose
        assert ChatCompletion.model_validate(data).object == "chat.completion"
        return
    assert content_type.startswith("text/event-stream")
    try:
        chunks = list(SSEStream(Chunks(body)))
    except (SSEStreamDecodeError, SSEStreamTransportError):
        return  # the malformed_json and cut_stream faults: pydo names them
    assert body.endswith("data: [DONE]\n\n")
    for chunk in chunks:
        ChatCompletionChunk.model_validate(dict(chunk))
