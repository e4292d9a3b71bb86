"""The Fetcher in a child process of its own: ``FetchProcess``.

A crawl's page work (decoding, extraction, the archive) is synchronous CPU, milliseconds a page.
Run in the event loop that also keeps 64 hosts' politeness timers and sockets, it makes every
timer fire late and every response wait to be read. ``FetchProcess`` moves the whole
``Fetcher`` (robots.txt, politeness, redirects with their per-hop checks, retries, limits) into
a child process with its own event loop; the crawl keeps the frontier, extraction and every
archive write, so crash safety is where it was.

The child is a fresh interpreter (``python -c``, as multiprocessing's *spawn* does, but without
re-running the parent's ``__main__``: ``python -m portal_archive`` would start a second CLI). It
talks to the crawl over a socket pair: length-prefixed pickles, requests in, Pages or errors
out, every error with its attributes (errors.py makes them picklable). It dies with the crawl:
the kernel kills it when its parent dies (Linux ``PR_SET_PDEATHSIG``), and it exits by itself
when the socket closes (the parent's end closes with the parent, however it ended).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import pickle
import resource
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from .errors import PortalArchiveError
from .models import Page
from .settings import Settings

__all__ = ["FetchProcess", "FetchProcessError"]

_HEADER: Final = struct.Struct("!I")
# The child needs fetch.py and the four modules it imports, not the package: importing
# portal_archive/__init__.py (extraction, selectolax, the archive, sqlite-utils) would double its
# start-up CPU (0.84 s against 0.41 s, measured). So the package is entered as a bare module
# whose __path__ is this folder, and only what fetch.py imports is loaded.
_CHILD_CODE: Final = (
    "import sys, types; package = types.ModuleType('portal_archive'); "
    "package.__path__ = [sys.argv[1]]; sys.modules['portal_archive'] = package; "
    "from portal_archive._fetch_process import _child_main; _child_main()"
)
_PACKAGE_DIR: Final = str(Path(__file__).resolve().parent)
_PR_SET_PDEATHSIG: Final = 1


class FetchProcessError(PortalArchiveError):
    """The fetch process ended, or could not be started: the crawl cannot go on. What it
    finished is archived; the next run resumes with the rest."""


class FetchProcess:
    """A ``Fetcher`` run in a child process; what ``crawl()`` needs of a Fetcher, over a pipe.

    Use as ``async with FetchProcess(settings, allowed_hosts=…) as fetcher``, from the
    thread that will run the crawl (the child is killed when the thread that started it ends).

    Args:
        settings, allowed_hosts, delay_s: as for ``Fetcher``; they are sent to the child.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        allowed_hosts: Iterable[str],
        delay_s: float | None = None,
    ) -> None:
        self.settings = settings
        self._init = (settings, tuple(allowed_hosts), delay_s)
        #: As reported by the child with its latest answer.
        self.requests = 0
        self.bytes_received = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._closed: FetchProcessError | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def __aenter__(self) -> FetchProcess:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Start the child (it imports in the background: the first fetch waits for it)."""
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PORTAL_ARCHIVE_FETCH_FD"] = str(theirs.fileno())
        env["PORTAL_ARCHIVE_FETCH_PARENT"] = str(os.getpid())
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _CHILD_CODE, _PACKAGE_DIR],
                env=env,
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                # The library never prints: the child's failures come back over the socket.
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            ours.close()
            raise FetchProcessError(f"cannot start the fetch process: {exc}") from exc
        finally:
            theirs.close()
        reader, self._writer = await asyncio.open_unix_connection(sock=ours)
        self._reader_task = asyncio.create_task(self._read_answers(reader))
        self._send(("init", *self._init))

    async def fetch(
        self,
        url: str,
        *,
        canonical_url: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        cap: int | None = None,
    ) -> Page:
        """``Fetcher.fetch`` in the child; its errors are raised here, with their attributes."""
        options = {
            "canonical_url": canonical_url,
            "etag": etag,
            "last_modified": last_modified,
            "cap": cap,
        }
        page: Page = await self._call("fetch", url, options)
        return page

    async def robots_sitemaps(self, url: str) -> list[str]:
        """``Fetcher.robots_sitemaps`` in the child."""
        found: list[str] = await self._call("robots_sitemaps", url)
        return found

    async def stats(self) -> dict[str, float]:
        """The child's CPU seconds so far (``cpu_s``), its peak RSS (``peak_rss_mb``) and the
        largest AutoThrottle wait it learnt (``max_throttle_s``): what a benchmark reports."""
        found: dict[str, float] = await self._call("stats")
        return found

    async def aclose(self) -> None:
        """Close the Fetcher in the child and wait for the child to exit."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if self._closed is None:
                with contextlib.suppress(FetchProcessError, OSError):
                    await asyncio.wait_for(self._call("close"), timeout=10)
        finally:
            if self._writer is not None:
                self._writer.close()
            if self._reader_task is not None:
                self._reader_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._reader_task
            try:
                await asyncio.to_thread(process.wait, 10)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)

    # -- the pipe ----------------------------------------------------------------------------

    async def _call(self, op: str, *args: Any) -> Any:
        if self._closed is not None:
            raise self._closed
        if self._writer is None:
            raise FetchProcessError("the fetch process is not started (use `async with`)")
        call_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        self._send((op, call_id, *args))
        try:
            return await future
        except asyncio.CancelledError:
            # The crawl gave up on this URL (it stops): the child stops working on it too.
            if self._pending.pop(call_id, None) is not None and self._closed is None:
                self._send(("cancel", call_id))
            raise

    def _send(self, message: tuple[Any, ...]) -> None:
        assert self._writer is not None
        self._writer.write(_frame(message))

    async def _read_answers(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                call_id, ok, value, requests, received = await _read_frame(reader)
                self.requests, self.bytes_received = requests, received
                future = self._pending.pop(call_id, None)
                if future is None or future.done():
                    continue  # cancelled here meanwhile
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            code = self._process.poll() if self._process is not None else None
            self._closed = FetchProcessError(
                f"the fetch process ended (exit code {code})" if code is not None else str(exc)
            )
        except BaseException as exc:  # a message that cannot be read: nothing else is safe
            self._closed = FetchProcessError(f"unreadable answer from the fetch process: {exc}")
            if not isinstance(exc, Exception):
                raise
        finally:
            closed = self._closed or FetchProcessError("the fetch process is closed")
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(closed)
            self._pending.clear()


def _frame(message: tuple[Any, ...]) -> bytes:
    """One message on the socket: its pickle's length, then the pickle. Raises what pickle
    raises for a message that will not pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


async def _read_frame(reader: asyncio.StreamReader) -> Any:
    (size,) = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    return pickle.loads(await reader.readexactly(size))


# -- the child ---------------------------------------------------------------------------------


def _child_main() -> None:
    """Entry point of the child: serve fetch requests until the parent closes the socket."""
    fd = int(os.environ.pop("PORTAL_ARCHIVE_FETCH_FD"))
    parent = int(os.environ.pop("PORTAL_ARCHIVE_FETCH_PARENT"))
    _die_with_parent(parent)
    sock = socket.socket(fileno=fd)
    asyncio.run(_serve(sock))


def _die_with_parent(parent: int) -> None:
    """SIGKILL this process when the parent dies (Linux); the closed socket covers the rest."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


async def _serve(sock: socket.socket) -> None:
    from .fetch import Fetcher  # here: the parent never needs httpx for this module

    reader, writer = await asyncio.open_unix_connection(sock=sock)
    fetcher: Fetcher | None = None
    tasks: dict[int, asyncio.Task[None]] = {}

    def answer(call_id: int, ok: bool, value: Any) -> None:
        counters = (fetcher.requests, fetcher.bytes_received) if fetcher else (0, 0)
        try:
            data = _frame((call_id, ok, value, *counters))
        except Exception as exc:  # an answer that will not pickle still reaches the crawl
            text = "".join(traceback.format_exception(exc)).rstrip()
            error = FetchProcessError(f"in the fetch process, cannot send {value!r}: {text}")
            data = _frame((call_id, False, error, *counters))
        writer.write(data)

    async def run(call_id: int, op: str, args: tuple[Any, ...]) -> None:
        assert fetcher is not None
        try:
            if op == "fetch":
                url, options = args
                value: Any = await fetcher.fetch(url, **options)
            elif op == "robots_sitemaps":
                value = await fetcher.robots_sitemaps(args[0])
            else:
                raise ValueError(f"unknown request {op!r}")
        except asyncio.CancelledError:
            return  # the crawl asked for it and expects no answer
        except PortalArchiveError as exc:
            answer(call_id, False, exc)
        except Exception as exc:
            # Not ours (a bug, or a test's guard): its class may not exist in the crawl's
            # process, so it travels as text, with the child's traceback.
            text = "".join(traceback.format_exception(exc)).rstrip()
            answer(call_id, False, FetchProcessError(f"in the fetch process: {text}"))
        else:
            answer(call_id, True, value)
        finally:
            tasks.pop(call_id, None)

    try:
        message = await _read_frame(reader)
        _, settings, allowed_hosts, delay_s = message
        async with Fetcher(settings, allowed_hosts=allowed_hosts, delay_s=delay_s) as fetcher:
            while True:
                try:
                    message = await _read_frame(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    break  # the crawl has gone: nothing to fetch for
                op, call_id, *args = message
                if op == "cancel":
                    if (task := tasks.get(call_id)) is not None:
                        task.cancel()
                elif op == "stats":
                    slots = fetcher._slots.values()
                    answer(
                        call_id,
                        True,
                        {
                            "cpu_s": time.process_time(),
                            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                            / 1024,
                            "max_throttle_s": max((s.throttle for s in slots), default=0.0),
                        },
                    )
                elif op == "close":
                    break
                else:
                    tasks[call_id] = asyncio.create_task(run(call_id, op, tuple(args)))
            for task in list(tasks.values()):
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
        if message[0] == "close":
            answer(message[1], True, None)
            await writer.drain()
    finally:
        writer.close()
