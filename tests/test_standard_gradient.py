"""LangChain's standard chat-model tests for ChatGradient (langchain-gradient), against the
Gradient emulator through pydo and azure-core."""

from __future__ import annotations

import pytest
from langchain_gradient import ChatGradient
from langchain_tests.integration_tests import ChatModelIntegrationTests
from standard_support import (  # noqa: F401  (fixtures)
    _standard_test_setup,
    gradient_params,
    https_routed_to,
    standard_emulator,
)


@pytest.fixture(scope="module", autouse=True)
def _gradient_routed(standard_emulator):  # noqa: F811
    with https_routed_to(standard_emulator[1]):
        yield


class TestChatGradientStandard(ChatModelIntegrationTests):
    """llama3.3-70b-instruct: text in, text and tool calls out."""

    package_limitations: dict[str, str] = {}

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
