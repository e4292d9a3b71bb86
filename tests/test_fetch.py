"""The Fetcher: status handling, retries, redirects, address policy, robots.txt, politeness and
body decoding, through ``httpx.MockTransport`` on a fake clock; plus one real drip-feeding
server on 127.0.0.1 for the total deadline.

MockTransport responses are built with a streaming body (``Body``): httpx pre-reads a
``Response(content=…)`` and the Fetcher streams raw bytes, which a pre-read response no longer has.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import random
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from portal_archive.errors import (
    BadStatusError,
    BlockedError,
    DisallowedURLError,
    FetchError,
    ResponseTooLargeError,
    RobotsDisallowedError,
    TooManyRedirectsError,
    UnreachableError,
)
from portal_archive.fetch import Fetcher
from portal_archive.settings import Settings

HOST = "portal.test"
BASE = f"http://{HOST}"
# Fast, deterministic defaults; each test overrides what it is about.
BASE_SETTINGS = Settings(
    allow_private_networks=True,
    delay_s=0.0,
    jitter=0.0,
    backoff_base_s=1.0,
    backoff_max_s=60.0,
    max_retries=2,
    user_agent="portal-archive-test/1.0 (+https://example.invalid/contact)",
)


# -- test doubles ---------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it; every sleep is recorded."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


class Body(httpx.AsyncByteStream):
    """A response body streamed in ``chunk``-sized pieces (httpx does not pre-read it)."""

    def __init__(self, data: bytes, chunk: int = 64 * 1024) -> None:
        self.data = data
        self.chunk = chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self.data), self.chunk):
            yield self.data[i : i + self.chunk]


def resp(
    status: int = 200,
    body: bytes | str = b"",
    headers: dict[str, str] | None = None,
    *,
    chunk: int = 64 * 1024,
    content_length: bool = True,
) -> httpx.Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    all_headers = {"Content-Length": str(len(data))} if content_length else {}
    all_headers.update(headers or {})
    return httpx.Response(status, headers=all_headers, stream=Body(data, chunk))


Route = Callable[[httpx.Request], httpx.Response]


def redirect(location: str, status: int = 301) -> Route:
    return lambda request: resp(status, headers={"Location": location})


def ok(body: bytes | str = "<html>ok</html>", headers: dict[str, str] | None = None) -> Route:
    return lambda request: resp(200, body, headers)


def status(code: int, headers: dict[str, str] | None = None) -> Route:
    return lambda request: resp(code, f"HTTP {code}", headers)


def raises(exc_type: type[httpx.TransportError]) -> Route:
    def route(request: httpx.Request) -> httpx.Response:
        raise exc_type("scripted network failure", request=request)

    return route


@dataclass
class Seen:
    url: str
    path: str
    at: float
    headers: httpx.Headers


@dataclass
class Site:
    """A scripted server: ``routes`` maps ``host/path`` or ``/path`` to one route or a sequence
    answered in order (the last one repeats). Unrouted robots.txt is 404 (allow all); anything
    else unrouted is 404 too. Every request is recorded with the fake-clock time."""

    clock: Callable[[], float]
    routes: dict[str, Route | Sequence[Route]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    _count: dict[str, int] = field(default_factory=dict)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode("ascii")
        self.seen.append(Seen(str(request.url), path, self.clock(), request.headers))
        key = f"{request.url.host}{path}"
        script = self.routes.get(key, self.routes.get(path))
        if script is None:
            return resp(404, "not found")
        if callable(script):
            return script(request)
        n = self._count.get(key, 0)
        self._count[key] = n + 1
        return script[min(n, len(script) - 1)](request)

    def paths(self, *, robots: bool = False) -> list[str]:
        return [s.path for s in self.seen if robots or s.path != "/robots.txt"]

    def hosts(self) -> set[str]:
        return {httpx.URL(s.url).host for s in self.seen}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_fetcher(
    site: Callable[[httpx.Request], Any],
    clock: FakeClock,
    *,
    hosts: Sequence[str] = (HOST,),
    resolver: Any = None,
    fetcher_delay: float | None = None,
    **overrides: Any,
) -> Fetcher:
    settings = replace(BASE_SETTINGS, **overrides)
    extra: dict[str, Any] = {} if resolver is None else {"resolver": resolver}
    return Fetcher(
        settings,
        allowed_hosts=hosts,
        delay_s=fetcher_delay,
        transport=httpx.MockTransport(site),
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(0),
        **extra,
    )


async def fetch_one(site: Site, clock: FakeClock, url: str, **kwargs: Any) -> Any:
    async with make_fetcher(site, clock, **kwargs) as fetcher:
        return await fetcher.fetch(url)


# -- 200 -------------------------------------------------------------------------------------


async def test_fetch_200_returns_page(clock: FakeClock) -> None:
    html = "<html><body>四川 Sichuan</body></html>".encode()
    site = Site(
        clock,
        {"/a/b.shtml": ok(html, {"Content-Type": "text/html; charset=utf-8", "X-Test": "yes"})},
    )
    async with make_fetcher(site, clock) as fetcher:
        page = await fetcher.fetch(
            f"{BASE}/a/b.shtml?utm_source=feed#top", canonical_url="https://www.sc.gov.cn/a/b.shtml"
        )
    assert page.status == 200
    assert page.body == html
    assert page.url == "https://www.sc.gov.cn/a/b.shtml"
    assert page.fetch_url == f"{BASE}/a/b.shtml"
    assert page.final_url == f"{BASE}/a/b.shtml"
    assert page.header("x-test") == "yes"
    assert page.content_type == "text/html"
    assert page.charset == "utf-8"
    # The tracking parameter and the fragment never reach the wire.
    assert site.paths() == ["/a/b.shtml"]
    assert fetcher.requests == 2  # robots.txt + the page


async def test_fetch_without_canonical_url_records_fetched_url(clock: FakeClock) -> None:
    site = Site(clock, {"/x": ok("x")})
    page = await fetch_one(site, clock, "HTTP://PORTAL.TEST:80/x")
    assert (page.url, page.fetch_url, page.final_url) == (f"{BASE}/x",) * 3


# -- retries on transient statuses ----------------------------------------------------------


@pytest.mark.parametrize("code", [408, 500, 502, 503, 504], ids=["408", "500", "502", "503", "504"])
async def test_fetch_transient_status_retried_once_then_success(
    clock: FakeClock, code: int
) -> None:
    site = Site(clock, {"/p": [status(code), ok("second time lucky")]})
    page = await fetch_one(site, clock, f"{BASE}/p")
    assert page.body == b"second time lucky"
    assert site.paths() == ["/p", "/p"]
    # The backoff sleep first, full jitter: uniform in [0, backoff_base_s × 2^0] …
    assert 0.0 <= clock.sleeps[0] <= BASE_SETTINGS.backoff_base_s
    # … and the whole host slowed down after a 5xx (AutoThrottle): at least 1 s.
    gap = site.seen[-1].at - site.seen[-2].at
    assert gap == pytest.approx(sum(clock.sleeps))
    assert gap >= 1.0 - 1e-9


async def test_fetch_backoff_ceiling_grows_and_is_capped(clock: FakeClock) -> None:
    site = Site(clock, {"/p": [status(503)] * 5 + [ok("finally")]})
    page = await fetch_one(
        site, clock, f"{BASE}/p", max_retries=5, backoff_base_s=1.0, backoff_max_s=3.0
    )
    assert page.body == b"finally"
    times = [seen.at for seen in site.seen if seen.path == "/p"]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) == 5
    # Each wait is the larger of the jittered backoff (ceilings 1, 2, 3, 3, 3 s) and the
    # host's throttle, which doubles with every 5xx: 1, 2, 4, 8, 16 s.
    assert gaps == sorted(gaps)
    assert gaps[-1] >= 16.0 - 1e-9
    assert all(g >= t - 1e-9 for g, t in zip(gaps, [1.0, 2.0, 4.0, 8.0, 16.0], strict=True))


async def test_fetch_503_every_attempt_raises_bad_status_with_cause(clock: FakeClock) -> None:
    site = Site(clock, {"/p": status(503)})
    with pytest.raises(BadStatusError) as info:
        await fetch_one(site, clock, f"{BASE}/p", max_retries=2)
    exc = info.value
    assert not isinstance(exc, BlockedError)
    assert exc.status == 503
    assert exc.kind == "bad_status"
    assert exc.url == f"{BASE}/p"
    assert isinstance(exc.__cause__, BadStatusError)
    assert exc.__cause__.status == 503
    assert site.paths() == ["/p"] * 3


# -- 429 and Retry-After ---------------------------------------------------------------------


@pytest.mark.parametrize("code", [429, 503], ids=["429", "503"])
async def test_fetch_retry_after_seconds_is_waited(clock: FakeClock, code: int) -> None:
    site = Site(clock, {"/p": [status(code, {"Retry-After": "7"}), ok("after the wait")]})
    page = await fetch_one(site, clock, f"{BASE}/p")
    assert page.body == b"after the wait"
    assert clock.sleeps == [7.0]
    assert site.seen[-1].at - site.seen[-2].at == pytest.approx(7.0)


async def test_fetch_retry_after_http_date_is_waited(clock: FakeClock) -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    header = email.utils.format_datetime(when, usegmt=True)
    site = Site(clock, {"/p": [status(429, {"Retry-After": header}), ok("ok")]})
    page = await fetch_one(site, clock, f"{BASE}/p")
    assert page.body == b"ok"
    assert len(clock.sleeps) == 1
    # The HTTP-date has whole seconds, and a little real time passes before it is read.
    assert 27.0 <= clock.sleeps[0] <= 30.0


@pytest.mark.parametrize(
    ("code", "retry_after"),
    [
        (429, "301"),
        (503, "3600"),
        (429, email.utils.format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)),
    ],
    ids=["429-seconds", "503-seconds", "429-http-date"],
)
async def test_fetch_retry_after_above_limit_blocks_at_once(
    clock: FakeClock, code: int, retry_after: str
) -> None:
    site = Site(clock, {"/p": [status(code, {"Retry-After": retry_after}), ok()]})
    with pytest.raises(BlockedError) as info:
        await fetch_one(site, clock, f"{BASE}/p", max_retry_after_s=300.0, max_retries=3)
    assert info.value.status == code
    assert info.value.kind == "blocked"
    assert site.paths() == ["/p"]
    assert clock.sleeps == []


async def test_fetch_429_every_attempt_raises_blocked(clock: FakeClock) -> None:
    site = Site(clock, {"/p": status(429, {"Retry-After": "2"})})
    with pytest.raises(BlockedError) as info:
        await fetch_one(site, clock, f"{BASE}/p", max_retries=2)
    assert info.value.status == 429
    assert info.value.kind == "blocked"
    assert isinstance(info.value.__cause__, BadStatusError)
    assert site.paths() == ["/p"] * 3
    assert clock.sleeps == [2.0, 2.0]


# -- final statuses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error", "kind"),
    [
        (404, BadStatusError, "not_found"),
        (410, BadStatusError, "not_found"),
        (400, BadStatusError, "bad_status"),
        (501, BadStatusError, "bad_status"),
        (403, BlockedError, "blocked"),
        (401, BlockedError, "blocked"),
        (451, BlockedError, "blocked"),
    ],
    ids=["404", "410", "400", "501", "403", "401", "451"],
)
async def test_fetch_final_status_not_retried(
    clock: FakeClock, code: int, error: type[BadStatusError], kind: str
) -> None:
    site = Site(clock, {"/p": status(code)})
    with pytest.raises(error) as info:
        await fetch_one(site, clock, f"{BASE}/p", max_retries=3)
    assert type(info.value) is error
    assert info.value.status == code
    assert info.value.kind == kind
    assert site.paths() == ["/p"]
    assert clock.sleeps == []


# -- network errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc_type",
    [httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError],
    ids=["connect", "read-timeout", "protocol", "read-error"],
)
async def test_fetch_network_error_retried_then_unreachable(
    clock: FakeClock, exc_type: type[Exception]
) -> None:
    site = Site(clock, {"/p": raises(exc_type)})  # type: ignore[arg-type]
    with pytest.raises(UnreachableError) as info:
        await fetch_one(site, clock, f"{BASE}/p", max_retries=2)
    assert isinstance(info.value.__cause__, exc_type)
    assert info.value.kind == "unreachable"
    assert site.paths() == ["/p"] * 3
    assert len(clock.sleeps) == 2


async def test_fetch_network_error_then_success(clock: FakeClock) -> None:
    site = Site(clock, {"/p": [raises(httpx.ConnectError), ok("back")]})
    page = await fetch_one(site, clock, f"{BASE}/p", max_retries=1)
    assert page.body == b"back"
    assert site.paths() == ["/p", "/p"]


# -- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308], ids=str)
async def test_fetch_redirect_chain_followed(clock: FakeClock, code: int) -> None:
    site = Site(
        clock,
        {
            "/a": redirect("/b", code),
            "/b": redirect(f"{BASE}/c/d.html", code),
            "/c/d.html": redirect("../e.html?x=1#frag", code),
            "/e.html?x=1": ok("the end"),
        },
    )
    page = await fetch_one(site, clock, f"{BASE}/a")
    assert page.body == b"the end"
    assert page.fetch_url == f"{BASE}/a"
    assert page.final_url == f"{BASE}/e.html?x=1"
    assert page.url == f"{BASE}/a"
    assert site.paths() == ["/a", "/b", "/c/d.html", "/e.html?x=1"]


@pytest.mark.parametrize(
    "location",
    [
        "http://evil.test/x",
        "//evil.test/x",
        "https://evil.test/",
        "http://portal.test@evil.test/",
        "http://portal.test.evil.test/",
        "http://127.0.0.1/admin",
    ],
    ids=["absolute", "scheme-relative", "https", "userinfo", "suffix", "ip"],
)
async def test_fetch_redirect_off_host_refused_before_request(
    clock: FakeClock, location: str
) -> None:
    site = Site(clock, {"/a": redirect(location)})
    with pytest.raises(DisallowedURLError) as info:
        await fetch_one(site, clock, f"{BASE}/a", max_retries=3)
    assert info.value.kind == "disallowed"
    assert site.hosts() == {HOST}
    assert site.paths() == ["/a"]


@pytest.mark.parametrize(
    "location",
    [
        "file:///etc/passwd",
        "ftp://portal.test/x",
        "javascript:alert(1)",
        "data:text/html,hi",
        "gopher://portal.test/",
    ],
    ids=["file", "ftp", "javascript", "data", "gopher"],
)
async def test_fetch_redirect_to_other_scheme_refused(clock: FakeClock, location: str) -> None:
    site = Site(clock, {"/a": redirect(location, 302)})
    with pytest.raises(DisallowedURLError, match="scheme|invalid URL") as info:
        await fetch_one(site, clock, f"{BASE}/a", max_retries=3)
    assert info.value.kind == "disallowed"
    assert site.paths() == ["/a"]


@pytest.mark.parametrize(
    ("routes", "start"),
    [({"/loop": redirect("/loop")}, "/loop"), ({"/a": redirect("/b"), "/b": redirect("/a")}, "/a")],
    ids=["self", "two-step"],
)
async def test_fetch_redirect_loop_unreachable(
    clock: FakeClock, routes: dict[str, Route], start: str
) -> None:
    site = Site(clock, dict(routes))
    with pytest.raises(TooManyRedirectsError, match="redirects"):
        await fetch_one(site, clock, f"{BASE}{start}", max_redirects=4, max_retries=0)
    assert len(site.paths()) == 5  # the first request and max_redirects hops


async def test_fetch_redirect_exactly_max_redirects_allowed(clock: FakeClock) -> None:
    routes: dict[str, Route | Sequence[Route]] = {f"/{i}": redirect(f"/{i + 1}") for i in range(3)}
    routes["/3"] = ok("three hops")
    site = Site(clock, routes)
    page = await fetch_one(site, clock, f"{BASE}/0", max_redirects=3)
    assert page.body == b"three hops"
    assert page.final_url == f"{BASE}/3"


async def test_fetch_redirect_loop_not_retried(clock: FakeClock) -> None:
    site = Site(clock, {"/loop": redirect("/loop")})
    with pytest.raises(TooManyRedirectsError):
        await fetch_one(site, clock, f"{BASE}/loop", max_redirects=4, max_retries=3)
    assert len(site.paths()) == 5


async def test_fetch_redirect_to_malformed_port_is_fetch_error(clock: FakeClock) -> None:
    site = Site(clock, {"/a": redirect("http://portal.test:99999/x")})
    with pytest.raises(FetchError):
        await fetch_one(site, clock, f"{BASE}/a")
    assert site.paths() == ["/a"]


async def test_fetch_redirect_into_robots_disallowed_path_refused(clock: FakeClock) -> None:
    site = Site(
        clock,
        {
            "/robots.txt": ok("User-agent: *\nDisallow: /private/\n"),
            "/a": redirect("/private/x"),
            "/private/x": ok("secret"),
        },
    )
    with pytest.raises(RobotsDisallowedError):
        await fetch_one(site, clock, f"{BASE}/a")
    assert "/private/x" not in site.paths()


async def test_fetch_redirect_hops_are_spaced_by_delay(clock: FakeClock) -> None:
    site = Site(clock, {"/a": redirect("/b"), "/b": ok("b")})
    await fetch_one(site, clock, f"{BASE}/a", delay_s=2.0, jitter=0.0)
    times = [s.at for s in site.seen if s.path != "/robots.txt"]
    assert times[1] - times[0] >= 2.0


# -- address policy --------------------------------------------------------------------------


class Resolver:
    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return self.table[host]


@pytest.mark.parametrize(
    ("url", "hosts"),
    [
        ("http://127.0.0.1/x", ["127.0.0.1"]),
        ("http://[::1]/x", ["::1"]),
        ("http://10.1.2.3:8080/x", ["10.1.2.3:8080"]),
        ("http://169.254.169.254/latest", ["169.254.169.254"]),
        ("http://[::ffff:127.0.0.1]/x", ["::ffff:127.0.0.1"]),
    ],
    ids=["loopback-v4", "loopback-v6", "private-v4", "link-local-metadata", "v4-mapped"],
)
async def test_fetch_private_ip_literal_refused(
    clock: FakeClock, url: str, hosts: list[str]
) -> None:
    site = Site(clock)
    resolver = Resolver({})
    with pytest.raises(DisallowedURLError, match="private"):
        await fetch_one(
            site, clock, url, hosts=hosts, allow_private_networks=False, resolver=resolver
        )
    assert site.seen == []
    assert resolver.calls == []  # an IP literal needs no lookup


@pytest.mark.parametrize(
    "addresses",
    [["10.0.0.5"], ["93.184.216.34", "192.168.1.1"], ["fe80::1"], []],
    ids=["private", "one-of-many-private", "link-local-v6", "no-address"],
)
async def test_fetch_host_resolving_to_private_address_refused(
    clock: FakeClock, addresses: list[str]
) -> None:
    site = Site(clock)
    resolver = Resolver({HOST: addresses})
    with pytest.raises(DisallowedURLError):
        await fetch_one(site, clock, f"{BASE}/x", allow_private_networks=False, resolver=resolver)
    assert site.seen == []
    assert resolver.calls == [(HOST, 80)]


@pytest.mark.parametrize(
    ("url", "addresses", "port"),
    [
        (f"{BASE}/x", ["93.184.216.34"], 80),
        (f"https://{HOST}/x", ["2606:4700::1111"], 443),
        (f"http://{HOST}:8080/x", ["93.184.216.34", "2606:4700::1111"], 8080),
    ],
    ids=["v4", "v6-https", "both-port"],
)
async def test_fetch_host_resolving_to_public_address_fetched(
    clock: FakeClock, url: str, addresses: list[str], port: int
) -> None:
    site = Site(clock, {"/x": ok("public")})
    resolver = Resolver({HOST: addresses})
    hosts = [HOST, f"{HOST}:8080"]  # a non-default port is allowed only when named
    async with make_fetcher(
        site, clock, hosts=hosts, allow_private_networks=False, resolver=resolver
    ) as fetcher:
        first = await fetcher.fetch(url)
        second = await fetcher.fetch(url)
    assert first.body == second.body == b"public"
    assert site.paths() == ["/x", "/x"]
    assert resolver.calls == [(HOST, port)]  # resolved once per host, then cached


async def test_fetch_resolver_failure_unreachable(clock: FakeClock) -> None:
    site = Site(clock)
    with pytest.raises(UnreachableError, match="cannot resolve") as info:
        await fetch_one(
            site, clock, f"{BASE}/x", allow_private_networks=False, resolver=Resolver({})
        )
    assert isinstance(info.value.__cause__, OSError)
    assert site.seen == []


async def test_fetch_redirect_to_allowed_host_with_private_address_refused(
    clock: FakeClock,
) -> None:
    site = Site(clock, {f"{HOST}/a": redirect("http://intranet.test/admin")})
    resolver = Resolver({HOST: ["93.184.216.34"], "intranet.test": ["10.0.0.5"]})
    with pytest.raises(DisallowedURLError, match="private"):
        await fetch_one(
            site,
            clock,
            f"{BASE}/a",
            hosts=[HOST, "intranet.test"],
            allow_private_networks=False,
            resolver=resolver,
        )
    assert site.hosts() == {HOST}


@pytest.mark.parametrize(
    "url",
    ["http://other.test/x", "ftp://portal.test/x", "file:///etc/passwd"],
    ids=["other-host", "ftp", "file"],
)
async def test_fetch_url_outside_policy_refused_without_request(clock: FakeClock, url: str) -> None:
    site = Site(clock)
    with pytest.raises(DisallowedURLError):
        await fetch_one(site, clock, url)
    assert site.seen == []


# -- robots.txt ------------------------------------------------------------------------------

ROBOTS = "User-agent: *\nDisallow: /private/\n"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/private/x", False), ("/private/", False), ("/public/x", True), ("/privatex", True)],
    ids=["inside", "dir", "outside", "prefix-lookalike"],
)
async def test_fetch_robots_disallow(clock: FakeClock, path: str, allowed: bool) -> None:
    site = Site(clock, {"/robots.txt": ok(ROBOTS), path: ok("content")})
    async with make_fetcher(site, clock) as fetcher:
        if allowed:
            assert (await fetcher.fetch(f"{BASE}{path}")).body == b"content"
        else:
            with pytest.raises(RobotsDisallowedError) as info:
                await fetcher.fetch(f"{BASE}{path}")
            assert info.value.kind == "robots"
    assert site.paths(robots=True) == ["/robots.txt"] + ([path] if allowed else [])


@pytest.mark.parametrize(
    ("robots_route", "allowed"),
    [
        (status(404), True),
        (status(410), True),
        (status(403), True),
        (status(401), True),
        (status(500), False),
        (status(503), False),
        (raises(httpx.ConnectError), False),
        (ok("x" * (600 * 1024)), False),
    ],
    ids=["404", "410", "403", "401", "500", "503", "unreachable", "too-large"],
)
async def test_fetch_robots_unavailable_or_unreachable(
    clock: FakeClock, robots_route: Route, allowed: bool, request: pytest.FixtureRequest
) -> None:
    site = Site(clock, {"/robots.txt": robots_route, "/a": ok("a"), "/b": ok("b")})
    case = request.node.callspec.id
    refusal = UnreachableError if case == "unreachable" else RobotsDisallowedError
    async with make_fetcher(site, clock) as fetcher:
        for path in ("/a", "/b"):
            if allowed:
                assert (await fetcher.fetch(f"{BASE}{path}")).body == path[1:].encode()
            else:
                with pytest.raises(refusal, match="robots.txt"):
                    await fetcher.fetch(f"{BASE}{path}")
        retries = fetcher.settings.max_retries
    assert site.paths() == (["/a", "/b"] if allowed else [])
    # robots.txt is read for one origin only once: a transient failure (5xx, network) is
    # retried like any request first, and then the answer is kept for the whole run.
    expected = retries + 1 if case in {"500", "503", "unreachable"} else 1
    assert site.paths(robots=True).count("/robots.txt") == expected


async def test_fetch_robots_agent_specific_group(clock: FakeClock) -> None:
    robots = (
        "User-agent: *\nDisallow: /\n\nUser-agent: portal-archive\nAllow: /\nDisallow: /admin/\n"
    )
    site = Site(clock, {"/robots.txt": ok(robots), "/news": ok("news")})
    async with make_fetcher(site, clock) as fetcher:
        assert (await fetcher.fetch(f"{BASE}/news")).body == b"news"
        with pytest.raises(RobotsDisallowedError):
            await fetcher.fetch(f"{BASE}/admin/panel")


async def test_fetch_robots_crawl_delay_spaces_requests(clock: FakeClock) -> None:
    site = Site(
        clock,
        {
            "/robots.txt": ok("User-agent: *\nCrawl-delay: 5\n"),
            "/a": ok("a"),
            "/b": ok("b"),
            "/c": ok("c"),
        },
    )
    async with make_fetcher(site, clock, delay_s=1.0, jitter=0.0) as fetcher:
        for path in ("/a", "/b", "/c"):
            await fetcher.fetch(f"{BASE}{path}")
    times = [s.at for s in site.seen if s.path != "/robots.txt"]
    assert [b - a for a, b in zip(times, times[1:], strict=False)] == [pytest.approx(5.0)] * 2


async def test_fetch_robots_crawl_delay_capped(clock: FakeClock) -> None:
    site = Site(
        clock,
        {"/robots.txt": ok("User-agent: *\nCrawl-delay: 3600\n"), "/a": ok("a"), "/b": ok("b")},
    )
    async with make_fetcher(site, clock, delay_s=1.0, max_crawl_delay_s=10.0) as fetcher:
        await fetcher.fetch(f"{BASE}/a")
        await fetcher.fetch(f"{BASE}/b")
    assert site.seen[-1].at - site.seen[-2].at == pytest.approx(10.0)


async def test_fetch_robots_crawl_delay_applies_after_robots_request(clock: FakeClock) -> None:
    site = Site(clock, {"/robots.txt": ok("User-agent: *\nCrawl-delay: 5\n"), "/a": ok("a")})
    await fetch_one(site, clock, f"{BASE}/a", delay_s=1.0, jitter=0.0)
    assert [s.path for s in site.seen] == ["/robots.txt", "/a"]
    assert site.seen[1].at - site.seen[0].at >= 5.0


async def test_fetch_respect_robots_false_skips_robots(clock: FakeClock) -> None:
    site = Site(
        clock, {"/robots.txt": ok("User-agent: *\nDisallow: /\n"), "/private/x": ok("fetched")}
    )
    page = await fetch_one(site, clock, f"{BASE}/private/x", respect_robots=False)
    assert page.body == b"fetched"
    assert site.paths(robots=True) == ["/private/x"]


async def test_fetch_robots_loaded_once_under_concurrency() -> None:
    seen: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        await asyncio.sleep(0.005)
        return resp(404) if request.url.path == "/robots.txt" else resp(200, "ok")

    settings = replace(BASE_SETTINGS, delay_s=0.001)
    async with Fetcher(
        settings, allowed_hosts=[HOST], transport=httpx.MockTransport(handler)
    ) as fetcher:
        await asyncio.gather(*(fetcher.fetch(f"{BASE}/{i}") for i in range(4)))
    assert seen.count("/robots.txt") == 1


# -- politeness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delay", "jitter"),
    [(2.0, 0.5), (1.0, 0.0), (3.0, 0.25)],
    ids=["jitter-half", "no-jitter", "jitter-quarter"],
)
async def test_fetch_sequential_requests_spaced_by_delay(
    clock: FakeClock, delay: float, jitter: float
) -> None:
    site = Site(clock, {f"/{i}": ok(str(i)) for i in range(4)})
    async with make_fetcher(site, clock, delay_s=delay, jitter=jitter) as fetcher:
        for i in range(4):
            await fetcher.fetch(f"{BASE}/{i}")
    times = [s.at for s in site.seen]  # robots.txt counts: it is a request to the host too
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) == 4
    for gap in gaps:
        assert delay * (1 - jitter) - 1e-9 <= gap <= delay * (1 + jitter) + 1e-9
    if jitter:
        assert len(set(gaps)) > 1  # the jitter actually varies


@pytest.mark.parametrize(
    ("profile_delay", "expected"),
    [(5.0, 5.0), (0.5, 2.0), (None, 2.0)],
    ids=["profile-stricter", "profile-looser-ignored", "no-profile"],
)
async def test_fetch_profile_delay_only_makes_stricter(
    clock: FakeClock, profile_delay: float | None, expected: float
) -> None:
    site = Site(clock, {"/a": ok("a"), "/b": ok("b")})
    async with make_fetcher(
        site, clock, delay_s=2.0, fetcher_delay=profile_delay, respect_robots=False
    ) as fetcher:
        assert fetcher.delay_s == expected
        await fetcher.fetch(f"{BASE}/a")
        await fetcher.fetch(f"{BASE}/b")
    assert site.seen[1].at - site.seen[0].at == pytest.approx(expected)


async def test_fetch_different_hosts_not_delayed_by_each_other(clock: FakeClock) -> None:
    site = Site(clock, {"a.test/x": ok("a"), "b.test/x": ok("b")})
    async with make_fetcher(
        site, clock, hosts=["a.test", "b.test"], delay_s=10.0, respect_robots=False
    ) as fetcher:
        await fetcher.fetch("http://a.test/x")
        await fetcher.fetch("http://b.test/x")
    assert clock.sleeps == []
    assert site.seen[0].at == site.seen[1].at


class InFlight:
    """An async handler that holds each request briefly and tracks how many overlap."""

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.total_now = 0
        self.total_peak = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self.now[host] = self.now.get(host, 0) + 1
        self.total_now += 1
        self.peak[host] = max(self.peak.get(host, 0), self.now[host])
        self.total_peak = max(self.total_peak, self.total_now)
        try:
            await asyncio.sleep(self.hold_s)
        finally:
            self.now[host] -= 1
            self.total_now -= 1
        return resp(200, f"{host}{request.url.path}")


async def test_fetch_concurrent_same_host_one_in_flight() -> None:
    handler = InFlight(0.02)
    settings = replace(BASE_SETTINGS, delay_s=0.01, respect_robots=False)
    async with Fetcher(
        settings, allowed_hosts=[HOST], transport=httpx.MockTransport(handler)
    ) as fetcher:
        pages = await asyncio.gather(*(fetcher.fetch(f"{BASE}/{i}") for i in range(4)))
    assert [p.body for p in pages] == [f"{HOST}/{i}".encode() for i in range(4)]
    assert handler.peak == {HOST: 1}


async def test_fetch_concurrent_different_hosts_overlap() -> None:
    handler = InFlight(0.05)
    settings = replace(BASE_SETTINGS, delay_s=0.01, respect_robots=False)
    async with Fetcher(
        settings, allowed_hosts=["a.test", "b.test"], transport=httpx.MockTransport(handler)
    ) as fetcher:
        await asyncio.gather(
            *(fetcher.fetch(f"http://{h}/{i}") for i in range(2) for h in ("a.test", "b.test"))
        )
    assert handler.peak == {"a.test": 1, "b.test": 1}
    assert handler.total_peak == 2


# -- bodies ----------------------------------------------------------------------------------

PLAIN = (
    "<html><body>"
    + "四川省人民政府 Sichuan Provincial People's Government. " * 200
    + "</body></html>"
).encode("utf-8")


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "encode", "chunk"),
    [
        ("gzip", gzip.compress, 64 * 1024),
        ("x-gzip", gzip.compress, 64 * 1024),
        ("gzip", gzip.compress, 1),
        ("deflate", zlib.compress, 64 * 1024),
        ("deflate", raw_deflate, 64 * 1024),
        ("deflate", zlib.compress, 1),
        ("deflate", raw_deflate, 1),
        ("identity", lambda b: b, 64 * 1024),
        ("", lambda b: b, 7),
        ("deflate, gzip", lambda b: gzip.compress(zlib.compress(b)), 3),
        ("GZIP", gzip.compress, 100),
    ],
    ids=[
        "gzip",
        "x-gzip",
        "gzip-1-byte-chunks",
        "zlib-deflate",
        "raw-deflate",
        "zlib-deflate-1-byte-chunks",
        "raw-deflate-1-byte-chunks",
        "identity",
        "none",
        "deflate-then-gzip",
        "upper-case",
    ],
)
async def test_fetch_body_content_encoding_decoded(
    clock: FakeClock, encoding: str, encode: Callable[[bytes], bytes], chunk: int
) -> None:
    encoded = encode(PLAIN)
    headers = {"Content-Encoding": encoding} if encoding else {}
    site = Site(clock, {"/p": lambda request: resp(200, encoded, headers, chunk=chunk)})
    async with make_fetcher(site, clock, respect_robots=False) as fetcher:
        page = await fetcher.fetch(f"{BASE}/p")
    assert page.body == PLAIN
    assert fetcher.bytes_received == len(encoded)


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        ("gzip", gzip.compress(PLAIN)[: len(gzip.compress(PLAIN)) // 2]),
        ("gzip", gzip.compress(PLAIN)[:-4]),
        ("gzip", gzip.compress(PLAIN)[:1]),
        ("gzip", b""),
        ("deflate", zlib.compress(PLAIN)[: len(zlib.compress(PLAIN)) // 2]),
        ("deflate", raw_deflate(PLAIN)[: len(raw_deflate(PLAIN)) // 2]),
    ],
    ids=[
        "gzip-half",
        "gzip-no-trailer",
        "gzip-one-byte",
        "gzip-empty",
        "zlib-half",
        "raw-deflate-half",
    ],
)
async def test_fetch_truncated_compressed_body_unreachable(
    clock: FakeClock, encoding: str, encoded: bytes
) -> None:
    site = Site(clock, {"/p": lambda request: resp(200, encoded, {"Content-Encoding": encoding})})
    with pytest.raises(UnreachableError, match="truncated"):
        await fetch_one(site, clock, f"{BASE}/p", max_retries=0)


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        ("gzip", b"\x1f\x8b\x08\x00" + b"\xff" * 200),
        ("gzip", b"this is not gzip at all, just text"),
        ("gzip", gzip.compress(PLAIN)[:30] + b"\x00" * 50 + gzip.compress(PLAIN)[80:]),
        ("deflate", b"\xff\xff\xff\xff" * 20),
    ],
    ids=["bad-block", "plain-text", "damaged-middle", "deflate-garbage"],
)
async def test_fetch_corrupt_compressed_body_unreachable(
    clock: FakeClock, encoding: str, encoded: bytes
) -> None:
    site = Site(clock, {"/p": lambda request: resp(200, encoded, {"Content-Encoding": encoding})})
    with pytest.raises(UnreachableError, match="corrupt|truncated") as info:
        await fetch_one(site, clock, f"{BASE}/p", max_retries=0)
    assert "body" in str(info.value)


async def test_fetch_unsupported_content_encoding_unreachable(clock: FakeClock) -> None:
    site = Site(clock, {"/p": lambda request: resp(200, b"xx", {"Content-Encoding": "br"})})
    with pytest.raises(UnreachableError, match="br"):
        await fetch_one(site, clock, f"{BASE}/p", max_retries=0)


def _bomb(wbits: int) -> bytes:
    """50 MB of zeros, compressed a megabyte at a time (never 50 MB in memory at once)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, wbits)  # fast; still < 250 kB
    block = bytes(1024 * 1024)
    return b"".join(compressor.compress(block) for _ in range(50)) + compressor.flush()


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    return {
        "gzip": _bomb(16 + zlib.MAX_WBITS),
        # Nested: the outer gzip inflates to a small zlib stream, which is the bomb.
        "deflate, gzip": gzip.compress(_bomb(zlib.MAX_WBITS)),
    }


