"""Benchmark of the crawler across hosts (issue 5).

A local HTTP server, in its own process, answers on 127.0.0.1 … 127.0.0.N (Linux routes all
of 127.0.0.0/8 to lo), every answer delayed by 100 ms, keep-alive, ~20 KB HTML pages. Each
host has a robots.txt, one listing page and ``--pages`` article pages. The crawler then
archives the whole site into a fresh archive with ``CrawlOptions(max_hosts=64)`` and a
per-host delay of ``--delay`` seconds, over 1, 8 and 64 hosts, and reports:

- pages/s against the rate politeness allows, ``hosts / max(delay, latency)``, and against
  the fetcher's own ceiling, ``hosts / (delay + latency)`` (the delay runs from the end of
  one response to the start of the next request);
- CPU ms per page of the crawler process (``time.process_time()``; the server is another
  process) and its peak RSS (each run in a fresh process);
- the same fetch pattern (robots.txt, listing, articles; one request in flight per host, the
  same delay after each response) with ONE ``httpx.AsyncClient`` (64 connections) and with
  one ``aiohttp.ClientSession`` (64 connections), fetching only: no extraction, no archive;
- the same three clients at 64 hosts with no delay (the server's 100 ms is the only limit);
- the frontier at 100,000 URLs: insert time, load time, and the memory of the crawler's
  in-memory queues (crawl.py keeps every pending link in memory);
- the cost of each stage measured apart on one page, and a cProfile of the crawler at 64
  hosts (``--profile``).

    python bench/bench_crawl.py --quick
    python bench/bench_crawl.py --profile --out BENCHMARKS.md

Needs aiohttp for the reference run (``pip install aiohttp``; skipped when missing). Only
loopback addresses are used; the server serves a bounded number of requests and stops by
itself after ``--server-timeout`` seconds at the latest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import html
import io
import multiprocessing as mp
import os
import platform
import pstats
import random
import re
import resource
import shlex
import socket
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable
from datetime import UTC, datetime
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

from _sections import write_section  # noqa: E402 - bench/ is on sys.path

SECTION = "## Crawler (issue 5)"
LATENCY_S = 0.1
PAGE_TARGET_BYTES = 20_000
RATE_TARGET = 0.80
CPU_TARGET_MS = 2.0
SITE_ID = "bench-hosts"
OURS_ONE_PROCESS = "ours, Fetcher in process"
FETCHER_ALONE = "Fetcher alone, in process"
FETCH_PROCESS_ALONE = "Fetcher alone, fetch process"
ARTICLE_RE = r"^/news/\d{4}/\d{1,2}/\d{1,2}/[0-9a-f]+\.shtml$"
LISTING_RE = r"^/news/index\.shtml$"
ROBOTS = b"User-agent: *\nAllow: /\n"

# -- the site ---------------------------------------------------------------------------------

_VOCAB = (
    "province government development economic reform county city rural revitalization "
    "investment enterprises infrastructure ecological protection tourism culture industrial "
    "innovation technology service residents public health education transport railway "
    "highway project construction meeting provincial committee implementation policy "
    "measures promote high-quality coordinated green opening-up trade pilot zone agriculture "
    "modern energy hydropower panda heritage Chengdu Sichuan basin mountain river Yangtze "
    "cooperation international delegation exhibition forum digital manufacturing quality"
)
_WORDS = _VOCAB.split()

_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{title} - Sichuan Provincial People's Government</title>
<meta name="SiteName" content="四川省人民政府">
<meta name="ColumnName" content="News">
{meta}<link rel="stylesheet" href="/images/en2019.css">
<style>
body{{margin:0;padding:0;font-family:Arial,"Microsoft YaHei",sans-serif;font-size:14px}}
.main-nav{{background:#0c5ea8;height:46px}}.main-nav li{{float:left;width:200px}}
.article{{width:1160px;margin:0 auto;padding:20px;border:1px solid #e5e5e5}}
.article-title{{font-size:26px;line-height:40px;text-align:center;color:#0c5ea8}}
.news-list li{{line-height:36px;border-bottom:1px dashed #ddd}}
.footer{{background:#f2f2f2;margin-top:30px;padding:20px 0;text-align:center;font-size:12px}}
</style>
</head>
<body>
<div class="top-bar"><a href="/about/zh.shtml">中文</a> <a href="/about/fanti.shtml">繁體</a></div>
<div class="main-nav"><ul>
  <li><a href="/about/government.shtml">Government</a></li>
  <li><a href="/news/index.shtml">News</a></li>
  <li><a href="/about/services.shtml">Services</a></li>
</ul></div>
<div class="breadcrumb"><a href="/about/home.shtml">Home</a> &gt;
  <a href="/news/index.shtml">News</a></div>
"""
_FOOTER = """<div class="footer">
  <div class="footer-links"><a href="/about/sitemap.shtml">Sitemap</a> |
    <a href="/about/contact.shtml">Contact Us</a></div>
  <p>Hosted by: General Office of the People's Government of Sichuan Province</p>
  <p>Website Identification Code: 5100000062 Sichuan ICP No. 13001288</p>
</div>
</body></html>
"""


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(12, 26))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def article_page(seed: int) -> bytes:
    """A ~20 KB TRS-like article: title, date line, paragraphs, footer."""
    rng = random.Random(seed)
    title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 11))).title()
    paragraphs: list[str] = []
    while sum(len(p) for p in paragraphs) < PAGE_TARGET_BYTES - 3_000:
        text = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
        paragraphs.append(f'    <p style="text-indent:2em;">{html.escape(text)}</p>')
    meta = (
        f'<meta name="ArticleTitle" content="{html.escape(title)}">\n'
        '<meta name="PubDate" content="2025-06-30 10:00">\n'
    )
    body = (
        '<div class="article">\n'
        f'  <h1 class="article-title">{html.escape(title)}</h1>\n'
        '  <div class="article-date">Updated: 2025-06-30</div>\n'
        '  <div class="article-content" id="articleContent">\n'
        + "\n".join(paragraphs)
        + "\n  </div>\n</div>\n"
    )
    return (_HEAD.format(title=html.escape(title), meta=meta) + body + _FOOTER).encode()


