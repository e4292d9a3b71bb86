"""The archive's schema, as an ordered list of migrations. Private to the archive stage.

Each migration runs in its own IMMEDIATE transaction and is recorded by name in
``schema_migrations``. A released migration is never edited: the next one is added.
"""

from __future__ import annotations

import sqlite3
import textwrap
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Final

from ._search import prepare, sort_key

__all__ = ["MIGRATIONS", "SEARCH_INSERT", "index_article", "search_entry"]


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run SQL statements one by one inside the caller's transaction (``executescript`` would
    commit it first)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement.strip()[:60]}")


def _m001_initial(conn: sqlite3.Connection) -> None:
    _run_script(
        conn,
        """
        CREATE TABLE pages (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,              -- canonical URL the content belongs to
            fetch_url TEXT NOT NULL,        -- what was requested (a mirror, perhaps)
            final_url TEXT NOT NULL,        -- where redirects ended
            status INTEGER NOT NULL,
            headers TEXT NOT NULL,          -- JSON list of [name, value]
            content_type TEXT,
            body BLOB NOT NULL,             -- the body bytes, compressed as `compression` says
            compression TEXT NOT NULL DEFAULT 'zlib',
            size INTEGER NOT NULL,          -- uncompressed body length
            sha256 TEXT NOT NULL,           -- of the uncompressed body
            fetched_at TEXT NOT NULL,       -- first fetch that returned these bytes (UTC)
            last_seen_at TEXT NOT NULL,     -- latest fetch that returned them
            UNIQUE (url, sha256)
        );
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,       -- canonical URL
            site TEXT,                      -- profile id
            title TEXT,
            published TEXT,                 -- YYYY-MM-DD
            updated TEXT,                   -- YYYY-MM-DD
            paragraphs TEXT NOT NULL,       -- JSON list of str
            body_text TEXT NOT NULL,        -- paragraphs joined by newlines
            footer TEXT NOT NULL,           -- JSON object of named fields
            footer_lines TEXT NOT NULL,     -- JSON list of str
            language TEXT,
            encoding TEXT,
            content_hash TEXT NOT NULL,     -- sha256 of what the article says
            page_id INTEGER NOT NULL REFERENCES pages(id),
            extractor_version TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            fetched_at TEXT NOT NULL        -- fetch of the page this version came from
        );
        CREATE INDEX articles_site_published ON articles(site, published);
        CREATE VIRTUAL TABLE articles_fts USING fts5(
            title, body_text, content='articles', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
            INSERT INTO articles_fts(rowid, title, body_text)
            VALUES (new.id, new.title, new.body_text);
        END;
        CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
            INSERT INTO articles_fts(articles_fts, rowid, title, body_text)
            VALUES ('delete', old.id, old.title, old.body_text);
        END;
        CREATE TRIGGER articles_au AFTER UPDATE OF title, body_text ON articles BEGIN
            INSERT INTO articles_fts(articles_fts, rowid, title, body_text)
            VALUES ('delete', old.id, old.title, old.body_text);
            INSERT INTO articles_fts(rowid, title, body_text)
            VALUES (new.id, new.title, new.body_text);
        END;
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            exit_code INTEGER,
            report TEXT                     -- JSON run report
        );
        CREATE TABLE crawl_errors (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            url TEXT NOT NULL,
            kind TEXT NOT NULL,
            status INTEGER,
            message TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX crawl_errors_url ON crawl_errors(url);
    """,
    )


