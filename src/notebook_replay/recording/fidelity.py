"""How close the emulator comes to a recording, request by request.

Every interaction of a cassette is sent again to the emulator (in process, in order, so
scripted faults count their attempts as they did) and the two answers are compared on
what a client can see: status, the headers that matter, field names and types, enum
values, stream framing and delta sizes, error bodies. `make record` (against the real
services) writes this comparison beside the new cassette (<page>.fidelity.md and .json):
the ledger entries each answer relied on in the emulator, split into those the real answer
is consistent with and those it contradicts, with the differences that say why.

The same module holds the wire invariants real OCI traffic shows (compact JSON, error
bodies, GENERIC details, stream headers, token-sized deltas), which the test suite checks
on every committed cassette and on the emulator's fresh answers to their requests.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..cassette import ReadableYaml, write_atomically
from ..providers import (
    GRADIENT_PLACEHOLDER_KEY,
    OCI_PLACEHOLDER_COMPARTMENT,
    throwaway_oci_fingerprint,
)

# The real range of OCI stream deltas (ledger oci.stream.tokens): a mean of 4.3-4.5
# characters; a page's own texts move it a little, hence the margin.
DELTA_MEAN_RANGE = (3.5, 5.5)
HEADERS_THAT_MATTER = ("content-type", "cache-control", "content-length", "retry-after")
# Fields whose values are a closed set: a different value is a difference, not noise.
ENUM_FIELDS = frozenset(
    {"apiFormat", "finishReason", "role", "type", "servingType", "serviceTier", "object",
     "finish_reason", "code", "status", "lifecycleState", "inputType", "truncate"}
)  # fmt: skip
TIME_CREATED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def is_stream(self) -> bool:
        return self.headers.get("content-type", "").startswith("text/event-stream")

    def json(self):
        return json.loads(self.body)


@dataclass
class Compared:
    index: int
    request: str
    differences: list[str]
    ledger_ids: list[str] = field(default_factory=list)


# --- Reading a cassette ----------------------------------------------------------------


def interactions(cassette: Path) -> list[dict]:
    data = ReadableYaml.deserialize(cassette.read_text(encoding="utf-8"))
    return list((data or {}).get("interactions") or [])


def _first_values(headers: dict) -> dict[str, str]:
    """A cassette's headers (each a list of values) as name: first value, names lower-cased."""
    return {k.lower(): (v[0] if isinstance(v, list) else v) for k, v in headers.items()}


def recorded(interaction: dict) -> Answer:
    response = interaction["response"]
    body = response.get("body") or {}
    text = body.get("string", "") if isinstance(body, dict) else body
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return Answer(response["status"]["code"], _first_values(response["headers"]), text or "")


def is_native_oci(uri: str) -> bool:
    """OCI's own API (not its OpenAI-compatible routes, which speak OpenAI's format)."""
    parts = urlsplit(uri)
    return parts.hostname.endswith("oraclecloud.com") and parts.path.startswith("/20231130/")


def request_line(interaction: dict) -> str:
    request = interaction["request"]
    return f"{request['method']} {urlsplit(request['uri']).path}"


# --- Asking the emulator ---------------------------------------------------------------


def ask_emulator(client, application, interaction: dict) -> tuple[Answer, set[str]]:
    """The emulator's answer to the interaction's request, and the ledger ids it used."""
    request = interaction["request"]
    parts = urlsplit(request["uri"])
    headers = _first_values(request["headers"])
    status = interaction["response"]["status"]["code"]
    if parts.hostname.endswith("oraclecloud.com") and status != 401:
        # Cassettes keep no signature: sign as the one key the emulator knows.
        fingerprint = throwaway_oci_fingerprint()
        headers["authorization"] = f'Signature version="1",keyId="tenancy/user/{fingerprint}"'
        # Nor the compartment header of the OpenAI-compatible routes (scrubbed like the
        # compartment in a body, to the placeholder).
        headers.setdefault("opc-compartment-id", OCI_PLACEHOLDER_COMPARTMENT)
        if status < 400:  # it had a conversation store
            headers.setdefault("opc-conversation-store-id", "replay-placeholder-store")
    elif parts.hostname == "inference.do-ai.run" and status != 401:
        headers["authorization"] = f"Bearer {GRADIENT_PLACEHOLDER_KEY}"
    body = request.get("body") or b""
    before, application.state.ledger_used = application.state.ledger_used, set()
    try:
        response = client.request(
            request["method"],
            parts.path + (f"?{parts.query}" if parts.query else ""),
            headers={**headers, "host": parts.hostname},
            content=body.encode("utf-8") if isinstance(body, str) else body,
        )
    finally:
        used, application.state.ledger_used = application.state.ledger_used, before
        before.update(used)
    headers = {k.lower(): v for k, v in response.headers.items()}
    return Answer(response.status_code, headers, response.text), used


