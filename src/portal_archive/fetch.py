"""The fetch stage: URL → Page, politely. Owns httpx; nothing above this module sees an httpx type.

One httpx connection pool (transport) per origin, driven without an ``httpx.AsyncClient``;
redirects followed here (≤ ``max_redirects``), with the host and address policy checked at
every hop; bodies streamed raw and decompressed here with a cap
(httpx would inflate a gzip bomb in one step, and returns an empty 200 for a truncated gzip
stream); a total deadline per response (httpx's read timeout is per chunk); retries for
network errors, 408, 429 and 5xx only, with full-jitter backoff and
``Retry-After``; robots.txt per RFC 9309 through protego; one request at a time per host
with a jittered delay between requests. Never imports selectolax.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import random
import socket
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Final, Literal
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from protego import Protego

from ._asyncio_backend import AsyncioBackend
from .errors import (
    BadStatusError,
    BlockedError,
    ChallengeError,
    DisallowedURLError,
    FetchError,
    ResponseTooLargeError,
    RobotsDisallowedError,
    TooManyRedirectsError,
    UnreachableError,
)
from .models import Page
from .settings import Settings
from .urls import canonicalize_url, is_public_address, origin_of

__all__ = ["Fetcher"]

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_TRANSIENT: Final = frozenset({408, 429, 500, 502, 503, 504, 522, 524})
_REFUSED: Final = frozenset({401, 403, 451})
# Refusals whose body is read and kept: a challenge or block page is evidence.
_KEEP_BODY: Final = frozenset({403, 412, 451, 521})
_CHUNK: Final = 64 * 1024
_ROBOTS_MAX_BYTES: Final = 500 * 1024
_ROBOTS_TOKEN: Final = "portal-archive"

Sleep = Callable[[float], Awaitable[None]]
_Answer = tuple[int, str, tuple[tuple[str, str], ...], bytes]
Resolver = Callable[[str, int], Awaitable[list[str]]]


class _TransientStatusError(BadStatusError):
    """A status worth retrying (408, 429, 5xx), with the server's Retry-After if it sent one."""

    def __init__(self, message: str, *, url: str, status: int, retry_after: float | None):
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


