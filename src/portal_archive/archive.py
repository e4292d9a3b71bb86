"""The archive stage: one SQLite file (WAL) holding raw pages, articles, a full-text index,
failures and runs. Owns every line of SQL. Never imports httpx or selectolax.

Writes go through ``Archive.transaction()``, which opens ``BEGIN IMMEDIATE``: a deferred
transaction that later needs the write lock fails at once with "database is locked" in WAL
mode instead of waiting (sqlite-utils' own ``atomic()`` issues a deferred ``BEGIN``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, Literal

import sqlite_utils

from ._version import __version__ as _VERSION
from .errors import ArchiveError, ArchiveLockedError
from .models import Article, CrawlReport, Failure, Page
from .urls import canonicalize_url

__all__ = ["Archive", "SaveResult", "SearchHit", "StoredArticle"]

SaveResult = Literal["new", "unchanged", "changed"]

EXTRACTOR_VERSION: Final = _VERSION


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


#: Applied in order, each in its own transaction, recorded in schema_migrations. Never edit
#: a released migration: add the next one.
MIGRATIONS: Final[tuple[tuple[str, Callable[[sqlite3.Connection], None]], ...]] = (
    ("001_initial", _m001_initial),
)


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as archived, with where and when it was fetched."""

    id: int
    article: Article
    fetched_at: str
    first_seen_at: str
    page_id: int
    final_url: str
    status: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.article.to_dict(),
            "fetched_at": self.fetched_at,
            "first_seen_at": self.first_seen_at,
            "capture": {
                "page_id": self.page_id,
                "final_url": self.final_url,
                "status": self.status,
                "sha256": self.sha256,
            },
        }


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: int
    url: str
    site: str | None
    title: str | None
    published: str | None
    updated: str | None
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "published": self.published,
            "updated": self.updated,
            "snippet": self.snippet,
        }


