"""Every fault, end to end: the real crawler against our own misbehaving server on 127.0.0.1.

Each scenario serves a listing that links to ``ok-1``, the faulty article and ``ok-2``, crawls
it with the real crawler (library, or the CLI where the CLI is what is promised), and checks
the ``crawl_errors`` row (kind, status), the frontier state (``retry`` for passing failures,
``failed`` for final ones), that no article row was made for it, the exit code the README
promises, how many times the URL was requested, and that the other articles were archived.
A second server on another port of 127.0.0.1 runs alongside every scenario: it is off the
profile, and its log must stay empty. See ``tests/faultserver.py`` for the routes, and
``shared/research/reliability.md`` §5 (R4–R21) and §6 (S3, S5) for the scenarios.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from portal_archive import Archive, CrawlReport, Fetcher, Settings, crawl, load_profile
from portal_archive.cli import app
from portal_archive.crawl import CrawlOptions, fetch_hosts
from portal_archive.errors import UnreachableError

from .faultserver import (
    MIB,
    Behaviour,
    ChunkedUnterminated,
    CloseBeforeStatus,
    Content,
    Drip,
    Dynamic,
    FaultServer,
    GzipBomb,
    GzipCorrupt,
    GzipTruncated,
    Huge,
    Redirect,
    ResetMidBody,
    Sequenced,
    ShortBody,
    Status,
    article_html,
    gzip_bomb,
    http_date,
    listing_html,
)

ROOT = Path(__file__).resolve().parents[1]

FAST = Settings(
    allow_private_networks=True,
    delay_s=0.0,
    jitter=0.0,
    connect_timeout_s=1.0,
    read_timeout_s=1.0,
    total_timeout_s=1.5,
    max_retries=1,
    backoff_base_s=0.01,
    backoff_max_s=0.05,
    max_retry_after_s=5.0,
)
OK_ARTICLES = ("/art/ok-1.html", "/art/ok-2.html")
GBK_TITLE = "朱镕基会见王喆：四川省政府通报"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + bytes(range(256)) * 8

# -- the site ---------------------------------------------------------------------------------


def write_profile(tmp_path: Path, server: FaultServer, *starts: str) -> Path:
    """A profile for the fault server: listings under /list/ (and the /a/ trap), articles
    /art/*.html."""
    start_urls = ", ".join(json.dumps(s) for s in starts or ("/list/index.html",))
    path = tmp_path / "faults.toml"
    path.write_text(
        f"""id = "faults"
name = "Fault server"
base_url = "{server.url}/"
hosts = ["127.0.0.1"]
language = "en"
start_urls = [{start_urls}]

[crawl]
follow = ['^/list/', '^/a/']
articles = ['^/art/[\\w.-]+\\.html$']
delay_s = 0
""",
        "utf-8",
    )
    return path


def ok_routes() -> dict[str, Behaviour]:
    return {p: Content(article_html(f"Article {p}")) for p in OK_ARTICLES}


def listing(*paths: str) -> Content:
    return Content(listing_html(paths))


def gbk_page() -> Content:
    html = article_html(
        GBK_TITLE,
        ["朱镕基同志与王喆同志就四川发展交换了意见，全文如下。", "会议强调，要做好民生保障工作。"],
        head="<meta charset=gb2312>",
        lang="zh",
    )
    return Content(html.encode("gb18030"), charset=None)


@dataclass
class Sleeps:
    """A fake ``sleep`` for the Fetcher: records what it was asked to wait, waits nothing."""

    calls: list[float]

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


def run_crawl(
    profile_path: Path,
    db: Path,
    *,
    settings: Settings = FAST,
    sleep: Sleeps | None = None,
    options: CrawlOptions | None = None,
) -> CrawlReport:
    profile = load_profile(profile_path)

    async def main() -> CrawlReport:
        with Archive.open(db) as archive:
            async with Fetcher(
                settings,
                allowed_hosts=fetch_hosts(profile, None),
                delay_s=profile.crawl.delay_s,
                **({"sleep": sleep} if sleep is not None else {}),
            ) as fetcher:
                return await crawl(profile, fetcher=fetcher, archive=archive, options=options)

    return asyncio.run(main())


class DB:
    """Read-only look at the archive after a crawl."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path)

    def close(self) -> None:
        self.conn.close()

    def one(self, sql: str, *args: Any) -> Any:
        row = self.conn.execute(sql, args).fetchone()
        return None if row is None else row[0]

    def errors(self, url: str) -> list[tuple[str, int | None]]:
        return self.conn.execute(
            "SELECT kind, status FROM crawl_errors WHERE url = ? ORDER BY id", [url]
        ).fetchall()

    def state(self, url: str) -> str | None:
        return self.one("SELECT state FROM frontier WHERE url = ?", url)  # type: ignore[no-any-return]

    def has_article(self, url: str) -> bool:
        return bool(self.one("SELECT count(*) FROM articles WHERE url = ?", url))

    def pages(self, url: str) -> int:
        return int(self.one("SELECT count(*) FROM pages WHERE url = ?", url))


@pytest.fixture
def other() -> Iterator[FaultServer]:
    """A second server on another port of 127.0.0.1: off the profile, never to be reached."""
    with FaultServer({"*": Content(article_html("Off-profile service"))}) as server:
        yield server


# -- the scenario table ---------------------------------------------------------------------

Routes = Callable[[str, FaultServer], dict[str, Behaviour]]


@dataclass(frozen=True)
class Scenario:
    """One fault on one URL and what the archive must say afterwards.

    ``kind`` None: the URL is archived after all. ``attempts``: requests the URL gets (1 +
    ``max_retries`` for a passing failure). ``stops``: the run stops at once (exit 3), so
    ``ok-2`` is never requested. ``page_kept``: the raw response is stored for inspection.
    """

    name: str
    routes: Routes
    kind: str | None
    status: int | None
    state: str
    exit_code: int
    attempts: int | None = None
    stops: bool = False
    page_kept: bool | None = False  # None: not checked here
    listing: bool = False  # the fault is on a start listing page, not an article
    slept: tuple[float, float] | None = None  # a (fake) sleep in this range must happen


def at(route: Behaviour) -> Routes:
    return lambda path, other: {path: route}


def chain3(path: str, other: FaultServer) -> dict[str, Behaviour]:
    return {
        path: Redirect("/r/chain-1"),
        "/r/chain-1": Redirect("/r/chain-2", 301),
        "/r/chain-2": Redirect("/art/chain-target.html", 307),
        "/art/chain-target.html": Content(article_html("Arrived after three redirects")),
    }


def loop(path: str, other: FaultServer) -> dict[str, Behaviour]:
    return {path: Redirect("/r/loop-b"), "/r/loop-b": Redirect(path)}


def login(path: str, other: FaultServer) -> dict[str, Behaviour]:
    return {
        path: Redirect(f"/login?next={path}"),
        "/login": Content(
            "<html><head><title>Sign in</title></head><body><h1>Sign in</h1>"
            '<form method="post"><input name="user"><input name="password" type="password">'
            "</form></body></html>"
        ),
    }


def retry_after_date(path: str, other: FaultServer) -> dict[str, Behaviour]:
    late = Dynamic(lambda request: Status(429, [("Retry-After", http_date(2))]))
    return {path: Sequenced([late, Content(article_html("After the HTTP-date"))])}


SCRIPT_412 = b"<html><script>var $_ts=window['$_ts'];$_ts.nsd=12;</script></html>"
SCRIPT_521 = b"<html><script>document.cookie='__jsluid_s=1';location.reload()</script></html>"
JSL_200 = (
    b"<html><head><title>loading</title></head><body><script>document.cookie="
    b"('__jsl_clearance=1700000000.1|0|'+'abc');location.href=location.pathname</script>"
    b"</body></html>"
)

SCENARIOS = [
    # R8: connection faults are passing failures, retried, and never stored half-read.
    Scenario("reset_mid_body", at(ResetMidBody()), "unreachable", None, "retry", 1, 2),
    Scenario("close_before_status", at(CloseBeforeStatus()), "unreachable", None, "retry", 1, 2),
    Scenario("short_body", at(ShortBody()), "unreachable", None, "retry", 1, 2),
    Scenario("chunked_unterminated", at(ChunkedUnterminated()), "unreachable", None, "retry", 1, 2),
    # R9: a truncated or corrupt gzip stream is a transfer failure, not an empty page.
    Scenario("gzip_truncated", at(GzipTruncated()), "unreachable", None, "retry", 1, 2),
    Scenario("gzip_corrupt", at(GzipCorrupt()), "unreachable", None, "retry", 1, 2),
    # R12, S5: size caps before and after decompression; final.
    Scenario("gzip_bomb", at(GzipBomb()), "too_large", None, "failed", 1, 1),
    Scenario("huge_content_length", at(Huge(50 * MIB)), "too_large", None, "failed", 1, 1),
    Scenario("huge_chunked", at(Huge(50 * MIB, chunked=True)), "too_large", None, "failed", 1, 1),
    # R10: a drip is cut by the total deadline (1.5 s here), then retried once.
    Scenario("drip", at(Drip(0.5)), "unreachable", None, "retry", 1, 2),
    # R4, R5: 5xx is retried; a passing 503 ends archived, a lasting one comes back next run.
    Scenario(
        "503_then_200",
        at(Sequenced([Status(503), Content(article_html("Back after a 503"))])),
        None,
        None,
        "done",
        0,
        2,
    ),
    Scenario("503_forever", at(Status(503)), "bad_status", 503, "retry", 1, 2),
    # R7: Retry-After in both forms is waited, then the page archived; too long, or 429 after
    # every retry, stops the run (exit 3) and the URL comes back next run.
    Scenario(
        "429_retry_after_2s",
        at(
            Sequenced(
                [Status(429, [("Retry-After", "2")]), Content(article_html("After Retry-After"))]
            )
        ),
        None,
        None,
        "done",
        0,
        2,
        slept=(2.0, 2.0),
    ),
    Scenario("429_retry_after_date", retry_after_date, None, None, "done", 0, 2, slept=(0.5, 3)),
    Scenario(
        "429_retry_after_too_long",
        at(Status(429, [("Retry-After", "60")])),
        "blocked",
        429,
        "retry",
        3,
        1,
        stops=True,
    ),
    Scenario("429_forever", at(Status(429)), "blocked", 429, "retry", 3, 2, stops=True),
    # R6: final statuses, one request each.
    # A refusal page is evidence: kept raw, never an article.
    Scenario("403", at(Status(403)), "blocked", 403, "failed", 1, 1, page_kept=True),
    Scenario("404", at(Status(404)), "not_found", 404, "failed", 1, 1),
    Scenario("410", at(Status(410)), "not_found", 410, "failed", 1, 1),
    # R17, S3: redirects.
    Scenario("redirect_chain_3", chain3, None, None, "done", 0, 1),
    Scenario("redirect_loop", loop, "redirect_loop", None, "failed", 1, 6),
    Scenario(
        "redirect_other_port",
        lambda path, other: {path: Redirect(f"{other.url}/art/elsewhere.html")},
        "disallowed",
        None,
        "failed",
        1,
        1,
    ),
    Scenario(
        "redirect_metadata_ip",
        at(Redirect("http://169.254.169.254/latest/meta-data/")),
        "disallowed",
        None,
        "failed",
        1,
        1,
    ),
    # R16: a login wall is a refusal, kept raw, never an article.
    Scenario("redirect_login", login, "blocked", 200, "retry", 1, 1, page_kept=True),
    # R13: GBK declared only as <meta charset=gb2312>.
    Scenario("gbk_meta_gb2312", at(gbk_page()), None, None, "done", 0, 1),
    # R14, R15: soft 404 and challenges.
    Scenario(
        "soft_404",
        at(Content(article_html("页面不存在", ["您访问的页面不存在或已被删除。"], lang="zh"))),
        "not_found",
        200,
        "failed",
        1,
        1,
        page_kept=True,
    ),
    pytest.param(
        Scenario(
            "soft_404_gbk",
            at(
                Content(
                    article_html(
                        "页面不存在",
                        ["您访问的页面不存在或已被删除。"],
                        head="<meta charset=gb2312>",
                        lang="zh",
                    ).encode("gb18030"),
                    charset=None,
                )
            ),
            "not_found",
            200,
            "failed",
            1,
            1,
            page_kept=True,
        ),
        id="soft_404_gbk",
    ),
    # Raw pages of 412/521 challenges: see test_challenge_status_pages_are_kept_raw.
    Scenario(
        "challenge_412",
        at(Status(412, body=SCRIPT_412)),
        "challenge",
        412,
        "failed",
        1,
        1,
        page_kept=None,
    ),
    Scenario(
        "challenge_521",
        at(Status(521, body=SCRIPT_521)),
        "challenge",
        521,
        "failed",
        1,
        1,
        page_kept=None,
    ),
    Scenario(
        "challenge_jsl_200",
        at(Content(JSL_200)),
        "challenge",
        200,
        "failed",
        1,
        1,
        page_kept=True,
    ),
    # A page with no article text: a parse error, final, raw page kept.
    Scenario(
        "parse_error",
        at(Content("<html><head><title></title></head><body><br></body></html>")),
        "parse_error",
        None,
        "failed",
        1,
        1,
        page_kept=True,
    ),
    # Refused on a listing page: exit 3 at once, nothing more is requested.
    Scenario(
        "listing_403",
        at(Status(403)),
        "blocked",
        403,
        "failed",
        3,
        1,
        stops=True,
        listing=True,
        page_kept=True,
    ),
    Scenario(
        "listing_429_forever",
        at(Status(429)),
        "blocked",
        429,
        "retry",
        3,
        2,
        stops=True,
        listing=True,
    ),
    Scenario(
        "listing_challenge_412",
        at(Status(412, body=SCRIPT_412)),
        "challenge",
        412,
        "failed",
        3,
        1,
        stops=True,
        listing=True,
        page_kept=None,
    ),
    Scenario(
        "listing_challenge_jsl_200",
        at(Content(JSL_200)),
        "challenge",
        200,
        "failed",
        3,
        1,
        stops=True,
        listing=True,
        page_kept=True,
    ),
]


def _id(scenario: Any) -> str:
    return scenario.name if isinstance(scenario, Scenario) else str(scenario)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_id)
def test_scenario(scenario: Scenario, tmp_path: Path, other: FaultServer) -> None:
    fault = f"/list/{scenario.name}.html" if scenario.listing else f"/art/{scenario.name}.html"
    with FaultServer() as server:
        server.routes.update(ok_routes())
        server.routes.update(scenario.routes(fault, other))
        if any(isinstance(b, GzipBomb) for b in server.routes.values()):
            gzip_bomb()  # built once per session, before the clock of any deadline starts
        if scenario.listing:
            # The good listing comes first and links to both articles; the refused one next.
            server.routes["/list/index.html"] = listing(*OK_ARTICLES)
            profile = write_profile(tmp_path, server, "/list/index.html", fault)
        else:
            server.routes["/list/index.html"] = listing(OK_ARTICLES[0], fault, OK_ARTICLES[1])
            profile = write_profile(tmp_path, server)
        sleeps = Sleeps([])
        started = time.monotonic()
        report = run_crawl(profile, tmp_path / "a.db", sleep=sleeps)
        elapsed = time.monotonic() - started
        url = server.url + fault
        ok = [server.url + p for p in OK_ARTICLES]
        requested = server.paths()

    # Nothing ever reaches the off-profile port, and nothing left 127.0.0.1 (the conftest
    # guard would have raised).
    assert other.paths() == [], "a request reached the off-profile port"
    db = DB(tmp_path / "a.db")
    try:
        # The record.
        expected_errors = [] if scenario.kind is None else [(scenario.kind, scenario.status)]
        assert db.errors(url) == expected_errors, requested
        assert db.state(url) == scenario.state
        assert db.has_article(url) is (scenario.kind is None and not scenario.listing)
        if scenario.kind is not None and scenario.page_kept is False:
            assert db.pages(url) == 0, "a failed response was stored as a page"
        if scenario.page_kept:
            assert db.pages(url) == 1, "the refused response should be kept raw for inspection"
        # The exit code, in the report and in the runs table.
        assert report.exit_code == scenario.exit_code, report.failures
        assert db.one("SELECT exit_code FROM runs ORDER BY id DESC LIMIT 1") == scenario.exit_code
        assert report.blocked is (scenario.exit_code == 3)
        # Requests: retried only when worth it.
        if scenario.attempts is not None:
            assert requested.count(fault) == scenario.attempts, requested
        # The rest of the run.
        if scenario.stops:
            # Stopped at once: nothing after the refusal was asked for.
            assert requested[-1] == fault, requested
            assert OK_ARTICLES[1] not in requested
            assert not db.has_article(ok[1])
            if scenario.listing:
                assert OK_ARTICLES[0] not in requested
        else:
            assert all(db.has_article(u) for u in ok), requested
            assert report.articles_new == 2 + (scenario.kind is None)
        if scenario.slept is not None:
            low, high = scenario.slept
            assert any(low <= s <= high for s in sleeps.calls), sleeps.calls
        assert elapsed < 10
    finally:
        db.close()


# -- figures and promises beyond the table --------------------------------------------------


@pytest.mark.parametrize(
    ("status", "script"), [(412, SCRIPT_412), (521, SCRIPT_521)], ids=["412", "521"]
)
def test_challenge_status_pages_are_kept_raw(status: int, script: bytes, tmp_path: Path) -> None:
    """README: challenge pages "are never archived as articles, and their raw pages are kept
    for inspection" (kept for 200 challenges, soft 404s and login walls: see the table)."""
    fault = f"/art/challenge-{status}.html"
    with FaultServer(ok_routes()) as server:
        server.routes[fault] = Status(status, body=script)
        server.routes["/list/index.html"] = listing(OK_ARTICLES[0], fault)
        report = run_crawl(write_profile(tmp_path, server), tmp_path / "a.db")
    assert report.exit_code == 1
    db = DB(tmp_path / "a.db")
    try:
        assert db.errors(server.url + fault) == [("challenge", status)]
        assert db.pages(server.url + fault) == 1
    finally:
        db.close()


def test_redirect_chain_keeps_the_final_url(tmp_path: Path) -> None:
    with FaultServer(ok_routes()) as server:
        server.routes.update(chain3("/art/chain.html", server))
        server.routes["/list/index.html"] = listing("/art/chain.html")
        report = run_crawl(write_profile(tmp_path, server), tmp_path / "a.db")
        assert server.paths().count("/art/chain-target.html") == 1
    db = DB(tmp_path / "a.db")
    try:
        final = db.one("SELECT final_url FROM pages WHERE url = ?", server.url + "/art/chain.html")
        assert final == server.url + "/art/chain-target.html"
        title = db.one("SELECT title FROM articles WHERE url = ?", server.url + "/art/chain.html")
        assert title == "Arrived after three redirects"
        assert report.exit_code == 0
    finally:
        db.close()


def test_drip_is_cut_by_the_total_deadline() -> None:
    """R10: 1 byte every 0.5 s never trips the 1 s read timeout; the 1.5 s total deadline
    must, within deadline + 1 s."""
    settings = replace(FAST, max_retries=0)

    async def fetch(url: str) -> float:
        host = urlsplit(url).netloc
        async with Fetcher(settings, allowed_hosts=[host]) as fetcher:
            started = time.monotonic()
            with pytest.raises(UnreachableError, match="no complete response within 1.5 s"):
                await fetcher.fetch(url)
            return time.monotonic() - started

    with FaultServer({"/drip": Drip(0.5)}) as server:
        elapsed = asyncio.run(fetch(server.url + "/drip"))
    assert settings.total_timeout_s <= elapsed <= settings.total_timeout_s + 1.0


def test_retry_after_is_waited_in_real_time(tmp_path: Path) -> None:
    """R7: after 429 with Retry-After: 2 the next request to the host comes ≥ 2 s later."""
    article = "/art/patient.html"
    with FaultServer(ok_routes()) as server:
        server.routes[article] = Sequenced(
            [Status(429, [("Retry-After", "2")]), Content(article_html("Worth the wait"))]
        )
        server.routes["/list/index.html"] = listing(article)
        report = run_crawl(write_profile(tmp_path, server), tmp_path / "a.db")
        hits = server.requests(article)
        later = [r for r in server.requests() if r.at > hits[0].at]
    assert len(hits) == 2
    assert 2.0 <= hits[1].at - hits[0].at < 3.5
    assert later[0] is not None and later[0].at - hits[0].at >= 2.0  # nothing in between
    assert report.exit_code == 0 and report.articles_new == 1


def test_gbk_title_comes_out_exactly(tmp_path: Path) -> None:
    """R13: gb2312 declared in <meta> only, bytes in gb18030: 镕 and 喆 survive, no U+FFFD."""
    with FaultServer() as server:
        server.routes.update({"/list/index.html": listing("/art/gbk.html")})
        server.routes["/art/gbk.html"] = gbk_page()
        report = run_crawl(write_profile(tmp_path, server), tmp_path / "a.db")
    db = DB(tmp_path / "a.db")
    try:
        title, body, encoding = db.conn.execute(
            "SELECT title, body_text, encoding FROM articles WHERE url = ?",
            [server.url + "/art/gbk.html"],
        ).fetchone()
    finally:
        db.close()
    assert title == GBK_TITLE
    assert "镕" in title and "喆" in title and "朱镕基同志与王喆同志" in body
    assert "\ufffd" not in title + body
    assert encoding == "gb18030"
    assert report.exit_code == 0


def _pdf_site(server: FaultServer) -> None:
    server.routes["/list/index.html"] = listing("/art/with-pdf.html")
    server.routes["/art/with-pdf.html"] = Content(
        article_html("Budget report", links=[("/files/budget-2025.pdf", "2025年预算报告")])
    )
    server.routes["/files/budget-2025.pdf"] = Content(
        PDF_BYTES, content_type="application/pdf", charset=None
    )


def test_pdf_attachment_is_recorded_not_fetched(tmp_path: Path) -> None:
    """R21 without --download-attachments: URL, link text and type, no body, no request."""
    with FaultServer() as server:
        _pdf_site(server)
        report = run_crawl(write_profile(tmp_path, server), tmp_path / "a.db")
        assert "/files/budget-2025.pdf" not in server.paths()
    db = DB(tmp_path / "a.db")
    try:
        rows = db.conn.execute(
            "SELECT article_url, url, link_text, type, size, sha256 FROM attachments"
        ).fetchall()
    finally:
        db.close()
    assert rows == [
        (
            server.url + "/art/with-pdf.html",
            server.url + "/files/budget-2025.pdf",
            "2025年预算报告",
            "pdf",
            None,
            None,
        )
    ]
    assert report.exit_code == 0


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_pdf_attachment_downloaded_with_the_cli(tmp_path: Path) -> None:
    """R21 with --download-attachments: size and sha256 stored, the bytes exact."""
    db_path = tmp_path / "a.db"
    with FaultServer() as server:
        _pdf_site(server)
        profile = write_profile(tmp_path, server)
        result = invoke(
            "crawl", str(profile), "--db", str(db_path), "--allow-private-networks",
            "--delay", "0", "--download-attachments", "--report", str(tmp_path / "r.json"),
        )  # fmt: skip
        assert server.paths().count("/files/budget-2025.pdf") == 1
    assert result.exit_code == 0, result.output
    db = DB(db_path)
    try:
        row = db.conn.execute(
            "SELECT url, link_text, type, size, sha256, content_type, body FROM attachments"
        ).fetchone()
    finally:
        db.close()
    assert row[:3] == (server.url + "/files/budget-2025.pdf", "2025年预算报告", "pdf")
    assert row[3] == len(PDF_BYTES)
    assert row[4] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert row[5] == "application/pdf"
    assert bytes(row[6]) == PDF_BYTES
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))["exit_code"] == 0


@pytest.mark.parametrize(
    ("name", "routes", "starts", "code", "kind"),
    [
        ("clean", {"/list/index.html": listing(*OK_ARTICLES)}, ("/list/index.html",), 0, None),
        (
            "article_404",
            {"/list/index.html": listing(OK_ARTICLES[0], "/art/gone.html", OK_ARTICLES[1])},
            ("/list/index.html",),
            1,
            "not_found",
        ),
        (
            "listing_403",
            {"/list/index.html": listing(*OK_ARTICLES), "/list/closed.html": Status(403)},
            ("/list/closed.html", "/list/index.html"),
            3,
            "blocked",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_cli_exit_codes(
    name: str,
    routes: dict[str, Behaviour],
    starts: tuple[str, ...],
    code: int,
    kind: str | None,
    tmp_path: Path,
) -> None:
    """The README's exit codes through the command line: 0 fine, 1 a URL failed, 3 refused."""
    with FaultServer({**ok_routes(), **routes}) as server:
        profile = write_profile(tmp_path, server, *starts)
        result = invoke(
            "crawl", str(profile), "--db", str(tmp_path / "a.db"), "--allow-private-networks",
            "--delay", "0", "--report", str(tmp_path / "r.json"),
        )  # fmt: skip
    assert result.exit_code == code, result.output
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert report["exit_code"] == code
    assert [f["kind"] for f in report["failures"]] == ([kind] if kind else [])
    if code == 3:
        assert report["blocked"] is True and report["articles"]["new"] == 0


def test_memory_stays_bounded_through_bomb_and_huge_pages(tmp_path: Path) -> None:
    """R12, S5: a 200 MiB gzip bomb and 50 MiB pages (declared, and chunked) in a real CLI
    process: each is refused as too_large, the good article is archived, and the process's
    peak RSS stays under 200 MB."""
    bomb = gzip_bomb()
    assert bomb.inflated_size >= 64 * MIB
    huge_chunked = Huge(50 * MIB, chunked=True)
    faults = ("/art/bomb.html", "/art/huge.html", "/art/huge-chunked.html")
    with FaultServer(ok_routes()) as server:
        server.routes.update(
            {
                "/list/index.html": listing(OK_ARTICLES[0], *faults, OK_ARTICLES[1]),
                faults[0]: GzipBomb(),
                faults[1]: Huge(50 * MIB),
                faults[2]: huge_chunked,
            }
        )
        profile = write_profile(tmp_path, server)
        db_path = tmp_path / "a.db"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        with (tmp_path / "out").open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "portal_archive", "crawl", str(profile),
                 "--db", str(db_path), "--allow-private-networks", "--delay", "0",
                 "--report", str(tmp_path / "r.json")],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
            )  # fmt: skip
            # wait4 gives this child's own rusage (RUSAGE_CHILDREN would be the max over
            # every child this pytest process has reaped so far).
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        peak_mb = usage.ru_maxrss / 1024  # KiB on Linux
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"peak RSS of the crawl: {peak_mb:.1f} MB (RUSAGE_CHILDREN {children_mb:.1f} MB; "
        f"bomb {bomb.inflated_size // MIB} MiB in {len(bomb.payload) // 1024} KiB, "
        f"built in {bomb.build_s:.1f} s; chunked page: {huge_chunked.sent // MIB} MiB sent)"
    )
    output = (tmp_path / "out").read_text("utf-8", "replace")
    assert proc.returncode == 1, output
    assert peak_mb < 200, f"peak RSS {peak_mb:.1f} MB"
    assert huge_chunked.sent < 50 * MIB  # the client stopped reading at the cap
    db = DB(db_path)
    try:
        for path in faults:
            assert db.errors(server.url + path) == [("too_large", None)]
            assert db.state(server.url + path) == "failed"
            assert db.pages(server.url + path) == 0
        assert all(db.has_article(server.url + p) for p in OK_ARTICLES)
    finally:
        db.close()


def test_traps_are_bounded(tmp_path: Path) -> None:
    """R18: endless ?page=N+1 pagination stops at the depth limit, a page number past 10,000 is
    never asked for, and /a/a/a/ is cut at the third repeat."""

    def page(request: Any) -> Behaviour:
        n = int(request.target.rpartition("page=")[2] or 1)
        return Content(listing_html([f"/list/trap?page={n + 1}"], title=f"Page {n}"))

    with FaultServer(ok_routes()) as server:
        server.routes.update(
            {
                "/list/index.html": listing(
                    OK_ARTICLES[0], "/list/trap?page=1", "/list/trap?page=10001", "/a/"
                ),
                "/list/trap": Dynamic(page),
                "/a/*": Content(listing_html(["a/", OK_ARTICLES[1]], title="Again")),
            }
        )
        started = time.monotonic()
        report = run_crawl(write_profile(tmp_path, server), tmp_path / "a.db")
        elapsed = time.monotonic() - started
        paths = server.paths()
    trap_pages = [p for p in paths if p.startswith("/list/trap")]
    assert 1 <= len(trap_pages) <= CrawlOptions().max_depth + 1, trap_pages
    assert "/list/trap?page=10001" not in paths
    assert "/a/" in paths and "/a/a/" in paths
    assert not any(p.startswith("/a/a/a/") for p in paths), paths
    assert report.skipped_traps >= 3
    assert report.exit_code == 0 and report.articles_new == 2
    assert elapsed < 10
    db = DB(tmp_path / "a.db")
    try:
        assert db.one("SELECT count(*) FROM articles") == 2
    finally:
        db.close()


# -- re-runs --------------------------------------------------------------------------------

TRANSIENT = {
    "/art/reset.html": ResetMidBody(),
    "/art/unavailable.html": Status(503),
    "/art/truncated.html": GzipTruncated(),
}
FINAL = {
    "/art/gone.html": Status(404),
    "/art/removed.html": Status(410),
    "/art/loop.html": Redirect("/art/loop.html"),
    "/art/huge.html": Huge(50 * MIB),
}


def _first_run(tmp_path: Path, server: FaultServer) -> Path:
    server.routes.update(ok_routes())
    server.routes.update(TRANSIENT)
    server.routes.update(FINAL)
    server.routes["/list/index.html"] = listing(*OK_ARTICLES, *TRANSIENT, *FINAL)
    profile = write_profile(tmp_path, server)
    report = run_crawl(profile, tmp_path / "a.db", sleep=Sleeps([]))
    assert report.exit_code == 1
    db = DB(tmp_path / "a.db")
    try:
        for path in TRANSIENT:
            assert db.state(server.url + path) == "retry", path
        for path in FINAL:
            assert db.state(server.url + path) == "failed", path
    finally:
        db.close()
    return profile


def test_rerun_asks_again_for_passing_failures_only(tmp_path: Path) -> None:
    """A second crawl takes the `retry` URLs up again from the frontier (retry → pending),
    even when no listing links to them any more, and leaves the final failures alone."""
    with FaultServer() as server:
        profile = _first_run(tmp_path, server)
        # The site recovers, and the listing no longer links to any of the failed URLs.
        server.routes["/list/index.html"] = listing(*OK_ARTICLES)
        for path in TRANSIENT:
            server.routes[path] = Content(article_html(f"Recovered {path}"))
        server.log.clear()
        report = run_crawl(profile, tmp_path / "a.db", sleep=Sleeps([]))
        paths = server.paths()
    for path in TRANSIENT:
        assert paths.count(path) == 1, (path, paths)
    for path in FINAL:
        assert path not in paths
    assert report.articles_new == len(TRANSIENT)
    assert report.exit_code == 0
    db = DB(tmp_path / "a.db")
    try:
        for path in TRANSIENT:
            assert db.state(server.url + path) == "done"
            assert db.has_article(server.url + path)
    finally:
        db.close()


def test_rerun_does_not_ask_again_for_final_failures_still_linked(tmp_path: Path) -> None:
    """README: "One that failed for good (404, robots.txt, parse error) is not [tried again]",
    also when the listing still links to it, which is what a daily crawl sees."""
    with FaultServer() as server:
        profile = _first_run(tmp_path, server)
        server.log.clear()
        run_crawl(profile, tmp_path / "a.db", sleep=Sleeps([]))
        paths = server.paths()
    assert all(paths.count(p) >= 1 for p in TRANSIENT), paths
    assert [p for p in FINAL if p in paths] == []


def test_conditional_get_answers_304_and_stores_nothing_new(tmp_path: Path) -> None:
    """A page served with an ETag (or Last-Modified) is asked for again with If-None-Match
    (If-Modified-Since) on the next run; the 304 counts as not modified and adds no page."""
    etag_path, lm_path = "/art/etag.html", "/art/last-modified.html"
    stamp = "Wed, 01 Jan 2025 08:00:00 GMT"
    with FaultServer() as server:
        server.routes.update(
            {
                "/list/index.html": Content(listing_html([etag_path, lm_path]), etag='"list-v1"'),
                etag_path: Content(article_html("With an ETag"), etag='"art-v1"'),
                lm_path: Content(article_html("With a date"), last_modified=stamp),
            }
        )
        profile = write_profile(tmp_path, server)
        first = run_crawl(profile, tmp_path / "a.db")
        db = DB(tmp_path / "a.db")
        before = db.conn.execute("SELECT id, url, sha256 FROM pages ORDER BY id").fetchall()
        versions = db.one("SELECT count(*) FROM article_versions")
        db.close()
        server.log.clear()
        second = run_crawl(profile, tmp_path / "a.db")
        etag_hits = server.requests(etag_path)
        lm_hits = server.requests(lm_path)
    assert first.articles_new == 2
    assert [r.headers.get("if-none-match") for r in etag_hits] == ['"art-v1"']
    assert [r.headers.get("if-modified-since") for r in lm_hits] == [stamp]
    assert second.articles_not_modified == 2
    assert second.articles_new == second.articles_changed == 0
    assert second.exit_code == 0
    db = DB(tmp_path / "a.db")
    try:
        after = db.conn.execute("SELECT id, url, sha256 FROM pages ORDER BY id").fetchall()
        assert after == before
        assert db.one("SELECT count(*) FROM article_versions") == versions
    finally:
        db.close()
