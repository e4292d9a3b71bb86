"""Moving the archive in and out: JSONL, CSV, Markdown and WARC exports, and WARC import.

Reads through ``Archive``'s methods and plain SELECTs on ``archive.conn``; writes only through
``save_page``/``save_article``. Files are created under generated names only, never follow a
symlink, and appear whole (written to a temporary name, then renamed). Never prints.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import secrets
import sqlite3
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any, BinaryIO, Final, TextIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from ._version import __version__
from .archive import Archive, StoredArticle
from .errors import ArchiveError, ConfigError, ParseError
from .extract import parse_article, profile_for_url
from .models import Failure, Page
from .profiles import SiteProfile, builtin_profile_ids, load_profile
from .urls import canonicalize_url

__all__ = [
    "CSV_COLUMNS",
    "ImportReport",
    "check_warc",
    "export_csv",
    "export_jsonl",
    "export_markdown",
    "export_warc",
    "import_warc",
    "markdown_filename",
]

#: The columns of ``export_csv``, in order.
CSV_COLUMNS: Final = (
    "id",
    "url",
    "site",
    "title",
    "published",
    "updated",
    "language",
    "encoding",
    "fetched_at",
    "first_seen_at",
    "final_url",
    "status",
    "sha256",
    "body_text",
    "footer",
    "footer_lines",
)
# OWASP "CSV injection": a spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_MAX_NAME_BYTES: Final = 200
_SLUG_CHARS: Final = 60
_UNSAFE_NAME_CHAR: Final = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')
_WINDOWS_RESERVED: Final = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)]
)
# The stored body is already decoded, so these would describe bytes that are not there.
_ENCODING_HEADERS: Final = frozenset(["content-encoding", "transfer-encoding", "content-length"])
_HTML_TYPES: Final = frozenset(["text/html", "application/xhtml+xml"])
_HEADER_NAME: Final = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
_DEFAULT_MAX_BODY: Final = 10 * 1024 * 1024


# -- output files ---------------------------------------------------------------------------


def _file_target(path: Path) -> Path:
    """Check an output file path (not a folder, not a symlink) and create its folder."""
    if path.is_symlink():
        raise ConfigError(f"{path} is a symbolic link; refusing to write through it")
    if path.is_dir():
        raise ConfigError(f"{path} is a folder; give a file name for this format")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the folder {path.parent}: {exc.strerror}") from exc
    return path


def _inside(folder: Path, path: Path) -> Path:
    """``path`` if it lies directly in ``folder`` (after resolving), else ConfigError."""
    if folder.resolve() not in path.resolve().parents:
        raise ConfigError(f"refusing to write {path}: it is outside {folder}")
    return path


@contextlib.contextmanager
def _atomic_file(path: Path, *, durable: bool = True) -> Iterator[BinaryIO]:
    """A new file at ``path`` that appears whole or not at all: written to a fresh temporary
    name in the same folder (O_EXCL|O_NOFOLLOW), then renamed over ``path``. A rename replaces
    a symlink at ``path`` rather than following it. ``durable`` fsyncs before the rename."""
    folder = path.parent
    tmp = _inside(folder, folder / f".portal-archive-{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags, 0o666)
    except OSError as exc:
        raise ConfigError(f"cannot write in {folder}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _text_output(out: Path | TextIO) -> Iterator[TextIO]:
    if not isinstance(out, Path):
        yield out
        return
    with _atomic_file(_file_target(out)) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            yield text
        finally:
            text.detach()  # flushes; leaves closing the file to _atomic_file


# -- JSONL and CSV --------------------------------------------------------------------------


def export_jsonl(archive: Archive, out: Path | TextIO, *, site: str | None = None) -> int:
    """Write every article as one JSON object per line, oldest id first; return the count.

    Each line is ``StoredArticle.to_dict()``: the Article fields plus ``id``, ``fetched_at``,
    ``first_seen_at`` and ``capture``. ``out`` is a file path (written whole, via a temporary
    name) or an open text stream.

    Raises:
        ConfigError: ``out`` is a folder or a symlink, or cannot be written.
        ArchiveError: the archive cannot be read.
    """
    count = 0
    with _text_output(out) as stream:
        for stored in archive.iter_articles(site=site):
            stream.write(json.dumps(stored.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count


def _csv_row(stored: StoredArticle) -> list[str]:
    """One article as CSV cells (``CSV_COLUMNS`` order), formula-looking cells neutralised."""
    data = stored.to_dict()
    capture = data["capture"]
    values: list[Any] = [
        data["id"],
        data["url"],
        data["site"],
        data["title"],
        data["published"],
        data["updated"],
        data["language"],
        data["encoding"],
        data["fetched_at"],
        data["first_seen_at"],
        capture["final_url"],
        capture["status"],
        capture["sha256"],
        data["body_text"],
        json.dumps(data["footer"], ensure_ascii=False),
        json.dumps(data["footer_lines"], ensure_ascii=False),
    ]
    return [_csv_cell(v) for v in values]


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(archive: Archive, out: Path | TextIO, *, site: str | None = None) -> int:
    """Write every article as one CSV row (plain UTF-8, no BOM, RFC 4180 quoting); return the
    count of rows after the header.

    Columns are ``CSV_COLUMNS``; ``footer`` and ``footer_lines`` hold JSON. A cell that starts
    with ``= + - @``, a tab or a carriage return gets a leading ``'`` so that a spreadsheet
    shows it instead of running it as a formula (OWASP CSV injection).

    Raises:
        ConfigError: ``out`` is a folder or a symlink, or cannot be written.
        ArchiveError: the archive cannot be read.
    """
    count = 0
    with _text_output(out) as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for stored in archive.iter_articles(site=site):
            writer.writerow(_csv_row(stored))
            count += 1
    return count


# -- Markdown -------------------------------------------------------------------------------


def _slug(title: str | None) -> str:
    ascii_text = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:_SLUG_CHARS].rstrip("-") or "article"


def _safe_filename(name: str, *, max_bytes: int = _MAX_NAME_BYTES) -> str:
    """One path component, safe on any common file system: separators and control characters
    replaced, no leading dot, no reserved device name, at most ``max_bytes`` UTF-8 bytes (the
    extension kept)."""
    name = _UNSAFE_NAME_CHAR.sub("_", name).strip(" .") or "_"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    suffix = f".{ext}" if dot else ""
    budget = max_bytes - len(suffix.encode("utf-8"))
    stem = stem.encode("utf-8")[: max(budget, 1)].decode("utf-8", "ignore").rstrip(" .") or "_"
    return stem + suffix


def markdown_filename(stored: StoredArticle) -> str:
    """``{published or updated or 'undated'}-{id}-{slug}.md``: a generated name, never a path.

    >>> from portal_archive.models import Article
    >>> a = Article(url="https://x.example/1", title="Hello, World!")
    >>> markdown_filename(StoredArticle(7, a, "", "", 1, "", 200, ""))
    'undated-7-hello-world.md'
    """
    article = stored.article
    when = article.published or article.updated
    day = when.isoformat() if when else "undated"
    return _safe_filename(f"{day}-{stored.id}-{_slug(article.title)}.md")


# YAML 1.2 printable characters (c-printable), minus the YAML 1.1 line breaks and the BOM.
def _yaml_printable(ch: str) -> bool:
    code = ord(ch)
    if code in (0x85, 0x2028, 0x2029, 0xFEFF):
        return False
    return (
        0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code > 0xFFFF
    )


def _yaml_scalar(value: str | None) -> str:
    """A YAML double-quoted scalar (JSON string syntax, which YAML reads the same way)."""
    if value is None:
        return "null"
    text = json.dumps(value, ensure_ascii=False)
    return "".join(ch if _yaml_printable(ch) else f"\\u{ord(ch):04x}" for ch in text)


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() or ch == "\t" else " " for ch in text)


def _markdown_text(stored: StoredArticle) -> str:
    """One article as Markdown: YAML front matter, ``# title``, paragraphs separated by blank
    lines. Every front-matter value is a JSON string, null, or a list/map of JSON strings."""
    article = stored.article
    meta = [
        ("title", article.title),
        ("url", article.url),
        ("site", article.site),
        ("published", article.published.isoformat() if article.published else None),
        ("updated", article.updated.isoformat() if article.updated else None),
        ("language", article.language),
        ("fetched_at", stored.fetched_at),
        ("first_seen_at", stored.first_seen_at),
        ("final_url", stored.final_url),
        ("sha256", stored.sha256),
    ]
    lines = ["---"] + [f"{key}: {_yaml_scalar(value)}" for key, value in meta]
    lines.append("footer:" + ("" if article.footer else " {}"))
    lines += [f"  {_yaml_scalar(k)}: {_yaml_scalar(v)}" for k, v in article.footer.items()]
    lines.append("footer_lines:" + ("" if article.footer_lines else " []"))
    lines += [f"  - {_yaml_scalar(line)}" for line in article.footer_lines]
    lines += ["---", "", f"# {_one_line(article.title or 'Untitled')}", ""]
    for paragraph in article.paragraphs:
        lines += [_one_line(paragraph), ""]
    return "\n".join(lines)


def export_markdown(archive: Archive, folder: Path, *, site: str | None = None) -> list[Path]:
    """Write one ``.md`` file per article into ``folder`` (created if missing); return the
    paths written. Names come from ``markdown_filename`` only, so nothing is written outside
    ``folder``; a file of the same name is replaced (a re-export), a symlink is not.

    Raises:
        ConfigError: ``folder`` is a file, or holds a symlink or a folder where an article's
            file would go (checked before anything is written), or cannot be written.
        ArchiveError: the archive cannot be read.
    """
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder; --format markdown writes one file each")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the folder {folder}: {exc.strerror}") from exc
    planned = []
    for stored in archive.iter_articles(site=site):
        path = folder / markdown_filename(stored)
        if path.is_symlink():
            raise ConfigError(f"{path} is a symbolic link; refusing to write through it")
        if path.is_dir():
            raise ConfigError(f"{path} is a folder; refusing to replace it")
        planned.append((stored, _inside(folder, path)))
    written = []
    for stored, path in planned:
        # No fsync per file: thousands of them would take minutes, and the rename already
        # keeps a reader from seeing half a file.
        with _atomic_file(path, durable=False) as handle:
            handle.write(_markdown_text(stored).encode("utf-8"))
        written.append(path)
    return written


# -- WARC export ----------------------------------------------------------------------------


class _Utf8Headers(StatusAndHeaders):  # type: ignore[misc]  # warcio ships no type hints
    """HTTP headers written as UTF-8 bytes. warcio encodes header blocks as ASCII and its
    fallback (percent-encoding) fails on some values; its reader decodes UTF-8 first, so
    UTF-8 round-trips the values httpx gave us."""

    def to_ascii_bytes(self, filter_func: Any = None) -> bytes:
        return str(self.to_str(filter_func)).encode("utf-8") + b"\r\n"


def _warc_date(value: str | datetime) -> str:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _http_headers(status: int, headers: Iterable[Sequence[str]]) -> StatusAndHeaders:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    kept = [
        (str(name), str(value))
        for name, value in headers
        if _HEADER_NAME.match(str(name))
        and str(name).lower() not in _ENCODING_HEADERS
        and not re.search(r"[\r\n\x00]", str(value))
    ]
    return _Utf8Headers(f"{status} {reason}".strip(), kept, protocol="HTTP/1.1")


def export_warc(archive: Archive, path: Path) -> int:
    """Write every stored page (table ``pages``, oldest first) to a gzipped WARC 1.1 file;
    return the number of ``response`` records.

    The file opens with a ``warcinfo`` record. Each page becomes a ``response`` record with
    its status line, its stored headers (without Content-Encoding, Transfer-Encoding and
    Content-Length: the stored body is already decoded) and its body bytes;
    ``WARC-Target-URI`` is the page's canonical URL and ``WARC-Date`` its fetch time.
    Record lengths and digests are computed by warcio.

    Raises:
        ConfigError: ``path`` is a folder or a symlink, or cannot be written.
        ArchiveError: the archive cannot be read.
    """
    target = _file_target(path)
    count = 0
    with _atomic_file(target) as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        info = {
            "software": f"portal-archive/{__version__}",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
            "warc-format/warc-1.1/",
            "description": "Raw pages of a portal-archive archive; bodies are stored decoded "
            "(no Content-Encoding).",
        }
        writer.write_record(writer.create_warcinfo_record(_one_line(target.name), info))
        for url, status, headers, body, fetched_at in _iter_pages(archive):
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=_http_headers(status, json.loads(headers)),
                warc_headers_dict={"WARC-Date": _warc_date(fetched_at)},
            )
            writer.write_record(record)
            count += 1
    return count


def _iter_pages(archive: Archive) -> Iterator[tuple[str, int, str, bytes, str]]:
    """Stored pages, oldest id first, one at a time (bodies can be large), decompressed.

    Plain SQL on ``archive.conn``: Archive has no page iterator yet.
    """
    try:
        rows = archive.conn.execute(
            "SELECT id, url, status, headers, fetched_at FROM pages ORDER BY id"
        )
        for page_id, url, status, headers, fetched_at in rows:
            yield str(url), int(status), str(headers), archive.page_body(page_id), str(fetched_at)
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot read the stored pages: {exc}", path=archive.path) from exc


# -- WARC import ----------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class ImportReport:
    """What ``import_warc`` did. ``failures`` lists each failed record (or unreadable rest of
    a file) with its URL, kind and message."""

    files: int = 0
    records: int = 0
    responses: int = 0
    html: int = 0
    articles_new: int = 0
    articles_unchanged: int = 0
    articles_changed: int = 0
    articles_failed: int = 0
    #: Captures older than the archived article: kept as raw pages, the article left as is.
    articles_older: int = 0
    listing_pages: int = 0
    skipped_status: int = 0
    skipped_not_html: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 all fine, 1 some records failed."""
        return 1 if self.failures else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "records": self.records,
            "responses": self.responses,
            "html": self.html,
            "articles": {
                "new": self.articles_new,
                "unchanged": self.articles_unchanged,
                "changed": self.articles_changed,
                "failed": self.articles_failed,
                "older": self.articles_older,
            },
            "listing_pages": self.listing_pages,
            "skipped": {"status": self.skipped_status, "not_html": self.skipped_not_html},
            "exit_code": self.exit_code,
            "failures": [
                {"url": f.url, "kind": f.kind, "status": f.status, "message": f.message}
                for f in self.failures
            ],
        }