class Archive:
    """The SQLite archive. ``Archive.open(path)`` creates and migrates it when writable.

    Raises (from every method):
        ArchiveError: the file is not a portal-archive database, or is corrupt.
        ArchiveLockedError: another process kept the write lock past the busy timeout.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path | None):
        self.conn = conn
        self.path = path
        self.db = sqlite_utils.Database(conn)

    @classmethod
    def open(
        cls, path: Path | str, *, readonly: bool = False, busy_timeout_s: float = 10.0
    ) -> Archive:
        """Open (and, unless ``readonly``, create and migrate) the archive at ``path``."""
        path = Path(path)
        if readonly and not path.exists():
            raise ArchiveError(
                "no archive here yet: run `portal-archive crawl` (or `demo`) first", path=path
            )
        try:
            if readonly:
                conn = sqlite3.connect(
                    f"{path.resolve().as_uri()}?mode=ro",
                    uri=True,
                    timeout=busy_timeout_s,
                    isolation_level=None,
                )
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise ArchiveError(f"cannot open: {exc}", path=path) from exc
        archive = cls(conn, path)
        with archive._errors():
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if not readonly:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            archive._check_identity()
            if not readonly:
                archive.migrate()
            elif archive.pending_migrations():
                raise ArchiveError(
                    "made by another version of portal-archive: run a crawl "
                    "with this version to upgrade it",
                    path=path,
                )
        return archive

    @classmethod
    def memory(cls) -> Archive:
        """A throwaway in-memory archive (tests, experiments)."""
        archive = cls(sqlite3.connect(":memory:", isolation_level=None), None)
        archive.migrate()
        return archive

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -----------------------------------------------------------------------------

    def _check_identity(self) -> None:
        tables = {
            r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if tables and "schema_migrations" not in tables:
            raise ArchiveError(
                "is a SQLite database but not a portal-archive archive", path=self.path
            )

    def pending_migrations(self) -> list[str]:
        have = self.conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'"
        ).fetchone()[0]
        done = set()
        if have:
            done = {r[0] for r in self.conn.execute("SELECT name FROM schema_migrations")}
        return [name for name, _ in MIGRATIONS if name not in done]

    def migrate(self) -> list[str]:
        """Apply pending migrations, each in its own IMMEDIATE transaction. Idempotent."""
        applied: list[str] = []
        with self._errors():
            if not self.pending_migrations():
                return applied  # the common case: no write lock taken at all
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            for name, step in MIGRATIONS:
                with self.transaction():
                    done = self.conn.execute(
                        "SELECT 1 FROM schema_migrations WHERE name = ?", [name]
                    ).fetchone()
                    if done:
                        continue
                    step(self.conn)
                    self.conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", [name, _now()])
                    applied.append(name)
        return applied

    # -- transactions and errors ------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction that holds the write lock from its first statement."""
        with self._errors():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise ArchiveLockedError(
                    "is locked by another process (a crawl or a writer); try again when it ends",
                    path=self.path,
                ) from exc
            raise ArchiveError(f"SQLite error: {exc}", path=self.path) from exc
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"not a usable archive ({exc})", path=self.path) from exc

    @contextlib.contextmanager
    def crawl_lock(self) -> Iterator[None]:
        """Hold the archive's crawl lock: a second crawl of the same archive fails at once.

        An OS file lock (flock), so a killed crawl leaves nothing behind to clean up.
        """
        if self.path is None:
            yield
            return
        import fcntl  # POSIX only; portal-archive runs its crawls on Linux and macOS

        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole crawl
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise ArchiveLockedError(
                    f"another crawl is running on this archive ({holder})", path=self.path
                ) from exc
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}\n")
            handle.flush()
            yield
        finally:
            handle.close()

    # -- writes -----------------------------------------------------------------------------

    def save_page(self, page: Page) -> int:
        """Store a raw page unless the same bytes are already stored for its URL; returns its id."""
        with self.transaction():
            return self._save_page(page)

    def _save_page(self, page: Page) -> int:
        sha = page.sha256
        fetched = page.fetched_at.isoformat()
        row = self.conn.execute(
            "SELECT id FROM pages WHERE url = ? AND sha256 = ?", [page.url, sha]
        ).fetchone()
        if row:
            self.conn.execute("UPDATE pages SET last_seen_at = ? WHERE id = ?", [fetched, row[0]])
            return int(row[0])
        cursor = self.conn.execute(
            "INSERT INTO pages (url, fetch_url, final_url, status, headers, content_type, body,"
            " compression, size, sha256, fetched_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'zlib', ?, ?, ?, ?)",
            [
                page.url,
                page.fetch_url,
                page.final_url,
                page.status,
                json.dumps(page.headers),
                page.content_type or None,
                zlib.compress(page.body, 6),
                len(page.body),
                sha,
                fetched,
                fetched,
            ],
        )
        return int(cursor.lastrowid or 0)

    def save_article(self, page: Page, article: Article) -> SaveResult:
        """Store the raw page and the article extracted from it, in one transaction.

        An article whose content is unchanged is left as it is (not even its fetch time
        moves); a changed one is replaced and reported as ``changed``.
        """
        if not article.url:
            raise ArchiveError("an article needs a URL to be archived", path=self.path)
        with self.transaction():
            page_id = self._save_page(page)
            row = self.conn.execute(
                "SELECT id, content_hash FROM articles WHERE url = ?", [article.url]
            ).fetchone()
            content_hash = article.content_hash
            if row and row[1] == content_hash:
                return "unchanged"
            values = _article_to_row(article)
            values.update(
                content_hash=content_hash,
                page_id=page_id,
                extractor_version=EXTRACTOR_VERSION,
                fetched_at=page.fetched_at.isoformat(),
            )
            if row:
                self.db.table("articles").update(row[0], values)
                return "changed"
            values["first_seen_at"] = page.fetched_at.isoformat()
            self.db.table("articles").insert(values)
            return "new"

    def start_run(self, site: str, started_at: datetime) -> int:
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO runs (site, started_at) VALUES (?, ?)", [site, started_at.isoformat()]
            )
            return int(cursor.lastrowid or 0)

    def record_failure(self, run_id: int | None, failure: Failure) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO crawl_errors (run_id, url, kind, status, message, at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [run_id, failure.url, failure.kind, failure.status, failure.message, _now()],
            )

    def finish_run(self, run_id: int, report: CrawlReport) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET finished_at = ?, exit_code = ?, report = ? WHERE id = ?",
                [
                    (report.finished_at or datetime.now(UTC)).isoformat(),
                    report.exit_code,
                    json.dumps(report.to_dict(), ensure_ascii=False),
                    run_id,
                ],
            )

    # -- reads ------------------------------------------------------------------------------

    def has_article(self, url: str) -> bool:
        with self._errors():
            return (
                self.conn.execute("SELECT 1 FROM articles WHERE url = ?", [url]).fetchone()
                is not None
            )

    def count_articles(self, site: str | None = None) -> int:
        with self._errors():
            if site:
                return int(
                    self.conn.execute(
                        "SELECT count(*) FROM articles WHERE site = ?", [site]
                    ).fetchone()[0]
                )
            return int(self.conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    def search(self, query: str, *, limit: int = 20, site: str | None = None) -> list[SearchHit]:
        """Full-text search over titles and bodies, newest first, with a snippet.

        Words are matched as whole words (with English stemming), all of them required;
        quote a phrase to match it as one.
        """
        match = _fts_query(query)
        if not match:
            return []
        sql = (
            "SELECT a.id, a.url, a.site, a.title, a.published, a.updated,"
            " snippet(articles_fts, 1, '[', ']', '…', 24)"
            " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
            " WHERE articles_fts MATCH ?"
        )
        params: list[Any] = [match]
        if site:
            sql += " AND a.site = ?"
            params.append(site)
        sql += " ORDER BY coalesce(a.published, a.updated) DESC, a.id DESC LIMIT ?"
        params.append(limit)
        with self._errors():
            return [SearchHit(*row) for row in self.conn.execute(sql, params)]

    def list_articles(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        site: str | None = None,
        limit: int | None = None,
    ) -> list[StoredArticle]:
        """Articles newest first, filtered by date (published, else updated) and site."""
        where, params = [], []
        if since:
            where.append("coalesce(a.published, a.updated) >= ?")
            params.append(since.isoformat())
        if until:
            where.append("coalesce(a.published, a.updated) <= ?")
            params.append(until.isoformat())
        if site:
            where.append("a.site = ?")
            params.append(site)
        sql = _STORED_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY coalesce(a.published, a.updated) DESC, a.id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._errors():
            return [_row_to_stored(row) for row in self.conn.execute(sql, params)]

    def get_article(self, key: str | int) -> StoredArticle | None:
        """One article by id or by URL (any spelling that canonicalises to it)."""
        with self._errors():
            if isinstance(key, int) or str(key).isdigit():
                row = self.conn.execute(_STORED_SELECT + " WHERE a.id = ?", [int(key)]).fetchone()
            else:
                # Portals serve one page over http and https alike: either spelling finds it.
                url = canonicalize_url(str(key))
                other = (
                    "http://" + url[8:]
                    if url.startswith("https://")
                    else "https://" + url[7:]
                    if url.startswith("http://")
                    else url
                )
                row = self.conn.execute(
                    _STORED_SELECT + " WHERE a.url IN (?, ?) ORDER BY a.url = ? DESC",
                    [url, other, url],
                ).fetchone()
        return _row_to_stored(row) if row else None

    def iter_articles(self, *, site: str | None = None) -> Iterator[StoredArticle]:
        """Every article, oldest id first (a stable export order)."""
        sql = _STORED_SELECT + (" WHERE a.site = ?" if site else "") + " ORDER BY a.id"
        with self._errors():
            for row in self.conn.execute(sql, [site] if site else []):
                yield _row_to_stored(row)

    def page_body(self, page_id: int) -> bytes:
        """The stored raw body of a page, decompressed."""
        with self._errors():
            row = self.conn.execute(
                "SELECT body, compression FROM pages WHERE id = ?", [page_id]
            ).fetchone()
        if row is None:
            raise ArchiveError(f"no page {page_id}", path=self.path)
        return zlib.decompress(row[0]) if row[1] == "zlib" else bytes(row[0])

    def failures(self, run_id: int | None = None) -> list[Failure]:
        sql = "SELECT url, kind, message, status FROM crawl_errors"
        params = []
        if run_id is not None:
            sql += " WHERE run_id = ?"
            params.append(run_id)
        with self._errors():
            return [Failure(*row) for row in self.conn.execute(sql + " ORDER BY id", params)]

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables (for summaries and tests)."""
        with self._errors():
            return {
                t: int(self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                for t in ("pages", "articles", "runs", "crawl_errors")
            }


_STORED_SELECT: Final = (
    "SELECT a.id, a.url, a.site, a.title, a.published, a.updated, a.paragraphs, a.footer,"
    " a.footer_lines, a.language, a.encoding, a.fetched_at, a.first_seen_at, a.page_id,"
    " p.final_url, p.status, p.sha256"
    " FROM articles a JOIN pages p ON p.id = a.page_id"
)


def _article_to_row(article: Article) -> dict[str, Any]:
    data = article.to_dict()
    return {
        "url": data["url"],
        "site": data["site"],
        "title": data["title"],
        "published": data["published"],
        "updated": data["updated"],
        "paragraphs": json.dumps(data["paragraphs"], ensure_ascii=False),
        "body_text": data["body_text"],
        "footer": json.dumps(data["footer"], ensure_ascii=False),
        "footer_lines": json.dumps(data["footer_lines"], ensure_ascii=False),
        "language": data["language"],
        "encoding": data["encoding"],
    }


def _row_to_stored(row: tuple[Any, ...]) -> StoredArticle:
    (
        id_,
        url,
        site,
        title,
        published,
        updated,
        paragraphs,
        footer,
        footer_lines,
        language,
        encoding,
        fetched_at,
        first_seen_at,
        page_id,
        final_url,
        status,
        sha256,
    ) = row
    article = Article.from_dict(
        {
            "url": url,
            "site": site,
            "title": title,
            "published": published,
            "updated": updated,
            "paragraphs": json.loads(paragraphs),
            "footer": json.loads(footer),
            "footer_lines": json.loads(footer_lines),
            "language": language,
            "encoding": encoding,
        }
    )
    return StoredArticle(
        id=id_,
        article=article,
        fetched_at=fetched_at,
        first_seen_at=first_seen_at,
        page_id=page_id,
        final_url=final_url,
        status=status,
        sha256=sha256,
    )


_WORD: Final = re.compile(r'"[^"]+"|[^\s"]+')


def _fts_query(query: str) -> str:
    """User words → an FTS5 query that cannot be a syntax error: each word or "phrase" quoted,
    all required."""
    terms = []
    for token in _WORD.findall(query):
        token = token.strip('"').replace('"', "")
        if token.strip():
            terms.append(f'"{token}"')
    return " ".join(terms)


def _now() -> str:
    return datetime.now(UTC).isoformat()
