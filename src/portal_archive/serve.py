"""Browse the archive in Datasette (the optional ``serve`` extra): its configuration, read from
the live schema of the file, and the read-only Datasette instance built from it.

Datasette is imported only when a server is built, so the rest of portal-archive works
without it. No SQL is written here except read-only SELECTs for Datasette's canned queries.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .errors import ArchiveError

if TYPE_CHECKING:
    from datasette.app import Datasette

__all__ = ["INSTALL_HINT", "datasette_metadata", "load_datasette", "make_datasette"]

INSTALL_HINT: Final = "pip install 'portal-archive[serve]'"

#: Datasette settings. Cells are cut at 400 characters in HTML (JSON keeps everything), so the
#: paragraphs, footer and body_text columns stay visible without making each row a page long.
SETTINGS: Final[Mapping[str, Any]] = {"truncate_cells_html": 400}

_TITLE: Final = "portal-archive"
_DESCRIPTION: Final = (
    "Articles archived from government portals by portal-archive: the text exactly as "
    "published, the raw pages it was extracted from, crawl runs and failures. Read-only."
)
_FACETS: Final = ("site", "column_name", "language")
_SHADOW_SUFFIXES: Final = ("data", "idx", "content", "docsize", "config")
_FTS3_SHADOW_SUFFIXES: Final = ("content", "segments", "segdir", "docsize", "stat")
_BULKY: Final = frozenset({"paragraphs", "body_text", "footer", "footer_lines", "body"})
_FTS_RE: Final = re.compile(r"\busing\s+(fts[345])\s*\((.*)\)", re.IGNORECASE | re.DOTALL)
_QUOTED: Final = r"""(?:'([^']*)'|"([^"]*)"|`([^`]*)`|\[([^\]]*)\]|([\w$]+))"""
_CONTENT_RE: Final = re.compile(r"\bcontent\s*=\s*" + _QUOTED, re.IGNORECASE)
_CONTENT_ROWID_RE: Final = re.compile(r"\bcontent_rowid\s*=\s*" + _QUOTED, re.IGNORECASE)
_ROWID_ALIASES: Final = frozenset({"rowid", "_rowid_", "oid"})
_VERSION_STAMPS: Final = ("captured_at", "fetched_at", "recorded_at", "created_at")


@dataclass(frozen=True, slots=True)
class _Fts:
    name: str
    module: str  # fts3, fts4 or fts5
    content: str | None  # the external content table; "" contentless; None own content
    content_rowid: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    sql: str
    columns: tuple[str, ...]
    types: Mapping[str, str]
    pk: tuple[str, ...]
    foreign_keys: Mapping[str, tuple[str, str | None]]  # column -> (table, column)


@dataclass(frozen=True, slots=True)
class _Schema:
    tables: Mapping[str, _Table]  # ordinary tables
    fts: Sequence[_Fts]
    hidden: Sequence[str]


def load_datasette() -> type[Datasette]:
    """Import Datasette, the optional dependency of ``serve``.

    Raises:
        ImportError: Datasette is not installed (``pip install 'portal-archive[serve]'``).
    """
    from datasette.app import Datasette

    datasette_class: type[Datasette] = Datasette  # typed: datasette ships no annotations
    return datasette_class


