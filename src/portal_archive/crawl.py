"""The crawl stage: the frontier, scheduling across hosts, the per-URL error policy, the report.

``crawl()`` walks a profile's listing pages, fetches the articles they link to, extracts
them and archives them. The frontier lives in the archive and each URL is finished in one
transaction (its page, its article, the links it revealed, its frontier row), so a crawl
killed at any instant resumes where it stopped with nothing lost or duplicated. A URL that
fails is recorded and the crawl goes on; one that failed for a passing reason comes back on
the next run. A site that blocks or rate-limits us ends the run. Logs, never prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from ._blocks import detect_refusal
from ._fetch_process import FetchProcess
from .archive import Archive
from .discover import DiscoveryError, parse_feed, parse_sitemap
from .errors import (
    ArchiveError,
    BlockedError,
    ChallengeError,
    FetchError,
    ParseError,
    RobotsDisallowedError,
)
from .extract import Document, extract_article
from .fetch import Fetcher
from .models import Article, CrawlReport, Failure, Link, Page
from .profiles import SiteProfile
from .urls import origin_of, path_and_query, rebase_url

__all__ = ["CrawlOptions", "crawl", "fetch_hosts"]

logger = logging.getLogger("portal_archive.crawl")

#: Failures that may pass by themselves: the URL comes back on the next run.
_RETRY_NEXT_RUN = frozenset({"unreachable", "bad_status", "blocked"})
_HTML_TYPES = ("text/html", "application/xhtml+xml", "")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-]?(\d{1,2})[/-](\d{1,2})/|/t?((?:19|20)\d{6})[_/.]")
_MAX_URL_LENGTH = 2000
# Body caps by kind (None: the settings' page cap). 50 MB is the sitemap protocol's own limit.
_CAPS: dict[str, int] = {"sitemap": 50 * 1024 * 1024, "feed": 50 * 1024 * 1024}
# URLs finished in one archive transaction, and the longest a finished URL waits uncommitted.
# A commit per URL cost more than the SQL it commits; a kill loses at most one group, whose
# URLs are still pending in the committed frontier and are fetched again.
_GROUP_URLS = 64
_GROUP_SECONDS = 0.5
_LINK_CACHE_SIZE = 100_000


@dataclass(frozen=True, slots=True, kw_only=True)
class CrawlOptions:
    """How a crawl runs, beyond the profile and the settings.

    Attributes:
        base_url: fetch from this origin (a mirror); articles keep the profile's own URLs.
        max_pages: stop after this many page requests.
        since: skip articles whose URL date is older, and stop paging through listings
            once a page holds only older ones.
        urls: extra URLs to archive (``--urls FILE``), taken as articles.
        stop_after_known: stop paging through a listing once a page links only to
            articles already archived, when at least this many (0: never stop).
        download_attachments: fetch and store linked files (pdf, doc …).
        max_depth: listing pages more than this many hops from a start page are traps.
        max_hosts: hosts crawled at the same time (each still one request at a time).
    """

    base_url: str | None = None
    max_pages: int | None = None
    since: date | None = None
    urls: tuple[str, ...] = ()
    stop_after_known: int = 10
    download_attachments: bool = False
    max_depth: int = 20
    max_hosts: int = 8


def fetch_hosts(profile: SiteProfile, base_url: str | None) -> list[str]:
    """Hosts the crawl may request: the mirror's when ``base_url`` rebases, else the profile's.
    A host given with a port (``127.0.0.1:8000``) allows that port only."""
    if base_url:
        parts = urlsplit(base_url)
        host = (parts.hostname or "").lower()
        return [f"{host}:{parts.port}" if parts.port else host]
    base = urlsplit(profile.base_url)
    # A base_url with a port allows that port on its host; other hosts, the default ports.
    return list(profile.hosts) + ([f"{base.hostname}:{base.port}"] if base.port else [])


async def crawl(
    profile: SiteProfile,
    *,
    fetcher: Fetcher | FetchProcess,
    archive: Archive,
    base_url: str | None = None,
    max_pages: int | None = None,
    options: CrawlOptions | None = None,
    progress: Callable[[CrawlReport], None] | None = None,
) -> CrawlReport:
    """Crawl one portal into the archive and return the run's report.

    ``fetcher`` is a ``Fetcher``, or a ``FetchProcess`` (the same Fetcher in a child process,
    what the CLI uses: page work here then never delays a host's turn). ``base_url`` and
    ``max_pages`` are shortcuts for the same ``options`` fields. ``progress`` is called after
    every URL with the report so far.

    The finished URLs are committed in groups (up to 64 URLs, or what 0.5 s finished), each
    URL all-or-nothing inside its group: a kill loses at most the last group, whose URLs are
    still pending in the archive's frontier and are fetched again by the next crawl.

    Raises:
        ArchiveError: the archive cannot be written (the run stops: nothing else is safe).
    """
    options = options or CrawlOptions()
    if base_url is not None or max_pages is not None:
        options = replace(
            options,
            base_url=base_url if base_url is not None else options.base_url,
            max_pages=max_pages if max_pages is not None else options.max_pages,
        )
    run = _Run(profile, fetcher, archive, options, progress)
    await run.run()
    return run.report


@dataclass(slots=True)
class _HostQueue:
    links: deque[Link] = field(default_factory=deque)
    in_flight: int = 0


class _Run:
    def __init__(
        self,
        profile: SiteProfile,
        fetcher: Fetcher | FetchProcess,
        archive: Archive,
        options: CrawlOptions,
        progress: Callable[[CrawlReport], None] | None,
    ):
        self.profile = profile
        self.fetcher = fetcher
        self.archive = archive
        self.options = options
        self.progress = progress
        self.fetch_origin = origin_of(options.base_url) if options.base_url else profile.origin
        self.limit = options.max_pages or profile.crawl.max_pages
        self.report = CrawlReport(site=profile.id, started_at=datetime.now(UTC))
        self.queues: dict[str, _HostQueue] = {}
        self.requested = 0
        self.run_id = 0
        self.challenges_in_a_row = 0
        self.known_streak: dict[str, int] = {}
        self.link_cache: dict[str, str | None] = {}
        # With a fetch process, a host's next URL is handed over while its current one is
        # being fetched: it waits in the child for the host's turn (the Fetcher spaces them),
        # so page work here never makes a host miss its turn. In process, one at a time.
        self.depth = 2 if isinstance(fetcher, FetchProcess) else 1
        self.active_hosts = 0
        self.group: contextlib.ExitStack | None = None
        self.group_urls = 0
        self.group_deadline = 0.0

    # -- scheduling ---------------------------------------------------------------------------

    async def run(self) -> None:
        report = self.report
        starts = [Link(url, "listing") for url in self.profile.start_urls]
        starts += [Link(url, "article") for url in self._extra_urls()]
        starts += [Link(url, "feed") for url in self.profile.crawl.feeds]
        starts += [Link(url, "sitemap") for url in await self._sitemaps()]
        self.run_id, report.resumed = self.archive.begin_crawl(
            self.profile.id, starts, report.started_at
        )
        if report.resumed:
            logger.info("resuming the interrupted crawl of %s", self.profile.id)
        for link in self.archive.pending_links(self.profile.id):
            self._queue(link)
        in_flight: dict[asyncio.Task[None], str] = {}
        try:
            while True:
                self._start_ready(in_flight)
                if not in_flight:
                    break
                timeout = None
                if self.group is not None:
                    timeout = max(self.group_deadline - time.monotonic(), 0.0)
                done, _ = await asyncio.wait(
                    in_flight, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    queue = self.queues[in_flight.pop(task)]
                    queue.in_flight -= 1
                    self.active_hosts -= queue.in_flight == 0
                    task.result()  # an ArchiveError ends the run here
                if self.group is not None and time.monotonic() >= self.group_deadline:
                    self._close_group()
                if report.blocked:
                    break
        except ArchiveError as exc:
            # The archive failed: what the open group holds is not trusted, roll it back.
            self._close_group(exc)
            raise
        finally:
            for task in in_flight:
                task.cancel()
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)
            # Cancelled, or stopped by any other error: every URL in the group is whole (each
            # is finished in its own savepoint), so it is kept.
            self._close_group()
            report.requests = self.fetcher.requests
            report.bytes_received = self.fetcher.bytes_received
            report.finished_at = datetime.now(UTC)
            self.archive.finish_run(self.run_id, report)

    def _start_ready(self, in_flight: dict[asyncio.Task[None], str]) -> None:
        for host, queue in self.queues.items():
            while queue.links and queue.in_flight < self.depth:
                if self.report.blocked:
                    return
                if not queue.in_flight and self.active_hosts >= self.options.max_hosts:
                    break  # a new host must wait; hosts already started may go on
                if self.limit is not None and self.requested >= self.limit:
                    if not self.report.stopped_early:
                        logger.info("stopping: the page limit (%d) is reached", self.limit)
                    self.report.stopped_early = True
                    return
                link = queue.links.popleft()
                self.active_hosts += queue.in_flight == 0
                queue.in_flight += 1
                self.requested += 1
                in_flight[asyncio.create_task(self._visit(link))] = host

    def _queue(self, link: Link) -> None:
        host = (urlsplit(link.url).hostname or "").lower()
        self.queues.setdefault(host, _HostQueue()).links.append(link)

    # -- archive transactions ---------------------------------------------------------------

    @contextlib.contextmanager
    def _finish(self) -> Iterator[None]:
        """The transaction of one URL: a savepoint inside the open group (opened here). The
        group is committed once it holds ``_GROUP_URLS`` URLs; the run loop commits it when
        its time is up."""
        if self.group is None:
            group = contextlib.ExitStack()
            group.enter_context(self.archive.transaction())
            self.group, self.group_urls = group, 0
            self.group_deadline = time.monotonic() + _GROUP_SECONDS
        self.group_urls += 1
        with self.archive.transaction():
            yield
        if self.group_urls >= _GROUP_URLS:
            self._close_group()

    def _close_group(self, exc: BaseException | None = None) -> None:
        """Commit the open group, or roll it back when ``exc`` (an archive failure) is given."""
        group, self.group = self.group, None
        if group is not None:
            group.__exit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)

    # -- one URL ------------------------------------------------------------------------------

    async def _visit(self, link: Link) -> None:
        validators: dict[str, str] = {}
        capture = None
        if link.kind != "attachment":
            capture = self.archive.latest_capture(link.url)
            if capture is not None:
                validators = capture[1]
        try:
            page = await self.fetcher.fetch(
                self._fetch_url(link.url),
                canonical_url=link.url,
                etag=validators.get("etag"),
                last_modified=validators.get("last-modified"),
                cap=(
                    self.fetcher.settings.max_attachment_bytes
                    if link.kind == "attachment"
                    else _CAPS.get(link.kind)
                ),
            )
        except FetchError as exc:
            with self._finish():
                self._fetch_failed(link, exc)
            return
        finally:
            self._report_progress()
        with self._finish():
            self._handle(link, page, capture)

    def _handle(self, link: Link, page: Page, capture: tuple[int, dict[str, str]] | None) -> None:
        if link.kind == "attachment":
            self.archive.save_attachment_body(
                link.found_on or "",
                link.url,
                body=page.body,
                content_type=page.content_type or None,
                fetched_at=page.fetched_at,
            )
            self.archive.complete_link(self.profile.id, link)
            return
        if link.kind in ("sitemap", "feed"):
            self._discover(link, page)
            return
        if page.status == 304 and capture is not None:
            body_page = self.archive.get_page(capture[0])
            self._process(link, body_page, not_modified=capture[0])
            return
        refusal = detect_refusal(page)
        if refusal is not None:
            self._refused(link, page, refusal.kind, refusal.reason)
            return
        if page.content_type not in _HTML_TYPES:
            # A PDF or a spreadsheet behind an article link: record it, never parse it.
            self.report.attachments += 1
            self.archive.complete_link(self.profile.id, link, file=page)
            return
        self.challenges_in_a_row = 0
        self._process(link, page)

    def _process(self, link: Link, page: Page, *, not_modified: int | None = None) -> None:
        try:
            document = Document.from_bytes(page.body, url=link.url, charset=page.charset)
            tree = document.tree()  # one parse: links read first, extraction then prunes it
            urls = document.links(tree)
            article = None
            if link.kind == "article" and not_modified is None:
                article = extract_article(
                    document, self.profile, fetched_at=page.fetched_at, tree=tree
                )
            found = self._links_of(link, urls, article)
        except ParseError as exc:
            self._fail(link, Failure(link.url, exc.kind, str(exc)), page=page)
            return
        outcome, added = self.archive.complete_link(
            self.profile.id,
            link,
            page=page if not_modified is None else None,
            article=article,
            not_modified_page=not_modified,
            found=found,
        )
        for new in added:
            self._queue(new)
        if not_modified is not None and link.kind == "article":
            self.report.articles_not_modified += 1
        elif link.kind == "listing":
            self.report.listing_pages += 1
        elif outcome == "new":
            self.report.articles_new += 1
        elif outcome == "changed":
            self.report.articles_changed += 1
        elif outcome == "unchanged":
            self.report.articles_unchanged += 1
        if article is not None:
            self.report.attachments += len(article.attachments)
        logger.info("%s %s", outcome or ("not modified" if not_modified else "listing"), link.url)

    # -- discovery beyond listing pages ------------------------------------------------------

    async def _sitemaps(self) -> list[str]:
        rules = self.profile.crawl
        if not rules.sitemaps:
            return []
        found = list(rules.sitemap_urls)
        for url in await self.fetcher.robots_sitemaps(self._fetch_url(self.profile.origin + "/")):
            canonical = self._to_profile_url(url)
            if canonical is not None and canonical not in found:
                found.append(canonical)
        return found

    def _discover(self, link: Link, page: Page) -> None:
        """Queue what a sitemap or feed lists: nested sitemaps, articles, listing pages."""
        if page.status == 304:
            self.archive.complete_link(self.profile.id, link)
            return
        try:
            if link.kind == "feed":
                urls = [entry.url for entry in parse_feed(page.body, url=link.url)]
                nested: list[str] = []
            else:
                sitemap = parse_sitemap(page.body, url=link.url)
                urls = [entry.loc for entry in sitemap.urls]
                nested = urls if sitemap.kind == "sitemapindex" else []
                urls = [] if nested else urls
        except DiscoveryError as exc:
            self._fail(link, Failure(link.url, exc.kind, str(exc)), page=page)
            return
        found: list[Link] = []
        for url in nested:
            if (canonical := self._to_profile_url(url)) is not None:
                found.append(Link(canonical, "sitemap", link.depth + 1, link.url))
        for url in urls:
            canonical = self._to_profile_url(url)
            if canonical is None:
                continue  # off the profile's hosts: never requested
            if self.profile.is_article(canonical):
                kind = "article"
            elif self.profile.is_listing(canonical):
                kind = "listing"
            else:
                continue
            if kind == "article" and self.options.since and _older(canonical, self.options.since):
                self.report.skipped_since += 1
                continue
            found.append(Link(canonical, kind, link.depth, link.url))
        found = [f for f in found if not self._is_trap(f)]
        _, added = self.archive.complete_link(self.profile.id, link, page=page, found=found)
        for new in added:
            self._queue(new)

    # -- links --------------------------------------------------------------------------------

    def _links_of(self, link: Link, urls: list[str], article: Article | None) -> list[Link]:
        """The frontier links of a page: articles, listing pages and (when downloading)
        attachments, with traps, dates before --since and known pagination left out."""
        articles: list[Link] = []
        listings: list[Link] = []
        for url in urls:
            canonical = self._to_profile_url(url)
            if canonical is None or canonical == link.url:
                continue
            if self.profile.is_article(canonical):
                articles.append(Link(canonical, "article", link.depth, link.url))
            elif self.profile.is_listing(canonical):
                listings.append(Link(canonical, "listing", link.depth + 1, link.url))
        articles = [a for a in articles if not self._is_trap(a)]
        listings = [p for p in listings if not self._is_trap(p)]
        if link.kind == "listing" and articles:
            listings = self._stop_paging(link, articles, listings)
        if self.options.since is not None:
            kept = [a for a in articles if not _older(a.url, self.options.since)]
            self.report.skipped_since += len(articles) - len(kept)
            articles = kept
        found = articles + listings
        if self.options.download_attachments and article is not None:
            for attachment in article.attachments:
                target = self._to_profile_url(attachment.url)
                if target is not None:
                    found.append(Link(target, "attachment", link.depth, link.url, attachment.text))
        return found

    def _stop_paging(self, link: Link, articles: list[Link], listings: list[Link]) -> list[Link]:
        """Drop the next pages of this listing when this page holds only articles archived
        already, or only articles older than --since: what follows is older still."""
        urls = [a.url for a in articles]
        folder = link.url.rsplit("/", 1)[0] + "/"
        known = self.archive.known_urls(urls)
        # Known articles in a row at the end of the listing so far, newest first.
        streak = self.known_streak.get(folder, 0) if len(known) == len(urls) else 0
        for url in urls if len(known) < len(urls) else []:
            streak = streak + 1 if url in known else 0
        if len(known) == len(urls):
            streak += len(urls)
        self.known_streak[folder] = streak
        everything_known = 0 < self.options.stop_after_known <= streak
        all_old = self.options.since is not None and all(
            _older(url, self.options.since) for url in urls
        )
        if not (everything_known or all_old):
            return listings
        return [p for p in listings if not p.url.startswith(folder) or "/" in p.url[len(folder) :]]

    def _is_trap(self, link: Link) -> bool:
        path = urlsplit(link.url).path
        segments = [s for s in path.split("/") if s]
        repeated = len(segments) != len(set(segments)) and any(
            segments.count(s) > 2 for s in segments
        )
        trap = (
            len(link.url) > _MAX_URL_LENGTH
            or link.depth > self.options.max_depth
            or repeated
            or _page_number(link.url) > 10_000
        )
        if trap:
            self.report.skipped_traps += 1
            logger.info("skipped a likely crawler trap: %s", link.url)
        return trap

    def _to_profile_url(self, link: str) -> str | None:
        """A link found on a page, as the profile's own URL; None when it leaves the site."""
        # Most links of a page are the site's navigation, the same on every page: each is
        # rebased and canonicalized once a run (2.1 of 46 s of a profiled 64-host crawl).
        try:
            return self.link_cache[link]
        except KeyError:
            pass
        if len(self.link_cache) >= _LINK_CACHE_SIZE:
            self.link_cache.clear()
        found = link
        if self.options.base_url and origin_of(found) == self.fetch_origin:
            found = rebase_url(found, self.profile.origin)
        canonical = self.link_cache[link] = self.profile.canonical_url(found)
        return canonical

    def _fetch_url(self, url: str) -> str:
        if self.options.base_url and origin_of(url) == self.profile.origin:
            return rebase_url(url, self.fetch_origin)
        return url

    def _extra_urls(self) -> Iterable[str]:
        for url in self.options.urls:
            canonical = self.profile.canonical_url(url)
            if canonical is None:
                logger.warning("--urls: %s is not on %s's hosts; skipped", url, self.profile.id)
                continue
            yield canonical

    # -- failures -----------------------------------------------------------------------------

    def _fetch_failed(self, link: Link, exc: FetchError) -> None:
        if isinstance(exc, RobotsDisallowedError):
            self.report.skipped_robots += 1
            logger.info("skipped %s: %s", link.url, exc)
            self.archive.complete_link(self.profile.id, link)
            if link.depth == 0 and link.kind == "listing" and self._all_starts_refused():
                self.report.blocked = True
                self._fail(link, Failure(link.url, exc.kind, f"start page refused: {exc}"))
            return
        status = getattr(exc, "status", None)
        self._fail(link, Failure(link.url, exc.kind, str(exc), status), page=exc.page)
        if isinstance(exc, ChallengeError):
            self._count_challenge(link)
        elif isinstance(exc, BlockedError) and (
            exc.status == 429 or link.kind == "listing" or "Retry-After" in str(exc)
        ):
            # Rate-limited anywhere, or refused on a listing page: the site does not want this
            # crawl now, and going on would only be impolite.
            self.report.blocked = True

    def _refused(self, link: Link, page: Page, kind: str, reason: str) -> None:
        self._fail(link, Failure(link.url, kind, reason, page.status), page=page)
        if kind in ("challenge", "blocked"):
            self._count_challenge(link)

    def _count_challenge(self, link: Link) -> None:
        self.challenges_in_a_row += 1
        if link.kind == "listing" or self.challenges_in_a_row >= 3:
            self.report.blocked = True

    def _all_starts_refused(self) -> bool:
        return self.report.skipped_robots >= len(self.profile.start_urls)

    def _fail(self, link: Link, failure: Failure, *, page: Page | None = None) -> None:
        self.report.failures.append(failure)
        if link.kind == "article":
            self.report.articles_failed += 1
        else:
            self.report.listing_failed += 1
        retry = failure.kind in _RETRY_NEXT_RUN and not (
            failure.status is not None and 400 <= failure.status < 500 and failure.status != 429
        )
        gone = self.archive.fail_link(
            self.profile.id, self.run_id, link, failure, retry=retry, page=page
        )
        if gone:
            self.report.articles_gone += 1
        logger.info("failed %s: %s", link.url, failure.message)

    def _report_progress(self) -> None:
        if self.progress is not None:
            self.report.requests = self.fetcher.requests
            self.report.bytes_received = self.fetcher.bytes_received
            self.progress(self.report)


def _older(url: str, since: date) -> bool:
    """True when the URL carries a date (TRS /YYYY/M/D/ or tYYYYMMDD_) before ``since``."""
    match = _URL_DATE.search(urlsplit(url).path)
    if match is None:
        return False
    try:
        if match.group(1):
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        else:
            raw = match.group(4)
            day = date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        return False
    return day < since


def _page_number(url: str) -> int:
    match = re.search(r"(?:[?&](?:page|p|pageno|pageindex)=|index_)(\d+)", path_and_query(url))
    return int(match.group(1)) if match else 0
