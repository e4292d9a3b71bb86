"""`serve`: the Datasette configuration read from the live schema, and the read-only Datasette
built from it, exercised through Datasette's own in-process client (no server, no socket)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from portal_archive import Archive, ArchiveError, Article, Failure, Page, extract, serve
from portal_archive.cli import app

from .conftest import SITE

SEED = "10462/10758/10760/10765/2025/1/6/5c1d3f0e8a7b4b2c9e6f1a2b3c4d5e6f.shtml"
OTHERS = (
    "10462/10758/14700/14703/2018/8/22/10460443.shtml",
    "10462/10758/10760/10765/2018/2/5/10444745.shtml",
)
SEED_URL = f"https://www.sc.gov.cn/{SEED}"
ARTICLE_URLS = [f"https://www.sc.gov.cn/{rel}" for rel in OTHERS]  # newest first


def page_and_article(rel: str, *, site: str | None = None) -> tuple[Page, Article]:
    url = f"https://www.sc.gov.cn/{rel}"
    body = (SITE / rel).read_bytes()
    page = Page(
        url=url,
        fetch_url=url,
        final_url=url,
        status=200,
        headers=(("Content-Type", "text/html; charset=utf-8"),),
        body=body,
        fetched_at=datetime(2025, 1, 7, 8, 0, tzinfo=UTC),
    )
    article = extract(body, url)
    return page, replace(article, site=site) if site else article


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    """Three real articles (two from sichuan-en, one relabelled as another site) and a failure."""
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_article(*page_and_article(SEED))
        archive.save_article(*page_and_article(OTHERS[0]))
        archive.save_article(*page_and_article(OTHERS[1], site="other-portal"))
        archive.record_failure(
            None, Failure("https://www.sc.gov.cn/gone.shtml", "not_found", "HTTP 404", 404)
        )
    return path


@pytest.fixture
async def ds(archive_path: Path) -> AsyncIterator[Any]:
    instance = serve.make_datasette(archive_path)
    yield instance
    for database in instance.databases.values():
        database.close()


async def get_json(ds: Any, path: str) -> Any:
    response = await ds.client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


def count_articles(path: Path) -> int:
    with Archive.open(path, readonly=True) as archive:
        return archive.count_articles()


# -- the configuration --------------------------------------------------------------------------


def test_datasette_metadata_follows_the_live_schema(archive_path: Path) -> None:
    with sqlite3.connect(archive_path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    metadata = serve.datasette_metadata(archive_path)
    database = metadata["databases"]["archive"]
    articles = database["tables"]["articles"]

    assert metadata["title"] and metadata["description"]
    assert articles["facets"] == [c for c in ("site", "column_name", "language") if c in columns]
    assert articles["sort_desc"] == "published"
    assert articles["label_column"] == "title"
    assert articles["fts_table"] in names
    hidden = {name for name, table in database["tables"].items() if table.get("hidden")}
    assert "schema_migrations" in hidden and articles["fts_table"] in hidden
    assert {"articles", "pages", "runs", "crawl_errors"}.isdisjoint(hidden)
    queries = database["queries"]
    assert {"search", "captures", "failures"} <= set(queries)
    assert ("recent_changes" in queries) == ("article_versions" in names)
    assert "body" not in queries["captures"]["sql"].replace("body_", "")


def test_datasette_metadata_on_the_first_schema(tmp_path: Path) -> None:
    """An archive made before article_versions and column_name: facets and queries shrink."""
    path = first_schema_archive(tmp_path)
    database = serve.datasette_metadata(path)["databases"]["old"]
    articles = database["tables"]["articles"]
    assert articles["facets"] == ["site", "language"]
    assert (articles["fts_table"], articles["fts_pk"]) == ("articles_fts", "id")
    assert database["tables"]["articles_fts"] == {"hidden": True}
    assert set(database["queries"]) == {"search", "captures", "failures"}


async def test_first_schema_search_works_in_datasette(tmp_path: Path) -> None:
    ds = serve.make_datasette(first_schema_archive(tmp_path))
    found = await get_json(ds, "/old/articles.json?_search=social&_shape=objects")
    assert [row["id"] for row in found["rows"]] == [7]
    canned = await get_json(ds, "/old/search.json?q=social+work&_shape=objects")
    assert [row["id"] for row in canned["rows"]] == [7]
    assert "[Social] [Work]" in canned["rows"][0]["snippet"]


def first_schema_archive(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL);
            CREATE TABLE pages (id INTEGER PRIMARY KEY, url TEXT, body BLOB NOT NULL,
                                fetched_at TEXT);
            CREATE TABLE articles (id INTEGER PRIMARY KEY, url TEXT, site TEXT, title TEXT,
                                   published TEXT, updated TEXT, body_text TEXT, language TEXT);
            CREATE VIRTUAL TABLE articles_fts USING fts5(
                title, body_text, content='articles', content_rowid='id');
            CREATE TABLE crawl_errors (id INTEGER PRIMARY KEY, url TEXT, kind TEXT, at TEXT);
            INSERT INTO articles VALUES
                (7, 'u7', 'sichuan-en', 'Social Work Conference', '2025-01-06', NULL,
                 'Social work was discussed.', 'en'),
                (8, 'u8', 'sichuan-en', 'Free trade zone', '2018-08-22', NULL, 'Trade.', 'en');
            INSERT INTO articles_fts (rowid, title, body_text)
                SELECT id, title, body_text FROM articles;
            """
        )
    conn.close()
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no archive here yet"), (b"not sqlite at all" * 100, "not a usable archive")],
    ids=["missing", "not-sqlite"],
)
def test_datasette_metadata_refuses_what_is_not_an_archive(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "x.db"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ArchiveError, match=message):
        serve.datasette_metadata(path)


