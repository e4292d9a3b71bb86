"""Read-only SQL (reliability.md S1), archive stats and bar charts, on real SQLite files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portal_archive.analysis import (
    QueryError,
    archive_stats,
    bar_chart,
    fill_months,
    run_readonly_query,
)
from portal_archive.archive import Archive
from portal_archive.cli import app
from portal_archive.errors import ArchiveError
from portal_archive.models import Article, Failure, Page

# (site, column, published, updated, title): 3 sites, 3 columns (+ none), months 2023-12 to
# 2024-03 with 2024-02 empty, one undated article.
ARTICLES = [
    ("alpha", "News", date(2024, 1, 5), None, "Social work conference held"),
    ("alpha", "News", date(2024, 1, 20), None, "Second item"),
    ("alpha", "Policy", date(2024, 3, 2), None, "Policy item"),
    ("beta", "News", None, date(2024, 3, 15), "Updated-only item"),
    ("beta", "Notices", None, None, "Undated item"),
    ("gamma", None, date(2023, 12, 31), None, "New year's eve"),
]
FOOTER = {"icp": "蜀ICP备05003828号", "host": "General Office"}


def _build(path: Path) -> Path:
    with Archive.open(path) as archive:
        for i, (site, _column, published, updated, title) in enumerate(ARTICLES, 1):
            url = f"https://{site}.example.gov/a/{i}.html"
            page = Page(
                url=url,
                fetch_url=url,
                final_url=url,
                status=200,
                headers=(("content-type", "text/html; charset=utf-8"),),
                body=f"<html><h1>{title}</h1><p>body {i}</p></html>".encode(),
                fetched_at=datetime(2025, 1, i, tzinfo=UTC),
            )
            article = Article(
                url=url,
                title=title,
                published=published,
                updated=updated,
                paragraphs=(f"Paragraph {i} about {title.lower()}.", "Second line."),
                footer=FOOTER,
                site=site,
            )
            archive.save_article(page, article)
        for site in ("alpha", "beta"):
            run_id = archive.start_run(site, datetime(2025, 2, 1, tzinfo=UTC))
            if site == "alpha":
                archive.record_failure(
                    run_id, Failure("https://alpha.example.gov/x", "not_found", "HTTP 404", 404)
                )
        conn = archive.conn
        columns = {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
        if "column_name" not in columns:  # before the column migration lands
            conn.execute("ALTER TABLE articles ADD COLUMN column_name TEXT")
        for i, (_site, column, *_rest) in enumerate(ARTICLES, 1):
            conn.execute("UPDATE articles SET column_name = ? WHERE id = ?", [column, i])
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return _build(tmp_path / "a.db")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fts_table(db: Path) -> str | None:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'articles%'"
            " AND sql LIKE '%USING fts5%' ORDER BY name LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    return str(row[0]) if row else None


# -- S1: the 14 statements --------------------------------------------------------------------

REFUSED = [
    ("insert", "INSERT INTO runs (site, started_at) VALUES ('x', 'y')", "INSERT"),
    ("update", "UPDATE articles SET title = 'x'", "UPDATE"),
    ("delete", "DELETE FROM articles", "DELETE"),
    ("drop_table", "DROP TABLE articles", "DROP TABLE"),
    ("create_table", "CREATE TABLE t (x)", "CREATE TABLE"),
    ("attach_new_file", "ATTACH '{dir}/evil.db' AS evil", "ATTACH"),
    ("vacuum_into", "VACUUM INTO '{dir}/copy.db'", "VACUUM"),
    ("writable_schema", "PRAGMA writable_schema = 1", "PRAGMA writable_schema"),
    ("query_only_off", "PRAGMA query_only = 0", "PRAGMA query_only"),
    ("journal_mode", "PRAGMA journal_mode = delete", "PRAGMA journal_mode"),
    ("load_extension", "SELECT load_extension('x')", "load_extension"),
    ("two_statements", "SELECT 1; DELETE FROM articles", "one statement"),
]


@pytest.mark.parametrize(("sql", "named"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_run_readonly_query_refuses_writes(db: Path, sql: str, named: str) -> None:
    run_readonly_query(db, "SELECT 1")  # a WAL reader's -wal/-shm belong to the baseline
    files, sha = sorted(db.parent.iterdir()), _sha(db)
    with pytest.raises(QueryError) as caught:
        run_readonly_query(db, sql.format(dir=db.parent))
    assert caught.value.reason == "not_allowed"
    assert str(caught.value).startswith("not allowed: this archive is read-only here (")
    assert named in str(caught.value)
    assert _sha(db) == sha and sorted(db.parent.iterdir()) == files


def test_run_readonly_query_all_refusals_leave_the_archive_as_it_was(db: Path) -> None:
    run_readonly_query(db, "SELECT count(*) FROM articles")
    files, sha = sorted(db.parent.iterdir()), _sha(db)
    refused = 0
    for _id, sql, _named in REFUSED:
        with pytest.raises(QueryError):
            run_readonly_query(db, sql.format(dir=db.parent))
        refused += 1
    assert refused == 12
    assert _sha(db) == sha
    assert sorted(db.parent.iterdir()) == files  # no evil.db, no copy.db
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # nothing written, not even to the WAL
    assert run_readonly_query(db, "SELECT count(*) FROM articles").rows == ((6,),)


def test_run_readonly_query_allows_recursive_cte(db: Path) -> None:
    sql = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) "
    result = run_readonly_query(db, sql + "SELECT count(*), sum(n) FROM r")
    assert result.rows == ((10, 55),)


RUNAWAY = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"


def test_run_readonly_query_stops_a_runaway_query(db: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(QueryError) as caught:
        run_readonly_query(db, RUNAWAY, time_limit_ms=200)
    elapsed = time.perf_counter() - started
    assert caught.value.reason == "time_limit" and "200 ms" in str(caught.value)
    assert 0.15 <= elapsed < 0.2 + 0.5


@pytest.mark.parametrize(
    ("sql", "reason", "message"),
    [
        ("SELEC 1", "syntax", 'near "SELEC": syntax error'),
        ("SELECT * FROM no_such_table", "syntax", "no such table: no_such_table"),
        ("-- nothing but a comment", "syntax", "no statement"),
        ("BEGIN", "not_allowed", "BEGIN"),
        ("SAVEPOINT s", "not_allowed", "SAVEPOINT"),
        ("ANALYZE", "not_allowed", "ANALYZE"),
        ("REINDEX", "not_allowed", "REINDEX"),
        ("VACUUM", "not_allowed", "VACUUM"),
        ("ALTER TABLE articles ADD COLUMN x", "not_allowed", "ALTER TABLE"),
        ("CREATE TEMP TABLE t (x)", "not_allowed", "CREATE TABLE"),
        ("PRAGMA data_version = 3", "not_allowed", "PRAGMA data_version"),
        ("SELECT * FROM pragma_journal_mode('delete')", "not_allowed", "virtual table"),
        ("SELECT fts3_tokenizer('simple')", "not_allowed", "fts3_tokenizer"),
        ("SELECT length(zeroblob(100000000))", "syntax", "too big"),
    ],
    ids=[
        "typo",
        "unknown_table",
        "empty",
        "begin",
        "savepoint",
        "analyze",
        "reindex",
        "vacuum",
        "alter",
        "temp_table",
        "pragma_with_value",
        "pragma_function_that_writes",
        "fts3_tokenizer",
        "huge_value",
    ],
)
def test_run_readonly_query_errors(db: Path, sql: str, reason: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        run_readonly_query(db, sql)
    assert caught.value.reason == reason and message in str(caught.value)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT count(*) FROM articles", ((6,),)),
        (
            "SELECT a.id, p.status FROM articles a JOIN pages p ON p.id = a.page_id"
            " WHERE a.site = 'beta' ORDER BY a.id",
            ((4, 200), (5, 200)),
        ),
        (
            "SELECT DISTINCT json_extract(footer, '$.icp') FROM articles",
            (("蜀ICP备05003828号",),),
        ),
        ("SELECT count(*) FROM articles, json_each(articles.paragraphs)", ((12,),)),
        ("SELECT name FROM pragma_table_info('runs') WHERE pk = 1", (("id",),)),
        ("PRAGMA data_version", None),
    ],
    ids=["count", "join", "json_extract_footer", "json_each", "pragma_table_info", "data_version"],
)
def test_run_readonly_query_allows_reading(db: Path, sql: str, expected: object) -> None:
    result = run_readonly_query(db, sql)
    if expected is not None:
        assert result.rows == expected
    assert not result.truncated


def test_run_readonly_query_full_text_match(db: Path) -> None:
    name = _fts_table(db)
    if name is None:
        pytest.skip("no FTS5 table over articles in this schema")
    result = run_readonly_query(db, f"SELECT rowid FROM {name} WHERE {name} MATCH 'social'")
    assert len(result.rows) == 1


@pytest.mark.parametrize(
    ("max_rows", "count", "truncated"),
    [(2, 2, True), (5, 5, True), (6, 6, False), (1000, 6, False)],
    ids=["2", "5", "exactly_all", "default"],
)
def test_run_readonly_query_max_rows(db: Path, max_rows: int, count: int, truncated: bool) -> None:
    result = run_readonly_query(db, "SELECT id FROM articles ORDER BY id", max_rows=max_rows)
    assert len(result.rows) == count and result.truncated is truncated
    assert result.rows[0] == (1,)


def test_run_readonly_query_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no archive here yet"):
        run_readonly_query(tmp_path / "missing.db", "SELECT 1")
    assert not (tmp_path / "missing.db").exists()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ArchiveError, match="not a usable archive"):
        run_readonly_query(junk, "SELECT 1")


def test_query_result_json_and_csv_shapes(db: Path) -> None:
    result = run_readonly_query(
        db, "SELECT 1 AS n, 'x' AS n, x'00ff' AS blob, NULL AS missing, 1.5 AS f"
    )
    assert result.columns == ("n", "n", "blob", "missing", "f")
    assert result.to_records() == [
        {
            "n": 1,
            "n_2": "x",
            "blob": {"$base64": True, "encoded": "AP8="},
            "missing": None,
            "f": 1.5,
        }
    ]
    rows = list(csv.reader(io.StringIO(result.to_csv())))
    assert rows == [["n", "n", "blob", "missing", "f"], ["1", "x", "AP8=", "", "1.5"]]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain = text", "plain = text"),
        ("社会工作", "社会工作"),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "cr", "plain", "cjk"],
)
def test_query_result_csv_guards_formulas(db: Path, value: str, cell: str) -> None:
    conn = sqlite3.connect(":memory:")
    literal = conn.execute("SELECT quote(?)", [value]).fetchone()[0]
    conn.close()
    result = run_readonly_query(db, f"SELECT {literal} AS v, -5 AS number")
    assert list(csv.reader(io.StringIO(result.to_csv(), newline="")))[1] == [cell, "-5"]


# -- stats ------------------------------------------------------------------------------------


def test_archive_stats_numbers(db: Path) -> None:
    with Archive.open(db, readonly=True) as archive:
        stats = archive_stats(archive)
    bodies = [
        f"<html><h1>{title}</h1><p>body {i}</p></html>".encode()
        for i, (*_rest, title) in enumerate(ARTICLES, 1)
    ]
    assert (stats.articles, stats.pages, stats.runs, stats.failures) == (6, 6, 2, 1)
    assert stats.raw_bytes == sum(len(b) for b in bodies) and stats.stored_bytes > 0
    assert stats.by_site == (("alpha", 3), ("beta", 2), ("gamma", 1))
    assert stats.by_column == (("News", 3), (None, 1), ("Notices", 1), ("Policy", 1))
    assert stats.by_month == (("2023-12", 1), ("2024-01", 2), ("2024-02", 0), ("2024-03", 2))
    assert stats.undated == 1
    assert sum(n for _, n in stats.by_month) + stats.undated == stats.articles
    data = stats.to_dict()
    assert data["totals"]["articles"] == 6 and data["undated"] == 1
    assert data["by_month"][2] == {"month": "2024-02", "articles": 0}
    assert json.loads(json.dumps(data)) == data


def test_archive_stats_for_one_site(db: Path) -> None:
    with Archive.open(db, readonly=True) as archive:
        stats = archive_stats(archive, site="alpha")
    assert (stats.site, stats.articles, stats.pages, stats.runs, stats.failures) == (
        "alpha",
        3,
        3,
        1,
        1,
    )
    assert stats.by_site == (("alpha", 3),)
    assert stats.by_month == (("2024-01", 2), ("2024-02", 0), ("2024-03", 1))
    assert stats.undated == 0


def test_archive_stats_without_column_name(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute("ALTER TABLE articles DROP COLUMN column_name")
        conn.commit()
    except sqlite3.OperationalError as exc:
        pytest.skip(f"column_name cannot be dropped in this schema: {exc}")
    finally:
        conn.close()
    with Archive.open(db, readonly=True) as archive:
        stats = archive_stats(archive)
    assert stats.by_column is None and stats.to_dict()["by_column"] is None
    assert stats.articles == 6


def test_archive_stats_of_an_empty_archive(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "empty.db") as archive:
        stats = archive_stats(archive)
    assert (stats.articles, stats.pages, stats.raw_bytes, stats.undated) == (0, 0, 0, 0)
    assert stats.by_site == () and stats.by_month == ()


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({}, ()),
        ({"2024-05": 3}, (("2024-05", 3),)),
        (
            {"2023-11": 1, "2024-02": 2},
            (("2023-11", 1), ("2023-12", 0), ("2024-01", 0), ("2024-02", 2)),
        ),
        ({"2024-13": 1, "20xx-01": 1, "2024-01": 1}, (("2024-01", 1),)),
    ],
    ids=["none", "one", "across_a_year", "junk_ignored"],
)
def test_fill_months(counts: dict[str, int], expected: tuple[tuple[str, int], ...]) -> None:
    assert fill_months(counts) == expected


# -- bar charts -------------------------------------------------------------------------------

_PARTS = {"": 0, "▏": 1, "▎": 2, "▍": 3, "▌": 4, "▋": 5, "▊": 6, "▉": 7}


def _eighths(line: str) -> int:
    """The length of a chart line's bar, in eighths of a column."""
    bar = line.rsplit(" ", 1)[-1] if line[-1] in "█▏▎▍▌▋▊▉" else ""
    full = bar.count("█")
    partial = bar.replace("█", "")
    assert len(partial) <= 1 and bar.endswith(partial)
    return full * 8 + _PARTS[partial]


