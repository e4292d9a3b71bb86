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

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ._dates import DateKind, find_date, is_weak, labelled_dates, line_date, url_date
from ._html import Line, clean_text, select_first, visible_lines
from .profiles import SiteProfile

__all__ = ["Metadata", "PageMeta", "read_metadata", "read_title"]


# -- what the page declares: <meta> tags and JSON-LD -------------------------------------------


class PageMeta:
    """The page's ``<meta>`` tags (read in one pass) and its JSON-LD (parsed on first use).

    Built before the extractor strips ``<script>`` elements, since JSON-LD lives in them.
    """

    __slots__ = ("_jsonld", "_jsonld_text", "tags")

    def __init__(self, tree: LexborHTMLParser) -> None:
        #: lower-cased name, property or itemprop → (the name as written, content); the
        #: first tag of a name wins.
        self.tags: dict[str, tuple[str, str]] = {}
        for node in tree.css("meta[content]"):
            attrs = node.attrs
            name = attrs.get("name") or attrs.get("property") or attrs.get("itemprop")
            if not name:
                continue
            name = name.strip()
            key = name.lower()
            if key not in self.tags and (content := clean_text(attrs.get("content") or "")):
                self.tags[key] = (name, content)
        self._jsonld_text = [
            node.text() for node in tree.css('script[type*="ld+json" i]') if node.text()
        ]
        self._jsonld: list[dict[str, Any]] | None = None

    def get(self, *names: str) -> tuple[str, str] | None:
        """``(name as written, content)`` of the first of ``names`` the page has."""
        for name in names:
            if found := self.tags.get(name.lower()):
                return found
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
                    data = json.loads(_JSON_WRAPPER.sub("", text))
                except ValueError:
                    continue
                objects.extend(_flatten(data, depth=0))
            objects.sort(key=lambda obj: not _is_article(obj))
            self._jsonld = objects
        return self._jsonld

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

# Separators between an article title and the site name in <title> and og:title.
_TITLE_SPLIT: Final = re.compile(r"\s+[-|–—·•»:│]{1,2}\s+|\s*[|｜_│]\s*|\s*::\s*")
_NORM_DROP: Final = re.compile(r"[\W_]+")
_WORDS: Final = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+")


def _norm(text: str) -> str:
    return _NORM_DROP.sub("", text.casefold())


def _similarity(a: str, b: str) -> float:
    """Share of ``a``'s words (each CJK character a word) that ``b`` has."""
    words_a = _WORDS.findall(a.casefold())
    if not words_a:
        return 0.0
    words_b = set(_WORDS.findall(b.casefold()))
    return sum(word in words_b for word in words_a) / len(words_a)


def _heading_text(node: LexborNode) -> str:
    """A heading's text without the dates some sites print inside it (``<h1><time>…``)."""
    if node.css_first("time") is None:
        return clean_text(node.text(separator=" "))
    parts = []
    for child in node.traverse(include_text=True):
        if child.tag == "-text" and not any(
            parent.tag == "time" for parent in _ancestors(child, node)
        ):
            parts.append(child.text_content or "")
    return clean_text(" ".join(parts))


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
    path = urlsplit(href).path
    return path in {"", "/", "./", "../"} or bool(re.fullmatch(r"/?(index|default)\.\w+", path))


def _site_names(meta: PageMeta) -> set[str]:
    names = {
        meta.value("og:site_name"),
        meta.value("application-name"),
        meta.value("SiteName"),
        meta.value("twitter:site"),
    }
    found = meta.jsonld_value("publisher")
    if found is not None:
        names.update(_names(found[1]))
    return {_norm(name) for name in names if name and _norm(name)}


