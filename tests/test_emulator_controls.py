"""The services' own controls, validation and reply-script problems, driven through the
real SDKs over loopback: ChatGradient (pydo, azure-core), the openai SDK and ChatOpenAI
against the Gradient emulator, and the OCI SDK with both ChatOCIGenAI classes."""

from __future__ import annotations

import itertools
import json
import os

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from test_emulator_fidelity import check_cassette_deserializes

from conftest import gradient, in_mode, langchain_oci, no_retries_client, oci_chat
from notebook_replay.emulators import catalog, replies, server, tokens

E = replies.Entry
TWO_SENTENCES = "Lisbon is the capital of Portugal. It sits on seven hills above the Tagus river."
SCRIPT = [
    E(prompt="capital of Portugal", system="pirate", reply="Arr, Lisbon be the capital."),
    E(prompt="capital of Portugal", reply=TWO_SENTENCES),
    E(prompt="Name a colour", reply=("Teal.", "Ochre.", "Indigo.")),
    E(
        prompt="How many r in strawberry",
        reasoning="Spell it: s-t-r-a-w-b-e-r-r-y. The letter r appears at 3, 8 and 9.",
        reply="Three.",
    ),
    E(prompt="Just chat", reply="Happy to chat without any tools."),
    E(
        prompt="weather in Porto and Lisbon",
        tool_calls=(
            replies.ToolCall("get_weather", {"city": "Porto"}),
            replies.ToolCall("get_weather", {"city": "Lisbon"}),
        ),
    ),
    E(prompt="Reply in JSON please", reply="This is not JSON at all."),
    E(prompt="Book Ana", structured={"guest": "Ana", "nights": 2, "kind": "double"}),
    E(tool_result="17", reply="It is 17 °C in Porto."),
]


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"17 °C in {city}"


class Booking(BaseModel):
    """A hotel booking."""

    guest: str = Field(description="Full name of the guest")
    nights: int = Field(description="Number of nights", ge=1)
    kind: str = Field(description="Room kind", json_schema_extra={"enum": ["single", "double"]})


@pytest.fixture(scope="module")
def controls_app():
    application = server.app(SCRIPT)
    with server.serving(application) as address:
        yield application, address


@pytest.fixture
def gradient_emu(monkeypatch, controls_app):
    """Recording ChatGradient's exchanges; afterwards every recorded response must
    deserialize with the SDKs' own models and SSE readers."""
    application, address = controls_app
    in_mode(monkeypatch, "record", "gradient", address)
    yield application
    check_cassette_deserializes("gradient")


@pytest.fixture
def oci_emu(monkeypatch, controls_app):
    application, address = controls_app
    in_mode(monkeypatch, "record", "oci_generative_ai", address)
    yield application
    check_cassette_deserializes("oci_generative_ai")


def openai_client(address):
    """The openai SDK pointed at the Gradient emulator, as ChatOpenAI(base_url=…) is."""
    import openai

    from notebook_replay.providers import GRADIENT_PLACEHOLDER_KEY

    return openai.OpenAI(
        base_url=f"http://{address}/v1", api_key=GRADIENT_PLACEHOLDER_KEY, max_retries=0
    )


def chat_openai(address, model="llama3.3-70b-instruct", **kwargs):
    from langchain_openai import ChatOpenAI

    from notebook_replay.providers import GRADIENT_PLACEHOLDER_KEY

    return ChatOpenAI(
        model=model,
        base_url=f"http://{address}/v1",
        api_key=GRADIENT_PLACEHOLDER_KEY,
        max_retries=0,
        **kwargs,
    )


def oci_raw_chat(chat_request: dict, model="meta.llama-3.3-70b-instruct"):
    """A ChatDetails sent as a plain dict through the OCI SDK (signing, HTTP, errors)."""
    return no_retries_client().chat(
        {
            "compartmentId": os.environ["OCI_COMPARTMENT_ID"],
            "servingMode": {"servingType": "ON_DEMAND", "modelId": model},
            "chatRequest": chat_request,
        }
    )


def generic(text="capital of Portugal", **extra) -> dict:
    return {
        "apiFormat": "GENERIC",
        "messages": [{"role": "USER", "content": [{"type": "TEXT", "text": text}]}],
        **extra,
    }


def first_tokens(n: int) -> str:
    return "".join(tokens.tokens(TWO_SENTENCES)[:n])


# --- Stop sequences and max tokens ---------------------------------------------------


def test_gradient_stop_sequences_cut_the_reply_with_finish_reason_stop(gradient_emu):
    answer = gradient(stop_sequences=["seven"]).invoke("capital of Portugal")
    assert answer.content == TWO_SENTENCES.split("seven")[0]
    assert answer.response_metadata["finish_reason"] == "stop"


def test_gradient_max_tokens_truncate_with_finish_reason_length(gradient_emu, controls_app):
    answer = gradient(max_tokens=5).invoke("capital of Portugal")
    assert answer.content == first_tokens(5)
    assert answer.response_metadata["finish_reason"] == "length"
    reply = openai_client(controls_app[1]).chat.completions.create(
        model="llama3.3-70b-instruct",
        messages=[{"role": "user", "content": "capital of Portugal"}],
        max_completion_tokens=7,
    )
    assert reply.choices[0].message.content == first_tokens(7)
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 7  # one tokenizer for cuts and counts


def test_oci_generic_stop_and_max_tokens(oci_emu):
    stopped = langchain_oci().invoke("capital of Portugal", stop=["seven"])
    assert stopped.content == TWO_SENTENCES.split("seven")[0]
    assert stopped.response_metadata["finish_reason"] == "stop"
    cut = langchain_oci(model_kwargs={"max_tokens": 4}).invoke("capital of Portugal")
    assert cut.content == first_tokens(4)
    assert cut.response_metadata["finish_reason"] == "length"
    assert cut.usage_metadata["output_tokens"] == 4


