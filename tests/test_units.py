"""Pure functions, table by table: URLs, dates, footers, encodings, HTML text, the models."""

from __future__ import annotations

import codecs
import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from selectolax.lexbor import LexborHTMLParser

from portal_archive._dates import find_labelled_date, parse_date
from portal_archive._encoding import decode_html
from portal_archive._footer import parse_footer
from portal_archive._html import clean_text, visible_lines
from portal_archive.models import Article, CrawlReport, Failure
from portal_archive.urls import (
    canonicalize_url,
    is_public_address,
    origin_of,
    path_and_query,
    rebase_url,
    resolve_link,
)

# -- urls ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.SC.gov.cn:443/a/b.shtml?utm_source=x#top", "https://www.sc.gov.cn/a/b.shtml"),
        ("http://Example.COM:80", "http://example.com/"),
        ("http://example.com", "http://example.com/"),
        ("https://example.com:8443/", "https://example.com:8443/"),
        ("http://example.com:443/", "http://example.com:443/"),
        ("http://example.com/Path/To/Page.HTML", "http://example.com/Path/To/Page.HTML"),
        ("http://example.com/p#section-2", "http://example.com/p"),
        (
            "http://example.com/p?id=7&utm_medium=email&utm_campaign=spring",
            "http://example.com/p?id=7",
        ),
        (
            "http://example.com/p?fbclid=abc&gclid=def&spm=1.2&from=timeline&isappinstalled=0",
            "http://example.com/p",
        ),
        ("http://example.com/p?b=2&a=1&a=3", "http://example.com/p?b=2&a=1&a=3"),
        ("http://example.com/p?q=&page=2", "http://example.com/p?q=&page=2"),
        ("http://example.com/p?utm=1&utmost=2", "http://example.com/p?utm=1&utmost=2"),
        ("http://example.com/p?", "http://example.com/p"),
        ("  http://example.com/p  ", "http://example.com/p"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("http://[2606:4700::1111]:8080/x", "http://[2606:4700::1111]:8080/x"),
    ],
    ids=[
        "doc-example",
        "default-port-no-path",
        "empty-path",
        "other-port-kept",
        "https-port-on-http-kept",
        "path-case-kept",
        "fragment",
        "utm-dropped",
        "other-trackers-dropped",
        "order-and-repeats-kept",
        "blank-value-kept",
        "utm-lookalikes-kept",
        "empty-query",
        "whitespace",
        "ipv6-default-port",
        "ipv6-other-port",
    ],
)
def test_canonicalize_url_table(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://WWW.SC.gov.cn:443/a/b.shtml?utm_source=x#top",
        "http://e.com/p?x=a%26b&y=%2B",
        "http://e.com/%E4%B8%AD?q=%E6%96%87",
        "http://e.com:8080",
    ],
    ids=["mixed", "escaped-query", "utf8-escapes", "port-no-path"],
)
def test_canonicalize_url_idempotent(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Portal.Test:80/a?b=1", "http://portal.test"),
        ("https://portal.test:8443/x", "https://portal.test:8443"),
    ],
    ids=["default-port", "other-port"],
)
def test_origin_of_table(url: str, expected: str) -> None:
    assert origin_of(url) == expected


PAGE = "http://s.gov.cn/d1/d2/page.html"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("a.html", "http://s.gov.cn/d1/d2/a.html"),
        ("../x/y.html", "http://s.gov.cn/d1/x/y.html"),
        ("../../../../top.html", "http://s.gov.cn/top.html"),
        ("/abs/p.shtml", "http://s.gov.cn/abs/p.shtml"),
        ("?page=2", "http://s.gov.cn/d1/d2/page.html?page=2"),
        ("  /abs?utm_medium=x#frag ", "http://s.gov.cn/abs"),
        ("//other.org/p", "http://other.org/p"),
        ("HTTPS://Other.ORG:443/p", "https://other.org/p"),
        ("javascript:void(0)", None),
        ("JavaScript:openWin('x')", None),
        ("  javascript:;", None),
        ("mailto:office@sc.gov.cn", None),
        ("tel:+86-28-1234", None),
        ("ftp://s.gov.cn/file", None),
        ("#top", None),
        ("#", None),
        ("", None),
        ("   ", None),
    ],
    ids=[
        "relative",
        "parent",
        "above-root",
        "absolute-path",
        "query-only",
        "tracking-and-fragment",
        "scheme-relative",
        "absolute-other-host",
        "javascript",
        "javascript-case",
        "javascript-space",
        "mailto",
        "tel",
        "ftp",
        "fragment-only",
        "bare-hash",
        "empty",
        "blank",
    ],
)
def test_resolve_link_table(href: str, expected: str | None) -> None:
    assert resolve_link(href, PAGE) == expected


