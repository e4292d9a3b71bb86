"""Decoding raw bytes, one rule per test (small byte strings; the table of the basic rules is
in test_units.py)."""

from __future__ import annotations

import pytest

from portal_archive import extract
from portal_archive._encoding import decode_html

ZH = "<p>四川省人民政府办公厅 朱镕基 王喆</p>"


def test_wayback_script_charset_before_the_meta_is_ignored() -> None:
    # The Hebei Xinhua page in trafilatura's eval set: the toolbar's <script charset="utf-8">
    # comes first, the page's own <meta … charset=gb2312> after it.
    html = (
        '<script type="text/javascript" src="/_static/js/ait-client.js" charset="utf-8"></script>'
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' + ZH
    )
    assert decode_html(html.encode("gb18030"))[:3] == (html, "gb18030", "meta")


def test_gb2312_label_on_utf8_bytes_names_the_label_as_written() -> None:
    # readability's "qq" page: declares gb2312, its bytes are UTF-8.
    html = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' + ZH
    assert decode_html(html.encode("utf-8"))[:3] == (
        html,
        "utf-8",
        "utf-8 (declared gb2312 does not fit)",
    )


def test_header_charset_beats_a_wrong_meta() -> None:
    html = '<meta charset="iso-8859-1">' + ZH
    text, encoding, reason = decode_html(html.encode("gb18030"), "GBK")[:3]
    assert (text, encoding, reason) == (html, "gb18030", "http-header")


def test_gbk_characters_outside_gb2312_survive() -> None:
    html = '<meta charset="gb2312"><p>镕喆玥</p>'
    text, encoding, _ = decode_html(html.encode("gb18030"))[:3]
    assert text == html and encoding == "gb18030"


def test_utf8_page_with_one_latin1_letter_keeps_the_letter() -> None:
    # der-erfolg-gibt-recht.de: UTF-8 page, one alt text typed in Latin-1 ("K\xfcchenblogs").
    text = "<p>Grüße aus München, schöne Äpfel</p>" * 5
    data = ('<meta charset="utf-8">' + text).encode() + (b'<img alt="K\xfcchenblogs">')
    text, encoding, reason = decode_html(data)[:3]
    assert encoding == "utf-8"
    assert "Küchenblogs" in text and "München" in text
    assert reason == "meta (1 undecodable bytes)"
    assert "\ufffd" not in text


def test_cut_multibyte_sequence_becomes_one_replacement() -> None:
    # A teaser cut inside a character ("papieros\xc3..."): there is no character to keep.
    data = (
        '<meta charset="utf-8"><p>Zażółć gęślą jaźń, papierosów</p>'.encode()
        + b"<p>papieros\xc3...</p>"
    )
    text, encoding, _ = decode_html(data)[:3]
    assert encoding == "utf-8"
    assert text.count("\ufffd") == 1 and "Zażółć" in text


def test_latin1_page_without_declaration_is_not_read_as_utf8() -> None:
    data = ("<p>" + "Grüße aus München. " * 20 + "</p>").encode("cp1252")
    text, encoding, _ = decode_html(data)[:3]
    assert "Grüße" in text and encoding != "utf-8"


def test_no_question_mark_or_replacement_in_extracted_gbk_page() -> None:
    body = "<p>" + "四川省人民政府办公厅关于印发通知，朱镕基同志、王喆同志出席。" * 3 + "</p>"
    html = (
        '<html><head><meta charset="gbk"><title>通知</title></head><body>' + body + "</body></html>"
    )
    article = extract(html.encode("gbk"))
    assert article.encoding == "gb18030" and article.encoding_reason == "meta"
    assert "?" not in article.body_text and "\ufffd" not in article.body_text
    assert "镕" in article.body_text


@pytest.mark.parametrize(
    ("data", "strict"),
    [
        (("<meta charset='gbk'>" + ZH).encode("gb18030"), True),
        (("<p>" + ZH).encode("utf-8"), True),
        (b"<p>plain ascii</p>", True),
        (b"\xef\xbb\xbf<p>" + ZH.encode("utf-8"), False),  # the BOM is cut off
        (("<p>" + ZH * 20).encode("utf-8") + b"\xff", False),  # one byte replaced
    ],
    ids=["gbk", "utf-8", "ascii", "bom", "one-broken-byte"],
)
def test_decode_html_says_whether_every_byte_decoded_strictly(data: bytes, strict: bool) -> None:
    decoded = decode_html(data)
    assert decoded.strict is strict
    if strict:
        assert decoded.text.encode(decoded.encoding) == data
