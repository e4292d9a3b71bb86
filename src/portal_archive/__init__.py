"""portal-archive: crawl government portals politely, extract article text exactly, and keep it
in a SQLite archive you can query.

The pipeline, one module per stage: URL → ``fetch`` → Page (kept raw) → ``extract`` →
Article → ``archive`` → query; ``crawl`` drives it, ``cli`` wraps it.

>>> from portal_archive import extract
>>> html = open("page.html", "rb").read()  # doctest: +SKIP
>>> article = extract(html, url="https://www.sc.gov.cn/…")  # doctest: +SKIP
>>> article.to_dict()["title"]  # doctest: +SKIP
"""

import logging

from ._version import __version__
from .archive import Archive, SearchHit, StoredArticle
from .crawl import crawl
from .errors import (
    ArchiveError,
    ArchiveLockedError,
    BadStatusError,
    BlockedError,
    ConfigError,
    DisallowedURLError,
    FetchError,
    ParseError,
    PortalArchiveError,
    ProfileError,
    ResponseTooLargeError,
    RobotsDisallowedError,
    UnreachableError,
)
from .extract import Document, extract, parse_article
from .fetch import Fetcher
from .models import Article, CrawlReport, Failure, Page
from .profiles import SiteProfile, load_profile, load_profiles
from .settings import Settings

__all__ = [
    "Archive",
    "ArchiveError",
    "ArchiveLockedError",
    "Article",
    "BadStatusError",
    "BlockedError",
    "ConfigError",
    "CrawlReport",
    "DisallowedURLError",
    "Document",
    "Failure",
    "FetchError",
    "Fetcher",
    "Page",
    "ParseError",
    "PortalArchiveError",
    "ProfileError",
    "ResponseTooLargeError",
    "RobotsDisallowedError",
    "SearchHit",
    "Settings",
    "SiteProfile",
    "StoredArticle",
    "UnreachableError",
    "__version__",
    "crawl",
    "extract",
    "load_profile",
    "load_profiles",
    "parse_article",
]

# The library logs and never prints; applications decide where logs go.
logging.getLogger("portal_archive").addHandler(logging.NullHandler())
