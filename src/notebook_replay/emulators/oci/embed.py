"""OCI Generative AI embeddings: POST /20231130/actions/embedText.

An EmbedTextDetails body (inputs, servingMode, compartmentId, truncate, inputType,
outputDimensions, isEcho) is answered with an EmbedTextResult (id, embeddings, modelId,
modelVersion, usage, and the inputs when isEcho). The vectors are the emulator's own
(vectors.py); what is checked and refused follows the SDK's models and langchain-oci's
source, each behaviour marked with its entry in ledger/oci.yaml.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import ledger, tokens, vectors
from ..refusals import Refused, wrong_type
from .auth import check_compartment, signed_body
from .errors import MALFORMED, json_response, refused
from .models import model_of

# The most inputs one request may carry (langchain-oci batches by this number).
MAX_INPUTS = 96
TRUNCATE = ("NONE", "START", "END")
INPUT_TYPES = ("SEARCH_DOCUMENT", "SEARCH_QUERY", "CLASSIFICATION", "CLUSTERING", "IMAGE")
FIELDS = {
    "inputs": "array",
    "truncate": "string",
    "inputType": "string",
    "outputDimensions": "integer",
    "isEcho": "boolean",
    "compartmentId": "string",
}


def image_bytes(data_uri: str) -> bytes:
    """The bytes of a `data:image/...;base64,...` input, or a refusal."""
    head, _, payload = data_uri.partition(",")
    if not (head.startswith("data:image/") and head.endswith(";base64") and payload):
        raise Refused(
            400,
            "An IMAGE input must be a base64 data URI (data:image/<type>;base64,<data>).",
            "oci.embed.image-input",
        )
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise Refused(400, "An IMAGE input is not valid base64.", "oci.embed.image-input") from None


def validate(request: Request, body) -> tuple[str, object, list[str]]:
    if not isinstance(body, dict) or wrong_type(body, FIELDS):
        raise Refused(400, MALFORMED, "oci.error.malformed")
    check_compartment(body)
    model_id, model = model_of(request, body, kind="embedding")
    inputs = body.get("inputs")
    if not inputs or not all(isinstance(text, str) for text in inputs):
        raise Refused(400, "inputs must be a non-empty list of strings.", "oci.embed.inputs")
    if len(inputs) > MAX_INPUTS:
        raise Refused(
            400,
            f"inputs has {len(inputs)} entries; at most {MAX_INPUTS} are allowed per request.",
            "oci.embed.batch-limit",
        )
    truncate = body.get("truncate") or "NONE"
    input_type = body.get("inputType") or "SEARCH_DOCUMENT"
    if truncate not in TRUNCATE or input_type not in INPUT_TYPES:
        raise Refused(400, MALFORMED, "oci.error.malformed")
    if input_type == "IMAGE":
        if model is not None and not model.can("images"):
            raise Refused(
                400, f"The model {model_id} does not embed images.", "oci.embed.image-model"
            )
        if len(inputs) != 1:
            raise Refused(
                400,
                f"An IMAGE request takes exactly one input; got {len(inputs)}.",
                "oci.embed.one-image",
            )
        image_bytes(inputs[0])
    dimensions = body.get("outputDimensions")
    if dimensions is not None and model is not None and dimensions not in model.dimension_choices:
        choices = ", ".join(str(d) for d in model.dimension_choices)
        raise Refused(
            400,
            f"outputDimensions {dimensions} is not supported by {model_id}"
            + (f"; use one of {choices}." if choices else ": it has one fixed size."),
            "oci.embed.output-dimensions-refused",
        )
    limit = model.max_input_tokens if model is not None else None
    if truncate == "NONE" and limit and input_type != "IMAGE":
        for i, text in enumerate(inputs):
            if tokens.count(text) > limit:
                raise Refused(
                    400,
                    f"inputs[{i}] is {tokens.count(text)} tokens long, over the model's "
                    f"limit of {limit}; set truncate to START or END, or shorten it.",
                    "oci.embed.too-long",
                )
    return model_id, model, inputs


def cut(text: str, truncate: str, limit: int | None) -> str:
    """What of a text the model reads: all of it, or its first or last `limit` tokens."""
    pieces = tokens.tokens(text)
    if not limit or len(pieces) <= limit:
        return text
    return "".join(pieces[:limit] if truncate == "END" else pieces[-limit:])


def routes() -> list[Route]:
    async def embed_text(request: Request) -> Response:
        ledger.use(request, "oci.endpoint.embed", "oci.response.request-id")
        body = await signed_body(request, "EmbedTextDetails")
        if isinstance(body, Response):
            return body
        try:
            model_id, model, inputs = validate(request, body)
        except Refused as refusal:
            return refused(request, refusal)
        ledger.use(request, "oci.embed.vectors", "oci.embed.usage")
        size = body.get("outputDimensions") or (model.dimensions if model else 1024)
        if body.get("outputDimensions"):
            ledger.use(request, "oci.embed.output-dimensions")
        truncate = body.get("truncate") or "NONE"
        if truncate != "NONE":
            ledger.use(request, "oci.embed.truncate")
        limit = model.max_input_tokens if model else None
        if body.get("inputType") == "IMAGE":
            ledger.use(request, "oci.embed.image-input")
            embeddings = [vectors.image_vector(image_bytes(inputs[0]), size)]
            counted = 0
        else:
            read = [cut(text, truncate, limit) for text in inputs]
            embeddings = [vectors.text_vector(text, size) for text in read]
            counted = sum(tokens.count(text) for text in read)
        canonical = json.dumps(body, sort_keys=True).encode()
        result = {
            "id": hashlib.sha256(canonical).hexdigest()[:32],
            "embeddings": embeddings,
            "modelId": model_id,
            "modelVersion": "1.0",
            "usage": {"promptTokens": counted, "totalTokens": counted},
        }
        if body.get("isEcho"):
            ledger.use(request, "oci.embed.echo")
            result["inputs"] = inputs
        return json_response(result, raw=canonical)

    return [Route("/20231130/actions/embedText", embed_text, methods=["POST"])]