@dataclass(slots=True)
class _HostSlot:
    """Politeness state of one host: one request at a time, and the earliest next start."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0
    crawl_delay: float = 0.0
    #: Extra delay learnt from the host's answers (slow responses, 5xx, 429): AutoThrottle.
    throttle: float = 0.0


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


class Fetcher:
    """Fetches pages for a crawl. Use as ``async with Fetcher(settings, allowed_hosts=…) as f``.

    Args:
        settings: timeouts, delays, retry and size limits, robots and address policy.
        allowed_hosts: host names requests and redirects may go to; anything else is refused.
        transport: an httpx transport (tests pass ``httpx.MockTransport``).
        sleep, clock, rng: injected so tests run on a fake clock.
        resolver: async ``(host, port) -> [ip, …]`` used for the private-address check.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        allowed_hosts: Iterable[str],
        delay_s: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        resolver: Resolver = _system_resolver,
    ) -> None:
        self.settings = settings
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        # A profile may ask for more delay than the settings, never less.
        self.delay_s = max(settings.delay_s, delay_s or 0.0)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._resolver = resolver
        self._slots: dict[str, _HostSlot] = {}
        self._robots: dict[str, Protego | FetchError | Literal[True]] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._addresses: dict[str, list[str]] = {}
        self.requests = 0
        self.bytes_received = 0
        self._transport = transport
        # One TLS context for every pool: building one costs ~50 ms of CPU (it loads the
        # CA bundle), once per host otherwise.
        self._ssl = httpx.create_ssl_context()
        # One small connection pool per host: one pool slows sharply past ~16 concurrent
        # connections (encode/httpx#3215), and politeness already gives each host its own lane.
        # Driven without an httpx.AsyncClient: its auth, redirect, cookie and event-hook layers
        # cost ~0.9 ms a request at 64 hosts and do nothing the Fetcher needs (it follows
        # redirects itself); the cookie jar is kept here, per origin, as the client kept it.
        self._pools: dict[str, httpx.AsyncBaseTransport] = {}
        self._cookies: dict[str, httpx.Cookies] = {}
        self._headers = {
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            "Accept-Encoding": "gzip, deflate",
            "Accept-Language": "en,zh;q=0.8",
            "Connection": "keep-alive",
            "User-Agent": settings.user_agent,
        }
        self._timeout = httpx.Timeout(
            settings.read_timeout_s, connect=settings.connect_timeout_s, pool=None
        ).as_dict()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        pools = list(self._pools.values())
        self._pools.clear()
        for pool in pools:
            if pool is not self._transport:  # an injected transport is its owner's to close
                await pool.aclose()

    def _pool_for(self, origin: str) -> httpx.AsyncBaseTransport:
        pool = self._pools.get(origin)
        if pool is None:
            if self._transport is not None:
                pool = self._transport
            else:
                limits = httpx.Limits(max_connections=4, max_keepalive_connections=2)
                transport = httpx.AsyncHTTPTransport(
                    verify=self._ssl,
                    # A proxy only when asked for (--proxy), never from the environment.
                    proxy=self.settings.proxy,
                    trust_env=False,
                    limits=limits,
                )
                if self.settings.proxy is None:
                    # The same pool httpx builds, on asyncio directly (_asyncio_backend.py
                    # says why). httpx has no argument for it: its pool is replaced, and
                    # pyproject pins httpx below 0.29, the version this is written for.
                    transport._pool = httpcore.AsyncConnectionPool(
                        ssl_context=self._ssl,
                        max_connections=limits.max_connections,
                        max_keepalive_connections=limits.max_keepalive_connections,
                        keepalive_expiry=limits.keepalive_expiry,
                        network_backend=AsyncioBackend(),
                    )
                pool = transport
            self._pools[origin] = pool
        return pool

    async def fetch(
        self,
        url: str,
        *,
        canonical_url: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        cap: int | None = None,
    ) -> Page:
        """Fetch one URL, obeying robots.txt, politeness and the retry policy.

        ``canonical_url`` is recorded as ``Page.url`` (the profile's URL when ``url`` points
        at a mirror). ``etag`` and ``last_modified`` (from the stored capture) make the
        request conditional: an unchanged page answers 304 and comes back with status 304
        and an empty body. ``cap`` overrides the body size cap (attachments).

        Raises:
            RobotsDisallowedError, DisallowedURLError, BadStatusError (404/410 are final),
            BlockedError (403/451, or 429 beyond every retry), ResponseTooLargeError,
            TooManyRedirectsError, UnreachableError (network failure after every retry).
        """
        url = _canonical(url, url)
        validators = {}
        if etag:
            validators["If-None-Match"] = etag
        if last_modified:
            validators["If-Modified-Since"] = last_modified
        # Checked once, outside the retries: an unreadable robots.txt was retried already.
        await self._check_url(url)
        if self.settings.respect_robots:
            await self._check_robots(url)
        try:
            status, final_url, headers, body = await self._retrying(
                lambda: self._get(url, first_checked=True, validators=validators, cap=cap)
            )
        except FetchError as exc:
            if exc.response is not None:
                # A challenge page is evidence: hand it over so the crawl can keep it raw.
                final, code, headers, body = exc.response
                exc.page = Page(
                    url=canonical_url or url,
                    fetch_url=url,
                    final_url=final,
                    status=code,
                    headers=headers,
                    body=body,
                    fetched_at=datetime.now(UTC),
                )
            if not isinstance(exc, _TransientStatusError):
                raise

            if exc.status == 429:
                raise BlockedError(
                    f"rate-limited: HTTP 429 after {self.settings.max_retries + 1} attempts",
                    url=url,
                    status=429,
                ) from exc
            raise BadStatusError(str(exc), url=url, status=exc.status) from exc
        return Page(
            url=canonical_url or url,
            fetch_url=url,
            final_url=final_url,
            status=status,
            headers=headers,
            body=body,
            fetched_at=datetime.now(UTC),
        )

    async def _retrying(self, attempt: Callable[[], Awaitable[_Answer]]) -> _Answer:
        """Run ``attempt`` until it succeeds, fails for good, or ``max_retries`` retries are
        spent (the last error is raised), sleeping ``_backoff`` between attempts.

        A loop of our own, not tenacity: its machinery (strategy wrappers, coroutine checks on
        every call) took the Fetcher from 1.44 to 1.96 ms of CPU a request at 64 hosts
        (bench_crawl.py), a quarter of the fetch budget, for a policy this short."""
        for number in range(1, self.settings.max_retries + 2):
            try:
                return await attempt()
            except (UnreachableError, _TransientStatusError) as exc:
                if number > self.settings.max_retries:
                    raise
                await self._sleep(self._backoff(exc, number))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def robots_sitemaps(self, url: str) -> list[str]:
        """The sitemap URLs named by ``Sitemap:`` lines in the robots.txt of ``url``'s origin."""
        origin = origin_of(url)
        # Only the rules are wanted here: "/" itself being disallowed changes nothing.
        with contextlib.suppress(FetchError):
            await self._check_robots(origin + "/")
        rules = self._robots.get(origin)
        if isinstance(rules, Protego):
            return [str(u) for u in rules.sitemaps]
        return []

    # -- politeness -------------------------------------------------------------------------

    def _slot(self, url: str) -> _HostSlot:
        host = (urlsplit(url).hostname or "").lower()
        return self._slots.setdefault(host, _HostSlot())

    async def _wait_turn(self, slot: _HostSlot) -> None:
        wait = slot.next_start - self._clock()
        if wait > 0:
            await self._sleep(wait)

    def _schedule_next(
        self, slot: _HostSlot, *, latency: float | None = None, status: int | None = None
    ) -> None:
        base = max(self.delay_s, slot.crawl_delay)
        if latency is not None:
            self._adapt(slot, latency, status, base)
        delay = max(base, slot.throttle)
        jitter = self.settings.jitter
        factor = 1.0 + jitter * (2 * self._rng.random() - 1) if jitter else 1.0
        slot.next_start = self._clock() + delay * factor

    def _adapt(self, slot: _HostSlot, latency: float, status: int | None, base: float) -> None:
        """Slow down for a struggling host, as Scrapy's AutoThrottle does: aim to wait as long
        as the host takes to answer; double the wait on 5xx, 408 or 429; only a good answer may
        bring it back down, never below the configured delay."""
        ceiling = self.settings.max_crawl_delay_s
        if status is not None and (status >= 500 or status in (408, 429)):
            slot.throttle = min(max(slot.throttle * 2, base, 1.0), ceiling)
            return
        # A host answering faster than our own delay is not struggling (and what we measure
        # includes our own event loop's lag when it is busy): drift back toward the delay.
        target = latency if latency > base else base
        proposed = (slot.throttle + target) / 2
        if (status is not None and 200 <= status < 400) or proposed > slot.throttle:
            slot.throttle = min(proposed, ceiling)

    def _backoff(self, exc: FetchError, attempt_number: int) -> float:
        if isinstance(exc, _TransientStatusError) and exc.retry_after is not None:
            wait = exc.retry_after
        else:
            # Full jitter (AWS): uniform between 0 and the exponential ceiling.
            ceiling = min(
                self.settings.backoff_max_s,
                self.settings.backoff_base_s * 2 ** (attempt_number - 1),
            )
            wait = self._rng.uniform(0, ceiling)
        # The whole host waits, not only this URL: more requests to a struggling server
        # would only make things worse.
        slot = self._slot(exc.url)
        slot.next_start = max(slot.next_start, self._clock() + wait)
        return wait

    # -- policy -----------------------------------------------------------------------------

    async def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise DisallowedURLError(f"refused: scheme {parts.scheme!r} is not http(s)", url=url)
        host = (parts.hostname or "").lower()
        default_port = parts.port in (None, 80, 443)
        if not (
            (host in self.allowed_hosts and default_port)
            or f"{host}:{parts.port}" in self.allowed_hosts
        ):
            where = f"{host}:{parts.port}" if parts.port else host
            raise DisallowedURLError(
                f"refused: {where!r} is not one of the profile's hosts", url=url
            )
        if self.settings.allow_private_networks:
            return
        addresses = self._addresses.get(host)
        if addresses is None:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                addresses = [host] if _is_ip(host) else await self._resolver(host, port)
            except OSError as exc:
                raise UnreachableError(f"cannot resolve {host}: {exc}", url=url) from exc
            self._addresses[host] = addresses
        private = [a for a in addresses if not is_public_address(a)]
        if private or not addresses:
            raise DisallowedURLError(
                f"refused: {host} resolves to a private or loopback address "
                f"({', '.join(private)}); pass --allow-private-networks to crawl it",
                url=url,
            )

    async def _check_robots(self, url: str) -> None:
        origin = _origin(url)
        rules = self._robots.get(origin)
        if rules is None:
            # One download per origin, however many fetches are waiting for it.
            async with self._robots_locks.setdefault(origin, asyncio.Lock()):
                rules = self._robots.get(origin)
                if rules is None:
                    rules = await self._load_robots(origin)
                    self._robots[origin] = rules
        if rules is True:
            return
        if isinstance(rules, UnreachableError):
            raise UnreachableError(
                f"robots.txt unreachable ({rules}); RFC 9309 says fetch nothing", url=url
            )
        if isinstance(rules, FetchError):
            raise RobotsDisallowedError(
                f"robots.txt answered with an error ({rules}); RFC 9309 says assume "
                "everything is disallowed",
                url=url,
            )
        if not rules.can_fetch(url, _ROBOTS_TOKEN):
            raise RobotsDisallowedError("disallowed by robots.txt", url=url)

    async def _load_robots(self, origin: str) -> Protego | FetchError | Literal[True]:
        """Parsed rules; True when there is none (allow all); the error when it could not be
        read (server error, rate limit, network: disallow all, as RFC 9309 asks)."""
        try:
            _, _, _, body = await self._retrying(
                lambda: self._get(
                    origin + "/robots.txt", cap=_ROBOTS_MAX_BYTES, max_redirects=5, robots=False
                )
            )
        except BadStatusError as exc:
            # 4xx: "unavailable", crawl freely. 5xx: "unreachable", stay away. A 429 is the
            # server asking for less traffic, so it counts as unreachable (as Google does).
            if exc.status < 500 and exc.status != 429:
                return True
            return exc
        except FetchError as exc:
            return exc
        rules = Protego.parse(body.decode("utf-8", errors="replace"))
        delay = rules.crawl_delay(_ROBOTS_TOKEN)
        if delay:
            slot = self._slot(origin)
            slot.crawl_delay = min(float(delay), self.settings.max_crawl_delay_s)
            # The robots.txt request itself counts: the first page waits the Crawl-delay.
            self._schedule_next(slot)
        return rules

    # -- one request, redirects followed ----------------------------------------------------

    async def _get(
        self,
        url: str,
        *,
        cap: int | None = None,
        max_redirects: int | None = None,
        robots: bool = True,
        first_checked: bool = False,
        validators: dict[str, str] | None = None,
    ) -> tuple[int, str, tuple[tuple[str, str], ...], bytes]:
        """One logical GET: every hop is checked (host, address, robots.txt) and spaced by
        its host's politeness delay, exactly like a first request."""
        cap = cap or self.settings.max_body_bytes
        hops = self.settings.max_redirects if max_redirects is None else max_redirects
        current = url
        for hop in range(hops + 1):
            if hop or not first_checked:
                await self._check_url(current)
                if robots and self.settings.respect_robots:
                    await self._check_robots(current)
            slot = self._slot(current)
            async with slot.lock:
                await self._wait_turn(slot)
                started, answered = self._clock(), None
                try:
                    async with asyncio.timeout(self.settings.total_timeout_s):
                        status, headers, location, body = await self._send(
                            current, cap, validators if current == url else None
                        )
                    answered = status
                except TimeoutError as exc:
                    raise UnreachableError(
                        f"no complete response within {self.settings.total_timeout_s:g} s",
                        url=current,
                    ) from exc
                finally:
                    # A response teaches how the host is doing; an exception does not.
                    latency = self._clock() - started if answered is not None else None
                    self._schedule_next(slot, latency=latency, status=answered)
            if status in _REDIRECTS and location:
                current = _canonical(urljoin(current, location), current)
                continue
            if 200 <= status < 300 or (status == 304 and validators):
                return status, current, headers, body
            error = _status_error(current, status, headers, self.settings.max_retry_after_s)
            if status in _KEEP_BODY:
                error.response = (current, status, headers, body)
            raise error
        raise TooManyRedirectsError(f"more than {hops} redirects (a loop?)", url=url)

    async def _send(
        self, url: str, cap: int, validators: dict[str, str] | None = None
    ) -> tuple[int, tuple[tuple[str, str], ...], str | None, bytes]:
        origin = _origin(url)
        pool = self._pool_for(origin)
        self.requests += 1
        try:
            headers_out = {**self._headers, **validators} if validators else self._headers
            request = httpx.Request(
                "GET", url, headers=headers_out, extensions={"timeout": self._timeout}
            )
            jar = self._cookies.get(origin)
            if jar:
                jar.set_cookie_header(request)
            response = await pool.handle_async_request(request)
            response.request = request
            try:
                headers = tuple((k, v) for k, v in response.headers.multi_items())
                status = response.status_code
                if any(k.lower() == "set-cookie" for k, _ in headers):
                    self._cookies.setdefault(origin, httpx.Cookies()).extract_cookies(response)
                if status >= 300 and status not in _KEEP_BODY:
                    return status, headers, response.headers.get("location"), b""
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > cap:
                    raise ResponseTooLargeError(
                        f"Content-Length {declared} is over the {cap}-byte cap", url=url
                    )
                decoder = _Decoder(response.headers.get("content-encoding", ""), cap, url)
                raw = 0
                async for chunk in response.aiter_raw(_CHUNK):
                    raw += len(chunk)
                    self.bytes_received += len(chunk)
                    if raw > cap:
                        raise ResponseTooLargeError(f"body over the {cap}-byte cap", url=url)
                    decoder.feed(chunk)
                return response.status_code, headers, None, decoder.finish()
            finally:
                await response.aclose()
        except httpx.UnsupportedProtocol as exc:
            raise DisallowedURLError(f"refused: unsupported protocol ({exc})", url=url) from exc
        except httpx.InvalidURL as exc:
            raise DisallowedURLError(f"refused: invalid URL ({exc})", url=url) from exc
        except (httpx.TransportError, httpx.DecodingError, httpx.StreamError) as exc:
            message = str(exc) or type(exc).__name__
            raise UnreachableError(f"{type(exc).__name__}: {message}", url=url) from exc


