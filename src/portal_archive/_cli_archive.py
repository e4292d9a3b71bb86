"""CLI commands about an archive's history and integrity: history, changes, reparse, verify."""

from __future__ import annotations

from typing import Annotated

import typer

from ._cli_common import (
    EXIT_FAILURES,
    EXIT_USAGE,
    DbOption,
    JsonOption,
    SiteOption,
    echo_json,
    fail,
    guard,
    open_readonly,
    parse_date,
    safe,
    settings_for,
    table,
)
from .archive import Archive
from .history import diff_articles
from .reparse import reparse as reparse_archive


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(history)
    app.command()(changes)
    app.command()(reparse)
    app.command()(verify)


def history(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="URL|ID", help="The article's URL or id.")],
    db: DbOption = None,
    diff: Annotated[
        tuple[int, int] | None,
        typer.Option("--diff", metavar="OLD NEW", help="Show what changed between two versions."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the versions of an article, or show a paragraph-level diff between two of them.

    Without --diff and with more than one version, the diff of the last two is shown too.

    Example: portal-archive history 12 --diff 1 2
    """
    settings = settings_for(ctx, db)
    with open_readonly(settings) as archive:
        stored = guard(lambda: archive.get_article(key))
        if stored is None:
            fail(f"no article {key!r} in {settings.db_path}", EXIT_USAGE)
        versions = guard(lambda: archive.versions(stored.id))
    if as_json and diff is None:
        echo_json([v.to_dict() for v in versions])
        return
    by_number = {v.version: v for v in versions}
    if diff is None and not as_json:
        rows = [
            (str(v.version), v.captured_at[:19], v.cause, v.sha256[:12], v.article.title or "")
            for v in versions
        ]
        typer.echo(safe(stored.article.url or ""))
        if stored.gone_at:
            typer.echo(f"gone since {stored.gone_at[:19]}")
        for line in table(rows, ["version", "captured", "cause", "capture", "title"]):
            typer.echo(line)
        if len(versions) < 2:
            return
        diff = (versions[-2].version, versions[-1].version)
        typer.echo("")
    assert diff is not None
    old, new = diff
    if old not in by_number or new not in by_number:
        fail(f"versions {old} and {new}: this article has 1…{len(versions)}", EXIT_USAGE)
    diff_lines = diff_articles(by_number[old].article, by_number[new].article)
    if as_json:
        echo_json(
            {"old": old, "new": new, "diff": [{"op": d.op, "text": d.text} for d in diff_lines]}
        )
        return
    typer.echo(f"--- version {old} ({by_number[old].captured_at[:19]})")
    typer.echo(f"+++ version {new} ({by_number[new].captured_at[:19]})")
    for diff_line in diff_lines:
        typer.echo(safe(str(diff_line)))


def changes(
    ctx: typer.Context,
    db: DbOption = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Changes recorded from this date (YYYY-MM-DD).")
    ] = None,
    site: SiteOption = None,
    as_json: JsonOption = False,
) -> None:
    """List articles whose text, title or dates changed, and those that disappeared (404/410).

    Example: portal-archive changes --since 2025-01-01
    """
    settings = settings_for(ctx, db)
    start = parse_date(since, "--since")
    with open_readonly(settings) as archive:
        found = guard(lambda: archive.changes(since=start, site=site))
    if as_json:
        echo_json([c.to_dict() for c in found])
        return
    rows = [
        (
            c.at[:19],
            c.kind if c.kind == "changed" else f"gone ({c.status})",
            str(c.article_id),
            f"v{c.version}" if c.kind == "changed" else "",
            c.title or c.url,
        )
        for c in found
    ]
    for line in table(rows, ["when", "what", "id", "version", "title"]):
        typer.echo(line)
    typer.echo(f"{len(found)} changes", err=True)


def reparse(
    ctx: typer.Context,
    db: DbOption = None,
    site: SiteOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-extract every article from its stored raw page (no network) after an extractor
    upgrade; a different result is stored as a new version with cause "reparse".

    Example: portal-archive reparse --site sichuan-en
    """
    settings = settings_for(ctx, db)
    archive = guard(lambda: Archive.open(settings.db_path, busy_timeout_s=settings.busy_timeout_s))
    with archive:
        report = guard(
            lambda: reparse_archive(archive, site=site, profile_dirs=settings.profile_dirs)
        )
    if as_json:
        echo_json(report.to_dict())
    else:
        typer.echo(
            f"{report.articles} articles re-extracted: {len(report.changed)} changed, "
            f"{report.unchanged} unchanged, {len(report.failed)} failed"
        )
        for url in report.changed:
            typer.echo(f"  changed {url}")
        for url, error in report.failed:
            typer.echo(f"  failed {url}: {safe(error)}", err=True)
    if report.failed:
        raise typer.Exit(EXIT_FAILURES)


def verify(ctx: typer.Context, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Re-hash every stored raw page and report any that no longer matches its sha256.

    Exit code 1 when a page is damaged.

    Example: portal-archive verify
    """
    settings = settings_for(ctx, db)
    with open_readonly(settings) as archive:
        results = guard(lambda: list(archive.verify_pages()))
    bad = [(page_id, url) for page_id, url, ok in results if not ok]
    if as_json:
        echo_json({"pages": len(results), "mismatches": [{"page_id": p, "url": u} for p, u in bad]})
    else:
        typer.echo(f"{len(results)} pages checked, {len(bad)} mismatches")
        for page_id, url in bad:
            typer.echo(f"  page {page_id} does not match its sha256: {url}", err=True)
    if bad:
        raise typer.Exit(EXIT_FAILURES)
