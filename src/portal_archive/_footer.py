"""Naming the facts in a portal footer: who hosts and runs the site, its registration numbers.

Private to the extract stage. Works line by line; a line may carry several fields
(``Website Identification Code: 5100000062 Sichuan ICP No. 13001288``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["FOOTER_HINT", "parse_footer"]

# Labels whose value runs to the next label (or the end of the line).
_LABELS: Final[tuple[tuple[str, str], ...]] = (
    ("host", r"Hosted\s+by|Sponsored\s+by|主办单位|主办"),
    ("organiser", r"Organi[sz]ed\s+by|Undertaken\s+by|承办单位|承办"),
    ("co_organiser", r"Co-?organi[sz]ed\s+by|协办单位|协办"),
    (
        "operator",
        r"Website\s+Operation\s+and\s+Maintenance|Website\s+Maintenance|"
        r"Operated\s+by|Maintained\s+by|Operation\s+and\s+Maintenance|"
        r"运维单位|运行维护|运维保障|维护单位|运维",
    ),
    ("technical_support", r"Technical\s+Support|技术支持"),
    (
        "site_id_code",
        r"(?:Government\s+)?Website\s+Identification\s+Code|政府网站标识码|网站标识码",
    ),
    # These words also occur inside names ("Telecom"), so they count only before a colon.
    ("phone", r"(?:Tel(?:ephone)?|Phone|联系电话|电话)(?=\s*[:：])"),
    ("address", r"(?:Address|通讯地址|联系地址|地址)(?=\s*[:：])"),
    ("email", r"(?:E-?mail|电子邮箱|邮箱)(?=\s*[:：])"),
)
# An English label must stand as whole words; Chinese labels have no word boundaries.
_LABEL_RE: Final = re.compile(
    "|".join(
        f"(?<![A-Za-z])(?P<{name}>(?:{pattern}))(?![A-Za-z])\\s*[:：]?\\s*"
        for name, pattern in _LABELS
    ),
    re.IGNORECASE,
)
# Registration numbers are recognised by their own shape, label or not.
_ICP: Final = re.compile(
    r"(?:[A-Z][a-z]+\s+)?ICP\s*(?:No\.?|Registration\s+No\.?|License\s+No\.?)\s*[:：]?\s*\d[\d-]*"
    r"|[\u4e00-\u9fff]ICP备\s*\d+\s*号(?:-\d+)?|ICP证\s*\d+\s*号"
)
_SECURITY: Final = re.compile(
    r"(?:[\w ]*?Security\s+Record\s+No\.?|Public\s+Security\s+(?:Filing|Record)\s+No\.?)"
    r"\s*[:：]?\s*"
    r"(?P<number>\d{6,})"
    r"|(?P<zh>[\u4e00-\u9fff]公网安备\s*\d+\s*号)"
)
_COPYRIGHT: Final = re.compile(r"^(?:Copyright|©|\(c\)|版权所有)", re.IGNORECASE)
_TRIM: Final = " \t;；,，|。:："
_TRAILING_DOT: Final = re.compile(r"(?<![A-Z])\.$")

#: Text that marks a block as a footer (used by the extractor to find one without a selector).
FOOTER_HINT: Final = re.compile(
    r"Hosted\s+by|Copyright|All\s+Rights\s+Reserved|ICP|Website\s+Identification\s+Code|"
    r"Security\s+Record|主办|版权所有|网站标识码|公网安备|技术支持",
    re.IGNORECASE,
)


def parse_footer(lines: Iterable[str]) -> dict[str, str]:
    """Named fields from footer lines. The first value found for a field wins."""
    fields: dict[str, str] = {}

    def put(name: str, value: str, *, verbatim: bool = False) -> None:
        if not verbatim:
            value = _TRAILING_DOT.sub("", value.strip(_TRIM)).strip(_TRIM)
        if value and name not in fields:
            fields[name] = value

    for line in lines:
        if _COPYRIGHT.match(line):
            # Chinese portals put the ICP and security numbers on the copyright line too, so
            # the line is still searched for them below.
            put("copyright", line, verbatim=True)
        # Cut the registration numbers out first: they also end the value before them.
        rest = line
        for match in _ICP.finditer(line):
            put("icp", re.sub(r"\s+", " ", match.group(0)))
        rest = _ICP.sub("\n", rest)
        for match in _SECURITY.finditer(rest):
            put("security_record", match.group("number") or match.group("zh"))
        rest = _SECURITY.sub("\n", rest)
        for segment in rest.split("\n"):
            labels = list(_LABEL_RE.finditer(segment))
            for i, match in enumerate(labels):
                end = labels[i + 1].start() if i + 1 < len(labels) else len(segment)
                name = match.lastgroup
                if name is not None:
                    put(name, segment[match.end() : end])
    return fields
