"""LangChain's standard chat-model tests for langchain-community's ChatOCIGenAI (sunset;
kept as the migration path) with a Cohere model, against the OCI emulator through the OCI
SDK."""

from __future__ import annotations

from langchain_community.chat_models.oci_generative_ai import ChatOCIGenAI
from langchain_tests.integration_tests import ChatModelIntegrationTests
from standard_support import (  # noqa: F401  (fixtures)
    CatalogCapabilities,
    _standard_test_setup,
    oci_params,
    standard_emulator,
)

from notebook_replay.emulators import catalog

CHAT = "langchain_community/chat_models/oci_generative_ai.py"


class TestCommunityCohereCommandA(CatalogCapabilities, ChatModelIntegrationTests):
    """cohere.command-a-03-2025 through langchain-community 0.4.2."""

    package_limitations = {
        name: f"langchain-community 0.4.2: {CHAT}:{why}"
        for names, why in [
            (
                ["test_usage_metadata", "test_usage_metadata_streaming"],
                "814 — _generate builds the AIMessage without usage_metadata (nor does "
                "_stream), though the service returns usage",
            ),
            (
                ["test_stop_sequence"],
                "584 — model_config extra='forbid' and no `stop` field: a stop sequence "
                "cannot be set on the model",
            ),
            (
                [
                    "test_tool_calling",
                    "test_tool_calling_async",
                    "test_bind_runnables_as_tools",
                    "test_tool_calling_with_no_arguments",
                    "test_structured_few_shot_examples",
                    "test_unicode_tool_call_integration",
                ],
                "654 — bind_tools passes tool_choice (even None) on into the request, and the "
                "OCI SDK's CohereChatRequest refuses it: 'Unrecognized keyword arguments: "
                "tool_choice'",
            ),
            (
                ["test_tool_message_histories_list_content", "test_agent_loop[model1]"],
                "258-261 — an AIMessage whose content is a list of blocks is sent as the "
                "Cohere chat_history `message`, which must be a string (the OCI SDK refuses it)",
            ),
            (
                ["test_structured_output", "test_structured_output_async"],
                "720 — with_structured_output binds no ls_structured_output_format, so the "
                "callbacks never see the schema",
            ),
            (
                [
                    "test_invoke_with_model_override",
                    "test_ainvoke_with_model_override",
                    "test_stream_with_model_override",
                    "test_astream_with_model_override",
                ],
                "630-643 — a per-call model= goes into the chat request's parameters (the "
                "OCI SDK refuses it: 'Unrecognized keyword arguments: model'); servingMode "
                "always takes the model_id the model was built with",
            ),
            (
                ["test_structured_output_pydantic_2_v1"],
                "68-69 — _is_pydantic_class accepts only pydantic v2 models: a pydantic.v1 "
                "schema is parsed as a dict, not as the model",
            ),
        ]
        for name in names
    }

    @property
    def model_override_value(self) -> str:
        return "meta.llama-3.3-70b-instruct"

    @property
    def chat_model_class(self):
        return ChatOCIGenAI

    @property
    def chat_model_params(self) -> dict:
        return oci_params(ChatOCIGenAI, self.emulator_address, "cohere.command-a-03-2025")

    @property
    def standard_chat_model_params(self) -> dict:
        # The class forbids unknown fields and has no temperature, max_tokens, timeout,
        # stop or max_retries of its own: generation parameters go in model_kwargs.
        return {"model_kwargs": {"temperature": 0, "max_tokens": 100}}

    @property
    def has_tool_choice(self) -> bool:
        # OCI's CohereChatRequest has no tool-choice field
        # (oci/generative_ai_inference/models/cohere_chat_request.py).
        return False

    @property
    def catalog_entry(self) -> catalog.Model:
        return catalog.oci()["cohere.command-a-03-2025"]
