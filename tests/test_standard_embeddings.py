"""LangChain's standard embeddings tests (langchain-tests' EmbeddingsIntegrationTests) for
langchain-oci's OCIGenAIEmbeddings, against the OCI emulator's embedText route through the
OCI SDK (signed requests; its aiohttp client for the async tests): Embed 4 at its default
and at a reduced length. (The Embed 3 models were retired on 2026-10-21; the catalog's
lifecycle, tests/test_model_lifecycle.py.)"""

from __future__ import annotations

from langchain_oci import OCIGenAIEmbeddings
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from standard_support import (  # noqa: F401  (fixtures)
    _standard_test_setup,
    oci_params,
    standard_emulator,
)


class LangchainOciEmbeddingsStandard(EmbeddingsIntegrationTests):
    model_id: str = ""
    extra: dict = {}

    @property
    def embeddings_class(self):
        return OCIGenAIEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        params = oci_params(OCIGenAIEmbeddings, self.emulator_address, self.model_id)
        return {**params, **self.extra}


class TestEmbed4(LangchainOciEmbeddingsStandard):
    model_id = "cohere.embed-v4.0"


class TestEmbed4At256Dimensions(LangchainOciEmbeddingsStandard):
    model_id = "cohere.embed-v4.0"
    extra = {"output_dimensions": 256}
