"""OCI Generative AI inference: POST /20231130/actions/chat, COHERE and GENERIC formats."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..providers import OCI_PLACEHOLDER_COMPARTMENT, throwaway_oci_fingerprint
from . import faults
from .catalog import OCI_MODELS, OCI_RETIRED
from .replies import Answer, Turn, answer, pieces, token_counts

ERROR_CODES = {
    400: "InvalidParameter",
    401: "NotAuthenticated",
    404: "NotAuthorizedOrNotFound",
    429: "TooManyRequests",
    500: "InternalServerError",
}


def json_response(data: dict, status: int = 200, raw: bytes = b"") -> Response:
    # Exactly application/json (no charset) and a content-length: the OCI SDK hands back
    # a raw response otherwise, and both LangChain classes read content-length.
    body = json.dumps(data).encode("utf-8")
    request_id = hashlib.sha256(raw + body).hexdigest()[:32].upper()
    return Response(
        body, status, headers={"content-type": "application/json", "opc-request-id": request_id}
    )


def error(status: int, message: str) -> Response:
    return json_response({"code": ERROR_CODES[status], "message": message}, status)


def _pad(seed: str) -> str:
    """Real events carry a `pad` of varying length (it hides token lengths)."""
    return "a" * (3 + int(hashlib.sha256(seed.encode()).hexdigest()[:2], 16) % 24)


def _generic_text(message: dict) -> str:
    return " ".join(p.get("text", "") for p in message.get("content") or [] if p)


def turn_of(chat_request: dict, model: str) -> Turn:
    stream_options = chat_request.get("streamOptions") or {}
    response_format = (chat_request.get("responseFormat") or {}).get("type")
    common = dict(
        model=model,
        stream=bool(chat_request.get("isStream")),
        include_usage=bool(stream_options.get("isIncludeUsage")),
        wants_json=response_format in ("JSON_OBJECT", "JSON_SCHEMA"),
        prompt_text=json.dumps(chat_request),
    )
    if chat_request.get("apiFormat") == "COHERE":
        results = chat_request.get("toolResults")
        history = chat_request.get("chatHistory") or []
        users = [m.get("message", "") for m in history if m.get("role") == "USER"]
        return Turn(
            prompt=chat_request.get("message") or (users[-1] if users else ""),
            tool_result=json.dumps([r.get("outputs") for r in results]) if results else None,
            tools=[t["name"] for t in chat_request.get("tools") or []],
            **common,
        )
    messages = chat_request.get("messages") or []
    last = messages[-1] if messages else {}
    choice = chat_request.get("toolChoice") or {}
    tool_choice = {"AUTO": "auto", "NONE": "none", "REQUIRED": "required"}.get(
        choice.get("type"), choice.get("name")
    )
    return Turn(
        prompt=next((_generic_text(m) for m in reversed(messages) if m["role"] == "USER"), ""),
        tool_result=_generic_text(last) if last.get("role") == "TOOL" else None,
        tools=[t["name"] for t in chat_request.get("tools") or []],
        tool_choice=tool_choice,
        **common,
    )


def _usage(turn: Turn, said: Answer) -> dict:
    prompt, completion = token_counts(turn, said)
    return {
        "completionTokens": completion,
        "promptTokens": prompt,
        "totalTokens": prompt + completion,
    }


def cohere_response(chat_request: dict, turn: Turn, said: Answer) -> dict:
    history = list(chat_request.get("chatHistory") or [])
    if chat_request.get("message"):
        history.append({"role": "USER", "message": chat_request["message"]})
    reply: dict = {"role": "CHATBOT", "message": said.text}
    calls = [{"name": c.name, "parameters": c.arguments} for c in said.tool_calls]
    if calls:
        reply["toolCalls"] = calls
    response = {
        "apiFormat": "COHERE",
        "text": said.text,
        "chatHistory": [*history, reply],
        "finishReason": "COMPLETE",
        "usage": _usage(turn, said),
    }
    if calls:
        response["toolCalls"] = calls
    return response


def _generic_calls(raw: bytes, said: Answer) -> list[dict]:
    return [
        {
            "type": "FUNCTION",
            "id": f"chatcmpl-tool-{hashlib.sha256(raw + bytes([i])).hexdigest()[:24]}",
            "name": call.name,
            "arguments": json.dumps(call.arguments),
        }
        for i, call in enumerate(said.tool_calls)
    ]


def generic_response(raw: bytes, turn: Turn, said: Answer) -> dict:
    message: dict = {"role": "ASSISTANT", "content": [{"type": "TEXT", "text": said.text}]}
    if said.tool_calls:
        message = {"role": "ASSISTANT", "content": None, "toolCalls": _generic_calls(raw, said)}
    return {
        "apiFormat": "GENERIC",
        "timeCreated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finishReason": "tool_calls" if said.tool_calls else "stop",
                "logprobs": {},
            }
        ],
        "usage": _usage(turn, said),
    }


def cohere_events(chat_request: dict, turn: Turn, said: Answer) -> list[dict]:
    """Text deltas, then one final event repeating the whole text with the chat history,
    the finish reason and (when asked) usage. No [DONE]."""
    events = [{"apiFormat": "COHERE", "text": piece} for piece in pieces(said.text)]
    final = cohere_response(chat_request, turn, said)
    if not turn.include_usage:
        final.pop("usage")
    return [*events, final]


def generic_events(raw: bytes, turn: Turn, said: Answer) -> list[dict | str]:
    """An empty first delta, text deltas, tool-call fragments, a finishReason event, a
    usage event when streamOptions.isIncludeUsage, then [DONE]."""

    def delta(**message) -> dict:
        return {"index": 0, "message": {"role": "ASSISTANT", **message}}

    events: list[dict | str] = [delta(content=[{"type": "TEXT", "text": ""}])]
    events += [delta(content=[{"type": "TEXT", "text": p}]) for p in pieces(said.text)]
    for call in _generic_calls(raw, said):
        arguments = call.pop("arguments")
        events.append(delta(toolCalls=[{**call, "arguments": ""}]))
        for start in range(0, len(arguments), 12):
            events.append(delta(toolCalls=[{"arguments": arguments[start : start + 12]}]))
    finish = "tool_calls" if said.tool_calls else "stop"
    events.append({**delta(content=[{"type": "TEXT", "text": ""}]), "finishReason": finish})
    if turn.include_usage:
        events.append({"usage": _usage(turn, said)})
    return [*events, "[DONE]"]


def sse(events: list[dict | str]) -> list[str]:
    lines = []
    for event in events:
        if isinstance(event, dict):
            event = json.dumps({**event, "pad": _pad(json.dumps(event))})
        lines.append(f"data: {event}\n\n")
    return lines


NOT_AUTHENTICATED = (
    "The required information to complete authentication was not provided or was incorrect."
)


def key_id(authorization: str) -> str | None:
    """The keyId of an OCI request signature: "<tenancy>/<user>/<fingerprint>" for an API
    key, "ST$<token>" for a session token or a principal."""
    match = re.search(r'keyId="([^"]*)"', authorization)
    return match.group(1) if authorization.startswith("Signature ") and match else None


def authenticated(authorization: str) -> bool:
    """As the service does: a session token, or an API key uploaded for the user. The
    emulator knows one uploaded key, the throwaway key that replay and emulated
    recording sign with. (It checks the key's fingerprint, not the signature's bytes.)"""
    signer = key_id(authorization)
    if signer is None:
        return False
    return signer.startswith("ST$") or signer.endswith("/" + throwaway_oci_fingerprint())


def routes(script, attempts: faults.Attempts) -> list[Route]:
    async def chat(request: Request) -> Response:
        if not authenticated(request.headers.get("authorization", "")):
            return error(401, NOT_AUTHENTICATED)
        raw = await request.body()
        try:
            body = json.loads(raw)
            chat_request = body["chatRequest"]
        except (ValueError, KeyError):
            return error(400, "The request body is not a valid ChatDetails document.")
        if body.get("compartmentId") != OCI_PLACEHOLDER_COMPARTMENT:
            # The real service answers the same for a compartment you cannot use.
            return error(404, "Authorization failed or requested resource not found.")
        serving = body.get("servingMode") or {}
        model = serving.get("modelId")
        if serving.get("servingType") == "DEDICATED":
            model = serving.get("endpointId")
        elif model in OCI_RETIRED:
            return error(
                400,
                f"Model {model} is retired (on-demand serving ended "
                f"{OCI_RETIRED[model]}). Choose a current model.",
            )
        elif model not in OCI_MODELS:
            return error(404, "Authorization failed or requested resource not found.")
        elif OCI_MODELS[model] != chat_request.get("apiFormat"):
            return error(400, f"Model {model} expects apiFormat {OCI_MODELS[model]}.")
        response_format = (chat_request.get("responseFormat") or {}).get("type")
        if response_format and response_format not in ("TEXT", "JSON_OBJECT", "JSON_SCHEMA"):
            # The service reads `type` as the discriminator of its ResponseFormat models;
            # an unknown value cannot be deserialized (emulator's reading of the API spec).
            return error(
                400,
                f"Invalid value for responseFormat.type: '{response_format}'. "
                "Expected one of TEXT, JSON_OBJECT, JSON_SCHEMA.",
            )
        turn = turn_of(chat_request, model)
        said = answer(script, turn)
        refusal = faults.refusal(said.fault, attempts.count(raw))
        if refusal:
            return error(*refusal)
        cohere = chat_request.get("apiFormat") == "COHERE"
        if not turn.stream:
            if said.fault == "malformed_json":
                return Response(
                    b'{"modelId": "' + model.encode() + b'", "chatResponse": {',
                    200,
                    headers={"content-type": "application/json"},
                )
            chat_response = (
                cohere_response(chat_request, turn, said)
                if cohere
                else generic_response(raw, turn, said)
            )
            return json_response(
                {"modelId": model, "modelVersion": "1.0", "chatResponse": chat_response}, raw=raw
            )
        events = (
            cohere_events(chat_request, turn, said) if cohere else generic_events(raw, turn, said)
        )
        text = "".join(faults.damage_stream(sse(events), said.fault))
        return Response(text, 200, headers={"content-type": "text/event-stream"})

    return [Route("/20231130/actions/chat", chat, methods=["POST"])]
