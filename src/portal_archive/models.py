"""The records that travel through the pipeline: Page (raw), Article (extracted), CrawlReport.

No I/O happens here. ``Article.to_dict()`` is a published contract: keys are only ever added.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = ["Article", "Attachment", "CrawlReport", "Failure", "Image", "Link", "Page"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """One HTTP response as it came off the wire, kept before anything is extracted from it.

    ``url`` is the canonical URL the content belongs to (the profile's own URL, even when the
    page was fetched from a mirror); ``fetch_url`` is what was requested and ``final_url``
    where the redirects ended. ``body`` holds the decoded-transfer bytes (gzip undone, charset
    not applied).
    """

    url: str
    fetch_url: str
    final_url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: datetime

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    def header(self, name: str) -> str | None:
        """The first header of that name, case-insensitively, or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The charset named in the Content-Type header, if any."""
        for part in (self.header("content-type") or "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'").lower()
        return None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file an article links to (pdf, doc, xls …): its URL, the link's text and the type."""

    url: str
    text: str
    type: str

    def to_dict(self) -> dict[str, str]:
        return {"url": self.url, "text": self.text, "type": self.type}


@dataclass(frozen=True, slots=True)
class Image:
    """An image in the article body: its absolute URL and its caption (or alt text), if any."""

    url: str
    caption: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"url": self.url, "caption": self.caption}


