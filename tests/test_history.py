"""Versions, diffs, disappearances, bilingual search, reparse, verify and schema upgrades."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portal_archive import Archive, Article, Fetcher, Page, Settings, crawl, load_profile
from portal_archive._schema import MIGRATIONS, index_article
from portal_archive.cli import app
from portal_archive.crawl import fetch_hosts
from portal_archive.history import diff_articles
from portal_archive.mirror import serve_directory
from portal_archive.reparse import reparse

PROFILE = load_profile("sichuan-en")
FAST = Settings(allow_private_networks=True, delay_s=0.0, jitter=0.0, max_retries=0)
CHANGED = "10462/10758/10760/10765/2017/12/28/10441831.shtml"
REMOVED = "10462/10758/10760/10765/2018/7/9/10454731.shtml"


def run_crawl(archive: Archive, root: Path) -> None:
    with serve_directory(root) as base_url:

        async def main() -> None:
            async with Fetcher(FAST, allowed_hosts=fetch_hosts(PROFILE, base_url)) as fetcher:
                await crawl(PROFILE, fetcher=fetcher, archive=archive, base_url=base_url)

        asyncio.run(main())


@pytest.fixture
def recrawled(tmp_path: Path, site_copy: Path) -> Iterator[Archive]:
    """An archive crawled twice: between the runs one article changed and one vanished."""
    with Archive.open(tmp_path / "a.db") as archive:
        run_crawl(archive, site_copy)
        page = site_copy / CHANGED
        page.write_bytes(
            page.read_bytes().replace(
                b"Other issues were also studied.", b"Other issues were also studied at length."
            )
        )
        (site_copy / REMOVED).unlink()
        run_crawl(archive, site_copy)
        yield archive


def test_changed_page_gets_a_second_version_and_a_diff(recrawled: Archive) -> None:
    stored = recrawled.get_article(PROFILE.origin + "/" + CHANGED)
    assert stored is not None and stored.version == 2
    first, second = recrawled.versions(stored.id)
    assert (first.version, second.version) == (1, 2)
    assert "Other issues were also studied." in first.article.paragraphs
    assert "Other issues were also studied at length." in second.article.paragraphs
    assert first.sha256 != second.sha256 and first.page_id != second.page_id
    diff = [str(line) for line in diff_articles(first.article, second.article)]
    assert "- Other issues were also studied." in diff
    assert "+ Other issues were also studied at length." in diff
    assert any(line.startswith("= …") for line in diff)
    # Unchanged articles still have a single version.
    assert recrawled.counts()["article_versions"] == recrawled.count_articles() + 1


def test_changes_lists_changed_and_gone(recrawled: Archive) -> None:
    found = {(c.kind, c.url) for c in recrawled.changes(since=date(2000, 1, 1))}
    assert found == {
        ("changed", PROFILE.origin + "/" + CHANGED),
        ("gone", PROFILE.origin + "/" + REMOVED),
    }
    gone = recrawled.get_article(PROFILE.origin + "/" + REMOVED)
    assert gone is not None and gone.gone_at is not None  # kept, never deleted
    assert recrawled.changes(since=date(2999, 1, 1)) == []


def test_history_and_changes_commands(recrawled: Archive) -> None:
    db = str(recrawled.path)
    out = CliRunner().invoke(app, ["history", PROFILE.origin + "/" + CHANGED, "--db", db])
    assert out.exit_code == 0
    assert "+ Other issues were also studied at length." in out.stdout
    as_json = CliRunner().invoke(
        app, ["history", PROFILE.origin + "/" + CHANGED, "--db", db, "--json"]
    )
    assert [v["version"] for v in json.loads(as_json.stdout)] == [1, 2]
    diff = CliRunner().invoke(
        app, ["history", PROFILE.origin + "/" + CHANGED, "--db", db, "--diff", "1", "2", "--json"]
    )
    ops = {d["op"] for d in json.loads(diff.stdout)["diff"]}
    assert {"-", "+", "="} <= ops
    bad = CliRunner().invoke(
        app, ["history", PROFILE.origin + "/" + CHANGED, "--db", db, "--diff", "1", "9"]
    )
    assert bad.exit_code == 2
    changes = CliRunner().invoke(app, ["changes", "--db", db, "--since", "2000-01-01", "--json"])
    assert {c["kind"] for c in json.loads(changes.stdout)} == {"changed", "gone"}


def _article(url: str, title: str, body: str, day: int, **extra: str) -> tuple[Page, Article]:
    page = Page(
        url=url,
        fetch_url=url,
        final_url=url,
        status=200,
        headers=(),
        body=f"<html>{title}{body}</html>".encode(),
        fetched_at=datetime(2025, 1, 8, tzinfo=UTC),
    )
    article = Article(
        url=url,
        title=title,
        published=date(2025, 1, day),
        paragraphs=(body,),
        site=extra.get("site", "zh"),
        column=extra.get("column"),
        source=extra.get("source"),
    )
    return page, article


@pytest.fixture
def bilingual() -> Archive:
    archive = Archive.memory()
    docs = [
        (
            "https://x.gov.cn/1",
            "四川省人民政府常务会议",
            "会议研究了社会工作和乡村振兴。",
            3,
            {"column": "今日四川", "source": "省政府办公厅"},
        ),
        (
            "https://x.gov.cn/2",
            "成都召开社会工作会议",
            "社会工作部门要加强党建引领。",
            5,
            {"column": "政务要闻", "source": "四川日报"},
        ),
        (
            "https://x.gov.cn/3",
            "Social work conference",
            "Social workers met in Chengdu.",
            4,
            {"site": "en", "column": "News"},
        ),
        ("https://x.gov.cn/4", "川渝合作", "川渝两地签署协议。", 6, {"column": "今日四川"}),
    ]
    for url, title, body, day, extra in docs:
        archive.save_article(*_article(url, title, body, day, **extra))
    return archive


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("四川", ["https://x.gov.cn/1"]),  # two characters
        ("川", ["https://x.gov.cn/4", "https://x.gov.cn/1"]),  # one character
        ("社会工作", ["https://x.gov.cn/2", "https://x.gov.cn/1"]),  # four, newest first
        ("社会 党建", ["https://x.gov.cn/2"]),  # every term required
        ("乡村振兴会议", []),  # not adjacent anywhere
        ("worker", ["https://x.gov.cn/3"]),  # English stemming
        ("chengd*", ["https://x.gov.cn/3"]),  # prefix
        ('"social workers"', ["https://x.gov.cn/3"]),
        ("AND OR NOT (", []),  # operators are words, never a syntax error
    ],
    ids=[
        "zh-2",
        "zh-1",
        "zh-4",
        "zh-and",
        "zh-none",
        "en-stem",
        "en-prefix",
        "en-phrase",
        "operators",
    ],
)
def test_search_in_chinese_and_english(bilingual: Archive, query: str, expected: list[str]) -> None:
    assert [hit.url for hit in bilingual.search(query)] == expected


def test_search_filters_and_ranking(bilingual: Archive) -> None:
    assert [h.url for h in bilingual.search("川", column="今日四川")] == [
        "https://x.gov.cn/4",
        "https://x.gov.cn/1",
    ]
    assert [h.url for h in bilingual.search("社会", source="四川日报")] == ["https://x.gov.cn/2"]
    assert [h.url for h in bilingual.search("社会", site="en")] == []
    assert [h.url for h in bilingual.search("川", since=date(2025, 1, 4))] == ["https://x.gov.cn/4"]
    assert [h.url for h in bilingual.search("川", until=date(2025, 1, 4))] == ["https://x.gov.cn/1"]
    ranked = bilingual.search("社会 工作", order="relevance")
    assert {h.url for h in ranked} == {"https://x.gov.cn/1", "https://x.gov.cn/2"}


def test_chinese_snippet_is_highlighted_and_clean(bilingual: Archive) -> None:
    [hit] = bilingual.search("党建")
    assert "[党建]" in hit.snippet and "\u2009" not in hit.snippet
    assert "社会工作部门要加强" in hit.snippet


def test_search_cli_csv_and_json(bilingual: Archive, tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    bilingual.conn.execute(f"VACUUM INTO '{path}'")
    out = CliRunner().invoke(app, ["search", "四川", "--db", str(path), "--csv"])
    assert out.exit_code == 0
    header, row = out.stdout.splitlines()
    assert header.startswith("id,url,site,title") and "[四川]" in row
    data = json.loads(
        CliRunner()
        .invoke(app, ["search", "川", "--db", str(path), "--json", "--column", "今日四川"])
        .stdout
    )
    assert [d["url"] for d in data] == ["https://x.gov.cn/4", "https://x.gov.cn/1"]


def test_reparse_records_what_changed(recrawled: Archive) -> None:
    url = PROFILE.origin + "/" + CHANGED
    stored = recrawled.get_article(url)
    assert stored is not None
    # Pretend an older extractor let a chrome line into the body.
    recrawled.conn.execute(
        "UPDATE articles SET paragraphs = json_insert(paragraphs, '$[#]', 'Print | Close'),"
        " content_hash = 'old' WHERE id = ?",
        [stored.id],
    )
    report = reparse(recrawled)
    assert report.changed == [url] and report.failed == []
    assert report.unchanged == recrawled.count_articles() - 1
    versions = recrawled.versions(stored.id)
    assert (
        versions[-1].cause == "reparse" and "Print | Close" not in versions[-1].article.paragraphs
    )
    assert reparse(recrawled).changed == []  # idempotent


def test_verify_finds_a_damaged_page(recrawled: Archive) -> None:
    assert all(ok for _, _, ok in recrawled.verify_pages())
    db = str(recrawled.path)
    assert CliRunner().invoke(app, ["verify", "--db", db]).exit_code == 0
    recrawled.conn.execute("UPDATE pages SET body = ? WHERE id = 1", [zlib.compress(b"tampered")])
    assert [ok for page_id, _, ok in recrawled.verify_pages() if page_id == 1] == [False]
    out = CliRunner().invoke(app, ["verify", "--db", db])
    assert out.exit_code == 1 and "1 mismatches" in out.stdout


def test_old_schema_archive_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    name, first = MIGRATIONS[0]
    conn.execute("BEGIN")
    first(conn)
    conn.execute("INSERT INTO schema_migrations VALUES (?, '2025-01-01')", [name])
    conn.execute(
        "INSERT INTO pages (url, fetch_url, final_url, status, headers, body, size, sha256,"
        " fetched_at, last_seen_at) VALUES ('https://x.gov.cn/1', 'u', 'u', 200, '[]', ?, 3,"
        " 'abc', '2025-01-02T00:00:00+00:00', '2025-01-02T00:00:00+00:00')",
        [zlib.compress(b"abc")],
    )
    conn.execute(
        "INSERT INTO articles (url, site, title, published, paragraphs, body_text, footer,"
        " footer_lines, content_hash, page_id, extractor_version, first_seen_at, fetched_at)"
        " VALUES ('https://x.gov.cn/1', 'zh', '四川省政府', '2025-01-02', '[\"会议内容\"]',"
        " '会议内容', '{}', '[]', 'h', 1, '0.0.1', '2025-01-02', '2025-01-02')"
    )
    conn.execute("COMMIT")
    conn.close()
    with pytest.raises(Exception, match="another version"):
        Archive.open(path, readonly=True)
    with Archive.open(path) as archive:
        assert archive.pending_migrations() == []
        [version] = archive.versions(1)
        assert version.version == 1 and version.article.title == "四川省政府"
        assert [h.url for h in archive.search("四川")] == ["https://x.gov.cn/1"]
        assert archive.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_previous_release_archive_gains_the_new_article_fields(tmp_path: Path) -> None:
    """An archive of the release before migration 004 (its articles without subtitle, author,
    images, document or date provenance) upgrades, reads back as before, and stores them."""
    path = tmp_path / "prev.db"
    names = [name for name, _ in MIGRATIONS]
    previous = names.index("004_article_provenance")
    with Archive.memory() as scratch:
        fresh_columns = {r[1] for r in scratch.conn.execute("PRAGMA table_info(articles)")}
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    conn.execute("BEGIN")
    for name, step in MIGRATIONS[:previous]:
        step(conn)
        conn.execute("INSERT INTO schema_migrations VALUES (?, '2025-01-01')", [name])
    conn.execute(
        "INSERT INTO pages (url, fetch_url, final_url, status, headers, body, size, sha256,"
        " fetched_at, last_seen_at) VALUES ('https://x.gov.cn/1', 'u', 'u', 200, '[]', ?, 3,"
        " 'abc', '2025-01-02T00:00:00+00:00', '2025-01-02T00:00:00+00:00')",
        [zlib.compress(b"abc", 6)],
    )
    old = Article(
        url="https://x.gov.cn/1",
        title="四川省政府",
        published=date(2025, 1, 2),
        paragraphs=("会议内容",),
        site="zh",
        attachments=(),
    )
    conn.execute(
        "INSERT INTO articles (url, site, title, published, paragraphs, body_text, footer,"
        " footer_lines, content_hash, page_id, extractor_version, first_seen_at, fetched_at,"
        " search_rowid) VALUES ('https://x.gov.cn/1', 'zh', '四川省政府', '2025-01-02',"
        " '[\"会议内容\"]', '会议内容', '{}', '[]', ?, 1, '0.1.0', '2025-01-02', '2025-01-02',"
        " NULL)",
        [old.content_hash],
    )
    conn.execute(
        "INSERT INTO article_versions (article_id, version, title, published, paragraphs,"
        " body_text, footer, footer_lines, content_hash, page_id, extractor_version, cause,"
        " captured_at, recorded_at) VALUES (1, 1, '四川省政府', '2025-01-02', '[\"会议内容\"]',"
        " '会议内容', '{}', '[]', ?, 1, '0.1.0', 'crawl', '2025-01-02', '2025-01-02')",
        [old.content_hash],
    )
    index_article(conn, 1)  # as the previous release indexed it
    conn.execute("COMMIT")
    before = {r[1] for r in conn.execute("PRAGMA table_info(articles)")}
    conn.close()
    assert "author" not in before and fresh_columns - before  # really the previous schema

    with Archive.open(path) as archive:
        assert archive.pending_migrations() == []
        assert {r[1] for r in archive.conn.execute("PRAGMA table_info(articles)")} == (
            fresh_columns
        )
        stored = archive.get_article(1)
        assert stored is not None and stored.article == old
        assert [v.article for v in archive.versions(1)] == [old]
        # The hash of what an old article says holds while the new fields are empty; a
        # subtitle or an author is more that it says, so a new version.
        assert archive.save_article(_capture(old.url), old) == "unchanged"
        richer = Article.from_dict(
            {**old.to_dict(), "subtitle": "副标题", "author": "记者", "encoding_reason": "meta"}
        )
        assert archive.save_article(_capture(old.url), richer) == "changed"
        again = archive.get_article(1)
        assert again is not None and again.article == richer and again.version == 2
        assert [v.article for v in archive.versions(1)] == [old, richer]
        assert [h.url for h in archive.search("会议")] == ["https://x.gov.cn/1"]
        assert archive.conn.execute("SELECT count(*) FROM articles_search").fetchone()[0] == 1
        assert archive.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _capture(url: str | None) -> Page:
    assert url is not None
    return Page(
        url=url,
        fetch_url=url,
        final_url=url,
        status=200,
        headers=(),
        body=b"abc",
        fetched_at=datetime(2025, 1, 9, tzinfo=UTC),
    )