@pytest.mark.parametrize(
    ("items", "width", "expected"),
    [
        ([], 40, []),
        ([("a", 4), ("b", 2), ("c", 1)], 20, ["a  4 " + "█" * 15, "b  2 ███████▌", "c  1 ███▊"]),
        ([("zero", 0), ("one", 1)], 20, ["zero  0", "one   1 " + "█" * 12]),
        ([("x", 0), ("y", 0)], 20, ["x  0", "y  0"]),
        ([("big", 10_000), ("tiny", 1)], 30, ["big   10000 " + "█" * 18, "tiny      1 ▏"]),
    ],
    ids=["empty", "proportional", "zero_is_empty", "all_zero", "tiny_still_visible"],
)
def test_bar_chart(items: list[tuple[str, int]], width: int, expected: list[str]) -> None:
    assert bar_chart(items, width) == expected


@pytest.mark.parametrize("width", [40, 80, 123], ids=["40", "80", "123"])
def test_bar_chart_scales_to_width(width: int) -> None:
    items = [("2024-01", 17), ("2024-02", 0), ("2024-03", 5), ("2024-04", 9), ("2024-05", 3)]
    lines = bar_chart(items, width)
    assert len(lines[0]) == width  # the largest bar fills the line
    assert all(len(line) <= width for line in lines)
    full = _eighths(lines[0])
    for (_label, count), line in zip(items, lines, strict=True):
        assert abs(_eighths(line) - count / 17 * full) <= 0.5  # proportional, to an eighth
    assert _eighths(lines[1]) == 0


