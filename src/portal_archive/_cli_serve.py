"""CLI command `serve`: browse, facet and search the archive in Datasette, read-only."""

from __future__ import annotations

import ipaddress
import webbrowser
from typing import Annotated

import typer

from . import serve as serve_lib
from ._cli_common import EXIT_USAGE, DbOption, fail, guard, settings_for


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(serve)


def serve(
    ctx: typer.Context,
    db: DbOption = None,
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on (default: this machine only)."),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")
    ] = 8001,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the archive in a web browser.")
    ] = False,
) -> None:
    """Browse, facet and search the archive in Datasette, read-only, while crawls go on.

    Needs the serve extra: pip install 'portal-archive[serve]'. Stop it with Ctrl-C.

    Example: portal-archive serve --port 8001 --open
    """
    settings = settings_for(ctx, db)
    try:
        serve_lib.load_datasette()
        import uvicorn  # a dependency of datasette
    except ImportError:
        fail(f"Datasette is not installed: {serve_lib.INSTALL_HINT}", EXIT_USAGE)
    ds = guard(lambda: serve_lib.make_datasette(settings.db_path))
    url = f"http://{_url_host(host)}:{port}/"
    if not _is_loopback(host):
        typer.echo(f"warning: {host} is reachable from other machines", err=True)
    typer.echo(f"Serving {settings.db_path} read-only at {url} (Ctrl-C to stop)", err=True)
    if open_browser:
        webbrowser.open(url)
    try:
        uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
    except SystemExit as exc:  # uvicorn exits 1 when it cannot bind, after logging why
        if exc.code:
            fail(f"could not serve on {host}:{port} (see above)", EXIT_USAGE)
        raise


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