def test_oci_cohere_stop_finishes_null_and_max_tokens_is_MAX_TOKENS(oci_emu):
    cohere = "cohere.command-a-03-2025"
    stopped = langchain_oci(cohere).invoke("capital of Portugal", stop=["seven"])
    assert stopped.content == TWO_SENTENCES.split("seven")[0]
    assert stopped.response_metadata.get("finish_reason") is None
    cut = langchain_oci(cohere, model_kwargs={"max_tokens": 3}).invoke("capital of Portugal")
    assert cut.content == first_tokens(3)
    assert cut.response_metadata["finish_reason"] == "MAX_TOKENS"
    # langchain-community's class sends the same stopSequences
    assert (
        oci_chat().invoke("capital of Portugal", stop=["seven"]).content
        == (TWO_SENTENCES.split("seven")[0])
    )


def test_oci_openai_models_take_max_completion_tokens_and_refuse_max_tokens(oci_emu):
    import oci

    gpt = "openai.gpt-oss-120b"
    cut = langchain_oci(gpt, model_kwargs={"max_tokens": 6}).invoke("capital of Portugal")
    assert cut.content == first_tokens(6)  # langchain-oci sent maxCompletionTokens
    with pytest.raises(oci.exceptions.ServiceError) as raised:
        oci_raw_chat(generic(maxTokens=6), model=gpt)
    assert (raised.value.status, raised.value.code) == (400, "400")
    inner = json.loads(raised.value.message)["error"]  # OpenAI's error, wrapped by OCI
    assert (inner["param"], inner["code"]) == ("maxTokens", "unsupported_parameter")


def test_langchain_oci_drops_a_sampling_parameter_gpt5_rejects_and_retries(oci_emu):
    gpt5 = langchain_oci("openai.gpt-5", model_kwargs={"temperature": 0.5})
    with pytest.warns(UserWarning, match="OCI rejected parameter 'temperature'"):
        assert gpt5.invoke("capital of Portugal").content == TWO_SENTENCES
    import yaml

    from conftest import cassette_path

    recorded = yaml.safe_load(cassette_path("oci_generative_ai").read_text())["interactions"]
    assert [i["response"]["status"]["code"] for i in recorded] == [400, 200]


# --- n / numGenerations, temperature -------------------------------------------------


def test_gradient_n_gives_that_many_choices(controls_app):
    result = chat_openai(controls_app[1], n=3).generate([[HumanMessage("Name a colour")]])
    assert [g.text for g in result.generations[0]] == ["Teal.", "Ochre.", "Indigo."]


def test_oci_num_generations_gives_that_many_choices(oci_emu):
    result = oci_raw_chat(generic("Name a colour", numGenerations=2)).data
    texts = [c.message.content[0].text for c in result.chat_response.choices]
    assert texts == ["Teal.", "Ochre."]
    assert [c.index for c in result.chat_response.choices] == [0, 1]


def test_temperature_out_of_range_is_a_400_on_both_services(oci_emu, controls_app):
    import oci
    import openai

    with pytest.raises(openai.BadRequestError, match="temperature"):
        chat_openai(controls_app[1], temperature=2.5).invoke("capital of Portugal")
    assert chat_openai(controls_app[1], temperature=1.5).invoke("capital of Portugal").content
    with pytest.raises(oci.exceptions.ServiceError) as raised:
        langchain_oci("cohere.command-a-03-2025", model_kwargs={"temperature": 1.5}).invoke(
            "capital of Portugal"
        )
    assert (raised.value.status, raised.value.code) == (400, "400")
    assert langchain_oci(model_kwargs={"temperature": 1.5}).invoke("capital of Portugal").content


# --- Tool choice, synthesized calls, parallel calls ----------------------------------


def test_forced_tool_without_a_scripted_call_gets_a_schema_valid_call(gradient_emu, oci_emu):
    for model in (gradient(), langchain_oci()):
        forced = model.bind_tools([Booking], tool_choice="any")
        call = forced.invoke("Just chat").tool_calls[0]
        assert call["name"] == "Booking"
        Booking.model_validate(call["args"])  # valid for the schema
        assert call["args"] == {"guest": "example", "nights": 1, "kind": "single"}


def test_tool_choice_none_never_calls_and_named_calls_that_tool(oci_emu, controls_app):
    none = chat_openai(controls_app[1]).bind_tools([get_weather], tool_choice="none")
    answer = none.invoke("Just chat")
    assert answer.tool_calls == [] and answer.content == "Happy to chat without any tools."
    named = chat_openai(controls_app[1]).bind_tools([get_weather, Booking], tool_choice="Booking")
    assert [c["name"] for c in named.invoke("weather in Porto and Lisbon").tool_calls] == [
        "Booking"
    ]
    oci_named = langchain_oci().bind_tools([get_weather, Booking], tool_choice="Booking")
    assert [c["name"] for c in oci_named.invoke("Just chat").tool_calls] == ["Booking"]


def test_chat_gradient_bare_tool_name_choice_is_refused_as_the_contract_says(gradient_emu):
    from azure.core.exceptions import HttpResponseError

    with pytest.raises(HttpResponseError) as raised:
        gradient().bind_tools([get_weather], tool_choice="get_weather").invoke("Just chat")
    assert raised.value.status_code == 400 and "Supported values" in str(raised.value)


def test_parallel_tool_calls_only_where_the_catalog_says_so(oci_emu, controls_app):
    assert catalog.gradient()["openai-gpt-4o"].can("parallel_tools")
    both = chat_openai(controls_app[1], model="openai-gpt-4o").bind_tools([get_weather])
    calls = both.invoke("weather in Porto and Lisbon").tool_calls
    assert [c["args"]["city"] for c in calls] == ["Porto", "Lisbon"]
    one = chat_openai(controls_app[1]).bind_tools([get_weather])
    assert len(one.invoke("weather in Porto and Lisbon").tool_calls) == 1
    off = chat_openai(controls_app[1], model="openai-gpt-4o").bind_tools(
        [get_weather], parallel_tool_calls=False
    )
    assert len(off.invoke("weather in Porto and Lisbon").tool_calls) == 1
    maverick = langchain_oci("meta.llama-4-maverick-17b-128e-instruct-fp8")
    oci_calls = maverick.bind_tools([get_weather]).invoke("weather in Porto and Lisbon")
    assert len(oci_calls.tool_calls) == 2
    assert (
        len(
            langchain_oci()
            .bind_tools([get_weather])
            .invoke("weather in Porto and Lisbon")
            .tool_calls
        )
        == 1
    )


