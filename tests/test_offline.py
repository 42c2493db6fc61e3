"""`make test` runs the whole suite in a network namespace that has only loopback."""

from __future__ import annotations

import os
import socket

import pytest

offline = os.environ.get("NOTEBOOK_OFFLINE") == "loopback-only"


@pytest.mark.skipif(not offline, reason="run through `make test` (tools/offline) to check")
def test_the_suite_cannot_reach_the_network():
    with pytest.raises(OSError):
        socket.getaddrinfo("inference.do-ai.run", 443)
    interfaces = {name for _, name in socket.if_nameindex()}
    assert interfaces == {"lo"}, f"more than loopback is visible: {interfaces}"


def test_loopback_works_for_kernels_and_emulators():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname()):
            pass