def article_path(host_index: int, k: int) -> str:
    return f"/news/2025/6/{1 + k % 28}/{host_index:02x}{k:030x}.shtml"


def listing_page(host_index: int, n: int) -> bytes:
    items = "\n".join(
        f'  <li><a href="{article_path(host_index, k)}">Article {k} of host {host_index}</a>'
        '<span class="date">2025-06-30</span></li>'
        for k in range(n)
    )
    return (
        _HEAD.format(title="News", meta="")
        + f'<div class="list-box"><ul class="news-list">\n{items}\n</ul></div>\n'
        + _FOOTER
    ).encode()


# -- the server (its own process) -------------------------------------------------------------


def server_main(
    n_hosts: int,
    pages_per_host: int,
    ready: Any,
    stop: Any,
    timeout_s: float,
    max_requests: int,
) -> None:
    asyncio.run(_serve(n_hosts, pages_per_host, ready, stop, timeout_s, max_requests))


async def _serve(
    n_hosts: int, pages_per_host: int, ready: Any, stop: Any, timeout_s: float, max_requests: int
) -> None:
    articles = [article_page(seed) for seed in range(16)]
    listings = {i: listing_page(i, pages_per_host) for i in range(1, n_hosts + 1)}
    served = 0
    done = asyncio.Event()

    def answer(status: str, body: bytes, ctype: str) -> bytes:
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            "Connection: keep-alive\r\nServer: bench\r\n\r\n"
        )
        return head.encode() + body

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        host_index = int(writer.get_extra_info("sockname")[0].rsplit(".", 1)[1])
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, OSError):
            while not done.is_set():
                request = await reader.readuntil(b"\r\n\r\n")
                path = request.split(b" ", 2)[1].decode("latin-1")
                served += 1
                if served >= max_requests:
                    done.set()
                await asyncio.sleep(LATENCY_S)
                if path == "/robots.txt":
                    data = answer("200 OK", ROBOTS, "text/plain")
                elif path == "/news/index.shtml":
                    data = answer("200 OK", listings[host_index], "text/html; charset=utf-8")
                elif path.startswith("/news/2025/"):
                    body = articles[hash(path) % len(articles)]
                    data = answer("200 OK", body, "text/html; charset=utf-8")
                else:
                    data = answer("404 Not Found", b"not found", "text/plain")
                writer.write(data)
                await writer.drain()
        writer.close()

    servers: list[asyncio.Server] = []
    for _attempt in range(20):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        try:
            for i in range(1, n_hosts + 1):
                servers.append(await asyncio.start_server(handle, f"127.0.0.{i}", port))
            break
        except OSError:
            for server in servers:
                server.close()
            servers = []
    else:
        raise RuntimeError("no free port on every loopback address")
    ready.put(port)
    deadline = time.monotonic() + timeout_s
    while not done.is_set() and not stop.is_set() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    done.set()
    for server in servers:
        server.close()


# -- one run (each in a fresh process) --------------------------------------------------------


def host_urls(port: int, n_hosts: int) -> list[str]:
    return [f"http://127.0.0.{i}:{port}" for i in range(1, n_hosts + 1)]


def write_profile(folder: Path, port: int, n_hosts: int) -> Path:
    origins = host_urls(port, n_hosts)
    hosts = ", ".join(f'"127.0.0.{i}"' for i in range(1, n_hosts + 1))
    starts = ", ".join(f'"{o}/news/index.shtml"' for o in origins)
    path = folder / f"{SITE_ID}.toml"
    path.write_text(
        f'id = "{SITE_ID}"\nname = "Benchmark: one news column per loopback host"\n'
        f'base_url = "{origins[0]}/"\nhosts = [{hosts}]\nlanguage = "en"\n'
        f"start_urls = [{starts}]\n\n[crawl]\nfollow = ['{LISTING_RE}']\n"
        f"articles = ['{ARTICLE_RE}']\n\n[selectors]\n"
        'title = ["h1.article-title"]\ndate = [".article-date"]\nbody = ["#articleContent"]\n'
        'footer = ["div.footer"]\nremove = [".footer-links"]\n',
        encoding="utf-8",
    )
    return path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_client(
    client: str, port: int, n_hosts: int, delay: float, profile_out: str | None
) -> dict[str, Any]:
    """One run in this (fresh) process; the figures as a dict."""
    gc.collect()
    if client == "ours":
        return asyncio.run(_run_ours(port, n_hosts, delay, profile_out, in_child=True))
    if client == OURS_ONE_PROCESS:
        return asyncio.run(_run_ours(port, n_hosts, delay, profile_out, in_child=False))
    if client in (FETCHER_ALONE, FETCH_PROCESS_ALONE):
        in_child = client == FETCH_PROCESS_ALONE
        return asyncio.run(_run_fetcher_alone(port, n_hosts, delay, profile_out, in_child=in_child))
    return asyncio.run(_run_reference(client, port, n_hosts, delay))