def test_oci_generic_streamed_parallel_calls_open_at_position_0_then_id_less_fragments(oci_emu):
    """The GPT pattern langchain-oci's process_stream_tool_calls documents: an id+name delta
    opens each call at toolCalls position 0, id-less argument fragments follow."""
    maverick = langchain_oci("meta.llama-4-maverick-17b-128e-instruct-fp8")
    chunks = list(maverick.bind_tools([get_weather]).stream("weather in Porto and Lisbon"))
    whole = sum(chunks[1:], chunks[0])
    assert [c["args"] for c in whole.tool_calls] == [{"city": "Porto"}, {"city": "Lisbon"}]
    assert "oci.stream.generic-tool-calls" in oci_emu.state.ledger_used
    response = oci_raw_chat(
        generic(
            "weather in Porto and Lisbon",
            isStream=True,
            tools=[{"type": "FUNCTION", "name": "get_weather", "parameters": {}}],
        ),
        model="meta.llama-4-maverick-17b-128e-instruct-fp8",
    )
    assert response.headers.get("opc-request-id")
    deltas = [
        event["message"]["toolCalls"]
        for event in (json.loads(e.data) for e in response.data.events() if e.data != "[DONE]")
        if event.get("message", {}).get("toolCalls")
    ]
    assert all(len(d) == 1 for d in deltas)
    openings = [d[0] for d in deltas if "id" in d[0]]
    assert [o["name"] for o in openings] == ["get_weather", "get_weather"]
    assert all(o["arguments"] == "" for o in openings)
    assert len(deltas) > len(openings) + 2  # token-sized argument fragments


# --- Reasoning and usage details -----------------------------------------------------


def test_gradient_reasoning_models_answer_reasoning_content_and_count_it(controls_app):
    client = openai_client(controls_app[1])
    ask = dict(messages=[{"role": "user", "content": "How many r in strawberry?"}])
    reply = client.chat.completions.create(model="openai-gpt-oss-120b", **ask)
    message = reply.choices[0].message
    reasoning = SCRIPT[3].reasoning
    assert message.content == "Three." and message.model_extra["reasoning_content"] == reasoning
    assert reply.usage.completion_tokens_details.reasoning_tokens == tokens.count(reasoning)
    streamed = client.chat.completions.create(model="openai-gpt-oss-120b", stream=True, **ask)
    pieces = [c.choices[0].delta.model_extra.get("reasoning_content") for c in streamed]
    assert "".join(p for p in pieces if p) == reasoning
    off = client.chat.completions.create(
        model="openai-gpt-oss-120b", reasoning_effort="none", **ask
    )
    assert "reasoning_content" not in (off.choices[0].message.model_extra or {})
    plain = client.chat.completions.create(model="llama3.3-70b-instruct", **ask)
    assert "reasoning_content" not in (plain.choices[0].message.model_extra or {})


def test_gradient_takes_every_effort_digitalocean_lists_and_refuses_others(controls_app):
    """pydo's create_chat_completion docstring (DigitalOcean's API description) lists
    none, minimal, low, medium, high and xhigh; DigitalOcean's Use Reasoning page adds max."""
    import openai

    client = openai_client(controls_app[1])
    ask = dict(
        model="openai-gpt-oss-120b",
        messages=[{"role": "user", "content": "How many r in strawberry?"}],
    )
    for effort in ("xhigh", "max"):
        high = client.chat.completions.create(reasoning_effort=effort, **ask)
        assert high.choices[0].message.content == "Three."
    with pytest.raises(openai.BadRequestError, match="reasoning_effort|Supported values"):
        client.chat.completions.create(reasoning_effort="extreme", **ask)