@pytest.mark.parametrize("encoding", ["gzip", "deflate, gzip"], ids=["gzip", "nested"])
async def test_fetch_gzip_bomb_too_large(
    clock: FakeClock, bombs: dict[str, bytes], encoding: str
) -> None:
    bomb = bombs[encoding]
    assert len(bomb) < 1024 * 1024  # small on the wire, 50 MB inflated
    site = Site(clock, {"/p": lambda request: resp(200, bomb, {"Content-Encoding": encoding})})
    started = time.perf_counter()
    with pytest.raises(ResponseTooLargeError) as info:
        await fetch_one(site, clock, f"{BASE}/p", max_body_bytes=1024 * 1024, max_retries=3)
    assert info.value.kind == "too_large"
    assert site.paths() == ["/p"]  # not retried
    assert time.perf_counter() - started < 2.0  # stopped early, not inflated to the end


@pytest.mark.parametrize(
    ("size", "content_length"),
    [(2000, True), (2000, False), (1001, True)],
    ids=["declared", "undeclared-stream", "one-over"],
)
async def test_fetch_body_over_cap_too_large(
    clock: FakeClock, size: int, content_length: bool
) -> None:
    body = b"x" * size
    site = Site(
        clock, {"/p": lambda request: resp(200, body, content_length=content_length, chunk=256)}
    )
    with pytest.raises(ResponseTooLargeError):
        await fetch_one(site, clock, f"{BASE}/p", max_body_bytes=1000, respect_robots=False)


