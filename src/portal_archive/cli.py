"""The command line: parses options, builds Settings once, calls the library, renders results.

No SQL, selectors or retry logic here. Exit codes: 0 all fine, 1 finished with some URLs
failed, 2 usage or configuration error (bad profile, unusable archive, bad input), 3 the
site blocked or rate-limited the crawl.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from ._cli_analysis import register as _register_analysis
from ._cli_archive import register as _register_archive
from ._cli_common import (
    EXIT_USAGE,
    DbOption,
    JsonOption,
    SearchOrder,
    SinceOption,
    SiteOption,
    UntilOption,
    date_of,
    echo_json,
    fail,
    guard,
    highlight,
    launcher,
    open_readonly,
    parse_date,
    safe,
    settings_for,
    table,
    write_csv,
)
from ._cli_exchange import register as _register_exchange
from ._cli_serve import register as _register_serve
from ._fetch_process import FetchProcess
from .archive import Archive
from .crawl import CrawlOptions, fetch_hosts
from .crawl import crawl as crawl_site
from .discover import read_url_list
from .errors import (
    ConfigError,
)
from .extract import Document, extract, extract_article, profile_for_url
from .fetch import Fetcher
from .mirror import serve_directory
from .models import Article, CrawlReport
from .profiles import SiteProfile, load_profile, load_profiles
from .settings import Settings
from .urls import canonicalize_url, is_public_address

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Crawl government portals, extract articles exactly, keep them in a SQLite archive.",
)


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every page.")] = False,
) -> None:
    """portal-archive: polite crawls, exact text, a SQLite archive you can query."""
    logging.basicConfig(format="%(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("portal_archive").setLevel(logging.INFO if verbose else logging.WARNING)
    ctx.meta["verbose"] = verbose
    try:
        ctx.obj = Settings.from_env()
    except ConfigError as exc:
        fail(exc, EXIT_USAGE)


# -- crawling -----------------------------------------------------------------------------------


def _run_crawl(
    settings: Settings,
    profile: SiteProfile,
    options: CrawlOptions,
    progress: Callable[[CrawlReport], None] | None = None,
) -> CrawlReport:
    async def main() -> CrawlReport:
        with (
            Archive.open(settings.db_path, busy_timeout_s=settings.busy_timeout_s) as archive,
            archive.crawl_lock(),
        ):
            if crash_hook := _crash_hook():
                archive.write_hook = crash_hook
            # The Fetcher runs in a child process: page work here never delays a host's turn.
            async with FetchProcess(
                settings,
                allowed_hosts=fetch_hosts(profile, options.base_url),
                delay_s=profile.crawl.delay_s if not options.base_url else None,
            ) as fetcher:
                return await crawl_site(
                    profile, fetcher=fetcher, archive=archive, options=options, progress=progress
                )

    return asyncio.run(main())


def _crash_hook() -> Callable[[str], None] | None:
    """A testing aid: PORTAL_ARCHIVE_CRASH_AT=POINT:N kills this process with SIGKILL the
    N-th time the archive reaches the named write point (see Archive.write_hook)."""
    spec = os.environ.get("PORTAL_ARCHIVE_CRASH_AT")
    if not spec:
        return None
    point, _, nth = spec.partition(":")
    remaining = [int(nth or "1")]

    def hook(name: str) -> None:
        if name == point or point == "any":
            remaining[0] -= 1
            if remaining[0] <= 0:
                os.kill(os.getpid(), signal.SIGKILL)

    return hook


def _report_summary(report: CrawlReport, db_path: Path) -> str:
    lines = [
        f"{report.site}: {report.articles_seen} articles "
        f"({report.articles_new} new, {report.articles_changed} changed, "
        f"{report.articles_unchanged} unchanged, {report.articles_not_modified} not modified, "
        f"{report.articles_failed} failed) from {report.listing_pages} listing pages "
        f"in {report.duration_s:.1f} s, {report.bytes_received / 1024:.0f} kB -> {db_path}",
    ]
    if report.resumed:
        lines.append("  resumed the interrupted previous run")
    if report.skipped_robots:
        lines.append(f"  {report.skipped_robots} URLs skipped: disallowed by robots.txt")
    if report.skipped_traps:
        lines.append(f"  {report.skipped_traps} URLs skipped as likely crawler traps")
    if report.articles_gone:
        lines.append(f"  {report.articles_gone} archived articles are gone (404/410)")
    for failure in report.failures[:20]:
        status = f" (HTTP {failure.status})" if failure.status else ""
        lines.append(f"  failed [{failure.kind}]{status} {failure.url}: {safe(failure.message)}")
    if len(report.failures) > 20:
        lines.append(f"  … and {len(report.failures) - 20} more failures (see the report)")
    if report.blocked:
        lines.append(
            "  the site refused or rate-limited this crawl; it stopped early. "
            "Try again later, with a longer --delay."
        )
    return "\n".join(lines)


class _Progress:
    """One live line on stderr: pages, articles, errors, rate. Only on a terminal."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, report: CrawlReport) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        elapsed = max((datetime.now(UTC) - report.started_at).total_seconds(), 0.001)
        line = (
            f"\r{report.requests} requests, {report.listing_pages} listings, "
            f"{report.articles_seen} articles ({report.articles_new} new), "
            f"{len(report.failures)} errors, {report.requests / elapsed:.1f}/s"
        )
        sys.stderr.write(line.ljust(79)[:200])
        sys.stderr.flush()

    def close(self) -> None:
        if self.last:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()


