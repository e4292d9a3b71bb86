"""Shared fixtures, and the guard that keeps every test on this machine.

The guard wraps ``socket.socket.connect`` (and ``connect_ex``) for the whole session: a
connection to anything but a loopback address fails the test at once, so a broken redirect or
SSRF check cannot reach out, whatever the code under test does. It lives in
``tests/_guard/sitecustomize.py``, which every Python process a test starts (the CLI, the
crawl's fetch process) also imports at start-up through ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SITE = FIXTURES / "site"
GUARD_DIR = Path(__file__).resolve().parent / "_guard"


def _load_guard() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_socket_guard", GUARD_DIR / "sitecustomize.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_guard = _load_guard()
OffMachineConnectionError = _guard.OffMachineConnectionError
_saved_pythonpath: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _saved_pythonpath
    _guard.install()
    # Python processes started by tests (the CLI, the crawl's fetch process) import the same
    # guard at start-up, as sitecustomize.
    _saved_pythonpath = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(GUARD_DIR), _saved_pythonpath or "") if p
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    _guard.uninstall()
    if _saved_pythonpath is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = _saved_pythonpath


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
