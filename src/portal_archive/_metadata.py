"""Reading what a page says about itself: title, dates, column, source, language. Private to
the extract stage. Layers, each filling only what the one before left empty: profile selectors,
government CMS meta, OpenGraph/``article:`` meta and JSON-LD, then generic visible rules."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from selectolax.lexbor import LexborHTMLParser

from ._dates import DateKind, find_labelled_date, parse_date
from ._html import clean_text, meta_content, select_first, visible_lines
from .profiles import SiteProfile

__all__ = ["meta_dates", "read_column", "read_language", "read_source", "read_title", "take_date"]

_TITLE_SPLIT: Final = re.compile(r"\s+[-|–—_]\s+|_|\s*\|\s*")


def read_title(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> str | None:
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


def take_date(dates: dict[DateKind, date], text: str) -> None:
    found = find_labelled_date(text)
    if found is not None:
        kind, value = found
        dates.setdefault(kind, value)


def meta_dates(tree: LexborHTMLParser, dates: dict[DateKind, date]) -> None:
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


_BREADCRUMB: Final = (
    "[class*=breadcrumb], [id*=breadcrumb], [class*=crumb], [class*=position], "
    "[id*=position], [class*=location], [class*=dqwz], [class*=weizhi]"
)
_SOURCE_LINE: Final = re.compile(
    r"^(?:来源|信息来源|文章来源|Source)\s*[:：]\s*(.{1,60}?)\s*$", re.I
)


def read_column(tree: LexborHTMLParser) -> str | None:
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


def read_source(tree: LexborHTMLParser, skip: set[str]) -> str | None:
    """Who the page credits as its source: ContentSource meta, else a short 来源: line."""
    if declared := meta_content(tree, "ContentSource", "source"):
        return declared
    for line in visible_lines(tree.body) if tree.body is not None else ():
        if line.text not in skip and (match := _SOURCE_LINE.match(line.text)):
            return match.group(1)
    return None


_CJK: Final = re.compile(r"[\u4e00-\u9fff]")


def read_language(
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
