"""The archive stage: one SQLite file (WAL) holding raw pages, articles, a full-text index,
failures and runs. Owns every line of SQL. Never imports httpx or selectolax.

Writes go through ``Archive.transaction()``, which opens ``BEGIN IMMEDIATE``: a deferred
transaction that later needs the write lock fails at once with "database is locked" in WAL
mode instead of waiting (sqlite-utils' own ``atomic()`` issues a deferred ``BEGIN``). It nests:
a caller can wrap several writes (``save_article``, ``complete_link`` …) in one transaction and
commit them together, each inner one a savepoint.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import sqlite_utils

from ._schema import MIGRATIONS, SEARCH_INSERT, search_entry
from ._search import MARK_END, MARK_START, clean_snippet, column_filter, day_bounds, fts_query
from ._version import __version__ as _VERSION
from .errors import ArchiveError, ArchiveLockedError
from .models import _ADDED_LATER, _NOT_CONTENT, Article, CrawlReport, Failure, Link, Page
from .urls import canonicalize_url

__all__ = ["Archive", "ArticleVersion", "Change", "SaveResult", "SearchHit", "StoredArticle"]

SaveResult = Literal["new", "unchanged", "changed"]

EXTRACTOR_VERSION: Final = _VERSION
#: zlib level of the raw pages: level 1 takes about two thirds of the time of level 6 on a
#: 9 KB page and stores ~5 % more (BENCHMARKS.md). Any level reads back as "zlib".
_ZLIB_LEVEL: Final = 1


def _capture(page_id: int, final_url: str, status: int, sha256: str) -> dict[str, Any]:
    """Where a version came from: the stored page, as shown in JSON output."""
    return {"page_id": page_id, "final_url": final_url, "status": status, "sha256": sha256}


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as archived (its current version), with where and when it was fetched."""

    id: int
    article: Article
    fetched_at: str
    first_seen_at: str
    page_id: int
    final_url: str
    status: int
    sha256: str
    version: int = 1
    gone_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.article.to_dict(),
            "fetched_at": self.fetched_at,
            "first_seen_at": self.first_seen_at,
            "version": self.version,
            "gone_at": self.gone_at,
            "capture": _capture(self.page_id, self.final_url, self.status, self.sha256),
        }


