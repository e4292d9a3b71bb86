"""Analysis of an archive: an analyst's read-only SQL, and counts per site, column and month.

Never prints and never writes: queries run on their own ``mode=ro`` connection behind an
authorizer allow-list, a time limit and a row cap (reliability.md §1.10 and S1).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import math
import re
import sqlite3
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from .archive import Archive
from .errors import ArchiveError, PortalArchiveError

__all__ = [
    "ArchiveStats",
    "QueryError",
    "QueryResult",
    "archive_stats",
    "bar_chart",
    "fill_months",
    "run_readonly_query",
]

#: What a SQLite cell can hold.
SQLValue = int | float | str | bytes | None
#: What a JSON record built from a row can hold.
JSONValue = int | float | str | bool | None | dict[str, "JSONValue"]

QueryErrorReason = Literal["not_allowed", "syntax", "time_limit"]


class QueryError(PortalArchiveError):
    """A query was refused (``not_allowed``), is not valid SQL (``syntax``), or ran past its
    time limit (``time_limit``). The archive is untouched in every case."""

    def __init__(self, message: str, *, reason: QueryErrorReason):
        super().__init__(message)
        self.reason: QueryErrorReason = reason


@dataclass(frozen=True, slots=True)
class QueryResult:
    """The rows of a query, at most ``max_rows`` of them; ``truncated`` when more matched."""

    columns: tuple[str, ...]
    rows: tuple[tuple[SQLValue, ...], ...]
    truncated: bool

    def to_records(self) -> list[dict[str, JSONValue]]:
        """The rows as JSON-ready objects. A repeated column name gets a ``_2``, ``_3`` …
        suffix; a blob becomes ``{"$base64": true, "encoded": …}`` (Datasette's shape)."""
        keys = _unique_names(self.columns)
        return [{k: _json_value(v) for k, v in zip(keys, row, strict=True)} for row in self.rows]

    def to_csv(self) -> str:
        """The rows as CSV (header first). A text cell that a spreadsheet would run as a
        formula (starting with ``= + - @``, tab or CR) gets a leading ``'``; blobs are base64."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_csv_guard(c) for c in self.columns])
        for row in self.rows:
            writer.writerow([_csv_cell(v) for v in row])
        return out.getvalue()


# -- read-only SQL ----------------------------------------------------------------------------

#: Functions refused even though SQLITE_FUNCTION is allowed: they reach the filesystem or
#: change how SQLite behaves.
_DENIED_FUNCTIONS: Final = frozenset(
    {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
)

#: Pragmas that only read. FTS5 runs ``PRAGMA data_version`` for every query on its index;
#: the table-valued ``pragma_table_info(…)`` & co. run theirs. Any pragma given a value
#: (``data_version = 1``) or not listed here is refused.
_READ_ONLY_PRAGMAS: Final = frozenset({"data_version"})
_INTROSPECTION_PRAGMAS: Final = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
    }
)

#: Eponymous virtual tables connected before the authorizer is installed: connecting one runs
#: SQLite's own schema statements, which the allow-list would refuse.
_PREWARMED_TABLES: Final = (
    "json_each",
    "json_tree",
    *(f"pragma_{name}" for name in sorted(_INTROSPECTION_PRAGMAS)),
)

#: No string or blob built by a query may be larger than this (SQLite's default is 1 GB, and
#: one ``randomblob()`` call that size runs between two time-limit checks).
_MAX_VALUE_BYTES: Final = 64 * 1024 * 1024

_ALLOWED_ACTIONS: Final = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)

_ACTION_NAMES: Final = {
    getattr(sqlite3, name): name.removeprefix("SQLITE_")
    .replace("_", " ")
    .replace("VTABLE", "VIRTUAL TABLE")
    for name in (
        "SQLITE_CREATE_INDEX",
        "SQLITE_CREATE_TABLE",
        "SQLITE_CREATE_TEMP_INDEX",
        "SQLITE_CREATE_TEMP_TABLE",
        "SQLITE_CREATE_TEMP_TRIGGER",
        "SQLITE_CREATE_TEMP_VIEW",
        "SQLITE_CREATE_TRIGGER",
        "SQLITE_CREATE_VIEW",
        "SQLITE_CREATE_VTABLE",
        "SQLITE_DELETE",
        "SQLITE_DROP_INDEX",
        "SQLITE_DROP_TABLE",
        "SQLITE_DROP_TEMP_INDEX",
        "SQLITE_DROP_TEMP_TABLE",
        "SQLITE_DROP_TEMP_TRIGGER",
        "SQLITE_DROP_TEMP_VIEW",
        "SQLITE_DROP_TRIGGER",
        "SQLITE_DROP_VIEW",
        "SQLITE_DROP_VTABLE",
        "SQLITE_INSERT",
        "SQLITE_PRAGMA",
        "SQLITE_TRANSACTION",
        "SQLITE_UPDATE",
        "SQLITE_ATTACH",
        "SQLITE_DETACH",
        "SQLITE_ALTER_TABLE",
        "SQLITE_REINDEX",
        "SQLITE_ANALYZE",
        "SQLITE_SAVEPOINT",
    )
    if hasattr(sqlite3, name)
}


class _Authorizer:
    """The allow-list: SELECT, READ, FUNCTION (minus a denylist), RECURSIVE, read-only pragmas.
    Remembers what it refused, so the error can name it."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    def __call__(
        self,
        action: int,
        arg1: str | None,
        arg2: str | None,
        db_name: str | None,
        source: str | None,
    ) -> int:
        if action in _ALLOWED_ACTIONS:
            if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
                self.refused.append(f"function {arg2}()")
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if (name in _READ_ONLY_PRAGMAS and arg2 is None) or name in _INTROSPECTION_PRAGMAS:
                return sqlite3.SQLITE_OK
            self.refused.append(f"PRAGMA {arg1}" + (f"={arg2}" if arg2 is not None else ""))
            return sqlite3.SQLITE_DENY
        what = _ACTION_NAMES.get(action, f"action {action}")
        if arg1 in {"sqlite_master", "sqlite_temp_master"}:
            # Connecting a virtual table other than the prepared ones lands here too.
            what = (
                "a change to the schema"
                if action != sqlite3.SQLITE_UPDATE
                else "a virtual table not open to queries here"
            )
        self.refused.append(what)
        return sqlite3.SQLITE_DENY