#: The search index's row of an article, written with the values ``search_entry`` gives.
SEARCH_INSERT: Final = (
    "INSERT INTO articles_search (rowid, title, body, site, column_name, source, article_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def search_entry(article_id: int, values: Mapping[str, Any]) -> tuple[int, tuple[Any, ...]]:
    """An article's row in the search index: its rowid (the article's date, then its id) and
    the columns after it in ``SEARCH_INSERT``, text prepared for the tokenizer."""
    when = (
        values.get("published")
        or values.get("updated")
        or (str(values.get("first_seen_at") or values.get("fetched_at") or "")[:10] or None)
    )
    rowid = sort_key(date.fromisoformat(when) if when else None, article_id)
    return rowid, (
        prepare(values.get("title")),
        prepare(values.get("body_text")),
        values.get("site") or "",
        prepare(values.get("column_name")),
        prepare(values.get("source")),
        article_id,
    )


def index_article(conn: sqlite3.Connection, article_id: int) -> None:
    """(Re)write an article's row in the search index from its row in ``articles``."""
    row = conn.execute(
        "SELECT title, body_text, site, column_name, source, published, updated,"
        " first_seen_at, search_rowid FROM articles WHERE id = ?",
        [article_id],
    ).fetchone()
    if row is None:
        return
    keys = (
        "title",
        "body_text",
        "site",
        "column_name",
        "source",
        "published",
        "updated",
        "first_seen_at",
    )
    values = dict(zip(keys, row[:8], strict=True))
    if row[8] is not None:
        conn.execute("DELETE FROM articles_search WHERE rowid = ?", [row[8]])
    rowid, columns = search_entry(article_id, values)
    conn.execute(SEARCH_INSERT, [rowid, *columns])
    conn.execute("UPDATE articles SET search_rowid = ? WHERE id = ?", [rowid, article_id])


def _m002_versions_and_search(conn: sqlite3.Connection) -> None:
    _run_script(
        conn,
        """
        ALTER TABLE articles ADD COLUMN column_name TEXT;   -- the portal's column (section)
        ALTER TABLE articles ADD COLUMN source TEXT;        -- 来源 / ContentSource
        ALTER TABLE articles ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE articles ADD COLUMN gone_at TEXT;       -- when it answered 404/410
        ALTER TABLE articles ADD COLUMN gone_status INTEGER;
        ALTER TABLE articles ADD COLUMN search_rowid INTEGER;
        CREATE TABLE article_versions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            version INTEGER NOT NULL,           -- 1, 2, … in the order they were seen
            title TEXT,
            published TEXT,
            updated TEXT,
            paragraphs TEXT NOT NULL,
            body_text TEXT NOT NULL,
            footer TEXT NOT NULL,
            footer_lines TEXT NOT NULL,
            language TEXT,
            encoding TEXT,
            column_name TEXT,
            source TEXT,
            content_hash TEXT NOT NULL,
            page_id INTEGER NOT NULL REFERENCES pages(id),  -- the capture it came from
            extractor_version TEXT NOT NULL,
            cause TEXT NOT NULL,                -- crawl, reparse or import
            captured_at TEXT NOT NULL,          -- fetch time of that capture
            recorded_at TEXT NOT NULL,          -- when this version was stored
            UNIQUE (article_id, version)
        );
        INSERT INTO article_versions (article_id, version, title, published, updated,
            paragraphs, body_text, footer, footer_lines, language, encoding, content_hash,
            page_id, extractor_version, cause, captured_at, recorded_at)
        SELECT id, 1, title, published, updated, paragraphs, body_text, footer, footer_lines,
            language, encoding, content_hash, page_id, extractor_version, 'crawl', fetched_at,
            fetched_at
        FROM articles;
        CREATE INDEX article_versions_recorded ON article_versions(recorded_at);
        CREATE INDEX articles_gone ON articles(gone_at) WHERE gone_at IS NOT NULL;
        DROP TRIGGER articles_ai;
        DROP TRIGGER articles_ad;
        DROP TRIGGER articles_au;
        DROP TABLE articles_fts;
        CREATE VIRTUAL TABLE articles_search USING fts5(
            title, body, site, column_name, source, article_id UNINDEXED,
            tokenize = 'porter unicode61 remove_diacritics 2'
        );
        """,
    )
    for (article_id,) in conn.execute("SELECT id FROM articles").fetchall():
        index_article(conn, article_id)


def schema_sql(conn: sqlite3.Connection) -> str:
    """The schema as SQL, for the README: tables, the search index and indexes, in creation
    order (FTS5's own shadow tables and SQLite's internal tables left out)."""
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
    ).fetchall()
    shadow = ("_data", "_idx", "_content", "_docsize", "_config")
    statements = [
        _tidy(sql) + ";"
        for kind, name, sql in rows
        if not name.startswith("sqlite_")
        and not (kind == "table" and name.startswith("articles_search") and name.endswith(shadow))
    ]
    return "\n\n".join(statements) + "\n"


def _tidy(sql: str) -> str:
    """One statement as the README shows it: the migration's indentation removed."""
    first, _, rest = sql.strip().partition("\n")
    return (first + "\n" + textwrap.indent(textwrap.dedent(rest), "    ")).rstrip()


def _m003_frontier_and_attachments(conn: sqlite3.Connection) -> None:
    _run_script(
        conn,
        """
        CREATE TABLE frontier (
            id INTEGER PRIMARY KEY,             -- discovery order
            site TEXT NOT NULL,
            url TEXT NOT NULL,                  -- canonical URL
            host TEXT NOT NULL,
            kind TEXT NOT NULL,                 -- listing, article or attachment
            state TEXT NOT NULL,                -- pending, done, failed, retry (next run)
            depth INTEGER NOT NULL DEFAULT 0,   -- listing hops from a start page
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            found_on TEXT,                      -- the page that linked to it
            link_text TEXT,
            discovered_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (site, url)
        );
        CREATE INDEX frontier_state ON frontier(site, state, id);
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            article_url TEXT NOT NULL,          -- the article that links to it
            url TEXT NOT NULL,
            link_text TEXT,
            type TEXT NOT NULL,                 -- pdf, doc, docx, xls, xlsx, wps, ofd, zip, rar …
            content_type TEXT,
            size INTEGER,                       -- known once downloaded
            sha256 TEXT,
            body BLOB,                          -- stored with --download-attachments
            fetched_at TEXT,
            first_seen_at TEXT NOT NULL,
            UNIQUE (article_url, url)
        );
        CREATE INDEX attachments_url ON attachments(url);
        ALTER TABLE articles ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE article_versions ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
        """,
    )


def _m004_article_provenance(conn: sqlite3.Connection) -> None:
    # The Article's fields added after 0.1: what the page says of itself (subtitle, author,
    # images as a JSON list of {url, caption}, the information-disclosure header as a JSON
    # object) and where each date and the encoding came from (``published_source`` names the
    # layer and tag, ``published_raw`` keeps the string read). Versions keep them too, so
    # every version gives back the Article it stored. ALTER TABLE appends its text to the
    # stored CREATE statement, so the comments live here rather than in the SQL.
    columns = (
        "subtitle TEXT",
        "author TEXT",
        "images TEXT NOT NULL DEFAULT '[]'",
        "document TEXT NOT NULL DEFAULT '{}'",
        "published_source TEXT",
        "published_raw TEXT",
        "updated_source TEXT",
        "updated_raw TEXT",
        "encoding_reason TEXT",
    )
    for table in ("articles", "article_versions"):
        for column in columns:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


#: Applied in order. Never edit a released migration: add the next one.
MIGRATIONS: Final[tuple[tuple[str, Callable[[sqlite3.Connection], None]], ...]] = (
    ("001_initial", _m001_initial),
    ("002_versions_and_search", _m002_versions_and_search),
    ("003_frontier_and_attachments", _m003_frontier_and_attachments),
    ("004_article_provenance", _m004_article_provenance),
)
