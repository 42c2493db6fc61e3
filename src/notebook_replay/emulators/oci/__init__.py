"""OCI Generative AI, emulated by capability: chat (requests, answers, stream), the model
listing, embeddings, rerank, guardrails and the OpenAI-compatible routes, with the errors
and request signing they share. Each module marks what it does with its ledger/oci.yaml ids.
"""

from __future__ import annotations

from starlette.routing import Route

from .. import faults
from . import chat, embed, guardrails, models, openai, rerank
from .models import RetirementHeader as RetirementHeader  # server.py's middleware


def routes(script, attempts: faults.Attempts) -> list[Route]:
    """Every OCI route: native actions under /20231130, OpenAI-compatible under /openai/v1."""
    return [
        *chat.routes(script, attempts),
        *models.routes(),
        *embed.routes(),
        *rerank.routes(),
        *guardrails.routes(),
        *openai.routes(script),
    ]
