"""Reading dates from labelled lines, date lines, meta values and URLs. Private to the extract
stage.

A date is only taken from a short line with a recognised label (``Updated:2025.01.06``,
``发布时间：2017年04月22日 11时45分``, ``Posted on January 6, 2025``), from a line that is only a
date, from a meta value or from a URL path: never from running body text, where "On December
26" is news, not metadata. Every hit keeps the label as the page wrote it and the raw string,
so the Article can say where its date came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

__all__ = [
    "DateHit",
    "DateKind",
    "find_date",
    "find_labelled_date",
    "labelled_dates",
    "line_date",
    "parse_date",
    "url_date",
]

DateKind = Literal["published", "updated"]

_YEAR: Final = r"(?:19[7-9]\d|20\d{2})"
# Numeric dates: 2025-01-06, 2025.1.6, 2025/01/06, 2017年04月22日, 20250106, and the
# day-first 06.01.2025 that German and Austrian portals print (dots only: 06/01/2025 is
# ambiguous between the US and the rest of the world, so it is never read).
_NUMERIC: Final = re.compile(
    rf"(?<!\d)(?P<y>{_YEAR})\s*(?:[.\-/]|年)\s*(?P<m>\d{{1,2}})\s*(?:[.\-/]|月)\s*(?P<d>\d{{1,2}})"
    r"(?!\d)\s*日?"
    rf"|(?<!\d)(?P<y2>{_YEAR})(?P<m2>[01]\d)(?P<d2>[0-3]\d)(?!\d)"
    rf"|(?<![\d.])(?P<d3>\d{{1,2}})\.\s?(?P<m3>\d{{1,2}})\.\s?(?P<y3>{_YEAR})(?!\d)"
)
_YEAR_SEEN: Final = re.compile(r"(?:19[7-9]|20\d)\d")
_MONTHS: Final = {
    name: number
    for number, names in enumerate(
        [
            "january jan jänner jän januar",
            "february feb februar",
            "march mar märz mär mrz",
            "april apr",
            "may mai",
            "june jun juni",
            "july jul juli",
            "august aug",
            "september sep sept",
            "october oct oktober okt",
            "november nov",
            "december dec dezember dez",
        ],
        start=1,
    )
    for name in names.split()
}
_MONTH_NAME: Final = "|".join(sorted(_MONTHS, key=len, reverse=True))
# "January 6, 2025", "Jan. 6th 2025", "6 Jan 2025", "31. März 2003", "6th of January, 2025".
_NAMED: Final = re.compile(
    rf"\b(?P<mon>{_MONTH_NAME})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>{_YEAR})\b"
    rf"|(?<!\d)(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?(?P<mon2>{_MONTH_NAME})\.?,?\s+"
    rf"(?P<y2>{_YEAR})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class DateHit:
    """A date found on a page: what kind, the day, the label as written (None when the line
    had none) and the string the day was read from."""

    kind: DateKind
    value: date
    label: str | None
    raw: str


def _valid(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def _numeric(match: re.Match[str]) -> date | None:
    if match.group("y"):
        return _valid(match.group("y"), match.group("m"), match.group("d"))
    if match.group("y2"):
        return _valid(match.group("y2"), match.group("m2"), match.group("d2"))
    return _valid(match.group("y3"), match.group("m3"), match.group("d3"))


def _named(match: re.Match[str]) -> date | None:
    if match.group("mon"):
        month = _MONTHS[match.group("mon").lower()]
        return _valid(match.group("y"), str(month), match.group("d"))
    month = _MONTHS[match.group("mon2").lower()]
    return _valid(match.group("y2"), str(month), match.group("d2"))


def parse_date(text: str) -> date | None:
    """The first valid numeric calendar date in ``text`` (``2025.01.06``, ``2025-1-6``,
    ``2017年04月22日``, ``20250106``, ``06.01.2025``, ``2025-01-06T10:49:00+08:00``), or None.
    Month names are not read here: see ``find_date``."""
    for match in _NUMERIC.finditer(text):
        if value := _numeric(match):
            return value
    return None


def _find_numeric(text: str) -> tuple[date, str, int, int] | None:
    for match in _NUMERIC.finditer(text):
        if value := _numeric(match):
            return value, match.group(0).strip(), match.start(), match.end()
    return None


def find_date(text: str) -> tuple[date, str, int, int] | None:
    """The first valid date in ``text``, numeric or with an English or German month name
    (``January 6, 2025``, ``6 Jan 2025``, ``31. März 2003``): the day, the matched string and
    its span. For labelled lines, bylines and meta values only."""
    if _YEAR_SEEN.search(text) is None:
        return None  # every date form has a four-digit year: skip the costly patterns
    best: tuple[date, str, int, int] | None = None
    for pattern, read in ((_NUMERIC, _numeric), (_NAMED, _named)):
        for match in pattern.finditer(text):
            if best is not None and match.start() >= best[2]:
                break
            if value := read(match):
                best = (value, match.group(0).strip(), match.start(), match.end())
                break
    return best


# Labels, longest first so that 发布时间 wins over 时间 at the same position. ``strong`` labels
# name publication or update outright; the weak ones (Date, 时间, 成文日期 …) only count when no
# strong label is on the page.
_UPDATED_LABELS: Final = (
    r"last\s+updated|last\s+modified|updated|modified|update\s+time|aktualisiert|stand"
    r"|更新时间|更新日期|修改时间|修改日期"
)
_PUBLISHED_LABELS: Final = (
    r"release\s+time|release\s+date|released|publication\s+date|published|publish\s+date"
    r"|publish\s+time|posted|veröffentlicht|erschienen|发布时间|发布日期|发表时间|发表日期"
    r"|发稿时间|发文日期|公开日期|时间|日期|成文日期|印发日期|date|time|datum"
)
_WEAK: Final = frozenset({"时间", "日期", "成文日期", "印发日期", "date", "time", "datum"})
_LABEL: Final = re.compile(
    rf"(?<![A-Za-z])(?:(?P<updated>{_UPDATED_LABELS})|(?P<published>{_PUBLISHED_LABELS}))"
    r"(?:\s+(?:on|at|am))?\s*(?P<colon>[:：])?[\s|｜]*",
    re.IGNORECASE,
)
# A label in the middle of a line needs its colon ("来源：新华社 发布时间：…"), except the words
# that only ever introduce a date ("By Jane Doe | Published 6 January 2025").
_NO_COLON_MIDLINE: Final = frozenset({"updated", "published", "posted", "veröffentlicht"})
_MAX_LINE: Final = 120
# How far after its label a date may start: room for a weekday or a time ("Updated 3:45 PM
# ET, Mon November 6, 2023").
_LABEL_REACH: Final = 32
_TIME_TAIL: Final = re.compile(
    r"[\s,]*(?:\d{1,2}\s*[:：时]\s*\d{1,2}(?:\s*[:：分]\s*\d{1,2})?\s*秒?分?"
    r"(?:\s*[ap]\.?m\.?)?(?:\s*(?:[A-Z]{2,5}|[+-]\d{2}:?\d{2}))?)?\s*$",
    re.IGNORECASE,
)
_WEEKDAY: Final = re.compile(
    r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*|^(?:星期|周)[一二三四五六日天]\s*",
    re.IGNORECASE,
)


def labelled_dates(line: str) -> list[DateHit]:
    """Every date that ``line`` gives under a label, in order: ``Updated:2025.01.06``,
    ``来源：新华社 发布时间：2017-04-22``, ``Published 6 January 2025``. A long line gives none."""
    line = line.strip()
    if not line or len(line) > _MAX_LINE or _YEAR_SEEN.search(line) is None:
        return []  # every date form has a four-digit year: most lines end here
    hits: list[DateHit] = []
    for match in _LABEL.finditer(line):
        word = match.group("updated") or match.group("published")
        at_start = match.start() == 0 or not line[: match.start()].strip(" |｜[【(（")
        if not at_start and not match.group("colon") and word.lower() not in _NO_COLON_MIDLINE:
            continue
        rest = line[match.end() : match.end() + _LABEL_REACH + 40]
        found = find_date(rest)
        if found is None or found[2] > _LABEL_REACH:
            continue
        # A label word inside a sentence is not a label: what lies between it and the date
        # must be a weekday, a time or punctuation, not words.
        between = rest[: found[2]]
        if re.search(r"[^\W\d_]{4,}", _WEEKDAY.sub("", between.strip(" ,.|"))):
            continue
        kind: DateKind = "updated" if match.group("updated") else "published"
        hits.append(DateHit(kind, found[0], word, found[1]))
    return hits


def line_date(line: str, *, allow_text: int = 0, named: bool = True) -> tuple[date, str] | None:
    """If ``line`` is a date line (the date, perhaps a time, perhaps a weekday; with
    ``allow_text``, up to that many characters of other text such as a place or a source),
    the day and the raw date. ``named=False`` reads numeric dates only."""
    line = line.strip()
    if not line or len(line) > _MAX_LINE or _YEAR_SEEN.search(line) is None:
        return None
    found = find_date(line) if named else _find_numeric(line)
    if found is None:
        return None
    value, raw, start, end = found
    before = _WEEKDAY.sub("", line[:start].strip(" ,|-–—(（[【"))
    after = line[end:]
    tail = _TIME_TAIL.match(after)
    rest = before + ("" if tail else after)
    if len(rest.strip(" ,|-–—)）]】")) > allow_text:
        return None
    return value, raw


def find_labelled_date(line: str) -> tuple[DateKind, date] | None:
    """If ``line`` is a short date line, which kind of date it gives and the date.

    ``Updated:2025.01.06`` → ("updated", 2025-01-06); ``Release time: 2024-05-01`` → published;
    a line that is only a date counts as published. Anything else, or a long line, gives None.
    """
    hits = labelled_dates(line)
    if hits:
        strong = [hit for hit in hits if (hit.label or "").lower() not in _WEAK]
        hit = (strong or hits)[0]
        return hit.kind, hit.value
    # Only a numeric date line counts here: a line "November 21, 2017" closing a notice is
    # part of the document's text, which callers drop date lines from.
    if found := line_date(line, named=False):
        return "published", found[0]
    return None


def is_weak(label: str | None) -> bool:
    """A label that may name any date (Date, 时间, 成文日期), not publication outright."""
    return label is None or label.lower() in _WEAK


# Dates in URL paths: /2020/02/19/, /2020-02/19/, /2020-02-19/, /202002/19/ (TRS), /20200219/.
_URL_DATE: Final = re.compile(
    rf"/(?P<y>{_YEAR})[/-](?P<m>[01]?\d)[/-](?P<d>[0-3]?\d)(?=[/_.-])"
    rf"|/(?P<y2>{_YEAR})(?P<m2>[01]\d)[/-](?P<d2>[0-3]\d)(?=[/_.-])"
    rf"|/(?:t|content_|c_)?(?P<y3>{_YEAR})(?P<m3>[01]\d)(?P<d3>[0-3]\d)(?=[/_.-])"
)


def url_date(path: str) -> tuple[date, str] | None:
    """The date a URL path carries (``/2020-02/19/c_1125597921.htm``), or None."""
    for match in _URL_DATE.finditer(path):
        y, m, d = (
            (match.group("y"), match.group("m"), match.group("d"))
            if match.group("y")
            else (match.group("y2"), match.group("m2"), match.group("d2"))
            if match.group("y2")
            else (match.group("y3"), match.group("m3"), match.group("d3"))
        )
        if value := _valid(y, m, d):
            return value, match.group(0)
    return None
