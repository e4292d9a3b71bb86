"""Finding the article body and the footer in a page's DOM, by text and link density and by
position: no list of class names decides. Private to the extract stage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ._dates import find_labelled_date
from ._html import Block, Line, PageText

__all__ = ["Body", "body_paragraphs", "densest_block"]

# Short chrome lines that sit next to article text on most portals.
_CHROME_LINE: Final = re.compile(
    r"^(?:\[?(?:print|close|share|font|字号|打印|关闭|分享|收藏|返回顶部|top)\]?\s*[:：]?\s*"
    r"(?:\S{1,12}\s*){0,4}|[【\[]?\s*(?:大|中|小)\s*[】\]]?(?:\s*[【\[]?\s*(?:大|中|小)\s*[】\]]?)*)$",
    re.IGNORECASE,
)
# A segment shorter than this (UTF-8 bytes: ~7 English words, ~13 Chinese characters) is a
# label, a menu entry or a byline, not a paragraph.
_PARAGRAPH_BYTES: Final = 40
# How much a character of link text or of short lines costs a candidate, against a
# character of paragraph text it gains.
_BOILERPLATE_COST: Final = 1.5


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

    def of(self, sums: list[float], block: Block) -> float:
        return sums[block.end] - sums[block.start]


def densest_block(page: PageText) -> Body | None:
    """The block whose paragraph text, less the link text and short lines in it, is largest
    once its chrome is left out: the smallest element that holds all of an article's
    sections but little of the page's chrome. Chrome inside a block (child blocks that are
    mostly links or hold a form) is left out of the body, so it costs the block nothing."""
    blocks = page.blocks
    if not blocks:
        return None
    sums = _Sums(page)
    content, boiler = sums.content, sums.boiler
    gains = [content[b.end] - content[b.start] for b in blocks]
    # A block's value is at most its paragraph text: visiting blocks from the most text down,
    # the search stops once no block left can beat the best. Ties go to the outer block.
    order = sorted((i for i, gain in enumerate(gains) if gain > 0), key=lambda i: -gains[i])
    best = -1
    best_value = 0.0
    best_dropped: list[Block] = []
    for i in order:
        if best >= 0 and gains[i] <= best_value:
            break
        dropped = _chrome_blocks(page, sums, i)
        block = blocks[i]
        kept = gains[i]
        noise = boiler[block.end] - boiler[block.start]
        for d in dropped:
            kept -= content[d.end] - content[d.start]
            noise -= boiler[d.end] - boiler[d.start]
        value = kept - _BOILERPLATE_COST * noise
        if best < 0 or value > best_value or (value == best_value and i < best):
            best, best_value, best_dropped = i, value, dropped
    if best < 0:
        return None
    skip: set[int] = set()
    for d in best_dropped:
        skip.update(range(d.start, d.end))
    return Body(blocks[best], skip)


def _chrome_blocks(page: PageText, sums: _Sums, top: int) -> list[Block]:
    """The outermost blocks inside ``page.blocks[top]`` that are chrome: a block that is
    mostly link text (related links, tags, a share bar), or one that holds a form and less
    than half the text (a comment form and its thread, a newsletter box)."""
    blocks = page.blocks
    root = blocks[top]
    content_sums, links, total = sums.content, sums.links, sums.total
    content = content_sums[root.end] - content_sums[root.start]
    dropped: list[Block] = []
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
        form = (block.controls > 0 and own * 5 < content) or (
            block.textareas > 0 and own * 2 < content
        )
        if dense or form:
            dropped.append(block)
            skip_depth = block.depth
    return dropped


def body_paragraphs(lines: list[Line], *, title: str | None, generic: bool) -> list[str]:
    paragraphs = []
    for line in lines:
        text = line.text
        if text == title or find_labelled_date(text) or _CHROME_LINE.match(text):
            continue
        if generic and line.link_density > 0.5:
            continue
        paragraphs.append(text)
    return paragraphs