class _Gunzip:
    """A gzip file read member after member (per-record gzip and single-stream gzip alike),
    handing out everything it could decode before the data ends. ``gzip.GzipFile`` drops a
    whole read's worth when the file is cut short, and warcio's own reader refuses
    single-stream files. ``truncated`` tells afterwards whether the last member was cut."""

    _CHUNK: Final = 64 * 1024

    def __init__(self, raw: IO[bytes]):
        self._raw = raw
        self._decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self._pending = b""  # input not decoded yet
        self._started = False  # the current member has input
        self._buffer = bytearray()
        self._done = False
        self.truncated = False

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            self._fill()
        take = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        out = bytes(self._buffer[:take])
        del self._buffer[:take]
        return out

    def _fill(self) -> None:
        if not self._pending:
            self._pending = self._raw.read(self._CHUNK)
            if not self._pending:
                self._done = True
                self.truncated = self._started and not self._decoder.eof
                return
        self._started = True
        # Bounded output per step: a small, highly compressed input cannot balloon at once.
        self._buffer += self._decoder.decompress(self._pending, self._CHUNK)
        self._pending = self._decoder.unconsumed_tail
        if self._decoder.eof:
            self._pending = self._decoder.unused_data + self._pending
            self._decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
            self._started = False


@contextlib.contextmanager
def _open_warc(path: Path) -> Iterator[IO[bytes] | _Gunzip]:
    if path.is_dir():
        raise ConfigError(f"{path} is a folder, not a WARC file")
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below, after the optional gzip layer
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    with raw:
        yield _Gunzip(raw) if gzipped else raw


