"""A misbehaving HTTP/1.1 server of our own on 127.0.0.1, for the fault tests.

A raw threaded socket server (no framework, so it can break the framing on purpose), bound to
``("127.0.0.1", 0)`` and started by the test as a context manager::

    with FaultServer({"/list/index.html": Content(listing_html([...])),
                      "/art/a.html": ResetMidBody()}) as server:
        ...  # crawl server.url + "/list/index.html"
    server.paths()  # every request, in order

It answers GET only. Each connection serves one request and is closed (``Connection:
close``), so every fault lands on a fresh connection. Every request is logged (path, headers,
monotonic time, connection number) before it is answered, so tests can assert what was, or
was not, requested.

Routes map a request target to a behaviour. A key with a query (``/list/trap?page=2``) matches
that exact target; otherwise the path alone is matched; a key ending in ``*`` matches every
path that starts with it. Anything else answers 404 (``/robots.txt`` included: RFC 9309 reads
that as "allow everything").
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import gzip
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from urllib.parse import urlsplit

__all__ = [
    "MIB",
    "Behaviour",
    "ChunkedUnterminated",
    "CloseBeforeStatus",
    "Content",
    "Drip",
    "Dynamic",
    "FaultServer",
    "GzipBomb",
    "GzipCorrupt",
    "GzipTruncated",
    "Huge",
    "Redirect",
    "Request",
    "ResetMidBody",
    "Sequenced",
    "ShortBody",
    "Status",
    "article_html",
    "gzip_bomb",
    "listing_html",
]

MIB = 1024 * 1024

_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    307: "Temporary Redirect",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    412: "Precondition Failed",
    429: "Too Many Requests",
    503: "Service Unavailable",
    521: "Web Server Is Down",
}


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the server saw it. ``headers`` has lower-cased names."""

    method: str
    target: str
    headers: Mapping[str, str]
    at: float
    conn: int

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


class _Conn:
    """The accepted socket, with helpers to write HTTP (or deliberately broken HTTP)."""

    def __init__(self, sock: socket.socket, stop: threading.Event):
        self.sock = sock
        self.stop = stop

    def send(self, data: bytes) -> bool:
        """Send bytes; False once the client has gone away."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def head(self, status: int, headers: Iterable[tuple[str, str]] = ()) -> bytes:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in headers]
        lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def respond(self, status: int, headers: Iterable[tuple[str, str]] = (), body: bytes = b""):
        headers = [*headers, ("Content-Length", str(len(body)))]
        self.send(self.head(status, headers) + body)

    def reset(self) -> None:
        """Close with SO_LINGER 0: the peer gets a TCP RST, not a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


class Behaviour:
    """How the server answers one route."""

    def serve(self, request: Request, conn: _Conn) -> None:
        raise NotImplementedError


@dataclass
class Content(Behaviour):
    """A normal response: the given bytes, with conditional GET when validators are set.

    ``charset`` is appended to the Content-Type header (None: no charset in the header).
    With ``etag`` or ``last_modified``, a request carrying a matching ``If-None-Match`` or
    ``If-Modified-Since`` gets 304 with no body.
    """

    body: bytes | str
    content_type: str = "text/html"
    charset: str | None = "utf-8"
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200
    headers: Sequence[tuple[str, str]] = ()

    def serve(self, request: Request, conn: _Conn) -> None:
        validators: list[tuple[str, str]] = []
        if self.etag:
            validators.append(("ETag", self.etag))
        if self.last_modified:
            validators.append(("Last-Modified", self.last_modified))
        inm = request.headers.get("if-none-match")
        ims = request.headers.get("if-modified-since")
        if (self.etag and inm == self.etag) or (
            self.last_modified and ims == self.last_modified and not inm
        ):
            conn.respond(304, validators)
            return
        body = (
            self.body.encode(self.charset or "utf-8") if isinstance(self.body, str) else self.body
        )
        ctype = self.content_type + (f"; charset={self.charset}" if self.charset else "")
        conn.respond(self.status, [("Content-Type", ctype), *validators, *self.headers], body)


@dataclass
class Status(Behaviour):
    """A bare status with optional headers and a small body (HTML by default)."""

    code: int
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""

    def serve(self, request: Request, conn: _Conn) -> None:
        headers = list(self.headers)
        if self.body and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        conn.respond(self.code, headers, self.body)


@dataclass
class Redirect(Behaviour):
    location: str
    code: int = 302

    def serve(self, request: Request, conn: _Conn) -> None:
        conn.respond(self.code, [("Location", self.location)])