def datasette_metadata(db_path: Path | str) -> dict[str, Any]:
    """Datasette metadata for the archive at ``db_path``, read from its schema as it is now.

    Facets, sort orders, the articles search box and the canned queries are set only for the
    tables and columns the file really has, so the configuration follows schema migrations.
    The file is opened read-only and nothing is written.

    Raises:
        ArchiveError: the file does not exist, is not SQLite, or is not a portal-archive archive.
    """
    path = Path(db_path)
    schema = _read_schema(path)
    tables: dict[str, dict[str, Any]] = {name: {"hidden": True} for name in schema.hidden}
    queries: dict[str, dict[str, Any]] = {}
    fts = _articles_fts(schema)

    if articles := schema.tables.get("articles"):
        config: dict[str, Any] = {
            "description": "One row per archived article: its text exactly as published.",
            "facets": [c for c in _FACETS if c in articles.columns],
        }
        if "published" in articles.columns:
            config["sort_desc"] = "published"
        if "title" in articles.columns:
            config["label_column"] = "title"
        if fts and (fts_pk := _fts_pk(fts, articles)):
            config["fts_table"] = fts.name
            config["fts_pk"] = fts_pk
        tables["articles"] = config
        if fts and (search := _search_query(schema, articles, fts)):
            queries["search"] = search

    if pages := schema.tables.get("pages"):
        tables["pages"] = _sorted(
            pages,
            "fetched_at",
            description="Raw captures. body holds the compressed bytes; "
            "the captures query lists the pages without it.",
            label_column="url",
        )
        queries["captures"] = _captures_query(pages)
    if runs := schema.tables.get("runs"):
        tables["runs"] = _sorted(runs, "started_at", facets=("site", "exit_code"))
    if errors := schema.tables.get("crawl_errors"):
        tables["crawl_errors"] = _sorted(errors, "at", facets=("kind", "status"))
        queries["failures"] = _failures_query(errors)
    versions = schema.tables.get("article_versions")
    if versions and "version" in versions.columns:
        queries["recent_changes"] = _recent_changes_query(versions, articles)

    database: dict[str, Any] = {"description": _DESCRIPTION, "tables": tables}
    if queries:
        database["queries"] = queries
    return {
        "title": _TITLE,
        "description": _DESCRIPTION,
        "databases": {_database_name(path): database},
    }


def make_datasette(db_path: Path | str) -> Datasette:
    """A read-only Datasette on the archive at ``db_path``, configured by
    :func:`datasette_metadata`. Serve it with ``uvicorn.run(ds.app(), …)``.

    Raises:
        ImportError: Datasette is not installed.
        ArchiveError: the file cannot be served (see :func:`datasette_metadata`).
    """
    datasette_class = load_datasette()
    path = Path(db_path).resolve()
    if any(ch in str(path) for ch in "?#%"):
        # Datasette builds its SQLite URI as f"file:{path}?mode=ro" without escaping the path.
        raise ArchiveError("Datasette cannot open a path containing ?, # or %", path=path)
    metadata = datasette_metadata(path)
    # The archive is in WAL mode and a crawl may write to it while the server runs, so it is
    # NOT opened immutable: `immutable=1` tells SQLite the file never changes, so it skips
    # locks and the WAL, and could return stale or torn pages (or a "malformed" error) while
    # a crawl commits. Passed in `files=` (Datasette's "mutable" databases), it is opened with
    # `mode=ro` instead: each query reads a consistent snapshot, including committed WAL
    # frames, and SQLite itself refuses any write, whatever SQL gets through.
    return datasette_class(files=[str(path)], metadata=metadata, settings=dict(SETTINGS))


# -- the schema ---------------------------------------------------------------------------------


def _read_schema(path: Path) -> _Schema:
    if not path.is_file():
        raise ArchiveError(
            "no archive here yet: run `portal-archive crawl` (or `demo`) first", path=path
        )
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot open: {exc}", path=path) from exc
    try:
        return _inspect(conn, path)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"not a usable archive ({exc})", path=path) from exc
    finally:
        conn.close()


def _inspect(conn: sqlite3.Connection, path: Path) -> _Schema:
    rows = conn.execute(
        "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ).fetchall()
    names = {name for name, _ in rows}
    if "schema_migrations" not in names:
        raise ArchiveError("is not a portal-archive archive (no schema_migrations)", path=path)
    fts = [f for name, sql in rows if (f := _parse_fts(conn, name, sql))]
    shadows = {
        f"{f.name}_{suffix}"
        for f in fts
        for suffix in (_SHADOW_SUFFIXES if f.module == "fts5" else _FTS3_SHADOW_SUFFIXES)
    }
    hidden = [
        name
        for name, _ in rows
        if name == "schema_migrations"
        or name.startswith("sqlite_")
        or name in shadows
        or any(f.name == name for f in fts)
    ]
    tables = {
        name: _read_table(conn, name, sql)
        for name, sql in rows
        if name not in hidden and not sql.upper().startswith("CREATE VIRTUAL")
    }
    return _Schema(tables=tables, fts=fts, hidden=hidden)


def _read_table(conn: sqlite3.Connection, name: str, sql: str) -> _Table:
    info = conn.execute(f"PRAGMA table_info({_q(name)})").fetchall()
    foreign_keys = {
        row[3]: (row[2], row[4]) for row in conn.execute(f"PRAGMA foreign_key_list({_q(name)})")
    }
    return _Table(
        name=name,
        sql=sql,
        columns=tuple(row[1] for row in info),
        types={row[1]: str(row[2]).upper() for row in info},
        pk=tuple(row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]),
        foreign_keys=foreign_keys,
    )


