"""What every command module of the CLI shares: option types, output helpers, and the one
place where library errors become a line on stderr and an exit code."""

from __future__ import annotations

import csv
import enum
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from ._fetch_process import FetchProcessError
from .archive import Archive, StoredArticle
from .errors import (
    ArchiveError,
    BlockedError,
    ConfigError,
    FetchError,
    ParseError,
    PortalArchiveError,
)
from .settings import Settings

DbOption = Annotated[
    Path | None,
    typer.Option("--db", dir_okay=False, help="Archive file (default: data/archive.db)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON output for scripts.")]
SiteOption = Annotated[str | None, typer.Option("--site", help="Only this profile id.")]
SinceOption = Annotated[str | None, typer.Option("--since", help="From this date (YYYY-MM-DD).")]
UntilOption = Annotated[str | None, typer.Option("--until", help="Up to this date (YYYY-MM-DD).")]

T = TypeVar("T")

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_BLOCKED = 0, 1, 2, 3


def settings_for(ctx: typer.Context, db: Path | None) -> Settings:
    settings: Settings = ctx.obj
    return replace(settings, db_path=db) if db else settings


def fail(exc: BaseException | str, code: int) -> NoReturn:
    typer.echo(f"error: {safe(str(exc))}", err=True)
    raise typer.Exit(code)


def guard(action: Callable[[], T]) -> T:
    """Run a command's body; turn our errors into one stderr line and the right exit code."""
    try:
        return action()
    except BlockedError as exc:
        fail(exc, EXIT_BLOCKED)
    except (FetchError, FetchProcessError) as exc:
        fail(exc, EXIT_FAILURES)
    except (ConfigError, ArchiveError, ParseError) as exc:
        fail(exc, EXIT_USAGE)
    except PortalArchiveError as exc:
        fail(exc, EXIT_USAGE)


def safe(text: str) -> str:
    """Text fit for a terminal: control characters (escape sequences) shown, not obeyed."""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else f"\\x{ord(ch):02x}" for ch in text)


def launcher() -> str:
    # run.py sets this so hints name the command the user actually typed.
    return os.environ.get("PORTAL_ARCHIVE_LAUNCHER", "portal-archive")


def open_readonly(settings: Settings) -> Archive:
    return guard(
        lambda: Archive.open(
            settings.db_path, readonly=True, busy_timeout_s=settings.busy_timeout_s
        )
    )


def date_of(stored: StoredArticle) -> str:
    value = stored.article.published or stored.article.updated
    return value.isoformat() if value else "----------"


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date (YYYY-MM-DD)", EXIT_USAGE)


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> Iterator[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    widths[-1] = len(headers[-1])  # the last column runs free
    yield "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    yield "  ".join("-" * w for w in widths)
    for row in rows:
        yield "  ".join(safe(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


class SearchOrder(enum.StrEnum):
    date = "date"
    relevance = "relevance"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(rows: Sequence[dict[str, Any]]) -> None:
    """Rows of dicts as CSV on stdout, header from the first row's keys."""
    if not rows:
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow([csv_cell(v) for v in row.values()])


def highlight(snippet: str) -> str:
    """A snippet for the terminal: the \\x02…\\x03 marks in bold, any other control
    character shown escaped."""
    text = safe(snippet.replace("\x02", "\ue000").replace("\x03", "\ue001"))
    return text.replace("\ue000", "\x1b[1m").replace("\ue001", "\x1b[0m")