@pytest.mark.parametrize(
    "href",
    ["http://s.gov.cn:99999/p", "http://[::1/p", "//s.gov.cn:abc/"],
    ids=["port-out-of-range", "unbalanced-bracket", "port-not-a-number"],
)
def test_resolve_link_malformed_href_is_none(href: str) -> None:
    assert resolve_link(href, PAGE) is None


@pytest.mark.parametrize(
    ("url", "origin", "expected"),
    [
        (
            "https://www.sc.gov.cn/a/b.shtml?x=1",
            "http://127.0.0.1:8000",
            "http://127.0.0.1:8000/a/b.shtml?x=1",
        ),
        (
            "https://www.sc.gov.cn/a/b.shtml",
            "http://127.0.0.1:8000/",
            "http://127.0.0.1:8000/a/b.shtml",
        ),
        (
            "http://127.0.0.1:8000/10462/index.shtml",
            "https://www.sc.gov.cn",
            "https://www.sc.gov.cn/10462/index.shtml",
        ),
        ("https://www.sc.gov.cn", "http://mirror.test", "http://mirror.test/"),
    ],
    ids=["to-mirror", "origin-trailing-slash", "back-to-site", "no-path"],
)
def test_rebase_url_table(url: str, origin: str, expected: str) -> None:
    assert rebase_url(url, origin) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://x.test", "/"),
        ("http://x.test/a/b.shtml", "/a/b.shtml"),
        ("http://x.test/a?b=1&c=2", "/a?b=1&c=2"),
        ("http://x.test/a?", "/a"),
        ("http://x.test/a#frag", "/a"),
    ],
    ids=["no-path", "path", "query", "empty-query", "fragment-dropped"],
)
def test_path_and_query_table(url: str, expected: str) -> None:
    assert path_and_query(url) == expected


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("127.8.9.10", False),
        ("10.0.0.5", False),
        ("10.255.1.2", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.5", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("not-an-ip", False),
        ("", False),
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("::ffff:93.184.216.34", True),
    ],
    ids=lambda v: str(v) if not isinstance(v, bool) else ("public" if v else "private"),
)
def test_is_public_address_table(address: str, public: bool) -> None:
    assert is_public_address(address) is public


# -- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Updated:2025.01.06", ("updated", date(2025, 1, 6))),
        ("Updated: 2020.07.24", ("updated", date(2020, 7, 24))),
        ("Last updated on 2019/12/31", ("updated", date(2019, 12, 31))),
        ("更新时间：2023-03-08", ("updated", date(2023, 3, 8))),
        ("发布时间：2017年04月22日 11时45分", ("published", date(2017, 4, 22))),
        ("2025-01-06 10:49:00", ("published", date(2025, 1, 6))),
        ("2025年1月6日", ("published", date(2025, 1, 6))),
        ("Release time: 2024-05-01", ("published", date(2024, 5, 1))),
        ("Published on 2024-05-01", ("published", date(2024, 5, 1))),
        ("日期：2023-1-5", ("published", date(2023, 1, 5))),
        ("  发布日期:2021-09-30  ", ("published", date(2021, 9, 30))),
        ("Date: 2020-02-29 Source: Xinhua", ("published", date(2020, 2, 29))),
        ("On December 26, 2024 the conference opened in Chengdu.", None),
        ("The 2024-05-01 meeting approved the plan for the whole province.", None),
        ("2024-05-01 news", None),
        ("2020-13-45", None),
        ("Updated: 2020-13-45", None),
        ("Date: 2023-02-29", None),
        ("Updated: " + "x" * 5 + " 2025-01-06 " + "y" * 180, None),
        ("x" * 90 + " 2025-01-06 " + "y" * 98, None),
        ("Updated: soon", None),
        ("", None),
    ],
    ids=[
        "updated-dots",
        "updated-space",
        "last-updated-on",
        "zh-updated",
        "zh-published-time",
        "date-time-line",
        "zh-date-only",
        "release-time",
        "published-on",
        "zh-date-short",
        "zh-padded",
        "date-with-source",
        "running-text-month-name",
        "running-text-iso",
        "date-then-words",
        "impossible",
        "labelled-impossible",
        "not-a-leap-year",
        "long-labelled",
        "long-200-chars",
        "label-no-date",
        "empty",
    ],
)
def test_find_labelled_date_table(line: str, expected: tuple[str, date] | None) -> None:
    assert find_labelled_date(line) == expected


