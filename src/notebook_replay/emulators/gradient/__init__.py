"""DigitalOcean Gradient serverless inference, emulated: the OpenAI-compatible chat
completions route (requests, answers, stream) and the model listing, with the error bodies
they share. Each module marks what it does with its ledger/gradient.yaml ids.
"""

from __future__ import annotations

from starlette.routing import Route

from .. import faults
from . import chat, models


def routes(script, attempts: faults.Attempts) -> list[Route]:
    """Every Gradient route, under /v1."""
    return [*chat.routes(script, attempts), *models.routes()]
