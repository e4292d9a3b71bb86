"""Attachments and images of the article body, one rule per test."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from portal_archive._media import page_base, read_attachments, read_images
from portal_archive.models import Attachment, Image

PAGE = "https://www.example.gov.cn/col/2024/1/2/a.html"


def _body(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(f"<html><body><div id=b>{html}</div></body></html>")


def _images(html: str, base: str = PAGE) -> tuple[Image, ...]:
    return read_images(_body(html).css_first("#b"), base)


def test_attachments_by_extension_once_each() -> None:
    tree = _body(
        '<a href="files/plan.pdf">实施方案</a><a href="/d/表.xlsx">附件2</a>'
        '<a href="files/plan.pdf">again</a><a href="page.html">not a file</a>'
    )
    assert read_attachments(tree.css_first("#b"), PAGE) == (
        Attachment("https://www.example.gov.cn/col/2024/1/2/files/plan.pdf", "实施方案", "pdf"),
        Attachment("https://www.example.gov.cn/d/表.xlsx", "附件2", "xlsx"),
    )


def test_image_url_resolves_against_the_base() -> None:
    tree = LexborHTMLParser('<head><base href="https://cdn.example.gov.cn/x/"></head>')
    base = page_base(tree, PAGE)
    assert base == "https://cdn.example.gov.cn/x/"
    assert _images('<img src="p/1.jpg" width="600">', base or "") == (
        Image("https://cdn.example.gov.cn/x/p/1.jpg"),
    )


def test_lazy_loaded_image_uses_its_data_src() -> None:
    html = '<img src="data:image/gif;base64,R0lGOD" data-src="/u/photo.jpg">'
    assert _images(html) == (Image("https://www.example.gov.cn/u/photo.jpg"),)


def test_caption_from_figcaption() -> None:
    html = '<figure><img src="/a.jpg" alt="alt text"><figcaption>图为会议现场</figcaption></figure>'
    assert _images(html)[0].caption == "图为会议现场"


def test_caption_from_a_centred_line_after_the_image() -> None:
    html = (
        '<p style="text-align:center"><img src="/a.jpg"></p>'
        '<p style="text-align: center">省政府常务会议现场</p><p>' + "正文。" * 40 + "</p>"
    )
    assert _images(html)[0].caption == "省政府常务会议现场"


def test_long_paragraph_after_the_image_is_not_a_caption() -> None:
    html = '<p><img src="/a.jpg"></p><p style="text-align:center">' + "正文内容。" * 30 + "</p>"
    assert _images(html)[0].caption is None


def test_plain_paragraph_after_the_image_is_not_a_caption() -> None:
    html = '<p><img src="/a.jpg"></p><p>On December 26, the conference was held.</p>'
    assert _images(html)[0].caption is None


def test_caption_from_alt_text() -> None:
    assert _images('<img src="/a.jpg" alt="Chengdu skyline">')[0].caption == "Chengdu skyline"


def test_placeholder_alt_is_no_caption() -> None:
    assert _images('<img src="/a.jpg" alt="图片">')[0].caption is None


def test_tracking_pixel_and_icons_are_skipped() -> None:
    html = (
        '<img src="/stat.gif" width="1" height="1"><img src="/i/print.png" width="16" height="16">'
        '<img src="/images/spacer.gif"><img src="/p/real.jpg" width="640" height="480">'
    )
    assert _images(html) == (Image("https://www.example.gov.cn/p/real.jpg"),)


def test_no_body_no_images() -> None:
    assert read_images(None, PAGE) == ()


def test_attachment_found_whatever_the_href_carries_around_the_extension() -> None:
    # A query after the file name, and a newline typed inside the href (browsers and
    # urlsplit drop it), still name a pdf; a link to another page does not.
    tree = _body(
        '<a href="files/plan.pdf?download=1">方案</a><a href="files/re\nport.pdf">报告</a>'
        '<a href="?page=2">下一页</a><a href="list.html#plan.pdf">列表</a>'
    )
    assert read_attachments(tree.css_first("#b"), PAGE) == (
        Attachment(
            "https://www.example.gov.cn/col/2024/1/2/files/plan.pdf?download=1", "方案", "pdf"
        ),
        Attachment("https://www.example.gov.cn/col/2024/1/2/files/report.pdf", "报告", "pdf"),
    )