# --- Comparing two answers ------------------------------------------------------------


def shape(value, path: str = "$") -> dict[str, str]:
    """Field paths with their JSON types (and the value, for enum fields); list items
    share the path `[]`."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        out[path] = "object"
        for key, inner in value.items():
            if key == "pad":  # random padding by design on both sides
                continue
            out.update(shape(inner, f"{path}.{key}"))
            if key in ENUM_FIELDS and isinstance(inner, str):
                out[f"{path}.{key}"] = f"string {inner!r}"
    elif isinstance(value, list):
        out[path] = "array"
        for inner in value:
            out.update(shape(inner, f"{path}[]"))
    else:
        out[path] = {bool: "boolean", int: "number", float: "number", str: "string"}.get(
            type(value), "null"
        )
    return out


def events(answer: Answer) -> list:
    """A stream's events, parsed: dicts, or the literal text ([DONE])."""
    out = []
    for block in answer.body.split("\n\n"):
        data = "".join(line[5:].lstrip() for line in block.splitlines() if line.startswith("data:"))
        if not data:
            continue
        try:
            out.append(json.loads(data))
        except ValueError:
            out.append(data)
    return out


def delta_texts(stream: list) -> list[str]:
    """The text pieces of a stream (GENERIC, COHERE, COHEREV2, OpenAI chunks), in order;
    a COHERE final event (the whole text again) is not a delta."""
    pieces = []
    for event in stream:
        if not isinstance(event, dict):
            continue
        if "finishReason" in event and event.get("apiFormat", "").startswith("COHERE"):
            continue
        message = event.get("message") or {}
        for part in message.get("content") or []:
            if isinstance(part, dict) and part.get("text"):
                pieces.append(part["text"])
        if event.get("apiFormat") == "COHERE" and event.get("text"):
            pieces.append(event["text"])
        for choice in event.get("choices") or []:
            content = (choice.get("delta") or {}).get("content")
            if content:
                pieces.append(content)
    return pieces


def framing(stream: list) -> list[str]:
    """Each event's top-level keys (and message keys), to compare event framing."""
    out = []
    for event in stream:
        if isinstance(event, dict):
            keys = sorted(k for k in event if k != "pad")
            message = event.get("message")
            inner = sorted(message) if isinstance(message, dict) else []
            out.append(",".join(keys) + (f" message:{','.join(inner)}" if inner else ""))
        else:
            out.append(str(event))
    return out


def differences(real: Answer, emulated: Answer) -> list[str]:
    found = []
    if real.status != emulated.status:
        found.append(f"status: real {real.status}, emulator {emulated.status}")
    for name in HEADERS_THAT_MATTER:
        if name == "content-length":
            if (name in real.headers) != (name in emulated.headers):
                found.append(f"header {name}: present on one side only")
            continue
        if real.headers.get(name) != emulated.headers.get(name):
            found.append(
                f"header {name}: real {real.headers.get(name)!r}, "
                f"emulator {emulated.headers.get(name)!r}"
            )
    if real.is_stream and emulated.is_stream:
        return found + _stream_differences(events(real), events(emulated))
    try:
        a, b = real.json(), emulated.json()
    except ValueError:
        return found + ([] if real.body == emulated.body else ["body: not JSON, and differs"])
    compact = is_compact(real.body)
    if compact != is_compact(emulated.body):
        found.append(f"json spacing: real compact={compact}, emulator not alike")
    found += _shape_differences(shape(a), shape(b))
    return found


