"""Naming the facts in a portal footer: who hosts and runs the site, its registration numbers.

Private to the extract stage. Works line by line; a line may carry several fields
(``Website Identification Code: 5100000062 Sichuan ICP No. 13001288``, ``主办：四川省人民政府办公厅
承办：四川省大数据中心 网站标识码：5100000062 蜀ICP备05003285号``). A line is read in this order:

1. Registration numbers (ICP, public security record) are recognised by their own shape and
   cut out, so they also end the value written before them.
2. The rest is split into chunks where the page puts visual gaps between items: two or more
   spaces (``&nbsp;&nbsp;``), the ideographic space, a ``|`` between links.
3. A chunk written the Chinese way round, ``共青团中央主办``, names the field at its end.
4. Otherwise each label starts a value that runs to the next label. Any short Chinese label
   before a colon (``互联网新闻信息服务许可证：``, ``期刊订阅电话：``) ends the value before it even
   when it names no field of ours, so a value never swallows its neighbour.

Nothing here knows a portal: labels are the ones government sites are required to show.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final, Protocol

__all__ = ["FOOTER_HINT", "FOOTER_HINT_WORDS", "FOOTER_MARK", "parse_footer"]

_CJK: Final = "\u4e00-\u9fff"

# English labels: whole words, colon optional ("Hosted by General Office …").
_EN_LABELS: Final[tuple[tuple[str, str], ...]] = (
    ("co_organiser", r"Co-?organi[sz]ed\s+by"),
    ("host", r"Hosted\s+by|Sponsored\s+by"),
    ("organiser", r"Organi[sz]ed\s+by|Undertaken\s+by"),
    (
        "operator",
        r"Website\s+Operation\s+and\s+Maintenance|Website\s+Maintenance|"
        r"Operated\s+by|Maintained\s+by|Operation\s+and\s+Maintenance",
    ),
    ("technical_support", r"Technical\s+Support"),
    ("site_id_code", r"(?:Government\s+)?Website\s+Identification\s+Code"),
    # These words also occur inside names ("Telecom"), so they count only before a colon.
    ("phone", r"(?:Tel(?:ephone)?|Phone)(?=\s*[:：])"),
    ("address", r"Address(?=\s*[:：])"),
    ("email", r"E-?mail(?=\s*[:：])"),
    ("postcode", r"(?:Post(?:al)?\s*code|Zip(?:\s+Code)?)(?=\s*[:：])"),
)
# Chinese labels that name the site's makers: they may follow a value with no space between
# ("…办公厅承办：…") and need no colon, since no organisation name contains them.
_ZH_STRONG: Final[tuple[tuple[str, str], ...]] = (
    ("host", r"主办单位|主办"),
    ("organiser", r"承办单位|承办"),
    ("co_organiser", r"协办单位|协办"),
    ("technical_support", r"技术支持单位|技术支持"),
    ("site_id_code", r"政府网站标识码|网站标识码"),
)
# Chinese labels that must be the whole label before a colon: "电话" counts, "期刊订阅电话" (a
# subscription line) does not, and "维护" inside an organisation's name is not a label.
_ZH_WHOLE: Final[tuple[tuple[str, str], ...]] = (
    *_ZH_STRONG,
    (
        "operator",
        r"(?:网站)?(?:运行维护单位|运行维护|运维单位|运维保障单位|运维保障|运维|维护单位|维护"
        r"|运营单位|运营维护|运营|运营管理中心)",
    ),
    ("copyright", r"版权所有"),
    ("phone", r"电话|联系电话|办公电话|联系方式"),
    ("address", r"地址|通讯地址|联系地址|办公地址|单位地址"),
    ("email", r"电子邮箱|邮箱|电子邮件|联系邮箱"),
    ("postcode", r"邮编|邮政编码"),
)
_ZH_WHOLE_RE: Final = [(name, re.compile(f"(?:网站|本站|本网)?(?:{p})")) for name, p in _ZH_WHOLE]
# A run of Chinese before a colon is one label only if no strong label starts inside it:
# "四川省政府承办：" is a value, then a label.
_STRONG_ANY: Final = "|".join(p for _, p in _ZH_STRONG)

# One scan finds every label in a chunk, leftmost first.
_LABEL_RE: Final = re.compile(
    "|".join(
        [
            # A short Chinese run before a colon is a label, known or not.
            rf"(?<![{_CJK}])(?P<zh_run>(?:(?!{_STRONG_ANY})[{_CJK}]){{2,16}})\s*[:：]\s*",
            *(
                f"(?P<zh_{name}_{i}>{pattern})\\s*[:：]?\\s*"
                for i, (name, pattern) in enumerate(_ZH_STRONG)
            ),
            *(
                # Written as a label, with a capital or a colon: "The event was hosted by …"
                # is prose.
                f"(?<![A-Za-z])(?P<en_{name}_{i}>(?=(?-i:[A-Z]))(?:{pattern})|(?:{pattern})"
                f"(?=\\s*[:：]))(?![A-Za-z])\\s*[:：]?\\s*"
                for i, (name, pattern) in enumerate(_EN_LABELS)
            ),
        ]
    ),
    re.IGNORECASE,
)
# "X主办" / "由X提供技术支持": a word that ends with the field's name, standing between gaps.
_SUFFIX: Final = re.compile(
    r"(?<![^\s|｜])(?:本站|本网站|本网)?由?(?P<value>[^\s|｜:：]{2,40}?)(?:提供)?"
    r"(?P<label>主办|承办|协办|运维|技术支持)(?![^\s|｜])"
)
_SUFFIX_FIELD: Final = {
    "主办": "host",
    "承办": "organiser",
    "协办": "co_organiser",
    "运维": "operator",
    "技术支持": "technical_support",
}
# Registration numbers are recognised by their own shape, label or not. Youth.cn writes
# "京｜ICP备11020872号－17".
_ICP: Final = re.compile(
    r"(?:[A-Z][a-z]+\s+)?ICP\s*(?:No\.?|Registration\s+No\.?|License\s+No\.?)\s*[:：]?\s*\d[\d-]*"
    rf"|[{_CJK}]\s*[|｜]?\s*ICP\s*[备証证]\s*\d+\s*号(?:\s*[-－—]\s*\d+)?"
    r"|ICP\s*[备证]\s*\d+\s*号(?:\s*[-－—]\s*\d+)?"
)
_SECURITY: Final = re.compile(
    r"(?:[\w ]*?Security\s+Record\s+No\.?|Public\s+Security\s+(?:Filing|Record)\s+No\.?)"
    r"\s*[:：]?\s*"
    r"(?P<number>\d{6,})"
    rf"|(?P<zh>[{_CJK}]\s*公网安备\s*\d+\s*号?)"
)
_ZH_COPYRIGHT_END: Final = re.compile(r"^[^:：]{2,40}版[权權]所有$")
_OWNER_NOTICE: Final = re.compile(
    # The holder is a name of at most three words: a longer run is a row of links.
    r"^(?!\s*copyright)(?=[^:：©]{1,30}?\s*(?:©|\(c\)))(?:[^\s:：©]+\s+){0,2}?[^\s:：©]+\s*"
    r"(?:©|\(c\))\s*(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)\d\d)?"
    r"(?:[\s,.]*(?:All\s+Rights\s+Reserved\.?|版权所有))?",
    re.IGNORECASE,
)
# A notice after other text on its line ("客服中心 痞客邦首頁 © 2003 - 2017 PIXNET Travel"): from
# the sign to "All Rights Reserved." or the end of the chunk.
_NOTICE_INSIDE: Final = re.compile(
    r"(?<!\S)(?:Copyright\s*)?©\s*(?:19|20)\d\d.*?(?:All\s+Rights\s+Reserved\.?|$)", re.IGNORECASE
)
_COPYRIGHT: Final = re.compile(r"^(?:Copyright|©|\(c\)|版权所有|版權所有)", re.IGNORECASE)
# What makes "Copyright …" a notice and not a link to a policy page ("Copyright Policy").
_NOTICE: Final = re.compile(r"©|\(c\)|(?:19|20)\d\d|reserved|held\s+by|版权|版權", re.IGNORECASE)
_CREDIT: Final = re.compile(r"^(?:©|\(c\))\s*\w+\s*[:：]", re.IGNORECASE)
_RESERVED: Final = re.compile(r"All\s+Rights\s+Reserved\.(?=\s*\S)", re.IGNORECASE)
# A notice written in Latin letters ends where Chinese text starts after a gap ("©2020 Baidu
# 使用百度前必读": a link), unless that text is the notice's own 版权所有.
_LATIN_THEN_CJK: Final = re.compile(rf"(?<=[A-Za-z0-9.])\s+(?=[{_CJK}])(?!.*版[权權])")
_CHUNK_GAP: Final = re.compile(r"\s{2,}|\u3000+|\s*[|｜]\s*|\n")
_SITE_ID: Final = re.compile(r"[A-Za-z0-9]+")
_TRIM: Final = " \t;；,，|｜。:：、"
# A final full stop is punctuation, except after an abbreviation ("Co., Ltd.", "No.").
_TRAILING_DOT: Final = re.compile(r"(?<![A-Z])(?<!\bLtd)(?<!\bCo)(?<!\bInc)(?<!\bNo)\.$")

#: Words that say a line belongs to a footer when it stands in one (``Copyright``, ``主办``):
#: they also occur in headlines and event notices, so alone they mark nothing.
FOOTER_HINT: Final = re.compile(
    r"Hosted\s+by|Copyright|All\s+Rights\s+Reserved|(?<![A-Za-z])ICP(?![A-Za-z])|©|"
    r"Website\s+Identification\s+Code|Security\s+Record|主办|版权所有|版權所有|网站标识码|"
    r"公网安备|技术支持",
    re.IGNORECASE,
)
#: Lower-case words one of which every FOOTER_HINT match contains, as cleaned text writes them
#: (one space between words): ``str.find`` on them is ~10x faster than the regex on every line.
FOOTER_HINT_WORDS: Final = (
    "hosted by",
    "copyright",
    "all rights reserved",
    "icp",
    "©",
    "website identification code",
    "security record",
    "主办",
    "版权所有",
    "版權所有",
    "网站标识码",
    "公网安备",
    "技术支持",
)
#: What only a footer says, wherever it stands after the article: registration numbers, the
#: site identification code, a notice with its year or 版权所有, a labelled host.
FOOTER_MARK: Final = re.compile(
    r"ICP\s*(?:[备証证]|No\b|Registration|License)|公网安备|"
    r"(?i:Security\s+Record\s+No|Website\s+Identification\s+Code|All\s+Rights\s+Reserved)|"
    r"(?i:Copyright\s*(?:©|\(c\)|(?:19|20)\d\d))|©.{0,40}?(?:19|20)\d\d|(?:19|20)\d\d\s*©|"
    r"版权所有|版權所有|网站标识码|(?i:Hosted\s+by)\s*[:：]|主办(?:单位)?\s*[:：]"
)


def parse_footer(lines: Iterable[str]) -> dict[str, str]:
    """Named fields from footer lines. The first value found for a field wins, except that a
    notice found inside other text is taken only when no line starts with one (a footer often
    credits its market data or fonts, "… © 2016 Morningstar, Inc.", before its own notice).

    >>> parse_footer(["共青团中央主办　共青团中央网络影视中心承办"])
    {'host': '共青团中央', 'organiser': '共青团中央网络影视中心'}
    """
    fields: dict[str, str] = {}

    def put(name: str, value: str, *, verbatim: bool = False) -> None:
        value = value.strip(_TRIM) if verbatim else _tidy(value)
        if name == "site_id_code" and (code := _SITE_ID.match(value)):
            value = code.group(0)
        if value and name not in fields:
            fields[name] = value

    inside: list[str] = []
    for line in lines:
        # Each of these patterns needs a word that most lines lack: a substring test of it
        # costs a tenth of a scan (three scans and three subs a line were half of this
        # function's time).
        rest = line
        # Cut the registration numbers out first: they also end the value before them.
        if "ICP" in rest:  # in every _ICP match (the pattern is case-sensitive)
            for match in _ICP.finditer(rest):
                put("icp", _registration(match.group(0)))
            rest = _ICP.sub("\n", rest)
        if "Security" in rest or "公网安备" in rest:
            for match in _SECURITY.finditer(rest):
                put("security_record", match.group("number") or _registration(match.group("zh")))
            rest = _SECURITY.sub("\n", rest)
        if "办" in rest or "运维" in rest or "技术支持" in rest:  # the labels of _SUFFIX
            for match in _SUFFIX.finditer(rest):
                put(_SUFFIX_FIELD[match.group("label")], match.group("value"))
            rest = _SUFFIX.sub("\n", rest)
        for chunk in _CHUNK_GAP.split(rest):
            _read_chunk(chunk.strip(), put, inside)
    if inside:
        put("copyright", inside[0], verbatim=True)
    return fields


class _Put(Protocol):
    def __call__(self, name: str, value: str, *, verbatim: bool = False) -> None: ...


def _read_chunk(chunk: str, put: _Put, inside: list[str]) -> None:
    if not chunk:
        return
    # Substring tests first, each for what a pattern cannot match without (see _may_label).
    labels = list(_LABEL_RE.finditer(chunk)) if _may_label(chunk) else []
    sign = "©" in chunk or "(c" in chunk or "(C" in chunk  # _OWNER_NOTICE, _CREDIT
    if sign and (owner_first := _OWNER_NOTICE.match(chunk)):
        # "BBC © 2014 非本网站内容BBC概不负责": the holder, the sign and the year are the notice;
        # what follows is another sentence.
        put("copyright", owner_first.group(0), verbatim=True)
    elif sign and _CREDIT.match(chunk):
        pass  # "© Foto: Johanna Link": a picture's credit, not the site's notice
    elif (chunk[0] in "Cc©(版" and _COPYRIGHT.match(chunk) and _NOTICE.search(chunk)) or (
        chunk.endswith("所有") and _ZH_COPYRIGHT_END.search(chunk)
    ):
        # The notice runs to the first label of another field ("中国日报版权所有" included).
        ends = [m.start() for m in labels if _field(m) != "copyright" and m.start() > 0]
        if tail := _LATIN_THEN_CJK.search(chunk):
            ends.append(tail.start())
        if reserved := _RESERVED.search(chunk):  # "… All rights reserved. Use of this site …"
            # (without the full stop, what follows may be the holder: "… Reserved AOL News.")
            ends.append(reserved.end())
        put("copyright", chunk[: min(ends)] if ends else chunk, verbatim=True)
    elif "©" in chunk and (notice := _NOTICE_INSIDE.search(chunk)):
        inside.append(notice.group(0))
    for i, match in enumerate(labels):
        end = labels[i + 1].start() if i + 1 < len(labels) else len(chunk)
        name = _field(match)
        if name == "copyright":
            put(name, chunk[match.start() : end], verbatim=True)
        elif name is not None:
            put(name, chunk[match.end() : end])


def _may_label(chunk: str) -> bool:
    """False only when ``_LABEL_RE`` cannot match: every label but the English ones that
    need no colon ("Hosted by", "Technical Support", "Website Identification Code", "Website
    Maintenance" …) has a colon or is Chinese. Only ASCII is tested by its lower case:
    IGNORECASE also matches letters that lower() leaves alone (the long s, the Kelvin sign)."""
    if ":" in chunk or "：" in chunk or not chunk.isascii():
        return True
    low = chunk.lower()
    return "by" in low or "support" in low or "code" in low or "maintenance" in low


def _field(match: re.Match[str]) -> str | None:
    """The field a label names, or None for a label of something else."""
    group = match.lastgroup or ""
    if group == "zh_run":
        run = match.group("zh_run")
        for name, pattern in _ZH_WHOLE_RE:
            if pattern.fullmatch(run):
                return name
        return None
    return group.split("_", 1)[1].rsplit("_", 1)[0]


def _tidy(value: str) -> str:
    value = value.strip(_TRIM)
    return _TRAILING_DOT.sub("", value).strip(_TRIM)


def _registration(text: str) -> str:
    """A registration number as one token: full-width digits and dashes made ASCII, runs of
    space made one, the bar some pages put after the province dropped."""
    text = unicodedata.normalize("NFKC", text).replace("—", "-")
    text = re.sub(r"\s*\|\s*(?=ICP)", "", text)
    return re.sub(r"\s+", " ", text).strip()
