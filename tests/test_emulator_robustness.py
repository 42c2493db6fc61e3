"""Bad input never hangs the emulator nor gets a 500: every route answers a malformed body
with a 4xx, within a time limit, and the keep-alive connection survives the refusal. A
bounded property-based test (hypothesis) mutates a valid body of each route field by field;
a corpus keeps the cases a fault probe found (issue 30)."""

from __future__ import annotations

import copy
import json
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SCRIPT
from notebook_replay.emulators import server
from notebook_replay.providers import (
    GRADIENT_PLACEHOLDER_KEY,
    OCI,
    OCI_PLACEHOLDER_COMPARTMENT,
    throwaway_oci_fingerprint,
)

LIMIT_S = 3.0  # no answer to a single request may take longer
PROMPT = "Tell me about the compartment"


@pytest.fixture(scope="module")
def emulator_client():
    OCI.prepare_offline()
    application = server.app(SCRIPT)
    with server.serving(application) as address:
        with httpx.Client(base_url=f"http://{address}", timeout=30) as client:
            yield client


def oci_headers() -> dict:
    key = f"ocid1.tenancy.oc1..t/ocid1.user.oc1..u/{throwaway_oci_fingerprint()}"
    return {
        "authorization": f'Signature version="1",keyId="{key}",algorithm="rsa-sha256"',
        "opc-compartment-id": OCI_PLACEHOLDER_COMPARTMENT,
        "content-type": "application/json",
    }


GENERIC = {
    "apiFormat": "GENERIC",
    "messages": [{"role": "USER", "content": [{"type": "TEXT", "text": PROMPT}]}],
}
C = OCI_PLACEHOLDER_COMPARTMENT


def on_demand(model: str) -> dict:
    return {"servingType": "ON_DEMAND", "modelId": model}


ROUTES = {
    "gradient-chat": (
        "/v1/chat/completions",
        {"model": "llama3.3-70b-instruct", "messages": [{"role": "user", "content": PROMPT}]},
    ),
    "oci-chat": (
        "/20231130/actions/chat",
        {
            "compartmentId": C,
            "servingMode": on_demand("meta.llama-3.3-70b-instruct"),
            "chatRequest": GENERIC,
        },
    ),
    "oci-embed": (
        "/20231130/actions/embedText",
        {"compartmentId": C, "inputs": [PROMPT], "servingMode": on_demand("cohere.embed-v4.0")},
    ),
    "oci-rerank": (
        "/20231130/actions/rerankText",
        {
            "compartmentId": C,
            "input": "compartments",
            "documents": ["cats", "compartments"],
            "topN": 1,
            "servingMode": on_demand("cohere.rerank-v4.0-fast"),
        },
    ),
    "oci-guardrails": (
        "/20231130/actions/applyGuardrails",
        {
            "compartmentId": C,
            "input": {"type": "TEXT", "content": "Mail me at ana@example.com"},
            "guardrailConfigs": {
                "contentModerationConfig": {"categories": ["OVERALL"]},
                "personallyIdentifiableInformationConfig": {"types": ["EMAIL"]},
                "promptInjectionConfig": {},
            },
        },
    ),
    "oci-openai-chat": (
        "/openai/v1/chat/completions",
        {"model": "openai.gpt-oss-120b", "messages": [{"role": "user", "content": PROMPT}]},
    ),
    "oci-openai-responses": (
        "/openai/v1/responses",
        {"model": "openai.gpt-oss-120b", "input": PROMPT, "store": False},
    ),
    "oci-responses": (
        "/v1/responses",
        {"model": "openai.gpt-oss-120b", "input": PROMPT, "store": False},
    ),
}


def headers_for(route: str) -> dict:
    if route == "gradient-chat":
        return {
            "authorization": f"Bearer {GRADIENT_PLACEHOLDER_KEY}",
            "content-type": "application/json",
        }
    return oci_headers()


def send(client: httpx.Client, route: str, content: bytes, headers: dict | None = None):
    path, _ = ROUTES[route]
    started = time.monotonic()
    answer = client.post(path, content=content, headers=headers or headers_for(route))
    return answer, time.monotonic() - started


def assert_refused_cleanly(client, route, answer, took, what):
    assert answer.status_code < 500, (
        f"{route}: {what!r} got {answer.status_code}: {answer.text[:300]}"
    )
    assert took < LIMIT_S, f"{route}: {what!r} took {took:.1f} s"
    # The same connection still answers (a 500 used to drop it, resetting the next request).
    assert client.get("/v1/models", headers=headers_for("gradient-chat")).status_code == 200


