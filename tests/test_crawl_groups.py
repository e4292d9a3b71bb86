"""Group commits in the crawl: finished URLs are committed together (up to 64 URLs or 0.5 s),
each URL all-or-nothing inside its group, and a failing archive write rolls the group back so
that the next crawl fetches those URLs again."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from portal_archive import Archive, CrawlReport, Fetcher, Settings, crawl, load_profile
from portal_archive.crawl import fetch_hosts
from portal_archive.errors import ArchiveError

PROFILE = load_profile("sichuan-en")
FAST = Settings(allow_private_networks=True, delay_s=0.0, jitter=0.0, max_retries=1)
N_URLS = 36  # 8 listing pages and 28 articles


def _crawl(archive: Archive, base_url: str) -> CrawlReport:
    async def main() -> CrawlReport:
        async with Fetcher(FAST, allowed_hosts=fetch_hosts(PROFILE, base_url)) as fetcher:
            return await crawl(PROFILE, fetcher=fetcher, archive=archive, base_url=base_url)

    return asyncio.run(main())


def _frontier(archive: Archive) -> Counter[str]:
    return Counter(state for (state,) in archive.conn.execute("SELECT state FROM frontier"))


def test_finished_urls_are_committed_in_groups(mirror_url: str, tmp_path: Path) -> None:
    points: Counter[str] = Counter()
    with Archive.open(tmp_path / "a.db") as archive:
        archive.write_hook = lambda point: points.update([point])
        report = _crawl(archive, mirror_url)
        assert report.exit_code == 0 and report.articles_new == 28
        assert points["links_added"] == N_URLS  # every URL was finished …
        # … in far fewer commits: begin_crawl, the groups, finish_run.
        assert 3 <= points["after_commit"] < N_URLS
        assert _frontier(archive) == {"done": N_URLS}


def test_an_archive_error_rolls_back_the_group_and_the_next_crawl_resumes(
    mirror_url: str, tmp_path: Path
) -> None:
    db = tmp_path / "a.db"
    seen: Counter[str] = Counter()

    def failing(point: str) -> None:
        seen.update([point])
        if point == "links_added" and seen[point] == 20:
            raise ArchiveError("disk I/O error (injected)", path=db)

    with Archive.open(db) as archive:
        archive.write_hook = failing
        with pytest.raises(ArchiveError, match="injected"):
            _crawl(archive, mirror_url)
        # What was committed before the failing group is whole; the group is gone.
        done = archive.conn.execute(
            "SELECT url FROM frontier WHERE state = 'done' AND kind = 'article'"
        ).fetchall()
        stored = {url for (url,) in archive.conn.execute("SELECT url FROM articles")}
        assert {url for (url,) in done} == stored
        assert _frontier(archive)["done"] < 20
        assert _frontier(archive)["pending"] > 0

    with Archive.open(db) as archive:
        report = _crawl(archive, mirror_url)
        assert report.exit_code == 0
        assert archive.count_articles() == 28
        assert _frontier(archive) == {"done": N_URLS}
        versions = archive.conn.execute("SELECT count(*) FROM article_versions").fetchone()[0]
        assert versions == 28
