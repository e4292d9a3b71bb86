"""Rebuild articles from the raw pages kept in the archive: no network, only the extractor.

After an extractor upgrade, ``reparse`` re-extracts every archived article from the capture
it came from, and stores a new version (cause ``reparse``) wherever the result differs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .archive import Archive
from .errors import ConfigError, ParseError
from .extract import parse_article
from .profiles import SiteProfile, load_profile

__all__ = ["ReparseReport", "reparse"]

logger = logging.getLogger("portal_archive.reparse")


@dataclass(slots=True)
class ReparseReport:
    """What a reparse did: how many articles it read, changed or could not extract."""

    articles: int = 0
    unchanged: int = 0
    changed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "unchanged": self.unchanged,
            "changed": self.changed,
            "failed": [{"url": url, "error": error} for url, error in self.failed],
        }


_GROUP = 500


def reparse(
    archive: Archive, *, site: str | None = None, profile_dirs: Iterable[Path] = ()
) -> ReparseReport:
    """Re-extract every archived article (of ``site``, or all) from its stored capture.

    Raises:
        ArchiveError: the archive cannot be read or written.
    """
    report = ReparseReport()
    profiles: dict[str, SiteProfile | None] = {}
    dirs = list(profile_dirs)
    stored_articles = list(archive.iter_articles(site=site))
    for start in range(0, len(stored_articles), _GROUP):
        # One commit per group, not per article: a commit flushes the search index's pending
        # segment, and batched saves run at ~0.9 of a bare executemany (BENCHMARKS.md).
        with archive.transaction():
            for stored in stored_articles[start : start + _GROUP]:
                report.articles += 1
                site_id = stored.article.site
                if site_id and site_id not in profiles:
                    try:
                        profiles[site_id] = load_profile(site_id, extra_dirs=dirs)
                    except ConfigError:
                        logger.warning(
                            "profile %s is gone: generic rules for its articles", site_id
                        )
                        profiles[site_id] = None
                profile = profiles.get(site_id) if site_id else None
                page = archive.get_page(stored.page_id)
                try:
                    article = parse_article(page, profile)
                except ParseError as exc:
                    report.failed.append((stored.article.url or "", str(exc)))
                    continue
                outcome = archive.save_article(page, article, cause="reparse")
                if outcome == "changed":
                    report.changed.append(stored.article.url or "")
                else:
                    report.unchanged += 1
    return report
