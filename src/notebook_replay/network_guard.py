"""In replay mode nothing may leave the machine: any attempt to resolve or reach a host
other than this one fails at once with a clear error, instead of a silent network call.

Guarded, in this process: name lookups (``getaddrinfo``, ``gethostbyname``,
``gethostbyname_ex``, ``gethostbyaddr``), TCP and UDP ``connect``/``connect_ex``, and UDP
``sendto``/``sendmsg`` to an address, both on :class:`socket.socket` and on the C-level
``_socket.socket`` that code can reach directly. Subprocesses are out of scope: a child
process has its own, unguarded, socket module (``make test`` also runs in a network
namespace with only loopback, which does cover them).
"""

from __future__ import annotations

import _socket
import ipaddress
import socket

from .errors import NetworkBlockedError

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_INET = (socket.AF_INET, socket.AF_INET6)
_LOOKUPS = ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr")
_original: dict[tuple[object, str], object] = {}


def _is_local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]")
    if host in _LOCAL_NAMES or host == "":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_lookup(original):
    def lookup(host, *args, **kwargs):
        if not _is_local(host):
            raise NetworkBlockedError(host)
        return original(host, *args, **kwargs)

    return lookup


def _check(sock, address) -> None:
    if sock.family in _INET and isinstance(address, tuple) and not _is_local(address[0]):
        raise NetworkBlockedError(address)


def _guarded_connect(original):
    def connect(self, address, *args, **kwargs):
        _check(self, address)
        return original(self, address, *args, **kwargs)

    return connect


def _guarded_sendto(original):
    def sendto(self, data, *flags_and_address):
        _check(self, flags_and_address[-1] if flags_and_address else None)
        return original(self, data, *flags_and_address)

    return sendto


def _guarded_sendmsg(original):
    def sendmsg(self, buffers, *rest):
        if len(rest) >= 3:  # ancdata, flags, address
            _check(self, rest[2])
        return original(self, buffers, *rest)

    return sendmsg


_SOCKET_METHODS = {
    "connect": _guarded_connect,
    "connect_ex": _guarded_connect,
    "sendto": _guarded_sendto,
    "sendmsg": _guarded_sendmsg,
}


def _guarded_c_socket():
    """_socket.socket cannot be patched (a built-in type): put a guarded subclass in its
    place, for code that builds sockets from _socket directly. socket.socket keeps its
    own base and is guarded by the patches on its methods."""
    base = _socket.socket
    methods = {name: wrap(getattr(base, name)) for name, wrap in _SOCKET_METHODS.items()}
    return type("socket", (base,), {"__module__": "_socket", **methods})


def _patch(owner, name, value) -> None:
    _original[(owner, name)] = getattr(owner, name)
    setattr(owner, name, value)


def block() -> None:
    if _original:
        return
    for module in (socket, _socket):
        for name in _LOOKUPS:
            _patch(module, name, _guarded_lookup(getattr(module, name)))
    for name, wrap in _SOCKET_METHODS.items():
        _patch(socket.socket, name, wrap(getattr(socket.socket, name)))
    _patch(_socket, "socket", _guarded_c_socket())


def unblock() -> None:
    while _original:
        (owner, name), value = _original.popitem()
        setattr(owner, name, value)