async def _run_ours(
    port: int, n_hosts: int, delay: float, profile_out: str | None, *, in_child: bool
) -> dict[str, Any]:
    """``crawl()`` as the CLI runs it: the Fetcher in a fetch process (``in_child``), or,
    as before that design, in this process."""
    from portal_archive import Archive, Settings, crawl, load_profile
    from portal_archive.crawl import CrawlOptions

    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        folder = Path(tmp)
        profile = load_profile(write_profile(folder, port, n_hosts))
        settings = Settings(
            allow_private_networks=True, delay_s=delay, jitter=0.0, respect_robots=True
        )
        with Archive.open(folder / "archive.db") as archive:
            # Every host on the bench's port (a bare host name allows the default ports only).
            allowed = [f"{host}:{port}" for host in profile.hosts]
            fetcher = _our_fetcher(settings, allowed, in_child=in_child)
            async with fetcher:
                work = crawl(
                    profile, fetcher=fetcher, archive=archive, options=CrawlOptions(max_hosts=64)
                )
                report, seconds, cpu, fetch_cpu, child = await _measured(
                    fetcher, work, in_child=in_child, profile_out=profile_out
                )
                if child is not None:
                    throttle, child_rss = child["max_throttle_s"], child["peak_rss_mb"]
                else:
                    # AutoThrottle (fetch.py _adapt) may have lengthened a host's delay.
                    slots = fetcher._slots.values()
                    throttle = max((s.throttle for s in slots), default=0.0)
                    child_rss = 0.0
            articles = archive.count_articles()
    return {
        "pages": report.requests,
        "seconds": seconds,
        # The fetch process's CPU, and all of ours (it plus the crawl's own process).
        "fetch_cpu": fetch_cpu if fetch_cpu is not None else cpu,
        "cpu": cpu + (fetch_cpu or 0.0),
        "rss": peak_rss_mb(),
        "child_rss": child_rss,
        "articles": articles,
        "throttle": throttle,
        "failures": len(report.failures),
        "first_failure": str(report.failures[0]) if report.failures else "",
    }


def _our_fetcher(settings: Any, allowed: list[str], *, in_child: bool) -> Any:
    """Our Fetcher for ``allowed``: in a fetch process (``in_child``), or in this process."""
    from portal_archive import Fetcher
    from portal_archive._fetch_process import FetchProcess

    return (FetchProcess if in_child else Fetcher)(settings, allowed_hosts=allowed)


async def _measured(
    fetcher: Any, work: Awaitable[Any], *, in_child: bool, profile_out: str | None
) -> tuple[Any, float, float, float | None, dict[str, float] | None]:
    """Await ``work`` timed: its result, wall seconds, this process's CPU seconds, the fetch
    process's CPU seconds over the same span and its final stats (both None in process).
    The profile, when asked for, counts CPU time: wall time would be mostly epoll's waits."""
    child0 = await fetcher.stats() if in_child else None
    profiler = cProfile.Profile(time.process_time) if profile_out else None
    cpu0, t0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    try:
        result = await work
    finally:
        if profiler:
            profiler.disable()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    child = await fetcher.stats() if in_child else None
    if profiler and profile_out:
        profiler.dump_stats(profile_out)
    fetch_cpu = child["cpu_s"] - child0["cpu_s"] if child is not None and child0 else None
    return result, seconds, cpu, fetch_cpu, child


async def _run_fetcher_alone(
    port: int, n_hosts: int, delay: float, profile_out: str | None, *, in_child: bool
) -> dict[str, Any]:
    """Our Fetcher, fetching only, in the references' pattern (robots.txt is the Fetcher's
    own first request per host): what the fetch side costs by itself, in this process or in
    a fetch process (``in_child``: its CPU is the child's, the total adds this process's)."""
    from portal_archive import Settings

    settings = Settings(allow_private_networks=True, delay_s=delay, jitter=0.0)
    origins = host_urls(port, n_hosts)
    allowed = [f"127.0.0.{i}:{port}" for i in range(1, n_hosts + 1)]
    article = re.compile(ARTICLE_RE)
    failures: list[str] = []

    async def lane(fetcher: Any, origin: str) -> None:
        todo = [origin + "/news/index.shtml"]
        while todo:
            url = todo.pop(0)
            try:
                page = await fetcher.fetch(url)
            except Exception as exc:  # counted and shown, as the references do
                failures.append(f"{url}: {exc}")
                continue
            if url.endswith("/index.shtml"):
                links = dict.fromkeys(m.decode() for m in _HREF.findall(page.body))
                todo += [origin + p for p in links if article.search(p)]

    fetcher = _our_fetcher(settings, allowed, in_child=in_child)
    async with fetcher:
        work = asyncio.gather(*(lane(fetcher, o) for o in origins))
        _, seconds, cpu, fetch_cpu, child = await _measured(
            fetcher, work, in_child=in_child, profile_out=profile_out
        )
        pages = fetcher.requests
    return {
        "pages": pages,
        "seconds": seconds,
        "fetch_cpu": fetch_cpu if fetch_cpu is not None else cpu,
        "cpu": cpu + (fetch_cpu or 0.0),
        "child_rss": child["peak_rss_mb"] if child is not None else 0.0,
        "rss": peak_rss_mb(),
        "articles": None,
        "failures": len(failures),
        "first_failure": failures[0] if failures else "",
    }


_HREF = re.compile(rb'href="(/news/[^"]+)"')