def check_warc(path: Path) -> None:
    """Check that ``path`` is a readable WARC file (gzipped or not) by reading its first record.

    Raises:
        ConfigError: the file does not exist or cannot be read.
        ParseError: the file is empty, or not a WARC file (an ARC file counts as not a WARC).
    """
    with _open_warc(path) as stream:
        try:
            first = next(iter(ArchiveIterator(stream)), None)
        except Exception as exc:  # warcio and zlib raise many kinds: any means "not a WARC"
            raise ParseError(f"{path}: not a WARC file ({type(exc).__name__})") from exc
        if first is None:
            raise ParseError(f"{path}: empty file, not a WARC file")
        if first.format != "warc":
            raise ParseError(f"{path}: not a WARC file (no WARC/1.x record header)")


def import_warc(
    archive: Archive, paths: Iterable[Path], *, max_body_bytes: int = _DEFAULT_MAX_BODY
) -> ImportReport:
    """Archive the HTML pages of WARC files; return what was done.

    Every ``response`` record with HTTP status 200 and an HTML Content-Type (or none, and a
    body that starts like HTML) becomes a Page: its canonical ``WARC-Target-URI`` as URL,
    the HTTP headers, the payload with any Content-Encoding (gzip, deflate) undone, and
    ``WARC-Date`` as fetch time. It is extracted with the built-in profile for its URL
    (``extract.profile_for_url``) or the generic rules, and saved with
    ``Archive.save_article``. A listing page of a built-in profile, and a capture older than
    the article already archived for its URL, are kept as raw pages only (an old WARC never
    turns an article back into an older version). A record that cannot be extracted is kept
    as a raw page and counted as failed. A file that ends early or turns unreadable part-way
    is recorded as a failure (after the records before that point are imported) and the next
    file is read. Nothing is imported unless every file passes ``check_warc`` first.

    Raises:
        ConfigError, ParseError: a file is missing, unreadable or not a WARC (``check_warc``).
        ArchiveError: the archive cannot be written (the import stops).
    """
    files = list(paths)
    for path in files:
        check_warc(path)
    listing_profiles = [load_profile(pid) for pid in builtin_profile_ids()]
    report = ImportReport()
    for path in files:
        report.files += 1
        with _open_warc(path) as stream:
            _import_file(archive, path, stream, report, listing_profiles, max_body_bytes)
    return report


