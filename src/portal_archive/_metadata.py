"""Reading what a page says about itself: title, subtitle, dates with their provenance, author,
column, source, language. Private to the extract stage.

Layers, each filling only what the one before left empty: the profile's selectors, the
government CMS meta tags (``ArticleTitle``, ``PubDate``, ``ContentSource`` …), OpenGraph /
``article:`` / Dublin Core / microdata meta and JSON-LD, then generic rules on the visible
page (labelled date lines, ``<time datetime>``, a date line next to the title, bylines) and,
for the publication date only, the URL. One exception to the order, from issue 3: a visible
labelled date beats a CMS meta date that disagrees with it, since CMS meta dates are often
the time the page was regenerated.

Nothing here knows a portal: site knowledge lives in profiles.
"""

from __future__ import annotations

import functools
import json
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from urllib.parse import SplitResult, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ._dates import DateKind, find_date, is_weak, labelled_dates, line_date, url_date
from ._html import Block, Line, PageText, clean_text, inside, select_first, visible_lines
from .profiles import SiteProfile

__all__ = ["Metadata", "PageMeta", "opening_heading", "read_metadata", "read_title"]


# -- what the page declares: <meta> tags and JSON-LD -------------------------------------------


# Everything the metadata layer reads by selector, in one pass: a pass over the tree costs
# ~0.3 ms on a news page whatever it looks for (css_first too: selectolax collects every
# match, then returns the first), and a group selector keeps document order.
_META_QUERY: Final = (
    'meta[content], script[type*="ld+json" i], link[rel="canonical" i], title, base[href], '
    '[itemprop="datePublished"]:not(meta), [itemprop="dateModified"]:not(meta)'
)


def _in_svg(node: LexborNode) -> bool:
    """An SVG's own ``<title>`` (a tooltip), not the document's."""
    parent = node.parent
    if parent is not None and parent.tag == "head":
        return False
    while parent is not None:
        if parent.tag == "svg":
            return True
        parent = parent.parent
    return False


class PageMeta:
    """What the page declares, read in one pass: its ``<meta>`` tags, ``<title>``, canonical
    link and visible microdata dates; its JSON-LD is parsed on first use.

    Built before the extractor strips ``<script>`` elements, since JSON-LD lives in them.
    Only strings are kept: no node outlives the pass, so later removals cannot leave one
    dangling.
    """

    __slots__ = (
        "_jsonld",
        "_jsonld_text",
        "canonical",
        "has_base",
        "microdata",
        "page_title",
        "tags",
        "title_node",
        "title_weak",
    )

    def __init__(self, tree: LexborHTMLParser) -> None:
        #: lower-cased name, property or itemprop → (the name as written, content); the
        #: first tag of a name wins. ``http-equiv`` tags are kept as ``http-equiv:<name>``.
        self.tags: dict[str, tuple[str, str]] = {}
        #: the heading ``read_title`` took the title from, if it did
        self.title_node: LexborNode | None = None
        #: ``read_title`` fell back on a heading nothing the page declares confirms (the
        #: lone or first ``<h1>``) or on ``<title>`` itself
        self.title_weak = False
        #: the ``href`` of the first ``<link rel="canonical">``
        self.canonical: str | None = None
        #: the page has a ``<base href>`` (removing nodes cannot add one: without it, links
        #: resolve against the page URL, and no whole-tree query need look for it again)
        self.has_base = False
        #: the text of the page's ``<title>`` (the first one outside an ``<svg>``), cleaned
        self.page_title: str | None = None
        #: ``datePublished`` / ``dateModified`` → the raw value of the first visible element
        #: carrying it as microdata (``content``, ``datetime``, ``title`` or its text)
        self.microdata: dict[str, str] = {}
        jsonld_text: list[str] = []
        for node in tree.css(_META_QUERY):
            tag = node.tag
            if tag == "script":
                if text := node.text():
                    jsonld_text.append(text)
                continue
            if tag == "link":
                if self.canonical is None:
                    self.canonical = node.attrs.get("href")
                continue
            if tag == "title":
                if self.page_title is None and not _in_svg(node):
                    self.page_title = clean_text(node.text())
                continue
            if tag == "base":
                self.has_base = True
                continue
            if tag != "meta":
                itemprop = node.attrs.get("itemprop") or ""
                if itemprop not in self.microdata:
                    item = node.attrs
                    raw = item.get("content") or item.get("datetime") or item.get("title")
                    self.microdata[itemprop] = clean_text(raw or node.text(separator=" "))[:80]
                continue
            attrs = node.attributes  # one dict: cheaper than several attrs.get()
            name = attrs.get("name") or attrs.get("property") or attrs.get("itemprop")
            if not name and (equiv := attrs.get("http-equiv")):
                name = "http-equiv:" + equiv
            if not name:
                continue
            name = name.strip()
            key = name.lower()
            content = attrs.get("content") or ""
            # Cleaned when asked for (``get``): most of a page's meta tags never are.
            if key not in self.tags and not content.isspace() and content:
                self.tags[key] = (name, content)
        self._jsonld_text = jsonld_text
        self._jsonld: list[dict[str, Any]] | None = None

    def get(self, *names: str) -> tuple[str, str] | None:
        """``(name as written, content)`` of the first of ``names`` the page has."""
        for name in names:
            if (found := self.tags.get(name.lower())) and (content := clean_text(found[1])):
                return found[0], content
        return None

    def value(self, *names: str) -> str | None:
        found = self.get(*names)
        return found[1] if found else None

    def jsonld(self) -> list[dict[str, Any]]:
        """Every JSON-LD object on the page, ``@graph`` members and list items flattened,
        articles first. Broken JSON is skipped."""
        if self._jsonld is None:
            objects: list[dict[str, Any]] = []
            for text in self._jsonld_text:
                try:
                    data = json.loads(text)
                except ValueError:
                    # Only a wrapped one needs the unwrapping, whose anchored alternatives
                    # cost more than the parse on a long JSON-LD.
                    try:
                        data = json.loads(_JSON_WRAPPER.sub("", text))
                    except ValueError:
                        continue
                objects.extend(_flatten(data, depth=0))
            objects.sort(key=lambda obj: not _is_article(obj))
            self._jsonld = objects
        return self._jsonld

    def breadcrumb_page(self) -> str | None:
        """The name of the last item of a JSON-LD ``BreadcrumbList``: the page itself."""
        for obj in self.jsonld():
            if obj.get("@type") != "BreadcrumbList":
                continue
            items = obj.get("itemListElement")
            if not isinstance(items, list) or len(items) < 2:
                continue
            last = items[-1]
            if isinstance(last, dict):
                name = last.get("name")
                if name is None and isinstance(last.get("item"), dict):
                    name = last["item"].get("name")
                if isinstance(name, str) and name.strip():
                    return clean_text(name)
        return None

    def jsonld_value(self, key: str) -> tuple[str, Any] | None:
        """The first non-empty ``key`` among the JSON-LD objects (articles first)."""
        for obj in self.jsonld():
            value = obj.get(key)
            if value not in (None, "", [], {}):
                return key, value
        return None


