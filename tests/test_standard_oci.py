"""LangChain's standard chat-model tests for langchain-oci's ChatOCIGenAI, against the OCI
emulator through the OCI SDK (signed requests, its own connection pool, its aiohttp client
for the async tests): a Cohere, a Meta, a vision and a reasoning model."""

from __future__ import annotations

from langchain_oci import ChatOCIGenAI
from langchain_tests.integration_tests import ChatModelIntegrationTests
from standard_support import (  # noqa: F401  (fixtures)
    _standard_test_setup,
    oci_params,
    standard_emulator,
)

PROVIDERS = "langchain_oci/chat_models/providers"
COHERE_REFUSES_TOOL_CHOICE = (
    f"langchain-oci 0.4.0: {PROVIDERS}/cohere.py:737-740 — process_tool_choice raises "
    "ValueError for any tool_choice on a Cohere model, and this test binds "
    "tool_choice='any' whatever has_tool_choice says"
)


class LangchainOciStandard(ChatModelIntegrationTests):
    model_id: str = ""
    package_limitations: dict[str, str] = {}

    @property
    def chat_model_class(self):
        return ChatOCIGenAI

    @property
    def chat_model_params(self) -> dict:
        return oci_params(self.emulator_address, self.model_id)

    @property
    def standard_chat_model_params(self) -> dict:
        # ChatOCIGenAI has no timeout or max_retries fields (the OCI SDK's retry strategy
        # governs retries); the other standard parameters it takes as they are.
        return {"temperature": 0, "max_tokens": 100, "stop": []}

    @property
    def supports_json_mode(self) -> bool:
        return True


class TestCohereCommandA(LangchainOciStandard):
    """cohere.command-a-03-2025: the COHERE API format."""

    model_id = "cohere.command-a-03-2025"
    package_limitations = {
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
        "test_image_inputs": (
            f"langchain-oci 0.4.0: {PROVIDERS}/generic.py:780-785 — LangChain's standard "
            "image block {'type': 'image', 'base64', 'mime_type'} is refused ('Unsupported "
            "content type: image'); only image_url and its own 'media' blocks are converted"
        ),
    }

    @property
    def supports_image_inputs(self) -> bool:
        return True


class TestOpenAIGptOss120bReasoning(LangchainOciStandard):
    """openai.gpt-oss-120b: GENERIC, a reasoning model (reasoning content and tokens)."""

    model_id = "openai.gpt-oss-120b"
