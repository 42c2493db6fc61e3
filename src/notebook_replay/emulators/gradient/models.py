"""GET /v1/models: the serverless models the catalog lists as available (ledger:
gradient.models.list, gradient.catalog).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import catalog, ledger
from .errors import authorized, error


async def models(request: Request) -> Response:
    ledger.use(request, "gradient.models.list", "gradient.catalog")
    if not authorized(request):
        ledger.use(request, "gradient.error.unauthorized")
        return error(401, "Missing or invalid model access key.")
    data = [
        {"created": m.created or 0, "id": m.id, "object": "model", "owned_by": m.owned_by}
        for m in sorted(catalog.gradient().values(), key=lambda m: m.id)
        if not m.retired
    ]
    return JSONResponse({"object": "list", "data": data})


def routes() -> list[Route]:
    return [Route("/v1/models", models, methods=["GET"])]