# What some CMSes wrap JSON-LD in: CDATA sections and HTML comments, perhaps commented out
# for old browsers, and a trailing semicolon.
_JSON_WRAPPER: Final = re.compile(
    r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$|;\s*$"
)


def _flatten(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _flatten(data["@graph"], depth + 1)
        # An article nested as mainEntity of a WebPage.
        if isinstance(data.get("mainEntity"), dict):
            yield from _flatten(data["mainEntity"], depth + 1)


_ARTICLE_TYPES: Final = re.compile(r"article|posting|report|news|creativework", re.I)


def _is_article(obj: dict[str, Any]) -> bool:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds)


def _names(value: Any) -> list[str]:
    """Names out of a JSON-LD person/organisation value: a string, an object with ``name``,
    or a list of either."""
    if isinstance(value, str):
        return [clean_text(value)] if clean_text(value) else []
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value[:10] for name in _names(item)]
    return []


# -- title ---------------------------------------------------------------------------------

# Separators between an article title and the site name in <title> and og:title: spaced
# dashes, bars, dots and guillemets, and the unspaced bars and underscores of Chinese sites.
_TITLE_SPLIT: Final = re.compile(
    r"(\s+[-|–—·•»:│>/]{1,2}\s+|\s*[|｜_│]\s*|\s*::\s*"
    # Chinese sites join "标题-新华网" without spaces: a hyphen right after Chinese text.
    r"|(?<=[\u3400-\u9fff！？。」』）》”])-(?=[\u3400-\u9fff]))"
)
# Separators of a path ("Site » Blog Archive » Title"): the last part is the page.
_HIERARCHY: Final = re.compile(r"[»>]")
_NORM_DROP: Final = re.compile(r"[\W_]+")
# What ``_NORM_DROP`` removes from casefolded ASCII text: all but [a-z0-9]. A byte table drops
# them at a quarter of the regex's time on a line of prose, where every space is a match.
_ASCII_NOT_WORD: Final = bytes(
    sorted(set(range(128)) - set(b"abcdefghijklmnopqrstuvwxyz0123456789"))
)
# Marks a host name among the site names: a title part may start with it.
_HOST_MARK: Final = "^"
_WORDS: Final = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+")
_DOMAIN: Final = re.compile(r"(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)+/?", re.I)
# Inline tags that style words inside a headline; a kicker (overline, Dachzeile) is a span,
# small or div of its own.
_EMPHASIS: Final = frozenset({"a", "abbr", "b", "code", "em", "i", "mark", "q", "strong", "sub"})


def _norm(text: str) -> str:
    return _drop_non_word(text.casefold())


def _drop_non_word(folded: str) -> str:
    """``folded`` (casefolded) without its non-word characters and underscores."""
    if folded.isascii():
        return folded.encode().translate(None, _ASCII_NOT_WORD).decode()
    return _NORM_DROP.sub("", folded)


def _similarity(a: str, b: str) -> float:
    """Share of ``a``'s words (each CJK character a word) that ``b`` has."""
    words_a = _WORDS.findall(a.casefold())
    if not words_a:
        return 0.0
    words_b = set(_WORDS.findall(b.casefold()))
    return sum(word in words_b for word in words_a) / len(words_a)


def _agreement(a: str, b: str) -> float:
    return min(_similarity(a, b), _similarity(b, a))


def _text_of(node: LexborNode, page: PageText | None = None) -> str:
    """What a reader sees of an element on one line: inline text joined as written (so
    ``THW</abbr>:`` stays ``THW:``), a space at line breaks, no ``<time>`` (a date some
    sites print inside the heading) and no ``<style>``. ``page``, the page's one walk, has
    the lines of any block element in it: no second walk of the element's subtree."""
    child = node.child
    if child is not None and child.tag == "-text" and child.next is None:
        return clean_text(child.text_content or "")  # the common case: text only
    if node.css_first("time") is not None:
        parts = []
        for child in node.traverse(include_text=True):
            if child.tag == "-text" and not any(
                parent.tag == "time" for parent in _ancestors(child, node)
            ):
                parts.append(child.text_content or "")
        return clean_text(" ".join(parts))
    lines = page.lines_of(node) if page is not None else PageText(node).lines()
    return " ".join(line.text for line in lines)


def _ancestors(node: LexborNode, stop: LexborNode) -> Iterator[LexborNode]:
    parent = node.parent
    while parent is not None and parent.mem_id != stop.mem_id:
        yield parent
        parent = parent.parent


