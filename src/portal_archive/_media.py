"""What an article body carries besides text: the files it links to and its images. Private
to the extract stage; it reads only the body node it is given, so chrome images (logos,
banners, share icons outside the article) never enter."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ._html import clean_text, inside
from .models import Attachment, Image
from .urls import resolve_link

__all__ = ["page_base", "read_attachments", "read_images"]

_EXTENSIONS: Final = r"(pdf|docx?|xlsx?|wps|ofd|zip|rar|7z|pptx?|et|dps|txt|csv)"
_ATTACHMENT: Final = re.compile(rf"\.{_EXTENSIONS}$", re.IGNORECASE)
# Resolving a link costs more than the rest of this module: only an href that holds one of
# the extensions (or that keeps the page's own path: ``?query``) can end up as a file.
_MAYBE_FILE: Final = re.compile(rf"\.{_EXTENSIONS}|^\s*\?", re.IGNORECASE)
# urlsplit drops tabs and newlines anywhere in a URL, so the test does too.
_URL_NOISE: Final = str.maketrans("", "", "\t\r\n")
# Lazy-loading scripts keep the real address in a data attribute and a placeholder in src.
_SOURCES: Final = ("data-src", "data-original", "data-lazy-src", "src")
# Images a reader does not see as content, by the file's own name: spacers, pixels, icons.
_DECORATION: Final = re.compile(
    r"(?:^|[/_.-])(?:spacer|blank|pixel|transparent|clear|dot|1x1|icon|ico|arrow|bullet)"
    r"[\w-]*\.\w+$",
    re.IGNORECASE,
)
# An image's attributes, read once as a dict: ``node.attrs.get`` of an attribute the element
# lacks raises and catches a KeyError inside selectolax, and a plain <img> lacks five of the
# nine read here (data-src …, width, height).
_Attrs = dict[str, str | None]
_ICON_PX: Final = 32
_PIXELS: Final = re.compile(r"\s*(\d+)\s*(?:px)?\s*$")
_MAX_CAPTION: Final = 80
# A caption line says it is one, or is centred under the picture.
_CAPTION_MARK: Final = re.compile(r"^[（(〔\[]?\s*(?:图|圖|photo|image|picture|pic)\b|^图", re.I)
_CENTRED: Final = re.compile(r"text-align\s*:\s*center", re.IGNORECASE)
_PLACEHOLDER_ALT: Final = re.compile(r"^(?:image|img|photo|picture|图片|圖片|图像|\d+)$", re.I)
# Image addresses that ``resolve_link`` would return as written, after a prefix: an absolute
# http(s) URL with a plain host, or a path, neither with a query, a fragment, ``;params``, a
# colon (a scheme), white space (which urlsplit drops) or a dot segment (which urljoin
# resolves). Resolving one costs ~15 µs (urljoin, urlsplit, canonicalize_url), and an
# article has a few images: these take a string concatenation instead.
_PLAIN_ABSOLUTE: Final = re.compile(r"(https?://)([A-Za-z0-9.-]+)(/[^?#;\s]*)?")
_PLAIN_PATH: Final = re.compile(r"(?!\.)(?!.*/\.)(?!.*//)[^?#;:\s]+")
# Characters clean_text may remove: a text with more of the others is longer than a caption.
_SPACE: Final = str.maketrans("", "", " \t\n\r\f\u00a0\u3000\u2002\u2003\u200b\ufeff")


def page_base(tree: LexborHTMLParser, page_url: str | None) -> str | None:
    """What relative links on the page resolve against: ``<base href>``, else the page URL."""
    node = tree.css_first("base[href]")
    if node is not None and page_url:
        return resolve_link(node.attrs.get("href") or "", page_url) or page_url
    return page_url


# Elements whose file links belong to the site, not to one page ("download centre" menus,
# a privacy statement in the footer).
_SITE_CHROME: Final = frozenset({"nav", "aside", "footer", "header"})


def read_attachments(
    body: LexborNode | None, page_url: str | None, *, skip_chrome: bool = False
) -> tuple[Attachment, ...]:
    """Files the article body links to, in order, once each. ``skip_chrome``: ``body`` is
    the whole page (no article block was found), so links inside ``nav``, ``aside``,
    ``header`` and ``footer`` elements are left out."""
    if body is None or not page_url:
        return ()
    found: dict[str, Attachment] = {}
    for node in body.css("a[href]"):
        href = node.attrs.get("href") or ""
        if not _MAYBE_FILE.search(href) and not (
            ("\t" in href or "\n" in href or "\r" in href)
            and _MAYBE_FILE.search(href.translate(_URL_NOISE))
        ):
            continue
        url = resolve_link(href, page_url)
        if url is None or url in found:
            continue
        match = _ATTACHMENT.search(urlsplit(url).path)
        if match and not (skip_chrome and inside(node, _SITE_CHROME)):
            text = clean_text(node.text(separator=" ")) or url.rsplit("/", 1)[-1]
            found[url] = Attachment(url, text, match.group(1).lower())
    return tuple(found.values())


def read_images(body: LexborNode | None, base_url: str | None) -> tuple[Image, ...]:
    """The content images of the article body, in order, once each, with a caption from the
    ``<figcaption>``, else a short caption line right after the image, else the alt text."""
    if body is None:
        return ()
    images = body.css("img")
    if not images:
        return ()
    found: dict[str, Image] = {}
    # Climbing from every image to the root to look for a <figure> costs more than the
    # rest of this function: climb only when the body holds, or sits in, a figure.
    figures = (
        body.tag == "figure"
        or body.css_first("figure") is not None
        or _ancestor(body, "figure") is not None
    )
    resolver = _Resolver(base_url or "")
    for node in images:
        attrs = node.attributes
        if _is_icon(attrs):  # known small: no need to resolve its address
            continue
        url = _image_url(attrs, resolver)
        # A resolved URL has no fragment, and its path ends at the first "?": the
        # decoration test reads the part before it (the test can only match in the last
        # path segment) instead of splitting the URL again.
        if url is None or url in found or _DECORATION.search(url.partition("?")[0]):
            continue
        found[url] = Image(url, _caption(node, attrs, figures=figures))
    return tuple(found.values())


class _Resolver:
    """``resolve_link(src, base)`` for the images of one body, with a short cut for the
    plain addresses most images have (see ``_PLAIN_ABSOLUTE``): the same string, built from
    a prefix that ``resolve_link`` itself gives for the base."""

    __slots__ = ("_base", "_dir", "_parses", "_root")

    def __init__(self, base: str) -> None:
        self._base = base
        self._parses: bool | None = None  # urljoin can split the base
        # What resolve_link gives for "/" and for "x", less the last character: urljoin keeps
        # the base's scheme and host for a path, and its directory (dot segments and empty
        # segments resolved) for a relative one; canonicalize_url rewrites only those parts
        # and keeps a path as written. "" when the base gives none (it is no http(s) URL, or
        # does not parse): then such addresses take the long way. Found on first use.
        self._root: str | None = None
        self._dir: str | None = None

    def __call__(self, src: str) -> str | None:
        if src.startswith(("http://", "https://")):
            # urljoin returns an absolute URL as it is (re-joined from its parts when the
            # base shares its scheme), unless the base itself does not parse.
            if (plain := _PLAIN_ABSOLUTE.fullmatch(src)) and self._base_parses():
                scheme, host, path = plain.groups()
                return scheme + host.lower() + (path or "/")
        elif src[:1] == "/":
            if src[1:2] != "/" and _PLAIN_PATH.fullmatch(src):
                if self._root is None:
                    self._root = _prefix(resolve_link("/", self._base), "/")
                if self._root:
                    return self._root + src
        elif _PLAIN_PATH.fullmatch(src):
            if self._dir is None:
                self._dir = _prefix(resolve_link("x", self._base), "/x")
            if self._dir:
                return self._dir + src
        return resolve_link(src, self._base)

    def _base_parses(self) -> bool:
        if self._parses is None:
            try:
                urlsplit(self._base)
                self._parses = True
            except ValueError:
                self._parses = False
        return self._parses


def _prefix(url: str | None, end: str) -> str:
    return url[:-1] if url is not None and url.endswith(end) else ""


def _image_url(attrs: _Attrs, resolve: _Resolver) -> str | None:
    for attr in _SOURCES:
        src = (attrs.get(attr) or "").strip()
        if src and not src.startswith("data:"):
            return resolve(src)
    return None


def _is_icon(attrs: _Attrs) -> bool:
    width, height = attrs.get("width"), attrs.get("height")
    if width is None and height is None:  # most images: nothing to read
        return False
    sizes = [_pixels(width), _pixels(height)]
    known = [size for size in sizes if size is not None]
    # A tracking pixel is 1×1; an icon is small both ways (or one way, when only one is given).
    return bool(known) and all(size <= _ICON_PX for size in known)


def _pixels(value: str | None) -> int | None:
    match = _PIXELS.match(value or "")
    return int(match.group(1)) if match else None


def _caption(img: LexborNode, attrs: _Attrs, *, figures: bool) -> str | None:
    figure = _ancestor(img, "figure") if figures else None
    cap = figure.css_first("figcaption") if figure is not None else None
    if cap is not None and (text := clean_text(cap.text(separator=" "))):
        return text
    if (line := _line_after(img)) is not None:
        return line
    alt = clean_text(attrs.get("alt") or attrs.get("title") or "")
    if alt and not _PLACEHOLDER_ALT.match(alt) and alt != _file_name(attrs):
        return alt
    return None


def _line_after(img: LexborNode) -> str | None:
    """The text right after the image: in its own block when the image stands alone in it,
    else the next block. Only a short line that marks itself as a caption or is centred."""
    block = img.parent
    # Climb through inline wrappers (<a>, <span>, <strong>) to the block holding the image.
    while block is not None and block.tag in {"a", "span", "strong", "b", "em", "i", "font"}:
        block = block.parent
    if block is None:
        return None
    own = _short_text(block)
    if own is None:  # text, and too long for a caption
        return None
    candidate: str | None = own
    holder = block
    if not own:
        sibling = block.next
        while sibling is not None and (
            sibling.tag == "-text" and not clean_text(sibling.text_content or "")
        ):
            sibling = sibling.next
        if sibling is None or sibling.tag in {None, "-text", "img", "table"}:
            return None
        candidate, holder = _short_text(sibling), sibling  # None: too long
    if not candidate or len(candidate) > _MAX_CAPTION:
        return None
    style = (holder.attrs.get("style") or "") + " align:" + (holder.attrs.get("align") or "")
    if _CAPTION_MARK.match(candidate) or _CENTRED.search(style) or "align:center" in style:
        return candidate
    return None


def _short_text(node: LexborNode) -> str | None:
    """``clean_text(node.text(separator=" "))``, or None when that is longer than a caption.

    The block holding an image is often the whole article: its text() and clean_text cost
    ~0.1 ms a page. clean_text keeps every character but white space, so counting the others
    in the first text nodes tells a long text without reading all of it."""
    solid = 0
    for part in node.traverse(include_text=True):
        if part.tag == "-text":
            solid += len((part.text_content or "").translate(_SPACE))
            if solid > _MAX_CAPTION:
                return None
    return clean_text(node.text(separator=" "))


def _ancestor(node: LexborNode, tag: str) -> LexborNode | None:
    parent = node.parent
    while parent is not None:
        if parent.tag == tag:
            return parent
        parent = parent.parent
    return None


def _file_name(attrs: _Attrs) -> str:
    return (attrs.get("src") or "").rsplit("/", 1)[-1]