def test_bar_chart_aligns_wide_labels() -> None:
    lines = bar_chart([("新闻", 2), ("News", 1)], 30)
    # 新闻 is four columns wide, like "News": the counts line up.
    assert lines[0].startswith("新闻  2 ") and lines[1].startswith("News  1 ")


# -- CLI --------------------------------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "80"})
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


def test_cli_sql_table(db: Path) -> None:
    code, out, err = _cli(
        "sql", "SELECT id, site, title FROM articles ORDER BY id", "--db", str(db)
    )
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["id", "site", "title"] and set(lines[1]) <= {"-", " "}
    assert lines[2].split()[:2] == ["1", "alpha"] and len(lines) == 8


def test_cli_sql_json_and_csv(db: Path) -> None:
    sql = "SELECT id, published FROM articles ORDER BY id LIMIT 2"
    code, out, _ = _cli("sql", sql, "--db", str(db), "--json")
    assert code == 0
    assert json.loads(out) == [
        {"id": 1, "published": "2024-01-05"},
        {"id": 2, "published": "2024-01-20"},
    ]
    code, out, _ = _cli("sql", sql, "--db", str(db), "--csv")
    assert code == 0
    assert list(csv.reader(io.StringIO(out))) == [
        ["id", "published"],
        ["1", "2024-01-05"],
        ["2", "2024-01-20"],
    ]