def _links_home(node: LexborNode) -> bool:
    """The heading is (inside) a link to a site's front page: a logo, not a title."""
    link = node.css_first("a[href]")
    parent = node.parent
    if link is None and parent is not None and parent.tag == "a":
        link = parent
    if link is None:
        return False
    href = (link.attrs.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:")):
        return False  # a link to this page, or a script: the heading of the page itself
    try:
        path = urlsplit(href).path
        # A copy in a web archive links to the archived site: ``/web/2008…/http://site.de/``.
        if (inner := max(path.find("/http://"), path.find("/https://"))) >= 0:
            path = urlsplit(path[inner + 1 :]).path
    except ValueError:
        return False  # no address at all ("//[::1"): no link to a front page
    return path in {"", "/", "./", "../"} or bool(re.fullmatch(r"/?(index|default)\.\w+", path))


@dataclass(slots=True)
class _Heading:
    """A visible heading: its whole text, and the parts its markup gives it (a kicker above
    the headline, a deck below it)."""

    node: LexborNode
    text: str
    parts: list[tuple[str, str]]  # (tag, text), '-text' for text between elements

    def main(self, declared: Iterable[str] = ()) -> str:
        """The headline without a kicker: a first part of its own element (span, small,
        div) shorter than the rest, as news sites print the overline above the headline.
        Unless the page declares the title as one phrase running on from that first part
        (``<span>Ehezoff</span> der Pochers eskaliert``: a styled first word)."""
        parts = self.parts
        if len(parts) >= 2 and parts[0][0] not in _EMPHASIS and parts[0][0] != "-text":
            kicker = parts[0][1]
            rest = " ".join(text for _, text in parts[1:])
            if len(kicker) < len(rest) and len(_WORDS.findall(rest)) >= 2:
                for text in declared:
                    head = text.casefold()
                    if head.startswith(kicker.casefold()) and _norm(text) == _norm(self.text):
                        after = text[len(kicker) :].lstrip()
                        if after[:1].isalnum():
                            return self.text
                return rest
        return self.text

    def variants(self, site_names: set[str]) -> list[tuple[int, str]]:
        """The texts the heading may mean, whole ones (0) before parts (1): whole, without
        its kicker, without the site name (a hidden heading that repeats <title>), without
        its deck, one part."""
        found = [(0, self.text), (0, self.main())]
        if any(_is_site(part, site_names) for part in _split_title(self.text)[0]):
            found.append((0, _strip_site(self.text, site_names)))
        if len(self.parts) >= 2:
            texts = [text for _, text in self.parts]
            for part in (" ".join(texts[:-1]), texts[0], texts[-1], " ".join(texts[1:])):
                found.append((1, part))
        return list(dict.fromkeys(found))


def _heading(node: LexborNode, page: PageText | None = None) -> _Heading:
    # A pilcrow at the end is a permalink to the heading (documentation generators).
    text = _text_of(node, page).rstrip("¶ ")
    inner = node
    # Down through wrappers that hold the whole text (<h1><span><small>kicker</small>…).
    for _ in range(3):
        children = [
            c for c in _children(inner) if c.tag != "-text" or (c.text_content or "").strip()
        ]
        if len(children) == 1 and children[0].tag not in ("-text", None):
            inner = children[0]
        else:
            break
    parts: list[tuple[str, str]] = []
    for child in _children(inner):
        tag = child.tag or ""
        if tag in ("style", "script", "-comment", "time"):
            continue
        part = clean_text(child.text_content or "") if tag == "-text" else _text_of(child, page)
        if part and _norm(part):  # not punctuation only (": " hidden for screen readers)
            parts.append((tag, part))
    return _Heading(node, text, parts if len(parts) <= 4 else [])


def _children(node: LexborNode) -> Iterator[LexborNode]:
    child = node.child
    while child is not None:
        yield child
        child = child.next


def _host_names(tree: LexborHTMLParser, meta: PageMeta, url: str | None) -> set[str]:
    """The page's host as a site name may spell it: ``zeit.de`` and ``zeit``."""
    names: set[str] = set()
    # og:url and the canonical link mostly repeat the page's URL: each address is read once,
    # and each host's spellings once per process (a crawl reads many pages of one host).
    for address in dict.fromkeys((url, meta.value("og:url"), meta.canonical)):
        names.update(_host_forms(_split(address or "").hostname or ""))
    return names


def _split(address: str) -> SplitResult:
    """``urlsplit``, with an address it refuses (``//[::1``: a bracket never closed) read as
    no address: pages carry such hrefs, and a bad link must not fail the extraction."""
    try:
        return urlsplit(address)
    except ValueError:
        return urlsplit("")


@functools.lru_cache(maxsize=1024)
def _host_forms(hostname: str) -> frozenset[str]:
    host = hostname.removeprefix("www.")
    if host.count(".") < 1 or host.replace(".", "").isdigit():
        return frozenset()
    site = _norm(host.split(".")[-2])
    names = {_norm(host), site}
    if len(site) >= 5:
        names.add(_HOST_MARK + site)
    return frozenset(name for name in names if len(name) >= 3)


def _site_names(tree: LexborHTMLParser, meta: PageMeta, url: str | None) -> set[str]:
    names = {
        meta.value("og:site_name"),
        meta.value("SiteName"),
        (meta.value("twitter:site") or "").lstrip("@"),
    }
    # The name of a pinned tab: some CMSes fill it with the article's title, which then
    # names no site.
    headlines = {_norm(meta.value(key) or "") for key in ("og:title", "twitter:title")}
    for app in ("application-name", "apple-mobile-web-app-title"):
        if (name := meta.value(app)) and _norm(name) not in headlines:
            names.add(name)
    found = meta.jsonld_value("publisher")
    if found is not None:
        names.update(_names(found[1]))
    normed = {_norm(name) for name in names if name}
    return {name for name in normed if name} | _host_names(tree, meta, url)


def _split_title(title: str) -> tuple[list[str], list[str]]:
    """The parts of a declared title and the separators between them."""
    pieces = _TITLE_SPLIT.split(title)
    parts: list[str] = []
    seps: list[str] = []
    for i in range(0, len(pieces), 2):
        part = pieces[i].strip()
        if part:
            if parts:
                seps.append(pieces[i - 1])
            parts.append(part)
    return parts, seps


def _is_site(part: str, site_names: set[str], *, loose: bool = False) -> bool:
    """``part`` names the site: a known name or a domain; ``loose``, also a part that starts
    with the site's host name ("Four Years Remaining" on fouryears.eu)."""
    norm = _norm(part)
    if not norm:
        return False
    if norm in site_names or _DOMAIN.fullmatch(part):
        return True
    return loose and any(
        norm.startswith(name[1:]) for name in site_names if name.startswith(_HOST_MARK)
    )


def _strip_site(title: str, site_names: set[str]) -> str:
    """``title`` without the parts that name the site (``Title - Site``, ``Site | Title``,
    ``Title | Site - Its Motto`` when the motto is part of the site name), and without a
    site name glued to its end with no space or separator (``Truckwash A31Das Branchenbuch``,
    a template that forgot the separator)."""
    return _cut_glued_site(_strip_site_parts(title, site_names), site_names)


# A site name shorter than this (normalised) is not cut off a glued title: too likely to end
# a real word.
_GLUED_MIN: Final = 6


def _cut_glued_site(text: str, site_names: set[str]) -> str:
    norm = _norm(text)
    for name in site_names:
        if len(name) < _GLUED_MIN or len(norm) <= len(name) or not norm.endswith(name):
            continue
        # Where the name starts as written: the shortest end of the text that is the name.
        for i in range(len(text) - 1, 0, -1):
            if _norm(text[i:]) == name:
                if text[i - 1].isalnum() and _norm(text[:i]):
                    return text[:i].strip()
                break
    return text


def _strip_site_parts(title: str, site_names: set[str]) -> str:
    parts, seps = _split_title(title)
    if len(parts) < 2 or len(seps) != len(parts) - 1:
        return title
    site = [_is_site(part, site_names) for part in parts]
    if not any(site):
        loose = [_is_site(part, site_names, loose=True) for part in parts]
        # The last part holding the host's name after other words ("… - European
        # Championships Munich 2022" on munich2022.com), when it is not the longest part.
        last = _norm(parts[-1])
        if len(last) < max(len(_norm(part)) for part in parts[:-1]) and any(
            name[1:] in last for name in site_names if name.startswith(_HOST_MARK)
        ):
            loose[-1] = True
        if not all(loose):
            site = loose
    # A site name with a separator in it ("AOC media - Analyse Opinion Critique").
    for k in range(1, len(parts)):
        if _norm("".join(parts[k:])) in site_names:
            site[k:] = [True] * (len(parts) - k)
        if _norm("".join(parts[:k])) in site_names:
            site[:k] = [True] * k
    if all(site):
        return title
    if not any(site):
        # No part is known to name the site: drop only a short last part after a clear
        # separator ("Title - Site", "标题_光明网"), the common way of appending it.
        last = parts[-1]
        if len(parts) == 2 and len(last) <= 30 and len(last) < len(parts[0]):
            return _span(title, parts[0], parts[0])
        # "标题_栏目_网站": the column and the site after the title, joined by underscores.
        if all(sep.strip() == "_" for sep in seps) and len(parts[0]) > max(map(len, parts[1:])):
            return _span(title, parts[0], parts[0])
        return title
    # The first run of parts that is not the site's is the title (what follows a site name
    # is its motto: "Title : Site | Motto"); after a site name, a path ("Site » Blog
    # Archive » Title") ends with the page.
    runs: list[list[int]] = [[]]
    for i, is_site in enumerate(site):
        if is_site:
            runs.append([])
        else:
            runs[-1].append(i)
    best = next(run for run in runs if run)
    if len(best) > 1 and best[0] > 0 and all(_HIERARCHY.search(seps[i]) for i in best[:-1]):
        best = best[-1:]
    return _span(title, parts[best[0]], parts[best[-1]])


def _span(title: str, first: str, last: str) -> str:
    """``title`` from ``first`` to ``last`` as written (the separators inside kept)."""
    start = title.find(first)
    end = title.rfind(last) + len(last)
    return title[start:end].strip() if 0 <= start < end else first


# Where a page declares its title, most trusted first: CMS meta, OpenGraph, Twitter, Dublin
# Core, a plain <meta name="title">.
_DECLARED_TITLES: Final = ("ArticleTitle", "og:title", "twitter:title", "dc.title", "title")


def read_title(
    tree: LexborHTMLParser,
    meta: PageMeta,
    selectors: tuple[str, ...] = (),
    *,
    url: str | None = None,
    page: PageText | None = None,
) -> str | None:
    """The article's title: the profile's selector, else the visible heading that agrees with
    what the page declares (CMS ``ArticleTitle``, ``og:title``, JSON-LD ``headline``, the
    last item of a JSON-LD breadcrumb, ``<title>``), without a kicker above it or a date
    before it, else the single plausible ``<h1>``, else the declared title without the site
    name. ``page`` is the caller's walk of the page, if it has one: headings are then read
    from it, not walked again."""
    if selectors and (found := select_first(tree, selectors)):
        return found[1]
    title = _generic_title(tree, meta, url, page)
    if title:
        # "23.01.2022 - Headline": a first part that is all a date is the page's date,
        # printed before its headline.
        parts, _ = _split_title(title)
        if (
            len(parts) >= 2
            and (dated := find_date(parts[0])) is not None
            and dated[1] == parts[0]
            and len(_WORDS.findall(" ".join(parts[1:]))) >= 2
        ):
            return _span(title, parts[1], parts[-1])
    return title


def _generic_title(
    tree: LexborHTMLParser, meta: PageMeta, url: str | None, page: PageText | None
) -> str | None:
    page_title = meta.page_title or ""
    declared = [meta.value(name) for name in _DECLARED_TITLES]
    if (headline := meta.jsonld_value("headline")) is not None:
        declared.append(clean_text(str(headline[1])))
    declared.append(meta.breadcrumb_page())
    site_names = _site_names(tree, meta, url)
    title_parts, seps = _split_title(page_title)

    def plausible(heading: _Heading) -> bool:
        text = heading.text
        if len(text) < 2 or len(text) > 400 or _norm(text) in site_names:
            return False
        if _links_home(heading.node):
            site_names.add(_norm(text))  # a logo: the site's name
            return False
        # A heading that is the first part of a <title> path names the site ("Four Years
        # Remaining » Blog Archive » Interning of Small Integers in Python").
        norm = _norm(text)
        path = len(seps) >= 2 and all(_HIERARCHY.search(sep) for sep in seps)
        if path and norm == _norm(title_parts[0]):
            site_names.add(norm)
            return False
        return True

    # The walk's blocks hold the headings (a selector pass would cost ~0.3 ms); h2s are read
    # only if needed.
    h1_nodes: list[LexborNode] = []
    h2_nodes: list[LexborNode] = []
    if page is not None:
        for block in page.blocks:
            if block.tag == "h1":
                h1_nodes.append(block.node)
            elif block.tag == "h2":
                h2_nodes.append(block.node)
    else:
        for node in tree.css("h1, h2"):
            (h1_nodes if node.tag == "h1" else h2_nodes).append(node)
    h1s = [h for h in (_heading(node, page) for node in h1_nodes) if plausible(h)]
    references = [text for text in dict.fromkeys([*declared, page_title]) if text]
    stripped = [_strip_site(text, site_names) for text in references]
    # Which reference a text is, normalised: the declared titles before <title>.
    exact: dict[str, int] = {}
    for rank, text in enumerate([*references, *stripped]):
        exact.setdefault(_norm(text), rank % len(references))
    # The first or last parts of a declared title whose site name could not be told apart
    # ("Nord sucht seine Meister - Berliner Leichtathletik-Verband"): a weaker match than
    # the whole title.
    partial: dict[str, int] = {}
    for rank, text in enumerate(references):
        parts = _split_title(text)[0]
        for k in range(1, len(parts)):
            for run in (parts[:k], parts[k:]):
                norm = _norm("".join(run))
                if norm and norm not in site_names and norm not in exact:
                    partial.setdefault(norm, rank)

    def chosen(heading: _Heading, text: str) -> str:
        meta.title_node = heading.node  # where a subtitle (deck) may follow
        return text

    matches: list[tuple[int, int, int, str]] = []
    for order, heading in enumerate(h1s):
        # A part of the heading that is what the page declares is the title itself.
        for kind, variant in heading.variants(site_names):
            if (which := exact.get(_norm(variant))) is not None:
                picked = heading.main(references) if variant == heading.text else variant
                matches.append((kind, which, order, picked))
    if matches:
        best_match = min(matches)
        return chosen(h1s[best_match[2]], best_match[3])
    best: tuple[float, _Heading, str] | None = None
    for rank, tag in enumerate(("h1", "h2")):
        if tag == "h1":
            headings = h1s
        else:
            headings = [h for h in (_heading(node, page) for node in h2_nodes) if plausible(h)]
        for heading in headings:
            if tag == "h2":
                for _, variant in heading.variants(site_names):
                    if _norm(variant) in exact:
                        main = heading.main(references)
                        return chosen(heading, main if variant == heading.text else variant)
            # The heading, or one of its parts when that part agrees better with what the
            # page declares (a byline after a <br> inside the <h1>: "…の成否 編集委員 中沢克二").
            main = heading.main(references)
            score, text = 0.0, main
            for kind, variant in heading.variants(site_names):
                agree = max(
                    (
                        min(_similarity(variant, ref), _similarity(short, variant))
                        for ref, short in zip(references, stripped, strict=True)
                    ),
                    default=0.0,
                )
                if agree > score:
                    score, text = agree, (main if kind == 0 else variant)
            threshold = 0.6 if rank == 0 else 0.8
            if score >= threshold and (best is None or score > best[0]):
                best = (score, heading, text)
        if best is not None:
            return chosen(best[1], best[2])
    if partial:
        h2s = [h for h in (_heading(node, page) for node in h2_nodes) if plausible(h)]
        parts_found = [
            (partial[norm], level, order, heading)
            for level, headings in enumerate((h1s, h2s))
            for order, heading in enumerate(headings)
            if (norm := _norm(heading.text)) in partial
        ]
        if parts_found:
            part_heading = min(parts_found, key=lambda item: item[:3])[3]
            return chosen(part_heading, part_heading.main(references))
    meta.title_weak = True  # from here on, nothing the page declares confirms the pick
    if len(h1s) == 1 and len(h1s[0].text) >= 4:
        return chosen(h1s[0], h1s[0].main(references))
    for value in declared:
        if value:
            meta.title_weak = False
            return _strip_site(value, site_names)
    if h1s:
        return chosen(h1s[0], h1s[0].main(references))
    if page_title:
        return _strip_site(page_title, site_names)
    return None


def opening_heading(page: PageText, body: Block, meta: PageMeta) -> str | None:
    """The heading the article body opens with, when ``read_title``'s pick was weak (see
    ``PageMeta.title_weak``) and lies outside the body: on many sites the ``<h1>`` is the
    site's or the section's name ("Quicklinks", "Minecraft News") and the article's own
    headline is the ``<h2>`` at the top of its text."""
    if not meta.title_weak:
        return None
    if meta.title_node is not None:
        picked = page.block_of(meta.title_node)
        if picked is None or body.start <= picked.start < body.end:
            return None
    blocks = page.blocks
    first = bisect_left(blocks, body.start, key=lambda block: block.start)
    for block in blocks[first:]:
        if block.start > body.start + 1:
            break
        if block.tag in ("h1", "h2") and block.start < block.end <= body.end:
            text = " ".join(page.text[block.start : block.end])
            # A headline, not a label ("Die Themen im Überblick:"), a date, or a landmark
            # for screen readers: it shares a word with what the page calls itself.
            declared = [meta.page_title or "", *(meta.value(n) or "" for n in _DECLARED_TITLES)]
            if (
                4 <= len(text) <= 300
                and not text.endswith((":", "："))
                and find_date(text) is None
                and any(_similarity(text, name) > 0 for name in declared if name)
            ):
                return text
            return None
    return None


# -- everything else -------------------------------------------------------------------------


@dataclass(slots=True)
class Metadata:
    """What ``read_metadata`` found. Dates carry their provenance (see ``Article``)."""

    published: date | None = None
    published_source: str | None = None
    published_raw: str | None = None
    updated: date | None = None
    updated_source: str | None = None
    updated_raw: str | None = None
    subtitle: str | None = None
    author: str | None = None
    column: str | None = None
    source: str | None = None
    language: str | None = None


@dataclass(slots=True)
class _Candidate:
    value: date
    source: str
    raw: str
    layer: str  # profile, cms, meta, json-ld, label, weak-label, time, line, url


@dataclass(slots=True)
class _Dates:
    published: list[_Candidate] = field(default_factory=list)
    updated: list[_Candidate] = field(default_factory=list)

    def add(self, kind: DateKind, candidate: _Candidate) -> None:
        (self.published if kind == "published" else self.updated).append(candidate)


# Government CMS meta (TRS, Hanweb, the gov.cn CMS), then OpenGraph / article: / microdata /
# Dublin Core / news-CMS names. Order is priority.
_CMS_PUBLISHED: Final = ("PubDate", "firstpublishedtime", "publishdate", "publishtime", "pubtime")
_CMS_UPDATED: Final = ("lastmodifiedtime", "lastmodified", "modifiedtime")
_META_PUBLISHED: Final = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datePublished",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "date",
    "parsely-pub-date",
    "sailthru.date",
    "article.published",
    "publication_date",
    "pub_date",
    "citation_publication_date",
    "citation_date",
    "og:pubdate",
    "dateCreated",
)
_META_UPDATED: Final = (
    "article:modified_time",
    "og:updated_time",
    "og:article:modified_time",
    "dateModified",
    "dcterms.modified",
    "dc.date.modified",
    "last-modified",
    "article.updated",
)
_META_LAYERS: Final[tuple[tuple[DateKind, tuple[str, ...], str], ...]] = (
    ("published", _CMS_PUBLISHED, "cms"),
    ("updated", _CMS_UPDATED, "cms"),
    ("published", _META_PUBLISHED, "meta"),
    ("updated", _META_UPDATED, "meta"),
)
_JSONLD_KEYS: Final[tuple[tuple[DateKind, str], ...]] = (
    ("published", "datePublished"),
    ("updated", "dateModified"),
)
# How far from the title line a date or byline line may be, in visible lines.
_NEAR_AFTER: Final = 8
_NEAR_BEFORE: Final = 3