@dataclass(frozen=True, slots=True)
class ArticleVersion:
    """One version of an article, with the capture it came from (its provenance)."""

    article_id: int
    version: int
    article: Article
    cause: str
    captured_at: str
    recorded_at: str
    page_id: int
    final_url: str
    status: int
    sha256: str
    extractor_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "version": self.version,
            "cause": self.cause,
            "captured_at": self.captured_at,
            "recorded_at": self.recorded_at,
            "extractor_version": self.extractor_version,
            "capture": _capture(self.page_id, self.final_url, self.status, self.sha256),
            **self.article.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Change:
    """Something that happened to an archived article: a new version, or its disappearance."""

    article_id: int
    url: str
    title: str | None
    kind: Literal["changed", "gone"]
    at: str
    version: int | None
    status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "url": self.url,
            "title": self.title,
            "kind": self.kind,
            "at": self.at,
            "version": self.version,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: int
    url: str
    site: str | None
    title: str | None
    published: str | None
    updated: str | None
    column: str | None
    source: str | None
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "published": self.published,
            "updated": self.updated,
            "column": self.column,
            "source": self.source,
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
        #: Called with the name of each write point (``page_saved``, ``article_saved``,
        #: ``links_added``, ``before_commit``, ``after_commit`` …): the crash tests kill the
        #: process there to prove that no instant loses or duplicates anything.
        self.write_hook: Callable[[str], None] | None = None
        self._depth = 0  # transaction() nesting: 0 outside, 1 in the outer one
        # Search index rows of this transaction (rowid -> columns), written sorted by rowid
        # just before it commits: FTS5 keeps its pending segment in memory only while rowids
        # increase, and the date-ordered rowids of a crawl arrive out of order (each out-of-
        # order row flushed a segment: twice the time per row, BENCHMARKS.md).
        self._search_rows: dict[int, tuple[Any, ...]] = {}

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
        """Apply the pending migrations, all in one IMMEDIATE transaction: an older archive is
        upgraded in place completely, or not at all. Idempotent."""
        applied: list[str] = []
        with self._errors():
            if not self.pending_migrations():
                return applied  # the common case: no write lock taken at all
            with self.transaction():
                self.conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
                )
                done = {r[0] for r in self.conn.execute("SELECT name FROM schema_migrations")}
                for name, step in MIGRATIONS:
                    if name in done:
                        continue
                    step(self.conn)
                    self.conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", [name, _now()])
                    applied.append(name)
        return applied

    # -- transactions and errors ------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction that holds the write lock from its first statement.

        Re-entrant: inside another ``transaction()`` it is a savepoint, so an exception undoes
        the inner block's writes alone (and propagates), and what it wrote is committed with
        the outer transaction. ``before_commit`` and ``after_commit`` are reached by the outer
        one only, since only it commits. Search index rows are written just before the commit,
        so a search on this connection inside the transaction does not see them yet.
        """
        if self._depth:
            with self._errors(), self._savepoint():
                yield
            return
        with self._errors():
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
                self._write_search_rows()
                self._reached("before_commit")
                self.conn.execute("COMMIT")
            except BaseException:
                self._search_rows.clear()
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0
            self._reached("after_commit")

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[None]:
        name = f"nested_{self._depth}"
        self.conn.execute(f"SAVEPOINT {name}")
        pending = dict(self._search_rows)
        self._depth += 1
        try:
            yield
        except BaseException:
            self._search_rows = pending
            if self.conn.in_transaction:  # an I/O error may have ended it already
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
            raise
        finally:
            self._depth -= 1
        self.conn.execute(f"RELEASE {name}")

    def _write_search_rows(self) -> None:
        if self._search_rows:
            rows = [(rowid, *columns) for rowid, columns in sorted(self._search_rows.items())]
            self._search_rows.clear()
            self.conn.executemany(SEARCH_INSERT, rows)

    def _reached(self, point: str) -> None:
        if self.write_hook is not None:
            self.write_hook(point)

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
                zlib.compress(page.body, _ZLIB_LEVEL),
                len(page.body),
                sha,
                fetched,
                fetched,
            ],
        )
        return int(cursor.lastrowid or 0)

    def save_article(self, page: Page, article: Article, *, cause: str = "crawl") -> SaveResult:
        """Store the raw page and the article extracted from it, in one transaction.

        An unchanged article is left as it is (not even its fetch time moves). A changed one
        becomes a new version: the earlier versions are kept in ``article_versions``, never
        overwritten, and the ``articles`` row shows the newest. ``cause`` records why the
        version was made (``crawl``, ``reparse``, ``import``).
        """
        with self.transaction():
            return self._save_article(page, article, cause)

    def save_articles(
        self, items: Iterable[tuple[Page, Article]], *, cause: str = "import"
    ) -> list[SaveResult]:
        """``save_article`` for many pages in one transaction: all are stored, or none.
        For bulk loads (imports, benchmarks). The same as ``save_article`` calls inside one
        ``transaction()``, without a savepoint per article."""
        with self.transaction():
            return [self._save_article(page, article, cause) for page, article in items]

    def _save_article(self, page: Page, article: Article, cause: str) -> SaveResult:
        if not article.url:
            raise ArchiveError("an article needs a URL to be archived", path=self.path)
        page_id = self._save_page(page)
        row = self.conn.execute(
            "SELECT id, content_hash, version, gone_at, search_rowid FROM articles WHERE url = ?",
            [article.url],
        ).fetchone()
        values = _article_to_row(article)
        content_hash = values.pop("content_hash")
        if row and row[1] == content_hash:
            if row[3] is not None:  # it is back
                self.conn.execute(
                    "UPDATE articles SET gone_at = NULL, gone_status = NULL WHERE id = ?", [row[0]]
                )
            return "unchanged"
        fetched = page.fetched_at.isoformat()
        values.update(
            content_hash=content_hash,
            page_id=page_id,
            extractor_version=EXTRACTOR_VERSION,
            fetched_at=fetched,
        )
        outcome: SaveResult
        if row:
            article_id, version, outcome = int(row[0]), int(row[2]) + 1, "changed"
            self._unindex(row[4])
            search_rowid, search_row = search_entry(article_id, values)
            changes = {
                **values,
                "version": version,
                "gone_at": None,
                "gone_status": None,
                "search_rowid": search_rowid,
            }
            self.conn.execute(
                f"UPDATE articles SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                [*changes.values(), article_id],
            )
        else:
            version, outcome = 1, "new"
            # The id SQLite would pick (max + 1), taken up front so that the search rowid,
            # which embeds it, goes in with the row: a second UPDATE rewrote the ~12 KB row.
            article_id = int(
                self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()[0]
            )
            search_rowid, search_row = search_entry(article_id, values)
            _insert(
                self.conn,
                "articles",
                {
                    "id": article_id,
                    **values,
                    "first_seen_at": fetched,
                    "version": 1,
                    "search_rowid": search_rowid,
                },
            )
        version_row = {k: v for k, v in values.items() if k not in _NOT_VERSIONED}
        version_row.update(
            article_id=article_id,
            version=version,
            cause=cause,
            captured_at=fetched,
            recorded_at=_now(),
        )
        _insert(self.conn, "article_versions", version_row)
        self._search_rows[search_rowid] = search_row
        return outcome

    def _unindex(self, search_rowid: int | None) -> None:
        """Take an article's current row out of the search index (or out of the rows this
        transaction has yet to write)."""
        if search_rowid is None:
            return
        if self._search_rows.pop(search_rowid, None) is None:
            self.conn.execute("DELETE FROM articles_search WHERE rowid = ?", [search_rowid])

    def begin_crawl(
        self, site: str, starts: Iterable[Link], started_at: datetime
    ) -> tuple[int, bool]:
        """Open a run. Returns ``(run_id, resumed)``.

        When the site's last run never finished (the process was killed), its frontier is
        kept as it was and the crawl resumes. Otherwise the finished frontier is cleared, URLs
        that failed transiently last time are queued again, and the start pages are queued.
        """
        now = started_at.isoformat()
        with self.transaction():
            unfinished = self.conn.execute(
                "SELECT id FROM runs WHERE site = ? AND finished_at IS NULL", [site]
            ).fetchall()
            resumed = (
                bool(unfinished)
                and self.conn.execute(
                    "SELECT 1 FROM frontier WHERE site = ? AND state = 'pending' LIMIT 1", [site]
                ).fetchone()
                is not None
            )
            for (run_id,) in unfinished:
                self.conn.execute(
                    "UPDATE runs SET finished_at = ?, report = ? WHERE id = ?",
                    [now, json.dumps({"interrupted": True}), run_id],
                )
            if not resumed:
                # Failed-for-good rows stay: a 404 a listing still links to is not asked for
                # again every day.
                self.conn.execute("DELETE FROM frontier WHERE site = ? AND state = 'done'", [site])
                self.conn.execute(
                    "UPDATE frontier SET state = 'pending', updated_at = ? WHERE site = ?"
                    " AND state IN ('retry', 'pending')",
                    [now, site],
                )
            # A fresh run asks for its start pages again, whatever became of them; a resumed
            # one leaves every row as the killed run left it.
            conflict = (
                "DO NOTHING" if resumed else "DO UPDATE SET state = 'pending', updated_at = ?"
            )
            for link in starts:
                self.conn.execute(
                    "INSERT INTO frontier (site, url, host, kind, state, depth, discovered_at,"
                    " updated_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)"
                    f" ON CONFLICT (site, url) {conflict}",
                    [site, link.url, _host(link.url), link.kind, now, now]
                    + ([] if resumed else [now]),
                )
            cursor = self.conn.execute(
                "INSERT INTO runs (site, started_at) VALUES (?, ?)", [site, now]
            )
            return int(cursor.lastrowid or 0), resumed

    def pending_links(self, site: str) -> list[Link]:
        """The site's pending frontier, in discovery order."""
        with self._errors():
            rows = self.conn.execute(
                "SELECT url, kind, depth, found_on, link_text FROM frontier"
                " WHERE site = ? AND state = 'pending' ORDER BY id",
                [site],
            ).fetchall()
        return [Link(*row) for row in rows]

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of these URLs are archived articles already."""
        wanted = list(urls)
        known: set[str] = set()
        with self._errors():
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                known.update(
                    r[0]
                    for r in self.conn.execute(
                        f"SELECT url FROM articles WHERE url IN ({marks})", chunk
                    )
                )
        return known

    def latest_capture(self, url: str) -> tuple[int, dict[str, str]] | None:
        """The newest stored page for a URL and its response headers (for conditional GET)."""
        with self._errors():
            row = self.conn.execute(
                "SELECT id, headers FROM pages WHERE url = ? ORDER BY id DESC LIMIT 1", [url]
            ).fetchone()
        if row is None:
            return None
        return int(row[0]), {k.lower(): v for k, v in json.loads(row[1])}

    def complete_link(
        self,
        site: str,
        link: Link,
        *,
        page: Page | None = None,
        article: Article | None = None,
        not_modified_page: int | None = None,
        found: Iterable[Link] = (),
        cause: str = "crawl",
        file: Page | None = None,
    ) -> tuple[SaveResult | None, list[Link]]:
        """Finish one frontier URL in one transaction: its raw page (or, for a 304, the
        capture it confirms), its article, its attachments, the links it revealed, and its
        frontier row marked done. Returns the article outcome and the links newly queued."""
        with self.transaction():
            outcome: SaveResult | None = None
            now = _now()
            if article is not None and page is not None:
                outcome = self._save_article(page, article, cause)
                self._reached("article_saved")
                self._save_attachments(article, now)
            elif page is not None:
                self._save_page(page)
                self._reached("page_saved")
            elif not_modified_page is not None:
                self.conn.execute(
                    "UPDATE pages SET last_seen_at = ? WHERE id = ?", [now, not_modified_page]
                )
            if file is not None:
                # Not a page but a file (PDF, spreadsheet …) behind a link: an attachment.
                self._save_file(link, file, now)
            added = self._add_links(site, found, now)
            self._reached("links_added")
            self.conn.execute(
                "UPDATE frontier SET state = 'done', attempts = attempts + 1, updated_at = ?"
                " WHERE site = ? AND url = ?",
                [now, site, link.url],
            )
            return outcome, added

    def fail_link(
        self,
        site: str,
        run_id: int | None,
        link: Link,
        failure: Failure,
        *,
        retry: bool,
        page: Page | None = None,
    ) -> bool:
        """Record a failed frontier URL in one transaction: the error, its raw page if there
        was one, and its state (``retry`` comes back next run, ``failed`` does not). A 404 or
        410 on an archived article marks it gone; returns True when it did."""
        with self.transaction():
            now = _now()
            if page is not None:
                self._save_page(page)
            self.conn.execute(
                "INSERT INTO crawl_errors (run_id, url, kind, status, message, at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [run_id, failure.url, failure.kind, failure.status, failure.message, now],
            )
            self._reached("failure_recorded")
            self.conn.execute(
                "UPDATE frontier SET state = ?, attempts = attempts + 1, last_error = ?,"
                " updated_at = ? WHERE site = ? AND url = ?",
                ["retry" if retry else "failed", failure.message, now, site, link.url],
            )
            if link.kind == "article" and failure.kind == "not_found" and failure.status:
                cursor = self.conn.execute(
                    "UPDATE articles SET gone_at = ?, gone_status = ?"
                    " WHERE url = ? AND gone_at IS NULL",
                    [now, failure.status, link.url],
                )
                return cursor.rowcount > 0
            return False

    def save_attachment_body(
        self,
        article_url: str,
        url: str,
        *,
        body: bytes,
        content_type: str | None,
        fetched_at: datetime,
    ) -> None:
        """Store a downloaded attachment (``--download-attachments``) with its size and hash."""
        with self.transaction():
            self.conn.execute(
                "UPDATE attachments SET body = ?, size = ?, sha256 = ?, content_type = ?,"
                " fetched_at = ? WHERE url = ? AND (article_url = ? OR body IS NULL)",
                [
                    body,
                    len(body),
                    hashlib.sha256(body).hexdigest(),
                    content_type,
                    fetched_at.isoformat(),
                    url,
                    article_url,
                ],
            )

    def _add_links(self, site: str, links: Iterable[Link], now: str) -> list[Link]:
        added = []
        for link in links:
            cursor = self.conn.execute(
                "INSERT OR IGNORE INTO frontier (site, url, host, kind, state, depth, found_on,"
                " link_text, discovered_at, updated_at)"
                " VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
                [
                    site,
                    link.url,
                    _host(link.url),
                    link.kind,
                    link.depth,
                    link.found_on,
                    link.text,
                    now,
                    now,
                ],
            )
            if cursor.rowcount:
                added.append(link)
        return added

    def _save_file(self, link: Link, file: Page, now: str) -> None:
        name = urlsplit(link.url).path.rsplit("/", 1)[-1]
        kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        kind = kind or (file.content_type.rsplit("/", 1)[-1] if file.content_type else "file")
        self.conn.execute(
            "INSERT INTO attachments (article_url, url, link_text, type, content_type, size,"
            " sha256, body, fetched_at, first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (article_url, url) DO UPDATE SET content_type = excluded.content_type,"
            " size = excluded.size, sha256 = excluded.sha256, body = excluded.body,"
            " fetched_at = excluded.fetched_at",
            [
                link.found_on or link.url,
                link.url,
                link.text,
                kind[:16],
                file.content_type or None,
                len(file.body),
                file.sha256,
                file.body,
                file.fetched_at.isoformat(),
                now,
            ],
        )

    def _save_attachments(self, article: Article, now: str) -> None:
        for attachment in article.attachments:
            self.conn.execute(
                "INSERT OR IGNORE INTO attachments (article_url, url, link_text, type,"
                " first_seen_at) VALUES (?, ?, ?, ?, ?)",
                [article.url, attachment.url, attachment.text, attachment.type, now],
            )

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

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        site: str | None = None,
        since: date | None = None,
        until: date | None = None,
        column: str | None = None,
        source: str | None = None,
        order: Literal["date", "relevance"] = "date",
        marks: tuple[str, str] = ("[", "]"),
    ) -> list[SearchHit]:
        """Full-text search over titles and bodies, in Chinese and English.

        Every word is required; "quote" a phrase; ``word*`` matches a prefix. English words
        are stemmed (``worker`` finds ``workers``); a Chinese term of any length matches
        where its characters stand together. ``order="date"`` gives the newest first and
        costs the same whatever the number of matches; ``"relevance"`` ranks (bm25) the
        newest 1,000 matches. ``marks`` surround the matched words in snippets.
        """
        terms = fts_query(query)
        if not terms:
            return []
        # The words are looked for in the text only, not in the filter columns.
        match = f"{{title body}} : ({terms})"
        for name, value in (("site", site), ("column_name", column), ("source", source)):
            if value:
                match += " AND " + column_filter(name, value)
        low, high = day_bounds(since, until)
        where = "articles_search MATCH ?"
        params: list[Any] = [match]
        if low is not None:
            where += " AND rowid >= ?"
            params.append(low)
        if high is not None:
            where += " AND rowid < ?"
            params.append(high)
        snippet = f"snippet(articles_search, -1, '{MARK_START}', '{MARK_END}', '…', 24)"
        with self._errors():
            if order == "relevance":
                # bm25 over the newest matches, then snippets for the winners only: a snippet
                # costs far more than a score, and 5,000 of them took seconds.
                ranked = self.conn.execute(
                    "SELECT r FROM (SELECT rowid AS r, bm25(articles_search, 10.0, 1.0, 0, 0, 0)"
                    f" AS score FROM articles_search WHERE {where} ORDER BY rowid DESC"
                    f" LIMIT {_RANKED_WINDOW}) ORDER BY score LIMIT ?",
                    [*params, limit],
                ).fetchall()
                rowids = [r[0] for r in ranked]
                marks_sql = ", ".join("?" * len(rowids)) or "NULL"
                found = {
                    r[0]: r
                    for r in self.conn.execute(
                        f"SELECT s.rowid, a.id, a.url, a.site, a.title, a.published, a.updated,"
                        f" a.column_name, a.source, {snippet} FROM articles_search s"
                        " JOIN articles a ON a.id = s.article_id"
                        f" WHERE articles_search MATCH ? AND s.rowid IN ({marks_sql})",
                        [match, *rowids],
                    )
                }
                rows = [found[r][1:] for r in rowids if r in found]
            else:
                rows = self.conn.execute(
                    "SELECT a.id, a.url, a.site, a.title, a.published, a.updated, a.column_name,"
                    f" a.source, m.snip FROM (SELECT rowid AS r, article_id, {snippet} AS snip"
                    f" FROM articles_search WHERE {where} ORDER BY rowid DESC LIMIT ?) m"
                    " JOIN articles a ON a.id = m.article_id ORDER BY m.r DESC",
                    [*params, limit],
                ).fetchall()
        hits = [
            SearchHit(
                id=r[0],
                url=r[1],
                site=r[2],
                title=r[3],
                published=r[4],
                updated=r[5],
                column=r[6],
                source=r[7],
                snippet=clean_snippet(r[8], start=marks[0], end=marks[1]),
            )
            for r in rows
        ]
        # The FTS column filters match phrases; keep only exact values.
        return [
            h
            for h in hits
            if (not site or h.site == site)
            and (not column or h.column == column)
            and (not source or h.source == source)
        ]

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

    def get_page(self, page_id: int) -> Page:
        """A stored capture, rebuilt as the Page it was (body decompressed)."""
        with self._errors():
            row = self.conn.execute(
                "SELECT url, fetch_url, final_url, status, headers, fetched_at FROM pages"
                " WHERE id = ?",
                [page_id],
            ).fetchone()
        if row is None:
            raise ArchiveError(f"no page {page_id}", path=self.path)
        url, fetch_url, final_url, status, headers, fetched_at = row
        return Page(
            url=url,
            fetch_url=fetch_url,
            final_url=final_url,
            status=status,
            headers=tuple((k, v) for k, v in json.loads(headers)),
            body=self.page_body(page_id),
            fetched_at=datetime.fromisoformat(fetched_at),
        )

    def versions(self, article_id: int) -> list[ArticleVersion]:
        """Every version of an article, oldest first."""
        with self._errors():
            rows = self.conn.execute(
                _VERSION_SELECT + " WHERE v.article_id = ? ORDER BY v.version", [article_id]
            ).fetchall()
        return [_row_to_version(row) for row in rows]

    def changes(self, *, since: date | None = None, site: str | None = None) -> list[Change]:
        """New versions (after the first) and disappearances, newest first."""
        params: list[Any] = []
        since_filter = ""
        if since:
            since_filter = " AND {col} >= ?"
            params.append(since.isoformat())
        site_filter = " AND a.site = ?" if site else ""
        changed = (
            "SELECT a.id, a.url, a.title, 'changed', v.recorded_at, v.version, NULL"
            " FROM article_versions v JOIN articles a ON a.id = v.article_id"
            " WHERE v.version > 1" + since_filter.format(col="v.recorded_at") + site_filter
        )
        gone = (
            "SELECT a.id, a.url, a.title, 'gone', a.gone_at, a.version, a.gone_status"
            " FROM articles a WHERE a.gone_at IS NOT NULL"
            + since_filter.format(col="a.gone_at")
            + site_filter
        )
        args = params + ([site] if site else []) + params + ([site] if site else [])
        with self._errors():
            rows = self.conn.execute(
                f"{changed} UNION ALL {gone} ORDER BY 5 DESC, 1", args
            ).fetchall()
        return [Change(*row) for row in rows]

    def verify_pages(self) -> Iterator[tuple[int, str, bool]]:
        """Re-hash every stored page: ``(page_id, url, ok)`` for each, in id order."""
        with self._errors():
            rows = self.conn.execute(
                "SELECT id, url, body, compression, size, sha256 FROM pages ORDER BY id"
            )
            for page_id, url, body, compression, size, sha256 in rows:
                try:
                    data = zlib.decompress(body) if compression == "zlib" else bytes(body)
                except zlib.error:
                    yield page_id, url, False
                    continue
                ok = len(data) == size and hashlib.sha256(data).hexdigest() == sha256
                yield page_id, url, ok

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables (for summaries and tests)."""
        with self._errors():
            return {
                t: int(self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                for t in (
                    "pages",
                    "articles",
                    "article_versions",
                    "runs",
                    "crawl_errors",
                    "attachments",
                )
            }


_RANKED_WINDOW: Final = 1000
_NOT_VERSIONED: Final = frozenset({"url", "site", "fetched_at"})


def _insert(conn: sqlite3.Connection, table: str, values: dict[str, Any]) -> int:
    """A plain INSERT of one row; the statement text repeats, so SQLite's statement cache
    keeps it compiled (sqlite-utils would re-read the table's columns on every call)."""
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    cursor = conn.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values())
    )
    return int(cursor.lastrowid or 0)


