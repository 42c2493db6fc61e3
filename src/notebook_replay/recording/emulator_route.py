"""Send a recording's HTTPS requests to a local emulator over plain HTTP.

The connection keeps the real service's host name and port, so vcrpy records
``https://inference.do-ai.run/...`` (not 127.0.0.1) and a replay needs nothing special;
only the socket goes to the emulator. Both SDK stacks are covered: vcrpy builds its
HTTPS stub on ``_baseclass``, for urllib3's pools and the OCI SDK's own pool alike.
The OCI SDK's async client (aiohttp, used by langchain-oci's ``ainvoke``/``astream``)
is routed by wrapping the ``ClientSession._request`` that vcrpy calls when it records.
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


def patches(address: str) -> list:
    connection = emulator_connection(address)
    return [
        (stubs.VCRRequestsHTTPSConnection, "_baseclass", connection)
        for stubs in (requests_stubs, urllib3_stubs)
    ]