class _JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": record.getMessage(),
            },
            ensure_ascii=False,
        )


def _write_report(report: CrawlReport, path: Path | None) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    tmp.replace(path)


@app.command()
def crawl(
    ctx: typer.Context,
    profile: Annotated[
        str, typer.Argument(help="A built-in profile id (see `sites`) or a .toml path.")
    ],
    db: DbOption = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Fetch from this origin (a mirror); articles keep the profile's URLs.",
        ),
    ] = None,
    max_pages: Annotated[
        int | None,
        typer.Option("--max-pages", min=1, help="Stop after this many requests for pages."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Skip articles dated (in their URL) before YYYY-MM-DD."),
    ] = None,
    urls: Annotated[
        Path | None,
        typer.Option("--urls", dir_okay=False, help="Also archive the URLs in this file."),
    ] = None,
    delay: Annotated[
        float | None,
        typer.Option(
            "--delay", min=0.0, help="Seconds between requests to one host (default: 1.0)."
        ),
    ] = None,
    max_hosts: Annotated[
        int, typer.Option("--max-hosts", min=1, help="Hosts crawled at the same time.")
    ] = 8,
    allow_private_networks: Annotated[
        bool,
        typer.Option(
            "--allow-private-networks",
            help="Allow loopback and private addresses (a local mirror).",
        ),
    ] = False,
    proxy: Annotated[
        str | None,
        typer.Option("--proxy", help="Send every request through this proxy URL."),
    ] = None,
    download_attachments: Annotated[
        bool,
        typer.Option("--download-attachments", help="Store linked files (pdf, doc …)."),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", dir_okay=False, help="Write the run report as JSON to this file."),
    ] = None,
    log_json: Annotated[
        bool, typer.Option("--log-json", help="Logs as JSON lines on stderr.")
    ] = False,
) -> None:
    """Crawl a portal into the archive.

    Exit codes: 0 all fine, 1 some URLs failed, 2 usage or configuration error,
    3 the site blocked or rate-limited the crawl.

    Example: portal-archive crawl sichuan-en --report run.json
    """
    settings = settings_for(ctx, db)
    settings = replace(settings, allow_private_networks=allow_private_networks, proxy=proxy)
    if delay is not None:
        settings = replace(settings, delay_s=delay)
    if log_json:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(_JsonLogFormatter())
    site = guard(lambda: load_profile(profile, extra_dirs=settings.profile_dirs))
    if base_url is not None:
        try:
            base_url = _check_base_url(base_url, allow_private=allow_private_networks)
        except ConfigError as exc:
            fail(exc, EXIT_USAGE)
    extra: tuple[str, ...] = ()
    if urls is not None:
        try:
            listed = read_url_list(urls.read_text("utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"--urls {urls}: cannot read it ({exc})", EXIT_USAGE)
        for rejected in listed.rejected:
            typer.echo(f"--urls {urls}:{rejected.line}: {rejected.reason}", err=True)
        extra = tuple(listed.urls)
    options = CrawlOptions(
        base_url=base_url,
        max_pages=max_pages,
        since=parse_date(since, "--since"),
        urls=extra,
        download_attachments=download_attachments,
        max_hosts=max_hosts,
    )
    progress = _Progress() if sys.stderr.isatty() and not log_json else None
    try:
        result = guard(lambda: _run_crawl(settings, site, options, progress))
    finally:
        if progress is not None:
            progress.close()
    _write_report(result, report)
    # Cron mails whatever a job prints: on success, say nothing unless a person is watching.
    if result.exit_code != 0 or sys.stdout.isatty() or ctx.meta.get("verbose"):
        typer.echo(_report_summary(result, settings.db_path), err=result.exit_code != 0)
    raise typer.Exit(result.exit_code)


def _check_base_url(value: str, *, allow_private: bool) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--base-url {value!r} is not an absolute http(s) URL")
    host = parts.hostname
    if not allow_private and (
        host == "localhost" or (_is_ip_literal(host) and not is_public_address(host))
    ):
        raise ConfigError(
            f"--base-url {value!r} is a loopback or private address; "
            "add --allow-private-networks to crawl a local mirror"
        )
    return canonicalize_url(value)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _default_site_dir() -> Path:
    candidates = [
        Path.cwd() / "fixtures" / "site",
        Path(__file__).resolve().parents[2] / "fixtures" / "site",
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


@app.command()
def demo(
    ctx: typer.Context,
    db: DbOption = None,
    site_dir: Annotated[
        Path | None,
        typer.Option(
            "--site-dir", file_okay=False, help="The offline mirror (default: fixtures/site)."
        ),
    ] = None,
) -> None:
    """Serve the offline mirror of the Sichuan English portal on 127.0.0.1, crawl it with the
    real crawler into the archive, and show what to query next."""
    settings = settings_for(ctx, db)
    root = site_dir or _default_site_dir()
    if not (root / "robots.txt").is_file():
        fail(
            f"no offline mirror at {root} (run from the project folder, or pass --site-dir)",
            EXIT_USAGE,
        )
    # Our own server on loopback: no need to wait a second between requests.
    settings = replace(settings, allow_private_networks=True, delay_s=0.02, jitter=0.5)
    profile = guard(lambda: load_profile("sichuan-en"))
    with serve_directory(root) as base_url:
        typer.echo(f"Serving the offline mirror {root} at {base_url}", err=True)
        result = guard(lambda: _run_crawl(settings, profile, CrawlOptions(base_url=base_url)))
    typer.echo(_report_summary(result, settings.db_path))
    archive = guard(lambda: Archive.open(settings.db_path, readonly=True))
    with archive:
        newest = archive.list_articles(limit=3)
        total = archive.count_articles()
    typer.echo(f"\nThe archive holds {total} articles. Newest:")
    for stored in newest:
        typer.echo(f"  {date_of(stored)}  {safe(stored.article.title or '')}")
    cmd = launcher()
    db_flag = f" --db {settings.db_path}" if db else ""
    example = newest[0].article.url if newest else "URL"
    typer.echo("\nTry next:")
    typer.echo(f'  {cmd} search "social work"{db_flag}')
    typer.echo(f"  {cmd} list --since 2020-01-01{db_flag}")
    typer.echo(f"  {cmd} show {example}{db_flag}")
    raise typer.Exit(result.exit_code)


# -- querying -----------------------------------------------------------------------------------


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(help='Words to find (all required); "quote" a phrase; word* for a prefix.'),
    ],
    db: DbOption = None,
    site: SiteOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    column: Annotated[
        str | None, typer.Option("--column", help="Only this column (section).")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source (来源).")] = None,
    order: Annotated[
        SearchOrder, typer.Option("--order", help="Newest first, or by relevance (bm25).")
    ] = SearchOrder.date,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many results.")] = 20,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV output for spreadsheets.")] = False,
) -> None:
    """Full-text search of titles and bodies, in Chinese or English, with highlighted snippets.

    Example: portal-archive search "social work" --since 2024-01-01
    """
    settings = settings_for(ctx, db)
    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    tty = sys.stdout.isatty() and not (as_json or as_csv)
    marks = ("\x02", "\x03") if tty else ("[", "]")
    with open_readonly(settings) as archive:
        hits = guard(
            lambda: archive.search(
                query,
                limit=limit,
                site=site,
                since=start,
                until=end,
                column=column,
                source=source,
                order=order.value,
                marks=marks,
            )
        )
    if as_json:
        echo_json([hit.to_dict() for hit in hits])
        return
    if as_csv:
        write_csv([hit.to_dict() for hit in hits])
        return
    if not hits:
        typer.echo(f"no articles match {query!r}", err=True)
        return
    for hit in hits:
        when = hit.published or hit.updated or "----------"
        typer.echo(f"[{hit.id}] {when}  {safe(hit.title or '')}")
        typer.echo(f"    {hit.url}")
        typer.echo(f"    {highlight(hit.snippet)}")