@dataclass
class Sequenced(Behaviour):
    """The n-th request to this route gets the n-th behaviour; the last one repeats."""

    steps: Sequence[Behaviour]
    hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def serve(self, request: Request, conn: _Conn) -> None:
        with self._lock:
            step = self.steps[min(self.hits, len(self.steps) - 1)]
            self.hits += 1
        step.serve(request, conn)


@dataclass
class Dynamic(Behaviour):
    """A behaviour computed per request (pagination traps, a Retry-After date from now)."""

    make: Callable[[Request], Behaviour]

    def serve(self, request: Request, conn: _Conn) -> None:
        self.make(request).serve(request, conn)


class CloseBeforeStatus(Behaviour):
    """Read the request, then close without sending a byte."""

    def serve(self, request: Request, conn: _Conn) -> None:
        conn.sock.close()


class ResetMidBody(Behaviour):
    """Headers and half a body, then a TCP RST (SO_LINGER 0)."""

    def serve(self, request: Request, conn: _Conn) -> None:
        body = article_html("Reset", ["This body is cut by a reset."] * 20).encode()
        head = conn.head(200, [("Content-Type", "text/html"), ("Content-Length", str(len(body)))])
        conn.send(head + body[: len(body) // 2])
        time.sleep(0.05)
        conn.reset()


class ShortBody(Behaviour):
    """Content-Length 1024, then 7 bytes and a close."""

    def serve(self, request: Request, conn: _Conn) -> None:
        head = conn.head(200, [("Content-Type", "text/html"), ("Content-Length", "1024")])
        conn.send(head + b"<html>x")
        conn.sock.close()


class ChunkedUnterminated(Behaviour):
    """A chunked body without the terminal ``0`` chunk, then a close."""

    def serve(self, request: Request, conn: _Conn) -> None:
        body = article_html("Chunked", ["This chunked body never ends properly."] * 5).encode()
        head = conn.head(200, [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])
        conn.send(head + f"{len(body):x}\r\n".encode() + body + b"\r\n")
        conn.sock.close()


class GzipTruncated(Behaviour):
    """The first half of a gzip body, with a Content-Length that matches what is sent: the
    framing is complete, the compressed stream is not."""

    def __init__(self, html: str | None = None):
        page = html or article_html("Truncated gzip", ["A gzip stream cut in half."] * 40)
        whole = gzip.compress(page.encode(), mtime=0)
        self.payload = whole[: len(whole) // 2]

    def serve(self, request: Request, conn: _Conn) -> None:
        conn.respond(
            200,
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
            self.payload,
        )


class GzipCorrupt(Behaviour):
    """A gzip header followed by bytes that are not deflate data."""

    def serve(self, request: Request, conn: _Conn) -> None:
        payload = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(7, 250)) * 4
        conn.respond(
            200,
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
            payload,
        )


@dataclass(frozen=True, slots=True)
class _Bomb:
    payload: bytes
    inflated_size: int
    build_s: float


@functools.cache
def gzip_bomb(size: int = 200 * MIB, budget_s: float = 2.0, minimum: int = 64 * MIB) -> _Bomb:
    """Zeros gzipped (200 MiB → about 200 KB), built once per process. When building takes
    longer than ``budget_s`` the bomb is closed early, but never below ``minimum`` bytes."""
    start = time.perf_counter()
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MIB)
    parts = []
    done = 0
    while done < size:
        parts.append(compressor.compress(zeros))
        done += MIB
        if done >= minimum and time.perf_counter() - start > budget_s:
            break
    parts.append(compressor.flush())
    return _Bomb(b"".join(parts), done, time.perf_counter() - start)


class GzipBomb(Behaviour):
    """``gzip_bomb()`` served as a gzip-encoded HTML page with its true Content-Length."""

    def serve(self, request: Request, conn: _Conn) -> None:
        conn.respond(
            200,
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
            gzip_bomb().payload,
        )


@dataclass
class Huge(Behaviour):
    """A huge HTML page, streamed in 64 KiB pieces until done or the client leaves.
    With ``chunked`` there is no Content-Length: only reading tells the size."""

    size: int = 50 * MIB
    chunked: bool = False
    sent: int = 0

    def serve(self, request: Request, conn: _Conn) -> None:
        piece = b"<p>" + b"x" * (64 * 1024 - 8) + b"</p>\n\n"
        if self.chunked:
            head = conn.head(200, [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])
        else:
            head = conn.head(
                200, [("Content-Type", "text/html"), ("Content-Length", str(self.size))]
            )
        if not conn.send(head):
            return
        remaining = self.size
        while remaining > 0 and not conn.stop.is_set():
            data = piece[: min(len(piece), remaining)]
            frame = f"{len(data):x}\r\n".encode() + data + b"\r\n" if self.chunked else data
            if not conn.send(frame):
                return
            remaining -= len(data)
            self.sent += len(data)
        if self.chunked:
            conn.send(b"0\r\n\r\n")


@dataclass
class Drip(Behaviour):
    """A 200 whose body comes one byte every ``interval`` seconds, forever (until the client
    leaves or the server stops)."""

    interval: float = 0.5

    def serve(self, request: Request, conn: _Conn) -> None:
        # 10 kB at this pace takes hours: "forever" for any client deadline.
        head = conn.head(200, [("Content-Type", "text/html"), ("Content-Length", "10000")])
        if not conn.send(head):
            return
        while not conn.stop.wait(self.interval):
            if not conn.send(b"x"):
                return


# -- pages ----------------------------------------------------------------------------------


def article_html(
    title: str,
    paragraphs: Sequence[str] = (),
    *,
    links: Sequence[tuple[str, str]] = (),
    head: str = '<meta charset="utf-8">',
    lang: str = "en",
) -> str:
    """An article page the generic extraction rules read: ``<h1>`` title, body paragraphs,
    and ``links`` (href, text) inside the body (attachments are read from there)."""
    paragraphs = paragraphs or [
        f"{title}: the first paragraph of this article, long enough to be body text.",
        "The second paragraph says more about it, so the extractor finds a body.",
    ]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    body += "".join(f'<p><a href="{escape(h)}">{escape(t)}</a></p>' for h, t in links)
    return (
        f'<!doctype html><html lang="{lang}"><head>{head}<title>{escape(title)}</title></head>'
        f'<body><div class="nav"><a href="/">Home</a></div><h1>{escape(title)}</h1>'
        f'<div class="content">{body}</div></body></html>'
    )


def listing_html(links: Iterable[str], title: str = "News") -> str:
    """A listing page linking to each URL (relative or absolute)."""
    items = "".join(f'<li><a href="{escape(u)}">{escape(u)}</a></li>' for u in links)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><h1>{title}</h1><ul>{items}</ul></body></html>"
    )


