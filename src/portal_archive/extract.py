"""The extract stage: raw page bytes → Document → Article (and the links a crawler follows).

Pure functions of their input: no clock, no network, no archive. Never imports httpx.
Layers, each filling only what the one before left empty: the profile's selectors, the
page's meta tags, then generic rules (labelled date lines, the body found by text and link
density, the footer found by position and its own patterns).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ._dates import DateKind, find_labelled_date, parse_date
from ._encoding import decode_html
from ._footer import FOOTER_HINT, parse_footer
from ._html import Line, clean_text, meta_content, select_first, visible_lines
from .errors import ParseError
from .models import Article, Attachment, Page
from .profiles import SiteProfile, builtin_profile_ids, load_profile
from .urls import resolve_link

__all__ = ["Document", "extract", "extract_article", "parse_article", "profile_for_url"]

_ALWAYS_REMOVE: Final = "script, style, noscript, template, iframe, svg, object, embed"
_FOOTER_CANDIDATES: Final = (
    "footer, [class*=foot], [id*=foot], [class*=bottom], [id*=bottom], "
    "[class*=copyright], [id*=copyright]"
)
# Short chrome lines that sit next to article text on most portals.
_CHROME_LINE: Final = re.compile(
    r"^(?:\[?(?:print|close|share|font|字号|打印|关闭|分享|收藏|返回顶部|top)\]?\s*[:：]?\s*"
    r"(?:\S{1,12}\s*){0,4}|[【\[]?\s*(?:大|中|小)\s*[】\]]?(?:\s*[【\[]?\s*(?:大|中|小)\s*[】\]]?)*)$",
    re.IGNORECASE,
)
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_TITLE_SPLIT: Final = re.compile(r"\s+[-|–—_]\s+|_|\s*\|\s*")
_MIN_SCORED_TEXT: Final = 20


@dataclass(slots=True)
class Document:
    """A decoded HTML page, ready to be read. ``encoding`` and ``encoding_reason`` record how
    the bytes were decoded."""

    text: str
    url: str | None
    encoding: str
    encoding_reason: str

    @classmethod
    def from_bytes(
        cls, data: bytes | str, *, url: str | None = None, charset: str | None = None
    ) -> Document:
        """Decode raw bytes (or take text as is).

        Raises:
            ParseError: the input is empty or binary.
        """
        if isinstance(data, str):
            if not data.strip():
                raise ParseError("empty document", url=url)
            return cls(text=data, url=url, encoding="unicode", encoding_reason="str given")
        if not data.strip():
            raise ParseError("empty document", url=url)
        head = data[:4096]
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ParseError("not an HTML document (binary data)", url=url)
        text, encoding, reason = decode_html(data, charset)
        sample = text[:4096]
        controls = len(_CONTROL.findall(sample))
        if controls > len(sample) // 20 or "<" not in text:
            raise ParseError("not an HTML document", url=url)
        return cls(text=text, url=url, encoding=encoding, encoding_reason=reason)

    def tree(self) -> LexborHTMLParser:
        """A fresh parse (extraction removes nodes, so each reader gets its own)."""
        return LexborHTMLParser(self.text)

    def links(self, tree: LexborHTMLParser | None = None) -> list[str]:
        """Absolute, canonical http(s) URLs of the page's ``<a href>`` links, in page order,
        without repeats. Relative links resolve against ``<base href>`` or the page URL."""
        tree = tree or self.tree()
        base = self.url or ""
        if (node := tree.css_first("base[href]")) is not None and base:
            base = resolve_link(node.attrs.get("href") or "", base) or base
        seen: dict[str, None] = {}
        for node in tree.css("a[href]"):
            if base and (url := resolve_link(node.attrs.get("href") or "", base)):
                seen.setdefault(url, None)
        return list(seen)


def profile_for_url(url: str | None) -> SiteProfile | None:
    """The built-in profile whose hosts and article rules match ``url``, if any."""
    if not url:
        return None
    for pid in builtin_profile_ids():
        profile = load_profile(pid)
        if profile.owns(url) and profile.is_article(url):
            return profile
    return None


def extract(
    html: bytes | str,
    url: str | None = None,
    *,
    profile: SiteProfile | None = None,
    charset: str | None = None,
) -> Article:
    """Extract the article from one page.

    ``html`` may be raw bytes (decoded here: BOM, ``charset``, ``<meta>``, detection) or text.
    When no ``profile`` is given, a built-in profile is used if ``url`` matches one; otherwise
    the generic rules do all the work.

    Raises:
        ParseError: empty or binary input, or no article text on the page.

    >>> extract(b"<h1>Title</h1><p>" + b"Body text of the article. " * 3 + b"</p>").title
    'Title'
    """
    document = Document.from_bytes(html, url=url, charset=charset)
    return extract_article(document, profile or profile_for_url(url))


def parse_article(page: Page, profile: SiteProfile | None = None) -> Article:
    """Extract the article from a fetched Page (its canonical URL becomes the article's)."""
    document = Document.from_bytes(page.body, url=page.url, charset=page.charset)
    return extract_article(document, profile)


def extract_article(document: Document, profile: SiteProfile | None = None) -> Article:
    """Extract the article from a decoded Document. See ``extract``."""
    tree = document.tree()
    for node in tree.css(_ALWAYS_REMOVE):
        node.decompose()
    selectors = profile.selectors if profile else None
    if selectors:
        for css in selectors.remove:
            for node in tree.css(css):
                node.decompose()

    title = _title(tree, selectors.title if selectors else ())

    body_node = _first_node(tree, selectors.body) if selectors else None
    from_profile = body_node is not None
    if body_node is None:
        body_node = _densest_block(tree)
    footer_node = _first_node(tree, selectors.footer) if selectors else None
    if footer_node is None:
        footer_node = _footer_block(tree, body_node)

    footer_lines = tuple(
        line.text
        for line in (visible_lines(footer_node) if footer_node is not None else ())
        if line.link_density < 0.5
    )

    dates: dict[DateKind, date] = {}
    if selectors and (found := select_first(tree, selectors.date)):
        _take_date(dates, found[1])
    body_lines = visible_lines(body_node) if body_node is not None else []
    paragraphs = _paragraphs(body_lines, title=title, generic=not from_profile)
    if not paragraphs:
        raise ParseError("no article text found", url=document.url)

    # Labelled date lines anywhere outside the body text and footer.
    if "updated" not in dates or "published" not in dates:
        skip = set(paragraphs) | set(footer_lines)
        for line in visible_lines(tree.body) if tree.body is not None else ():
            if line.text not in skip:
                _take_date(dates, line.text)
    _meta_dates(tree, dates)

    return Article(
        url=document.url,
        site=profile.id if profile else None,
        title=title,
        published=dates.get("published"),
        updated=dates.get("updated"),
        paragraphs=tuple(paragraphs),
        footer=parse_footer(footer_lines),
        footer_lines=footer_lines,
        language=_language(tree, profile, paragraphs),
        encoding=document.encoding,
        column=_column(tree),
        source=_source(tree, skip=set(paragraphs)),
        attachments=_attachments(body_node, document.url),
    )


def _first_node(tree: LexborHTMLParser, selectors: Iterable[str]) -> LexborNode | None:
    for css in selectors:
        for node in tree.css(css.partition("@")[0]):
            if node.text(strip=True):
                return node
    return None


def _title(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> str | None:
    if selectors and (found := select_first(tree, selectors)):
        return found[1]
    declared = meta_content(tree, "ArticleTitle", "og:title", "twitter:title")
    headings = [clean_text(h.text(separator=" ")) for h in tree.css("h1")]
    headings = [h for h in headings if len(h) >= 4]
    title_node = tree.css_first("title")
    page_title = clean_text(title_node.text()) if title_node is not None else ""
    for heading in headings:
        if declared and (heading in declared or declared in heading):
            return heading
    for heading in headings:
        if page_title and heading in page_title:
            return heading
    if declared:
        return declared
    if headings:
        return headings[0]
    if page_title:
        parts = [p for p in _TITLE_SPLIT.split(page_title) if p.strip()]
        return max(parts, key=len).strip() if parts else page_title
    return None


def _densest_block(tree: LexborHTMLParser) -> LexborNode | None:
    """The element holding the most paragraph text that is not link text: each paragraph adds
    its length to its parent and half to its grandparent (the classic readability score)."""
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}
    for node in tree.css("p, pre, blockquote, td, div, li, section, article"):
        own = _own_text_length(node) if node.tag != "p" else _text_without_links(node)
        if own < _MIN_SCORED_TEXT:
            continue
        parent = node.parent if node.tag in {"p", "pre", "blockquote", "li"} else node
        weight = 1.0
        while parent is not None and weight >= 0.5:
            key = parent.mem_id
            nodes[key] = parent
            scores[key] = scores.get(key, 0.0) + own * weight
            parent = parent.parent
            weight /= 2
    if not scores:
        return tree.body
    best = max(scores, key=lambda k: scores[k])
    return nodes[best]


def _text_without_links(node: LexborNode) -> int:
    total = len(clean_text(node.text(separator=" ")))
    links = sum(len(clean_text(a.text(separator=" "))) for a in node.css("a"))
    return max(total - links, 0)


def _own_text_length(node: LexborNode) -> int:
    """Length of the text directly inside ``node`` (not in child elements): text written
    straight into a div or td with ``<br>`` between paragraphs."""
    total = 0
    child = node.child
    while child is not None:
        if child.tag == "-text":
            total += len(clean_text(child.text_content or ""))
        elif child.tag in {"br", "b", "strong", "span", "font", "em", "i", "u"}:
            total += len(clean_text(child.text(separator=" "))) if child.tag != "br" else 0
        child = child.next
    return total


def _footer_block(tree: LexborHTMLParser, body: LexborNode | None) -> LexborNode | None:
    """The footer: among footer-looking elements outside the body, the one with the most
    footer facts (host, ICP number, copyright …)."""
    body_ancestors: set[int] = set()
    node = body
    while node is not None:
        body_ancestors.add(node.mem_id)
        node = node.parent
    best: tuple[int, LexborNode] | None = None
    for candidate in tree.css(_FOOTER_CANDIDATES):
        if candidate.mem_id in body_ancestors or candidate.tag in {"html", "body"}:
            continue
        hits = sum(1 for line in visible_lines(candidate) if FOOTER_HINT.search(line.text))
        if hits and (best is None or hits > best[0]):
            best = (hits, candidate)
    return best[1] if best else None


def _paragraphs(lines: list[Line], *, title: str | None, generic: bool) -> list[str]:
    paragraphs = []
    for line in lines:
        text = line.text
        if text == title or find_labelled_date(text) or _CHROME_LINE.match(text):
            continue
        if generic and line.link_density > 0.5:
            continue
        paragraphs.append(text)
    return paragraphs


def _take_date(dates: dict[DateKind, date], text: str) -> None:
    found = find_labelled_date(text)
    if found is not None:
        kind, value = found
        dates.setdefault(kind, value)


def _meta_dates(tree: LexborHTMLParser, dates: dict[DateKind, date]) -> None:
    if "published" not in dates:
        raw = meta_content(
            tree,
            "PubDate",
            "firstpublishedtime",
            "article:published_time",
            "publishdate",
            "dc.date.issued",
            "dcterms.issued",
            "og:published_time",
        )
        if raw and (value := parse_date(raw)):
            dates["published"] = value
    if "updated" not in dates:
        raw = meta_content(
            tree, "lastmodifiedtime", "article:modified_time", "og:updated_time", "dcterms.modified"
        )
        if raw and (value := parse_date(raw)):
            dates["updated"] = value


_ATTACHMENT: Final = re.compile(
    r"\.(pdf|docx?|xlsx?|wps|ofd|zip|rar|7z|pptx?|et|dps|txt|csv)$", re.IGNORECASE
)


def _attachments(body: LexborNode | None, page_url: str | None) -> tuple[Attachment, ...]:
    """Files the article body links to, in order, once each."""
    if body is None or not page_url:
        return ()
    found: dict[str, Attachment] = {}
    for node in body.css("a[href]"):
        url = resolve_link(node.attrs.get("href") or "", page_url)
        if url is None or url in found:
            continue
        match = _ATTACHMENT.search(urlsplit(url).path)
        if match:
            text = clean_text(node.text(separator=" ")) or url.rsplit("/", 1)[-1]
            found[url] = Attachment(url, text, match.group(1).lower())
    return tuple(found.values())


_BREADCRUMB: Final = (
    "[class*=breadcrumb], [id*=breadcrumb], [class*=crumb], [class*=position], "
    "[id*=position], [class*=location], [class*=dqwz], [class*=weizhi]"
)
_SOURCE_LINE: Final = re.compile(
    r"^(?:来源|信息来源|文章来源|Source)\s*[:：]\s*(.{1,60}?)\s*$", re.I
)


def _column(tree: LexborHTMLParser) -> str | None:
    """The column (section) a CMS files the page under: its ColumnName meta, else the last
    link of the breadcrumb."""
    if declared := meta_content(tree, "ColumnName", "article:section"):
        return declared
    for crumb in tree.css(_BREADCRUMB):
        links = [clean_text(a.text(separator=" ")) for a in crumb.css("a")]
        links = [text for text in links if text]
        if links:
            return links[-1]
    return None


def _source(tree: LexborHTMLParser, skip: set[str]) -> str | None:
    """Who the page credits as its source: ContentSource meta, else a short 来源: line."""
    if declared := meta_content(tree, "ContentSource", "source"):
        return declared
    for line in visible_lines(tree.body) if tree.body is not None else ():
        if line.text not in skip and (match := _SOURCE_LINE.match(line.text)):
            return match.group(1)
    return None


_CJK: Final = re.compile(r"[\u4e00-\u9fff]")


def _language(
    tree: LexborHTMLParser, profile: SiteProfile | None, paragraphs: list[str]
) -> str | None:
    html = tree.css_first("html")
    declared = (html.attrs.get("lang") or "").strip().lower() if html is not None else ""
    if declared:
        return declared.split("-")[0]
    if profile and profile.language:
        return profile.language
    sample = "".join(paragraphs)[:2000]
    if sample and len(_CJK.findall(sample)) > len(sample) * 0.3:
        return "zh"
    return None
