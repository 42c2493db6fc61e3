"""LangChain's standard chat-model tests for ChatGradient (langchain-gradient), against the
Gradient emulator through pydo and azure-core."""

from __future__ import annotations

import pytest
from langchain_gradient import ChatGradient
from langchain_tests.integration_tests import ChatModelIntegrationTests
from standard_support import (  # noqa: F401  (fixtures)
    CatalogCapabilities,
    _standard_test_setup,
    gradient_params,
    https_routed_to,
    standard_emulator,
)

from notebook_replay.emulators import catalog

CHAT = "langchain_gradient/chat_models.py"


@pytest.fixture(scope="module", autouse=True)
def _gradient_routed(standard_emulator):  # noqa: F811
    with https_routed_to(standard_emulator[1]):
        yield


class TestChatGradientStandard(CatalogCapabilities, ChatModelIntegrationTests):
    """llama3.3-70b-instruct: text in, text and tool calls out."""

    package_limitations = {
        **{
            f"test_{name}_with_model_override": (
                f"langchain-gradient 1.0.0: {CHAT}:308 and 398 — the request's "
                "model is always self.model_name; a per-call model= is ignored without a "
                "word (streamed chunks carry no model_name either)"
            )
            for name in ("invoke", "ainvoke", "stream", "astream")
        },
        "test_usage_metadata_streaming": (
            f"langchain-gradient 1.0.0: {CHAT}:448-474 — _stream yields chunks (and the "
            "final usage chunk) without response_metadata, so a streamed message never "
            "names its model (model_name), though every chunk from the service carries it"
        ),
        "test_tool_choice": (
            f"langchain-gradient 1.0.0: {CHAT}:553-562 — bind_tools(tool_choice='<name>') "
            "sends the bare name, which the OpenAI chat-completions contract refuses (a "
            "named choice is {'type': 'function', 'function': {'name': ...}}); "
            "DigitalOcean's own answer is not public (ledger "
            "gradient.control.tool-choice-bare-name, assumed)"
        ),
    }

    @property
    def catalog_entry(self) -> catalog.Model:
        return catalog.gradient()["llama3.3-70b-instruct"]

    @property
    def model_override_value(self) -> str:
        return "openai-gpt-oss-120b"

    @property
    def chat_model_class(self):
        return ChatGradient

    @property
    def chat_model_params(self) -> dict:
        # ChatGradient fills usage_metadata only when stream_options asks for usage.
        return {
            **gradient_params("llama3.3-70b-instruct"),
            "stream_options": {"include_usage": True},
        }