def read_metadata(
    tree: LexborHTMLParser,
    meta: PageMeta,
    *,
    profile: SiteProfile | None,
    title: str | None,
    paragraphs: Sequence[str],
    footer_lines: Iterable[str] = (),
    url: str | None = None,
    fetched_at: datetime | None = None,
    page: PageText | None = None,
    body: Block | None = None,
) -> Metadata:
    """Dates (with provenance), subtitle, author, column, source and language of the page.

    ``paragraphs`` are the article's body text: no date, author or source is read from them
    except on a short line next to the title (a byline). No date later than ``fetched_at``
    is accepted.

    What the reader sees is read from the page's visible lines. A caller that has walked the
    page passes its ``PageText`` as ``page`` and the body's ``Block`` as ``body``: then only
    the lines around the title, before and at the start of the body and just after it are
    read (a dateline or byline sits there), which costs a small fraction of the whole page.
    Else the page is walked here.
    """
    page_lines, title_at = _reader_lines(tree, title, page, body)
    skip = set(paragraphs)
    skip.update(footer_lines)
    near = _near_title(page_lines, title_at)
    found = Metadata()

    # The walk found the <time> elements; without one, a selector pass does.
    times = page.times if page is not None else tree.css("time")
    dates = _collect_dates(tree, meta, profile, page_lines, skip, near, url, times)
    limit = _latest_allowed(fetched_at)
    for kind in ("published", "updated"):
        chosen = _choose([c for c in getattr(dates, kind) if c.value <= limit])
        if chosen is not None:
            setattr(found, kind, chosen.value)
            setattr(found, f"{kind}_source", chosen.source)
            setattr(found, f"{kind}_raw", chosen.raw)

    # Which labels the lines hold at all, tested once on their joined text.
    seen = "\n".join(line.text for line in page_lines).casefold()
    found.subtitle = _subtitle(tree, meta, title, page_lines if "副" in seen else [])
    labels = any(word in seen for word in _AUTHOR_WORDS)
    found.author = _author(meta, page_lines if labels else [], skip, near)
    found.column = _column(tree, meta, page, body)
    labels = "来源" in seen or "source" in seen
    found.source = _source(meta, page_lines if labels else [], skip, near if labels else [])
    found.language = _language(tree, meta, profile, paragraphs)
    return found


