"""The archive on real SQLite files: schema, idempotent saves, search, migrations, locking."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from portal_archive import Archive, ArchiveError, ArchiveLockedError, Article, Page
from portal_archive.archive import MIGRATIONS


def page(url: str, body: bytes = b"<html>x</html>") -> Page:
    return Page(
        url=url,
        fetch_url=url,
        final_url=url,
        status=200,
        headers=(("content-type", "text/html"),),
        body=body,
        fetched_at=datetime(2025, 1, 7, tzinfo=UTC),
    )


def article(url: str, *paragraphs: str, title: str = "A title", day: int = 6) -> Article:
    return Article(
        url=url,
        title=title,
        published=date(2025, 1, day),
        paragraphs=paragraphs or ("First paragraph about social work.",),
        footer={"host": "General Office"},
        footer_lines=("Hosted by: General Office",),
        site="test",
    )


URL = "https://www.example.gov/a.html"


def test_schema_and_wal(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "a.db") as archive:
        tables = {r[0] for r in archive.conn.execute("SELECT name FROM sqlite_master")}
        assert {
            "pages",
            "articles",
            "articles_search",
            "article_versions",
            "runs",
            "crawl_errors",
            "schema_migrations",
        } <= tables
        assert archive.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert archive.pending_migrations() == []


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "a.db") as archive:
        assert archive.migrate() == []
    with Archive.open(tmp_path / "a.db") as archive:
        rows = archive.conn.execute("SELECT name FROM schema_migrations").fetchall()
        assert [r[0] for r in rows] == [name for name, _ in MIGRATIONS]


def test_save_article_new_unchanged_changed() -> None:
    archive = Archive.memory()
    assert archive.save_article(page(URL), article(URL)) == "new"
    assert archive.save_article(page(URL), article(URL)) == "unchanged"
    assert archive.counts()["pages"] == 1
    changed = article(URL, "First paragraph about social work.", "A correction.")
    assert archive.save_article(page(URL, b"<html>y</html>"), changed) == "changed"
    stored = archive.get_article(URL)
    assert stored is not None and stored.article.paragraphs[-1] == "A correction."
    assert archive.counts() == {
        "pages": 2,
        "articles": 1,
        "article_versions": 2,
        "runs": 0,
        "crawl_errors": 0,
        "attachments": 0,
    }
    # The full-text index follows the update.
    assert [h.url for h in archive.search("correction")] == [URL]


def test_raw_page_is_kept_compressed_with_its_hash() -> None:
    archive = Archive.memory()
    body = "<html>四川 social work</html>".encode() * 200
    archive.save_article(page(URL, body), article(URL))
    stored = archive.get_article(URL)
    assert stored is not None
    assert archive.page_body(stored.page_id) == body
    size = archive.conn.execute("SELECT length(body), size, sha256 FROM pages").fetchone()
    assert size[0] < size[1] == len(body)
    assert size[2] == stored.sha256 == page(URL, body).sha256


def test_search_newest_first_with_snippet() -> None:
    archive = Archive.memory()
    for day in (3, 9, 6):
        url = f"https://www.example.gov/{day}.html"
        archive.save_article(page(url), article(url, f"Social workers met on day {day}.", day=day))
    hits = archive.search("social workers")
    assert [h.published for h in hits] == ["2025-01-09", "2025-01-06", "2025-01-03"]
    assert "[Social]" in hits[0].snippet
    assert archive.search("worker")  # stemming: worker ~ workers
    assert archive.search("") == [] and archive.search('"') == []


def test_a_failed_write_leaves_nothing_half_written() -> None:
    archive = Archive.memory()
    archive.conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON articles BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(ArchiveError):
        archive.save_article(page(URL), article(URL))
    # The page row of the same transaction was rolled back with it.
    assert archive.counts()["pages"] == 0 and archive.counts()["articles"] == 0


def test_not_an_archive(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(ArchiveError, match="not a portal-archive archive"):
        Archive.open(other)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(ArchiveError, match="not a usable archive"):
        Archive.open(garbage)


def test_writer_lock_times_out_as_locked_error(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Archive.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Archive.open(path, busy_timeout_s=0.1) as archive, pytest.raises(ArchiveLockedError):
            archive.save_article(page(URL), article(URL))
        with Archive.open(path, readonly=True, busy_timeout_s=0.1) as reader:
            assert reader.count_articles() == 0  # readers are not blocked
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_crawl_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "a.db") as first, Archive.open(tmp_path / "a.db") as second:
        with (
            first.crawl_lock(),
            pytest.raises(ArchiveLockedError, match="another crawl"),
            second.crawl_lock(),
        ):
            pass
        with second.crawl_lock():
            pass


def test_readonly_open_never_creates(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no archive here yet"):
        Archive.open(tmp_path / "missing.db", readonly=True)
    assert not (tmp_path / "missing.db").exists()


def test_an_article_with_files_and_no_paragraphs_is_archived_and_found() -> None:
    # A notice that is only its attachment: kept, and found by its title.
    archive = Archive.memory()
    notice = Article(url=URL, title="Notice on rural roads", paragraphs=())
    assert archive.save_article(page(URL), notice) == "new"
    stored = archive.get_article(URL)
    assert stored is not None and stored.article.paragraphs == ()
    assert [h.url for h in archive.search("rural roads")] == [URL]
