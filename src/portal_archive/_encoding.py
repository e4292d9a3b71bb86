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
from typing import Final, NamedTuple

from charset_normalizer import from_bytes

__all__ = ["Decoded", "decode_html"]


class Decoded(NamedTuple):
    """A decoded document and how it was decoded."""

    text: str
    encoding: str
    #: which rule chose the encoding (see ``decode_html``)
    reason: str
    #: every byte of the input was decoded strictly in ``encoding``: nothing was cut off
    #: (a BOM) or replaced, so encoding ``text`` again gives the input back
    strict: bool


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
# A charset "mostly fits" when it decodes at least this many non-ASCII characters for every
# byte it cannot decode.
_MOSTLY: Final = 20


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


def decode_html(data: bytes, header_charset: str | None = None) -> Decoded:
    """Decode an HTML document.

    ``reason`` says which rule chose the encoding: ``bom``, ``http-header``, ``meta``,
    ``utf-8`` (valid UTF-8, undeclared or wrongly declared), ``ascii``, ``detected`` or
    ``fallback`` (nothing fitted; undecodable bytes became U+FFFD). A reason ending in
    ``(N undecodable bytes replaced)`` means the bytes were that charset but for N broken
    bytes, which became U+FFFD (the page had no character there).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return Decoded(
                data[len(bom) :].decode(encoding, errors="replace"), encoding, "bom", False
            )

    # (codec, reason, the label as the page or header wrote it)
    declared: list[tuple[str, str, str]] = []
    if header_charset and (header := _normalise(header_charset)) is not None:
        declared.append((header, "http-header", _label(header_charset)))
    if (match := _META_CHARSET.search(data[:_PRESCAN_BYTES])) is not None:
        written = match.group(1).decode("ascii", "replace")
        if (meta := _normalise(written)) is not None:
            declared.append((meta, "meta", _label(written)))
    # Valid UTF-8 with non-ASCII bytes is almost never an accident, while a gb2312 label on
    # UTF-8 bytes is common (and gb18030 would decode them "successfully" into mojibake).
    ascii_only = data.isascii()
    # Codecs whose strict decode already failed: decoding a whole page again to fail again
    # (a UTF-8 label on a page with a few broken bytes) would double the cost.
    failed: set[str] = set()
    if not ascii_only:
        if (text := _strict(data, "utf-8")) is not None:
            if declared and declared[0][0] != "utf-8":
                return Decoded(
                    text, "utf-8", f"utf-8 (declared {declared[0][2]} does not fit)", True
                )
            return Decoded(text, "utf-8", declared[0][1] if declared else "utf-8", True)
        failed.add("utf-8")
    for encoding, reason, _ in declared:
        if encoding not in failed:
            if (text := _strict(data, encoding)) is not None:
                return Decoded(text, encoding, reason, True)
            failed.add(encoding)
    if ascii_only:
        return Decoded(data.decode("ascii"), "ascii", "ascii", True)

    # A page that is its declared charset (or UTF-8) but for a few broken bytes: replacing
    # those few beats detection, which would misread every character of the page.
    candidates = [(encoding, reason) for encoding, reason, _ in declared]
    if "utf-8" not in {encoding for encoding, _ in candidates}:
        candidates.append(("utf-8", "utf-8"))
    for encoding, reason in candidates:
        fitting = data.decode(encoding, errors="ignore")
        broken = len(data) - len(fitting.encode(encoding))
        # Only characters the charset itself decoded are evidence for it.
        good = sum(1 for char in fitting if char > "\x7f")
        if broken * _MOSTLY <= good:
            # Decoded with replacements only for the charset that is chosen.
            errors = _LATIN_LETTER if encoding == "utf-8" else "replace"
            text = data.decode(encoding, errors=errors)
            return Decoded(text, encoding, f"{reason} ({broken} undecodable bytes)", False)

    best = from_bytes(data[: 256 * 1024]).best()
    if best is not None and best.encoding:
        encoding = _normalise(best.encoding) or best.encoding
        if (text := _strict(data, encoding)) is not None:
            return Decoded(text, encoding, "detected", True)
    # Nothing fits the whole document: use the declared or detected one and mark the damage.
    encoding = declared[0][0] if declared else "utf-8"
    return Decoded(data.decode(encoding, errors="replace"), encoding, "fallback", False)


def _latin_letter(error: UnicodeError) -> tuple[str, int]:
    """A UTF-8 page with one windows-1252 byte among ASCII ("K\\xfcchenblogs"): a template in
    UTF-8 holding text typed in Latin-1. That lone byte is read as the letter it was; any
    other undecodable byte (a cut multi-byte sequence, a run of another charset) becomes
    U+FFFD. \\xc2 and \\xc3 are UTF-8 lead bytes: alone they are a cut sequence, not "Â"/"Ã"."""
    assert isinstance(error, UnicodeDecodeError)
    data, start, end = error.object, error.start, error.end
    lone = end - start == 1 and data[start] not in (0xC2, 0xC3)
    ascii_around = (start == 0 or data[start - 1] < 0x80) and (end == len(data) or data[end] < 0x80)
    if lone and ascii_around:
        char = bytes(data[start:end]).decode("cp1252", errors="replace")
        if char.isalpha():
            return char, end
    return "\ufffd", end


_LATIN_LETTER: Final = "portal_archive.latin_letter"
codecs.register_error(_LATIN_LETTER, _latin_letter)


def _label(written: str) -> str:
    return written.strip().strip("\"'").lower()