def _strip_site(title: str, site_names: set[str]) -> str:
    """``title`` without the parts that name the site (``Title - Site``, ``Site | Title``)."""
    parts = [part.strip() for part in _TITLE_SPLIT.split(title) if part.strip()]
    if len(parts) < 2:
        return title
    kept = [
        part
        for part in parts
        if _norm(part) not in site_names
        and not re.fullmatch(r"(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)+/?", part, re.I)
    ]
    if not kept:
        return title
    if len(kept) == len(parts):
        # No part is known to name the site: drop only a short last part after a clear
        # separator ("Title - Site", "标题_光明网"), the common way of appending it.
        last = parts[-1]
        if len(parts) == 2 and len(last) <= 30 and len(last) < len(parts[0]):
            head = title[: title.rfind(last)].rstrip()
            return re.sub(r"\s*[-|–—·•»:│|｜_]+$", "", head).strip() or title
        return title
    if len(kept) < len(parts) and _norm(" ".join(kept)) and len(kept) > 1:
        # Keep the original spelling between the surviving parts.
        first, last = title.find(kept[0]), title.rfind(kept[-1]) + len(kept[-1])
        if 0 <= first < last:
            return title[first:last].strip()
    return max(kept, key=len)


def read_title(
    tree: LexborHTMLParser, meta: PageMeta, selectors: tuple[str, ...] = ()
) -> str | None:
    """The article's title: the profile's selector, else the visible heading that agrees with
    what the page declares (CMS ``ArticleTitle``, ``og:title``, JSON-LD ``headline``,
    ``<title>``), else the single plausible ``<h1>``, else the declared title without the site
    name."""
    if selectors and (found := select_first(tree, selectors)):
        return found[1]
    declared = meta.value("ArticleTitle", "og:title", "twitter:title", "dc.title", "title")
    if declared is None and (headline := meta.jsonld_value("headline")) is not None:
        declared = clean_text(str(headline[1]))
    title_node = tree.css_first("title")
    page_title = clean_text(title_node.text()) if title_node is not None else ""
    site_names = _site_names(meta)
    references = [text for text in (declared, page_title) if text]

    def plausible(node: LexborNode, text: str) -> bool:
        if len(text) < 2 or len(text) > 400 or _norm(text) in site_names:
            return False
        return not _links_home(node)

    h1s = [(node, _heading_text(node)) for node in tree.css("h1")]
    h1s = [(node, text) for node, text in h1s if plausible(node, text)]
    best: tuple[float, str] | None = None
    for rank, tag in enumerate(("h1", "h2")):
        headings = h1s if tag == "h1" else [(n, _heading_text(n)) for n in tree.css("h2")]
        for node, text in headings:
            if tag != "h1" and not plausible(node, text):
                continue
            score = max(
                (
                    min(_similarity(text, ref), _similarity(_strip_site(ref, site_names), text))
                    for ref in references
                ),
                default=0.0,
            )
            threshold = 0.6 if rank == 0 else 0.8
            if score >= threshold and (best is None or score > best[0]):
                best = (score, text)
        if best is not None:
            return best[1]
    if len(h1s) == 1 and len(h1s[0][1]) >= 4:
        return h1s[0][1]
    if declared:
        return _strip_site(declared, site_names)
    if h1s:
        return h1s[0][1]
    if page_title:
        return _strip_site(page_title, site_names)
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
    lines: Sequence[Line] | None = None,
) -> Metadata:
    """Dates (with provenance), subtitle, author, column, source and language of the page.

    ``paragraphs`` are the article's body text: no date, author or source is read from them
    except on a short line next to the title (a byline). No date later than ``fetched_at``
    is accepted. ``lines`` are the visible lines of the whole page, if the caller has them.
    """
    # The most expensive step of this layer: a caller that has the page's lines passes them.
    if lines is not None:
        page_lines = list(lines)
    else:
        page_lines = visible_lines(tree.body) if tree.body is not None else []
    skip = set(paragraphs)
    skip.update(footer_lines)
    title_at = _title_index(page_lines, title)
    near = _near_title(page_lines, title_at)
    found = Metadata()

    dates = _collect_dates(tree, meta, profile, page_lines, skip, near, url)
    limit = _latest_allowed(fetched_at)
    for kind in ("published", "updated"):
        chosen = _choose([c for c in getattr(dates, kind) if c.value <= limit])
        if chosen is not None:
            setattr(found, kind, chosen.value)
            setattr(found, f"{kind}_source", chosen.source)
            setattr(found, f"{kind}_raw", chosen.raw)

    found.subtitle = _subtitle(tree, meta, title, page_lines, title_at)
    found.author = _author(meta, page_lines, skip, near)
    found.column = _column(tree, meta)
    found.source = _source(meta, page_lines, skip, near)
    found.language = _language(tree, meta, profile, paragraphs)
    return found


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
    for i, line in enumerate(lines):
        if _norm(line.text) == want:
            return i
    for i, line in enumerate(lines):
        got = _norm(line.text)
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
    # Microdata on visible elements (<meta itemprop> is read with the meta tags above).
    for kind, key in _JSONLD_KEYS:
        node = tree.css_first(f'[itemprop="{key}"]:not(meta)')
        if node is None:
            continue
        attrs = node.attrs
        raw = attrs.get("content") or attrs.get("datetime") or attrs.get("title") or ""
        raw = clean_text(raw or node.text(separator=" "))[:80]
        if found := find_date(raw):
            dates.add(kind, _Candidate(found[0], f"itemprop:{key}", raw, "meta"))
    for kind, key in _JSONLD_KEYS:
        value = meta.jsonld_value(key)
        if value is not None and isinstance(value[1], str) and (found := find_date(value[1])):
            dates.add(kind, _Candidate(found[0], f"json-ld:{key}", value[1], "json-ld"))

    # Visible labelled lines: near the title first, then anywhere outside the body text and
    # the footer.
    seen: set[int] = set()
    for line in [*near, *lines]:
        if id(line) in seen or (line.text in skip and line not in near):
            continue
        seen.add(id(line))
        for date_hit in labelled_dates(line.text):
            layer = "weak-label" if is_weak(date_hit.label) else "label"
            dates.add(
                date_hit.kind,
                _Candidate(date_hit.value, f"label:{date_hit.label}", line.text, layer),
            )

    for node in tree.css("time"):
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

    if url and (found_url := url_date(urlsplit(url).path)):
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
    parent = node.parent
    while parent is not None:
        if parent.tag in _ASIDE_TAGS:
            return True
        parent = parent.parent
    return False


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
    title_at: int | None,
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
    for h1 in tree.css("h1"):
        if _heading_text(h1) != title:
            continue
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
        break
    return None


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
_SOURCE: Final = re.compile(
    r"(?:^|[\s|｜(（【\[])(?:来源|信息来源|文章来源|稿件来源|Source)\s*[:：]\s*"
    r"(?P<name>[^\s|｜]{1,40}(?:\s[^\s|｜:：]{1,20}){0,3}?)\s*(?=$|[|｜]|\s+\S{1,8}[:：])",
    re.I,
)


def _column(tree: LexborHTMLParser, meta: PageMeta) -> str | None:
    """The column (section) a CMS files the page under: its ColumnName meta or
    ``article:section``, JSON-LD ``articleSection``, else the last link of the breadcrumb."""
    if declared := meta.value("ColumnName", "article:section"):
        return declared
    found = meta.jsonld_value("articleSection")
    if found is not None:
        value = found[1][0] if isinstance(found[1], list) and found[1] else found[1]
        if isinstance(value, str) and (text := clean_text(value)):
            return text
    for crumb in tree.css(_BREADCRUMB):
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
    html = tree.css_first("html")
    declared = (html.attrs.get("lang") or "").strip().lower() if html is not None else ""
    if not declared:
        node = tree.css_first('meta[http-equiv="content-language" i]')
        declared = (node.attrs.get("content") or "").strip().lower() if node is not None else ""
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