# The windows of a page read for datelines and bylines, in segments: before the body, the
# first ones of the body (where the title and dateline often sit), its last ones and those
# after it (where many sites put "Updated:", the source and the author).
_BEFORE_BODY: Final = 60
_BODY_HEAD: Final = 25
_BODY_TAIL: Final = 10
_AFTER_BODY: Final = 25


def _reader_lines(
    tree: LexborHTMLParser,
    title: str | None,
    page: PageText | None,
    body: Block | None,
) -> tuple[list[Line], int | None]:
    """The visible lines to read, and where the title is among them."""
    if page is None or body is None:
        if page is not None:
            all_lines = page.lines()
        else:
            all_lines = visible_lines(tree.body) if tree.body is not None else []
        return all_lines, _title_index(all_lines, title)
    count = len(page.text)
    spans = [
        (max(0, body.start - _BEFORE_BODY), min(body.end, body.start + _BODY_HEAD)),
        (max(body.start, body.end - _BODY_TAIL), min(count, body.end + _AFTER_BODY)),
    ]
    at = _title_segment(page, title, *spans[0])
    if at is None and title:
        at = _title_segment(page, title, 0, spans[0][0])
        if at is not None:
            spans.insert(0, (max(0, at - _NEAR_BEFORE), min(count, at + _NEAR_AFTER + 1)))
    window: list[Line] = []
    done = 0
    for start, end in spans:
        start = max(start, done)
        if start < end:
            window.extend(page.span_lines(start, end))
            done = end
    return window, _title_index(window, title)