# A truncated or corrupt file, seen while reading it (gzip layer, warcio, the OS).
_READ_ERRORS: Final = (OSError, EOFError, zlib.error)


def _import_file(
    archive: Archive,
    path: Path,
    stream: IO[bytes] | _Gunzip,
    report: ImportReport,
    listing_profiles: Sequence[SiteProfile],
    max_body_bytes: int,
) -> None:
    records = iter(ArchiveIterator(stream))
    complete = 0
    record: Any = None
    while True:
        try:
            previous, record = record, next(records, None)
            # warcio reads the unread rest of a record when it moves on, and stops quietly
            # when the data runs out: a record short of its Content-Length is the sign.
            if previous is not None and _missing_bytes(previous):
                raise EOFError(f"record {complete} is cut short")
            if record is None and isinstance(stream, _Gunzip) and stream.truncated:
                raise EOFError("the gzip data ends early")
        except (*_READ_ERRORS, ValueError) as exc:
            _fail_file(report, path, complete, exc)
            return
        except Exception as exc:
            if not type(exc).__module__.startswith("warcio"):
                raise
            # warcio's ArchiveLoadFailed and header parser errors: a broken record.
            _fail_file(report, path, complete, exc)
            return
        if record is None:
            return
        report.records += 1
        try:
            _import_record(archive, record, report, listing_profiles, max_body_bytes)
        except _READ_ERRORS as exc:  # the payload ends early
            _fail_file(report, path, complete, exc)
            return
        complete += 1


