"""Raw bytes to text without losing a character. Private to the extract stage.

httpx decodes with the header charset or UTF-8 and selectolax ignores ``<meta charset>``, so
a GBK page declared only in a meta tag comes out as U+FFFD from both. We decode ourselves:
BOM, then the HTTP header, then ``<meta>``, then detection. Every declared charset is checked
by a strict decode; a label that does not fit the bytes (common on Chinese portals) is
overruled rather than trusted.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

from charset_normalizer import from_bytes

__all__ = ["decode_html"]

# WHATWG maps these labels to gb18030, a superset: Python's strict gb2312 codec fails on
# name characters such as 镕 and 喆 that official pages use.
_ALIASES: Final = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "chinese": "gb18030",
    "csgb2312": "gb18030",
    "iso-ir-58": "gb18030",
    "zh_cn": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "euc-kr": "cp949",
    "utf8": "utf-8",
    "unicode": "utf-8",
}
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Only <meta> tags count: a <script charset="utf-8"> (the Wayback toolbar has them) says
# nothing about the page.
_META_CHARSET: Final = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.IGNORECASE
)
_PRESCAN_BYTES: Final = 16 * 1024


def _normalise(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(data: bytes, header_charset: str | None = None) -> tuple[str, str, str]:
    """Decode an HTML document. Returns ``(text, encoding, reason)``.

    ``reason`` says which rule chose the encoding: ``bom``, ``http-header``, ``meta``,
    ``utf-8`` (valid UTF-8, undeclared or wrongly declared), ``ascii``, ``detected`` or
    ``fallback`` (nothing fitted; undecodable bytes became U+FFFD).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), encoding, "bom"

    declared: list[tuple[str, str]] = []
    if (header := _normalise(header_charset)) is not None:
        declared.append((header, "http-header"))
    if (match := _META_CHARSET.search(data[:_PRESCAN_BYTES])) is not None:
        meta = _normalise(match.group(1).decode("ascii", "replace"))
        if meta is not None:
            declared.append((meta, "meta"))
    # Valid UTF-8 with non-ASCII bytes is almost never an accident, while a gb2312 label on
    # UTF-8 bytes is common (and gb18030 would decode them "successfully" into mojibake).
    if not data.isascii() and (text := _strict(data, "utf-8")) is not None:
        if declared and declared[0][0] != "utf-8":
            return text, "utf-8", f"utf-8 (declared {declared[0][0]} does not fit)"
        return text, "utf-8", declared[0][1] if declared else "utf-8"
    for encoding, reason in declared:
        if (text := _strict(data, encoding)) is not None:
            return text, encoding, reason
    if data.isascii():
        return data.decode("ascii"), "ascii", "ascii"

    best = from_bytes(data[: 256 * 1024]).best()
    if best is not None and best.encoding:
        encoding = _normalise(best.encoding) or best.encoding
        if (text := _strict(data, encoding)) is not None:
            return text, encoding, "detected"
    # Nothing fits the whole document: use the declared or detected one and mark the damage.
    encoding = declared[0][0] if declared else "utf-8"
    return data.decode(encoding, errors="replace"), encoding, "fallback"
