"""Send a recording's HTTPS requests to a local emulator over plain HTTP.

The connection keeps the real service's host name and port, so vcrpy records
``https://inference.do-ai.run/...`` (not 127.0.0.1) and a replay needs nothing special;
only the socket goes to the emulator. Both SDK stacks are covered: vcrpy builds its
HTTPS stub on ``_baseclass``, for urllib3's pools and the OCI SDK's own pool alike.
The OCI SDK's async client (aiohttp, used by langchain-oci's ``ainvoke``/``astream``)
is routed by wrapping the ``ClientSession._request`` that vcrpy calls when it records, and
the openai SDK (httpx, used by ``ChatOpenAI``) by wrapping the transport methods vcrpy
calls when it records.
"""

from __future__ import annotations

import contextlib
import inspect
import socket

import urllib3.connection
from vcr.stubs import requests_stubs, urllib3_stubs

_PLAIN_KWARGS = set(inspect.signature(urllib3.connection.HTTPConnection.__init__).parameters)


def emulator_connection(address: str) -> type:
    target = _target(address)

    class EmulatorConnection(urllib3.connection.HTTPConnection):
        default_port = 443
        # No TLS to a loopback emulator: urllib3 must not warn about an unverified host.
        is_verified = True

        def __init__(self, *args, **kwargs):
            kwargs = {k: v for k, v in kwargs.items() if k in _PLAIN_KWARGS}
            super().__init__(*args, **kwargs)

        def _new_conn(self):
            return socket.create_connection(target, timeout=self.timeout)

        def close(self):
            super().close()
            self.is_verified = True

    return EmulatorConnection


def _target(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


@contextlib.contextmanager
def aiohttp_routed(address: str):
    """While recording: make vcrpy's "real" aiohttp request go to the emulator over plain
    HTTP, with the service's Host header. vcrpy records the URL it was given, so the
    cassette keeps the real https address. vcrpy reads this module global when a cassette
    is entered (custom_patches come too late for it), hence a patch of its own."""
    import vcr.patch
    from yarl import URL

    original = vcr.patch._AiohttpClientSessionRequest
    host, port = _target(address)

    async def routed(self, method, url, **kwargs):
        url = URL(str(url))
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("host", url.raw_host or "")
        local = url.with_scheme("http").with_host(host).with_port(port)
        return await original(self, method, local, headers=headers, **kwargs)

    vcr.patch._AiohttpClientSessionRequest = routed
    try:
        yield
    finally:
        vcr.patch._AiohttpClientSessionRequest = original


@contextlib.contextmanager
def httpx_routed(address: str):
    """While recording: make vcrpy's "real" httpx request go to the emulator over plain
    HTTP, keeping the request's Host header. vcrpy builds the cassette's request from the
    original (https) request before it calls these, and the response handed back keeps
    the original request, so nothing but the socket ever sees the emulator's address.
    Like the aiohttp route, vcrpy reads these module globals when a cassette is entered."""
    import httpx
    import vcr.patch

    names = ("_HttpxHttpTransport_handle_request", "_HttpxAsyncHttpTransport_handle_async_request")
    originals = {name: getattr(vcr.patch, name) for name in names}
    host, port = _target(address)

    def local(request: httpx.Request) -> httpx.Request:
        url = request.url.copy_with(scheme="http", host=host, port=port)
        return httpx.Request(
            request.method,
            url,
            headers=request.headers,  # Host stays the service's
            stream=request.stream,
            extensions=request.extensions,
        )

    def handle_request(self, request):
        response = originals[names[0]](self, local(request))
        response.request = request
        return response

    async def handle_async_request(self, request):
        response = await originals[names[1]](self, local(request))
        response.request = request
        return response

    vcr.patch._HttpxHttpTransport_handle_request = handle_request
    vcr.patch._HttpxAsyncHttpTransport_handle_async_request = handle_async_request
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(vcr.patch, name, original)


def patches(address: str) -> list:
    connection = emulator_connection(address)
    return [
        (stubs.VCRRequestsHTTPSConnection, "_baseclass", connection)
        for stubs in (requests_stubs, urllib3_stubs)
    ]
