"""The crawl stage: the frontier, the per-URL error policy and the run report.

``crawl()`` walks a profile's listing pages, fetches every article they link to, extracts
it and archives it. A URL that fails is recorded and the crawl goes on; a site that blocks
or rate-limits us ends the run. It logs, and never prints.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from .archive import Archive
from .errors import BlockedError, FetchError, ParseError, RobotsDisallowedError
from .extract import Document, extract_article
from .fetch import Fetcher
from .models import CrawlReport, Failure, Page
from .profiles import SiteProfile
from .urls import canonicalize_url, origin_of, rebase_url

__all__ = ["crawl", "fetch_hosts"]

logger = logging.getLogger("portal_archive.crawl")

Kind = Literal["listing", "article"]


@dataclass(frozen=True, slots=True)
class _Task:
    url: str  # canonical: the profile's own URL, whatever origin it is fetched from
    kind: Kind
    start: bool = False


def fetch_hosts(profile: SiteProfile, base_url: str | None) -> list[str]:
    """Hosts the crawl may request: the mirror's when ``base_url`` rebases, else the profile's."""
    if base_url:
        return [(urlsplit(base_url).hostname or "").lower()]
    return list(profile.hosts)


async def crawl(
    profile: SiteProfile,
    *,
    fetcher: Fetcher,
    archive: Archive,
    base_url: str | None = None,
    max_pages: int | None = None,
) -> CrawlReport:
    """Crawl one portal into the archive and return the run's report.

    Args:
        base_url: fetch from this origin (a mirror) instead of the profile's; articles keep
            the profile's own URLs, so any mirror of the site archives the same rows.
        max_pages: stop after this many pages (listing and article) have been requested.

    Raises:
        ArchiveError: the archive cannot be written (the run stops: nothing else is safe).
    """
    run = _Run(profile, fetcher, archive, base_url, max_pages or profile.crawl.max_pages)
    await run.run()
    return run.report


class _Run:
    def __init__(
        self,
        profile: SiteProfile,
        fetcher: Fetcher,
        archive: Archive,
        base_url: str | None,
        limit: int | None,
    ):
        self.profile = profile
        self.fetcher = fetcher
        self.archive = archive
        self.fetch_origin = origin_of(base_url) if base_url else profile.origin
        self.limit = limit
        self.report = CrawlReport(site=profile.id, started_at=datetime.now(UTC))
        self.frontier: deque[_Task] = deque(
            _Task(url, "listing", start=True) for url in profile.start_urls
        )
        self.seen = {task.url for task in self.frontier}
        self.run_id = 0

    async def run(self) -> None:
        report = self.report
        self.run_id = self.archive.start_run(self.profile.id, report.started_at)
        fetched = 0
        try:
            while self.frontier:
                if self.limit is not None and fetched >= self.limit:
                    report.stopped_early = True
                    logger.info("stopping: the page limit (%d) is reached", self.limit)
                    break
                task = self.frontier.popleft()
                fetched += 1
                page = await self._fetch(task)
                if report.blocked:
                    break
                if page is not None:
                    self._process(task, page)
        finally:
            report.requests = self.fetcher.requests
            report.bytes_received = self.fetcher.bytes_received
            report.finished_at = datetime.now(UTC)
            self.archive.finish_run(self.run_id, report)

    async def _fetch(self, task: _Task) -> Page | None:
        try:
            return await self.fetcher.fetch(
                rebase_url(task.url, self.fetch_origin), canonical_url=task.url
            )
        except RobotsDisallowedError as exc:
            self.report.skipped_robots += 1
            logger.info("skipped %s: %s", task.url, exc)
            if task.start and self.report.skipped_robots >= len(self.profile.start_urls):
                self.report.blocked = True
                self._fail(task, exc.kind, f"start page refused: {exc}")
        except BlockedError as exc:
            self._fail(task, exc.kind, str(exc), exc.status)
            # Rate-limited anywhere, or refused on a listing page: the site does not want this
            # crawl now, and going on would only be impolite.
            if exc.status == 429 or task.kind == "listing" or "Retry-After" in str(exc):
                self.report.blocked = True
        except FetchError as exc:
            status = getattr(exc, "status", None)
            self._fail(task, exc.kind, str(exc), status)
            # An archived article that now answers 404/410: keep it, note when it went.
            if (
                exc.kind == "not_found"
                and task.kind == "article"
                and status is not None
                and self.archive.mark_gone(task.url, status, datetime.now(UTC))
            ):
                self.report.articles_gone += 1
        return None

    def _process(self, task: _Task, page: Page) -> None:
        # The raw page is kept before anything is read from it: a page the extractor cannot
        # handle today can be re-extracted later without the network.
        self.archive.save_page(page)
        try:
            document = Document.from_bytes(page.body, url=page.url, charset=page.charset)
            self._enqueue(document.links())
            if task.kind == "listing":
                self.report.listing_pages += 1
                return
            article = extract_article(document, self.profile)
        except ParseError as exc:
            self._fail(task, exc.kind, str(exc))
            return
        outcome = self.archive.save_article(page, article)
        if outcome == "new":
            self.report.articles_new += 1
        elif outcome == "changed":
            self.report.articles_changed += 1
        else:
            self.report.articles_unchanged += 1
        logger.info("%s %s", outcome, task.url)

    def _enqueue(self, links: list[str]) -> None:
        for link in links:
            url = self._to_profile_url(link)
            if url is None or url in self.seen:
                continue
            kind: Kind
            if self.profile.is_article(url):
                kind = "article"
            elif self.profile.is_listing(url):
                kind = "listing"
            else:
                continue
            self.seen.add(url)
            self.frontier.append(_Task(url, kind))

    def _to_profile_url(self, link: str) -> str | None:
        """A link found on a page, as the profile's own URL; None when it leaves the site."""
        if origin_of(link) == self.fetch_origin or self.profile.owns(link):
            return canonicalize_url(rebase_url(link, self.profile.origin))
        return None

    def _fail(self, task: _Task, kind: str, message: str, status: int | None = None) -> None:
        failure = Failure(task.url, kind, message, status)
        self.report.failures.append(failure)
        if task.kind == "article":
            self.report.articles_failed += 1
        else:
            self.report.listing_failed += 1
        self.archive.record_failure(self.run_id, failure)
        logger.info("failed %s: %s", task.url, message)