@dataclass(frozen=True, slots=True)
class Link:
    """A URL the crawl will visit: what it is, how deep, and where it was found."""

    url: str
    kind: str  # listing, article or attachment
    depth: int = 0
    found_on: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """What an article page says, without the portal's chrome.

    ``footer`` maps named fields (``host``, ``operator``, ``site_id_code``, ``icp``,
    ``security_record``, ``copyright``, ``technical_support``, ``phone`` …) to their values;
    ``footer_lines`` keeps the footer verbatim, one visible line each.

    Every date says where it came from: ``published_source`` names the layer and the tag or
    label (``profile:<selector>``, ``meta:PubDate``, ``json-ld:datePublished``,
    ``time:datetime``, ``label:发布时间``, ``line``, ``url``) and ``published_raw`` keeps the
    string it was read from. ``document`` holds the fields of a government information-
    disclosure header (``index_number`` 索引号, ``document_number`` 发文字号, ``issuing_body``
    发文机关/发布机构, ``written_date`` 成文日期, ``subject`` 主题分类, ``validity`` 有效性 …).
    """

    url: str | None
    title: str | None
    published: date | None = None
    updated: date | None = None
    paragraphs: tuple[str, ...] = ()
    footer: Mapping[str, str] = field(default_factory=dict)
    footer_lines: tuple[str, ...] = ()
    site: str | None = None
    language: str | None = None
    encoding: str | None = None
    #: The portal's column (section) the article is filed under, e.g. "News".
    column: str | None = None
    #: Who the portal credits as the source (来源 / ContentSource), when it says.
    source: str | None = None
    attachments: tuple[Attachment, ...] = ()
    subtitle: str | None = None
    published_source: str | None = None
    published_raw: str | None = None
    updated_source: str | None = None
    updated_raw: str | None = None
    author: str | None = None
    images: tuple[Image, ...] = ()
    document: Mapping[str, str] = field(default_factory=dict)
    #: Why ``encoding`` was chosen: "http header", "bom", "meta", "detected", …
    encoding_reason: str | None = None

    @property
    def body_text(self) -> str:
        return "\n".join(self.paragraphs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: dates as ``YYYY-MM-DD`` or None, lists for sequences."""
        return {
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "updated": self.updated.isoformat() if self.updated else None,
            "paragraphs": list(self.paragraphs),
            "body_text": self.body_text,
            "footer": dict(self.footer),
            "footer_lines": list(self.footer_lines),
            "language": self.language,
            "encoding": self.encoding,
            "column": self.column,
            "source": self.source,
            "attachments": [a.to_dict() for a in self.attachments],
            "subtitle": self.subtitle,
            "published_source": self.published_source,
            "published_raw": self.published_raw,
            "updated_source": self.updated_source,
            "updated_raw": self.updated_raw,
            "author": self.author,
            "images": [i.to_dict() for i in self.images],
            "document": dict(self.document),
            "encoding_reason": self.encoding_reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Article:
        """The inverse of ``to_dict`` (``body_text`` is derived, so it is ignored)."""
        return cls(
            url=data.get("url"),
            site=data.get("site"),
            title=data.get("title"),
            published=_to_date(data.get("published")),
            updated=_to_date(data.get("updated")),
            paragraphs=tuple(data.get("paragraphs") or ()),
            footer=dict(data.get("footer") or {}),
            footer_lines=tuple(data.get("footer_lines") or ()),
            language=data.get("language"),
            encoding=data.get("encoding"),
            column=data.get("column"),
            source=data.get("source"),
            attachments=tuple(
                Attachment(a["url"], a.get("text", ""), a["type"])
                for a in data.get("attachments") or ()
            ),
            subtitle=data.get("subtitle"),
            published_source=data.get("published_source"),
            published_raw=data.get("published_raw"),
            updated_source=data.get("updated_source"),
            updated_raw=data.get("updated_raw"),
            author=data.get("author"),
            images=tuple(Image(i["url"], i.get("caption")) for i in data.get("images") or ()),
            document=dict(data.get("document") or {}),
            encoding_reason=data.get("encoding_reason"),
        )

    @property
    def content_hash(self) -> str:
        """A hash of what the article says (not of the page bytes): equal hash, same article."""
        payload = {
            k: v
            for k, v in self.to_dict().items()
            if k not in _NOT_CONTENT and (v or k not in _ADDED_LATER)
        }
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()


# Where a value came from is not what the article says: a better extractor that finds the same
# date elsewhere must not make a new version.
_NOT_CONTENT = frozenset(
    {
        "url",
        "encoding",
        "encoding_reason",
        "published_source",
        "published_raw",
        "updated_source",
        "updated_raw",
    }
)

# Keys added to the contract after archives existed: hashed only when they hold something, so
# an archived article's hash stays what it was until the article really says more.
_ADDED_LATER = frozenset({"subtitle", "author", "images", "document"})


def _to_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class Failure:
    """A URL that failed in a crawl, with the kind of failure (see errors.py)."""

    url: str
    kind: str
    message: str
    status: int | None = None


@dataclass(slots=True, kw_only=True)
class CrawlReport:
    """Counts of one crawl run. Built up by ``crawl()``; read by the CLI and the archive."""

    site: str
    started_at: datetime
    finished_at: datetime | None = None
    listing_pages: int = 0
    articles_new: int = 0
    articles_unchanged: int = 0
    articles_changed: int = 0
    articles_failed: int = 0
    articles_gone: int = 0
    articles_not_modified: int = 0
    attachments: int = 0
    skipped_traps: int = 0
    skipped_since: int = 0
    resumed: bool = False
    listing_failed: int = 0
    skipped_robots: int = 0
    bytes_received: int = 0
    requests: int = 0
    blocked: bool = False
    stopped_early: bool = False
    failures: list[Failure] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        end = self.finished_at or self.started_at
        return round((end - self.started_at).total_seconds(), 3)

    @property
    def articles_seen(self) -> int:
        return (
            self.articles_new
            + self.articles_unchanged
            + self.articles_changed
            + self.articles_not_modified
        )

    @property
    def exit_code(self) -> int:
        """0 all fine, 1 some URLs failed, 3 the site blocked or rate-limited us."""
        if self.blocked:
            return 3
        return 1 if self.failures else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_s": self.duration_s,
            "listing_pages": self.listing_pages,
            "listing_failed": self.listing_failed,
            "articles": {
                "new": self.articles_new,
                "unchanged": self.articles_unchanged,
                "changed": self.articles_changed,
                "failed": self.articles_failed,
                "gone": self.articles_gone,
                "not_modified": self.articles_not_modified,
            },
            "attachments": self.attachments,
            "skipped_traps": self.skipped_traps,
            "skipped_since": self.skipped_since,
            "resumed": self.resumed,
            "skipped_robots": self.skipped_robots,
            "requests": self.requests,
            "bytes": self.bytes_received,
            "blocked": self.blocked,
            "stopped_early": self.stopped_early,
            "exit_code": self.exit_code,
            "failures": [
                {"url": f.url, "kind": f.kind, "status": f.status, "message": f.message}
                for f in self.failures
            ],
        }
