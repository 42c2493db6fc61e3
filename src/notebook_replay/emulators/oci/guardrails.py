"""OCI Generative AI guardrails: POST /20231130/actions/applyGuardrails.

An ApplyGuardrailsDetails body (compartmentId, input {type TEXT, content, languageCode},
guardrailConfigs with any of contentModerationConfig, personallyIdentifiableInformationConfig
and promptInjectionConfig) is answered with an ApplyGuardrailsResult: results holding one
finding per configured check, and the guardrail version. The shapes follow the OCI SDK's
models; what the checks find is the emulator's own, by visible rules (below), never a claim
about Oracle's classifiers. Each behaviour is marked with its entry in ledger/oci.yaml.
"""

from __future__ import annotations

import json
import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import ledger
from ..refusals import Refused
from .auth import check_compartment, signed_body
from .errors import MALFORMED, json_response, refused

VERSION = "1.0.0"
# Content moderation: a text is flagged (OVERALL 1.0) when it contains one of these words.
HARMFUL = frozenset("kill murder bomb explosive weapon poison attack hate".split())
# Prompt injection: a text is flagged (score 1.0) when it contains one of these phrases.
INJECTIONS = (
    "ignore all previous instructions",
    "ignore previous instructions",
    "ignore the above",
    "disregard your instructions",
    "disregard all prior instructions",
    "reveal your system prompt",
    "you are now in developer mode",
)
# PII: (label, pattern). Labels follow OCI's PII entity names (ledger: assumed).
PII = (
    # A match starts only where a word does (the lookbehind), so a long run without an @ is
    # scanned once, not once per position: linear time.
    ("EMAIL", re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("TELEPHONE_NUMBER", re.compile(r"(?<![\w+])\+?\d[\d ()-]{7,}\d(?!\w)")),
    ("PERSON", re.compile(r"(?<=\b[Mm]y name is )[A-Z][a-z]+(?: [A-Z][a-z]+)?")),
)


def content_moderation(text: str, categories: list | None) -> dict:
    flagged = bool(HARMFUL & set(re.findall(r"[a-z]+", text.lower())))
    scores = {"OVERALL": 1.0 if flagged else 0.0, "BLOCKLIST": 0.0}
    wanted = categories or list(scores)
    return {
        "categories": [{"name": name, "score": scores[name]} for name in wanted if name in scores]
    }


def personal_information(text: str, types: list | None) -> list[dict]:
    found = []
    for label, pattern in PII:
        if types and label not in types:
            continue
        for match in pattern.finditer(text):
            found.append(
                {
                    "length": len(match.group()),
                    "offset": match.start(),
                    "text": match.group(),
                    "label": label,
                    "score": 1.0,
                }
            )
    return sorted(found, key=lambda item: item["offset"])


def prompt_injection(text: str) -> dict:
    lowered = " ".join(text.lower().split())
    return {"score": 1.0 if any(p in lowered for p in INJECTIONS) else 0.0}


def validate(body) -> tuple[str, dict]:
    if not isinstance(body, dict):
        raise Refused(400, MALFORMED, "oci.error.malformed")
    check_compartment(body)
    given = body.get("input")
    if not isinstance(given, dict) or given.get("type") not in ("TEXT", "IMAGE"):
        raise Refused(400, MALFORMED, "oci.error.malformed")
    if given["type"] == "IMAGE":
        raise Refused(
            400,
            "emulator: image inputs to guardrails are not emulated (text only).",
            "oci.guardrails.text-only",
        )
    text = given.get("content")
    if not isinstance(text, str) or not text.strip():
        raise Refused(400, "input.content must not be empty.", "oci.guardrails.input")
    configs = body.get("guardrailConfigs")
    if not isinstance(configs, dict) or not any(isinstance(configs.get(k), dict) for k in CHECKS):
        raise Refused(
            400,
            "guardrailConfigs must configure at least one guardrail.",
            "oci.guardrails.configs",
        )
    return text, configs


CHECKS = (
    "contentModerationConfig",
    "personallyIdentifiableInformationConfig",
    "promptInjectionConfig",
)


def routes() -> list[Route]:
    async def apply_guardrails(request: Request) -> Response:
        ledger.use(request, "oci.endpoint.guardrails", "oci.response.request-id")
        body = await signed_body(request, "ApplyGuardrailsDetails")
        if isinstance(body, Response):
            return body
        try:
            text, configs = validate(body)
        except Refused as refusal:
            return refused(request, refusal)
        results: dict = {}
        if isinstance(configs.get("contentModerationConfig"), dict):
            ledger.use(request, "oci.guardrails.content-moderation")
            categories = configs["contentModerationConfig"].get("categories")
            results["contentModeration"] = content_moderation(text, categories)
        if isinstance(configs.get("personallyIdentifiableInformationConfig"), dict):
            ledger.use(request, "oci.guardrails.pii")
            types = configs["personallyIdentifiableInformationConfig"].get("types")
            results["personallyIdentifiableInformation"] = personal_information(text, types)
        if isinstance(configs.get("promptInjectionConfig"), dict):
            ledger.use(request, "oci.guardrails.prompt-injection")
            results["promptInjection"] = prompt_injection(text)
        ledger.use(request, "oci.guardrails.findings")
        version = (body.get("guardrailVersionConfig") or {}).get("guardrailVersion") or VERSION
        canonical = json.dumps(body, sort_keys=True).encode()
        return json_response(
            {"results": results, "guardrailVersion": {"version": version}}, raw=canonical
        )

    return [Route("/20231130/actions/applyGuardrails", apply_guardrails, methods=["POST"])]
