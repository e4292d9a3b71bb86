"""Finding the article body and the footer in a page's DOM, by text and link density and by
position: no list of class names decides. Private to the extract stage."""

from __future__ import annotations

import re
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ._dates import find_labelled_date
from ._footer import FOOTER_HINT
from ._html import Line, clean_text, visible_lines

__all__ = ["body_paragraphs", "densest_block", "footer_block"]

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
_MIN_SCORED_TEXT: Final = 20


def densest_block(tree: LexborHTMLParser) -> LexborNode | None:
    """The element holding the most paragraph text that is not link text: each paragraph adds
    its length to its parent and half to its grandparent (the classic readability score)."""
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}
    for node in tree.css("p, pre, blockquote, td, div, li, section, article"):
        own = own_text_length(node) if node.tag != "p" else text_without_links(node)
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


def text_without_links(node: LexborNode) -> int:
    total = len(clean_text(node.text(separator=" ")))
    links = sum(len(clean_text(a.text(separator=" "))) for a in node.css("a"))
    return max(total - links, 0)


def own_text_length(node: LexborNode) -> int:
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


def footer_block(tree: LexborHTMLParser, body: LexborNode | None) -> LexborNode | None:
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
