"""Send a recording's HTTPS requests to a local emulator over plain HTTP.

The connection keeps the real service's host name and port, so vcrpy records
``https://inference.do-ai.run/...`` (not 127.0.0.1) and a replay needs nothing special;
only the socket goes to the emulator. Both SDK stacks are covered: vcrpy builds its
HTTPS stub on ``_baseclass``, for urllib3's pools and the OCI SDK's own pool alike.
"""

from __future__ import annotations

import inspect
import socket

import urllib3.connection
from vcr.stubs import requests_stubs, urllib3_stubs

_PLAIN_KWARGS = set(inspect.signature(urllib3.connection.HTTPConnection.__init__).parameters)


def emulator_connection(address: str) -> type:
    host, _, port = address.rpartition(":")
    target = (host or "127.0.0.1", int(port))

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


def patches(address: str) -> list:
    connection = emulator_connection(address)
    return [
        (stubs.VCRRequestsHTTPSConnection, "_baseclass", connection)
        for stubs in (requests_stubs, urllib3_stubs)
    ]