def _shape_differences(real: dict[str, str], emulated: dict[str, str]) -> list[str]:
    found = []
    for path in sorted(set(real) | set(emulated)):
        if real.get(path) != emulated.get(path):
            found.append(f"{path}: real {real.get(path) or 'absent'}, emulator "
                         f"{emulated.get(path) or 'absent'}")  # fmt: skip
    return found


def _stream_shape(stream: list) -> dict[str, str]:
    out: dict[str, str] = {}
    for event in stream:
        if isinstance(event, dict):
            out.update(shape(event, "$event"))
    return out


def _stream_differences(real: list, emulated: list) -> list[str]:
    found = []
    a, b = framing(real), framing(emulated)
    if (a[:1], a[-1:]) != (b[:1], b[-1:]):
        found.append(
            f"stream framing: real starts {a[:1]} ends {a[-1:]}, "
            f"emulator starts {b[:1]} ends {b[-1:]}"
        )
    found += _shape_differences(_stream_shape(real), _stream_shape(emulated))
    texts = delta_texts(real), delta_texts(emulated)
    sizes = [len(p) for p in texts[0]], [len(p) for p in texts[1]]
    if all(sizes) and "".join(texts[0]) == "".join(texts[1]):
        means = [statistics.mean(s) for s in sizes]
        if abs(means[0] - means[1]) > 0.5 or max(sizes[0]) != max(sizes[1]):
            found.append(
                f"delta sizes: real mean {means[0]:.2f} max {max(sizes[0])} over "
                f"{len(sizes[0])} events, emulator mean {means[1]:.2f} max {max(sizes[1])} "
                f"over {len(sizes[1])}"
            )
    return found


# --- The invariants of real OCI answers -----------------------------------------------


def is_compact(body: str) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return body in (
        json.dumps(data, separators=(",", ":")),
        json.dumps(data, separators=(",", ":"), ensure_ascii=False),
    )


def oci_problems(answer: Answer, *, recorded: bool = False) -> list[str]:
    """What, in one answer of OCI's own API, real traffic contradicts (empty: nothing). A
    recorded answer kept only the headers a cassette keeps (no cache-control)."""
    problems = []
    if answer.is_stream:
        problems += _stream_problems(answer, recorded)
    else:
        problems += _json_problems(answer)
    return problems


def _json_problems(answer: Answer) -> list[str]:
    problems = []
    if answer.headers.get("content-type") != "application/json":
        problems.append(f"content-type {answer.headers.get('content-type')!r}")
    length = answer.headers.get("content-length")
    if length is not None and int(length) != len(answer.body.encode("utf-8")):
        problems.append(f"content-length {length} for a body of {len(answer.body.encode())} bytes")
    if not is_compact(answer.body):
        problems.append("body is not compact JSON")
        return problems
    data = answer.json()
    if answer.status >= 400:
        if set(data) != {"code", "message"} or data.get("code") != str(answer.status):
            problems.append(
                f"error body {answer.body[:120]} is not {{code: '{answer.status}', message}}"
            )
        return problems
    chat = data.get("chatResponse") if isinstance(data, dict) else None
    if isinstance(chat, dict):
        if data.get("modelVersion") != "1.0.0":
            problems.append(f"modelVersion {data.get('modelVersion')!r}")
        if chat.get("apiFormat") == "GENERIC":
            problems += _generic_problems(data["modelId"], chat)
    return problems


def _generic_problems(model_id: str, chat: dict) -> list[str]:
    problems = []
    if not TIME_CREATED.match(str(chat.get("timeCreated"))):
        problems.append(f"timeCreated {chat.get('timeCreated')!r}")
    openai_family = model_id.startswith("openai.")
    for choice in chat.get("choices") or []:
        if openai_family and choice["message"].get("annotations") != []:
            problems.append("an OpenAI-family message without annotations: []")
    if openai_family and "serviceTier" not in chat:
        problems.append("an OpenAI-family answer without serviceTier")
    usage = chat.get("usage") or {}
    if not openai_family and {"completionTokensDetails", "promptTokensDetails"} & set(usage):
        problems.append(f"{model_id} usage with token details")
    return problems


