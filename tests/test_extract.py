"""The extractor on the offline mirror: whole-Article goldens, the seed article, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portal_archive import Article, ParseError, extract, load_profile
from portal_archive.extract import Document, extract_article

from .conftest import FIXTURES, SITE

PROFILE = load_profile("sichuan-en")
GOLDEN = FIXTURES / "golden" / "sichuan-en"
SEED_PATH = "/10462/10758/10760/10765/2025/1/6/5c1d3f0e8a7b4b2c9e6f1a2b3c4d5e6f.shtml"


def _mirror_articles() -> list[tuple[str, Path]]:
    cases = []
    for path in sorted(SITE.rglob("*.shtml")):
        url = PROFILE.origin + "/" + path.relative_to(SITE).as_posix()
        if PROFILE.is_article(url):
            cases.append((url, path))
    return cases


ARTICLES = _mirror_articles()


def _golden_path(url: str) -> Path:
    return GOLDEN / (url.rsplit("/", 1)[1].removesuffix(".shtml") + ".json")


def _dump(article: Article) -> str:
    return json.dumps(article.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def test_mirror_has_enough_articles() -> None:
    assert len(ARTICLES) >= 25
    news = [u for u, _ in ARTICLES if "/10462/10758/10760/10765/" in u]
    assert len(news) >= 20


@pytest.mark.parametrize(("url", "path"), ARTICLES, ids=[u.rsplit("/", 1)[1] for u, _ in ARTICLES])
def test_extract_matches_golden(url: str, path: Path, update_golden: bool) -> None:
    article = extract(path.read_bytes(), url)
    golden = _golden_path(url)
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(_dump(article), "utf-8")
    assert golden.exists(), f"no golden for {url}: run pytest --update-golden and review it"
    assert _dump(article) == golden.read_text("utf-8")


@pytest.mark.parametrize(("url", "path"), ARTICLES, ids=[u.rsplit("/", 1)[1] for u, _ in ARTICLES])
def test_generic_rules_agree_with_profile(url: str, path: Path) -> None:
    """With no selectors at all, the generic rules find the same article."""
    expected = json.loads(_golden_path(url).read_text("utf-8"))
    generic = extract_article(Document.from_bytes(path.read_bytes(), url=url), None).to_dict()
    for key in ("title", "published", "updated", "paragraphs", "footer", "footer_lines"):
        assert generic[key] == expected[key], key
    assert generic["site"] is None


def _seed() -> tuple[list[str], list[str], list[str]]:
    lines = (
        (FIXTURES / "seed" / "sichuan-social-work-2025-01-06.txt").read_text("utf-8").splitlines()
    )
    title_at = next(i for i, line in enumerate(lines) if line.startswith("The CPC Sichuan"))
    nav = [line.strip() for line in lines[:title_at] if line.strip()]
    footer_at = next(i for i, line in enumerate(lines) if line.startswith("Hosted by:"))
    body = [line for line in lines[title_at + 2 : footer_at] if len(line.strip()) > 40]
    return nav, body, lines[footer_at:]


def test_seed_article_is_exact() -> None:
    nav, body, footer = _seed()
    article = extract((SITE / SEED_PATH.lstrip("/")).read_bytes(), PROFILE.origin + SEED_PATH)
    assert (
        article.title
        == "The CPC Sichuan Provincial Committee Conference on Social Work Held in Chengdu"
    )
    assert article.updated is not None and article.updated.isoformat() == "2025-01-06"
    assert list(article.paragraphs) == body
    assert len(article.paragraphs) == 10
    assert list(article.footer_lines) == footer
    text = article.body_text
    for line in nav + footer + ["Updated:2025.01.06"]:
        if line not in {"?", "???"}:
            assert line not in article.paragraphs
    assert "?" not in "".join(article.footer_lines) and "\ufffd" not in text
    assert "Updated" not in text
    assert article.footer == {
        "host": "General Office of the People's Government of Sichuan Province",
        "operator": "China Telecom Sichuan Branch",
        "site_id_code": "5100000062",
        "icp": "Sichuan ICP No. 13001288",
        "security_record": "51010402000507",
    }


def test_old_template_gbk_page_keeps_every_character() -> None:
    path = SITE / "10462/10758/10760/10765/2017/12/28/10441831.shtml"
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the page really is GB-encoded
    article = extract(raw, PROFILE.origin + "/10462/10758/10760/10765/2017/12/28/10441831.shtml")
    assert article.encoding == "gb18030"
    assert "People’s Government" in article.title
    assert article.footer["copyright"].startswith("Copyright held by the General Office")
    assert article.footer["technical_support"] == "Sichuan Telecom"
    assert "\ufffd" not in article.body_text and "?" not in article.title


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty document"),
        (b"   \n\t ", "empty document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        (b"%PDF-1.4\n\x00\x01\x02\x03 stream", "binary"),
        (b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "no article text"),
    ],
    ids=["empty", "whitespace", "png", "pdf", "no-text"],
)
def test_extract_rejects_bad_input_with_parse_error(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        extract(data)


def test_extract_accepts_str_and_bytes_alike() -> None:
    path = SITE / SEED_PATH.lstrip("/")
    url = PROFILE.origin + SEED_PATH
    assert (
        extract(path.read_text("utf-8"), url).paragraphs
        == extract(path.read_bytes(), url).paragraphs
    )


@pytest.mark.parametrize(
    ("data", "kept"),
    [
        ("<p>héllo 中文</p>".encode(), True),  # valid UTF-8: the bytes are the parser's input
        (b"<p>plain</p>", True),
        ('<meta charset="gbk"><p>中文</p>'.encode(), True),  # a lying label, UTF-8 bytes
        ('<meta charset="gbk"><p>中文</p>'.encode("gbk"), False),  # decoded from GBK
        (b"\xef\xbb\xbf<p>bom</p>", False),  # the mark is not part of the text
        (b"<p>broken \xff\xfe byte" + "中文".encode() * 40 + b"</p>", False),  # replaced
    ],
    ids=["utf-8", "ascii", "lying-label", "gbk", "bom", "replaced"],
)
def test_document_keeps_the_bytes_only_when_they_are_its_utf8(data: bytes, kept: bool) -> None:
    document = Document.from_bytes(data)
    assert (document.utf8 is not None) is kept
    if document.utf8 is not None:
        assert document.utf8.decode("utf-8") == document.text
    # Either way the tree holds the decoded text, character for character.
    assert "\ufffd" not in document.tree().body.text() or not kept


def test_a_str_with_a_lone_surrogate_still_parses() -> None:
    document = Document.from_bytes("<p>before \ud800 after</p>")
    assert document.tree().body.text() == "before  after"


def test_scripts_styles_and_frames_never_reach_the_text() -> None:
    page = (
        "<html><head><script>var head = 1;</script></head><body><h1>Title here</h1>"
        "<p>Body text of the article, long enough to count as a paragraph of prose.</p>"
        "<script>var x = 'script text';</script><style>p { color: red }</style>"
        "<noscript>Enable JavaScript</noscript><template><p>template text</p></template>"
        "<iframe>frame text</iframe><svg><text>svg text</text></svg>"
        "<p>A second paragraph of the article, with enough words to be kept too.</p>"
        "</body></html>"
    )
    document = Document.from_bytes(page)
    tree = document.tree()
    article = extract_article(document, tree=tree)
    assert article.paragraphs == (
        "Body text of the article, long enough to count as a paragraph of prose.",
        "A second paragraph of the article, with enough words to be kept too.",
    )
    # Gone from the tree the later readers query (node.text() would return their text).
    assert tree.body.css("script, style, noscript, template, iframe, svg") == []


def test_extract_without_url_uses_generic_rules() -> None:
    article = extract((SITE / SEED_PATH.lstrip("/")).read_bytes())
    assert article.site is None and article.url is None
    assert len(article.paragraphs) == 10


def test_article_to_dict_contract() -> None:
    article = extract((SITE / SEED_PATH.lstrip("/")).read_bytes(), PROFILE.origin + SEED_PATH)
    data = article.to_dict()
    for key in (
        "url",
        "title",
        "published",
        "updated",
        "paragraphs",
        "body_text",
        "footer",
        "footer_lines",
    ):
        assert key in data
    assert data["body_text"] == "\n".join(data["paragraphs"])
    assert isinstance(data["footer"], dict) and isinstance(data["footer_lines"], list)
    assert data["updated"] == "2025-01-06"
    assert Article.from_dict(data) == article


def test_links_resolve_against_the_page_url() -> None:
    listing = SITE / "10462/10758/10760/10765/index.shtml"
    doc = Document.from_bytes(
        listing.read_bytes(), url=PROFILE.origin + "/10462/10758/10760/10765/index.shtml"
    )
    links = doc.links()
    assert PROFILE.origin + SEED_PATH in links
    assert PROFILE.origin + "/10462/10758/10760/10765/index_1.shtml" in links
    assert not any(link.startswith(("javascript", "mailto")) for link in links)


NOTICE_NAV = "<ul>" + "".join(f"<li><a href='/s{i}'>栏目{i}</a></li>" for i in range(8)) + "</ul>"


def _notice(content: str) -> bytes:
    return (
        "<html><head><meta charset='utf-8'><title>关于印发某某办法的通知_某省人民政府</title>"
        "<meta name='PubDate' content='2025-01-06 10:49'></head><body>"
        f"{NOTICE_NAV}<h1>关于印发某某办法的通知</h1><div class='content'>{content}</div>"
        "<div class='footer'>主办：某省人民政府办公厅</div></body></html>"
    ).encode()


def test_a_notice_that_is_only_its_attached_file_is_kept_with_the_file() -> None:
    # Government portals publish decrees as a scan or a PDF with one "附件：" line: no
    # paragraph, yet a release with a title, a date and the file itself.
    url = "https://www.example.gov.cn/art/2025/1/6/x.html"
    article = extract(_notice("<p>附件：<a href='/files/a.pdf'>某某办法.pdf</a></p>"), url)
    assert article.title == "关于印发某某办法的通知"
    assert article.published is not None and article.published.isoformat() == "2025-01-06"
    assert [(a.url, a.text, a.type) for a in article.attachments] == [
        ("https://www.example.gov.cn/files/a.pdf", "某某办法.pdf", "pdf")
    ]
    assert article.paragraphs == ()
    assert article.footer_lines == ("主办：某省人民政府办公厅",)


def test_a_page_without_text_or_files_is_still_no_article_and_the_footer_is_no_body() -> None:
    with pytest.raises(ParseError, match="no article text"):
        extract(_notice("<p><a href='/more'>更多</a></p>"), "https://www.example.gov.cn/x.html")


def test_a_date_inside_chrome_the_profile_removes_is_not_the_pages() -> None:
    # sichuan-en removes ".related": the microdata date of a linked story in it says
    # nothing about this page.
    html = (
        "<html><head><title>Rural roads</title></head><body><h1>Rural roads</h1>"
        "<div class='content'><p>" + "The province builds rural roads. " * 6 + "</p></div>"
        "<div class='related'><span itemprop='datePublished'>2019-01-01</span>"
        "<a href='/x'>An older story</a></div></body></html>"
    )
    article = extract(html.encode(), None, profile=PROFILE)
    assert article.published is None and article.updated is None


def test_a_file_in_the_sites_menu_does_not_make_a_page_a_notice() -> None:
    # With no article block, files are looked for on the whole page, but not in its chrome.
    menu = "<nav><a href='/files/guide.pdf'>办事指南.pdf</a></nav>"
    with pytest.raises(ParseError, match="no article text"):
        extract(_notice(menu), "https://www.example.gov.cn/x.html")


def test_a_url_that_is_not_one_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not a valid URL"):
        extract(b"<h1>Title</h1><p>" + b"Body text of the article. " * 3 + b"</p>", "http://[::1/x")