def _open_readonly(db_path: Path) -> sqlite3.Connection:
    if not db_path.exists():
        raise ArchiveError(
            "no archive here yet: run `portal-archive crawl` (or `demo`) first", path=db_path
        )
    if not db_path.is_file():
        raise ArchiveError("is not a file", path=db_path)
    try:
        conn = sqlite3.connect(
            f"{db_path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None
        )
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot open: {exc}", path=db_path) from exc
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA query_only = 1")
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, _MAX_VALUE_BYTES)
        _prewarm(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise ArchiveError(f"not a usable archive ({exc})", path=db_path) from exc
    return conn


def _prewarm(conn: sqlite3.Connection) -> None:
    """Connect the archive's virtual tables (FTS) and the eponymous ones analysts use."""
    virtual = [
        str(name)
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
        )
    ]
    for name in (*virtual, *_PREWARMED_TABLES):
        quoted = '"' + name.replace('"', '""') + '"'
        with contextlib.suppress(sqlite3.OperationalError):  # not in this SQLite build
            conn.execute(f"SELECT * FROM {quoted} LIMIT 0").fetchall()


@contextlib.contextmanager
def _time_limit(conn: sqlite3.Connection, ms: int) -> Iterator[None]:
    """Abort the running statement once ``ms`` milliseconds have passed (Datasette's
    ``sqlite_timelimit``: a progress handler checked every 1,000 VM steps)."""
    deadline = time.perf_counter() + ms / 1000

    def handler() -> int:
        return 1 if time.perf_counter() >= deadline else 0

    conn.set_progress_handler(handler, 1 if ms <= 20 else 1000)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 1000)


def run_readonly_query(
    db_path: Path | str, sql: str, *, time_limit_ms: int = 1000, max_rows: int = 1000
) -> QueryResult:
    """Run one SQL statement against the archive file, which stays untouched whatever it says.

    Only reading is allowed: the file is opened ``mode=ro``, no database can be attached, and
    an authorizer refuses everything but SELECT, reads, functions (not ``load_extension``,
    ``readfile``, ``writefile``, ``edit``, ``fts3_tokenizer``), recursive CTEs and read-only
    pragmas. Rows past ``max_rows`` are dropped and ``truncated`` is set.

    Raises:
        ArchiveError: the file is missing, not a SQLite database, or corrupt.
        QueryError: the statement was refused (``reason="not_allowed"``), is not valid SQL
            (``"syntax"``), or ran past ``time_limit_ms`` (``"time_limit"``).
    """
    if time_limit_ms <= 0 or max_rows <= 0:
        raise ValueError("time_limit_ms and max_rows must be positive")
    path = Path(db_path)
    conn = _open_readonly(path)
    authorizer = _Authorizer()
    try:
        conn.set_authorizer(authorizer)
        with _time_limit(conn, time_limit_ms):
            cursor = conn.execute(sql)
            rows = cursor.fetchmany(max_rows + 1)
            description = cursor.description
            cursor.close()
    except (sqlite3.ProgrammingError, sqlite3.Warning) as exc:
        if authorizer.refused:
            raise _refused(sql, authorizer.refused[0]) from exc
        if "one statement at a time" in str(exc):
            raise _refused(sql, "more than one statement") from exc
        raise QueryError(f"SQL error: {exc}", reason="syntax") from exc
    except sqlite3.Error as exc:
        raise _classify(exc, sql, authorizer, path, time_limit_ms) from exc
    finally:
        conn.set_authorizer(None)
        conn.close()
    if description is None:
        raise QueryError(
            "SQL error: no statement to run (only blanks or comments)", reason="syntax"
        )
    return QueryResult(
        columns=tuple(str(d[0]) for d in description),
        rows=tuple(tuple(row) for row in rows[:max_rows]),
        truncated=len(rows) > max_rows,
    )