def test_datasette_metadata_refuses_another_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(ArchiveError, match="not a portal-archive archive"):
        serve.datasette_metadata(path)


# -- Datasette on the archive -------------------------------------------------------------------


async def test_database_page_lists_articles_and_hides_internal_tables(ds: Any) -> None:
    data = await get_json(ds, "/archive.json")
    hidden = {t["name"] for t in data["tables"] if t["hidden"]}
    visible = {t["name"] for t in data["tables"] if not t["hidden"]}
    assert {"articles", "pages", "runs", "crawl_errors"} <= visible
    assert "schema_migrations" in hidden
    assert all(not name.startswith("sqlite_") and "_fts" not in name for name in visible)
    assert all(not name.startswith("articles_search") for name in visible)
    assert ds.databases["archive"].is_mutable  # mode=ro, not immutable=1
    html = (await ds.client.get("/archive")).text
    assert 'href="/archive/articles"' in html
    assert 'href="/archive/schema_migrations"' not in html


async def test_articles_facets_count_each_site(ds: Any) -> None:
    data = await get_json(ds, "/archive/articles.json?_facet=site&_shape=objects")
    counts = {r["value"]: r["count"] for r in data["facet_results"]["site"]["results"]}
    assert counts == {"sichuan-en": 2, "other-portal": 1}
    languages = data["facet_results"]["language"]["results"]  # configured, not asked for
    assert [(r["value"], r["count"]) for r in languages] == [("en", 3)]
    assert [row["published"] for row in data["rows"]] == ["2025-01-06", "2018-08-22", "2018-02-05"]


async def test_articles_search_box_finds_the_seed_article(ds: Any) -> None:
    # All three mention "social"; only the seed names Wang Xiaohui.
    data = await get_json(ds, "/archive/articles.json?_search=social&_shape=objects")
    assert [row["url"] for row in data["rows"]] == [SEED_URL, *ARTICLE_URLS]
    data = await get_json(ds, "/archive/articles.json?_search=xiaohui&_shape=objects")
    assert [row["url"] for row in data["rows"]] == [SEED_URL]


async def test_search_query_returns_the_seed_with_a_snippet(ds: Any) -> None:
    data = await get_json(ds, "/archive/search.json?q=social&_shape=objects")
    assert [row["url"] for row in data["rows"]] == [SEED_URL, *ARTICLE_URLS]
    assert "[Social]" in data["rows"][0]["snippet"]
    data = await get_json(ds, "/archive/search.json?q=Xiaohui+social&_shape=objects")
    assert [row["url"] for row in data["rows"]] == [SEED_URL]
    assert "[Xiaohui]" in data["rows"][0]["snippet"] or "[Social]" in data["rows"][0]["snippet"]