async def _run_reference(client: str, port: int, n_hosts: int, delay: float) -> dict:
    """robots.txt, the listing, then its articles; one request in flight per host and the
    same delay after each response as the Fetcher. Fetching only."""
    article = re.compile(ARTICLE_RE)
    counts = {"pages": 0, "bytes": 0, "failures": 0}

    async def lane(get: Any, origin: str) -> None:
        todo = [origin + "/robots.txt", origin + "/news/index.shtml"]
        while todo:
            url = todo.pop(0)
            status, body = await get(url)
            counts["pages"] += 1
            counts["bytes"] += len(body)
            if status != 200:
                counts["failures"] += 1
            if url.endswith("/index.shtml"):
                links = dict.fromkeys(m.decode() for m in _HREF.findall(body))
                todo += [origin + p for p in links if article.search(p)]
            if todo and delay:
                await asyncio.sleep(delay)

    import httpx

    if client == "aiohttp":
        import aiohttp

    origins = host_urls(port, n_hosts)
    cpu0, t0 = time.process_time(), time.perf_counter()
    if client == "httpx":
        async with httpx.AsyncClient(
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
            timeout=60.0,
            trust_env=False,
        ) as session:

            async def get(url: str) -> tuple[int, bytes]:
                response = await session.get(url)
                return response.status_code, response.content

            await asyncio.gather(*(lane(get, o) for o in origins))
    else:
        connector = aiohttp.TCPConnector(limit=64, limit_per_host=0)
        async with aiohttp.ClientSession(
            connector=connector, trust_env=False, timeout=aiohttp.ClientTimeout(total=60)
        ) as session:

            async def get(url: str) -> tuple[int, bytes]:
                async with session.get(url) as response:
                    return response.status, await response.read()

            await asyncio.gather(*(lane(get, o) for o in origins))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {
        "pages": counts["pages"],
        "seconds": seconds,
        "cpu": cpu,
        "rss": peak_rss_mb(),
        "articles": None,
        "failures": counts["failures"],
        "first_failure": "",
    }


def _child(target: Any, args: tuple[Any, ...], queue: Any) -> None:
    try:
        queue.put(("ok", target(*args)))
    except BaseException as exc:  # reported to the parent, which fails loudly
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


def in_fresh_process(target: Any, *args: Any, timeout: float = 1800) -> Any:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(target, args, queue))
    process.start()
    try:
        status, value = queue.get(timeout=timeout)
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()
    if status != "ok":
        raise RuntimeError(value)
    return value


# -- the frontier at 100,000 URLs -------------------------------------------------------------


def _rss_now_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def frontier_memory(n_urls: int, n_hosts: int) -> dict[str, Any]:
    """Insert ``n_urls`` links into a fresh archive's frontier, load them as crawl.py does
    at start (``pending_links``, then one deque per host), and measure time and memory."""
    from portal_archive import Archive, Fetcher, Settings, load_profile
    from portal_archive.crawl import CrawlOptions, _Run
    from portal_archive.models import Link

    port = 8000
    out: dict[str, Any] = {"urls": n_urls}
    with tempfile.TemporaryDirectory(prefix="bench-frontier-") as tmp:
        folder = Path(tmp)
        profile = load_profile(write_profile(folder, port, n_hosts))
        origins = host_urls(port, n_hosts)
        start = Link(profile.start_urls[0], "listing")
        rng = random.Random(7)
        links = [
            Link(
                f"{origins[i % n_hosts]}/news/2025/{1 + i % 12}/{1 + i % 28}/"
                f"{rng.getrandbits(128):032x}.shtml",
                "article",
                1,
                profile.start_urls[i % n_hosts],
            )
            for i in range(n_urls)
        ]
        with Archive.open(folder / "frontier.db") as archive:
            archive.begin_crawl(SITE_ID, [start], datetime.now(UTC))
            t0 = time.perf_counter()
            _, added = archive.complete_link(SITE_ID, start, found=links)
            out["insert_s"] = time.perf_counter() - t0
            assert len(added) == n_urls
            del links, added
            gc.collect()
            rss_before = _rss_now_mb()

            t0 = time.perf_counter()
            pending = archive.pending_links(SITE_ID)
            out["load_s"] = time.perf_counter() - t0
            fetcher = Fetcher(Settings(allow_private_networks=True), allowed_hosts=profile.hosts)
            run = _Run(profile, fetcher, archive, CrawlOptions(max_hosts=64), None)
            t0 = time.perf_counter()
            for link in pending:
                run._queue(link)
            out["queue_s"] = time.perf_counter() - t0
            del pending
            gc.collect()
            out["rss_delta_mb"] = _rss_now_mb() - rss_before
            out["queued"] = sum(len(q.links) for q in run.queues.values())
            out["hosts"] = len(run.queues)
            del run
            gc.collect()

            # The same, traced: bytes held by the queues once the load list is gone.
            tracemalloc.start()
            pending = archive.pending_links(SITE_ID)
            run = _Run(profile, fetcher, archive, CrawlOptions(max_hosts=64), None)
            for link in pending:
                run._queue(link)
            del pending
            gc.collect()
            held, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out["held_bytes_per_url"] = held / n_urls
            out["peak_bytes_per_url"] = peak / n_urls
            out["db_mb"] = (folder / "frontier.db").stat().st_size / 2**20
    out["peak_rss_mb"] = peak_rss_mb()
    return out


# -- stage costs measured apart ---------------------------------------------------------------