def test_find_labelled_date_line_length_limit() -> None:
    line = "Updated: 2025-01-06 " + "x" * 100
    assert len(line) == 120
    assert find_labelled_date(line) == ("updated", date(2025, 1, 6))
    assert find_labelled_date(line + "x") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025.01.06", date(2025, 1, 6)),
        ("2025-1-6", date(2025, 1, 6)),
        ("2017年04月22日", date(2017, 4, 22)),
        ("20250106", date(2025, 1, 6)),
        ("2025-01-06T10:49:00+08:00", date(2025, 1, 6)),
        ("2020/07/24 10:00", date(2020, 7, 24)),
        ("2020-13-45 then 2021-01-02", date(2021, 1, 2)),
        ("2020-13-45", None),
        ("1850-01-01", None),
        ("On December 26, 2024", None),
        ("no date here", None),
        ("", None),
    ],
    ids=[
        "dots",
        "single-digits",
        "zh",
        "compact",
        "iso-datetime",
        "slashes",
        "skips-invalid",
        "impossible",
        "out-of-range-year",
        "month-name",
        "none",
        "empty",
    ],
)
def test_parse_date_table(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


# -- footer ----------------------------------------------------------------------------------

SEED_FOOTER = [
    "Hosted by: General Office of the People's Government of Sichuan Province",
    "Website Operation and Maintenance: China Telecom Sichuan Branch",
    "Website Identification Code: 5100000062 Sichuan ICP No. 13001288",
    "Sichuan Computer Information Network and Internet Security Record No. 51010402000507",
]
OLD_FOOTER = [
    "Copyright held by the General Office of Sichuan Provincial People\u2019s Government. "
    "All Rights Reserved.",
    "Technical Support: Sichuan Telecom.",
    "Website Maintenance: Sichuan Provincial E-Administration Extranet Center; Tel:86-2",
]
ZH_FOOTER = [
    "主办：四川省人民政府办公厅 承办：四川省大数据中心",
    "网站标识码：5100000062 蜀ICP备05003304号 川公网安备 51010402000507号",
]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            SEED_FOOTER,
            {
                "host": "General Office of the People's Government of Sichuan Province",
                "operator": "China Telecom Sichuan Branch",
                "site_id_code": "5100000062",
                "icp": "Sichuan ICP No. 13001288",
                "security_record": "51010402000507",
            },
        ),
        (
            OLD_FOOTER,
            {
                "copyright": OLD_FOOTER[0],
                "technical_support": "Sichuan Telecom",
                "operator": "Sichuan Provincial E-Administration Extranet Center",
                "phone": "86-2",
            },
        ),
        (
            ZH_FOOTER,
            {
                "host": "四川省人民政府办公厅",
                "organiser": "四川省大数据中心",
                "site_id_code": "5100000062",
                "icp": "蜀ICP备05003304号",
                "security_record": "川公网安备 51010402000507号",
            },
        ),
        (
            ["Address: No. 30 Duyuan Street, Chengdu Tel: 028-86601234 E-mail: web@sc.gov.cn"],
            {
                "address": "No. 30 Duyuan Street, Chengdu",
                "phone": "028-86601234",
                "email": "web@sc.gov.cn",
            },
        ),
        (["Hosted by: First Office", "Hosted by: Second Office"], {"host": "First Office"}),
        (["ICP备案号：蜀ICP备05003304号-1"], {"icp": "蜀ICP备05003304号-1"}),
        (["Telecom services for the whole province", "Phone book"], {}),
        ([], {}),
    ],
    ids=[
        "seed-english",
        "old-english",
        "chinese",
        "contact-line",
        "first-value-wins",
        "icp-suffix",
        "label-words-without-colon",
        "empty",
    ],
)
def test_parse_footer_table(lines: list[str], expected: dict[str, str]) -> None:
    assert parse_footer(lines) == expected


