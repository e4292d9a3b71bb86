"""Finding the article body in a page's DOM, by text and link density, by position (next to
the title) and by what HTML itself says an element is (``nav``, ``aside``, ``figure``): no list
of class names decides. Private to the extract stage."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Final

from ._dates import find_labelled_date, labelled_dates
from ._html import Block, Line, PageText

__all__ = ["Body", "body_paragraphs", "densest_block"]

# Short chrome lines that sit next to article text on most portals.
_CHROME_LINE: Final = re.compile(
    r"^(?:\[?(?:print|close|share|font|字号|打印|关闭|分享|收藏|返回顶部|top)\]?\s*[:：]?\s*"
    r"(?:\S{1,12}\s*){0,4}|[【\[]?\s*(?:大|中|小)\s*[】\]]?(?:\s*[【\[]?\s*(?:大|中|小)\s*[】\]]?)*)$",
    re.IGNORECASE,
)
# A short line holding a copyright sign is a picture credit ("Caption © Agency | Name") or a
# copyright notice: chrome, not article text.
# The sign anywhere is a substring test; the words only at the start are a match there. One
# search for all three tried them at every position: 142 ms against 42 ms over the corpus's
# 228,365 short lines (+1.2 % A/B on extract(), 4 rounds).
_CREDIT_SIGN: Final = "©"
_CREDIT_START: Final = re.compile(r"\(c\)\s|copyright\b", re.IGNORECASE)
_CREDIT_MAX: Final = 200
# A segment shorter than this (UTF-8 bytes: ~7 English words, ~13 Chinese characters) is a
# label, a menu entry or a byline, not a paragraph.
_PARAGRAPH_BYTES: Final = 40
# How much a character of link text or of short lines costs a candidate, against a
# character of paragraph text it gains.
_BOILERPLATE_COST: Final = 1.5
# Elements that are chrome by their HTML meaning wherever they are: inside the body they are
# left out, and the body is never found inside one (a cookie banner or a teaser column in
# an <aside>, links in a <nav>, tags and author boxes in an article's <footer>).
_CHROME_TAGS: Final = frozenset({"nav", "aside", "footer"})
# A figure's caption and credit describe the picture (``Article.images`` keeps the caption).
_CAPTION_TAGS: Final = frozenset({"figure", "figcaption"})
_HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# A block holding pictures and at most this much text (UTF-8 bytes) per picture is a picture
# with its caption, or a gallery.
_PICTURE_BYTES: Final = 250
# A short article beside a longer block of other text (a cookie notice, a comment thread, a
# teaser list): the best block that starts within this many segments after the title line
# wins when it is worth at least this share of the densest block elsewhere.
_NEAR_TITLE: Final = 25
_NEAR_TITLE_SHARE: Final = 0.35
# How many densest blocks are tried when each in turn turns out to be all chrome.
_RETRIES: Final = 3


@dataclass(slots=True)
class Body:
    """The article body found in a ``PageText``: the block that holds it and the segments
    inside that block that are chrome (link lists, forms), left out."""

    block: Block
    skip: set[int]

    def lines(self, page: PageText) -> list[Line]:
        return page.span_lines(self.block.start, self.block.end, self.skip)


class _Sums:
    """Prefix sums over a page's segments (sizes in UTF-8 bytes, so a Chinese character
    weighs about as much as an English word's worth of letters): paragraph text, boilerplate
    (link text and short lines), all text and link text."""

    __slots__ = ("boiler", "content", "links", "total")

    def __init__(self, page: PageText) -> None:
        self.content = content = [0.0]
        self.boiler = boiler = [0.0]
        self.total = total = [0.0]
        self.links = links = [0.0]
        c = b = t = k = 0.0
        for text, link in zip(page.text, page.link, strict=True):
            size = len(text.encode())
            linked = size * link / len(text)
            t += size
            k += linked
            if link * 2 > len(text):
                b += size
            elif size >= _PARAGRAPH_BYTES:
                c += size - linked
                b += linked
            else:
                b += size
            content.append(c)
            boiler.append(b)
            total.append(t)
            links.append(k)


def densest_block(page: PageText, title: str | None = None) -> Body | None:
    """The block whose paragraph text, less the link text and short lines in it, is largest:
    the smallest element that holds all of an article's sections but little of the page's
    chrome. Inside it, child blocks that are chrome (mostly links, a form, a picture with its
    caption, ``nav``/``aside``/``footer``/``figure``) are left out. When ``title`` is a line
    of the page and the densest block lies away from it, a block that starts right after the
    title wins if it is worth a fair share of the densest one."""
    blocks = page.blocks
    if not blocks:
        return None
    sums = _Sums(page)
    excluded = _in_chrome_tags(blocks)
    at = -1
    if title:
        with contextlib.suppress(ValueError):
            at = page.text.index(title)
    for _ in range(_RETRIES):
        best, best_value = _densest(blocks, sums, excluded)
        if best < 0:
            return None
        if at >= 0:
            best = _near_title(page, sums, excluded, at, best, best_value)
        skip: set[int] = set()
        for dropped in _chrome_blocks(page, sums, best, title_at=at):
            skip.update(range(dropped.start, dropped.end))
        chosen = blocks[best]
        if len(skip) < chosen.end - chosen.start:
            return Body(chosen, skip)
        # All of it is chrome: a comment thread whose every entry holds a reply form
        # outweighed the article. The article is elsewhere, not inside it.
        excluded[best] = True
        for i in range(best + 1, len(blocks)):
            if blocks[i].depth <= chosen.depth:
                break
            excluded[i] = True
    return None


def _densest(blocks: list[Block], sums: _Sums, excluded: list[bool]) -> tuple[int, float]:
    """The index and value of the block with the most paragraph text less boilerplate, of
    those not ``excluded`` (-1 for none)."""
    content, boiler = sums.content, sums.boiler
    best = -1
    best_value = 0.0
    for i, block in enumerate(blocks):
        gain = content[block.end] - content[block.start]
        # A block's value is at most its paragraph text: one that cannot win is not scored.
        if gain <= 0 or excluded[i] or (best >= 0 and gain <= best_value):
            continue
        value = gain - _BOILERPLATE_COST * (boiler[block.end] - boiler[block.start])
        if best < 0 or value > best_value:
            best, best_value = i, value
    return best, best_value


def _in_chrome_tags(blocks: list[Block]) -> list[bool]:
    """For each block: it is, or is inside, a ``nav``, ``aside`` or ``footer``."""
    flags: list[bool] = []
    for block in blocks:
        flags.append(block.tag in _CHROME_TAGS or (block.parent >= 0 and flags[block.parent]))
    return flags


def _near_title(
    page: PageText, sums: _Sums, in_chrome: list[bool], at: int, best: int, best_value: float
) -> int:
    """``best``, or the best block starting just after the title line (segment ``at``) when
    ``best`` lies elsewhere and that block is worth ``_NEAR_TITLE_SHARE`` of it."""
    blocks = page.blocks
    chosen = blocks[best]
    if chosen.end > at and chosen.start <= at + _NEAR_TITLE:
        return best
    content, boiler = sums.content, sums.boiler
    near, near_value = -1, 0.0
    for i, block in enumerate(blocks):
        if not at < block.start <= at + _NEAR_TITLE or in_chrome[i]:
            continue
        gain = content[block.end] - content[block.start]
        if gain <= 0 or (near >= 0 and gain <= near_value):
            continue
        value = gain - _BOILERPLATE_COST * (boiler[block.end] - boiler[block.start])
        if near < 0 or value > near_value:
            near, near_value = i, value
    return near if near >= 0 and near_value >= _NEAR_TITLE_SHARE * best_value else best


def _chrome_blocks(
    page: PageText, sums: _Sums, top: int, *, title_at: int = -1, pictures: bool = True
) -> list[Block]:
    """The outermost blocks inside ``page.blocks[top]`` that are chrome: a block that is
    mostly link text (related links, tags, a share bar) with the short heading right before
    it, one that holds a form and less than half the text (a comment form and its thread, a
    newsletter box), pictures with their captions, and the chrome and figure elements. A
    block holding the title line (segment ``title_at``) holds the article: only its chrome
    children go."""
    blocks = page.blocks
    root = blocks[top]
    content_sums, links, total = sums.content, sums.links, sums.total
    content = content_sums[root.end] - content_sums[root.start]
    dropped: list[Block] = []
    picture_text = 0.0  # paragraph text in the blocks dropped as pictures with captions
    skip_depth = -1  # inside a dropped block: its depth
    for i in range(top + 1, len(blocks)):
        block = blocks[i]
        if block.depth <= root.depth:
            break
        if skip_depth >= 0:
            if block.depth > skip_depth:
                continue
            skip_depth = -1
        start, end = block.start, block.end
        if end == start:
            continue
        own = content_sums[end] - content_sums[start]
        dense = (
            (links[end] - links[start]) * 2 > total[end] - total[start]
            and end - start >= 2
            and own * 4 < content
        )
        # A small box with inputs (search, newsletter); a text box marks a comment thread,
        # which may be long, but is less than the article.
        form = not start <= title_at < end and (
            (block.controls > 0 and own * 5 < content)
            or (block.textareas > 0 and own * 2 < content)
        )
        picture = (
            pictures
            and block.images > 0
            and total[end] - total[start] <= _PICTURE_BYTES * block.images
            and own * 4 < content
        )
        chrome = block.tag in _CHROME_TAGS or block.tag in _CAPTION_TAGS
        if dense or form or picture or chrome:
            heading = _heading_before(page, top, i) if dense else None
            if heading is not None and (not dropped or dropped[-1].end <= heading.start):
                dropped.append(heading)
            dropped.append(block)
            skip_depth = block.depth
            if picture and not (dense or form or chrome):
                picture_text += own
    # Pictures that hold half of the block's text between them are not captions beside an
    # article: they are the article (a recipe's steps, a photo story).
    if picture_text * 2 >= content > 0:
        return _chrome_blocks(page, sums, top, title_at=title_at, pictures=False)
    return dropped


def _heading_before(page: PageText, top: int, i: int) -> Block | None:
    """The one-line block that ends right where link list ``page.blocks[i]`` starts, inside
    ``page.blocks[top]``, when it is a heading or a short line: the list's title ("Related",
    "Mehr zum Thema")."""
    blocks = page.blocks
    start = blocks[i].start
    if start <= blocks[top].start:
        return None
    # The innermost block holding the segment before the list: blocks are in page order, so
    # it is the last one opened before the list that still holds that segment.
    k = i - 1
    while k > top and not blocks[k].start <= start - 1 < blocks[k].end:
        k -= 1
    if k <= top:
        return None
    before = blocks[k]
    if before.end != start or before.end - before.start != 1:
        return None
    if before.tag in _HEADINGS or len(page.text[start - 1].encode()) < _PARAGRAPH_BYTES:
        return before
    return None


def body_paragraphs(lines: list[Line], *, title: str | None, generic: bool) -> list[str]:
    paragraphs: list[str] = []
    for line in lines:
        text = line.text
        if text == title or _CHROME_LINE.match(text):
            continue
        # A date line above the text is the page's dateline, and a labelled date is metadata
        # anywhere; a bare date after the text is the document's own, the date it was signed
        # (落款), and is kept.
        if find_labelled_date(text) and (not paragraphs or labelled_dates(text)):
            continue
        if (
            generic
            and len(text) <= _CREDIT_MAX
            and (_CREDIT_SIGN in text or _CREDIT_START.match(text))
        ):
            continue
        if generic and line.link_density > 0.5:
            continue
        paragraphs.append(text)
    return paragraphs