def _probe(title: str) -> str:
    """A piece of the title that any line holding it contains, to test lines cheaply before
    normalising them: its first word (or CJK character)."""
    words = _WORDS.findall(title.casefold())
    return words[0] if words else ""


def _title_segment(page: PageText, title: str | None, start: int, end: int) -> int | None:
    """The segment between ``start`` and ``end`` that is the title (see ``_title_index``)."""
    if not title or not (want := _norm(title)):
        return None
    texts = page.text
    longest = len(title) * 2 + 20
    probe = _probe(title)
    for i in range(start, end):
        text = texts[i]
        if len(text) <= longest and probe in text.casefold():
            got = _norm(text)
            if want in got and (got == want or len(want) >= 0.6 * len(got)):
                return i
    return None


def _latest_allowed(fetched_at: datetime | None) -> date:
    """The last day a page fetched at ``fetched_at`` can carry: a day that begins, in the
    earliest time zone (UTC+14), after the fetch is in the future."""
    if fetched_at is None:
        return date.max
    if fetched_at.tzinfo is not None:
        fetched_at = fetched_at.astimezone(UTC).replace(tzinfo=None)
    return (fetched_at + timedelta(hours=14)).date()


def _title_index(lines: list[Line], title: str | None) -> int | None:
    if not title:
        return None
    want = _norm(title)
    if not want:
        return None
    probe = _probe(title)
    # A line shorter than the normalised title cannot hold it (normalising only drops
    # characters): most lines are skipped before the regex of ``_norm``.
    least = len(want)
    # Normalising drops characters one by one, so a line's start normalised is the start of
    # the line normalised: when that is already too long for either test below, so is the
    # whole line. A paragraph that holds the title's first word ("the") is then normalised
    # only that far (this function's time halved on the corpus, ~1 % of the extractor's).
    head = least * 3
    candidates: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        folded = line.text.casefold()
        if len(folded) < least or probe not in folded:
            continue
        if len(folded) > head and 0.6 * len(_drop_non_word(folded[:head])) > least:
            continue
        candidates.append((i, _drop_non_word(folded)))
    for i, got in candidates:
        if got == want:
            return i
    for i, got in candidates:
        if got and want in got and len(want) >= 0.6 * len(got):
            return i
    return None


