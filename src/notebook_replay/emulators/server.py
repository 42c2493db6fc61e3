"""Both emulators in one Starlette app, served by uvicorn on loopback."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import faults, gradient, oci, replies


async def _emulator_bug(request: Request, problem: Exception):
    """An emulator defect: a JSON 500 without a traceback, and a problem the recorder sees."""
    request.app.state.problems.append(
        {
            "kind": "emulator_error",
            "service": "gradient"
            if request.url.path.startswith(("/v1/chat", "/v1/models"))
            else "oci",
            "model": "",
            "prompt": "",
            "detail": f"{type(problem).__name__}: {problem}",
        }
    )
    return JSONResponse({"message": f"emulator error: {type(problem).__name__}"}, 500)


class _ContainBugs:
    """An emulator defect answers its 500 (see _emulator_bug) and the server carries on: the
    exception is not raised past this point, so uvicorn keeps the keep-alive connection
    instead of dropping it (and resetting the client's next request)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def sending(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as problem:
            if started:  # half an answer is out: nothing sensible to add
                raise
            response = await _emulator_bug(Request(scope), problem)
            await response(scope, receive, send)


class _CountRequests:
    """Counts every HTTP request in app.state.requests, for tests that prove none arrived."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope["app"].state.requests += 1
        await self.app(scope, receive, send)


def app(script: list[replies.Entry] | None = None) -> Starlette:
    """Both services in one app: Gradient under /v1, OCI under /20231130."""
    script = replies.load() if script is None else script
    attempts = faults.Attempts()
    application = Starlette(
        routes=[
            *gradient.routes(script, attempts),
            *oci.routes(script, attempts),
        ],
        exception_handlers={Exception: _emulator_bug},
        middleware=[
            Middleware(_CountRequests),
            Middleware(oci.RetirementHeader),
            Middleware(_ContainBugs),
        ],
    )
    application.state.requests = 0
    application.state.ledger_used = set()  # ledger ids the answers relied on (ledger.py)
    application.state.problems = []  # reply-script problems (replies.ScriptProblem)
    return application


@contextlib.contextmanager
def serving(application: Starlette) -> Iterator[str]:
    """Serve on a free loopback port in a background thread; yield 'host:port'."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        application, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the local emulator did not start within 10 seconds")
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
