"""Serve a folder of saved pages on 127.0.0.1, as the site would: the offline mirror used by
``portal-archive demo`` and by the tests. Standard library only; the OS picks the port."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["MirrorHandler", "serve_directory"]


class MirrorHandler(SimpleHTTPRequestHandler):
    """Static files with the content types a TRS portal sends (``.shtml`` is HTML, and no
    charset in the header: pages declare theirs in ``<meta>``, if at all). Quiet."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".shtml": "text/html",
        ".html": "text/html",
        ".htm": "text/html",
        ".txt": "text/plain",
        ".xml": "application/xml",
    }
    server_version = "portal-archive-mirror"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


@contextlib.contextmanager
def serve_directory(root: Path, *, handler: type[MirrorHandler] = MirrorHandler) -> Iterator[str]:
    """Serve ``root`` until the block ends; yields the base URL (``http://127.0.0.1:PORT``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="mirror", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