#: The Article's stored columns (``column_name`` is its ``column``), in SELECT order.
_ARTICLE_COLUMNS: Final = (
    "title",
    "published",
    "updated",
    "paragraphs",
    "footer",
    "footer_lines",
    "language",
    "encoding",
    "column_name",
    "source",
    "attachments",
    "subtitle",
    "author",
    "images",
    "document",
    "published_source",
    "published_raw",
    "updated_source",
    "updated_raw",
    "encoding_reason",
)
#: Stored as JSON text.
_JSON_COLUMNS: Final = frozenset(
    {"paragraphs", "footer", "footer_lines", "attachments", "images", "document"}
)
_N: Final = len(_ARTICLE_COLUMNS)

_STORED_SELECT: Final = (
    "SELECT a.id, a.url, a.site, "
    + ", ".join(f"a.{c}" for c in _ARTICLE_COLUMNS)
    + ", a.fetched_at, a.first_seen_at, a.page_id, p.final_url, p.status, p.sha256, a.version,"
    " a.gone_at"
    " FROM articles a JOIN pages p ON p.id = a.page_id"
)
_VERSION_SELECT: Final = (
    "SELECT v.article_id, v.version, a.url, a.site, "
    + ", ".join(f"v.{c}" for c in _ARTICLE_COLUMNS)
    + ", v.cause, v.captured_at, v.recorded_at, v.page_id, p.final_url, p.status,"
    " p.sha256, v.extractor_version"
    " FROM article_versions v JOIN articles a ON a.id = v.article_id"
    " JOIN pages p ON p.id = v.page_id"
)