@pytest.mark.parametrize(
    "query", ['social AND "work', "social-work (", "NEAR(x", "  social\twork "], ids=repr
)
async def test_search_query_takes_fts_syntax_as_words(ds: Any, query: str) -> None:
    response = await ds.client.get("/archive/search.json", params={"q": query})
    assert response.status_code == 200, response.text


async def test_captures_and_failures_queries(ds: Any) -> None:
    captures = await get_json(ds, "/archive/captures.json?_shape=objects")
    assert len(captures["rows"]) == 3
    assert "body" not in captures["columns"] and "sha256" in captures["columns"]
    failures = await get_json(ds, "/archive/failures.json?_shape=objects")
    assert [(r["url"], r["kind"]) for r in failures["rows"]] == [
        ("https://www.sc.gov.cn/gone.shtml", "not_found")
    ]


async def test_recent_changes_lists_later_versions(ds: Any, archive_path: Path) -> None:
    if "recent_changes" not in serve.datasette_metadata(archive_path)["databases"]["archive"].get(
        "queries", {}
    ):
        pytest.skip("this schema has no article_versions")
    page, article = page_and_article(SEED)
    changed = replace(article, paragraphs=(*article.paragraphs, "A correction was added."))
    with Archive.open(archive_path) as archive:
        assert archive.save_article(replace(page, body=page.body + b" "), changed) == "changed"
    data = await get_json(ds, "/archive/recent_changes.json?_shape=objects")
    assert [(row["url"], row["version"]) for row in data["rows"]] == [(SEED_URL, 2)]


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM articles",
        "WITH x AS (SELECT 1) DELETE FROM articles",  # passes Datasette's check: SQLite refuses
        "UPDATE articles SET title = 'x'",
        "PRAGMA journal_mode = DELETE",
    ],
    ids=["delete", "cte-delete", "update", "pragma"],
)
async def test_writes_are_refused(ds: Any, archive_path: Path, sql: str) -> None:
    before = count_articles(archive_path)
    response = await ds.client.get("/archive.json", params={"sql": sql})
    assert response.status_code >= 400
    assert count_articles(archive_path) == before == 3
    titles = await get_json(
        ds, "/archive.json?sql=select+count(*)+as+n+from+articles+where+title='x'"
    )
    assert titles["rows"] == [[0]]


async def test_sees_what_a_crawl_writes_while_it_runs(ds: Any, archive_path: Path) -> None:
    sql = "/archive.json?sql=select+count(*)+from+articles&_shape=arrayfirst"
    assert await get_json(ds, sql) == [3]
    more = "10462/10758/10760/10765/2017/12/28/10441831.shtml"
    with Archive.open(archive_path) as archive:
        archive.save_article(*page_and_article(more))
    assert await get_json(ds, sql) == [4]


# -- the command --------------------------------------------------------------------------------


def test_serve_help_documents_the_options() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--db", "--port", "--host", "--open", "--no-open", "8001", "127.0.0.1"):
        assert option in result.output


def test_serve_without_datasette_exits_2_with_the_install_line(
    monkeypatch: pytest.MonkeyPatch, archive_path: Path
) -> None:
    def missing() -> None:
        raise ImportError("No module named 'datasette'")

    monkeypatch.setattr(serve, "load_datasette", missing)
    result = CliRunner().invoke(app, ["serve", "--db", str(archive_path)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: Datasette is not installed: pip install 'portal-archive[serve]'"
    ]


def test_serve_missing_archive_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2
    assert "no archive here yet" in result.stderr


def test_serve_runs_datasette_on_loopback(
    monkeypatch: pytest.MonkeyPatch, archive_path: Path
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda asgi, **kwargs: calls.append(kwargs))
    result = CliRunner().invoke(app, ["serve", "--db", str(archive_path), "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert calls and (calls[0]["host"], calls[0]["port"]) == ("127.0.0.1", 8123)
    assert "http://127.0.0.1:8123/" in result.stderr