def _near_title(lines: list[Line], title_at: int | None) -> list[Line]:
    """The lines right after the title (then right before it), nearest first: where a
    dateline or byline sits."""
    if title_at is None:
        return []
    after = lines[title_at + 1 : title_at + 1 + _NEAR_AFTER]
    before = lines[max(0, title_at - _NEAR_BEFORE) : title_at][::-1]
    return after + before


def _collect_dates(
    tree: LexborHTMLParser,
    meta: PageMeta,
    profile: SiteProfile | None,
    lines: list[Line],
    skip: set[str],
    near: list[Line],
    url: str | None,
    times: list[LexborNode],
) -> _Dates:
    dates = _Dates()
    selectors = profile.selectors.date if profile else ()
    if selectors and (hit := select_first(tree, selectors)):
        selector, text = hit
        labelled = labelled_dates(text)
        for date_hit in labelled:
            dates.add(
                date_hit.kind, _Candidate(date_hit.value, f"profile:{selector}", text, "profile")
            )
        if not labelled and (found := find_date(text)):
            dates.add("published", _Candidate(found[0], f"profile:{selector}", text, "profile"))

    for kind, names, layer in _META_LAYERS:
        if (tag := meta.get(*names)) and (found := find_date(tag[1])):
            dates.add(kind, _Candidate(found[0], f"meta:{tag[0]}", tag[1], layer))
    # Microdata on visible elements (<meta itemprop> is read with the meta tags above): the
    # first element of each, in one query.
    for kind, key in _JSONLD_KEYS:
        raw = meta.microdata.get(key)
        if raw and (found := find_date(raw)):
            dates.add(kind, _Candidate(found[0], f"itemprop:{key}", raw, "meta"))
    for kind, key in _JSONLD_KEYS:
        value = meta.jsonld_value(key)
        if value is not None and isinstance(value[1], str) and (found := find_date(value[1])):
            dates.add(kind, _Candidate(found[0], f"json-ld:{key}", value[1], "json-ld"))

    # Visible labelled lines: near the title first, then anywhere outside the body text and
    # the footer.
    seen = {id(line) for line in near}
    for line in [*near, *(line for line in lines if id(line) not in seen)]:
        if line.text in skip and id(line) not in seen:
            continue
        for date_hit in labelled_dates(line.text):
            layer = "weak-label" if is_weak(date_hit.label) else "label"
            dates.add(
                date_hit.kind,
                _Candidate(date_hit.value, f"label:{date_hit.label}", line.text, layer),
            )

    for node in times:
        if _in_aside(node):
            continue
        raw = (node.attrs.get("datetime") or "").strip()
        found = find_date(raw) if raw else None
        source = "time:datetime"
        if found is None:
            raw = clean_text(node.text(separator=" "))
            found = find_date(raw) if len(raw) <= 60 else None
            source = "time:text"
        if found is not None:
            modified = "modified" in (node.attrs.get("itemprop") or "").lower()
            # A <time> whose text shows the same day is a date the reader sees.
            shown = source == "time:text" or _shows(node, found[0])
            dates.add(
                "updated" if modified else "published",
                _Candidate(found[0], source, raw, "time-shown" if shown else "time"),
            )
            break

    for line in near:
        if labelled_dates(line.text):
            continue  # already a labelled candidate
        if found_line := line_date(line.text, allow_text=24):
            dates.add("published", _Candidate(found_line[0], "line", line.text, "line"))
            break

    # Last before the URL: the first line anywhere (outside the body text and the footer)
    # that is only a date.
    for line in lines:
        if line.text not in skip and (found_line := line_date(line.text)):
            dates.add("published", _Candidate(found_line[0], "line", line.text, "far-line"))
            break

    if url and (found_url := url_date(_split(url).path)):
        dates.add("published", _Candidate(found_url[0], "url", found_url[1], "url"))
    return dates


def _shows(node: LexborNode, value: date) -> bool:
    text = clean_text(node.text(separator=" "))
    found = find_date(text) if 0 < len(text) <= 60 else None
    return found is not None and found[0] == value


_ASIDE_TAGS: Final = frozenset({"aside", "nav", "footer", "li", "dd", "ul", "ol"})


def _in_aside(node: LexborNode) -> bool:
    """The element sits in a list, a sidebar, navigation or a footer: dates there belong to
    other articles or to comments."""
    return inside(node, _ASIDE_TAGS)


_LAYER_ORDER: Final = (
    "profile",
    "cms",
    "json-ld",
    "meta",
    "label",
    "time-shown",
    "time",
    "line",
    "weak-label",
    "far-line",
    "url",
)
# Which visible evidence overrides which declared layer when they disagree. A labelled date
# is what the page tells its reader; CMS meta dates are often the page's regeneration time,
# and OpenGraph / JSON-LD times are often UTC, a day off the local date the page shows. A
# <time> element showing its day only overrides the CMS meta: on news pages it is as often
# the update time of a live page.
_OVERRIDES: Final = {
    "cms": ("label", "time-shown"),
    "json-ld": ("label",),
    "meta": ("label",),
}


def _choose(candidates: list[_Candidate]) -> _Candidate | None:
    """The first candidate by layer, except that visible evidence beats a declared date that
    disagrees with it (see ``_OVERRIDES``)."""
    if not candidates:
        return None
    ordered = sorted(candidates, key=lambda c: _LAYER_ORDER.index(c.layer))
    best = ordered[0]
    for layer in _OVERRIDES.get(best.layer, ()):
        visible = [c for c in ordered if c.layer == layer]
        if visible and all(c.value != best.value for c in visible):
            return visible[0]
    return best


# -- subtitle, author, column, source, language ---------------------------------------------

_SUBTITLE_LABEL: Final = re.compile(r"^(?:副标题|副题)\s*[:：]\s*(.{2,200})$")