def test_cli_sql_max_rows_note(db: Path) -> None:
    code, out, err = _cli(
        "sql", "SELECT id FROM articles", "--db", str(db), "--json", "--max-rows", "2"
    )
    assert code == 0 and len(json.loads(out)) == 2
    assert "first 2 rows" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["DROP TABLE articles"], "not allowed: this archive is read-only here (DROP TABLE)"),
        (["PRAGMA query_only = 0"], "not allowed: this archive is read-only here (PRAGMA"),
        (["SELECT 1; SELECT 2"], "one statement"),
        (["SELEC 1"], "syntax error"),
        (
            [RUNAWAY, "--time-limit", "100"],
            "time limit of 100 ms",
        ),
        (["SELECT 1", "--json", "--csv"], "one of --json and --csv"),
    ],
    ids=["drop", "pragma", "two_statements", "syntax", "time_limit", "json_and_csv"],
)
def test_cli_sql_errors_are_one_line(db: Path, args: list[str], message: str) -> None:
    sha = _sha(db)
    code, out, err = _cli("sql", *args, "--db", str(db))
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert _sha(db) == sha


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("missing.db", None, "no archive here yet"), ("junk.db", b"junk" * 500, "not a usable")],
    ids=["missing", "corrupt"],
)
def test_cli_sql_bad_archive(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    code, _, err = _cli("sql", "SELECT 1", "--db", str(path))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_cli_stats_sections(db: Path) -> None:
    code, out, err = _cli("stats", "--db", str(db))
    assert code == 0 and err == ""
    assert out.startswith("Archive (all sites): 6 articles, 6 pages")
    for heading in ("Articles per site", "Articles per column", "Articles per month"):
        assert f"\n{heading}\n" in out
    assert "  2024-02  0\n" in out  # the empty month is shown
    assert "  undated: 1" in out
    assert any(ch in out for ch in "█▏▎▍▌▋▊▉")
    assert max(len(line) for line in out.splitlines()[1:]) <= 80


def test_cli_stats_json(db: Path) -> None:
    code, out, _ = _cli("stats", "--db", str(db), "--site", "beta", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["site"] == "beta" and data["totals"]["articles"] == 2
    assert data["by_month"] == [{"month": "2024-03", "articles": 1}] and data["undated"] == 1


def test_cli_stats_missing_archive(tmp_path: Path) -> None:
    code, _, err = _cli("stats", "--db", str(tmp_path / "missing.db"))
    assert code == 2 and "no archive here yet" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["sql", "stats"], ids=["sql", "stats"])
def test_cli_help_has_an_example(command: str) -> None:
    code, out, _ = _cli(command, "--help")
    assert code == 0 and f"Example: portal-archive {command}" in out
