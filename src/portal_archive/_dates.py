"""Reading dates from labelled lines and meta values. Private to the extract stage.

A date is only taken from a short line with a recognised label (``Updated:2025.01.06``,
``发布时间：2017年04月22日 11时45分``), from a date-only line, or from a meta value: never from
running body text, where "On December 26" is news, not metadata.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final, Literal

__all__ = ["DateKind", "find_labelled_date", "parse_date"]

DateKind = Literal["published", "updated"]

_DATE: Final = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:[.\-/]|年)\s*(?P<m>\d{1,2})\s*(?:[.\-/]|月)\s*(?P<d>\d{1,2})\s*日?"
    r"|(?P<y2>(?:19|20)\d{2})(?P<m2>[01]\d)(?P<d2>[0-3]\d)(?!\d)"
)
# Label -> kind. "Updated" is what sc.gov.cn's English pages show; the Chinese portals say
# 发布时间 / 发布日期 for publication.
_LABELS: Final[tuple[tuple[re.Pattern[str], DateKind], ...]] = (
    (
        re.compile(r"^(?:last\s+)?(?:updated?|modified|update\s+time)\s*(?:on|at)?\s*[:：]?", re.I),
        "updated",
    ),
    (re.compile(r"^(?:更新时间|更新日期|修改时间)\s*[:：]?"), "updated"),
    (
        re.compile(
            r"^(?:release\s+time|released|release\s+date|published(?:\s+on)?|"
            r"publish(?:ed)?\s+(?:date|time)|date|time|posted(?:\s+on)?)\s*[:：]?",
            re.I,
        ),
        "published",
    ),
    (
        re.compile(r"^(?:发布时间|发布日期|发表时间|时间|日期|成文日期|印发日期)\s*[:：]?"),
        "published",
    ),
)
_MAX_LINE: Final = 120


def parse_date(text: str) -> date | None:
    """The first valid calendar date in ``text`` (``2025.01.06``, ``2025-1-6``, ``2017年04月22日``,
    ``20250106``, ``2025-01-06T10:49:00+08:00``), or None."""
    for match in _DATE.finditer(text):
        y, m, d = (
            (match.group("y"), match.group("m"), match.group("d"))
            if match.group("y")
            else (match.group("y2"), match.group("m2"), match.group("d2"))
        )
        try:
            return date(int(y), int(m), int(d))
        except ValueError:
            continue
    return None


def find_labelled_date(line: str) -> tuple[DateKind, date] | None:
    """If ``line`` is a short date line, which kind of date it gives and the date.

    ``Updated:2025.01.06`` → ("updated", 2025-01-06); ``Release time: 2024-05-01`` → published;
    a line that is only a date counts as published. Anything else, or a long line, gives None.
    """
    line = line.strip()
    if not line or len(line) > _MAX_LINE:
        return None
    for pattern, kind in _LABELS:
        match = pattern.match(line)
        if match and match.end() > 0:
            rest = line[match.end() :].strip()
            found = _DATE.match(rest)
            if found and (value := parse_date(found.group(0))):
                return kind, value
    found = _DATE.match(line)
    if found and (value := parse_date(line)) and len(line) - found.end() <= 12:
        # A line that is only a date, perhaps with a time after it.
        tail = line[found.end() :].strip()
        if not tail or re.fullmatch(r"[\d:：时分秒\s]+", tail):
            return "published", value
    return None
