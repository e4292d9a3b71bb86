"""Private selectolax helpers for the extract stage: visible lines of a subtree, selectors with
``@attr``, meta tags. Nothing here knows about any portal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["Line", "clean_text", "meta_content", "select_first", "visible_lines"]

# Elements that start a new visual line. Everything else flows inline.
_BLOCK: Final = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
        "caption",
    ]
)
_CELL: Final = frozenset({"td", "th"})
# Never visible, or not text a reader reads.
_SKIP: Final = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "canvas",
        "select",
        "option",
        "button",
        "input",
        "textarea",
        "head",
        "title",
        "meta",
        "link",
        "video",
        "audio",
        "map",
        "area",
    ]
)
_ASCII_SPACE: Final = re.compile(r"[ \t\n\r\f]+")
# Indentation that portals type by hand: no-break spaces and the ideographic space.
_EDGE_SPACE: Final = " \t\n\r\f\u00a0\u3000\u2002\u2003\u200b\ufeff"


def clean_text(text: str) -> str:
    """Collapse HTML whitespace as a browser does and strip indentation at both ends.

    Only ASCII whitespace collapses (as in rendering); no-break spaces inside the text become
    plain spaces, ideographic spaces inside the text are kept.
    """
    text = _ASCII_SPACE.sub(" ", text).replace("\u00a0", " ")
    return text.strip(_EDGE_SPACE)


@dataclass(frozen=True, slots=True)
class Line:
    """One visual line of text and how much of it is link text."""

    text: str
    link_chars: int

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


def visible_lines(root: LexborNode) -> list[Line]:
    """The lines a reader sees in ``root``: block elements and ``<br>`` break lines, table
    cells are joined with `` | `` so a row reads as one line. Iterative, so any nesting depth
    is safe."""
    lines: list[Line] = []
    parts: list[str] = []
    link_chars = 0
    in_link = 0

    def flush() -> None:
        nonlocal link_chars
        text = clean_text("".join(parts))
        if text:
            lines.append(Line(text, min(link_chars, len(text))))
        parts.clear()
        link_chars = 0

    # (node, leaving): leaving=True marks the end of an element opened earlier.
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag
        if leaving:
            if tag == "a":
                in_link -= 1
            elif tag in _BLOCK:
                flush()
            continue
        if tag == "-text":
            text = node.text_content or ""
            parts.append(text)
            if in_link:
                link_chars += len(text.strip())
            continue
        if tag is None or tag.startswith("-") or tag in _SKIP:
            continue
        if tag == "br":
            flush()
            continue
        if tag in _BLOCK:
            flush()
        elif tag in _CELL and "".join(parts).strip():
            parts.append(" | ")
        if tag == "a":
            in_link += 1
        stack.append((node, True))
        children = list(_children(node))
        stack.extend((child, False) for child in reversed(children))
    flush()
    return lines


def _children(node: LexborNode) -> Iterator[LexborNode]:
    child = node.child
    while child is not None:
        yield child
        child = child.next


def select_first(
    tree: LexborHTMLParser | LexborNode, selectors: tuple[str, ...]
) -> tuple[str, str] | None:
    """The first selector (in order) that yields non-empty text: ``(selector, text)``.

    ``css@attr`` reads the attribute of the first matching element instead of its text.
    """
    for selector in selectors:
        css, _, attr = selector.partition("@")
        for node in tree.css(css):
            value = node.attrs.get(attr) if attr else node.text(separator=" ", strip=True)
            if value and (value := clean_text(value)):
                return selector, value
    return None


def meta_content(tree: LexborHTMLParser, *names: str) -> str | None:
    """The content of the first ``<meta name=…>`` or ``<meta property=…>`` among ``names``
    (case-insensitive), in the order given."""
    found: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        key = (node.attrs.get("name") or node.attrs.get("property") or "").strip().lower()
        content = clean_text(node.attrs.get("content") or "")
        if key and content and key not in found:
            found[key] = content
    for name in names:
        if value := found.get(name.lower()):
            return value
    return None
