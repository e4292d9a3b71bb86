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
    """The block whose paragraph text, less the link text and short lines in it, is largest:
    the smallest element that holds all of an article's sections but little of the page's
    chrome. Inside it, child blocks that are mostly links or hold a form are left out."""
    if not page.blocks:
        return None
    sums = _Sums(page)
    best = -1
    best_score = 0.0
    for i, block in enumerate(page.blocks):
        gain = sums.of(sums.content, block)
        if gain <= 0:
            continue
        value = gain - _BOILERPLATE_COST * sums.of(sums.boiler, block)
        if best < 0 or value > best_score:
            best, best_score = i, value
    if best < 0:
        return None
    return Body(page.blocks[best], _chrome_inside(page, sums, best))


def _chrome_inside(page: PageText, sums: _Sums, top: int) -> set[int]:
    """Segments of the blocks inside ``page.blocks[top]`` that are chrome: a block that is
    mostly link text (related links, tags, a share bar), or one that holds a form and less
    than half the text (a comment form and its thread, a newsletter box)."""
    blocks = page.blocks
    root = blocks[top]
    content = sums.of(sums.content, root)
    skip: set[int] = set()
    skip_depth = -1  # inside a dropped block: its depth
    for i in range(top + 1, len(blocks)):
        block = blocks[i]
        if block.start >= root.end and block.depth <= root.depth:
            break
        if block.depth <= root.depth:
            break
        if skip_depth >= 0:
            if block.depth > skip_depth:
                continue
            skip_depth = -1
        if block.end == block.start:
            continue
        total = sums.of(sums.total, block)
        dense = (
            sums.of(sums.links, block) * 2 > total
            and block.end - block.start >= 2
            and sums.of(sums.content, block) * 4 < content
        )
        # A small box with inputs (search, newsletter); a text box marks a comment thread,
        # which may be long, but is less than the article.
        own = sums.of(sums.content, block)
        form = (block.controls > 0 and own * 5 < content) or (
            block.textareas > 0 and own * 2 < content
        )
        if dense or form:
            skip.update(range(block.start, block.end))
            skip_depth = block.depth
    return skip


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
