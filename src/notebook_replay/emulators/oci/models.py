"""The OCI model catalog on the wire: which model a request names, and GET /20231130/models
on the management host (ledger: oci.models.*, oci.catalog, oci.error.retired-model).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...providers import OCI_PLACEHOLDER_COMPARTMENT
from .. import catalog, ledger
from ..refusals import Refused
from .auth import authenticated
from .errors import MALFORMED, NOT_AUTHENTICATED, NOT_FOUND, error, json_response


def model_of(request: Request, body: dict, kind: str = "chat") -> tuple[str, catalog.Model | None]:
    """The model a request's servingMode names, refused unless it is on demand, current
    and of the `kind` the route serves (chat, embedding or rerank)."""
    serving = body.get("servingMode")
    if not isinstance(serving, dict):
        raise Refused(400, MALFORMED, "oci.error.malformed")
    if serving.get("servingType") == "DEDICATED":
        ledger.use(request, "oci.serving.dedicated")
        return str(serving.get("endpointId")), None
    model_id = serving.get("modelId")
    model = catalog.oci().get(model_id)
    if model is None:
        raise Refused(404, NOT_FOUND, "oci.error.not-found")
    ledger.use(request, "oci.catalog")
    if model.retired:
        # The service's own words (oracle/ai-optimizer issue 263): no date, no replacement.
        raise Refused(400, f"Model {model_id} 1.0.0 is retired", "oci.error.retired-model")
    if kind == "chat" and "responses_only" in model.quirks:
        # The chat route's own words for a multi-agent model (langchain-oracle issue 221).
        raise Refused(400, model.quirks["responses_only"], "oci.error.responses-only")
    if model.kind != kind:
        raise Refused(
            400,
            f"The model {model_id} is {model.kind_phrase}: it does not serve "
            f"{ROUTE_OF_KIND[kind]}.",
            "oci.validate.model-type",
        )
    announce_retirement(request, model)
    return model_id, model


RETIREMENT_HEADER = "model-retirement-info"


def announce_retirement(request: Request, model: catalog.Model) -> None:
    """A deprecated model's answers carry model-retirement-info (ledger:
    oci.response.retirement-info): Oracle names the header and says it gives the upcoming
    retirement date; the value's format is not public, so the date in GetModel's format
    is the emulator's assumption."""
    if model.deprecated and model.retired_on:
        ledger.use(request, "oci.response.retirement-info")
        request.state.retirement_info = _time(model.retired_on)


class RetirementHeader:
    """ASGI middleware: adds model-retirement-info where a route announced one."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def sending(message):
            value = scope.get("state", {}).get("retirement_info")
            if message["type"] == "http.response.start" and value:
                headers = list(message.get("headers") or [])
                headers.append((RETIREMENT_HEADER.encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


# What each kind of model serves, for the wrong-model-type refusal.
ROUTE_OF_KIND = {"chat": "chat", "embedding": "embedText", "rerank": "rerankText"}


def _time(day: str | None) -> str | None:
    return f"{day}T00:00:00.000Z" if day else None


def model_summary(model: catalog.Model) -> dict:
    """A ModelSummary (oci.generative_ai.models): the OCID is a placeholder, the name is
    the displayName; the lifecycle dates come from the catalog (ledger: oci.models.lifecycle):
    timeDeprecated, and the on-demand and dedicated retirement dates, past or planned."""
    capabilities = {
        "chat": ["CHAT"] + (["IMAGE_TEXT_TO_TEXT"] if model.can("vision") else []),
        "embedding": ["TEXT_EMBEDDINGS"],
        "rerank": ["TEXT_RERANK"],
    }[model.kind]
    deprecated = model.deprecated_on or (
        model.retired_on if model.status in ("deprecated", "retired") else None
    )
    return {
        "id": "ocid1.generativeaimodel.oc1.us-chicago-1.replay-placeholder",
        "compartmentId": None,
        "capabilities": capabilities,
        "lifecycleState": "ACTIVE",
        "displayName": model.id,
        "vendor": model.vendor,
        "version": "1.0",
        "timeCreated": "2025-01-01T00:00:00.000Z",
        "type": "BASE",
        "isLongTermSupported": False,
        "timeDeprecated": _time(deprecated),
        "timeOnDemandRetired": _time(model.retired_on),
        "timeDedicatedRetired": _time(model.dedicated_retired_on),
    }


async def list_models(request: Request) -> Response:
    ledger.use(
        request, "oci.models.list", "oci.models.lifecycle", "oci.catalog", "oci.response.request-id"
    )
    if not authenticated(request.headers.get("authorization", "")):
        ledger.use(request, "oci.error.not-authenticated")
        return error(401, NOT_AUTHENTICATED)
    if request.query_params.get("compartmentId") != OCI_PLACEHOLDER_COMPARTMENT:
        ledger.use(request, "oci.error.not-found")
        return error(404, NOT_FOUND)
    wanted = request.query_params.get("vendor")
    capabilities = set(request.query_params.getlist("capability"))
    items = [
        model_summary(m)
        for m in sorted(catalog.oci().values(), key=lambda m: m.id)
        if wanted in (None, m.vendor)
    ]
    if capabilities:
        ledger.use(request, "oci.models.capability-filter")
        items = [i for i in items if capabilities & set(i["capabilities"])]
    return json_response({"items": items})


def routes() -> list[Route]:
    return [Route("/20231130/models", list_models, methods=["GET"])]