def test_gradient_stream_options_usage_chunk_and_refusal_without_stream(controls_app):
    """OpenAI's stream options: the usage chunk comes last with no choices, every other
    chunk has usage null; without stream the service refuses them in its own words, as
    langchain-gradient's comment quotes them."""
    import httpx

    from notebook_replay.providers import GRADIENT_PLACEHOLDER_KEY

    ask = dict(
        model="llama3.3-70b-instruct",
        messages=[{"role": "user", "content": "capital of Portugal?"}],
        stream_options={"include_usage": True},
    )
    headers = {"authorization": f"Bearer {GRADIENT_PLACEHOLDER_KEY}"}
    url = f"http://{controls_app[1]}/v1/chat/completions"
    streamed = httpx.post(url, json={**ask, "stream": True}, headers=headers).text
    chunks = [json.loads(line[6:]) for line in streamed.split("\n\n") if line[6:7] == "{"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    assert all("usage" in c and c["usage"] is None for c in chunks[:-1])
    refused = httpx.post(url, json=ask, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        "Stream options can only be defined when `stream=True`"
    )


def test_gradient_usage_has_digitalocean_cache_counters(controls_app):
    """DigitalOcean's usage schema (pydo create_chat_completion response) requires the
    cache counters; no cache hit is emulated, so they are 0."""
    client = openai_client(controls_app[1])
    reply = client.chat.completions.create(
        model="llama3.3-70b-instruct",
        messages=[{"role": "user", "content": "capital of Portugal?"}],
    )
    usage = reply.usage.model_extra
    assert usage["cache_read_input_tokens"] == 0 and usage["cache_created_input_tokens"] == 0
    assert usage["cache_creation"] == {
        "ephemeral_1h_input_tokens": 0,
        "ephemeral_5m_input_tokens": 0,
    }
    assert reply.choices[0].message.refusal is None


def test_oci_reasoning_content_and_usage_details_for_openai_models(oci_emu):
    gpt = langchain_oci("openai.gpt-oss-120b")
    answer = gpt.invoke("How many r in strawberry?")
    assert answer.content == "Three."
    assert answer.additional_kwargs.get("reasoning_content") == SCRIPT[3].reasoning
    details = answer.usage_metadata.get("output_token_details", {})
    # langchain-oci 0.4.0 names the key reasoning_tokens (LangChain's standard is reasoning)
    assert details.get("reasoning_tokens") == tokens.count(SCRIPT[3].reasoning)
    chunks = list(gpt.stream("How many r in strawberry?"))
    whole = sum(chunks[1:], chunks[0])
    assert whole.content == "Three."
    assert whole.additional_kwargs.get("reasoning_content") == SCRIPT[3].reasoning


# --- Token-sized, deterministic streams ----------------------------------------------


def _events(response) -> list:
    return [e.data if e.data == "[DONE]" else json.loads(e.data) for e in response.data.events()]


def test_oci_stream_framing_on_the_wire_in_both_formats(oci_emu):
    """What the clients do not all read, checked on the wire: COHERE deltas, then a final
    event repeating the whole text with the CHATBOT turn, finishReason and usage, no
    [DONE]; GENERIC an empty first delta, a finishReason event, a usage event, [DONE];
    a pad on every JSON event; GENERIC text answers carry toolCalls []."""
    usage = {"isStream": True, "streamOptions": {"isIncludeUsage": True}}
    cohere = _events(
        oci_raw_chat(
            {"apiFormat": "COHERE", "message": "capital of Portugal", **usage},
            model="cohere.command-a-03-2025",
        )
    )
    *deltas, final = cohere
    assert "".join(e["text"] for e in deltas) == final["text"] == TWO_SENTENCES
    assert all("finishReason" not in e for e in deltas)
    assert final["finishReason"] == "COMPLETE" and final["usage"]["totalTokens"] > 0
    assert final["chatHistory"][-1] == {"role": "CHATBOT", "message": TWO_SENTENCES}
    generic_stream = _events(oci_raw_chat(generic(**usage)))
    assert generic_stream[0]["message"]["content"] == [{"type": "TEXT", "text": ""}]
    assert generic_stream[-1] == "[DONE]"
    assert generic_stream[-3]["finishReason"] == "stop"
    assert set(generic_stream[-2]) == {"usage", "pad"}
    assert generic_stream[-2]["usage"]["totalTokens"] > 0
    assert all(isinstance(e, str) or e["pad"] for e in cohere + generic_stream)
    answer = oci_raw_chat(generic()).data.chat_response
    assert answer.choices[0].message.tool_calls == []
    cohere_answer = oci_raw_chat(
        {"apiFormat": "COHERE", "message": "capital of Portugal"}, model="cohere.command-a-03-2025"
    ).data.chat_response
    assert cohere_answer.chat_history[-1].role == "CHATBOT"
    assert cohere_answer.chat_history[-1].message == TWO_SENTENCES


def _check_token_sized(pieces: list[str]) -> None:
    pieces = [p for p in pieces if p]
    assert "".join(pieces) == TWO_SENTENCES
    # One BPE token an event: real OCI deltas average 4.3-4.5 characters and keep common
    # words whole (oci.stream.tokens), while a rare word is split.
    assert 3.5 <= sum(map(len, pieces)) / len(pieces) <= 5.5
    assert " capital" in pieces and " Portugal" in pieces
    split = [a for a, b in itertools.pairwise(pieces) if a[-1].isalpha() and b[0].isalpha()]
    assert split  # words split across events ("Lis" + "bon")


def test_streams_are_token_sized_and_deterministic_in_both_formats(gradient_emu, oci_emu):
    streams = {
        "ChatGradient": lambda: gradient().stream("capital of Portugal"),
        "langchain-oci GENERIC": lambda: langchain_oci().stream("capital of Portugal"),
        "langchain-oci COHERE": lambda: langchain_oci("cohere.command-a-03-2025").stream(
            "capital of Portugal"
        ),
        "langchain-community COHERE": lambda: oci_chat().stream("capital of Portugal"),
    }
    for name, stream in streams.items():
        first = [c.content for c in stream()]
        _check_token_sized(first)
        assert [c.content for c in stream()] == first, name


def test_cohere_streamed_tool_calls_reach_both_langchain_classes(oci_emu):
    for model in (langchain_oci("cohere.command-a-03-2025"), oci_chat()):
        chunks = list(model.bind_tools([get_weather]).stream("weather in Porto and Lisbon"))
        whole = sum(chunks[1:], chunks[0])
        assert [(c["name"], c["args"]) for c in whole.tool_calls] == [
            ("get_weather", {"city": "Porto"})
        ], type(model).__module__


# --- Validation: the 400s the services give ------------------------------------------


@pytest.mark.parametrize(
    "messages, says",
    [
        ([], "too short"),
        ([{"role": "wizard", "content": "hi"}], "Supported values"),
        (
            [
                {"role": "user", "content": "hi"},
                {"role": "tool", "tool_call_id": "x", "content": "17"},
            ],
            "must be a response to a preceding message with 'tool_calls'",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {
                            "type": "image_url",
                            "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="},
                        },
                    ],
                }
            ],
            "image_url",
        ),
    ],
    ids=["empty", "unknown-role", "orphan-tool", "image-to-text-model"],
)
def test_gradient_refuses_bad_requests_with_400s(controls_app, messages, says):
    import openai

    with pytest.raises(openai.BadRequestError) as raised:
        openai_client(controls_app[1]).chat.completions.create(
            model="llama3.3-70b-instruct", messages=messages
        )
    assert says in raised.value.body["message"]


