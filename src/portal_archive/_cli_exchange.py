"""CLI commands that move articles in and out of the archive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ._cli_common import (
    EXIT_USAGE,
    DbOption,
    SiteOption,
    fail,
    guard,
    open_readonly,
    settings_for,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(export)


def export(
    ctx: typer.Context,
    db: DbOption = None,
    format_: Annotated[str, typer.Option("--format", help="Output format: jsonl.")] = "jsonl",
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", dir_okay=False, help="Write to this file instead of stdout."
        ),
    ] = None,
    site: SiteOption = None,
) -> None:
    """Export every article, one JSON object per line (the Article fields plus id and fetch time).

    Example: portal-archive export --format jsonl -o articles.jsonl
    """
    if format_ != "jsonl":
        fail(f"unknown --format {format_!r} (available: jsonl)", EXIT_USAGE)
    settings = settings_for(ctx, db)
    with open_readonly(settings) as archive:
        lines = guard(
            lambda: [
                json.dumps(s.to_dict(), ensure_ascii=False)
                for s in archive.iter_articles(site=site)
            ]
        )
    if output is None:
        for line in lines:
            typer.echo(line)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text("".join(line + "\n" for line in lines), "utf-8")
    tmp.replace(output)
    typer.echo(f"{len(lines)} articles written to {output}", err=True)