def stage_costs(repeats: int = 200) -> list[tuple[str, float]]:
    """ms per call of each stage of ``_visit`` on one ~20 KB article page, no profiler."""
    from portal_archive import Archive, load_profile
    from portal_archive._blocks import detect_refusal
    from portal_archive.extract import Document, extract_article
    from portal_archive.models import Page

    body = article_page(1)
    url = "http://127.0.0.1:8000" + article_path(1, 1)
    page = Page(
        url=url,
        fetch_url=url,
        final_url=url,
        status=200,
        headers=(("Content-Type", "text/html; charset=utf-8"),),
        body=body,
        fetched_at=datetime.now(UTC),
    )
    out: list[tuple[str, float]] = [("page size (KB)", len(body) / 1024)]

    def timed(label: str, fn: Any, n: int = repeats) -> Any:
        fn()
        t0 = time.process_time()
        for _ in range(n):
            result = fn()
        out.append((label, (time.process_time() - t0) / n * 1e3))
        return result

    with tempfile.TemporaryDirectory(prefix="bench-stages-") as tmp:
        profile = load_profile(write_profile(Path(tmp), 8000, 1))
        timed("detect_refusal (_blocks.py)", lambda: detect_refusal(page))
        document = timed(
            "Document.from_bytes", lambda: Document.from_bytes(body, url=url, charset="utf-8")
        )
        article = timed("extract_article", lambda: extract_article(document, profile))
        timed("Document.links (a fresh parse)", document.links)
        with Archive.open(Path(tmp) / "a.db") as archive:
            counter = iter(range(10**9))

            def save() -> None:
                n = next(counter)
                fresh = url.replace(".shtml", f"{n}.shtml")
                archive.save_article(
                    Page(**{**_page_fields(page), "url": fresh}),
                    _with_url(article, fresh),
                )

            timed("Archive.save_article (one transaction)", save)
    import httpx

    ssl_context = httpx.create_ssl_context()
    timed(
        "httpx.AsyncHTTPTransport() construction, shared TLS context (Fetcher: one per host)",
        lambda: httpx.AsyncHTTPTransport(verify=ssl_context, trust_env=False),
        20,
    )
    import pickle

    timed(
        "a Page through the pipe: pickle.dumps + pickle.loads (fetch process → crawl)",
        lambda: pickle.loads(pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL)),
    )
    try:
        import sniffio  # noqa: F401
    except ImportError:

        def failed_import() -> None:
            with contextlib.suppress(ImportError):
                import sniffio  # noqa: F401

        timed("failed `import sniffio` (httpcore, per call)", failed_import, 2000)
    return out


def _page_fields(page: Any) -> dict[str, Any]:
    return {f: getattr(page, f) for f in page.__dataclass_fields__}


def _with_url(article: Any, url: str) -> Any:
    from dataclasses import replace

    return replace(article, url=url)


# -- the profile ------------------------------------------------------------------------------


def profile_text(path: str, requests: int) -> tuple[str, str, dict[str, float]]:
    def trim(text: str) -> str:
        text = text.replace(str(Path(sys.prefix) / "lib" / f"python{sys.version[:4]}"), "")
        text = re.sub(r"\S*/site-packages/", "", text)
        text = re.sub(r"\S*/src/portal_archive/", "portal_archive/", text)
        text = re.sub(r"\S*/lib/python3\.\d+/", "", text)
        lines = [ln.rstrip() for ln in text.splitlines()]
        start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
        return "\n".join(ln for ln in lines[start:] if ln.strip())

    texts = []
    for key in ("cumulative", "tottime"):
        stream = io.StringIO()
        pstats.Stats(path, stream=stream).sort_stats(key).print_stats(20)
        texts.append(trim(stream.getvalue()))
    stats = pstats.Stats(path)
    total = stats.total_tt  # type: ignore[attr-defined]
    shares: dict[str, float] = {"total_s": total}
    raw = stats.stats  # type: ignore[attr-defined]
    for (file, _line, name), (_cc, nc, _tt, ct, _callers) in raw.items():
        label = None
        if name == "current_async_library" and "httpcore" in file:
            label = "httpcore current_async_library (failed sniffio import)"
        elif name == "detect_refusal":
            label = "_blocks.detect_refusal"
        elif name == "extract_article":
            label = "extract.extract_article"
        elif name == "complete_link" and file.endswith("archive.py"):
            label = "Archive.complete_link"
        elif name == "_links_of":
            label = "_Run._links_of"
        elif name == "from_bytes" and file.endswith("extract.py"):
            label = "Document.from_bytes"
        elif name == "_send" and file.endswith("fetch.py"):
            label = "Fetcher._send (httpx; a coroutine)"
        elif name == "load_verify_locations":
            label = "ssl load_verify_locations (an SSLContext per host client)"
        elif name == "latest_capture":
            label = "Archive.latest_capture"
        if label:
            shares[label] = ct
            shares[label + " calls/request"] = nc / max(requests, 1)
    return texts[0], texts[1], shares


# -- report -----------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = []
    for dist in ("portal-archive", "httpx", "httpcore", "anyio", "aiohttp", "selectolax"):
        with contextlib.suppress(Exception):
            versions.append(f"{dist} {dist_version(dist)}")
    sniffio = "installed"
    try:
        dist_version("sniffio")
    except Exception:
        sniffio = "NOT installed"
    return (
        f"nproc {os.cpu_count()} × {cpu}, {platform.platform()}; Python "
        f"{platform.python_version()}; " + ", ".join(versions) + f"; sniffio {sniffio}"
    )