def _article_to_row(article: Article) -> dict[str, Any]:
    """The article's column values, and its ``content_hash`` under that key.

    The hash is ``Article.content_hash`` (tests/test_archive_fields.py checks they agree),
    computed here from the JSON the row needs anyway: the paragraphs are encoded once, and
    ``body_text``, their join by newlines, is the join of their encodings by an escaped
    newline (JSON escapes a string character by character). That halves the JSON work of a
    save (~5 KB of text encoded once instead of three times)."""
    data = article.to_dict()
    paragraphs = [_encode_str(p) for p in data["paragraphs"]]
    row: dict[str, Any] = {"url": data["url"], "site": data["site"]}
    for column in _ARTICLE_COLUMNS:
        key = "column" if column == "column_name" else column
        if column == "paragraphs":
            row["paragraphs"] = "[" + ", ".join(paragraphs) + "]"
            row["body_text"] = data["body_text"]
        elif column in _JSON_COLUMNS:
            # Stored in the Article's own key order (the hash sorts them).
            row[column] = _STORED_JSON.encode(data[key])
        else:
            row[column] = data[key]
    hashed = {
        key: value
        for key, value in data.items()
        if key not in _NOT_CONTENT and (value or key not in _ADDED_LATER)
    }
    pieces = []
    for key in sorted(hashed):
        if key == "paragraphs":
            encoded = row["paragraphs"]
        elif key == "body_text":
            encoded = '"' + "\\n".join(p[1:-1] for p in paragraphs) + '"'
        else:
            encoded = _hash_json(hashed[key])
        pieces.append(f'"{key}": {encoded}')  # the keys are identifiers: nothing to escape
    blob = "{" + ", ".join(pieces) + "}"
    row["content_hash"] = hashlib.sha256(blob.encode("utf-8")).hexdigest()
    return row