def _fail_file(report: ImportReport, path: Path, complete: int, exc: BaseException) -> None:
    message = f"unreadable after {complete} complete records: {type(exc).__name__}: {exc}"
    _fail(report, str(path), "bad_warc", message[:300])


def _fail(
    report: ImportReport, url: str, kind: str, message: str, status: int | None = None
) -> None:
    report.failures.append(Failure(url, kind, " ".join(message.split()), status))


def _import_record(
    archive: Archive,
    record: Any,
    report: ImportReport,
    listing_profiles: Sequence[SiteProfile],
    max_body_bytes: int,
) -> None:
    if record.rec_type != "response" or not record.http_headers:
        return
    report.responses += 1
    http = record.http_headers
    target = record.rec_headers.get_header("WARC-Target-URI") or ""
    try:
        status = int(http.get_statuscode())
    except ValueError:
        status = 0
    if status != 200:
        report.skipped_status += 1
        return
    declared = _media_type(http.get_header("Content-Type"))
    if declared and declared not in _HTML_TYPES:
        report.skipped_not_html += 1
        return
    try:
        url = canonicalize_url(target)
        fetched_at = _parse_warc_date(record.rec_headers.get_header("WARC-Date"))
        body = _read_payload(record, max_body_bytes)
    except (ParseError, ValueError) as exc:
        report.html += 1
        report.articles_failed += 1
        _fail(report, target or "(no WARC-Target-URI)", "bad_record", str(exc), status)
        return
    if not declared and not _looks_like_html(body):
        report.skipped_not_html += 1
        return
    report.html += 1
    headers = tuple(
        (str(k), str(v)) for k, v in http.headers if str(k).lower() not in _ENCODING_HEADERS
    )
    page = Page(
        url=url,
        fetch_url=url,
        final_url=url,
        status=status,
        headers=headers,
        body=body,
        fetched_at=fetched_at,
    )
    if any(p.owns(url) and p.is_listing(url) and not p.is_article(url) for p in listing_profiles):
        archive.save_page(page)
        report.listing_pages += 1
        return
    archived_at = _article_fetched_at(archive, url)
    if archived_at is not None and archived_at > fetched_at:
        archive.save_page(page)
        report.articles_older += 1
        return
    try:
        article = parse_article(page, profile_for_url(url))
    except ParseError as exc:
        archive.save_page(page)
        report.articles_failed += 1
        _fail(report, url, exc.kind, str(exc), status)
        return
    outcome = archive.save_article(page, article, cause="import")
    if outcome == "new":
        report.articles_new += 1
    elif outcome == "changed":
        report.articles_changed += 1
    else:
        report.articles_unchanged += 1


