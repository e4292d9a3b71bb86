"""Discovery documents → URLs: robots.txt ``Sitemap:`` lines, sitemaps, feeds and URL lists.

Pure functions: no network, no files, no printing (a truncated document is logged as a
warning through ``logging``). Every URL returned is absolute http(s), in the one spelling of
``urls.canonicalize_url``, and unique within its result, in document order.

Hostile input is refused with ``DiscoveryError``, never parsed at any cost:

- XML is read by ``defusedxml`` with DTDs forbidden, so entity expansion (billion laughs,
  quadratic blowup), external entities (XXE) and external DTDs are refused before anything is
  expanded, opened or fetched.
- gzip data (magic bytes ``1f 8b``) is inflated 64 KiB at a time and abandoned as soon as the
  inflated size passes ``max_bytes``, so a gzip bomb costs no more memory than the cap allows;
  the document is parsed as it is inflated, never held whole.
- The sitemaps.org limits (50,000 URLs and 50 MiB uncompressed per file) are the defaults;
  entries beyond the count cap are dropped and flagged, bytes beyond the size cap are an error.
"""

from __future__ import annotations

import codecs
import html
import itertools
import logging
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Final, Literal
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XMLParseError

# defusedxml ships no type hints; `unused-ignore` keeps mypy quiet if types-defusedxml is added.
from defusedxml import (  # type: ignore[import-untyped, unused-ignore]
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml.ElementTree import iterparse  # type: ignore[import-untyped, unused-ignore]

from .errors import PortalArchiveError
from .urls import canonicalize_url

__all__ = [
    "DiscoveryError",
    "FeedEntry",
    "RejectedLine",
    "Sitemap",
    "SitemapEntry",
    "UrlList",
    "parse_feed",
    "parse_sitemap",
    "read_url_list",
    "sitemap_urls_from_robots",
]

log = logging.getLogger(__name__)

MAX_SITEMAP_URLS: Final = 50_000
MAX_DOCUMENT_BYTES: Final = 50 * 1024 * 1024
MAX_FEED_ITEMS: Final = 10_000

_STEP: Final = 64 * 1024
_GZIP_MAGIC: Final = b"\x1f\x8b"
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_WS: Final = b" \t\r\n"

_SITEMAP_NS: Final = "http://www.sitemaps.org/schemas/sitemap/0.9"
_ATOM_NS: Final = "http://www.w3.org/2005/Atom"
_RDF_NS: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RSS1_NSS: Final = ("http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/")
_DC_NS: Final = "http://purl.org/dc/elements/1.1/"
_XML_BASE: Final = "{http://www.w3.org/XML/1998/namespace}base"

# Encodings expat reads by itself; any other declared encoding is transcoded to UTF-8 here
# (expat refuses multi-byte ones such as GB2312, common on Chinese government portals).
_EXPAT_NATIVE: Final = frozenset(
    {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "ascii", "iso8859-1"}
)
_XML_ENCODING: Final = re.compile(
    rb"""\A(<\?xml\s[^>]*?\bencoding\s*=\s*)(["'])([A-Za-z][A-Za-z0-9._:-]*)\2"""
)
_W3C_DATETIME: Final = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:[Tt ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"\s*(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?)?)?)?"
)
_ROBOTS_SITEMAP: Final = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE)
_TAG: Final = re.compile(r"<[^>]*>")
_SPACE: Final = re.compile(r"\s")


