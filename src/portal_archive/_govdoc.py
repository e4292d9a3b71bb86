"""The header of a government information-disclosure page (信息公开): 索引号, 发文字号, 发布机构,
成文日期, 主题分类, 有效性 … Private to the extract stage.

Portals lay the header out as a table of label and value cells, as ``label：value`` lines
(often several on a line), or as a ``<dl>`` with the value on the line after its label, and
they pad labels with spaces to line them up (``索   引   号``). All of these become visible lines
first (a table row reads ``索引号 | 0001 | 主题分类 | 综合政务``), and one reader takes them apart.
Nothing here knows a portal.
"""

from __future__ import annotations

import re
from typing import Final

from selectolax.lexbor import LexborHTMLParser

from ._dates import parse_date
from ._html import PageText, visible_lines

__all__ = ["read_document"]

# field -> labels, most specific first. Dates are given as ISO dates.
_FIELDS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("index_number", ("索引号",)),
    ("document_number", ("发文字号", "发文文号", "文件编号", "文号", "字号")),
    ("issuing_body", ("发文机关", "发文单位", "发布机构", "发布单位", "制发机关")),
    ("disclosing_body", ("信息公开主体", "公开主体")),
    ("written_date", ("成文日期", "成文时间", "发文日期", "印发日期")),
    ("published_date", ("发布日期", "公开日期", "发布时间", "上载日期")),
    ("effective_date", ("施行日期", "生效日期", "实施日期")),
    ("expiry_date", ("废止日期", "失效日期")),
    ("subject", ("主题分类", "主题类别", "分类")),
    ("keywords", ("主题词", "关键词")),
    ("validity", ("有效性", "时效性", "效力状态")),
    ("disclosure", ("公开方式", "公开属性", "公开形式")),
    ("title", ("标题", "名称", "文件名称")),
)
_DATE_FIELDS: Final = frozenset({"written_date", "published_date", "effective_date", "expiry_date"})
# The fields that make a header a disclosure header; "标题" and "分类" alone are on any page.
_CORE: Final = frozenset({"index_number", "document_number", "issuing_body", "written_date"})

_PAD: Final = r"[\s\u3000\u00a0]*"
_LABEL_OF: Final = {label: name for name, labels in _FIELDS for label in labels}
_LABELS: Final = sorted(_LABEL_OF, key=len, reverse=True)
# A label stands between gaps (line start, a cell border, a space) and is followed by a colon,
# a cell border or a space: "文号" inside "根据文号规定" is not one.
_LABEL_RE: Final = re.compile(
    r"(?:^|(?<=[\s|:：\u3000]))(?P<label>"
    + "|".join(_PAD.join(map(re.escape, label)) for label in _LABELS)
    + r")"
    + _PAD
    + r"(?:[:：]|(?=\s|\||$))"
)
# A quick look before walking the DOM: most pages have no header at all.
_ANY_CORE: Final = re.compile(
    "|".join(_PAD.join(label) for label in ("索引号", "发文字号", "文号", "发布机构", "成文日期"))
)
# Every label of a field that makes a header (a superset of what ``_LABEL_RE`` can find for
# them): a page whose visible text has none of these has no header, whatever else it says.
_ANY_CORE_LABEL: Final = re.compile(
    "|".join(
        _PAD.join(map(re.escape, label))
        for name, labels in _FIELDS
        if name in _CORE
        for label in labels
    )
)
_CORE_FIRST: Final = frozenset(
    label[0] for name, labels in _FIELDS if name in _CORE for label in labels
)
_MAX_LINE: Final = 300
_TRIM: Final = " \t|:：;；,，\u3000"


def read_document(tree: LexborHTMLParser, page: PageText | None = None) -> dict[str, str]:
    """The disclosure header's fields (see ``Article.document``), or ``{}`` when the page has
    none. A header needs two of its fields, one of them 索引号, 发文字号, 发布机构/发文机关 or
    成文日期. The first value of a field wins.

    ``page`` is the caller's walk of ``tree.body``, if it has one: the lines are then read
    from it instead of walking the body again.

    >>> read_document(LexborHTMLParser(
    ...     "<table><tr><td>索 引 号：</td><td>0001-2024-00012</td><td>成文日期：</td>"
    ...     "<td>2024年3月5日</td></tr></table><p>正文</p>"))
    {'index_number': '0001-2024-00012', 'written_date': '2024-03-05'}
    """
    body = tree.body
    if body is None:
        return {}
    # The page's visible text is at hand and costs a quarter of the body's text() to search:
    # without a header label in it, no line can give a header (most pages end here).
    if page is not None:
        text = "\n".join(page.text)
        # Every such label starts with one of a few Chinese characters: finding one character
        # is a memchr, where the regex tries the labels at every position (~0.05 ms a page),
        # and a page with no Chinese has none of them.
        if not any(first in text for first in _CORE_FIRST) or not _ANY_CORE_LABEL.search(text):
            return {}
    # This quick look decides which pages are read at all, so it stays as it was: the same
    # pages get a header as before.
    if not _ANY_CORE.search(body.text(separator=" ")):
        return {}
    found: dict[str, str] = {}
    pending: str | None = None  # a label that ended its line: the value is the next line
    for line in page.lines() if page is not None else visible_lines(body):
        text = line.text
        if len(text) > _MAX_LINE:
            pending = None
            continue
        labels = list(_LABEL_RE.finditer(text))
        if pending is not None and not labels:
            _put(found, pending, text)
        pending = None
        for i, match in enumerate(labels):
            end = labels[i + 1].start() if i + 1 < len(labels) else len(text)
            name = _LABEL_OF[re.sub(_PAD, "", match.group("label"))]
            value = text[match.end() : end].strip(_TRIM)
            if value:
                _put(found, name, value)
            elif i + 1 == len(labels):
                pending = name
    if len(found) < 2 or not _CORE & found.keys():
        return {}
    return found


def _put(found: dict[str, str], name: str, value: str) -> None:
    value = value.strip(_TRIM)
    if name in _DATE_FIELDS:
        day = parse_date(value)
        value = day.isoformat() if day else ""
    if value and name not in found:
        found[name] = value
