"""LangChain's standard chat-model tests for langchain-oci's ChatOCIGenAI, against the OCI
emulator through the OCI SDK (signed requests, its own connection pool, its aiohttp client
for the async tests): a Cohere, a Meta, a vision and a reasoning model."""

from __future__ import annotations

from langchain_core.messages import AIMessage
from langchain_oci import ChatOCIGenAI
from langchain_tests.integration_tests import ChatModelIntegrationTests
from standard_support import (  # noqa: F401  (fixtures)
    CatalogCapabilities,
    _standard_test_setup,
    oci_params,
    standard_emulator,
)

from notebook_replay.emulators import catalog

PROVIDERS = "langchain_oci/chat_models/providers"
COHERE_REFUSES_TOOL_CHOICE = (
    f"langchain-oci 0.4.0: {PROVIDERS}/cohere.py:737-740 — process_tool_choice raises "
    "ValueError for any tool_choice on a Cohere model, and this test binds "
    "tool_choice='any' whatever has_tool_choice says"
)

NO_MODEL_OVERRIDE = {
    f"test_{name}_with_model_override": (
        "langchain-oci 0.4.0: langchain_oci/chat_models/oci_generative_ai.py:355-366 — a "
        "per-call model= goes into the chat request's parameters (the OCI SDK refuses "
        "it: 'Unrecognized keyword arguments: model'); servingMode always takes the "
        "model_id the model was built with"
    )
    for name in ("invoke", "ainvoke", "stream", "astream")
}


class LangchainOciStandard(CatalogCapabilities, ChatModelIntegrationTests):
    model_id: str = ""
    package_limitations: dict[str, str] = NO_MODEL_OVERRIDE

    @property
    def model_override_value(self) -> str:
        return "meta.llama-3.3-70b-instruct"

    @property
    def chat_model_class(self):
        return ChatOCIGenAI

    @property
    def chat_model_params(self) -> dict:
        return oci_params(ChatOCIGenAI, self.emulator_address, self.model_id)

    @property
    def standard_chat_model_params(self) -> dict:
        # ChatOCIGenAI has no timeout or max_retries fields (the OCI SDK's retry strategy
        # governs retries); the other standard parameters it takes as they are.
        return {"temperature": 0, "max_tokens": 100, "stop": []}

    @property
    def catalog_entry(self) -> catalog.Model:
        return catalog.oci()[self.model_id]


class TestCohereCommandA(LangchainOciStandard):
    """cohere.command-a-03-2025: the COHERE API format."""

    model_id = "cohere.command-a-03-2025"
    package_limitations = {
        **NO_MODEL_OVERRIDE,
        "test_structured_few_shot_examples": COHERE_REFUSES_TOOL_CHOICE,
        "test_unicode_tool_call_integration": COHERE_REFUSES_TOOL_CHOICE,
    }

    @property
    def has_tool_choice(self) -> bool:
        # OCI's CohereChatRequest has no tool-choice field (oci/generative_ai_inference/
        # models/cohere_chat_request.py), and langchain-oci refuses one for Cohere
        # (chat_models/providers/cohere.py:738).
        return False


class TestMetaLlama33(LangchainOciStandard):
    """meta.llama-3.3-70b-instruct: the GENERIC API format."""

    model_id = "meta.llama-3.3-70b-instruct"


class TestMetaLlama4MaverickVision(LangchainOciStandard):
    """meta.llama-4-maverick-17b-128e-instruct-fp8: GENERIC, accepts images."""

    model_id = "meta.llama-4-maverick-17b-128e-instruct-fp8"
    package_limitations = {
        **NO_MODEL_OVERRIDE,
        "test_image_inputs": (
            f"langchain-oci 0.4.0: {PROVIDERS}/generic.py:780-785 — LangChain's standard "
            "image block {'type': 'image', 'base64', 'mime_type'} is refused ('Unsupported "
            "content type: image'); only image_url and its own 'media' blocks are converted"
        ),
    }


class TestOpenAIGptOss120bReasoning(LangchainOciStandard):
    """openai.gpt-oss-120b: GENERIC, a reasoning model (reasoning content and tokens)."""

    model_id = "openai.gpt-oss-120b"
    package_limitations = (
        NO_MODEL_OVERRIDE
        | {
            name: (
                "langchain-oci 0.4.0: langchain_oci/common/utils.py:48-52 — _clean_token_details "
                "snake-cases the service's token details (reasoningTokens → reasoning_tokens, "
                "cachedTokens → cached_tokens) instead of LangChain's UsageMetadata keys "
                "(output_token_details['reasoning'], input_token_details['cache_read'])"
            )
            for name in ("test_usage_metadata", "test_usage_metadata_streaming")
        }
        | {
            name: (
                "langchain-oci 0.4.0: langchain_oci/chat_models/providers/generic.py:1030-1033 "
                "— gpt-oss streams each argument fragment with a fresh id "
                "(oci.stream.tool-calls-gpt-oss; oracle/langchain-oracle issue 163, open), which "
                "process_stream_tool_calls takes for a new parallel call at a new index, so one "
                "streamed call becomes several"
            )
            for name in (
                "test_tool_calling",
                "test_tool_calling_async",
                "test_tool_calling_with_no_arguments",
                "test_structured_output[pydantic]",
                "test_structured_output_async[pydantic]",
                "test_structured_output_pydantic_2_v1",
            )
        }
    )

    @property
    def supported_usage_metadata_details(self) -> dict:
        # OpenAI-family models on OCI report completionTokensDetails.reasoningTokens, which
        # langchain-oci maps to output_token_details["reasoning"] (common/utils.py:301-360).
        return {"invoke": ["reasoning_output"], "stream": ["reasoning_output"]}

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        model = self.chat_model_class(**self.chat_model_params)
        prompt = "How many times does the letter r occur in strawberry?"
        if not stream:
            return model.invoke(prompt)
        chunks = list(model.stream(prompt))
        return sum(chunks[1:], chunks[0])

    def test_reasoning_content_reaches_the_message(self) -> None:
        """Not a standard test: the model's reasoning arrives with the answer, invoked and
        streamed."""
        model = self.chat_model_class(**self.chat_model_params)
        prompt = "How many times does the letter r occur in strawberry?"
        invoked = model.invoke(prompt)
        assert invoked.additional_kwargs["reasoning_content"].startswith("s-t-r-a-w")
        # Under langchain-oci's own key (see package_limitations).
        assert invoked.usage_metadata["output_token_details"]["reasoning_tokens"] > 0
        streamed = self.invoke_with_reasoning_output(stream=True)
        assert (
            streamed.additional_kwargs["reasoning_content"]
            == (invoked.additional_kwargs["reasoning_content"])
        )
        assert streamed.text == invoked.text == "Three."
