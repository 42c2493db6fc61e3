"""OCI Generative AI rerank: POST /20231130/actions/rerankText.

A RerankTextDetails body (input, documents, topN, isEcho, maxChunksPerDocument,
maxTokensPerDocument, servingMode, compartmentId) is answered with a RerankTextResult
(id, modelId, modelVersion, documentRanks: index, relevanceScore and, when isEcho, the
document). Scores are the emulator's own (vectors.relevance); each behaviour is marked with
its entry in ledger/oci.yaml.
"""

from __future__ import annotations

import hashlib
import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import ledger, vectors
from ..refusals import Refused, wrong_type
from .auth import check_compartment, signed_body
from .errors import MALFORMED, json_response, refused
from .models import model_of

# The most documents one request may carry (assumed: Cohere's own rerank API limit).
MAX_DOCUMENTS = 1000
FIELDS = {
    "input": "string",
    "documents": "array",
    "topN": "integer",
    "isEcho": "boolean",
    "maxChunksPerDocument": "integer",
    "maxTokensPerDocument": "integer",
    "compartmentId": "string",
}


def validate(request: Request, body) -> tuple[str, str, list[str], int]:
    if not isinstance(body, dict) or wrong_type(body, FIELDS):
        raise Refused(400, MALFORMED, "oci.error.malformed")
    check_compartment(body)
    model_id, _ = model_of(request, body, kind="rerank")
    query, documents = body.get("input"), body.get("documents")
    if not query or not query.strip():
        raise Refused(400, "input (the query) must not be empty.", "oci.rerank.inputs")
    if not documents or not all(isinstance(d, str) for d in documents):
        raise Refused(400, "documents must be a non-empty list of strings.", "oci.rerank.inputs")
    if len(documents) > MAX_DOCUMENTS:
        raise Refused(
            400,
            f"documents has {len(documents)} entries; at most {MAX_DOCUMENTS} are allowed.",
            "oci.rerank.document-limit",
        )
    top_n = body.get("topN")
    if top_n is not None and top_n < 1:
        raise Refused(400, f"topN must be at least 1; got {top_n}.", "oci.rerank.top-n-refused")
    for name in ("maxChunksPerDocument", "maxTokensPerDocument"):
        if body.get(name) is not None and body[name] < 1:
            raise Refused(
                400, f"{name} must be at least 1; got {body[name]}.", "oci.rerank.top-n-refused"
            )
    return model_id, query, documents, len(documents) if top_n is None else top_n


def routes() -> list[Route]:
    async def rerank_text(request: Request) -> Response:
        ledger.use(request, "oci.endpoint.rerank", "oci.response.request-id")
        body = await signed_body(request, "RerankTextDetails")
        if isinstance(body, Response):
            return body
        try:
            model_id, query, documents, top_n = validate(request, body)
        except Refused as refusal:
            return refused(request, refusal)
        ledger.use(request, "oci.rerank.scores", "oci.rerank.top-n")
        if any(body.get(n) is not None for n in ("maxChunksPerDocument", "maxTokensPerDocument")):
            ledger.use(request, "oci.rerank.chunking-no-effect")
        scored = sorted(
            ((vectors.relevance(query, d), i) for i, d in enumerate(documents)),
            key=lambda pair: (-pair[0], pair[1]),
        )
        ranks = []
        for score, index in scored[:top_n]:
            rank: dict = {"index": index, "relevanceScore": score}
            if body.get("isEcho"):
                rank["document"] = {"text": documents[index]}
            ranks.append(rank)
        if body.get("isEcho"):
            ledger.use(request, "oci.rerank.echo")
        canonical = json.dumps(body, sort_keys=True).encode()
        result = {
            "id": hashlib.sha256(canonical).hexdigest()[:32],
            "modelId": model_id,
            "modelVersion": "1.0",
            "documentRanks": ranks,
        }
        return json_response(result, raw=canonical)

    return [Route("/20231130/actions/rerankText", rerank_text, methods=["POST"])]