def _parse_fts(conn: sqlite3.Connection, name: str, sql: str) -> _Fts | None:
    match = _FTS_RE.search(sql)
    if not sql.upper().startswith("CREATE VIRTUAL") or not match:
        return None
    args = match.group(2)
    content = _option(_CONTENT_RE, args)
    columns = tuple(row[1] for row in conn.execute(f"PRAGMA table_info({_q(name)})"))
    return _Fts(
        name=name,
        module=match.group(1).lower(),
        content=content,
        content_rowid=_option(_CONTENT_ROWID_RE, args),
        columns=columns,
    )


def _option(pattern: re.Pattern[str], args: str) -> str | None:
    found = pattern.search(args)
    if not found:
        return None
    return next(group for group in found.groups() if group is not None)


def _articles_fts(schema: _Schema) -> _Fts | None:
    """The full-text table that indexes articles: external content on articles first, then
    one whose content table refers to articles, then one that stores an article_id."""

    def rank(fts: _Fts) -> int | None:
        if fts.content == "articles":
            return 0
        if fts.content and _article_ref(schema.tables.get(fts.content)):
            return 1
        if fts.content is None and "article_id" in fts.columns:
            return 2
        return None

    ranked = sorted((r, f.name) for f in schema.fts if (r := rank(f)) is not None)
    return next(f for f in schema.fts if f.name == ranked[0][1]) if ranked else None


def _fts_pk(fts: _Fts, articles: _Table) -> str | None:
    """The articles column that holds each article's FTS rowid (Datasette's ``fts_pk``)."""
    if fts.content == "articles":
        return "id" if _fts_rowid_is_article_id(fts, articles) else None
    if fts.content is None and "article_id" in fts.columns:
        # An index with its own copy of the text (its rowid a sort key, say) can serve the
        # table's search box only when each article records its FTS rowid in a *_rowid column.
        keys = [c for c in articles.columns if c.endswith("_rowid")]
        return keys[0] if len(keys) == 1 else None
    return None


def _fts_rowid_is_article_id(fts: _Fts, articles: _Table) -> bool:
    if fts.content != "articles":
        return False
    rowid = fts.content_rowid or "rowid"
    if rowid == "id":
        return True
    # Without content_rowid, FTS rowids are the articles' rowids: that is articles.id only
    # when id is an INTEGER PRIMARY KEY (an alias of the rowid).
    return (
        rowid.lower() in _ROWID_ALIASES
        and articles.pk == ("id",)
        and articles.types.get("id") == "INTEGER"
        and "WITHOUT ROWID" not in articles.sql.upper()
    )


def _article_ref(table: _Table | None) -> str | None:
    """The column of ``table`` that holds an article id, if any."""
    if table is None:
        return None
    for column, (target, _) in table.foreign_keys.items():
        if target == "articles":
            return column
    return "article_id" if "article_id" in table.columns else None


# -- canned queries -----------------------------------------------------------------------------


def _search_query(schema: _Schema, articles: _Table, fts: _Fts) -> dict[str, Any] | None:
    f = _q(fts.name)
    version = ""
    if fts.content == "articles" and _fts_rowid_is_article_id(fts, articles):
        source = f"FROM {f} JOIN articles a ON a.id = {f}.rowid"
    elif fts.content and (content := schema.tables.get(fts.content)):
        ref = _article_ref(content)
        if ref is None:
            return None
        key = _q(fts.content_rowid) if fts.content_rowid else "rowid"
        source = (
            f"FROM {f} JOIN {_q(content.name)} v ON v.{key} = {f}.rowid"
            f" JOIN articles a ON a.id = v.{_q(ref)}"
        )
        version = ", v.version" if "version" in content.columns else ""
    elif fts.content is None and "article_id" in fts.columns:
        source = f"FROM {f} JOIN articles a ON a.id = {f}.article_id"
    else:
        return None
    shown = ("id", "published", "updated", "site", "column_name", "title", "url", "gone_at")
    select = ", ".join(f"a.{c}" for c in shown if c in articles.columns) + version
    if fts.content != "":  # a contentless index has no text to cut a snippet from
        if fts.module == "fts5":
            select += f", snippet({f}, -1, '[', ']', '…', 24) AS snippet"
        else:
            select += f", snippet({f}, '[', ']', '…', -1, 24) AS snippet"
    # Every word is required and taken literally: quotes are dropped and each word quoted,
    # so FTS operators and stray punctuation can never be a syntax error.
    match = (
        "'\"' || replace(replace(replace(replace(trim(:q), '\"', ''), char(9), ' '),"
        " char(10), ' '), ' ', '\" \"') || '\"'"
    )
    return {
        "title": "Full-text search",
        "description": "Titles and bodies, newest first; every word is required. "
        "Matches are marked [like this] in the snippet.",
        "sql": f"SELECT {select} {source} WHERE {f} MATCH {match}"
        f" ORDER BY {_newest(articles, 'a')}",
    }