def _subtitle(
    tree: LexborHTMLParser,
    meta: PageMeta,
    title: str | None,
    lines: list[Line],
) -> str | None:
    """A subtitle the page marks as one: a 副标题 meta or label, or a heading right below the
    ``<h1>`` title (a deck). Anything less clear is left out."""
    declared = meta.value("subtitle", "ArticleSubTitle", "SubTitle")
    if declared and declared != title:
        return declared
    for line in lines[:200]:
        if match := _SUBTITLE_LABEL.match(line.text):
            return match.group(1).strip()
    if not title:
        return None
    h1 = meta.title_node
    if h1 is None or h1.tag != "h1":
        h1 = next((node for node in tree.css("h1") if _heading(node).main() == title), None)
    if h1 is None:
        return None
    sibling = h1.next
    while sibling is not None and sibling.tag in {"-text", "-comment"}:
        sibling = sibling.next
    if sibling is not None and sibling.tag in {"h2", "h3"}:
        text = clean_text(sibling.text(separator=" "))
        if (
            4 <= len(text) <= 300
            and text != title
            and sibling.css_first("a") is None
            and find_date(text) is None
        ):
            return text
    return None


# Words one of which a line must hold to be an author label (see ``_AUTHOR_LABEL``).
_AUTHOR_WORDS: Final = ("作者", "记者", "撰稿", "文", "author", "written by")
_BYLINE: Final = re.compile(
    r"^(?:by|von|par|por)\s+(?P<name>[^\d|,;:•·]{3,60}?)\s*(?:[|,;•·]|$)", re.I
)
_AUTHOR_LABEL: Final = re.compile(
    r"(?:^|[\s|｜(（【\[])(?:作者|记者|撰稿|文)\s*[:：]\s*(?P<name>[^\s|｜()（）【】\[\]:：]{2,30})"
    r"|(?:^|[\s(（【\[])记者\s+(?P<name2>[\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4}){0,3})"
    r"(?=$|[\s)）】\]])"
    r"|^(?:author|written by)\s*[:：]?\s*(?P<name3>[^\d|:：]{3,60}?)\s*$",
    re.I,
)


def _author(meta: PageMeta, lines: list[Line], skip: set[str], near: list[Line]) -> str | None:
    """Who wrote it: the author meta, JSON-LD ``author``, else a byline next to the title
    ("By Jane Doe") or a 作者/记者 label on a short line."""
    declared = meta.value(
        "author",
        "article:author",
        "dc.creator",
        "dcterms.creator",
        "byl",
        "sailthru.author",
        "parsely-author",
    )
    if declared and not declared.startswith(("http://", "https://")):
        return re.sub(r"^by\s+", "", declared, flags=re.I).strip() or None
    found = meta.jsonld_value("author")
    if found is not None and (names := _names(found[1])):
        return ", ".join(dict.fromkeys(names))
    for line in near:
        if len(line.text) <= 100 and (match := _BYLINE.match(line.text)):
            return match.group("name").strip()
    for line in [*near, *(line for line in lines if line.text not in skip)]:
        if len(line.text) <= 120 and (match := _AUTHOR_LABEL.search(line.text)):
            name = match.group("name") or match.group("name2") or match.group("name3")
            return clean_text(name)
    return None


_BREADCRUMB: Final = (
    "[class*=breadcrumb], [id*=breadcrumb], [class*=crumb], [class*=position], "
    "[id*=position], [class*=location], [class*=dqwz], [class*=weizhi]"
)
_BREADCRUMB_MARK: Final = re.compile(r"breadcrumb|crumb|position|location|dqwz|weizhi")
_SOURCE: Final = re.compile(
    r"(?:^|[\s|｜(（【\[\d])(?:来源|信息来源|文章来源|稿件来源|Source)\s*[:：]\s*"
    r"(?P<name>[^\s|｜]{1,40}(?:\s[^\s|｜:：]{1,20}){0,3}?)\s*(?=$|[|｜]|\s+\S{1,8}[:：])",
    re.I,
)


def _column(
    tree: LexborHTMLParser, meta: PageMeta, page: PageText | None, body: Block | None
) -> str | None:
    """The column (section) a CMS files the page under: its ColumnName meta or
    ``article:section``, JSON-LD ``articleSection``, else the last link of the breadcrumb."""
    if declared := meta.value("ColumnName", "article:section"):
        return declared
    found = meta.jsonld_value("articleSection")
    if found is not None:
        value = found[1][0] if isinstance(found[1], list) and found[1] else found[1]
        if isinstance(value, str) and (text := clean_text(value)):
            return text
    if page is not None and body is not None:
        # The breadcrumb is a block above the body's text: one look at each block's class
        # and id there, instead of substring selectors over the whole tree.
        crumbs = []
        blocks = page.blocks
        first = bisect_left(blocks, body.start - _BEFORE_BODY, key=lambda block: block.start)
        for block in blocks[first:]:
            if block.start > body.start:
                break
            attrs = block.node.attributes
            marks = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
            if len(marks) > 1 and _BREADCRUMB_MARK.search(marks):
                crumbs.append(block.node)
    else:
        crumbs = tree.css(_BREADCRUMB)
    for crumb in crumbs:
        links = [clean_text(a.text(separator=" ")) for a in crumb.css("a")]
        links = [text for text in links if text]
        if links:
            return links[-1]
    return None


def _source(meta: PageMeta, lines: list[Line], skip: set[str], near: list[Line]) -> str | None:
    """Who the page credits as its source: ContentSource meta, else a 来源/Source label on a
    short line (the dateline next to the title first)."""
    if declared := meta.value("ContentSource", "source"):
        return declared
    for line in [*near, *(line for line in lines if line.text not in skip)]:
        if len(line.text) <= 120 and (match := _SOURCE.search(line.text)):
            return match.group("name").strip()
    return None


_CJK: Final = re.compile(r"[\u4e00-\u9fff]")


def _language(
    tree: LexborHTMLParser,
    meta: PageMeta,
    profile: SiteProfile | None,
    paragraphs: Sequence[str],
) -> str | None:
    """``<html lang>``, else the Content-Language or ``og:locale`` meta, else the profile's
    language, else Chinese when the text is mostly Chinese characters."""
    html = tree.root
    declared = ""
    if html is not None and html.tag == "html":
        declared = (html.attrs.get("lang") or "").strip().lower()
    if not declared:
        declared = (meta.value("http-equiv:content-language") or "").lower()
    if not declared:
        declared = (meta.value("og:locale", "language", "dc.language") or "").lower()
    declared = re.split(r"[-_,;\s]", declared, maxsplit=1)[0] if declared else ""
    if declared and re.fullmatch(r"[a-z]{2,3}", declared):
        return declared
    if profile and profile.language:
        return profile.language
    sample = "".join(paragraphs)[:2000]
    if sample and len(_CJK.findall(sample)) > len(sample) * 0.3:
        return "zh"
    return None
