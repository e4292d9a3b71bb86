"""The extract stage: raw page bytes → Document → Article (and the links a crawler follows).

Pure functions of their input: no clock, no network, no archive. Never imports httpx.
Layers, each filling only what the one before left empty: the profile's selectors, the
page's meta tags, then generic rules (labelled date lines, the body found by text and link
density, the footer found by position and its own patterns).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ._body import body_paragraphs, densest_block
from ._encoding import decode_html
from ._footer import parse_footer
from ._footer_block import footer_lines as read_footer_lines
from ._govdoc import read_document
from ._html import Block, PageText
from ._media import page_base, read_attachments, read_images
from ._metadata import PageMeta, opening_heading, read_metadata, read_title
from .errors import ParseError
from .models import Article, Page
from .profiles import SiteProfile, builtin_profile_ids, load_profile
from .urls import resolve_link

__all__ = ["Document", "extract", "extract_article", "parse_article", "profile_for_url"]

_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


@dataclass(slots=True)
class Document:
    """A decoded HTML page, ready to be read. ``encoding`` and ``encoding_reason`` record how
    the bytes were decoded."""

    text: str
    url: str | None
    encoding: str
    encoding_reason: str
    #: ``text`` as UTF-8 when the page's own bytes were exactly that (kept, not re-encoded)
    utf8: bytes | None = None

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
        decoded = decode_html(data, charset)
        text = decoded.text
        sample = text[:4096]
        controls = len(_CONTROL.findall(sample))
        if controls > len(sample) // 20 or "<" not in text:
            raise ParseError("not an HTML document", url=url)
        # Bytes that decoded strictly as UTF-8 (or ASCII) are already what the parser reads.
        exact = decoded.strict and decoded.encoding in ("utf-8", "ascii")
        return cls(
            text=text,
            url=url,
            encoding=decoded.encoding,
            encoding_reason=decoded.reason,
            utf8=data if exact else None,
        )

    def tree(self) -> LexborHTMLParser:
        """A fresh parse (extraction removes nodes, so each reader gets its own)."""
        # Lexbor reads UTF-8 bytes. Given a str, selectolax encodes it with errors="ignore",
        # CPython's slow path: a third of the parse's time on a Chinese page. A strict encode
        # is a memcpy-speed loop; only lone surrogates (from a str caller) need the other.
        source = self.utf8
        if source is None:
            try:
                source = self.text.encode("utf-8")
            except UnicodeEncodeError:
                source = self.text.encode("utf-8", errors="ignore")
        return LexborHTMLParser(source)

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
    for profile in _builtin_profiles():
        if profile.owns(url) and profile.is_article(url):
            return profile
    return None


@functools.cache
def _builtin_profiles() -> tuple[SiteProfile, ...]:
    # Shipped profiles cannot change while the process runs, and reading and validating the
    # TOML files cost ~7 ms: once per process, not once per page.
    return tuple(load_profile(pid) for pid in builtin_profile_ids())


def extract(
    html: bytes | str,
    url: str | None = None,
    *,
    profile: SiteProfile | None = None,
    charset: str | None = None,
    fetched_at: datetime | None = None,
) -> Article:
    """Extract the article from one page.

    ``html`` may be raw bytes (decoded here: BOM, ``charset``, ``<meta>``, detection) or text.
    When no ``profile`` is given, a built-in profile is used if ``url`` matches one; otherwise
    the generic rules do all the work. No date after ``fetched_at`` (default: now, UTC) is
    accepted.

    Raises:
        ParseError: empty or binary input, no article text (and no attached file) on the
            page, or a ``url`` that is not a URL.

    >>> extract(b"<h1>Title</h1><p>" + b"Body text of the article. " * 3 + b"</p>").title
    'Title'
    """
    if url is not None:
        try:
            urlsplit(url)
        except ValueError as exc:  # "http://[::1/x": a bracket never closed
            raise ParseError(f"not a valid URL: {url!r} ({exc})", url=url) from None
    document = Document.from_bytes(html, url=url, charset=charset)
    when = fetched_at or datetime.now(UTC)  # the one clock read of the extract stage
    return extract_article(document, profile or profile_for_url(url), fetched_at=when)


def parse_article(page: Page, profile: SiteProfile | None = None) -> Article:
    """Extract the article from a fetched Page (its canonical URL becomes the article's)."""
    document = Document.from_bytes(page.body, url=page.url, charset=page.charset)
    return extract_article(document, profile, fetched_at=page.fetched_at)


def extract_article(
    document: Document,
    profile: SiteProfile | None = None,
    *,
    fetched_at: datetime | None = None,
    tree: LexborHTMLParser | None = None,
) -> Article:
    """Extract the article from a decoded Document. See ``extract``.

    ``tree`` is the caller's parse of ``document`` (a crawler reads the links first): it is
    changed here (scripts and chrome are removed), so it must not be read again afterwards.
    """
    tree = tree if tree is not None else document.tree()
    selectors = profile.selectors if profile else None
    if selectors:
        for css in selectors.remove:
            for node in tree.css(css):
                node.decompose()
    # After the profile's removals (a date in a removed "related" box is not the page's),
    # before <script> goes (JSON-LD lives there).
    meta = PageMeta(tree)

    page = PageText(tree.body or tree.root)  # the one walk: every reader slices it
    # Scripts, styles, frames and the like hold no text of the page, and node.text() would
    # return theirs: the walk found them (a query of our own would cost as much again).
    for node in page.hidden:
        node.decompose()
    title = read_title(
        tree, meta, selectors.title if selectors else (), url=document.url, page=page
    )
    body_node = _first_node(tree, selectors.body) if selectors else None
    from_profile = body_node is not None
    body = densest_block(page, title) if body_node is None else None
    if body is not None:
        body_node = body.block.node
        title = opening_heading(page, body.block, meta) or title
    # The body's Block is handed on, not its node: a node's Block is found through a dict
    # of every block, built on first use.
    body_block = body.block if body is not None else _block_of(page, body_node)
    footer_node = _first_node(tree, selectors.footer) if selectors else None
    footer_lines = read_footer_lines(page, footer_node, body_block)

    if body is not None:
        body_lines = body.lines(page)
    elif body_node is not None:
        body_lines = page.lines_of(body_node)
    else:
        # No block holds a paragraph's worth of text (a stub, a one-line notice): the page's
        # own lines, less links, chrome, date lines and the footer, are all the text it has.
        in_footer = set(footer_lines)
        body_lines = [line for line in page.lines() if line.text not in in_footer]
    paragraphs = body_paragraphs(body_lines, title=title, generic=not from_profile)
    # A notice that is only its attached files ("附件：….pdf", a scanned decree) is still a
    # release worth keeping; with no body found, its files are looked for on the whole page.
    if body_node is not None:
        attachments = read_attachments(body_node, document.url)
    else:
        attachments = read_attachments(tree.body, document.url, skip_chrome=True)
    if not paragraphs and not (attachments and title):
        raise ParseError("no article text found", url=document.url)

    info = read_metadata(
        tree,
        meta,
        profile=profile,
        title=title,
        paragraphs=paragraphs,
        footer_lines=footer_lines,
        url=document.url,
        fetched_at=fetched_at,
        page=page,
        body=body_block,
    )

    return Article(
        url=document.url,
        site=profile.id if profile else None,
        title=title,
        subtitle=info.subtitle,
        published=info.published,
        published_source=info.published_source,
        published_raw=info.published_raw,
        updated=info.updated,
        updated_source=info.updated_source,
        updated_raw=info.updated_raw,
        author=info.author,
        paragraphs=tuple(paragraphs),
        footer=parse_footer(footer_lines),
        footer_lines=footer_lines,
        language=info.language,
        encoding=document.encoding,
        encoding_reason=document.encoding_reason,
        column=info.column,
        source=info.source,
        attachments=attachments,
        # page_base's query is a whole-tree pass (166 µs a page on the corpus, more than
        # PageMeta's whole query): asked only when PageMeta saw a <base> (94 pages in 1,290).
        images=read_images(
            body_node, page_base(tree, document.url) if meta.has_base else document.url
        ),
        # ``page`` walked ``tree.body`` whenever there is one (read_document needs a body).
        document=read_document(tree, page),
    )


def _first_node(tree: LexborHTMLParser, selectors: Iterable[str]) -> LexborNode | None:
    for css in selectors:
        for node in tree.css(css.partition("@")[0]):
            if node.text(strip=True):
                return node
    return None


def _block_of(page: PageText, node: LexborNode | None) -> Block | None:
    return page.block_of(node) if node is not None else None
