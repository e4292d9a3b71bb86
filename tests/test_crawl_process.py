"""The crawl with its Fetcher in a child process (``FetchProcess``): the same archive as a
crawl fetching in process, every error crossing the pipe with its attributes, the socket guard
holding in the child, and no child left behind, however the crawl ends."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from portal_archive import Archive, Fetcher, Settings, crawl, errors, load_profile
from portal_archive._fetch_process import FetchProcess, FetchProcessError
from portal_archive.crawl import fetch_hosts
from portal_archive.models import Page

from .faultserver import Content, Drip, FaultServer, Huge, Redirect, ResetMidBody, Status

PROFILE = load_profile("sichuan-en")
FAST = Settings(
    allow_private_networks=True,
    delay_s=0.0,
    jitter=0.0,
    backoff_base_s=0.01,
    backoff_max_s=0.02,
    max_retries=1,
)
SCRIPT = b"<html><script>document.cookie='__jsluid_s=1';location.reload()</script></html>"


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# -- errors ------------------------------------------------------------------------------------


def _every_error() -> list[errors.PortalArchiveError]:
    page = Page(
        url="http://a.test/x",
        fetch_url="http://a.test/x",
        final_url="http://a.test/x",
        status=412,
        headers=(("Content-Type", "text/html"),),
        body=SCRIPT,
        fetched_at=datetime(2025, 1, 6, tzinfo=UTC),
    )
    challenge = errors.ChallengeError("anti-bot challenge: HTTP 412", url=page.url, status=412)
    challenge.page = page
    challenge.response = (page.url, 412, page.headers, page.body)
    return [
        errors.PortalArchiveError("base"),
        errors.ConfigError("bad setting"),
        errors.ProfileError("unknown key", path="p.toml", key="crawl.x"),
        errors.FetchError("failed", url="http://a.test/"),
        errors.BadStatusError("HTTP 404", url="http://a.test/", status=404),
        errors.BlockedError("HTTP 403", url="http://a.test/", status=403),
        challenge,
        errors.RobotsDisallowedError("disallowed by robots.txt", url="http://a.test/p"),
        errors.DisallowedURLError("refused", url="http://b.test/"),
        errors.TooManyRedirectsError("loop", url="http://a.test/l"),
        errors.ResponseTooLargeError("over the cap", url="http://a.test/big"),
        errors.UnreachableError("reset", url="http://a.test/r"),
        errors.ParseError("no title", url="http://a.test/a"),
        errors.ArchiveError("locked", path="a.db"),
        errors.ArchiveLockedError("another crawl", path=Path("a.db")),
    ]


def test_the_list_covers_every_error_class() -> None:
    classes = {type(e).__name__ for e in _every_error()}
    assert classes == set(errors.__all__)


@pytest.mark.parametrize("error", _every_error(), ids=lambda e: type(e).__name__)
def test_every_error_pickles_with_its_attributes(error: errors.PortalArchiveError) -> None:
    copy = pickle.loads(pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL))
    assert type(copy) is type(error)
    assert copy.args == error.args
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)
    if isinstance(error, errors.FetchError):
        assert copy.kind == error.kind  # "not_found" is set on the instance for a 404


# -- one fetch at a time, in process and in the child --------------------------------------------


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as started:
        started.routes.update(
            {
                "/robots.txt": Content("User-agent: *\nDisallow: /private\n", "text/plain"),
                "/ok.html": Content("<html><title>ok</title><p>ok</p></html>"),
                "/gone.html": Status(404),
                "/forbidden.html": Status(403),
                "/challenge.html": Status(412, body=SCRIPT),
                "/loop.html": Redirect("/loop.html"),
                "/big.html": Huge(size=300_000),
                "/reset.html": ResetMidBody(),
                "/private/x.html": Content("secret"),
                "/away.html": Redirect("http://elsewhere.test/"),
            }
        )
        yield started


def _outcome(result: Page | BaseException) -> dict[str, Any]:
    if isinstance(result, Page):
        return {"page": (result.status, result.body, result.url, result.final_url)}
    page = getattr(result, "page", None)
    return {
        "type": type(result),
        "message": str(result),
        "attributes": {k: v for k, v in vars(result).items() if k != "page"},
        "kind": getattr(result, "kind", None),
        "page": None if page is None else (page.status, page.body, page.url, page.final_url),
    }


async def _fetch_all(fetcher: Fetcher | FetchProcess, base: str) -> dict[str, Any]:
    out = {}
    for path in (
        "/ok.html",
        "/gone.html",
        "/forbidden.html",
        "/challenge.html",
        "/loop.html",
        "/big.html",
        "/reset.html",
        "/private/x.html",
        "/away.html",
    ):
        try:
            result: Page | BaseException = await fetcher.fetch(base + path)
        except errors.FetchError as exc:
            result = exc
        out[path] = _outcome(result)
    return out


def test_every_error_crosses_the_pipe_as_it_is_raised_in_process(server: FaultServer) -> None:
    settings = replace(FAST, max_body_bytes=100_000, max_redirects=3)
    hosts = [f"127.0.0.1:{server.port}"]

    async def both() -> tuple[dict[str, Any], dict[str, Any]]:
        async with Fetcher(settings, allowed_hosts=hosts) as fetcher:
            here = await _fetch_all(fetcher, server.url)
        async with FetchProcess(settings, allowed_hosts=hosts) as process:
            there = await _fetch_all(process, server.url)
            assert process.requests > 0 and process.bytes_received > 0
        return here, there

    here, there = asyncio.run(both())
    for path, outcome in here.items():
        assert there[path] == outcome, path
    kinds = {path: o.get("kind") for path, o in there.items()}
    assert kinds == {
        "/ok.html": None,
        "/gone.html": "not_found",
        "/forbidden.html": "blocked",
        "/challenge.html": "challenge",
        "/loop.html": "redirect_loop",
        "/big.html": "too_large",
        "/reset.html": "unreachable",
        "/private/x.html": "robots",
        "/away.html": "disallowed",
    }
    assert there["/challenge.html"]["page"][:2] == (412, SCRIPT)  # the evidence came along


def test_the_socket_guard_holds_in_the_fetch_process() -> None:
    """A fetch process started by a test is guarded too (conftest puts the guard on
    PYTHONPATH as sitecustomize): an off-machine address is refused before any packet."""

    async def main() -> None:
        # TEST-NET-1, allowed by the profile and the address policy: only the guard stops it.
        async with FetchProcess(FAST, allowed_hosts=["192.0.2.1"]) as process:
            await process.fetch("http://192.0.2.1/")

    with pytest.raises(FetchProcessError, match="OffMachineConnectionError"):
        asyncio.run(main())


def test_a_cancelled_fetch_is_dropped_and_the_next_one_is_served(server: FaultServer) -> None:
    server.routes["/drip.html"] = Drip(interval=0.2)

    async def main() -> Page:
        async with FetchProcess(FAST, allowed_hosts=[f"127.0.0.1:{server.port}"]) as process:
            dripping = asyncio.create_task(process.fetch(server.url + "/drip.html"))
            await asyncio.sleep(0.5)
            dripping.cancel()
            with pytest.raises(asyncio.CancelledError):
                await dripping
            return await asyncio.wait_for(process.fetch(server.url + "/ok.html"), 10)

    assert asyncio.run(main()).status == 200


# -- the whole crawl -----------------------------------------------------------------------------


def _signature(archive: Archive) -> dict[str, Any]:
    conn = archive.conn
    return {
        "articles": sorted(conn.execute("SELECT url, content_hash, version FROM articles")),
        "pages": sorted(conn.execute("SELECT url, sha256, status FROM pages")),
        "frontier": sorted(conn.execute("SELECT url, kind, state, depth FROM frontier")),
    }


def test_a_crawl_through_the_fetch_process_archives_what_an_in_process_crawl_does(
    mirror_url: str, tmp_path: Path
) -> None:
    hosts = fetch_hosts(PROFILE, mirror_url)

    async def main(db: Path, in_child: bool) -> tuple[dict[str, Any], int, int]:
        with Archive.open(db) as archive:
            fetcher = (
                FetchProcess(FAST, allowed_hosts=hosts)
                if in_child
                else Fetcher(FAST, allowed_hosts=hosts)
            )
            async with fetcher:
                report = await crawl(PROFILE, fetcher=fetcher, archive=archive, base_url=mirror_url)
            assert report.exit_code == 0, report.failures
            assert report.articles_new == 28
            return _signature(archive), report.requests, report.bytes_received

    here, here_requests, here_bytes = asyncio.run(main(tmp_path / "here.db", False))
    there, there_requests, there_bytes = asyncio.run(main(tmp_path / "there.db", True))
    assert there == here
    assert len(there["articles"]) == 28
    # The child's counters reach the report: the same requests and bytes as in process.
    assert there_requests == here_requests > 28
    assert there_bytes == here_bytes > 0


# -- no orphans ----------------------------------------------------------------------------------


def test_the_fetch_process_is_gone_after_the_crawl(mirror_url: str) -> None:
    async def main() -> int | None:
        async with FetchProcess(FAST, allowed_hosts=fetch_hosts(PROFILE, mirror_url)) as process:
            await process.fetch(mirror_url + "/robots.txt")
            pid = process.pid
            assert pid is not None and _alive(pid)
        return pid

    pid = asyncio.run(main())
    assert pid is not None and not _alive(pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="watches /proc")
def test_a_sigkilled_crawl_leaves_no_fetch_process(mirror_url: str, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "portal_archive", "crawl", "sichuan-en"]
    cmd += ["--db", str(tmp_path / "a.db"), "--base-url", mirror_url]
    cmd += ["--allow-private-networks", "--delay", "0.5"]
    crawl_process = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        children: list[int] = []
        while not children:
            assert crawl_process.poll() is None, "the crawl ended before its fetch process began"
            assert time.monotonic() < deadline, "no fetch process in 60 s"
            children = _children(crawl_process.pid)
            time.sleep(0.02)
        time.sleep(0.5)  # let it fetch something
        os.kill(crawl_process.pid, signal.SIGKILL)
        crawl_process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children):
            assert time.monotonic() < deadline, f"fetch process {children} outlived the crawl"
            time.sleep(0.02)
    finally:
        if crawl_process.poll() is None:
            crawl_process.kill()
            crawl_process.wait()


def test_each_host_gets_httpcores_pool_on_the_asyncio_backend(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fetch.py sets this pool into httpx's transport through a private attribute (httpx has no
    # argument for a network backend). Setting an attribute always works, so the test counts
    # the connections the backend opened: an httpx that no longer reads ``_pool`` fails here.
    from portal_archive._asyncio_backend import AsyncioBackend

    opened: list[str] = []
    connect = AsyncioBackend.connect_tcp

    async def counting(self: AsyncioBackend, host: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(host)
        return await connect(self, host, *args, **kwargs)

    monkeypatch.setattr(AsyncioBackend, "connect_tcp", counting)

    async def run() -> Page:
        async with Fetcher(FAST, allowed_hosts=[f"127.0.0.1:{server.port}"]) as fetcher:
            return await fetcher.fetch(server.url + "/ok.html")

    assert asyncio.run(run()).status == 200
    assert opened and set(opened) == {"127.0.0.1"}


def test_a_killed_fetch_process_stops_the_crawl_with_one_line_and_exit_1(
    mirror_url: str, tmp_path: Path
) -> None:
    """The fetch child killed mid-crawl (out of memory, by hand): the crawl stops with one
    line on stderr and exit 1, never a traceback, and the archive stays sound."""
    db = tmp_path / "a.db"
    cmd = [sys.executable, "-m", "portal_archive", "crawl", "sichuan-en"]
    cmd += ["--db", str(db), "--base-url", mirror_url]
    cmd += ["--allow-private-networks", "--delay", "0.5"]
    crawl_process = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        children: list[int] = []
        while not children:
            assert crawl_process.poll() is None, "the crawl ended before its fetch process began"
            assert time.monotonic() < deadline, "no fetch process in 60 s"
            children = _children(crawl_process.pid)
            time.sleep(0.02)
        time.sleep(0.5)  # let it fetch something
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        _, stderr = crawl_process.communicate(timeout=60)
    finally:
        if crawl_process.poll() is None:
            crawl_process.kill()
            crawl_process.wait()
    assert crawl_process.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert [line for line in stderr.splitlines() if line.startswith("error:")], stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