class DiscoveryError(PortalArchiveError):
    """A discovery document (sitemap, feed) is refused: hostile, malformed, or over a cap."""

    kind = "discovery"

    def __init__(self, message: str, *, url: str | None = None):
        super().__init__(f"{message}" + (f" ({url})" if url else ""))
        self.url = url


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One ``<url>`` of a urlset or ``<sitemap>`` of a sitemap index.

    ``lastmod`` is a timezone-aware ``datetime`` when the document gives a time with a zone,
    a ``date`` when it gives a day (or a time without zone), None otherwise.
    """

    loc: str
    lastmod: datetime | date | None = None


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap: pages (``urlset``) or further sitemaps (``sitemapindex``)."""

    kind: Literal["urlset", "sitemapindex"]
    urls: tuple[SitemapEntry, ...]
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One RSS item or Atom entry. ``published`` is timezone-aware, or None."""

    url: str
    title: str | None
    published: datetime | None


@dataclass(frozen=True, slots=True)
class RejectedLine:
    """A line of a URL list that gave no URL: its 1-based number, its text, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class UrlList:
    """The URLs of a ``--urls`` file, and the lines that were not used."""

    urls: tuple[str, ...]
    rejected: tuple[RejectedLine, ...]


# -- URLs ------------------------------------------------------------------------------------


def _absolute(text: str) -> tuple[str | None, str]:
    """(canonical URL, "") for an absolute http(s) URL, else (None, why not)."""
    if _SPACE.search(text):
        return None, "contains whitespace"
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if not scheme:
            return None, "not an absolute URL"
        if scheme not in ("http", "https"):
            return None, f"scheme {scheme!r} is not http or https"
        if not parts.hostname:
            return None, "no host"
        return canonicalize_url(text), ""
    except ValueError as exc:  # a bad port or IPv6 literal
        return None, f"malformed URL: {exc}"


def _resolve(href: str, base: str | None) -> str | None:
    """``href`` made absolute against ``base`` (when there is one) and canonicalised, or None."""
    href = href.strip()
    if not href:
        return None
    if base:
        try:
            href = urljoin(base, href)
        except ValueError:
            return None
    return _absolute(href)[0]


def sitemap_urls_from_robots(robots_txt: str) -> list[str]:
    """The sitemap URLs named by a robots.txt, in order, canonical and without duplicates.

    Reads ``Sitemap:`` lines whatever the case of the key; the value is the first word after
    the colon, so a trailing comment is ignored. Refuses (skips) relative URLs and schemes
    other than http(s): the sitemaps.org protocol requires a full URL there.
    """
    seen: dict[str, None] = {}
    for line in robots_txt.removeprefix("\ufeff").splitlines():
        match = _ROBOTS_SITEMAP.match(line)
        if match:
            url = _absolute(match.group(1))[0]
            if url is not None:
                seen.setdefault(url)
    return list(seen)


def read_url_list(text: str) -> UrlList:
    """The URLs of a ``--urls`` file: one a line, canonical, first spelling of each kept.

    Blank lines and lines starting with ``#`` are ignored, surrounding whitespace is stripped,
    and a comment after the URL (`` # …``) is dropped. Refused, each with its line number and
    reason in ``rejected``: relative URLs, schemes other than http(s) (``javascript:``,
    ``file:``, ``ftp:``…), URLs without a host or with a bad port, lines with inner whitespace,
    and duplicates (same canonical URL, e.g. differing only by fragment or ``utm_*``).
    """
    urls: dict[str, int] = {}
    rejected: list[RejectedLine] = []
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        line = re.sub(r"\s+#.*$", "", raw).strip()
        if not line or line.startswith("#"):
            continue
        url, reason = _absolute(line)
        if url is None:
            rejected.append(RejectedLine(number, line, reason))
        elif url in urls:
            rejected.append(RejectedLine(number, line, f"duplicate of line {urls[url]}"))
        else:
            urls[url] = number
    return UrlList(tuple(urls), tuple(rejected))


# -- bytes: bounded inflation, sniffing, transcoding ------------------------------------------