def test_gradient_wrong_typed_field_and_vision_model_image(controls_app):
    import openai

    client = openai_client(controls_app[1])
    with pytest.raises(openai.BadRequestError, match="temperature"):
        client.chat.completions.create(
            model="llama3.3-70b-instruct",
            messages=[{"role": "user", "content": "capital of Portugal"}],
            temperature="warm",
        )
    image = [
        {"type": "text", "text": "capital of Portugal"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    ]
    reply = client.chat.completions.create(
        model="openai-gpt-4o", messages=[{"role": "user", "content": image}]
    )
    assert reply.choices[0].message.content == TWO_SENTENCES


@pytest.mark.parametrize(
    "chat_request, model, says",
    [
        ({"apiFormat": "GENERIC", "messages": []}, None, "must not be empty"),
        (generic(temperature="warm"), None, "Please pass in correct format of request."),
        (
            {"apiFormat": "GENERIC", "messages": [{"role": "WIZARD", "content": []}]},
            None,
            "Please pass in correct format of request.",
        ),
        (
            {
                "apiFormat": "GENERIC",
                "messages": [
                    {
                        "role": "USER",
                        "content": [
                            {"type": "TEXT", "text": "What is this?"},
                            {
                                "type": "IMAGE",
                                "imageUrl": {"url": "data:image/png;base64,iVBORw0KGgo="},
                            },
                        ],
                    }
                ],
            },
            None,
            "does not accept image",
        ),
        ({"apiFormat": "COHERE", "message": ""}, "cohere.command-a-03-2025", "must not be empty"),
        (generic(responseFormat={"type": "XML"}), None, "responseFormat"),
    ],
    ids=[
        "empty",
        "wrong-type",
        "unknown-role",
        "image-to-text-model",
        "cohere-empty",
        "unknown-response-format",
    ],
)
def test_oci_refuses_bad_requests_with_400s_whose_code_is_400(oci_emu, chat_request, model, says):
    import oci

    with pytest.raises(oci.exceptions.ServiceError) as raised:
        oci_raw_chat(chat_request, model=model or "meta.llama-3.3-70b-instruct")
    assert (raised.value.status, raised.value.code) == (400, "400")
    assert says in raised.value.message


def test_oci_vision_model_takes_images_and_lower_case_json_object_is_accepted(oci_emu):
    image = {"type": "IMAGE", "imageUrl": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    request = generic()
    request["messages"][0]["content"].append(image)
    reply = oci_raw_chat(request, model="meta.llama-3.2-90b-vision-instruct").data
    assert reply.chat_response.choices[0].message.content[0].text == TWO_SENTENCES
    with pytest.raises(Exception) as raised:  # the reply is not JSON: a script problem
        oci_raw_chat(generic("Reply in JSON please", responseFormat={"type": "json_object"}))
    assert "emulator reply script:" in str(raised.value)


# --- Reply-script problems -----------------------------------------------------------


def test_unscripted_prompts_are_400s_named_in_app_problems(gradient_emu, oci_emu):
    import oci
    from azure.core.exceptions import HttpResponseError

    before = len(gradient_emu.state.problems)
    with pytest.raises(HttpResponseError) as raised:
        gradient().invoke("A prompt nobody scripted")
    assert raised.value.status_code == 400
    assert "emulator reply script: no entry answers" in str(raised.value)
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        oci_chat().invoke("Another prompt nobody scripted")  # default retries: a 400 is final
    assert refused.value.status == 400
    assert refused.value.message.startswith("emulator reply script:")
    problems = gradient_emu.state.problems[before:]
    assert [(p["kind"], p["service"], p["prompt"]) for p in problems] == [
        ("unscripted", "gradient", "A prompt nobody scripted"),
        ("unscripted", "oci", "Another prompt nobody scripted"),
    ]


def test_a_script_that_cannot_satisfy_the_request_is_a_script_error(controls_app):
    import openai

    application, address = controls_app
    before = len(application.state.problems)
    with pytest.raises(openai.BadRequestError, match="emulator reply script:"):
        chat_openai(address, model_kwargs={"response_format": {"type": "json_object"}}).invoke(
            "Reply in JSON please"
        )
    assert application.state.problems[before]["kind"] == "script_error"


def test_tool_round_trip_still_works_after_validation(oci_emu):
    question = HumanMessage("weather in Porto and Lisbon")
    call = langchain_oci().bind_tools([get_weather]).invoke([question])
    result = ToolMessage("17 °C", tool_call_id=call.tool_calls[0]["id"])
    answer = langchain_oci().bind_tools([get_weather]).invoke([question, call, result])
    assert answer.content == "It is 17 °C in Porto."
    assert isinstance(call, AIMessage)


# --- Catalog-driven model listings ---------------------------------------------------


def test_gradient_models_mirror_the_catalog(controls_app):
    listed = [m.id for m in openai_client(controls_app[1]).models.list()]
    assert listed == sorted(m.id for m in catalog.gradient().values() if not m.retired)


def oci_models_by_name() -> dict:
    """GET /models on the management host, through the OCI SDK, by display name."""
    import oci

    client = oci.generative_ai.GenerativeAiClient(
        oci.config.from_file(os.environ["OCI_CONFIG_FILE"]),
        service_endpoint="https://generativeai.us-chicago-1.oci.oraclecloud.com",
    )
    items = client.list_models(os.environ["OCI_COMPARTMENT_ID"]).data.items
    return {m.display_name: m for m in items}


def test_oci_list_models_shows_the_catalog_with_retirements(oci_emu):
    by_name = oci_models_by_name()
    assert set(by_name) == set(catalog.oci())
    retired = by_name["cohere.command-r-16k"]
    assert retired.time_on_demand_retired.date().isoformat() == "2025-01-16"
    assert by_name["cohere.command-a-03-2025"].time_on_demand_retired is None
    assert "CHAT" in by_name["cohere.command-a-03-2025"].capabilities


def test_oci_list_models_carries_each_models_lifecycle_dates(oci_emu):
    by_name = oci_models_by_name()
    gpt5, v3 = by_name["openai.gpt-5"], by_name["cohere.embed-english-v3.0"]
    assert (
        gpt5.time_deprecated.date().isoformat(),
        gpt5.time_on_demand_retired.date().isoformat(),
    ) == (
        "2026-06-11",
        "2026-12-11",
    )
    assert v3.time_dedicated_retired.date().isoformat() == "2026-10-21"
    assert by_name["cohere.command-a-03-2025"].time_deprecated is None
    assert "oci.models.lifecycle" in oci_emu.state.ledger_used


def test_a_deprecated_models_answers_carry_model_retirement_info_into_the_cassette(oci_emu):
    """openai.gpt-5 is deprecated on the tests' fixed day (OpenAI shuts it down on
    2026-12-11); Command A has no retirement date and gets no header."""
    from oci.generative_ai_inference import models

    import notebook_replay
    from conftest import cassette_path

    def chat(model_id):
        return no_retries_client().chat(
            models.ChatDetails(
                compartment_id=os.environ["OCI_COMPARTMENT_ID"],
                serving_mode=models.OnDemandServingMode(model_id=model_id),
                chat_request=generic("capital of Portugal"),
            )
        )

    assert chat("openai.gpt-5").headers["model-retirement-info"] == "2026-12-11T00:00:00.000Z"
    assert "model-retirement-info" not in chat("meta.llama-3.3-70b-instruct").headers
    notebook_replay.stop()  # writes the cassette
    recorded = cassette_path("oci_generative_ai").read_text()
    assert "model-retirement-info:\n      - '2026-12-11T00:00:00.000Z'" in recorded
    assert "oci.response.retirement-info" in oci_emu.state.ledger_used


def test_a_gradient_embedding_model_is_listed_but_refused_on_chat(controls_app):
    import openai

    client = openai_client(controls_app[1])
    assert "bge-m3" in [m.id for m in client.models.list()]
    ask = dict(model="bge-m3", messages=[{"role": "user", "content": "capital of Portugal"}])
    with pytest.raises(openai.BadRequestError, match="is an embedding model"):
        client.chat.completions.create(**ask)
    assert "gradient.validate.model-kind" in controls_app[0].state.ledger_used


def test_a_model_retires_on_its_date_in_the_emulator(controls_app, monkeypatch):
    client = openai_client(controls_app[1])
    ask = dict(model="openai-gpt-5", messages=[{"role": "user", "content": "capital of Portugal"}])
    monkeypatch.setenv(catalog.TODAY_VARIABLE, "2026-12-10")
    assert client.chat.completions.create(**ask).choices[0].message.content
    monkeypatch.setenv(catalog.TODAY_VARIABLE, "2026-12-11")
    import openai

    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(**ask)
    assert "openai-gpt-5" not in [m.id for m in client.models.list()]


def test_every_answer_names_ledger_entries_that_exist(controls_app):
    from notebook_replay.emulators import ledger

    openai_client(controls_app[1]).chat.completions.create(
        model="llama3.3-70b-instruct", messages=[{"role": "user", "content": "Name a colour"}]
    )
    used = controls_app[0].state.ledger_used
    assert used and used <= set(ledger.entries())
    assert json.dumps(sorted(used))


# --- Never a 5xx for a malformed request ---------------------------------------------

MALFORMED = [
    b"not json",
    b"[]",
    b'{"model": "llama3.3-70b-instruct", "messages": "hello"}',
    b'{"model": "llama3.3-70b-instruct", "messages": [1, 2]}',
    b'{"model": "llama3.3-70b-instruct", "messages": [{"role": "user", "content": {"a": 1}}]}',
    b'{"model": "llama3.3-70b-instruct", "messages": [{"role": "user", "content": "hi"}],'
    b' "tools": [1]}',
    b'{"model": "llama3.3-70b-instruct", "messages": [{"role": "user", "content": "hi"}],'
    b' "tool_choice": {"function": 3}, "tools": [{"function": {}}]}',
    b'{"model": 7, "messages": [{"role": "user", "content": "hi"}]}',
    b'{"model": "llama3.3-70b-instruct", "messages": [{"role": "user"}], "stop": [1]}',
]
OCI_MALFORMED = [
    {"chatRequest": "text"},
    {"chatRequest": {"apiFormat": "GENERIC", "messages": [{"role": "USER", "content": 5}]}},
    {"chatRequest": {"apiFormat": "GENERIC", "messages": [{"role": "USER"}], "tools": [1]}},
    {"chatRequest": {"apiFormat": "COHERE", "message": "hi", "tools": [{"x": 1}]}},
    {"chatRequest": {"apiFormat": "COHERE", "message": "hi", "toolResults": [3]}},
    {"chatRequest": {"apiFormat": "GENERIC", "messages": [], "toolChoice": []}},
]


def test_malformed_gradient_bodies_are_400s_never_5xx(controls_app):
    import httpx

    from notebook_replay.providers import GRADIENT_PLACEHOLDER_KEY

    application, address = controls_app
    problems = len(application.state.problems)
    for body in MALFORMED:
        answer = httpx.post(
            f"http://{address}/v1/chat/completions",
            content=body,
            headers={"authorization": f"Bearer {GRADIENT_PLACEHOLDER_KEY}"},
        )
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["error"]["message"], body
    assert len(application.state.problems) == problems  # not reply-script problems


def test_malformed_oci_bodies_are_400s_in_the_services_words_never_5xx(oci_emu):
    import oci

    for details in OCI_MALFORMED:
        body = {
            "compartmentId": os.environ["OCI_COMPARTMENT_ID"],
            "servingMode": {"servingType": "ON_DEMAND", "modelId": "meta.llama-3.3-70b-instruct"},
            **details,
        }
        if body["chatRequest"] != "text" and body["chatRequest"].get("apiFormat") == "COHERE":
            body["servingMode"]["modelId"] = "cohere.command-a-03-2025"
        with pytest.raises(oci.exceptions.ServiceError) as raised:
            no_retries_client().chat(body)
        assert (raised.value.status, raised.value.code) == (400, "400"), details
        assert raised.value.message == "Please pass in correct format of request.", details


def test_capabilities_in_the_catalog_drive_tools_and_json_schema(oci_emu, controls_app):
    import oci
    import openai

    assert catalog.gradient()["deepseek-r1-distill-llama-70b"].refuses("tools")
    no_tools = chat_openai(controls_app[1], model="deepseek-r1-distill-llama-70b")
    with pytest.raises(openai.BadRequestError, match="Tools are not supported"):
        no_tools.bind_tools([get_weather]).invoke("Just chat")
    with pytest.raises(oci.exceptions.ServiceError) as raised:
        oci_raw_chat(
            {
                "apiFormat": "COHERE",
                "message": "Just chat",
                "responseFormat": {
                    "type": "JSON_SCHEMA",
                    "jsonSchema": {"name": "x", "schema": {}},
                },
            },
            model="cohere.command-a-03-2025",
        )
    assert (raised.value.status, raised.value.code) == (400, "400")
    assert raised.value.message == "Please pass in correct format of request."


def test_cohere_v2_answers_langchain_oci_vision_and_reasoning_models(oci_emu):
    vision = langchain_oci("cohere.command-a-vision")  # langchain-oci sends COHEREV2
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    question = HumanMessage([{"type": "text", "text": "capital of Portugal"}, image])
    assert vision.invoke([question]).content == TWO_SENTENCES
    chunks = [c.content for c in vision.stream([question])]
    _check_token_sized(chunks)
    reasoning = oci_raw_chat(
        {
            "apiFormat": "COHEREV2",
            "messages": [
                {"role": "USER", "content": [{"type": "TEXT", "text": "How many r in strawberry"}]}
            ],
            "stopSequences": ["ee"],
        },
        model="cohere.command-a-reasoning",
    ).data.chat_response
    blocks = {b.type: b for b in reasoning.message.content}
    assert blocks["THINKING"].thinking == SCRIPT[3].reasoning
    assert (blocks["TEXT"].text, reasoning.finish_reason) == ("Thr", "STOP_SEQUENCE")


def test_every_active_catalog_model_answers_and_every_retired_one_is_refused(controls_app):
    """Straight to the emulator over loopback (no cassette): one request per model."""
    import oci
    import openai

    from notebook_replay.providers import OCI, OCI_PLACEHOLDER_COMPARTMENT

    OCI.prepare_offline()  # the throwaway key the emulator knows
    direct = oci.generative_ai_inference.GenerativeAiInferenceClient(
        oci.config.from_file(os.environ["OCI_CONFIG_FILE"]),
        service_endpoint=f"http://{controls_app[1]}",
        retry_strategy=oci.retry.NoneRetryStrategy(),
    )

    def oci_raw_chat(chat_request, model):
        return direct.chat(
            {
                "compartmentId": OCI_PLACEHOLDER_COMPARTMENT,
                "servingMode": {"servingType": "ON_DEMAND", "modelId": model},
                "chatRequest": chat_request,
            }
        )

    client = openai_client(controls_app[1])
    for model in catalog.gradient().values():
        if model.kind != "chat":  # embedding and rerank models: refused on chat, tested above
            continue
        ask = dict(model=model.id, messages=[{"role": "user", "content": "capital of Portugal"}])
        if model.retired:
            with pytest.raises(openai.NotFoundError):
                client.chat.completions.create(**ask)
        else:
            assert client.chat.completions.create(**ask).choices[0].message.content
    for model in catalog.oci().values():
        if model.kind != "chat":  # embedding and rerank models: tests/test_oci_retrieval_routes.py
            continue
        cohere = model.api_format in ("COHERE", "COHEREV2")
        chat_request = (
            {"apiFormat": "COHERE", "message": "capital of Portugal"} if cohere else generic()
        )
        if model.retired:
            with pytest.raises(oci.exceptions.ServiceError) as raised:
                oci_raw_chat(chat_request, model=model.id)
            assert raised.value.status == 400 and "retired" in raised.value.message
        elif "responses_only" in model.quirks:  # a multi-agent model: the Responses API only
            with pytest.raises(oci.exceptions.ServiceError) as raised:
                oci_raw_chat(chat_request, model=model.id)
            assert (
                raised.value.message == "Multi Agent requests are not allowed on chat completions"
            )
        else:
            assert oci_raw_chat(chat_request, model=model.id).status == 200, model.id


def test_a_system_message_can_change_the_answer(gradient_emu, oci_emu):
    from langchain_core.messages import SystemMessage

    pirate = [SystemMessage("Talk like a pirate."), HumanMessage("The capital of Portugal?")]
    for model in (gradient(), langchain_oci(), langchain_oci("cohere.command-a-03-2025")):
        assert model.invoke(pirate).content == "Arr, Lisbon be the capital."
        assert model.invoke(pirate[1:]).content == TWO_SENTENCES


def test_structured_output_as_json_schema_and_as_a_forced_tool(gradient_emu, oci_emu, controls_app):
    expected = Booking(guest="Ana", nights=2, kind="double")
    models = [
        chat_openai(controls_app[1], model="openai-gpt-4o").with_structured_output(
            Booking, method="json_schema"
        ),
        gradient().with_structured_output(Booking),  # a forced tool call
        langchain_oci().with_structured_output(Booking, method="json_schema"),
        langchain_oci("cohere.command-a-03-2025").with_structured_output(
            Booking, method="json_schema"
        ),
    ]
    for model in models:
        assert model.invoke("Book Ana for two nights") == expected


def test_an_answer_marks_only_the_behaviours_it_relied_on():
    """A plain answer is not listed as relying on error bodies or ignored fields."""
    application = server.app(SCRIPT)
    with server.serving(application) as address:
        openai_client(address).chat.completions.create(
            model="llama3.3-70b-instruct",
            messages=[{"role": "user", "content": "capital of Portugal"}],
        )
        used = set(application.state.ledger_used)
        assert "gradient.response.completion" in used
        assert not {i for i in used if ".error." in i or ".fault." in i or "ignored" in i}
        import openai

        with pytest.raises(openai.BadRequestError):
            openai_client(address).chat.completions.create(
                model="llama3.3-70b-instruct", messages=[], extra_body={"stop_sequences": ["x"]}
            )
        assert {"gradient.error.envelope", "gradient.validate.messages-empty"} <= set(
            application.state.ledger_used
        )
        assert "gradient.control.sampling-no-effect" not in application.state.ledger_used
        openai_client(address).chat.completions.create(
            model="llama3.3-70b-instruct",
            messages=[{"role": "user", "content": "capital of Portugal"}],
            temperature=1.5,
        )
        assert "gradient.control.sampling-no-effect" in application.state.ledger_used


def test_oci_answer_with_sampling_parameters_says_they_had_no_effect(oci_emu):
    oci_emu.state.ledger_used.clear()  # the module's emulator is shared: start afresh
    assert oci_raw_chat(generic()).data.chat_response.choices[0].message.content
    assert "oci.control.sampling-no-effect" not in oci_emu.state.ledger_used
    hot = oci_raw_chat(generic(temperature=1.9, topK=5)).data.chat_response
    cold = oci_raw_chat(generic(temperature=0)).data.chat_response
    assert hot.choices[0].message.content[0].text == cold.choices[0].message.content[0].text
    assert "oci.control.sampling-no-effect" in oci_emu.state.ledger_used


def test_an_emulator_defect_is_a_json_500_and_a_problem_never_a_traceback(monkeypatch):
    import openai

    from notebook_replay.emulators import controls

    def broken(turn, said):
        raise RuntimeError("a defect in the emulator")

    monkeypatch.setattr(controls, "shape", broken)
    application = server.app(SCRIPT)
    with server.serving(application) as address:
        with pytest.raises(openai.InternalServerError) as raised:
            openai_client(address).chat.completions.create(
                model="llama3.3-70b-instruct",
                messages=[{"role": "user", "content": "capital of Portugal"}],
            )
    assert "Traceback" not in raised.value.response.text
    assert raised.value.response.json() == {"message": "emulator error: RuntimeError"}
    assert [p["kind"] for p in application.state.problems] == ["emulator_error"]


def test_gemini_refuses_exclusive_bounds_that_langchain_oci_rewrites(oci_emu):
    import oci

    class Nights(BaseModel):
        """How many nights."""

        nights: int = Field(gt=0, description="Number of nights")

    tool = {
        "type": "FUNCTION",
        "name": "Nights",
        "description": "How many nights.",
        "parameters": Nights.model_json_schema(),
    }
    with pytest.raises(oci.exceptions.ServiceError) as raised:
        oci_raw_chat(generic("Just chat", tools=[tool]), model="google.gemini-2.5-flash")
    assert raised.value.status == 400 and 'Unknown name "exclusiveMinimum"' in raised.value.message
    gemini = langchain_oci("google.gemini-2.5-flash").bind_tools([Nights], tool_choice="Nights")
    # langchain-oci 0.4.0 rewrites gt=0 as minimum 0 (generic.py:1102), so the schema the
    # model sees allows 0: the synthesized call takes that minimum.
    assert gemini.invoke("Just chat").tool_calls[0]["args"] == {"nights": 0}
    sent = json.loads(gemini_request_body())
    assert sent["chatRequest"]["tools"][0]["parameters"]["properties"]["nights"]["minimum"] == 0


def gemini_request_body() -> str:
    import yaml

    from conftest import cassette_path

    recorded = yaml.safe_load(cassette_path("oci_generative_ai").read_text())["interactions"]
    return recorded[-1]["request"]["body"]


def test_oci_tool_message_without_its_call_is_the_400_the_service_gives(oci_emu):
    import oci

    orphan = {
        "apiFormat": "GENERIC",
        "messages": [
            {"role": "USER", "content": [{"type": "TEXT", "text": "hi"}]},
            {"role": "TOOL", "toolCallId": "call_x", "content": [{"type": "TEXT", "text": "17"}]},
        ],
    }
    with pytest.raises(oci.exceptions.ServiceError) as raised:
        oci_raw_chat(orphan)
    assert (raised.value.status, raised.value.code) == (400, "400")
    assert raised.value.message == (
        "Invalid parameter: 'toolCallId' of 'call_x' not found in 'toolCalls' of previous message."
    )


@pytest.mark.parametrize("model_id", ["cohere.command-a-03-2025", "meta.llama-3.3-70b-instruct"])
def test_oci_prompt_tokens_count_the_conversation_alike_for_invoke_and_stream(oci_emu, model_id):
    """The count covers what the model reads, not the request's control fields: a stream
    (isStream, streamOptions) counts the same prompt as an invoke."""
    llm = langchain_oci(model_id)
    invoked = llm.invoke("capital of Portugal").usage_metadata
    streamed = None
    for chunk in llm.stream("capital of Portugal"):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed.usage_metadata["input_tokens"] == invoked["input_tokens"]
    assert oci_emu.state.ledger_used >= {"oci.response.usage", "oci.response.token-counts"}


def test_a_reasoning_trace_without_evidence_is_marked_assumed(oci_emu, monkeypatch):
    """Grok 3 Mini's trace was evidenced (catalog `reasoning_trace`: langchain-oci's live test,
    asked while it was served); gpt-oss's is unreliable on OCI and Grok 4.20's unknown, so
    theirs are the emulator's."""
    oci_emu.state.ledger_used.clear()
    monkeypatch.setenv(catalog.TODAY_VARIABLE, "2026-05-01")  # before Grok 3 was retired
    langchain_oci("xai.grok-3-mini-fast").invoke("How many r in strawberry?")
    assert "oci.control.reasoning-trace-unconfirmed" not in oci_emu.state.ledger_used
    monkeypatch.setenv(catalog.TODAY_VARIABLE, "2026-12-08")
    traced = langchain_oci("xai.grok-4.20-reasoning").invoke("How many r in strawberry?")
    assert traced.additional_kwargs.get("reasoning_content")
    assert "oci.control.reasoning-trace-unconfirmed" in oci_emu.state.ledger_used


def test_answer_ids_depend_on_what_was_asked_not_on_key_order(controls_app):
    """ChatGradient's body key order changes run to run; a re-recording must keep the ids."""
    import httpx

    from notebook_replay.providers import GRADIENT_PLACEHOLDER_KEY

    _, address = controls_app
    body = {"model": "llama3.3-70b-instruct", "messages": [{"role": "user", "content": "Book Ana"}]}
    tools = [{"type": "function", "function": {"name": "book", "parameters": {"type": "object"}}}]
    answers = []
    for order in (dict(body, tools=tools), dict(reversed(list(dict(body, tools=tools).items())))):
        answers.append(
            httpx.post(
                f"http://{address}/v1/chat/completions",
                content=json.dumps(order),
                headers={"authorization": f"Bearer {GRADIENT_PLACEHOLDER_KEY}"},
            ).json()
        )
    first, second = answers
    assert first["id"] == second["id"]
    calls = [a["choices"][0]["message"]["tool_calls"] for a in answers]
    assert calls[0] and calls[0] == calls[1]
