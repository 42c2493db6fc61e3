"""In replay mode nothing may leave the machine: any attempt to resolve or reach a host
other than this one fails at once with a clear error, instead of a silent network call."""

from __future__ import annotations

import ipaddress
import socket

from .errors import NetworkBlockedError

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_original = {}


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


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _is_local(host):
        raise NetworkBlockedError(host)
    return _original["getaddrinfo"](host, *args, **kwargs)


def _guarded(method_name):
    original = getattr(socket.socket, method_name)
    _original[method_name] = original

    def connect(self, address, *args, **kwargs):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise NetworkBlockedError(address)
        return original(self, address, *args, **kwargs)

    return connect


def block() -> None:
    if _original:
        return
    _original["getaddrinfo"] = socket.getaddrinfo
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.socket.connect = _guarded("connect")
    socket.socket.connect_ex = _guarded("connect_ex")


def unblock() -> None:
    if not _original:
        return
    socket.getaddrinfo = _original.pop("getaddrinfo")
    socket.socket.connect = _original.pop("connect")
    socket.socket.connect_ex = _original.pop("connect_ex")
