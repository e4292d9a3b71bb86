"""CLI commands that analyse an archive: read-only SQL (`sql`) and counts (`stats`)."""

from __future__ import annotations

import shutil
from typing import Annotated

import typer

from ._cli_common import (
    EXIT_USAGE,
    DbOption,
    JsonOption,
    SiteOption,
    echo_json,
    fail,
    guard,
    open_readonly,
    safe,
    settings_for,
    table,
)
from .analysis import (
    ArchiveStats,
    QueryError,
    QueryResult,
    SQLValue,
    archive_stats,
    bar_chart,
    run_readonly_query,
)

_CELL_LIMIT = 80


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(sql)
    app.command()(stats)


def sql(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(metavar="SQL", help="One SELECT statement.")],
    db: DbOption = None,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV output (formula-safe).")] = False,
    time_limit: Annotated[
        int, typer.Option("--time-limit", min=1, metavar="MS", help="Stop the query after MS ms.")
    ] = 1000,
    max_rows: Annotated[
        int, typer.Option("--max-rows", min=1, metavar="N", help="Return at most N rows.")
    ] = 1000,
) -> None:
    """Run one read-only SQL query on the archive (tables: articles, article_versions,
    articles_search, pages, runs, crawl_errors; see the README for the schema).

    Nothing can be written: only SELECT, read-only functions and recursive CTEs are allowed.

    The table shortens long values; --json and --csv give them whole.

    Example: portal-archive sql "SELECT site, count(*) FROM articles GROUP BY site"
    """
    if as_json and as_csv:
        fail("choose one of --json and --csv", EXIT_USAGE)
    db_path = settings_for(ctx, db).db_path

    def run() -> QueryResult:
        try:
            return run_readonly_query(db_path, query, time_limit_ms=time_limit, max_rows=max_rows)
        except QueryError as exc:
            if exc.reason == "time_limit":
                fail(f"{exc} (raise it with --time-limit MS)", EXIT_USAGE)
            raise

    result = guard(run)
    if as_json:
        echo_json(result.to_records())
    elif as_csv:
        typer.echo(result.to_csv(), nl=False)
    else:
        headers = [safe(c) for c in result.columns]
        for line in table([[_cell(v) for v in row] for row in result.rows], headers):
            typer.echo(line)
    if result.truncated:
        typer.echo(
            f"note: only the first {max_rows} rows are shown; more matched (--max-rows)", err=True
        )


def _cell(value: SQLValue) -> str:
    """A value on one short line: NULL named, blobs sized, newlines and tabs shown as \\n, \\t."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    text = safe(str(value)).replace("\n", "\\n").replace("\t", "\\t")
    return text if len(text) <= _CELL_LIMIT else text[: _CELL_LIMIT - 1] + "…"


def stats(
    ctx: typer.Context,
    db: DbOption = None,
    site: SiteOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show what the archive holds: totals, then articles per site, per column and per month.

    Months run in calendar order, empty ones shown so gaps stand out; undated ones apart.

    Example: portal-archive stats --site sichuan-en
    """
    settings = settings_for(ctx, db)
    with open_readonly(settings) as archive:
        result = guard(lambda: archive_stats(archive, site=site))
    if as_json:
        echo_json(result.to_dict())
        return
    typer.echo("\n".join(_render_stats(result, shutil.get_terminal_size((80, 24)).columns)))


def _render_stats(result: ArchiveStats, width: int) -> list[str]:
    scope = f"site {safe(result.site)}" if result.site else "all sites"
    gone = f", {result.gone} gone" if result.gone else ""
    out = [
        f"Archive ({scope}): {_n(result.articles, 'article')}{gone}, "
        f"{_n(result.pages, 'page')} ({_size(result.raw_bytes)} raw, "
        f"{_size(result.stored_bytes)} stored), {_n(result.runs, 'run')}, "
        f"{_n(result.failures, 'failure')}",
        "",
        "Articles per site",
        *_chart([(s or "(no site)", n) for s, n in result.by_site], width),
        "",
        "Articles per column",
    ]
    if result.by_column is None:
        out.append("  (this archive does not record columns yet)")
    else:
        out += _chart([(c or "(no column)", n) for c, n in result.by_column], width)
    out += ["", "Articles per month", *_chart(list(result.by_month), width)]
    out.append(f"  undated: {result.undated}")
    return out


def _chart(items: list[tuple[str, int]], width: int) -> list[str]:
    if not items:
        return ["  (none)"]
    return ["  " + line for line in bar_chart([(safe(k), n) for k, n in items], width - 2)]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # not reached