def test_parse_footer_telecom_is_not_a_phone_label() -> None:
    fields = parse_footer(["Technical Support: Sichuan Telecom."])
    assert fields == {"technical_support": "Sichuan Telecom"}
    assert "phone" not in fields


def test_parse_footer_registration_numbers_on_copyright_line() -> None:
    fields = parse_footer(
        ["版权所有：四川省人民政府办公厅 蜀ICP备05003304号 川公网安备 51010402000507号"]
    )
    assert fields["icp"] == "蜀ICP备05003304号"
    assert fields["security_record"] == "川公网安备 51010402000507号"


# -- encoding --------------------------------------------------------------------------------

NAMES_HTML = (
    '<html><head><meta charset="gb2312"><title>通知</title></head>'
    "<body><p>朱镕基同志、王喆同志出席会议。</p></body></html>"
)
HTTP_EQUIV = '<meta http-equiv="Content-Type" content="text/html; charset=gbk"><p>中文</p>'
BIG5 = '<meta charset="big5"><p>臺灣</p>'
LONG_ZH = (
    "<html><body><p>"
    + (
        "四川省人民政府办公厅关于印发《四川省数字政府建设工作要点》的通知。"
        "各市（州）人民政府，省政府各部门、各直属机构，有关单位："
        "经省政府同意，现将该文件印发给你们，请认真贯彻执行。"
    )
    * 3
    + "</p></body></html>"
)


@pytest.mark.parametrize(
    ("data", "header", "text", "encoding", "reason"),
    [
        (codecs.BOM_UTF8 + "<p>héllo 中文</p>".encode(), None, "<p>héllo 中文</p>", "utf-8", "bom"),
        (codecs.BOM_UTF8 + "<p>中文</p>".encode(), "gbk", "<p>中文</p>", "utf-8", "bom"),
        (
            codecs.BOM_UTF16_LE + "<p>中文</p>".encode("utf-16-le"),
            None,
            "<p>中文</p>",
            "utf-16-le",
            "bom",
        ),
        (NAMES_HTML.encode("gbk"), None, NAMES_HTML, "gb18030", "meta"),
        ("<p>中文内容</p>".encode("gbk"), "gbk", "<p>中文内容</p>", "gb18030", "http-header"),
        ("<p>中文内容</p>".encode("gbk"), "GB2312", "<p>中文内容</p>", "gb18030", "http-header"),
        (HTTP_EQUIV.encode("gbk"), None, HTTP_EQUIV, "gb18030", "meta"),
        (
            '<meta charset="utf-8"><p>中文</p>'.encode(),
            None,
            '<meta charset="utf-8"><p>中文</p>',
            "utf-8",
            "meta",
        ),
        ("<p>中文</p>".encode(), None, "<p>中文</p>", "utf-8", "utf-8"),
        (BIG5.encode("big5"), None, BIG5, "big5hkscs", "meta"),
        (b"<p>plain ascii</p>", None, "<p>plain ascii</p>", "ascii", "ascii"),
        (b"", None, "", "ascii", "ascii"),
    ],
    ids=[
        "utf8-bom",
        "bom-beats-header",
        "utf16-bom",
        "gb2312-meta-rare-names",
        "header-gbk",
        "header-gb2312-label",
        "http-equiv-meta",
        "meta-utf8",
        "undeclared-utf8",
        "big5-meta",
        "ascii",
        "empty",
    ],
)
def test_decode_html_table(
    data: bytes, header: str | None, text: str, encoding: str, reason: str
) -> None:
    assert decode_html(data, header)[:3] == (text, encoding, reason)


def test_decode_html_rare_names_need_gb18030() -> None:
    data = NAMES_HTML.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb2312")  # the trap the alias avoids
    text, encoding, _ = decode_html(data)[:3]
    assert "镕" in text and "喆" in text
    assert "\ufffd" not in text
    assert encoding == "gb18030"