def http_date(seconds_from_now: float) -> str:
    when = datetime.now(UTC) + timedelta(seconds=seconds_from_now)
    return email.utils.format_datetime(when, usegmt=True)


# -- the server -----------------------------------------------------------------------------


class FaultServer:
    """The scripted server. ``routes`` may be changed between crawls (``server.routes[p] = …``)."""

    def __init__(self, routes: Mapping[str, Behaviour] | None = None):
        self.routes: dict[str, Behaviour] = dict(routes or {})
        self.log: list[Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._accepter: threading.Thread | None = None
        self._conns = 0
        self.port = 0

    # -- lifecycle

    def __enter__(self) -> FaultServer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._accepter is not None:
            self._accepter.join(timeout=2)
        if self._listener is not None:
            self._listener.close()
        for thread in list(self._threads):
            thread.join(timeout=2)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    # -- what was asked

    def requests(self, path: str | None = None) -> list[Request]:
        """Logged requests, all or those for one target (exact) or path."""
        with self._lock:
            log = list(self.log)
        if path is None:
            return log
        return [r for r in log if r.target == path or (r.path == path and "?" not in path)]

    def paths(self) -> list[str]:
        return [r.target for r in self.requests()]

    def count(self, path: str) -> int:
        return len(self.requests(path))

    # -- serving

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns += 1
                number = self._conns
            thread = threading.Thread(target=self._handle, args=(sock, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _handle(self, sock: socket.socket, number: int) -> None:
        conn = _Conn(sock, self._stop)
        try:
            sock.settimeout(5)
            request = self._read_request(sock, number)
            if request is None:
                return
            with self._lock:
                self.log.append(request)
            if request.method != "GET":
                conn.respond(405, [("Allow", "GET")])
                return
            self._route(request).serve(request, conn)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def _read_request(self, sock: socket.socket, number: int) -> Request | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
            if len(data) > 64 * 1024:
                return None
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        line, *header_lines = head.split("\r\n")
        method, target, _ = line.split(" ", 2)
        headers: dict[str, str] = {}
        for raw in header_lines:
            name, _, value = raw.partition(":")
            headers[name.strip().lower()] = value.strip()
        return Request(method, target, headers, time.monotonic(), number)

    def _route(self, request: Request) -> Behaviour:
        routes = self.routes
        if request.target in routes:
            return routes[request.target]
        if request.path in routes:
            return routes[request.path]
        prefixes = [k for k in routes if k.endswith("*") and request.path.startswith(k[:-1])]
        if prefixes:
            return routes[max(prefixes, key=len)]
        return Status(404, body=b"<html><title>404</title></html>")