_VERB: Final = re.compile(
    r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*"
    r"(?P<verb>[A-Za-z]+)(?:\s+(?:(?:TEMP|TEMPORARY|UNIQUE|VIRTUAL)\s+)*(?P<kind>[A-Za-z]+))?",
    re.DOTALL,
)


def _refused(sql: str, detail: str) -> QueryError:
    """Name what was refused: the statement's verb (``DROP TABLE``, ``VACUUM``), or what the
    authorizer refused inside a query (a pragma, a function, a write)."""
    what = detail
    match = _VERB.match(sql)
    if match and not detail.startswith(("PRAGMA", "function", "more than")):
        verb = match["verb"].upper()
        if verb in {"CREATE", "DROP", "ALTER"} and match["kind"]:
            what = f"{verb} {match['kind'].upper()}"
        elif verb not in {"SELECT", "WITH", "VALUES"}:
            what = verb
    return QueryError(f"not allowed: this archive is read-only here ({what})", reason="not_allowed")


def _classify(
    exc: sqlite3.Error, sql: str, authorizer: _Authorizer, path: Path, time_limit_ms: int
) -> PortalArchiveError:
    name = getattr(exc, "sqlite_errorname", "")
    message = str(exc)
    if name == "SQLITE_INTERRUPT" or message == "interrupted":
        return QueryError(
            f"the query ran past the time limit of {time_limit_ms} ms and was stopped",
            reason="time_limit",
        )
    if authorizer.refused:
        return _refused(sql, authorizer.refused[0])
    if name in {"SQLITE_AUTH", "SQLITE_READONLY"} or "too many attached databases" in message:
        return _refused(sql, "ATTACH" if "attached" in message else "a write")
    if name in {"SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_IOERR", "SQLITE_CANTOPEN"}:
        return ArchiveError(f"not a usable archive ({message})", path=path)
    return QueryError(f"SQL error: {message}", reason="syntax")