def _article_fetched_at(archive: Archive, url: str) -> datetime | None:
    """When the archived article at ``url`` was fetched (plain SQL: Archive has no lookup by
    exact URL that skips the join)."""
    try:
        row = archive.conn.execute(
            "SELECT fetched_at FROM articles WHERE url = ?", [url]
        ).fetchone()
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot read the articles: {exc}", path=archive.path) from exc
    if row is None:
        return None
    when = datetime.fromisoformat(str(row[0]))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _missing_bytes(record: Any) -> int:
    """Bytes of the record's block that its Content-Length promised but the file lacked (after
    the record was read to its end)."""
    return int(getattr(record.raw_stream, "limit", 0) or 0)


def _media_type(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return True
    return head.startswith((b"<!--", b"<?xml")) and b"<html" in head


def _parse_warc_date(value: str | None) -> datetime:
    if not value:
        raise ParseError("the record has no WARC-Date")
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        try:  # W3C-ISO8601 allows reduced precision (2025-01), which fromisoformat refuses
            when = iso_date_to_datetime(value.strip(), tz_aware=True)
        except Exception as exc:
            raise ParseError(f"bad WARC-Date {value!r}") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _read_payload(record: Any, cap: int) -> bytes:
    """The HTTP payload with chunking and Content-Encoding undone, at most ``cap`` bytes."""
    http = record.http_headers
    stream = record.raw_stream
    if "chunked" in (http.get_header("Transfer-Encoding") or "").lower():
        stream = ChunkedDataReader(stream)
    body = bytes(stream.read(cap + 1))
    if len(body) > cap:
        raise ParseError(f"body larger than {cap} bytes")
    while record.raw_stream.read(65536):  # chunk trailers, if any
        pass
    if missing := _missing_bytes(record):
        raise EOFError(
            f"the record of {record.rec_headers.get_header('WARC-Target-URI')} "
            f"is cut short ({missing} bytes missing)"
        )
    codings = [
        c.strip().lower()
        for c in (http.get_header("Content-Encoding") or "").split(",")
        if c.strip() and c.strip().lower() != "identity"
    ]
    for coding in reversed(codings):
        body = _decode(body, coding, cap)
    return body


def _decode(body: bytes, coding: str, cap: int) -> bytes:
    if coding in ("gzip", "x-gzip"):
        attempts = [zlib.MAX_WBITS | 16]
    elif coding == "deflate":  # zlib-wrapped as the RFC says, or raw as some servers send
        attempts = [zlib.MAX_WBITS, -zlib.MAX_WBITS]
    else:
        raise ParseError(f"unsupported Content-Encoding {coding!r}")
    for wbits in attempts:
        decoder = zlib.decompressobj(wbits)
        try:
            out = decoder.decompress(body, cap + 1)
        except zlib.error:
            continue
        if len(out) > cap:
            raise ParseError(f"body larger than {cap} bytes once {coding} is undone")
        if not decoder.eof:
            raise ParseError(f"truncated {coding} body")
        return out
    # Some crawlers store the body decoded but keep the header: take such a body as it is.
    if _looks_like_html(body):
        return body
    raise ParseError(f"the body is not valid {coding} data")