# Encoders made once: json.dumps with options builds a new encoder on every call, and a save
# makes ~40 small encodings.
_STORED_JSON: Final = json.JSONEncoder(ensure_ascii=False)
_HASH_JSON: Final = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
_encode_str: Final = json.encoder.encode_basestring


def _hash_json(value: Any) -> str:
    """JSON as ``Article.content_hash`` writes it (``json.dumps(ensure_ascii=False,
    sort_keys=True)``)."""
    if value is None:
        return "null"
    if type(value) is str:
        return _encode_str(value)
    return _HASH_JSON.encode(value)


def _article_from(url: str, site: str | None, values: tuple[Any, ...]) -> Article:
    data: dict[str, Any] = {"url": url, "site": site}
    for column, value in zip(_ARTICLE_COLUMNS, values, strict=True):
        key = "column" if column == "column_name" else column
        data[key] = json.loads(value) if column in _JSON_COLUMNS else value
    return Article.from_dict(data)


def _row_to_stored(row: tuple[Any, ...]) -> StoredArticle:
    id_, url, site = row[0], row[1], row[2]
    (fetched_at, first_seen_at, page_id, final_url, status, sha256, version, gone_at) = row[
        3 + _N :
    ]
    return StoredArticle(
        id=id_,
        article=_article_from(url, site, row[3 : 3 + _N]),
        fetched_at=fetched_at,
        first_seen_at=first_seen_at,
        page_id=page_id,
        final_url=final_url,
        status=status,
        sha256=sha256,
        version=version,
        gone_at=gone_at,
    )


def _row_to_version(row: tuple[Any, ...]) -> ArticleVersion:
    article_id, version, url, site = row[:4]
    (cause, captured_at, recorded_at, page_id, final_url, status, sha256, extractor) = row[4 + _N :]
    return ArticleVersion(
        article_id=article_id,
        version=version,
        article=_article_from(url, site, row[4 : 4 + _N]),
        cause=cause,
        captured_at=captured_at,
        recorded_at=recorded_at,
        page_id=page_id,
        final_url=final_url,
        status=status,
        sha256=sha256,
        extractor_version=extractor,
    )


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _now() -> str:
    return datetime.now(UTC).isoformat()