@pytest.mark.parametrize(
    ("declaration", "header"),
    [('<meta charset="gb2312">', None), ("", "gbk"), ('<meta charset="iso-8859-1">', None)],
    ids=["meta-gb2312", "header-gbk", "meta-latin1"],
)
def test_decode_html_wrong_label_on_utf8_bytes_overruled(
    declaration: str, header: str | None
) -> None:
    html = declaration + "<p>四川省人民政府 朱镕基</p>"
    text, encoding, reason = decode_html(html.encode("utf-8"), header)[:3]
    assert (text, encoding) == (html, "utf-8")
    assert "does not fit" in reason


def test_decode_html_script_charset_ignored() -> None:
    html = (
        '<script charset="utf-8" src="/_static/wombat.js"></script>'
        "<meta charset=gb2312><p>四川省人民政府办公厅 王喆</p>"
    )
    assert decode_html(html.encode("gbk"))[:3] == (html, "gb18030", "meta")


def test_decode_html_undeclared_gbk_detected() -> None:
    text, encoding, reason = decode_html(LONG_ZH.encode("gbk"))[:3]
    assert text == LONG_ZH
    assert encoding == "gb18030"
    assert reason == "detected"


def test_decode_html_gbk_with_wrong_utf8_header_detected() -> None:
    text, encoding, reason = decode_html(LONG_ZH.encode("gbk"), "utf-8")[:3]
    assert (text, encoding, reason) == (LONG_ZH, "gb18030", "detected")


def test_decode_html_unknown_label_ignored() -> None:
    html = '<meta charset="no-such-charset"><p>中文</p>'
    assert decode_html(html.encode("utf-8"), "bogus")[:3] == (html, "utf-8", "utf-8")


# -- html text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  a \n\t b  ", "a b"),
        ("line one\r\nline two", "line one line two"),
        ("\u00a0\u00a0\u3000\u3000正文开始", "正文开始"),
        ("\u3000\u3000x\u3000", "x"),
        ("a\u00a0b", "a b"),
        ("中\u3000文", "中\u3000文"),
        ("\ufeff\u200bzero-width edge", "zero-width edge"),
        ("", ""),
        (" \u00a0 ", ""),
    ],
    ids=[
        "collapse",
        "crlf",
        "nbsp-and-ideographic-indent",
        "ideographic-both-ends",
        "inner-nbsp",
        "inner-ideographic-kept",
        "zero-width-edge",
        "empty",
        "only-space",
    ],
)
def test_clean_text_table(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def lines_of(html: str) -> list[str]:
    body = LexborHTMLParser(html).body
    assert body is not None
    return [line.text for line in visible_lines(body)]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>  one   two\n three </p>", ["one two three"]),
        ("<p>&nbsp;&nbsp;\u3000\u3000Indented paragraph</p>", ["Indented paragraph"]),
        ("<p>one<br>two<br/>three</p><p>four</p>", ["one", "two", "three", "four"]),
        (
            "<table><tr><td>A</td><td>B</td><td>C</td></tr><tr><th>x</th><td>y</td></tr></table>",
            ["A | B | C", "x | y"],
        ),
        ("<table><tr><td></td><td>B</td></tr></table>", ["B"]),
        (
            "<div>x<script>var secret = 1;</script><style>.hidden{}</style>y</div>"
            "<noscript>enable js</noscript><template><p>tpl</p></template>",
            ["xy"],
        ),
        ("<p>a <span>b</span> <b>c</b></p>", ["a b c"]),
        ("<ul><li>first</li><li>second</li></ul>", ["first", "second"]),
        ("<h1>Title</h1><div><p>Body</p></div>", ["Title", "Body"]),
        ("<p>   </p><p>\u3000</p>", []),
    ],
    ids=[
        "collapse",
        "nbsp-indent",
        "br",
        "table-cells",
        "empty-cell",
        "script-style-hidden",
        "inline",
        "list-items",
        "blocks",
        "blank-paragraphs",
    ],
)
def test_visible_lines_table(html: str, expected: list[str]) -> None:
    assert lines_of(html) == expected


def test_visible_lines_counts_link_text() -> None:
    body = LexborHTMLParser('<p>see <a href="/x">the link</a></p><p>plain</p>').body
    assert body is not None
    lines = visible_lines(body)
    assert [(line.text, line.link_chars) for line in lines] == [("see the link", 8), ("plain", 0)]
    assert lines[0].link_density == pytest.approx(8 / 12)
    assert lines[1].link_density == 0.0


