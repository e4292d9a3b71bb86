"""Private selectolax helpers for the extract stage: visible lines of a subtree, selectors with
``@attr``, meta tags. Nothing here knows about any portal."""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = [
    "Block",
    "Line",
    "PageText",
    "clean_text",
    "inside",
    "select_first",
    "visible_lines",
]

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
# Elements whose content is never the page's text (code, styles, embedded documents and
# pictures): the walk notes them so the extractor can drop them without a query of its own.
_HIDDEN_TAGS: Final = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "svg",
    "object",
    "embed",
)
# Never visible, or not text a reader reads (besides the hidden ones above).
_SKIP: Final = frozenset(
    [
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
_HTML_SPACE: Final = " \t\n\r\f"
_ASCII_SPACE: Final = re.compile(r"[ \t\n\r\f]+")
# What str.split() takes for whitespace in ASCII text besides the five above.
_SPLIT_ONLY: Final = re.compile(r"[\x0b\x1c-\x1f]")
# Indentation that portals type by hand: no-break spaces and the ideographic space.
_EDGE_SPACE: Final = " \t\n\r\f\u00a0\u3000\u2002\u2003\u200b\ufeff"


def clean_text(text: str) -> str:
    """Collapse HTML whitespace as a browser does and strip indentation at both ends.

    Only ASCII whitespace collapses (as in rendering); no-break spaces inside the text become
    plain spaces, ideographic spaces inside the text are kept.
    """
    # A segment of the walk mostly holds its markup's indentation at both ends only: without
    # it, most need no collapsing (three in four of those that did), and the edges go
    # anyway. Saves ~40 % of this function's time on the corpus (~1 % of the extractor's).
    text = text.strip(_HTML_SPACE)
    # Most lines hold no run of whitespace to collapse: the substring tests cost a tenth of
    # the substitution, and the walk cleans every line of the page.
    if "\n" in text or "\t" in text or "  " in text or "\r" in text or "\f" in text:
        # On ASCII text, split() cuts at exactly the characters collapsed here, plus
        # \v and \x1c-\x1f: when none of those is present (a page almost never has them),
        # it collapses and strips at a third of the regex's cost.
        if text.isascii() and not _SPLIT_ONLY.search(text):
            return " ".join(text.split())
        text = _ASCII_SPACE.sub(" ", text)
    if "\u00a0" in text:
        text = text.replace("\u00a0", " ")
    return text.strip(_EDGE_SPACE)


class Line(NamedTuple):
    """One visual line of text and how much of it is link text."""

    # A tuple, not a frozen dataclass: a page makes hundreds of them, and a frozen
    # dataclass's __init__ (object.__setattr__ per field) cost 1 % of the extractor's time.
    text: str
    link_chars: int

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


# Form controls: a block holding them is a form (search box, comment form), not prose.
_CONTROLS: Final = frozenset({"input", "textarea", "select", "button"})
# What the walk does with each tag (one dict lookup per node).
(
    _HIDDEN,
    _IGNORE,
    _TEXT,
    _CONTROL,
    _IMAGE,
    _INLINE,
    _LINK,
    _TIME,
    _BREAK,
    _BLOCK_KIND,
    _CELL_KIND,
    _ITEM_KIND,
) = range(12)
_KINDS: Final[dict[str, int]] = {
    **dict.fromkeys(_SKIP, _IGNORE),
    **dict.fromkeys(_HIDDEN_TAGS, _HIDDEN),
    **dict.fromkeys(_CONTROLS, _CONTROL),
    **dict.fromkeys(_BLOCK, _BLOCK_KIND),
    **dict.fromkeys(_CELL, _CELL_KIND),
    "li": _ITEM_KIND,
    "-text": _TEXT,
    "-comment": _IGNORE,
    "-doctype": _IGNORE,
    "br": _BREAK,
    "a": _LINK,
    "time": _TIME,
    "img": _IMAGE,
}


def _tag_ids() -> tuple[dict[int, int], dict[int, str]]:
    """Each known tag's kind and name by Lexbor's tag id. Ids of standard tags are fixed by
    Lexbor; an unknown (custom) element gets an id of its own, outside these, and flows
    inline. Text, comment, doctype and document nodes have fixed ids too."""
    maker = LexborHTMLParser("")
    kinds: dict[int, int] = {_LXB_UNDEF: _IGNORE, _LXB_TEXT: _TEXT}
    kinds.update(dict.fromkeys(_LXB_NOT_TEXT, _IGNORE))
    names: dict[int, str] = {}
    for name, kind in _KINDS.items():
        if not name.startswith("-"):
            tag_id = maker.create_node(name).tag_id
            kinds[tag_id] = kind
            names[tag_id] = name
    return kinds, names


# Lexbor's ids of nodes that are not elements: no tag (a processing instruction), text,
# then document, comment and doctype.
_LXB_UNDEF, _LXB_TEXT, _LXB_NOT_TEXT = 0, 2, (3, 4, 5)
_KIND_OF_ID, _NAME_OF_ID = _tag_ids()
_TEXTAREA_ID: Final = next(i for i, name in _NAME_OF_ID.items() if name == "textarea")


class Block:
    """A block element (or table cell) seen by ``PageText``: which segments it holds and
    what it contains, so any block's text statistics cost O(1) after the one walk."""

    __slots__ = (
        "controls",
        "depth",
        "end",
        "images",
        "node",
        "parent",
        "start",
        "tag",
        "textareas",
    )

    def __init__(
        self,
        node: LexborNode,
        tag: str,
        parent: int,
        depth: int,
        start: int,
        controls: int,
        textareas: int,
        images: int,
    ) -> None:
        self.node = node
        self.tag = tag
        self.parent = parent  # index of the enclosing Block, -1 for none
        self.depth = depth
        self.start = start  # first segment inside
        self.end = start  # one past the last segment inside
        # While the walk is inside the block: the running counts at its start. After: the
        # form controls, text boxes and <img> elements inside it.
        self.controls = controls
        self.textareas = textareas  # a text box: a comment or contact form
        self.images = images


class PageText:
    """One walk over a subtree: its visible text as segments, and every block element with
    the range of segments inside it.

    A segment is a run of text between two line breaks, or one table cell. ``lines()`` joins
    the cells of a row with `` | `` so a row reads as one line; ``lines(block)`` gives the
    lines inside one block without walking the DOM again. Iterative, so any nesting depth is
    safe.
    """

    __slots__ = ("_by_id", "_by_object", "blocks", "hidden", "join", "link", "text", "times")

    def __init__(self, root: LexborNode | None) -> None:
        self.text: list[str] = []  # segment text, cleaned and non-empty
        self.link: list[int] = []  # characters of link text in the segment
        self.join: list[bool] = []  # the segment continues the previous one's table row
        self.blocks: list[Block] = []
        #: the outermost ``_HIDDEN_TAGS`` elements under the root, in document order
        self.hidden: list[LexborNode] = []
        #: the ``<time>`` elements, in document order (the date readers want them)
        self.times: list[LexborNode] = []
        self._by_object: dict[int, Block] | None = None  # id() of each Block's node
        self._by_id: dict[int, Block] | None = None  # Lexbor's address of each Block's node
        self._walk(root)

    def _walk(self, root: LexborNode | None) -> None:
        # One loop over every node, with the bookkeeping inlined: this walk is most of the
        # extractor's own time, and a helper call per node would double it. Tags are read
        # as Lexbor's integer ids (``tag_id``), which costs half of decoding the name.
        text, link, join, blocks = self.text, self.link, self.join, self.blocks
        hidden, times = self.hidden, self.times
        kinds = _KIND_OF_ID
        names = _NAME_OF_ID
        new_block = Block.__new__
        text_id = _LXB_TEXT
        parts: list[str] = []
        dirty = False  # parts hold visible (non-space) text
        link_chars = 0
        in_link = 0
        row_open = False  # the last segment was a cell, and no line break came since
        controls = textareas = images = 0
        # Open elements: (node, Block index or -1, was a link); the top is the parent.
        stack: list[tuple[LexborNode, int, bool]] = []
        current = -1  # innermost open Block

        node: LexborNode | None = root
        while node is not None:
            tag_id = node.tag_id
            if tag_id == text_id:
                # Most nodes are text (55 % on the corpus): no children, so
                # straight to the leaving part, without looking their kind up.
                value = node.text_content
                if value:
                    parts.append(value)
                    if not value.isspace():
                        dirty = True
                        if in_link:
                            link_chars += len(value.strip())
                sibling = node.next
                if sibling is not None and stack:
                    node = sibling
                    continue
                if not stack:
                    break  # the root is this text node
                # The parent's last child: leave the parent (not asking this node for
                # the next sibling it has just said it lacks).
                closing, closing_block, closing_link = stack.pop()
            else:
                kind = kinds.get(tag_id, _INLINE)
                block = -1
                if kind >= _BLOCK_KIND or kind == _BREAK:
                    # A line break: the text so far is a segment. A cell continues its row.
                    if dirty:
                        cleaned = clean_text("".join(parts))
                        if cleaned:
                            text.append(cleaned)
                            link.append(min(link_chars, len(cleaned)))
                            join.append(row_open)
                            row_open = kind == _CELL_KIND
                        dirty = False
                        link_chars = 0
                    parts.clear()
                    if kind != _CELL_KIND:
                        row_open = False
                    if kind != _BREAK:
                        block = len(blocks)
                        # Filled in here, not by Block(...): a call of __init__ with its
                        # arguments costs 160 ns, these stores 90 ns (~1 % of the extractor).
                        b = new_block(Block)
                        b.node = node
                        b.tag = names[tag_id]
                        b.parent = current
                        b.depth = len(stack)
                        b.start = b.end = len(text)
                        b.controls = controls
                        b.textareas = textareas
                        b.images = images
                        blocks.append(b)
                elif kind == _CONTROL:
                    controls += 1
                    if tag_id == _TEXTAREA_ID:
                        textareas += 1
                elif kind == _LINK:
                    in_link += 1
                elif kind == _IMAGE:
                    images += 1
                elif kind == _HIDDEN:
                    hidden.append(node)
                elif kind == _TIME:
                    times.append(node)
                # ``first_child``: ``child`` is its alias, one more attribute lookup.
                if kind >= _INLINE and (child := node.first_child) is not None:
                    stack.append((node, block, kind == _LINK))
                    if block >= 0:
                        current = block
                    node = child
                    continue
                closing, closing_block, closing_link = node, block, kind == _LINK
            # Leave ``closing`` (it has no children, or was skipped), then the ancestors
            # whose last child it was.
            while True:
                if closing_link:
                    in_link -= 1
                elif closing_block >= 0:
                    b = blocks[closing_block]
                    cell = b.tag in _CELL
                    if dirty:
                        cleaned = clean_text("".join(parts))
                        if cleaned:
                            text.append(cleaned)
                            link.append(min(link_chars, len(cleaned)))
                            join.append(row_open)
                            row_open = cell
                        dirty = False
                        link_chars = 0
                    parts.clear()
                    if not cell:
                        row_open = False
                    b.end = len(text)
                    b.controls = controls - b.controls
                    b.textareas = textareas - b.textareas
                    b.images = images - b.images
                    current = b.parent
                if not stack:
                    node = None
                    break
                sibling = closing.next
                if sibling is not None:
                    node = sibling
                    break
                closing, closing_block, closing_link = stack.pop()
        if dirty and (cleaned := clean_text("".join(parts))):
            text.append(cleaned)
            link.append(min(link_chars, len(cleaned)))
            join.append(row_open)

    def block_of(self, node: LexborNode) -> Block | None:
        """The Block of ``node`` if it is a block element of this page."""
        # The walk makes Blocks of block-kind tags only: any other node (a heading's <a> or
        # <span>, asked for by _text_of) has none, known without building the dicts below
        # (this and the footer reader taking the body's Block: +0.4 % A/B, 3 rounds).
        if _KIND_OF_ID.get(node.tag_id, _INLINE) < _BLOCK_KIND:
            return None
        # Callers mostly hand back a node they got from a Block: the same object, found by
        # identity without asking Lexbor for every block's address (~0.1 ms a page). The
        # Blocks hold their nodes, so no id() here can be reused by another object.
        if self._by_object is None:
            self._by_object = {id(block.node): block for block in self.blocks}
        if (found := self._by_object.get(id(node))) is not None:
            return found
        if self._by_id is None:
            self._by_id = {block.node.mem_id: block for block in self.blocks}
        return self._by_id.get(node.mem_id)

    def lines_of(self, node: LexborNode) -> list[Line]:
        """The visible lines of any element: a slice when it is one of this page's blocks,
        else a walk of its subtree."""
        block = self.block_of(node)
        return self.lines(block) if block is not None else PageText(node).lines()

    def lines(self, block: Block | None = None) -> list[Line]:
        """The visible lines of the whole subtree, or of one of its blocks."""
        start, end = (0, len(self.text)) if block is None else (block.start, block.end)
        return self.span_lines(start, end)

    def span_lines(self, start: int, end: int, skip: set[int] | None = None) -> list[Line]:
        """Lines from segments ``start`` to ``end`` (exclusive), leaving out ``skip``."""
        lines: list[Line] = []
        text, link, join = self.text, self.link, self.join
        last = -2
        for i in range(start, end):
            if skip and i in skip:
                continue
            if join[i] and last == i - 1 and lines:
                prev = lines[-1]
                lines[-1] = Line(prev.text + " | " + text[i], prev.link_chars + link[i])
            else:
                lines.append(Line(text[i], link[i]))
            last = i
        return lines


def visible_lines(root: LexborNode) -> list[Line]:
    """The lines a reader sees in ``root``: block elements and ``<br>`` break lines, table
    cells are joined with `` | `` so a row reads as one line. Iterative, so any nesting depth
    is safe. (Walks the subtree: to read several parts of one page, build one ``PageText``.)"""
    return PageText(root).lines()


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


def inside(node: LexborNode, tags: frozenset[str]) -> bool:
    """Some ancestor of ``node`` is one of ``tags``."""
    parent = node.parent
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.parent
    return False