def render(
    *,
    command: str,
    started: datetime,
    loads: tuple[str, str],
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    frontier: dict[str, Any] | None,
    stages: list[tuple[str, float]],
    profile: tuple[str, str, dict[str, float]] | None,
) -> str:
    out = [SECTION, ""]
    out.append(f"Command: `{command}`  ")
    out.append(f"Date: {started.strftime('%Y-%m-%d %H:%M UTC')}  ")
    out.append(f"Machine: {machine()}  ")
    out.append(f"Load average (1/5/15 min) before: {loads[0]}; after: {loads[1]}")
    out.append("")
    out.append(
        f"A server in its own process answers on 127.0.0.1 … 127.0.0.N, every answer "
        f"delayed {LATENCY_S * 1000:.0f} ms, keep-alive, ~{PAGE_TARGET_BYTES // 1000} KB "
        f"article pages. Each host: robots.txt, one listing, {args.pages} articles, so "
        f"{args.pages + 2} requests per host. *ours* is `crawl()` as the CLI runs it (fetch, "
        "extract, archive into a fresh SQLite file, `CrawlOptions(max_hosts=64)`, "
        "`Settings(delay_s=D, jitter=0)`), with its Fetcher in a fetch process "
        "(`_fetch_process.FetchProcess`); *ours, Fetcher in process* is the same crawl with "
        "the Fetcher in the crawl's own event loop, the design before; *Fetcher alone* is our "
        "Fetcher fetching only, in the references' pattern, in a fetch process or in process. "
        "*httpx* (one `AsyncClient`, 64 connections) and *aiohttp* (one `ClientSession`, 64 "
        "connections) fetch the same URLs in the same pattern (one request in flight per host, "
        "D seconds after each response) and do nothing else. "
        "**allowed** is hosts / max(D, latency), as issue 5 defines it. **% of ceiling** is the "
        "best possible time for the run over the time taken, where the best time is "
        "n × latency + (n − 1) × D for n requests per host: the delay runs from the end of one "
        "response to the next request, as `Fetcher._schedule_next` does, so a polite client "
        "cannot exceed hosts / (D + latency) (83% of *allowed* at D = 0.5 s). "
        "**fetch CPU** is `time.process_time()` of the process that fetches: the fetch "
        "process for *ours* (the figure issue 5's bar and its httpx reference measure), the "
        "client's only process for the others. **total CPU** adds every process of ours (the "
        "crawl's, which extracts and archives, and the fetch process); the server's is in "
        "neither. Peak RSS is per process (crawl + fetch process); each run is a fresh process."
    )
    out.append("")
    out.append(
        "Design. The Fetcher (robots.txt, politeness, redirects with their per-hop host and "
        "address checks, retries, limits; unchanged) runs in a child process with its own "
        "event loop, started as a fresh interpreter (spawn-like: no fork of a process that has "
        "an event loop) that dies with the crawl (`PR_SET_PDEATHSIG`, and EOF on its socket). "
        "The crawl keeps the frontier, extraction and every archive write, so crash safety is "
        "where it was. Requests go over a socket pair as length-prefixed pickles and Pages or "
        "errors come back (every error of errors.py pickles with its attributes). The crawl "
        "hands each host its next URL while the current one is being fetched, so it waits in "
        "the child for the host's turn and milliseconds of page work in the crawl never make a "
        "host miss it. In the crawl, finished URLs are committed in groups (64 URLs or 0.5 s; "
        "each URL in its own savepoint), a challenge marker scan that was one regex alternation "
        "is substring searches, and links found on a page are canonicalized once a run. In the "
        "Fetcher, httpx's client layer is skipped (one httpx connection pool per host, driven "
        "directly) and the origin of a URL is not re-parsed three times a request."
    )
    out.append("")
    out.append(
        "| client | hosts | D (s) | pages | seconds | pages/s | allowed pages/s | % of allowed "
        "| % of ceiling | fetch CPU ms/page | total CPU ms/page | peak RSS (MB) |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        rss = f"{r['rss']:.0f}"
        if r.get("child_rss"):
            rss += f" + {r['child_rss']:.0f}"
        out.append(
            f"| {r['client']} | {r['hosts']} | {r['delay']:g} | {r['pages']:,} | "
            f"{r['seconds']:.1f} | {r['rate']:.1f} | {r['allowed']:.0f} | "
            f"{r['pct_allowed']:.0f}% | {r['pct_ceiling']:.0f}% | {r['fetch_cpu_ms']:.2f} | "
            f"{r['cpu_ms']:.2f} | {rss} |"
        )
    learnt = [r for r in rows if r["client"] == "ours"]
    if learnt:
        out.append("")
        out.append(
            "Largest AutoThrottle wait learnt by *ours* (fetch.py `_HostSlot.throttle`, used "
            "when it exceeds D): "
            + "; ".join(
                f"{r['hosts']} hosts, D = {r['delay']:g}: {r['throttle'] * 1000:.0f} ms"
                for r in learnt
            )
            + "."
        )
    if any(r["delay"] == 0 for r in rows):
        out.append("")
        out.append(
            "At D = 0 *ours* is not only politeness-free: the Fetcher's AutoThrottle (fetch.py "
            "`_adapt`) keeps a per-host wait near the measured response time (with the Fetcher "
            "in process, that includes the lag of the page work in the same event loop); the "
            "references do not throttle."
        )
    bad = [r for r in rows if r["failures"]]
    for r in bad:
        out.append("")
        out.append(
            f"⚠ {r['client']} at {r['hosts']} hosts: {r['failures']} failures "
            f"(first: {r['first_failure']})"
        )
    out.append("")
    out += reading(rows, loads)
    out += verdict(rows)
    if frontier:
        out.append("")
        out.append(f"### Frontier of {frontier['urls']:,} URLs")
        out.append("")
        out.append(
            f"Inserted through `Archive.complete_link(found=…)` (one transaction) in "
            f"{frontier['insert_s']:.2f} s; `pending_links` loads them in "
            f"{frontier['load_s']:.2f} s and `_Run._queue` spreads them over "
            f"{frontier['hosts']} host deques in {frontier['queue_s']:.2f} s. crawl.py keeps "
            f"every pending link in memory from the start of a run: the queues hold "
            f"{frontier['held_bytes_per_url']:.0f} bytes per URL "
            f"({frontier['held_bytes_per_url'] * frontier['urls'] / 2**20:.1f} MB; tracemalloc), "
            f"{frontier['peak_bytes_per_url']:.0f} bytes per URL at the peak of the load "
            f"(rows, `Link`s and the list together); RSS grew {frontier['rss_delta_mb']:.1f} MB. "
            f"Peak RSS of the process: {frontier['peak_rss_mb']:.0f} MB (with the 100,000 "
            f"`Link`s built to insert them). Archive file: {frontier['db_mb']:.1f} MB."
        )
    if stages:
        out.append("")
        out.append("### Stage costs, measured apart (CPU ms per call, one ~20 KB article page)")
        out.append("")
        out.append("| stage | ms |")
        out.append("|---|---|")
        for label, value in stages:
            out.append(f"| {label} | {value:.3f} |")
    if profile:
        cumulative, tottime, shares = profile
        total = shares.pop("total_s")
        out.append("")
        out.append(
            f"### cProfile of ours at {args.profile_hosts} hosts, D = {args.delay:g} s "
            f"({total:.1f} s of profiled CPU; the profiler slows it, so shares count, not times)"
        )
        out.append("")
        out.append("| function (cumulative) | share of profiled time | calls per request |")
        out.append("|---|---|---|")
        for label, value in sorted(shares.items(), key=lambda kv: -kv[1]):
            if label.endswith("calls/request"):
                continue
            calls = shares.get(label + " calls/request", 0.0)
            shown = "—" if "coroutine" in label else f"{calls:.1f}"
            out.append(f"| {label} | {value / total:.0%} | {shown} |")
        out.append("")
        out.append("Top 20 by cumulative time:")
        out.append("")
        out.append("```")
        out.append(cumulative)
        out.append("```")
        out.append("")
        out.append("Top 20 by own time (tottime):")
        out.append("")
        out.append("```")
        out.append(tottime)
        out.append("```")
    return "\n".join(out) + "\n"


def reading(rows: list[dict[str, Any]], loads: tuple[str, str]) -> list[str]:
    """What holds the rate of ours at the largest host count, from the rows of this run."""
    by = {(r["client"], r["hosts"], r["delay"]): r for r in rows}
    top = max((r["hosts"] for r in rows if r["client"] == "ours"), default=None)
    delays = [r["delay"] for r in rows if r["client"] == "ours" and r["hosts"] == top]
    if top is None or not delays or max(delays) <= 0:
        return []
    delay = max(delays)
    ours = by[("ours", top, delay)]
    crawl_ms = ours["cpu_ms"] - ours["fetch_cpu_ms"]
    ceiling_rate = top / (delay + LATENCY_S)
    text = (
        f"Reading, at {top} hosts and D = {delay:g} s: the crawl's own process (extraction, "
        f"links, archive) took {crawl_ms:.2f} ms of CPU a page, so with a core to itself it "
        f"could finish {1000 / crawl_ms:.0f} pages/s; the ceiling asks for "
        f"{ceiling_rate:.0f} pages/s, which is {crawl_ms * ceiling_rate / 10:.0f}% of a core. "
        f"It reached {ours['rate']:.0f} pages/s with a load average of {loads[0]} (before) "
        f"and {loads[1]} (after) on {os.cpu_count()} cores, shared with the server, the fetch "
        "process and whatever else ran."
    )
    alone = by.get((FETCH_PROCESS_ALONE, top, delay))
    reference = by.get(("aiohttp", top, delay))
    if alone:
        text += (
            f" The fetch process fetching alone, in the same conditions, reached "
            f"{alone['pct_allowed']:.0f}% of allowed ({alone['pct_ceiling']:.0f}% of the "
            f"ceiling) at {alone['fetch_cpu_ms']:.2f} ms a page"
            + (f" (aiohttp: {reference['pct_allowed']:.0f}%)" if reference else "")
            + f", against {ours['pct_allowed']:.0f}% for *ours*: the gap between the two is "
            "what the crawl does with each page, when its process does not get that CPU."
        )
    return [text, ""]


def verdict(rows: list[dict[str, Any]]) -> list[str]:
    ours = {(r["hosts"], r["delay"]): r for r in rows if r["client"] == "ours"}
    top = max((k for k in ours if k[1] > 0), default=None)
    if top is None:
        return []
    r = ours[top]
    rate_ok = r["pct_allowed"] >= RATE_TARGET * 100
    cpu_ok = r["fetch_cpu_ms"] < CPU_TARGET_MS
    ceiling = 100 * max(top[1], LATENCY_S) / (top[1] + LATENCY_S)
    return [
        f"Targets at {top[0]} hosts, D = {top[1]:g} s: rate ≥ {RATE_TARGET:.0%} of allowed: "
        f"**{'met' if rate_ok else 'missed'}** ({r['pct_allowed']:.0f}%; the fetcher's "
        f"ceiling is {ceiling:.0f}% of allowed). Crawler (fetch process) CPU < "
        f"{CPU_TARGET_MS:g} ms/page: **{'met' if cpu_ok else 'missed'}** "
        f"({r['fetch_cpu_ms']:.2f} ms; all of ours, both processes: {r['cpu_ms']:.2f} ms)."
        + "".join(
            f" {c}: {x['fetch_cpu_ms']:.2f} ms."
            for c in (FETCH_PROCESS_ALONE, FETCHER_ALONE)
            if (x := next((y for y in rows if y["client"] == c), None)) is not None
        )
    ]


def loadavg() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--pages", type=int, default=20, help="article pages per host")
    parser.add_argument("--delay", type=float, default=0.5, help="per-host delay D (s)")
    parser.add_argument(
        "--clients", nargs="+", default=["ours", "httpx", "aiohttp"], help="which clients run"
    )
    parser.add_argument(
        "--no-delay-run",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run every client at the largest host count with D = 0",
    )
    parser.add_argument(
        "--design-runs",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run, at the largest host count, ours with the Fetcher in the crawl's own "
        "process (the design before the fetch process), and our Fetcher alone (fetching only) "
        "in a fetch process and in process",
    )
    parser.add_argument("--frontier", type=int, default=100_000, help="URLs (0: skip)")
    parser.add_argument("--profile", action="store_true", help="cProfile ours at 64 hosts")
    parser.add_argument("--profile-hosts", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="1 and 8 hosts, 5 pages, no extras")
    parser.add_argument("--server-timeout", type=float, default=3600.0)
    parser.add_argument("--out", type=Path, help="write the section into this markdown file")
    args = parser.parse_args(argv)
    if args.quick:
        args.hosts, args.pages, args.frontier, args.no_delay_run = [1, 8], 5, 10_000, False
        args.design_runs = False
    if max(args.hosts) > 254:
        parser.error("at most 254 hosts (127.0.0.1 … 127.0.0.254)")
    clients = list(args.clients)
    if "aiohttp" in clients:
        try:
            import aiohttp  # noqa: F401
        except ImportError:
            print("aiohttp is not installed: its reference run is skipped", file=sys.stderr)
            clients.remove("aiohttp")

    command = "python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *sys.argv[1:]])
    started = datetime.now(UTC)
    load_before = loadavg()
    n_hosts = max(args.hosts + [args.profile_hosts if args.profile else 1])
    plan = [(c, h, args.delay) for h in args.hosts for c in clients]
    if args.design_runs and "ours" in clients:
        extra = (OURS_ONE_PROCESS, FETCH_PROCESS_ALONE, FETCHER_ALONE)
        plan += [(c, max(args.hosts), args.delay) for c in extra]
    if args.no_delay_run:
        plan += [(c, max(args.hosts), 0.0) for c in clients]
    per_run = args.pages + 2
    max_requests = per_run * (sum(h for _, h, _ in plan) + n_hosts + 8) + 1000

    ctx = mp.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(
        target=server_main,
        args=(n_hosts, args.pages, ready, stop, args.server_timeout, max_requests),
        daemon=True,
    )
    server.start()
    rows: list[dict[str, Any]] = []
    profile = None
    try:
        port = ready.get(timeout=60)
        for client, hosts, delay in plan:
            result = in_fresh_process(run_client, client, port, hosts, delay, None)
            pages = result["pages"]
            allowed = hosts / max(delay, LATENCY_S)
            # The best time for this run when each host's requests go one after another
            # with the delay between the end of one and the start of the next.
            best_s = per_run * LATENCY_S + (per_run - 1) * delay
            rate = pages / result["seconds"]
            row = {
                "client": client,
                "hosts": hosts,
                "delay": delay,
                **result,
                "rate": rate,
                "allowed": allowed,
                "pct_allowed": 100 * rate / allowed,
                "pct_ceiling": 100 * best_s / result["seconds"],
                "cpu_ms": 1e3 * result["cpu"] / max(pages, 1),
                "fetch_cpu_ms": 1e3 * result.get("fetch_cpu", result["cpu"]) / max(pages, 1),
            }
            rows.append(row)
            print(
                f"{client:8} hosts={hosts:3} D={delay:g} pages={pages} "
                f"{result['seconds']:.1f}s {rate:.1f}/s ({row['pct_allowed']:.0f}% of "
                f"{allowed:.0f}/s) fetch cpu={row['fetch_cpu_ms']:.2f} total cpu="
                f"{row['cpu_ms']:.2f} ms/page rss={result['rss']:.0f} MB"
                f" failures={result['failures']}",
                file=sys.stderr,
            )
        if args.profile and "ours" in clients:
            with tempfile.TemporaryDirectory(prefix="bench-prof-") as tmp:
                path = str(Path(tmp) / "crawl.prof")
                result = in_fresh_process(
                    run_client, "ours", port, args.profile_hosts, args.delay, path
                )
                profile = profile_text(path, result["pages"])
    finally:
        stop.set()
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
    frontier = None
    if args.frontier:
        frontier = in_fresh_process(frontier_memory, args.frontier, min(64, n_hosts))
        print(f"frontier: {frontier}", file=sys.stderr)
    stages = [] if args.quick else in_fresh_process(stage_costs)
    section = render(
        command=command,
        started=started,
        loads=(load_before, loadavg()),
        args=args,
        rows=rows,
        frontier=frontier,
        stages=stages,
        profile=profile,
    )
    if args.out:
        write_section(args.out, SECTION, section)
        print(f"wrote {SECTION!r} into {args.out}", file=sys.stderr)
    else:
        print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