def test_visible_lines_deep_nesting_no_recursion_error() -> None:
    html = "<div>" * 10000 + "deep text" + "</div>" * 10000
    assert lines_of(html) == ["deep text"]
    assert clean_text(" deep text ") == "deep text"


# -- models ----------------------------------------------------------------------------------

ARTICLE = Article(
    url="https://www.sc.gov.cn/10462/a.shtml",
    title="Sichuan and Chongqing Sign Cooperation Agreement",
    published=date(2020, 7, 24),
    updated=date(2020, 7, 25),
    paragraphs=("First paragraph.", "第二段。", "Third."),
    footer={"host": "General Office", "icp": "Sichuan ICP No. 13001288"},
    footer_lines=("Hosted by: General Office", "Sichuan ICP No. 13001288"),
    site="sichuan-en",
    language="en",
    encoding="utf-8",
)


def test_article_to_dict_shape() -> None:
    data = ARTICLE.to_dict()
    assert data["published"] == "2020-07-24"
    assert data["updated"] == "2020-07-25"
    assert data["paragraphs"] == ["First paragraph.", "第二段。", "Third."]
    assert data["body_text"] == "First paragraph.\n第二段。\nThird."
    assert data["footer_lines"] == ["Hosted by: General Office", "Sichuan ICP No. 13001288"]
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


@pytest.mark.parametrize(
    "article",
    [
        ARTICLE,
        Article(url=None, title=None),
        replace(ARTICLE, published=None, updated=None, footer={}, paragraphs=()),
    ],
    ids=["full", "empty", "no-dates"],
)
def test_article_round_trip(article: Article) -> None:
    data = json.loads(json.dumps(article.to_dict(), ensure_ascii=False))
    again = Article.from_dict(data)
    assert again == article
    assert again.to_dict() == article.to_dict()


def test_article_from_dict_ignores_body_text_and_tolerates_missing_keys() -> None:
    data = ARTICLE.to_dict()
    data["body_text"] = "something else entirely"
    assert Article.from_dict(data).body_text == ARTICLE.body_text
    minimal = Article.from_dict({"title": "Only a title", "published": ""})
    assert minimal == Article(url=None, title="Only a title")


@pytest.mark.parametrize(
    ("paragraphs", "body_text"),
    [(("one",), "one"), (("one", "two", "three"), "one\ntwo\nthree"), ((), "")],
    ids=["single", "several", "none"],
)
def test_article_body_text_joins_paragraphs(paragraphs: tuple[str, ...], body_text: str) -> None:
    assert Article(url=None, title="t", paragraphs=paragraphs).body_text == body_text


@pytest.mark.parametrize(
    ("other", "same"),
    [
        (replace(ARTICLE), True),
        (replace(ARTICLE, encoding="gb18030"), True),
        (replace(ARTICLE, url="http://127.0.0.1:8000/10462/a.shtml"), True),
        (replace(ARTICLE, paragraphs=("First paragraph.", "第二段！", "Third.")), False),
        (replace(ARTICLE, paragraphs=ARTICLE.paragraphs[:2]), False),
        (replace(ARTICLE, title="Another title"), False),
        (replace(ARTICLE, updated=date(2021, 1, 1)), False),
        (replace(ARTICLE, footer={"host": "Another office"}), False),
    ],
    ids=[
        "equal",
        "encoding-ignored",
        "url-ignored",
        "one-paragraph-changed",
        "paragraph-dropped",
        "title-changed",
        "updated-changed",
        "footer-changed",
    ],
)
def test_article_content_hash(other: Article, same: bool) -> None:
    assert (other.content_hash == ARTICLE.content_hash) is same
    assert len(ARTICLE.content_hash) == 64


@pytest.mark.parametrize(
    ("failures", "blocked", "code"),
    [(0, False, 0), (1, False, 1), (3, False, 1), (0, True, 3), (2, True, 3)],
    ids=["clean", "one-failure", "failures", "blocked", "blocked-with-failures"],
)
def test_crawl_report_exit_code(failures: int, blocked: bool, code: int) -> None:
    report = CrawlReport(
        site="sichuan-en", started_at=datetime(2025, 1, 6, tzinfo=UTC), blocked=blocked
    )
    report.failures.extend(
        Failure(f"https://x/{i}", "not_found", "HTTP 404", 404) for i in range(failures)
    )
    assert report.exit_code == code
    assert report.to_dict()["exit_code"] == code