def _captures_query(pages: _Table) -> dict[str, Any]:
    columns = [c for c in pages.columns if pages.types.get(c) != "BLOB" and c != "body"]
    return {
        "title": "Captures",
        "description": "Every stored page, newest first, without its body bytes.",
        "sql": f"SELECT {_columns(columns)} FROM pages"
        f" ORDER BY {_newest(pages, None, ('fetched_at',))}",
    }


def _failures_query(errors: _Table) -> dict[str, Any]:
    return {
        "title": "Failures",
        "description": "URLs that failed in a crawl, newest first.",
        "sql": f"SELECT * FROM crawl_errors ORDER BY {_newest(errors, None, ('at',))}",
    }


def _recent_changes_query(versions: _Table, articles: _Table | None) -> dict[str, Any]:
    columns = [f"v.{_q(c)}" for c in versions.columns if c not in _BULKY]
    source = "FROM article_versions v"
    ref = _article_ref(versions)
    if articles and ref:
        source += f" JOIN articles a ON a.id = v.{_q(ref)}"
        columns += [
            f"a.{c}"
            for c in ("url", "site", "title")
            if c in articles.columns and c not in versions.columns
        ]
    stamps = [c for c in versions.columns if c.endswith("_at") and c != "gone_at"]
    preferred = [c for c in _VERSION_STAMPS if c in stamps]
    return {
        "title": "Recent changes",
        "description": "Articles that changed after they were first archived: every version "
        "after the first, newest first.",
        "sql": f"SELECT {', '.join(columns)} {source} WHERE v.version > 1"
        f" ORDER BY {_newest(versions, 'v', preferred or stamps[:1])}",
    }


# -- helpers ------------------------------------------------------------------------------------


def _sorted(
    table: _Table,
    column: str,
    *,
    facets: Iterable[str] = (),
    description: str | None = None,
    label_column: str | None = None,
) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if column in table.columns:
        config["sort_desc"] = column
    if present := [c for c in facets if c in table.columns]:
        config["facets"] = present
    if description:
        config["description"] = description
    if label_column and label_column in table.columns:
        config["label_column"] = label_column
    return config


def _newest(table: _Table, alias: str | None, stamps: Sequence[str] = ()) -> str:
    """ORDER BY terms, newest first: the given timestamp columns (articles: their date),
    then the id or rowid."""
    prefix = f"{alias}." if alias else ""
    terms: list[str] = []
    if table.name == "articles" and not stamps:
        dates = [f"{prefix}{c}" for c in ("published", "updated") if c in table.columns]
        if len(dates) > 1:
            terms.append(f"coalesce({', '.join(dates)}) DESC")
        elif dates:
            terms.append(f"{dates[0]} DESC")
    terms += [f"{prefix}{_q(c)} DESC" for c in stamps if c in table.columns]
    if "id" in table.columns:
        terms.append(f"{prefix}id DESC")
    elif "WITHOUT ROWID" not in table.sql.upper():
        terms.append(f"{prefix}rowid DESC")
    return ", ".join(terms) or "1"


def _columns(columns: Sequence[str]) -> str:
    return ", ".join(_q(c) for c in columns)


def _q(identifier: str) -> str:
    """A quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def _database_name(path: Path) -> str:
    # The name Datasette gives a database passed in files= (Database.suggest_name()).
    return path.stem
