"""CLI commands that move articles in and out of the archive: ``export`` and ``import-warc``.

Thin: options in, one call to ``exchange``, a summary out.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from . import exchange
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
)
from .archive import Archive


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    markdown = "markdown"
    warc = "warc"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(export)
    app.command("import-warc")(import_warc)


def export(
    ctx: typer.Context,
    db: DbOption = None,
    format_: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="jsonl: one JSON object per line. csv: one row per article, plain UTF-8 "
            "(no BOM); a cell starting with = + - @, tab or CR gets a leading '. markdown: "
            "one .md file per article in the -o folder. warc: every stored page as a "
            "WARC 1.1 .warc.gz file. Example: --format csv",
        ),
    ] = ExportFormat.jsonl,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="File to write (jsonl, csv: stdout when left out; warc: required), or the "
            "folder for markdown (required). Example: -o articles.csv",
        ),
    ] = None,
    site: SiteOption = None,
) -> None:
    """Export the archive: every article as JSON lines, CSV or Markdown files, or every
    stored page as a WARC file. Files appear whole (written under a temporary name, then
    renamed); nothing is written outside -o, and a symlink there is never followed.

    Example: portal-archive export --format jsonl -o articles.jsonl

    Example: portal-archive export --format markdown -o articles/ --site sichuan-en

    Example: portal-archive export --format warc -o archive.warc.gz
    """
    if format_ in (ExportFormat.markdown, ExportFormat.warc) and output is None:
        what = "a folder" if format_ is ExportFormat.markdown else "a file"
        fail(f"--format {format_.value} needs -o/--output ({what})", EXIT_USAGE)
    if format_ is ExportFormat.warc and site:
        fail("--site does not apply to --format warc (it exports every stored page)", EXIT_USAGE)
    settings = settings_for(ctx, db)
    with open_readonly(settings) as archive:
        if format_ is ExportFormat.markdown and output is not None:
            count = len(guard(lambda: exchange.export_markdown(archive, output, site=site)))
            noun = "articles"
        elif format_ is ExportFormat.warc and output is not None:
            count = guard(lambda: exchange.export_warc(archive, output))
            noun = "pages"
        else:
            writer = exchange.export_csv if format_ is ExportFormat.csv else exchange.export_jsonl
            count = guard(lambda: writer(archive, output or sys.stdout, site=site))
            noun = "articles"
    if output is not None:
        typer.echo(f"{count} {noun} written to {safe(str(output))}", err=True)


def import_warc(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE",
            help="WARC files, gzipped or not. Example: crawl.warc.gz",
            show_default=False,
        ),
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Archive the HTML pages of WARC files: each 200 HTML response is extracted (with the
    built-in profile for its URL, or the generic rules) and saved with its raw page. A page
    that cannot be extracted is kept raw and counted as failed (exit 1); a file that is not a
    WARC stops the command before anything is imported (exit 2).

    Example: portal-archive import-warc crawl.warc.gz --db research.db
    """
    settings = settings_for(ctx, db)
    # Every file is checked before the archive is opened (or created).
    for path in files:
        guard(lambda: exchange.check_warc(path))  # noqa: B023 - called at once
    archive = guard(lambda: Archive.open(settings.db_path, busy_timeout_s=settings.busy_timeout_s))
    with archive:
        report = guard(
            lambda: exchange.import_warc(archive, files, max_body_bytes=settings.max_body_bytes)
        )
    if as_json:
        echo_json(report.to_dict())
        raise typer.Exit(report.exit_code)
    summary = (
        f"{report.records} records in {report.files} files, {report.responses} responses, "
        f"{report.html} HTML pages: {report.articles_new} new, {report.articles_changed} "
        f"changed, {report.articles_unchanged} unchanged, {report.articles_failed} failed, "
        f"{report.articles_older} older captures and {report.listing_pages} listing pages "
        f"kept raw; skipped {report.skipped_status} "
        f"not 200, {report.skipped_not_html} not HTML -> {safe(str(settings.db_path))}"
    )
    lines = [summary] + [
        f"  failed [{f.kind}] {safe(f.url)}: {safe(f.message)}" for f in report.failures[:20]
    ]
    if len(report.failures) > 20:
        lines.append(f"  … and {len(report.failures) - 20} more failures (use --json)")
    # As crawl does: stdout when all went well, stderr when not, so cron mails only failures.
    typer.echo("\n".join(lines), err=bool(report.failures))
    raise typer.Exit(report.exit_code)