def _unique_names(columns: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for column in columns:
        count = seen.get(column, 0) + 1
        seen[column] = count
        names.append(column if count == 1 else f"{column}_{count}")
    return names


def _json_value(value: SQLValue) -> JSONValue:
    if isinstance(value, bytes):
        return {"$base64": True, "encoded": base64.b64encode(value).decode("ascii")}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no Infinity
    return value


_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _csv_guard(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_cell(value: SQLValue) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return _csv_guard(base64.b64encode(value).decode("ascii"))
    if isinstance(value, str):
        return _csv_guard(value)
    return value


# -- stats ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveStats:
    """What an archive holds: totals, and article counts per site, column and month.

    ``by_column`` is None when the archive has no ``column_name`` yet. ``by_month`` runs in
    calendar order from the first month to the last, months without articles included (count
    0); ``undated`` counts articles with neither a publication nor an update date.
    """

    site: str | None
    articles: int
    pages: int
    raw_bytes: int
    stored_bytes: int
    runs: int
    failures: int
    gone: int | None
    by_site: tuple[tuple[str | None, int], ...]
    by_column: tuple[tuple[str | None, int], ...] | None
    by_month: tuple[tuple[str, int], ...]
    undated: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "totals": {
                "articles": self.articles,
                "pages": self.pages,
                "raw_bytes": self.raw_bytes,
                "stored_bytes": self.stored_bytes,
                "runs": self.runs,
                "failures": self.failures,
                "gone": self.gone,
            },
            "by_site": [{"site": s, "articles": n} for s, n in self.by_site],
            "by_column": (
                None
                if self.by_column is None
                else [{"column": c, "articles": n} for c, n in self.by_column]
            ),
            "by_month": [{"month": m, "articles": n} for m, n in self.by_month],
            "undated": self.undated,
        }


#: 1 when an article has a date to count it under (published, else updated), 0 otherwise.
_DATED: Final = "coalesce(coalesce(published, updated) GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]*', 0)"


def archive_stats(archive: Archive, site: str | None = None) -> ArchiveStats:
    """Count what the archive holds, for one site (profile id) or all of them.

    With ``site``, pages are those stored for that site's article URLs, and failures those
    recorded by its runs.

    Raises:
        ArchiveError: the archive cannot be read.
    """
    conn = archive.conn
    where, params = ("WHERE site = ?", [site]) if site else ("", [])
    and_site = "AND site = ?" if site else ""

    def scalar(sql: str, args: Sequence[object] = params) -> int:
        return int(conn.execute(sql, list(args)).fetchone()[0] or 0)

    def groups(sql: str) -> tuple[tuple[str | None, int], ...]:
        return tuple((key, int(n)) for key, n in conn.execute(sql, params))

    try:
        columns = {str(row[1]) for row in conn.execute("PRAGMA table_info(articles)")}
        page_filter = "WHERE url IN (SELECT url FROM articles WHERE site = ?)" if site else ""
        page_totals = conn.execute(
            f"SELECT count(*), sum(size), sum(length(body)) FROM pages {page_filter}", params
        ).fetchone()
        by_column = None
        if "column_name" in columns:
            by_column = groups(
                f"SELECT column_name, count(*) AS n FROM articles {where}"
                " GROUP BY column_name ORDER BY n DESC, column_name"
            )
        months = {
            str(month): int(n)
            for month, n in conn.execute(
                "SELECT substr(coalesce(published, updated), 1, 7) AS month, count(*)"
                f" FROM articles WHERE {_DATED} {and_site} GROUP BY month",
                params,
            )
        }
        return ArchiveStats(
            site=site,
            articles=scalar(f"SELECT count(*) FROM articles {where}"),
            pages=int(page_totals[0] or 0),
            raw_bytes=int(page_totals[1] or 0),
            stored_bytes=int(page_totals[2] or 0),
            runs=scalar(f"SELECT count(*) FROM runs {where}"),
            failures=scalar(
                "SELECT count(*) FROM crawl_errors"
                + (" WHERE run_id IN (SELECT id FROM runs WHERE site = ?)" if site else "")
            ),
            gone=(
                scalar(f"SELECT count(*) FROM articles WHERE gone_at IS NOT NULL {and_site}")
                if "gone_at" in columns
                else None
            ),
            by_site=groups(
                f"SELECT site, count(*) AS n FROM articles {where}"
                " GROUP BY site ORDER BY n DESC, site"
            ),
            by_column=by_column,
            by_month=fill_months(months),
            undated=scalar(f"SELECT count(*) FROM articles WHERE NOT {_DATED} {and_site}"),
        )
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot read: {exc}", path=archive.path) from exc


_MONTH: Final = re.compile(r"^(\d{4})-(\d{2})$")


def fill_months(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """Months ``YYYY-MM`` in calendar order from the first to the last, missing ones as 0."""
    valid = sorted(m for m in counts if _MONTH.match(m) and 1 <= int(m[5:]) <= 12)
    if not valid:
        return ()
    year, month = int(valid[0][:4]), int(valid[0][5:])
    last = valid[-1]
    out: list[tuple[str, int]] = []
    while True:
        key = f"{year:04d}-{month:02d}"
        out.append((key, counts.get(key, 0)))
        if key >= last:
            return tuple(out)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


# -- bar charts -------------------------------------------------------------------------------

_EIGHTHS: Final = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
_FULL: Final = "█"
_MAX_LABEL: Final = 30
_MIN_BAR: Final = 10


def bar_chart(items: Sequence[tuple[str, int]], width: int) -> list[str]:
    """One line per item: label, count, and a bar of block characters (eighths at the end)
    scaled so the largest count fills the line to ``width`` columns. A count of 0 has no
    bar; any other count shows at least an eighth. Labels wider than 30 columns are cut.

    >>> bar_chart([("a", 2), ("b", 1)], 20)
    ['a  2 ███████████████', 'b  1 ███████▌']
    """
    if not items:
        return []
    labels = [_fit(label, _MAX_LABEL) for label, _ in items]
    label_width = max(_display_width(label) for label in labels)
    counts = [max(int(n), 0) for _, n in items]
    count_width = max(len(str(n)) for n in counts)
    bar_width = max(width - label_width - count_width - 3, _MIN_BAR)
    top = max(counts)
    lines = []
    for label, count in zip(labels, counts, strict=True):
        eighths = round(count / top * bar_width * 8) if top else 0
        if count and not eighths:
            eighths = 1
        bar = _FULL * (eighths // 8) + _EIGHTHS[eighths % 8]
        pad = " " * (label_width - _display_width(label))
        lines.append(f"{label}{pad}  {str(count).rjust(count_width)} {bar}".rstrip())
    return lines


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, limit: int) -> str:
    if _display_width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if _display_width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"