def _stream_problems(answer: Answer, recorded: bool) -> list[str]:
    problems = []
    if not recorded and answer.headers.get("cache-control") != "no-cache":
        problems.append(f"stream cache-control {answer.headers.get('cache-control')!r}")
    if "content-length" in answer.headers:
        problems.append("a stream with a content-length (real streams are chunked)")
    for block in answer.body.split("\n\n"):
        data = block[5:].lstrip() if block.startswith("data:") else ""
        if data.startswith("{") and not is_compact(data):
            problems.append(f"event not compact: {data[:80]}")
            break
    finishing = [e for e in events(answer) if isinstance(e, dict) and "finishReason" in e]
    if finishing and "message" in finishing[-1] and "apiFormat" not in finishing[-1]:
        if "index" in finishing[-1]:
            problems.append("the last GENERIC finishReason event carries an index")
    return problems


WORD = re.compile(r" ?[A-Za-z]+")


def delta_problems(pieces: list[str]) -> list[str]:
    """Stream deltas against the real range (empty: within it). Real OCI deltas average
    4.3-4.5 characters over English prose with common words whole; a page's texts (lists,
    numbers, verse) move the overall mean, so the check reads the deltas that are words:
    a tokenizer that splits words (the emulator's old 4-character cut) falls below 3.5."""
    words = [len(p) for p in pieces if WORD.fullmatch(p)]
    if len(words) < 20:
        return []
    mean = statistics.mean(words)
    low, high = DELTA_MEAN_RANGE
    if not low <= mean <= high:
        return [f"word deltas average {mean:.2f} characters, outside {low}-{high}"]
    return []


# --- The report ------------------------------------------------------------------------


def compare(cassette: Path, application) -> list[Compared]:
    from starlette.testclient import TestClient

    compared = []
    with TestClient(application, base_url="http://emulator") as client:
        for index, interaction in enumerate(interactions(cassette)):
            emulated, used = ask_emulator(client, application, interaction)
            compared.append(
                Compared(
                    index,
                    request_line(interaction),
                    differences(recorded(interaction), emulated),
                    sorted(used),
                )
            )
    return compared


def report(cassette: Path, application) -> dict:
    compared = compare(cassette, application)
    consistent: set[str] = set()
    contradicted: dict[str, list[str]] = {}  # ledger id: the answers that differed
    for item in compared:
        for ledger_id in item.ledger_ids:
            if item.differences:
                contradicted.setdefault(ledger_id, []).append(f"#{item.index}")
            else:
                consistent.add(ledger_id)
    return {
        "cassette": cassette.name,
        "interactions": len(compared),
        "alike": sum(1 for c in compared if not c.differences),
        "consistent": sorted(consistent - set(contradicted)),
        "to_review": {k: v for k, v in sorted(contradicted.items())},
        "answers": [c.__dict__ for c in compared],
    }


def markdown(data: dict) -> str:
    lines = [
        f"# Fidelity of the emulator to {data['cassette']}",
        "",
        f"{data['alike']} of {data['interactions']} answers alike (status, headers that matter, "
        "field names and types, enum values, stream framing and delta sizes).",
        "",
        "## Ledger entries to review (used by an answer that differed)",
        "",
    ]
    lines += [f"- `{k}`: interactions {', '.join(v)}" for k, v in data["to_review"].items()]
    lines += ["", "## Ledger entries the real answers are consistent with", ""]
    lines += [f"- `{k}`" for k in data["consistent"]]
    lines += ["", "## Differences, by interaction", ""]
    for answer in data["answers"]:
        if answer["differences"]:
            lines.append(f"### #{answer['index']} {answer['request']}")
            lines += [f"- {d}" for d in answer["differences"]]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_report(cassette: Path, application) -> tuple[Path, Path]:
    """<page>.fidelity.json and .md beside the cassette."""
    data = report(cassette, application)
    stem = cassette.with_suffix("")
    written = (
        stem.with_name(stem.name + ".fidelity.json"),
        stem.with_name(stem.name + ".fidelity.md"),
    )
    write_atomically(written[0], json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    write_atomically(written[1], markdown(data))
    return written
