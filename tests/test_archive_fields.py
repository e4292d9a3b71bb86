"""Every Article field survives the archive, and several writes can share one transaction."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from portal_archive import Archive, ArchiveError, Article, Page
from portal_archive._search import prepare
from portal_archive.archive import _article_to_row
from portal_archive.exchange import export_jsonl
from portal_archive.models import Attachment, Image, Link

URL = "https://www.sc.gov.cn/10462/c102914/2025/1/6/full.shtml"


def page(url: str, body: bytes = b"<html>x</html>", day: int = 7) -> Page:
    return Page(
        url=url,
        fetch_url=url,
        final_url=url,
        status=200,
        headers=(("content-type", "text/html; charset=utf-8"),),
        body=body,
        fetched_at=datetime(2025, 1, day, tzinfo=UTC),
    )


def full_article(url: str = URL, **changes: object) -> Article:
    """An Article with every field set, Chinese and English, to non-default values."""
    fields: dict[str, object] = {
        "url": url,
        "title": "四川省人民政府关于乡村振兴的通知",
        "published": date(2025, 1, 6),
        "updated": date(2025, 1, 8),
        "paragraphs": ("各市（州）人民政府：", "Rural revitalisation is a priority.", "特此通知。"),
        "footer": {"host": "四川省人民政府办公厅", "icp": "蜀ICP备13001288号"},
        "footer_lines": ("主办单位：四川省人民政府办公厅", "蜀ICP备13001288号"),
        "site": "sichuan-zh",
        "language": "zh",
        "encoding": "gb18030",
        "column": "政务公开",
        "source": "四川省人民政府办公厅",
        "attachments": (Attachment("https://www.sc.gov.cn/f/plan.pdf", "实施方案", "pdf"),),
        "subtitle": "川府发〔2025〕1号",
        "published_source": "meta:PubDate",
        "published_raw": "2025-01-06 10:00",
        "updated_source": "label:更新时间",
        "updated_raw": "更新时间：2025年1月8日",
        "author": "张三",
        "images": (
            Image("https://www.sc.gov.cn/img/1.jpg", "成都平原的春耕"),
            Image("https://www.sc.gov.cn/img/2.png", None),
        ),
        "document": {
            "index_number": "11510000008186018Y/2025-00001",
            "document_number": "川府发〔2025〕1号",
            "issuing_body": "四川省人民政府",
            "written_date": "2025-01-03",
        },
        "encoding_reason": "meta",
    }
    fields.update(changes)
    return Article(**fields)  # type: ignore[arg-type]


def test_every_field_round_trips_through_save_and_get(tmp_path: Path) -> None:
    article = full_article()
    defaults = Article(url=URL, title=None)
    # The test means what it says only while every field differs from its default.
    assert all(
        value != defaults.to_dict()[key] for key, value in article.to_dict().items() if key != "url"
    )
    with Archive.open(tmp_path / "a.db") as archive:
        assert archive.save_article(page(URL), article) == "new"
    with Archive.open(tmp_path / "a.db", readonly=True) as archive:
        stored = archive.get_article(URL)
        assert stored is not None
        assert stored.article == article
        assert stored.article.to_dict() == article.to_dict()
        assert [s.article for s in archive.iter_articles()] == [article]
        assert [s.article for s in archive.list_articles()] == [article]
        [version] = archive.versions(stored.id)
        assert version.article == article


def test_every_field_of_a_later_version_is_kept_apart() -> None:
    archive = Archive.memory()
    first = full_article()
    second = full_article(
        author="李四",
        images=(Image("https://www.sc.gov.cn/img/3.jpg", "新图"),),
        document={"document_number": "川府发〔2025〕2号"},
        subtitle=None,
        published_raw="2025-01-06",
        encoding_reason="http-header",
    )
    assert archive.save_article(page(URL), first) == "new"
    assert archive.save_article(page(URL, b"<html>y</html>", day=9), second) == "changed"
    stored = archive.get_article(URL)
    assert stored is not None and stored.article == second and stored.version == 2
    assert [v.article for v in archive.versions(stored.id)] == [first, second]
    assert [v.article.to_dict() for v in archive.versions(stored.id)] == [
        first.to_dict(),
        second.to_dict(),
    ]


def test_provenance_alone_does_not_make_a_version() -> None:
    """Where a date was read is not what the article says (``Article.content_hash``)."""
    archive = Archive.memory()
    archive.save_article(page(URL), full_article())
    moved = full_article(published_source="json-ld:datePublished", encoding_reason="bom")
    assert archive.save_article(page(URL), moved) == "unchanged"
    stored = archive.get_article(URL)
    assert stored is not None and stored.article.published_source == "meta:PubDate"


def test_jsonl_export_carries_every_field(tmp_path: Path) -> None:
    archive = Archive.memory()
    archive.save_article(page(URL), full_article())
    out = tmp_path / "a.jsonl"
    assert export_jsonl(archive, out) == 1
    [line] = out.read_text("utf-8").splitlines()
    data = json.loads(line)
    assert Article.from_dict(data) == full_article()


# -- several writes in one transaction ---------------------------------------------------------


def _url(i: int) -> str:
    return f"https://www.sc.gov.cn/10462/10758/{i}.shtml"


def _simple(i: int, text: str = "social work", day: int = 1) -> Article:
    return Article(
        url=_url(i),
        title=f"Article {i}",
        published=date(2025, 1, day),
        paragraphs=(f"{text} {i}",),
        site="test",
    )


def test_saves_and_completed_links_share_one_transaction() -> None:
    archive = Archive.memory()
    points: list[str] = []
    archive.write_hook = points.append
    with archive.transaction():
        # Dates out of order: the search rows are written sorted at the commit.
        for i, day in enumerate((9, 3, 27, 1, 14), start=1):
            archive.complete_link(
                "test", Link(_url(i), "article"), page=page(_url(i)), article=_simple(i, day=day)
            )
            archive.save_article(page(_url(i + 10)), _simple(i + 10, day=day))
        assert points.count("before_commit") == 0  # nothing committed yet
        assert archive.conn.in_transaction
    assert points.count("before_commit") == points.count("after_commit") == 1
    assert points.count("article_saved") == points.count("links_added") == 5
    assert archive.count_articles() == 10
    hits = archive.search("social", limit=50)
    assert [h.published for h in hits] == sorted((h.published for h in hits), reverse=True)
    assert len(hits) == 10
    assert archive.conn.execute("SELECT count(*) FROM articles_search").fetchone()[0] == 10


def test_a_failing_inner_write_is_undone_alone() -> None:
    archive = Archive.memory()
    with archive.transaction():
        archive.save_article(page(_url(1)), _simple(1))
        with pytest.raises(ArchiveError):
            archive.save_article(page(_url(2)), Article(url=None, title="no URL"))
        with pytest.raises(RuntimeError), archive.transaction():
            archive.save_article(page(_url(3)), _simple(3))
            raise RuntimeError("the caller gave up on this URL")
        archive.save_article(page(_url(4)), _simple(4))
    assert {s.article.url for s in archive.iter_articles()} == {_url(1), _url(4)}
    assert sorted(h.url for h in archive.search("social")) == [_url(1), _url(4)]
    # URL 3's page, written before the caller gave up, is undone with its article (URL 2 was
    # refused before anything was written: the group goes on after it).
    assert archive.counts()["pages"] == 2


def test_a_failing_outer_transaction_stores_nothing() -> None:
    archive = Archive.memory()
    with pytest.raises(RuntimeError), archive.transaction():
        archive.save_article(page(_url(1)), _simple(1))
        archive.save_article(page(_url(2)), _simple(2))
        raise RuntimeError("killed")
    assert archive.count_articles() == 0 and archive.counts()["pages"] == 0
    assert archive.conn.execute("SELECT count(*) FROM articles_search").fetchone()[0] == 0
    archive.save_article(page(_url(1)), _simple(1))  # the archive is usable afterwards
    assert [h.url for h in archive.search("social")] == [_url(1)]


def test_an_article_changed_twice_in_one_transaction_is_indexed_once() -> None:
    archive = Archive.memory()
    archive.save_article(page(_url(1)), _simple(1, "first words"))
    with archive.transaction():
        archive.save_article(page(_url(1), b"<html>2</html>"), _simple(1, "second words", day=2))
        with pytest.raises(RuntimeError), archive.transaction():
            archive.save_article(page(_url(1), b"<html>3</html>"), _simple(1, "third", day=3))
            raise RuntimeError("rolled back")
        archive.save_article(page(_url(1), b"<html>4</html>"), _simple(1, "fourth words", day=4))
    assert archive.conn.execute("SELECT count(*) FROM articles_search").fetchone()[0] == 1
    assert [h.url for h in archive.search("fourth")] == [_url(1)]
    assert archive.search("second") == [] and archive.search("first") == []
    assert archive.search("third") == []
    stored = archive.get_article(_url(1))
    assert stored is not None and stored.version == 3
    assert [v.article.paragraphs for v in archive.versions(stored.id)] == [
        ("first words 1",),
        ("second words 1",),
        ("fourth words 1",),
    ]


def test_save_articles_indexes_a_batch_in_any_order() -> None:
    archive = Archive.memory()
    days = [17, 2, 30, 9, 9, 21, 5]
    items = [(page(_url(i)), _simple(i, day=d)) for i, d in enumerate(days, start=1)]
    assert archive.save_articles(items) == ["new"] * len(days)
    assert [h.published for h in archive.search("social", limit=50)] == [
        date(2025, 1, d).isoformat() for d in sorted(days, reverse=True)
    ]
    rowids = [r[0] for r in archive.conn.execute("SELECT search_rowid FROM articles ORDER BY id")]
    fts = {r[0] for r in archive.conn.execute("SELECT rowid FROM articles_search")}
    assert set(rowids) == fts and len(fts) == len(days)


@pytest.mark.parametrize(
    "article",
    [
        full_article(),
        Article(url=URL, title=None),
        Article(url=URL, title="t", paragraphs=()),
        full_article(subtitle="", author=None, images=(), document={}),
        full_article(
            paragraphs=(
                'Quotes " and \\ backslashes',
                "a line\nbreak inside, a tab\t, a bell \x07 and \u2028",
                "",
                "emoji 🐼 and 𠀀 (astral), lone surrogate-free",
            ),
            footer={"z": "last", "a": "first"},
        ),
    ],
    ids=["full", "empty", "no-paragraphs", "added-later-empty", "escapes"],
)
def test_the_archive_hashes_an_article_as_the_article_does(article: Article) -> None:
    """The archive computes ``content_hash`` from the JSON its row needs; it must be
    ``Article.content_hash`` exactly, or every archived article would look changed."""
    assert _article_to_row(article)["content_hash"] == article.content_hash
    archive = Archive.memory()
    archive.save_article(page(URL), article)
    stored = archive.conn.execute("SELECT content_hash FROM articles").fetchone()[0]
    assert stored == article.content_hash


def test_a_database_error_inside_a_group_is_an_archive_error_for_that_url_only() -> None:
    archive = Archive.memory()
    archive.conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON articles WHEN new.url LIKE '%/2.shtml'"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with archive.transaction():
        for i in (1, 2, 3):
            try:
                archive.complete_link(
                    "test", Link(_url(i), "article"), page=page(_url(i)), article=_simple(i)
                )
            except ArchiveError:
                assert i == 2
    assert [s.article.url for s in archive.iter_articles()] == [_url(1), _url(3)]
    assert archive.counts()["pages"] == 2  # URL 2's page went with its article
    assert sorted(h.url for h in archive.search("social")) == [_url(1), _url(3)]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Plain ASCII, no regex needed.",
        "Curly quotes ’ and an é, no CJK",
        "四川省人民政府",
        "2025年1月6日，成都召开会议。Chengdu会议",
        "かなカナ한국어𠀀𠀁 mixed\u2009thin space 四",
    ],
    ids=["empty", "ascii", "latin", "han", "mixed-han", "kana-hangul-astral"],
)
def test_prepare_fences_each_cjk_character(text: str) -> None:
    """The search index's text: every CJK character between thin spaces, the rest as is."""
    cjk = re.compile(
        "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\U00020000-\U0003134f]+"
    )
    expected = cjk.sub(lambda m: "\u2009" + "\u2009".join(m.group()) + "\u2009", text)
    assert prepare(text) == expected
    assert prepare(None) == ""