@app.command("list")
def list_(
    ctx: typer.Context,
    db: DbOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    site: SiteOption = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List archived articles, newest first.

    Example: portal-archive list --since 2020-01-01 --site sichuan-en
    """
    settings = settings_for(ctx, db)
    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    with open_readonly(settings) as archive:
        rows = guard(lambda: archive.list_articles(since=start, until=end, site=site, limit=limit))
    if as_json:
        echo_json(
            [
                {k: v for k, v in r.to_dict().items() if k not in {"paragraphs", "body_text"}}
                for r in rows
            ]
        )
        return
    cells = [(str(r.id), date_of(r), r.article.site or "", r.article.title or "") for r in rows]
    for line in table(cells, ["id", "date", "site", "title"]):
        typer.echo(line)
    typer.echo(f"{len(rows)} articles", err=True)


@app.command()
def show(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="URL|ID", help="The article's URL or id.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one archived article: title, dates, every paragraph, footer, source and fetch time.

    Example: portal-archive show 3
    """
    settings = settings_for(ctx, db)
    with open_readonly(settings) as archive:
        stored = guard(lambda: archive.get_article(key))
    if stored is None:
        fail(f"no article {key!r} in {settings.db_path}", EXIT_USAGE)
    if as_json:
        echo_json(stored.to_dict())
        return
    article = stored.article
    out = [
        safe(article.title or "(no title)"),
        "=" * min(len(article.title or ""), 100),
        *([safe(article.subtitle), ""] if article.subtitle else []),
        f"Published: {article.published or '-'}    Updated: {article.updated or '-'}",
        *_date_origins(article),
        f"Source:    {article.url}",
        f"Fetched:   {stored.fetched_at} (HTTP {stored.status}, {stored.final_url},"
        f" sha256 {stored.sha256[:16]}…)",
        f"Site:      {article.site or '-'}    Language: {article.language or '-'}    "
        f"Encoding: {article.encoding or '-'}",
        *(
            f"{label:<10} {safe(value)}"
            for label, value in (
                ("Author:", article.author),
                ("Column:", article.column),
                ("Credits:", article.source),
            )
            if value
        ),
        "",
    ]
    out += _fields("Document:", article.document)
    for paragraph in article.paragraphs:
        out += [safe(paragraph), ""]
    if article.attachments:
        out.append("Attachments:")
        out += [f"  [{a.type}] {safe(a.text)}  {a.url}" for a in article.attachments]
    if article.images:
        out.append("Images:")
        out += [
            f"  {i.url}" + (f"  {safe(i.caption)}" if i.caption else "") for i in article.images
        ]
    out += _fields("Footer:", article.footer)
    typer.echo("\n".join(out))


def _date_origins(article: Article) -> list[str]:
    """Where each date was read from, as ``show`` prints it under the dates."""
    origins = [
        f"{kind} from {source}" + (f" ({safe(raw)!r})" if raw else "")
        for kind, source, raw in (
            ("published", article.published_source, article.published_raw),
            ("updated", article.updated_source, article.updated_raw),
        )
        if source
    ]
    return [f"           {'; '.join(origins)}"] if origins else []


def _fields(heading: str, fields: Mapping[str, str]) -> list[str]:
    if not fields:
        return []
    width = max(len(k) for k in fields)
    return [heading, *(f"  {k.ljust(width)}  {safe(v)}" for k, v in fields.items()), ""]


@app.command()
def sites(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the site profiles: the built-in ones and those in PORTAL_ARCHIVE_PROFILES folders."""
    settings: Settings = ctx.obj
    profiles = guard(lambda: load_profiles(extra_dirs=settings.profile_dirs))
    if as_json:
        echo_json(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "base_url": p.base_url,
                    "hosts": list(p.hosts),
                    "start_urls": list(p.start_urls),
                    "language": p.language,
                    "source": p.source,
                }
                for p in profiles
            ]
        )
        return
    for line in table([(p.id, p.base_url, p.name) for p in profiles], ["id", "base_url", "name"]):
        typer.echo(line)


@app.command("extract")
def extract_(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="FILE|URL", help="A saved page, or a URL to fetch.")
    ],
    url: Annotated[
        str | None,
        typer.Option(
            "--url", help="The page's URL, for a saved file (resolves links, picks a profile)."
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="Use this profile's selectors (id or .toml path)."),
    ] = None,
    allow_private_networks: Annotated[
        bool,
        typer.Option(
            "--allow-private-networks", help="Allow fetching from loopback and private addresses."
        ),
    ] = False,
) -> None:
    """Extract the article from one page and print it as JSON.

    Example: portal-archive extract page.html --url https://www.sc.gov.cn/10462/…/x.shtml
    """
    settings: Settings = replace(ctx.obj, allow_private_networks=allow_private_networks)
    chosen = (
        guard(lambda: load_profile(profile, extra_dirs=settings.profile_dirs)) if profile else None
    )
    if source.startswith(("http://", "https://")):
        article = guard(lambda: asyncio.run(_extract_url(settings, source, chosen)))
    else:
        path = Path(source)
        if not path.is_file():
            fail(f"no such file: {path}", EXIT_USAGE)
        try:
            data = path.read_bytes()
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror}", EXIT_USAGE)
        page_url = canonicalize_url(url) if url else None
        article = guard(lambda: extract(data, page_url, profile=chosen))
    echo_json(article.to_dict())


async def _extract_url(settings: Settings, url: str, profile: SiteProfile | None) -> Any:
    canonical = canonicalize_url(url)
    parts = urlsplit(canonical)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    async with Fetcher(replace(settings, max_retries=1), allowed_hosts=[host]) as fetcher:
        page = await fetcher.fetch(canonical)
    document = Document.from_bytes(page.body, url=page.url, charset=page.charset)
    return extract_article(document, profile or profile_for_url(page.url))


_register_exchange(app)
_register_archive(app)
_register_analysis(app)
_register_serve(app)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    app(args=argv, prog_name="portal-archive")