async def test_fetch_declared_content_length_over_cap_refused_before_reading(
    clock: FakeClock,
) -> None:
    reads: list[int] = []

    class Tracking(Body):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            reads.append(1)
            yield self.data

    def route(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Length": "50000000"}, stream=Tracking(b"x" * 10)
        )

    site = Site(clock, {"/p": route})
    with pytest.raises(ResponseTooLargeError, match="Content-Length"):
        await fetch_one(site, clock, f"{BASE}/p", max_body_bytes=1000, respect_robots=False)
    assert reads == []


async def test_fetch_body_at_cap_accepted(clock: FakeClock) -> None:
    body = b"y" * 1000
    site = Site(clock, {"/p": ok(body)})
    page = await fetch_one(site, clock, f"{BASE}/p", max_body_bytes=1000)
    assert page.body == body


# -- headers ---------------------------------------------------------------------------------


async def test_fetch_sends_configured_user_agent(clock: FakeClock) -> None:
    site = Site(clock, {"/p": ok("p")})
    await fetch_one(site, clock, f"{BASE}/p")
    assert [s.path for s in site.seen] == ["/robots.txt", "/p"]
    for request in site.seen:
        assert request.headers["user-agent"] == BASE_SETTINGS.user_agent
        assert "gzip" in request.headers["accept-encoding"]