class _Decoder:
    """Undo Content-Encoding in bounded steps: a 1 MB gzip bomb costs at most ``cap`` + 64 KiB."""

    def __init__(self, content_encoding: str, cap: int, url: str):
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        for coding in codings:
            if coding not in ("gzip", "x-gzip", "deflate"):
                raise UnreachableError(f"unsupported Content-Encoding {coding!r}", url=url)
        # Applied last is undone first.
        self._stages = [_Inflater(c) for c in reversed(codings)]
        self._cap = cap
        self._url = url
        self._out: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        self._collect(self._run(chunk))

    def finish(self) -> bytes:
        data = b""
        for i, stage in enumerate(self._stages):
            tail = stage.flush(self._url)
            if i + 1 < len(self._stages):
                tail = self._run(tail, start=i + 1)
            data += tail
            if not stage.eof:
                raise UnreachableError(
                    "truncated body: the compressed stream ends early", url=self._url
                )
        self._collect(data)
        return b"".join(self._out)

    def _run(self, data: bytes, start: int = 0) -> bytes:
        for stage in self._stages[start:]:
            data = stage.inflate(data, self._cap - self._size, self._url)
        return data

    def _collect(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._cap:
            raise ResponseTooLargeError(
                f"body over the {self._cap}-byte cap after decompression", url=self._url
            )
        self._out.append(data)


class _Inflater:
    def __init__(self, coding: str):
        self._gzip = coding in ("gzip", "x-gzip")
        self._zlib: zlib._Decompress | None = None
        self._pending = b""

    @property
    def eof(self) -> bool:
        return self._zlib is not None and self._zlib.eof

    def inflate(self, data: bytes, budget: int, url: str) -> bytes:
        if self._zlib is None:
            self._pending += data
            if len(self._pending) < 2:
                return b""
            data, self._pending = self._pending, b""
            if self._gzip:
                wbits = 16 + zlib.MAX_WBITS
            else:
                # "deflate" is zlib-wrapped by the spec, raw deflate by many servers.
                wbits = (
                    zlib.MAX_WBITS
                    if (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0
                    else -zlib.MAX_WBITS
                )
            self._zlib = zlib.decompressobj(wbits)
        out: list[bytes] = []
        size = 0
        try:
            while data:
                piece = self._zlib.decompress(data, _CHUNK)
                out.append(piece)
                size += len(piece)
                if size > budget:
                    raise ResponseTooLargeError(
                        f"body over the cap after decompression (stopped at {size} bytes)", url=url
                    )
                data = self._zlib.unconsumed_tail
                if self._zlib.eof:
                    break
        except zlib.error as exc:
            raise UnreachableError(f"corrupt compressed body: {exc}", url=url) from exc
        return b"".join(out)

    def flush(self, url: str) -> bytes:
        if self._zlib is None:
            if self._pending:
                raise UnreachableError("truncated body: the compressed stream ends early", url=url)
            return b""
        try:
            return self._zlib.flush()
        except zlib.error as exc:
            raise UnreachableError(f"corrupt compressed body: {exc}", url=url) from exc


def _canonical(url: str, context: str) -> str:
    """canonicalize_url, with a malformed URL (bad port, bad IPv6 literal) as our own error."""
    try:
        return canonicalize_url(url)
    except ValueError as exc:
        raise DisallowedURLError(f"refused: malformed URL {url!r} ({exc})", url=context) from exc


def _origin(url: str) -> str:
    """``origin_of`` for a URL that is canonical already (every URL in here is): the same
    answer without parsing and canonicalizing it again, three times a request."""
    end = url.find("/", url.find("//") + 2)
    return url if end < 0 else url[:end]


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _retry_after(value: str | None, limit: float) -> float | None:
    """Seconds from a Retry-After header in either form (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _status_error(
    url: str, status: int, headers: tuple[tuple[str, str], ...], max_retry_after: float
) -> FetchError:
    if status in _TRANSIENT:
        retry_after = _retry_after(
            next((v for k, v in headers if k.lower() == "retry-after"), None), max_retry_after
        )
        if retry_after is not None and retry_after > max_retry_after:
            return BlockedError(
                f"rate-limited: HTTP {status} with Retry-After {retry_after:.0f} s "
                f"(more than the {max_retry_after:g} s we wait)",
                url=url,
                status=status,
            )
        return _TransientStatusError(
            f"HTTP {status}", url=url, status=status, retry_after=retry_after
        )
    if status in (412, 521):
        # Anti-bot JavaScript challenges (Jiasule, Ruishu, Cloudflare) answer with these.
        return ChallengeError(f"anti-bot challenge: HTTP {status}", url=url, status=status)
    if status in _REFUSED:
        return BlockedError(f"refused by the site: HTTP {status}", url=url, status=status)
    return BadStatusError(f"HTTP {status}", url=url, status=status)