def _chunks(data: bytes, max_bytes: int, url: str | None) -> Iterator[bytes]:
    """The document's bytes in non-empty pieces of at most 64 KiB, gunzipped if gzip.

    Raises DiscoveryError once more than ``max_bytes`` would be produced, for corrupt or
    truncated gzip data. Concatenated gzip members are read in turn; bytes after the last
    member that do not start another one (zero padding) are ignored.
    """
    if not data.startswith(_GZIP_MAGIC):
        if len(data) > max_bytes:
            raise DiscoveryError(
                f"document is {len(data)} bytes, over the {max_bytes}-byte cap", url=url
            )
        for start in range(0, len(data), _STEP):
            yield data[start : start + _STEP]
        return
    total = 0
    pos = 0
    while True:  # one gzip member per turn
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = b""
        while not inflater.eof:
            if not pending and pos < len(data):
                pending = data[pos : pos + _STEP]
                pos += len(pending)
            try:
                out = inflater.decompress(pending, _STEP)
            except zlib.error as exc:
                raise DiscoveryError(f"corrupt gzip data: {exc}", url=url) from exc
            total += len(out)
            if total > max_bytes:
                raise DiscoveryError(
                    f"gzip data inflates past the {max_bytes}-byte cap (stopped at {total} bytes)",
                    url=url,
                )
            pending = inflater.unconsumed_tail
            if out:
                yield out
            elif not pending and pos >= len(data) and not inflater.eof:
                raise DiscoveryError("truncated gzip data: the stream ends early", url=url)
        pos -= len(inflater.unused_data)
        if not data.startswith(_GZIP_MAGIC, pos):
            return


def _sniff(chunks: Iterator[bytes]) -> bytes:
    """The first bytes of the document (at least 1 KiB when there is that much), with a UTF-8
    BOM and leading whitespace removed; ``chunks`` goes on after them. Empty: no content."""
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= 3:
            break
    if head.startswith(_UTF16_BOMS):  # expat reads UTF-16 and its BOM itself
        return head
    head = head.removeprefix(_UTF8_BOM).lstrip(_WS)
    while not head:  # a run of whitespace is dropped as it comes, never kept
        more = next(chunks, None)
        if more is None:
            return b""
        head = more.lstrip(_WS)
    while len(head) < 1024 and b"?>" not in head:
        more = next(chunks, None)
        if more is None:
            break
        head += more
    return head


def _as_utf8(head: bytes, rest: Iterator[bytes], url: str | None) -> Iterator[bytes]:
    """The XML document, transcoded to UTF-8 when it declares an encoding expat cannot read."""
    match = _XML_ENCODING.match(head)
    name = match.group(3).decode("ascii") if match else "utf-8"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise DiscoveryError(f"unknown XML encoding {name!r}", url=url) from None
    if codec in _EXPAT_NATIVE or match is None:
        yield head
        yield from rest
        return
    if codec in ("gb2312", "gbk"):  # read as their superset, as pages are
        codec = "gb18030"
    head = _XML_ENCODING.sub(rb"\1\2utf-8\2", head, count=1)
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    for chunk in itertools.chain((head,), rest):
        text = decoder.decode(chunk)
        if text:
            yield text.encode("utf-8")
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail.encode("utf-8")


