"""The socket guard of the test suite: connections off this machine fail at once.

conftest.py installs it in the pytest process, and puts this folder on ``PYTHONPATH`` so
that every Python process a test starts (the CLI in a subprocess, the crawl's fetch process)
imports it at start-up as ``sitecustomize`` and is guarded too. One file, so the two can never
differ.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any


class OffMachineConnectionError(AssertionError):
    """A test tried to connect to an address that is not on this machine."""


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple):
        host = address[0]
    else:  # AF_UNIX paths are local by definition
        return isinstance(address, str | bytes)
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise OffMachineConnectionError(f"test tried to connect off loopback: {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise OffMachineConnectionError(f"test tried to connect off loopback: {address!r}")
    return _real_connect_ex(self, address)


def install() -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def uninstall() -> None:
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


if __name__ == "sitecustomize":  # imported by Python at start-up, in a child process
    install()