# -- real servers on 127.0.0.1: the proxy environment, the total deadline --------------------


@contextmanager
def serve(
    handler: type[BaseHTTPRequestHandler],
    on_close: Callable[[], None] = lambda: None,
) -> Iterator[str]:
    """A stdlib server on 127.0.0.1, port 0, in a daemon thread; shut down on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        on_close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def recording_handler(body: bytes, seen: list[str]) -> type[BaseHTTPRequestHandler]:
    class Recording(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Recording


async def test_fetch_ignores_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    origin_seen: list[str] = []
    proxy_seen: list[str] = []
    with (
        serve(recording_handler(b"from origin", origin_seen)) as origin,
        serve(recording_handler(b"from proxy", proxy_seen)) as proxy,
    ):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("ALL_PROXY", proxy)
        # Control: a client that trusts the environment really goes through the "proxy".
        async with httpx.AsyncClient(trust_env=True) as trusting:
            assert (await trusting.get(f"{origin}/control")).content == b"from proxy"
        assert proxy_seen == [f"{origin}/control"]
        settings = replace(BASE_SETTINGS, respect_robots=False, max_retries=0)
        host = origin.removeprefix("http://")  # 127.0.0.1:PORT
        async with Fetcher(settings, allowed_hosts=[host]) as fetcher:
            page = await fetcher.fetch(f"{origin}/page")
    assert page.body == b"from origin"
    assert origin_seen == ["/page"]
    assert proxy_seen == [f"{origin}/control"]


# -- the total deadline, against a real drip-feeding server ---------------------------------


@pytest.fixture
def drip_server() -> Iterator[str]:
    stop = threading.Event()

    class Drip(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                while not stop.is_set():
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    stop.wait(0.2)
            except OSError:
                pass
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serve(Drip, on_close=stop.set) as url:
        yield url


async def test_fetch_total_deadline_stops_drip_feed(drip_server: str) -> None:
    settings = replace(
        BASE_SETTINGS,
        total_timeout_s=1.0,
        read_timeout_s=5.0,
        connect_timeout_s=2.0,
        max_retries=0,
        respect_robots=False,
    )
    started = time.perf_counter()
    host = drip_server.removeprefix("http://")  # 127.0.0.1:PORT
    async with Fetcher(settings, allowed_hosts=[host]) as fetcher:
        with pytest.raises(UnreachableError, match="no complete response") as info:
            await fetcher.fetch(f"{drip_server}/slow")
    elapsed = time.perf_counter() - started
    assert 0.9 <= elapsed < 3.0
    assert isinstance(info.value.__cause__, TimeoutError)


def test_fetch_errors_share_base_class() -> None:
    # Every error the Fetcher raises on purpose can be caught as FetchError by the crawler.
    for error in (
        BadStatusError,
        BlockedError,
        DisallowedURLError,
        ResponseTooLargeError,
        RobotsDisallowedError,
        UnreachableError,
    ):
        assert issubclass(error, FetchError)
    assert BlockedError("x", url="u", status=403).kind == "blocked"
    assert BadStatusError("x", url="u", status=410).kind == "not_found"


# -- AutoThrottle ------------------------------------------------------------------------------


async def test_fetch_slows_down_for_a_slow_host(clock: FakeClock) -> None:
    """A host that takes 4 s to answer is not asked again after the configured 1 s: the
    wait grows toward the host's own response time (Scrapy's AutoThrottle rule)."""

    def slow(request: httpx.Request) -> httpx.Response:
        clock.now += 4.0  # the server thinks for 4 s
        return resp(200, "<html>slow</html>", None)

    site = Site(clock, {"/a": slow, "/b": slow, "/c": slow, "/d": ok("d")})
    async with make_fetcher(site, clock, delay_s=1.0, jitter=0.0) as fetcher:
        for path in ("/a", "/b", "/c", "/d"):
            await fetcher.fetch(f"{BASE}{path}")
    starts = [seen.at for seen in site.seen if seen.path != "/robots.txt"]
    waits = [b - a - 4.0 for a, b in zip(starts, starts[1:], strict=False)]
    # robots.txt answered at once: the throttle moved halfway to the 1 s delay (0.5 s).
    assert waits[0] == pytest.approx(2.25)  # (0.5 + 4) / 2
    assert waits[1] == pytest.approx(3.125)  # (2.25 + 4) / 2
    assert waits[2] == pytest.approx(3.5625)
    assert all(w >= 1.0 for w in waits)


async def test_fetch_goes_through_the_proxy_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """--proxy URL: every request goes through it (and only then)."""
    origin_seen: list[str] = []
    proxy_seen: list[str] = []
    with (
        serve(recording_handler(b"from origin", origin_seen)) as origin,
        serve(recording_handler(b"from proxy", proxy_seen)) as proxy,
    ):
        settings = replace(BASE_SETTINGS, respect_robots=False, max_retries=0, proxy=proxy)
        host = origin.removeprefix("http://")
        async with Fetcher(settings, allowed_hosts=[host]) as fetcher:
            page = await fetcher.fetch(f"{origin}/page")
    assert page.body == b"from proxy"
    assert proxy_seen == [f"{origin}/page"] and origin_seen == []