class _Reader:
    """A file-like ``read`` over an iterator of non-empty chunks, for ``iterparse``."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def read(self, size: int = -1) -> bytes:
        return next(self._chunks, b"")


def _xml_events(
    chunks: Iterator[bytes], what: str, url: str | None
) -> Iterator[tuple[str, Element]]:
    """``start``/``end`` events of a defused parse; every refusal becomes a DiscoveryError."""
    try:
        yield from iterparse(_Reader(chunks), events=("start", "end"), forbid_dtd=True)
    except DTDForbidden as exc:
        if str(exc.name).lower() == "html":
            raise DiscoveryError(f"not a {what}: this is an HTML page", url=url) from None
        where = f" SYSTEM {exc.sysid!r}" if exc.sysid else ""
        raise DiscoveryError(
            f"refused: the {what} has a DTD (<!DOCTYPE {exc.name}{where}>); DTDs, entity "
            "declarations and external references are not allowed",
            url=url,
        ) from None
    except EntitiesForbidden as exc:
        raise DiscoveryError(
            f"refused: the {what} declares the entity {exc.name!r}; entity expansion and "
            "external entities are not allowed",
            url=url,
        ) from None
    except ExternalReferenceForbidden as exc:
        raise DiscoveryError(
            f"refused: the {what} references an external resource ({exc.sysid})", url=url
        ) from None
    except DefusedXmlException as exc:
        raise DiscoveryError(f"refused: {exc!r}", url=url) from None
    except XMLParseError as exc:
        raise DiscoveryError(f"malformed XML in the {what}: {exc}", url=url) from None
    except ValueError as exc:  # e.g. an encoding expat cannot handle
        raise DiscoveryError(f"unreadable XML in the {what}: {exc}", url=url) from None


def _split(tag: str) -> tuple[str, str]:
    """``{ns}local`` → (ns, local)."""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _text(element: Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _title(element: Element | None) -> str | None:
    """The text of a title element with its whitespace runs collapsed; None when empty."""
    return " ".join(_text(element).split()) or None


# -- dates -----------------------------------------------------------------------------------


def _w3c_datetime(text: str) -> datetime | date | None:
    """A W3C datetime (the ISO 8601 profile sitemaps and Atom use).

    A time with a zone gives an aware datetime; a day, or a time without zone, gives a date;
    a year or a year-month alone, or anything invalid, gives None.
    """
    match = _W3C_DATETIME.fullmatch(text.strip())
    if match is None or match["d"] is None:
        return None
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
        if match["H"] is None or match["tz"] is None:
            return day
        tz_text = match["tz"]
        if tz_text in ("Z", "z"):
            zone: timezone = UTC
        else:
            digits = tz_text[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
            zone = timezone(-offset if tz_text[0] == "-" else offset)
        return datetime(
            day.year,
            day.month,
            day.day,
            int(match["H"]),
            int(match["M"]),
            int(match["S"] or 0),
            int((match["f"] or "0")[:6].ljust(6, "0")),
            tzinfo=zone,
        )
    except ValueError:
        return None


def _feed_datetime(text: str) -> datetime | None:
    """An RFC 822 date (RSS) or an ISO 8601 date-time (Atom, Dublin Core), timezone-aware.

    A time without a zone, or a day without a time, gives None (``-0000`` is read as UTC).
    """
    text = text.strip()
    if not text:
        return None
    value = _w3c_datetime(text)
    if isinstance(value, datetime):
        return value
    if value is not None:
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC) if text.endswith("-0000") else None
    return parsed


# -- sitemaps --------------------------------------------------------------------------------


def parse_sitemap(
    data: bytes,
    *,
    max_urls: int = MAX_SITEMAP_URLS,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    url: str | None = None,
) -> Sitemap:
    """Parse a sitemap (urlset or sitemap index), XML or plain text, gzipped or not.

    ``url`` (where the sitemap came from) is only used in error messages. XML is read in the
    sitemaps.org namespace or in none; other namespaces' elements (images, news, hreflang
    links) are ignored. A document that does not start with ``<`` is read as a text sitemap:
    UTF-8, one URL a line.

    Entries past ``max_urls`` are dropped and ``truncated`` is set (the rest of the document
    is not read). Entries whose ``<loc>`` is not an absolute http(s) URL are skipped, and a
    URL already seen is not repeated.

    Raises DiscoveryError for: more than ``max_bytes`` of (inflated) data; corrupt or
    truncated gzip; any DTD, entity declaration or external reference (billion laughs, XXE);
    malformed XML; an HTML page or any root other than ``urlset``/``sitemapindex``; a text
    document that is not UTF-8 or has no URL line.
    """
    chunks = _chunks(data, max_bytes, url)
    head = _sniff(chunks)
    if not head:
        raise DiscoveryError("empty sitemap", url=url)
    if not head.startswith(b"<") and not head.startswith(_UTF16_BOMS):
        return _text_sitemap(itertools.chain((head,), chunks), max_urls, url)

    events = _xml_events(_as_utf8(head, chunks, url), "sitemap", url)
    kind: Literal["urlset", "sitemapindex"] | None = None
    root: Element | None = None
    ns = ""
    depth = 0
    seen: dict[str, SitemapEntry] = {}
    entries = 0
    truncated = False
    for event, element in events:
        if event == "start":
            depth += 1
            if root is None:
                ns, local = _split(element.tag)
                if ns not in ("", _SITEMAP_NS) or local not in ("urlset", "sitemapindex"):
                    what = "an HTML page" if local.lower() == "html" else f"<{local}>"
                    raise DiscoveryError(f"not a sitemap: the document is {what}", url=url)
                root, kind = element, ("urlset" if local == "urlset" else "sitemapindex")
            continue
        depth -= 1
        if depth != 1 or root is None:
            continue
        q = f"{{{ns}}}" if ns else ""
        if element.tag != q + ("url" if kind == "urlset" else "sitemap"):
            continue
        loc = _resolve(_text(element.find(q + "loc")), None)
        lastmod = _w3c_datetime(_text(element.find(q + "lastmod")))
        root.remove(element)  # keep memory flat: the entry is read
        if loc is None:
            continue
        entries += 1
        if entries > max_urls:
            truncated = True
            break
        seen.setdefault(loc, SitemapEntry(loc, lastmod))
    if kind is None:
        raise DiscoveryError("not a sitemap: no root element", url=url)
    if truncated:
        log.warning("sitemap has more than %d URLs; the rest are ignored (%s)", max_urls, url)
    return Sitemap(kind, tuple(seen.values()), truncated)


def _text_sitemap(chunks: Iterable[bytes], max_urls: int, url: str | None) -> Sitemap:
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise DiscoveryError("not a sitemap: neither XML nor UTF-8 text", url=url) from None
    seen: dict[str, SitemapEntry] = {}
    lines = 0
    entries = 0
    truncated = False
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        lines += 1
        loc = _absolute(line)[0]
        if loc is None:
            continue
        entries += 1
        if entries > max_urls:
            truncated = True
            log.warning("sitemap has more than %d URLs; the rest are ignored (%s)", max_urls, url)
            break
        seen.setdefault(loc, SitemapEntry(loc))
    if lines and not entries:
        raise DiscoveryError("not a sitemap: neither XML nor a list of URLs", url=url)
    return Sitemap("urlset", tuple(seen.values()), truncated)


# -- feeds -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _RawItem:
    href: str
    base: str | None  # from xml:base, the most specific base
    title: str | None
    published: datetime | None


def parse_feed(
    data: bytes,
    *,
    max_items: int = MAX_FEED_ITEMS,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    url: str | None = None,
) -> list[FeedEntry]:
    """The items of an RSS 2.0 (and 0.9x), RSS 1.0/RDF or Atom feed, gzipped or not.

    The URL of an item is its ``<link>`` (RSS; else a permalink ``<guid>``; RDF: else
    ``rdf:about``), or for Atom the ``href`` of its first ``<link>`` with ``rel="alternate"``
    or no rel. The date is ``<pubDate>`` (RFC 822) or ``dc:date``, or for Atom ``<published>``,
    else ``<updated>`` (ISO 8601).

    Relative links are resolved against ``xml:base`` (nested bases included), else the
    channel's ``<link>``, else ``url`` (where the feed came from) when given; without any
    base they are dropped, like links that are not http(s) and repeated URLs. Items past
    ``max_items`` are dropped with a logged warning.

    Raises DiscoveryError for: more than ``max_bytes`` of (inflated) data; corrupt or
    truncated gzip; any DTD, entity declaration or external reference (billion laughs, XXE);
    malformed or non-XML data; an HTML page or any root other than ``rss``, ``rdf:RDF`` or
    Atom ``feed``.
    """
    chunks = _chunks(data, max_bytes, url)
    head = _sniff(chunks)
    if not head:
        raise DiscoveryError("empty feed", url=url)
    if not head.startswith(b"<") and not head.startswith(_UTF16_BOMS):
        raise DiscoveryError("not a feed: the document is not XML", url=url)

    kind: Literal["rss", "rdf", "atom"] | None = None
    stack: list[Element] = []
    bases: list[str | None] = []
    channel_link: str | None = None
    items: list[_RawItem] = []
    truncated = False
    for event, element in _xml_events(_as_utf8(head, chunks, url), "feed", url):
        if event == "start":
            if kind is None:
                kind = _feed_kind(element.tag, url)
            parent_base = bases[-1] if bases else None
            xml_base = element.get(_XML_BASE)
            if xml_base:
                against = parent_base or channel_link or url
                xml_base = urljoin(against, xml_base.strip()) if against else xml_base.strip()
                parent_base = xml_base if _absolute(xml_base)[0] else parent_base
            stack.append(element)
            bases.append(parent_base)
            continue
        stack.pop()
        base = bases.pop()
        parent = stack[-1] if stack else None
        ns, local = _split(element.tag)
        if parent is not None and local == "link" and _split(parent.tag)[1] == "channel":
            if kind != "atom" and channel_link is None:
                channel_link = _resolve(_text(element), base or url)
            continue
        item = _feed_item(kind, ns, local, element, base)
        if item is None:
            continue
        if parent is not None:
            parent.remove(element)  # keep memory flat: the item is read
        if item.href:
            if len(items) >= max_items:
                truncated = True
                break
            items.append(item)
    if truncated:
        log.warning("feed has more than %d items; the rest are ignored (%s)", max_items, url)

    seen: dict[str, FeedEntry] = {}
    for raw in items:
        link = _resolve(raw.href, raw.base or channel_link or url)
        if link is not None:
            seen.setdefault(link, FeedEntry(link, raw.title, raw.published))
    return list(seen.values())


def _feed_kind(tag: str, url: str | None) -> Literal["rss", "rdf", "atom"]:
    ns, local = _split(tag)
    if (ns, local) == ("", "rss"):
        return "rss"
    if (ns, local) == (_RDF_NS, "RDF"):
        return "rdf"
    if (ns, local) == (_ATOM_NS, "feed"):
        return "atom"
    what = "an HTML page" if local.lower() == "html" else f"<{local}>"
    raise DiscoveryError(f"not a feed: the document is {what}", url=url)


def _feed_item(
    kind: str | None, ns: str, local: str, element: Element, base: str | None
) -> _RawItem | None:
    """The raw item of an ``<item>``/``<entry>`` element just closed, or None for others."""
    dc_date = f"{{{_DC_NS}}}date"
    if kind == "rss" and (ns, local) == ("", "item"):
        href = _text(element.find("link"))
        guid = element.find("guid")
        if not href and guid is not None and guid.get("isPermaLink", "true") != "false":
            href = _text(guid)
        return _RawItem(
            href,
            base,
            _title(element.find("title")),
            _feed_datetime(_text(element.find("pubDate")) or _text(element.find(dc_date))),
        )
    if kind == "rdf" and ns in _RSS1_NSS and local == "item":
        q = f"{{{ns}}}"
        href = _text(element.find(q + "link")) or element.get(f"{{{_RDF_NS}}}about", "")
        return _RawItem(
            href,
            base,
            _title(element.find(q + "title")),
            _feed_datetime(_text(element.find(dc_date))),
        )
    if kind == "atom" and (ns, local) == (_ATOM_NS, "entry"):
        q = f"{{{_ATOM_NS}}}"
        href = ""
        for link in element.iterfind(q + "link"):
            if link.get("rel", "alternate").strip() == "alternate" and link.get("href"):
                href = link.get("href", "")
                link_base = link.get(_XML_BASE)
                if link_base:  # a base on the link itself, resolved against the entry's
                    joined = urljoin(base, link_base.strip()) if base else link_base.strip()
                    base = joined if _absolute(joined)[0] else base
                break
        title_element = element.find(q + "title")
        title = _title(title_element)
        if title and title_element is not None and title_element.get("type") == "html":
            title = " ".join(html.unescape(_TAG.sub("", title)).split())
        published = _feed_datetime(_text(element.find(q + "published")))
        if published is None:
            published = _feed_datetime(_text(element.find(q + "updated")))
        return _RawItem(href, base, title or None, published)
    return None