def test_every_routes_valid_body_is_answered(emulator_client):
    for route, (_, body) in ROUTES.items():
        answer, took = send(emulator_client, route, json.dumps(body).encode())
        assert answer.status_code == 200, (route, answer.text[:300])


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def paths(value, prefix=()):
    """Every path to a value inside a JSON body (keys and list positions)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def mutated(body: dict, path: tuple, replacement, delete: bool):
    body = copy.deepcopy(body)
    if not path:
        return replacement
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = replacement
    return body


@pytest.mark.parametrize("route", list(ROUTES))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_a_body_with_any_field_wrong_is_a_4xx_never_a_500(emulator_client, route, data):
    _, body = ROUTES[route]
    path = data.draw(st.sampled_from(list(paths(body))), label="path")
    replacement = data.draw(JSON_VALUES, label="replacement")
    delete = data.draw(st.booleans(), label="delete")
    bad = mutated(body, path, replacement, delete)
    answer, took = send(emulator_client, route, json.dumps(bad).encode())
    assert_refused_cleanly(emulator_client, route, answer, took, bad)


def test_an_oci_field_of_the_wrong_type_is_the_services_400_with_the_path_kept():
    from notebook_replay.emulators.oci import shapes
    from notebook_replay.emulators.refusals import Refused

    body = copy.deepcopy(ROUTES["oci-embed"][1])
    body["servingMode"]["modelId"] = ["cohere.embed-v4.0"]
    with pytest.raises(Refused) as refused:
        shapes.check_body(body, "EmbedTextDetails")
    assert refused.value.message == "Please pass in correct format of request."
    assert (refused.value.param, refused.value.expected) == ("servingMode.modelId", "a string")


# What a fault probe found (issue 30): each a 4xx, in time, the connection kept.
DEEP = b"[" * 100_000 + b"]" * 100_000
CORPUS = [
    (
        "oci-embed",
        {
            "compartmentId": C,
            "inputs": ["x"],
            "servingMode": {"servingType": "ON_DEMAND", "modelId": ["cohere.embed-v4.0"]},
        },
    ),
    ("oci-openai-chat", {"model": "openai.gpt-oss-120b", "messages": [1]}),
    (
        "oci-openai-chat",
        {
            "model": "openai.gpt-oss-120b",
            "messages": [{"role": "user", "content": PROMPT}],
            "tools": "x",
        },
    ),
    (
        "oci-openai-chat",
        {
            "model": "openai.gpt-oss-120b",
            "messages": [{"role": "user", "content": PROMPT}],
            "stream": "yes",
        },
    ),
    (
        "oci-openai-chat",
        {
            "model": "openai.gpt-oss-120b",
            "messages": [{"role": "user", "content": PROMPT}],
            "tools": [{"type": "function", "function": {}}],
        },
    ),
    (
        "oci-openai-chat",
        {"model": "cohere.embed-v4.0", "messages": [{"role": "user", "content": PROMPT}]},
    ),
    (
        "oci-openai-responses",
        {"model": "openai.gpt-oss-120b", "input": PROMPT, "text": "x", "store": False},
    ),
    (
        "oci-guardrails",
        {
            "compartmentId": C,
            "input": {"type": "TEXT", "content": "hi"},
            "guardrailConfigs": {"personallyIdentifiableInformationConfig": {"types": "EMAIL"}},
        },
    ),
    (
        "oci-guardrails",
        {
            "compartmentId": C,
            "input": {"type": "TEXT", "content": "hi"},
            "guardrailConfigs": {"contentModerationConfig": {"categories": 7}},
        },
    ),
    (
        "oci-rerank",
        {
            "compartmentId": C,
            "input": "x",
            "documents": [1, 2],
            "servingMode": on_demand("cohere.rerank-v4.0-fast"),
        },
    ),
]


@pytest.mark.parametrize(("route", "body"), CORPUS, ids=lambda v: v if isinstance(v, str) else None)
def test_the_fault_probes_bodies_are_refused_with_a_4xx(emulator_client, route, body):
    answer, took = send(emulator_client, route, json.dumps(body).encode())
    assert 400 <= answer.status_code < 500, answer.text[:300]
    assert_refused_cleanly(emulator_client, route, answer, took, body)


@pytest.mark.parametrize("route", list(ROUTES))
def test_json_nested_100000_deep_nan_and_plain_text_are_refused(emulator_client, route):
    for content, headers in [
        (DEEP, None),
        (b'{"model": NaN}', None),
        (
            json.dumps(ROUTES[route][1]).encode(),
            {**headers_for(route), "content-type": "text/plain"},
        ),
    ]:
        answer, took = send(emulator_client, route, content, headers)
        assert 400 <= answer.status_code < 500, (route, content[:30], answer.text[:200])
        assert_refused_cleanly(emulator_client, route, answer, took, content[:30])


def test_guardrails_on_long_text_without_spaces_are_linear(emulator_client):
    """The e-mail pattern used to backtrack quadratically: 64 KB took 20 s."""
    for size in (64_000, 1_000_000):
        body = copy.deepcopy(ROUTES["oci-guardrails"][1])
        body["input"]["content"] = "a" * size
        answer, took = send(emulator_client, "oci-guardrails", json.dumps(body).encode())
        assert answer.status_code < 500 and took < LIMIT_S, (size, took, answer.status_code)


def test_an_emulator_defect_is_a_500_that_keeps_the_connection():
    """A bug (not a bad request) still answers a JSON 500 the recorder sees, and the next
    request on the same keep-alive connection is answered."""
    from starlette.routing import Route

    application = server.app(SCRIPT)

    async def broken(request):
        raise RuntimeError("a defect")

    application.router.routes.append(Route("/boom", broken, methods=["POST"]))
    with server.serving(application) as address:
        with httpx.Client(base_url=f"http://{address}", timeout=30) as client:
            answer = client.post("/boom", content=b"{}")
            assert answer.status_code == 500 and "RuntimeError" in answer.text
            again = client.get("/v1/models", headers=headers_for("gradient-chat"))
            assert again.status_code == 200
    assert application.state.problems[-1]["detail"] == "RuntimeError: a defect"
