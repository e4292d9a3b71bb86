"""Finding a page's footer by position and by its own patterns. Private to the extract stage.

A footer comes after the article and says what only a footer says: registration numbers
(``蜀ICP备…号``, ``川公网安备…号``, ``Security Record No.``), the site identification code, a
copyright notice with its year or ``版权所有``, ``主办：`` / ``Hosted by:``. So the page's text
after the body is scanned for those marks, and each mark brings in the footer around it: the
outermost element that calls itself a footer, else the outermost block after the body. A
footer split over several blocks (the notice in one, the registration numbers in another, or
a mobile and a desktop copy) is gathered whole.

Weaker words (``Copyright``, ``主办``, ``技术支持`` …) also occur in headlines and event notices
after an article, so they count only inside an element that calls itself a footer: its tag,
its ARIA role, or ``foot``/``bottom``/``copyright`` in its class or id, in any case (a naming
convention of HTML, not a list of sites).

When nothing follows the body (the block taken for the body wraps the whole page, or is a
cookie box at its end), position says nothing: then a footer is an element that calls itself
one and holds a mark, wherever it stands outside the body's element.

In the footer, a line that is mostly link text is a link bar and is left out, unless it holds
a footer word: registration numbers are very often links to the registry.

Nothing here walks the DOM: it reads the ``PageText`` of the one walk.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Final

from selectolax.lexbor import LexborNode

from ._footer import FOOTER_HINT, FOOTER_HINT_WORDS, FOOTER_MARK
from ._html import Block, PageText

__all__ = ["footer_lines"]

_FOOTER_NAME: Final = re.compile(r"foot|bottom|copyright", re.IGNORECASE)
_HINT_BYTES: Final = tuple(word.encode() for word in FOOTER_HINT_WORDS)
# Link text share above which a footer line is a link bar (sitemap, contact us).
_LINK_BAR: Final = 0.5


def footer_lines(page: PageText, footer: LexborNode | None, body: Block | None) -> tuple[str, ...]:
    """The footer's lines, verbatim, in page order.

    ``footer`` is the footer element when a profile names it; otherwise the footer is found
    after ``body`` (the article's block) by its marks. Link bars are left out.
    """
    if footer is not None:
        lines = page.lines_of(footer)
    else:
        lines = []
        for start, end in _footer_spans(page, body):
            lines.extend(page.span_lines(start, end))
    return tuple(
        line.text
        for line in lines
        if line.link_density < _LINK_BAR or FOOTER_HINT.search(line.text)
    )


def _footer_spans(page: PageText, body_block: Block | None) -> list[tuple[int, int]]:
    """Segment ranges ``[start, end)`` of the footer's blocks, in page order."""
    # One scan of the whole page, split at the body's end below: without a hint anywhere
    # there is no footer, and the block starts need not be found.
    everywhere = _hint_segments(page.text, 0, len(page.text))
    if not everywhere:
        return []
    blocks = page.blocks
    after = body_block.end if body_block is not None else 0  # the first segment after the body
    cut = bisect_left(everywhere, after)
    hints, before = everywhere[cut:], everywhere[:cut]
    # The body's element and its ancestors: never part of a footer.
    around: set[int] = set()
    if body_block is not None:
        index = blocks.index(body_block)
        while index >= 0:
            around.add(index)
            index = blocks[index].parent
    starts = [block.start for block in blocks]  # non-decreasing: blocks are in page order
    spans = _spans(page, starts, around, hints, after=True)
    if not spans:
        # Nothing after the body: the body found may hold the footer (a page-wide wrapper)
        # or end after it (a cookie box taken for the article). Then position says nothing,
        # and a footer is an element that calls itself one and holds a footer's mark.
        spans = _spans(page, starts, around, before + hints)
    return spans


def _hint_segments(texts: list[str], first: int, last: int) -> list[int]:
    """The segments from ``first`` to ``last`` (exclusive) that hold a footer hint."""
    if first >= last:
        return []
    # One lower-cased string and a find per hint word, then the regex on the few lines found:
    # the regex on every line of a page cost ~3 ms. The string is the UTF-8 of the segments,
    # lowered at once: str.lower() of a page's text costs twice its encode and bytes.lower()
    # (0.08 ms against 0.04 ms a page). bytes.lower() leaves non-ASCII alone, where
    # str.lower() also makes ASCII of two letters, the Kelvin sign ("k") and "İ" ("i" and a
    # combining dot): no hint word holds a "k" or ends with an "i" (test_footer checks), so
    # both find the same words. A match's segment is counted by the newlines before it:
    # segments hold none, and a word holds none.
    joined = "\n".join(texts[first:last]).encode("utf-8", "surrogatepass").lower()
    found: set[int] = set()
    for word in _HINT_BYTES:
        at = joined.find(word)
        segment = 0
        counted = 0  # the newlines before ``counted`` are counted in ``segment``
        while at >= 0:
            segment += joined.count(b"\n", counted, at)
            found.add(segment)
            counted = joined.find(b"\n", at)  # on to the next segment
            if counted < 0:
                break
            at = joined.find(word, counted)
    return [first + i for i in sorted(found) if FOOTER_HINT.search(texts[first + i])]


def _spans(
    page: PageText, starts: list[int], around: set[int], hints: list[int], *, after: bool = False
) -> list[tuple[int, int]]:
    texts = page.text
    spans: list[tuple[int, int]] = []
    for i in hints:
        if spans and i < spans[-1][1]:
            continue  # inside a footer block already taken
        text = texts[i]
        chain = _chain(page.blocks, starts, around, i)
        named = [block for block in chain if _named_footer(block)]
        if after and (named or FOOTER_MARK.search(text)):
            # The whole footer, not just the line: the outermost element that calls itself a
            # footer, else the outermost block after the body.
            top = named[-1] if named else chain[-1] if chain else None
            spans.append((top.start, top.end) if top else (i, i + 1))
        elif named and FOOTER_MARK.search(text):
            spans.append((named[-1].start, named[-1].end))
    return spans


def _chain(blocks: list[Block], starts: list[int], around: set[int], segment: int) -> list[Block]:
    """The blocks that hold ``segment`` but not the body, innermost first."""
    # In page order, the innermost block holding a segment is the last one starting at or
    # before it, or an ancestor of that one: climb parents until one reaches the segment.
    index = bisect_right(starts, segment) - 1
    chain: list[Block] = []
    while index >= 0 and index not in around:
        block = blocks[index]
        if block.tag in ("body", "html"):
            break
        if block.end > segment:
            chain.append(block)
        index = block.parent
    return chain


def _named_footer(block: Block) -> bool:
    if block.tag == "footer":
        return True
    attrs = block.node.attributes
    if attrs.get("role") == "contentinfo":
        return True
    return bool(_FOOTER_NAME.search(f"{attrs.get('class') or ''} {attrs.get('id') or ''}"))
