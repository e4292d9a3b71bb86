"""Shared fixtures, and the guard that keeps every test on this machine.

The guard wraps ``socket.socket.connect`` (and ``connect_ex``, ``getaddrinfo``) for the whole
session: a connection to anything but a loopback address fails the test at once, so a broken
redirect or SSRF check cannot reach out, whatever the code under test does.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SITE = FIXTURES / "site"


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


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite fixtures/golden/*.json from the current extractor.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "PORTAL_ARCHIVE_DB",
        "PORTAL_ARCHIVE_PROFILES",
        "PORTAL_ARCHIVE_DELAY",
        "PORTAL_ARCHIVE_USER_AGENT",
        "PORTAL_ARCHIVE_BUSY_TIMEOUT",
        "PORTAL_ARCHIVE_LAUNCHER",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def site_dir() -> Path:
    return SITE


@pytest.fixture(scope="session")
def mirror_url() -> Iterator[str]:
    """The offline mirror served on 127.0.0.1 (port 0: the OS picks), for the whole session."""
    from portal_archive.mirror import serve_directory

    with serve_directory(SITE) as url:
        yield url


@pytest.fixture
def site_copy(tmp_path: Path) -> Path:
    """A private copy of the mirror that a test may change."""
    target = tmp_path / "site"
    shutil.copytree(SITE, target)
    return target


def load_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))
