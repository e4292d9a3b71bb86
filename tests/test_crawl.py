"""The real crawler against real HTTP servers on 127.0.0.1 (port 0), serving the offline mirror."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from portal_archive import Archive, CrawlReport, Fetcher, Settings, crawl, load_profile
from portal_archive.crawl import fetch_hosts
from portal_archive.mirror import MirrorHandler, serve_directory

PROFILE = load_profile("sichuan-en")
FAST = Settings(
    allow_private_networks=True,
    delay_s=0.0,
    jitter=0.0,
    backoff_base_s=0.01,
    backoff_max_s=0.05,
    max_retries=2,
)
N_ARTICLES = 28
N_LISTINGS = 8


def run(
    archive: Archive, base_url: str, settings: Settings = FAST, **kwargs: object
) -> CrawlReport:
    async def main() -> CrawlReport:
        async with Fetcher(settings, allowed_hosts=fetch_hosts(PROFILE, base_url)) as fetcher:
            return await crawl(
                PROFILE, fetcher=fetcher, archive=archive, base_url=base_url, **kwargs
            )  # type: ignore[arg-type]

    return asyncio.run(main())


def article_rows(archive: Archive) -> list[tuple[object, ...]]:
    return archive.conn.execute(
        "SELECT url, title, published, updated, paragraphs, footer, content_hash, fetched_at"
        " FROM articles ORDER BY url"
    ).fetchall()


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive.open(tmp_path / "archive.db") as opened:
        yield opened


class RecordingHandler(MirrorHandler):
    """The mirror, logging every path requested, with scripted faults per path."""

    requested: list[str] = []
    faults: dict[str, list[tuple[int, dict[str, str]]]] = {}
    lock = threading.Lock()

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        with self.lock:
            self.requested.append(self.path)
            script = self.faults.get(self.path)
            fault = script.pop(0) if script else None
        if fault is not None:
            status, headers = fault
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


@pytest.fixture
def recording(site_copy: Path) -> Iterator[tuple[str, type[RecordingHandler], Path]]:
    handler = type("Handler", (RecordingHandler,), {"requested": [], "faults": {}})
    with serve_directory(site_copy, handler=handler) as url:
        yield url, handler, site_copy


def test_crawl_archives_every_mirror_article(archive: Archive, mirror_url: str) -> None:
    report = run(archive, mirror_url)
    assert report.failures == []
    assert report.exit_code == 0
    assert report.articles_new == N_ARTICLES
    assert report.listing_pages == N_LISTINGS
    assert archive.count_articles() == N_ARTICLES
    urls = [row[0] for row in article_rows(archive)]
    # Articles keep the profile's own URLs, never the mirror's.
    assert all(str(u).startswith("https://www.sc.gov.cn/10462/") for u in urls)
    # Raw pages are kept: one per article and listing page, with their hash.
    assert archive.counts()["pages"] == N_ARTICLES + N_LISTINGS
    stored = archive.get_article(str(urls[0]))
    assert stored is not None
    assert len(archive.page_body(stored.page_id)) > 1000
    run_row = archive.conn.execute("SELECT exit_code, report FROM runs").fetchone()
    assert run_row[0] == 0 and '"new": 28' in run_row[1]


def test_second_crawl_adds_nothing_and_changes_nothing(archive: Archive, mirror_url: str) -> None:
    run(archive, mirror_url)
    before_rows, before_counts = article_rows(archive), archive.counts()
    report = run(archive, mirror_url)
    assert report.articles_new == 0 and report.articles_changed == 0
    # Conditional GET: the mirror answers 304 for every page it has not changed.
    assert report.articles_not_modified == N_ARTICLES and report.articles_seen == N_ARTICLES
    assert article_rows(archive) == before_rows
    after = archive.counts()
    assert (
        after["pages"] == before_counts["pages"] and after["articles"] == before_counts["articles"]
    )
    assert after["runs"] == before_counts["runs"] + 1


def test_same_mirror_on_another_port_archives_the_same_rows(
    tmp_path: Path, mirror_url: str, site_dir: Path
) -> None:
    with Archive.open(tmp_path / "a.db") as first:
        run(first, mirror_url)
        rows_a = [r[:7] for r in article_rows(first)]
    with serve_directory(site_dir) as other_url, Archive.open(tmp_path / "b.db") as second:
        assert other_url != mirror_url
        run(second, other_url)
        rows_b = [r[:7] for r in article_rows(second)]
    assert rows_a == rows_b


def test_robots_txt_is_obeyed(archive: Archive, recording: tuple[str, type, Path]) -> None:
    url, handler, root = recording
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /10462/10758/14700/\n")
    report = run(archive, url)
    assert report.skipped_robots >= 2
    assert not any(p.startswith("/10462/10758/14700/") for p in handler.requested)
    assert archive.count_articles() == N_ARTICLES - 2
    assert report.exit_code == 0


def test_failed_url_is_recorded_and_the_crawl_goes_on(
    archive: Archive, recording: tuple[str, type, Path]
) -> None:
    url, handler, root = recording
    missing = root / "10462/10758/10760/10765/2018/7/9/10454731.shtml"
    missing.unlink()
    report = run(archive, url)
    assert report.exit_code == 1
    assert report.articles_failed == 1 and report.articles_new == N_ARTICLES - 1
    [failure] = report.failures
    assert failure.kind == "not_found" and failure.status == 404
    assert failure.url == "https://www.sc.gov.cn/10462/10758/10760/10765/2018/7/9/10454731.shtml"
    assert [f.url for f in archive.failures()] == [failure.url]


def test_transient_errors_are_retried(archive: Archive, recording: tuple[str, type, Path]) -> None:
    url, handler, _ = recording
    path = "/10462/10758/10760/10765/2018/7/9/10454731.shtml"
    handler.faults[path] = [(503, {}), (500, {})]
    report = run(archive, url)
    assert report.failures == []
    assert handler.requested.count(path) == 3
    assert archive.count_articles() == N_ARTICLES


def test_rate_limited_crawl_stops_and_says_blocked(
    archive: Archive, recording: tuple[str, type, Path]
) -> None:
    url, handler, _ = recording
    handler.faults["/10462/10758/index.shtml"] = [(429, {"Retry-After": "86400"})]
    report = run(archive, url)
    assert report.blocked and report.exit_code == 3
    assert report.failures[0].kind == "blocked"
    assert handler.requested == ["/robots.txt", "/10462/10758/index.shtml"]


def test_max_pages_stops_early(archive: Archive, mirror_url: str) -> None:
    report = run(archive, mirror_url, max_pages=5)
    assert report.stopped_early
    assert report.listing_pages + report.articles_new == 5


def test_politeness_delay_between_requests(
    archive: Archive, recording: tuple[str, type, Path]
) -> None:
    url, handler, _ = recording
    settings = replace(FAST, delay_s=0.05, jitter=0.5)
    times: list[float] = []
    original = handler.do_GET

    def timed(self: RecordingHandler) -> None:
        import time

        times.append(time.monotonic())
        original(self)

    handler.do_GET = timed  # type: ignore[method-assign]
    run(archive, url, settings, max_pages=6)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) >= 5
    assert min(gaps) >= 0.05 * 0.5 * 0.9


def test_crawl_never_requests_off_profile_links(
    archive: Archive, recording: tuple[str, type, Path]
) -> None:
    url, handler, _ = recording
    run(archive, url)
    # Chrome links (Chinese site, search, gov.cn) exist on every page; none is requested.
    assert all(p == "/robots.txt" or p.startswith("/10462/") for p in handler.requested)
    assert not any(p.startswith("/so4/") for p in handler.requested)
    assert len(handler.requested) == len(set(handler.requested))


def test_unreachable_site_is_a_failure_not_a_block(archive: Archive) -> None:
    # Port 9 on loopback: nothing listens, every connection is refused at once.
    report = run(archive, "http://127.0.0.1:9")
    assert not report.blocked and report.exit_code == 1
    [failure] = report.failures
    assert failure.kind == "unreachable" and "robots.txt unreachable" in failure.message
    assert archive.count_articles() == 0


def test_page_that_cannot_be_extracted_is_kept_raw(
    archive: Archive, recording: tuple[str, type, Path]
) -> None:
    url, _, root = recording
    path = "10462/10758/10760/10765/2018/7/9/10454731.shtml"
    (root / path).write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    report = run(archive, url)
    [failure] = report.failures
    assert failure.kind == "parse_error" and "no article text" in failure.message
    canonical = PROFILE.origin + "/" + path
    row = archive.conn.execute("SELECT id FROM pages WHERE url = ?", [canonical]).fetchone()
    assert row is not None and b"<nav>" in archive.page_body(row[0])
    assert not archive.has_article(canonical)
