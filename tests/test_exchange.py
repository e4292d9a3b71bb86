"""Exports (JSONL, CSV, Markdown, WARC) and WARC import, on real files in tmp_path."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from portal_archive import exchange
from portal_archive.archive import Archive, StoredArticle
from portal_archive.cli import app
from portal_archive.errors import ConfigError, ParseError
from portal_archive.exchange import (
    CSV_COLUMNS,
    check_warc,
    export_csv,
    export_jsonl,
    export_markdown,
    export_warc,
    import_warc,
    markdown_filename,
)
from portal_archive.extract import parse_article, profile_for_url
from portal_archive.models import Article, Page

from .conftest import SITE

WARCIO = Path(sys.executable).parent / "warcio"
T0 = datetime(2025, 1, 6, 8, 30, 15, 123456, tzinfo=UTC)

ZH_URL = "https://www.sc.gov.cn/10462/c102914/2025/1/6/abc.shtml"
ZH_TITLE = "四川省人民政府常务会议"
ZH_PARAGRAPHS = [
    "1月6日，省长主持召开省政府第七十次常务会议，研究部署当前重点工作。",
    "会议指出，要坚持稳中求进工作总基调，扎实做好民生保障和安全生产各项工作。",
    "会议还研究了其他事项。",
]
ZH_HTML = (
    "<!DOCTYPE html><html><head><meta charset=gb2312><title>四川省人民政府常务会议_四川</title>"
    '</head><body><div class="nav"><a href="/">首页</a> <a href="/x">政务公开</a></div>'
    f"<h1>{ZH_TITLE}</h1><div>发布时间：2025-01-06 10:30</div><div class=content>"
    + "".join(f"<p>{p}</p>" for p in ZH_PARAGRAPHS)
    + '</div><div class="footer"><p>主办单位：四川省人民政府办公厅</p>'
    "<p>网站标识码：5100000062 蜀ICP备13001288号</p></div></body></html>"
).encode("gbk")

EN_URL = "https://news.example.org/2024/03/05/roads.html"
EN_TITLE = '=HYPERLINK("http://evil.example","click me")'

SEED_URL = (
    "https://www.sc.gov.cn/10462/10758/10760/10765/2025/1/6/5c1d3f0e8a7b4b2c9e6f1a2b3c4d5e6f.shtml"
)
SEED_FILE = SITE / SEED_URL.removeprefix("https://www.sc.gov.cn/")


def en_html(*paragraphs: str) -> bytes:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Roads</title></head>'
        f'<body><h1>{EN_TITLE}</h1><p class="date">Updated:2024.03.05</p><div id="content">'
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</div><footer><p>Copyright © Example Provincial Government. All Rights Reserved."
        "</p></footer></body></html>"
    ).encode()


def make_page(
    url: str,
    body: bytes,
    *,
    when: datetime = T0,
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html"),),
) -> Page:
    return Page(
        url=url,
        fetch_url=url,
        final_url=url,
        status=200,
        headers=headers,
        body=body,
        fetched_at=when,
    )


def archive_page(archive: Archive, page: Page) -> None:
    archive.save_article(page, parse_article(page, profile_for_url(page.url)))


def build_archive(path: Path) -> Archive:
    """Three articles: Chinese (GBK page), English with a formula title (captured twice, the
    second time changed), and the mirror's seed article (built-in profile)."""
    archive = Archive.open(path)
    archive_page(archive, make_page(ZH_URL, ZH_HTML))
    first = "The provincial government announced new measures for rural roads this spring."
    archive_page(
        archive,
        make_page(
            EN_URL,
            en_html(first),
            when=T0 + timedelta(minutes=1),
            # As the Fetcher stores them: the wire's encoding headers, the body decoded.
            headers=(
                ("content-type", "text/html; charset=utf-8"),
                ("content-encoding", "gzip"),
                ("content-length", "123"),
                ("x-note", "café"),
            ),
        ),
    )
    archive_page(archive, make_page(SEED_URL, SEED_FILE.read_bytes(), when=T0.replace(second=40)))
    second = "-5 degrees was the lowest temperature recorded, officials said on Tuesday."
    archive_page(archive, make_page(EN_URL, en_html(first, second), when=T0 + timedelta(days=1)))
    return archive


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with build_archive(tmp_path / "a.db") as built:
        yield built


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    build_archive(path).close()
    return path


def rows(archive: Archive) -> list[dict[str, Any]]:
    return [stored.to_dict() for stored in archive.iter_articles()]


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


# -- JSONL ----------------------------------------------------------------------------------


def test_export_jsonl_reads_back_to_the_same_rows(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "new" / "articles.jsonl"
    assert export_jsonl(archive, out) == 3
    lines = out.read_text("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == rows(archive)
    assert ZH_TITLE in lines[0]  # not \u-escaped
    stream = io.StringIO()
    assert export_jsonl(archive, stream, site="sichuan-en") == 1
    assert json.loads(stream.getvalue())["url"] == SEED_URL
    assert no_temp_files(out.parent)


def test_export_keeps_the_old_file_when_it_fails_midway(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "articles.jsonl"
    out.write_text("old\n")

    def broken(*args: object, **kwargs: object) -> Iterator[object]:
        yield from list(Archive.iter_articles(archive))[:1]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(archive, "iter_articles", broken)
    with pytest.raises(RuntimeError):
        export_jsonl(archive, out)
    assert out.read_text() == "old\n"
    assert no_temp_files(tmp_path)


def test_export_file_refuses_a_symlink_or_a_folder(archive: Archive, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    link = tmp_path / "link.jsonl"
    link.symlink_to(victim)
    with pytest.raises(ConfigError, match="symbolic link"):
        export_jsonl(archive, link)
    with pytest.raises(ConfigError, match="folder"):
        export_csv(archive, tmp_path)
    assert victim.read_text() == "keep" and link.is_symlink()


# -- CSV ------------------------------------------------------------------------------------


def test_export_csv_rows_text_and_formula_guard(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "articles.csv"
    assert export_csv(archive, out) == 3
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8", newline="") as handle:
        header, *body = list(csv.reader(handle))
    assert tuple(header) == CSV_COLUMNS
    assert len(body) == 3
    by_url = {row[1]: dict(zip(header, row, strict=True)) for row in body}
    zh = by_url[ZH_URL]
    assert zh["title"] == ZH_TITLE and zh["body_text"] == "\n".join(ZH_PARAGRAPHS)
    assert json.loads(zh["footer"])["host"] == "四川省人民政府办公厅"
    assert zh["published"] == "2025-01-06" and zh["updated"] == ""
    en = by_url[EN_URL]
    assert en["title"] == "'" + EN_TITLE
    assert en["body_text"].splitlines()[1].startswith("-5 degrees")  # only cell starts count
    assert json.loads(en["footer_lines"]) == [
        "Copyright © Example Provincial Government. All Rights Reserved."
    ]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        (None, ""),
        (200, "200"),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "cr", "inner", "null", "int"],
)
def test_csv_cell_neutralises_formulas(value: object, cell: str) -> None:
    assert exchange._csv_cell(value) == cell


# -- Markdown -------------------------------------------------------------------------------


def parse_front_matter(text: str) -> tuple[dict[str, Any], list[str]]:
    """A tiny reader for the front matter we write: each value is JSON (a YAML subset)."""
    lines = text.split("\n")
    assert lines[0] == "---"
    end = lines.index("---", 1)
    data: dict[str, Any] = {}
    current = ""
    decoder = json.JSONDecoder()
    for line in lines[1:end]:
        if line.startswith("  - "):
            data[current].append(json.loads(line[4:]))
        elif line.startswith("  "):
            key, at = decoder.raw_decode(line, 2)
            data[current][key] = json.loads(line[at + 2 :])
        else:
            current, _, value = line.partition(":")
            value = value.strip()
            following = lines[lines.index(line) + 1]
            if value:
                data[current] = json.loads(value)
            else:
                data[current] = [] if following.startswith("  - ") else {}
    return data, lines[end + 1 :]


def test_export_markdown_one_file_per_article(archive: Archive, tmp_path: Path) -> None:
    folder = tmp_path / "md"
    written = export_markdown(archive, folder)
    assert sorted(written) == sorted(folder.iterdir()) and len(written) == 3
    stored = {s.article.url: s for s in archive.iter_articles()}
    for path in written:
        meta, body = parse_front_matter(path.read_text("utf-8"))
        one = stored[meta["url"]]
        assert path.name == markdown_filename(one)
        article = one.article
        assert meta["title"] == article.title and meta["sha256"] == one.sha256
        assert meta["fetched_at"] == one.fetched_at and meta["site"] == article.site
        assert meta["footer"] == dict(article.footer)
        assert meta["footer_lines"] == list(article.footer_lines)
        assert body[1] == f"# {article.title}"
        assert [line for line in body[2:] if line] == list(article.paragraphs)
    zh_name = markdown_filename(stored[ZH_URL])
    assert zh_name == f"2025-01-06-{stored[ZH_URL].id}-article.md"
    assert markdown_filename(stored[EN_URL]).startswith("2024-03-05-")
    assert ZH_PARAGRAPHS[1] in (folder / zh_name).read_text("utf-8")
    # A re-export replaces the files in place.
    assert export_markdown(archive, folder) == written and len(list(folder.iterdir())) == 3


def test_markdown_front_matter_is_yaml(archive: Archive, tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    for path in export_markdown(archive, tmp_path / "md"):
        text = path.read_text("utf-8")
        loaded = yaml.safe_load(text.split("---\n")[1])
        assert loaded == parse_front_matter(text)[0]


HOSTILE = [
    "../../etc/x",
    "/abs",
    "a\x00b",
    "長" * 300,
    "CON",
    "..",
    "C:\\Windows\\x",
    "line\nbreak\u2028sep",
    "",
]


def test_export_markdown_hostile_titles_stay_in_the_folder(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "h.db") as hostile:
        for i, title in enumerate(HOSTILE):
            url = f"https://x.example/{i}"
            page = make_page(url, f"<p>{i}</p>".encode())
            hostile.save_article(page, Article(url=url, title=title, paragraphs=(f"p{i}",)))
        folder = tmp_path / "out" / "md"
        written = export_markdown(hostile, folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written)
    assert len(written) == len(HOSTILE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.db", "out"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["md"]
    titles = []
    for path in written:
        assert path.parent == folder and folder.resolve() in path.resolve().parents
        assert len(path.name.encode()) <= 200 and path.name.isprintable()
        assert not path.name.startswith(".") and "/" not in path.name
        meta, body = parse_front_matter(path.read_text("utf-8"))
        titles.append(meta["title"])
        assert body[1].startswith("# ") and body[1].isprintable()
    assert sorted(titles) == sorted(HOSTILE)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        (ZH_TITLE, "article"),
        ("Café déjà vu", "cafe-deja-vu"),
        ("../../etc/passwd", "etc-passwd"),
        ("x" * 100, "x" * 60),
        (None, "article"),
    ],
    ids=["ascii", "chinese", "accents", "traversal", "long", "none"],
)
def test_markdown_filename_slugs(title: str | None, slug: str) -> None:
    stored = StoredArticle(5, Article(url="u", title=title), "", "", 1, "", 200, "")
    assert markdown_filename(stored) == f"undated-5-{slug}.md"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../x.md", "_x.md"),
        ("a\x00b.md", "a_b.md"),
        ("CON.md", "_CON.md"),
        ("lpt1", "_lpt1"),
        ("..", "_"),
        ("長" * 300 + ".md", "長" * 65 + ".md"),
    ],
    ids=["traversal", "nul", "con", "lpt1", "dotdot", "long-utf8"],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert exchange._safe_filename(name) == safe


def test_export_markdown_refuses_a_planted_symlink(archive: Archive, tmp_path: Path) -> None:
    folder = tmp_path / "md"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    first = next(archive.iter_articles())
    (folder / markdown_filename(first)).symlink_to(victim)
    with pytest.raises(ConfigError, match="symbolic link"):
        export_markdown(archive, folder)
    assert victim.read_text() == "keep"
    assert [p.name for p in folder.iterdir()] == [markdown_filename(first)]  # nothing written
    (folder / "file").write_text("")
    with pytest.raises(ConfigError, match="not a folder"):
        export_markdown(archive, folder / "file")


# -- WARC export and import -----------------------------------------------------------------


def warc_records(path: Path) -> list[tuple[str, Any, Any, bytes]]:
    with path.open("rb") as handle:
        return [
            (r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read())
            for r in ArchiveIterator(handle)
        ]


def article_view(archive: Archive) -> list[dict[str, Any]]:
    """Articles as stored, without the capture's page id and final URL: a WARC names only
    the canonical URL (a crawl from a mirror has the mirror's as final URL)."""
    out = []
    for row in rows(archive):
        capture = row.pop("capture")
        out.append({**row, "sha256": capture["sha256"], "status": capture["status"]})
    return out


def page_hashes(archive: Archive) -> list[tuple[str, str, str]]:
    sql = "SELECT url, sha256, fetched_at FROM pages ORDER BY id"
    return [tuple(r) for r in archive.conn.execute(sql)]


def test_export_warc_passes_warcio_check_and_imports_to_the_same_articles(
    archive: Archive, tmp_path: Path
) -> None:
    path = tmp_path / "out" / "archive.warc.gz"
    assert export_warc(archive, path) == 4
    check = subprocess.run([str(WARCIO), "check", "-v", str(path)], capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(b"digest pass") == 5
    records = warc_records(path)
    assert [r[0] for r in records] == ["warcinfo"] + ["response"] * 4
    _, warc_headers, http, body = records[2]
    assert warc_headers["WARC-Target-URI"] == EN_URL
    assert warc_headers["WARC-Date"] == "2025-01-06T08:31:15.123456Z"
    assert http.statusline == "200 OK" and http["Content-Type"] == "text/html; charset=utf-8"
    assert http["Content-Encoding"] is None and http["Content-Length"] is None
    assert http["x-note"] == "café"
    assert body == archive.page_body(2)

    with Archive.open(tmp_path / "new.db") as fresh:
        report = import_warc(fresh, [path])
        assert (report.records, report.responses, report.html) == (5, 4, 4)
        assert (report.articles_new, report.articles_changed, report.articles_failed) == (3, 1, 0)
        assert report.failures == [] and report.exit_code == 0
        assert article_view(fresh) == article_view(archive)
        assert page_hashes(fresh) == page_hashes(archive)
        zh = fresh.get_article(ZH_URL)
        assert zh is not None and zh.article.title == ZH_TITLE
        assert list(zh.article.paragraphs) == ZH_PARAGRAPHS and zh.article.encoding == "gb18030"
        again = import_warc(fresh, [path])
        assert (again.articles_new, again.articles_unchanged, again.articles_changed) == (0, 3, 0)
        assert again.articles_older == 1  # the first English capture: kept raw, not restored
        assert article_view(fresh) == article_view(archive)


def test_warc_round_trip_of_a_crawled_mirror(tmp_path: Path, mirror_url: str) -> None:
    crawled, fresh_db, path = tmp_path / "c.db", tmp_path / "f.db", tmp_path / "c.warc.gz"
    args = ["crawl", "sichuan-en", "--db", str(crawled), "--base-url", mirror_url]
    result = CliRunner().invoke(app, [*args, "--allow-private-networks", "--delay", "0"])
    assert result.exit_code == 0, result.output
    with Archive.open(crawled, readonly=True) as original, Archive.open(fresh_db) as fresh:
        export_warc(original, path)
        report = import_warc(fresh, [path])
        assert (report.articles_new, report.listing_pages, report.articles_failed) == (28, 8, 0)
        assert article_view(fresh) == article_view(original)
        assert page_hashes(fresh) == page_hashes(original)


def write_warc(path: Path, records: list[dict[str, Any]], *, gzipped: bool = True) -> None:
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=gzipped, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for spec in records:
            http = StatusAndHeaders(spec["status"], spec["headers"], protocol="HTTP/1.1")
            body = spec["body"]
            record = writer.create_warc_record(
                spec["url"],
                spec.get("type", "response"),
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": spec.get("date", "2024-05-01T12:00:00Z")},
            )
            writer.write_record(record)


GOOD = en_html("A paragraph long enough to be the body of the article, in plain English.")
EMPTY = b"<html><head><title>Nothing here</title></head><body><div></div></body></html>"


def test_import_warc_hand_built_counts_and_keeps_the_bad_page(tmp_path: Path) -> None:
    path = tmp_path / "mixed.warc.gz"
    html = [("Content-Type", "text/html; charset=utf-8")]
    write_warc(
        path,
        [
            {
                "url": "https://Good.Example/a?utm_source=x#top",
                "status": "200 OK",
                "headers": [*html, ("Content-Encoding", "gzip")],
                "body": gzip.compress(GOOD),
                "date": "2024-05-01T12:00:00Z",
            },
            {
                "url": "https://good.example/a",
                "status": "200 OK",
                "headers": [],
                "body": b"",
                "type": "request",
            },
            {
                "url": "https://good.example/missing",
                "status": "404 Not Found",
                "headers": html,
                "body": GOOD,
            },
            {
                "url": "https://good.example/logo.png",
                "status": "200 OK",
                "headers": [("Content-Type", "image/png")],
                "body": b"\x89PNG\r\n\x1a\n" + bytes(100),
            },
            {
                "url": "https://good.example/empty",
                "status": "200 OK",
                "headers": html,
                "body": EMPTY,
            },
            {
                "url": "https://good.example/undeclared",
                "status": "200 OK",
                "headers": [],
                "body": b"\n<!DOCTYPE html>" + GOOD.split(b">", 1)[1],
            },
            {
                "url": "https://good.example/blob",
                "status": "200 OK",
                "headers": [],
                "body": b"PK\x03\x04" + bytes(50),
            },
        ],
    )
    with Archive.open(tmp_path / "a.db") as archive:
        report = import_warc(archive, [path])
        assert report.to_dict() | {"failures": []} == {
            "files": 1,
            "records": 8,
            "responses": 6,
            "html": 3,
            "articles": {"new": 2, "unchanged": 0, "changed": 0, "failed": 1, "older": 0},
            "listing_pages": 0,
            "skipped": {"status": 1, "not_html": 2},
            "exit_code": 1,
            "failures": [],
        }
        [failure] = report.failures
        assert failure.url == "https://good.example/empty" and failure.kind == "parse_error"
        assert "no article text" in failure.message
        good = archive.get_article("https://good.example/a")
        assert good is not None and good.article.title == EN_TITLE
        assert good.fetched_at == "2024-05-01T12:00:00+00:00"
        assert good.sha256 == hashlib.sha256(GOOD).hexdigest()
        stored = dict(archive.conn.execute("SELECT url, headers FROM pages").fetchall())
        assert set(stored) == {
            "https://good.example/a",
            "https://good.example/empty",
            "https://good.example/undeclared",
        }
        assert "content-encoding" not in stored["https://good.example/a"].lower()
        assert archive.counts()["articles"] == 2


def _chunked(data: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (data[:50], data[50:])) + (
        b"0\r\n\r\n"
    )


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ([], GOOD),
        ([("Content-Encoding", "gzip")], gzip.compress(GOOD)),
        ([("Content-Encoding", "x-gzip")], gzip.compress(GOOD)),
        ([("Content-Encoding", "deflate")], zlib.compress(GOOD)),
        ([("Content-Encoding", "deflate")], _raw_deflate(GOOD)),
        ([("Content-Encoding", "identity")], GOOD),
        ([("Content-Encoding", "gzip")], GOOD),  # header kept, body stored decoded
        (
            [("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")],
            _chunked(gzip.compress(GOOD)),
        ),
    ],
    ids=["plain", "gzip", "x-gzip", "deflate", "raw-deflate", "identity", "decoded", "chunked"],
)
def test_import_warc_undoes_content_encoding(
    tmp_path: Path, headers: list[tuple[str, str]], body: bytes
) -> None:
    path = tmp_path / "one.warc"
    headers = [("Content-Type", "text/html"), *headers]
    write_warc(path, [{"url": EN_URL, "status": "200 OK", "headers": headers, "body": body}])
    with Archive.open(tmp_path / "a.db") as archive:
        report = import_warc(archive, [path])
        assert report.articles_new == 1, report.failures
        stored = archive.get_article(EN_URL)
        assert stored is not None and archive.page_body(stored.page_id) == GOOD


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        ([("Content-Encoding", "br")], b"\x0b\x02\x80hi\x03", "unsupported Content-Encoding"),
        ([("Content-Encoding", "gzip")], gzip.compress(GOOD)[:-30], "truncated gzip"),
        ([("Content-Encoding", "gzip")], b"\x1f\x8bnot gzip at all", "not valid gzip"),
        ([], GOOD * 30, "larger than"),
    ],
    ids=["brotli", "truncated", "garbage", "too-large"],
)
def test_import_warc_bad_payload_fails_the_record_only(
    tmp_path: Path, headers: list[tuple[str, str]], body: bytes, message: str
) -> None:
    path = tmp_path / "bad.warc.gz"
    html = [("Content-Type", "text/html")]
    write_warc(
        path,
        [
            {"url": EN_URL + "?bad", "status": "200 OK", "headers": html + headers, "body": body},
            {"url": EN_URL, "status": "200 OK", "headers": html, "body": GOOD},
        ],
    )
    with Archive.open(tmp_path / "a.db") as archive:
        report = import_warc(archive, [path], max_body_bytes=len(GOOD) * 2)
        assert (report.articles_new, report.articles_failed) == (1, 1)
        assert report.failures[0].kind == "bad_record" and message in report.failures[0].message


@pytest.mark.parametrize("gzipped", [True, False], ids=["gzip", "plain"])
@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.67, 0.9, 0.99])
def test_import_warc_truncated_file_is_a_failure_not_a_crash(
    archive: Archive, tmp_path: Path, fraction: float, gzipped: bool
) -> None:
    full = tmp_path / "full.warc.gz"
    export_warc(archive, full)
    data = full.read_bytes() if gzipped else gzip.decompress(full.read_bytes())
    cut = tmp_path / "cut.warc"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with Archive.open(tmp_path / "new.db") as fresh:
        report = import_warc(fresh, [cut])
        assert report.exit_code == 1 and report.articles_new <= 3
        assert [f.kind for f in report.failures] == ["bad_warc"]
        assert report.failures[0].url == str(cut)
        # Whatever was imported is whole: no page holds a cut-short body.
        assert set(page_hashes(fresh)) <= set(page_hashes(archive))


def test_import_warc_garbage_after_a_good_record(tmp_path: Path) -> None:
    path = tmp_path / "garbage.warc"
    html = [("Content-Type", "text/html")]
    write_warc(
        path, [{"url": EN_URL, "status": "200 OK", "headers": html, "body": GOOD}], gzipped=False
    )
    with path.open("ab") as handle:
        handle.write(b"NOT A WARC RECORD\r\nFoo: bar\r\n\r\nrest of it\r\n")
    with Archive.open(tmp_path / "a.db") as archive:
        report = import_warc(archive, [path])
    assert (report.records, report.articles_new) == (2, 1)
    assert [f.kind for f in report.failures] == ["bad_warc"]
    assert "after 2 complete records" in report.failures[0].message


def test_import_warc_reads_single_stream_gzip(archive: Archive, tmp_path: Path) -> None:
    plain = tmp_path / "plain.warc"
    with plain.open("wb") as handle:
        writer = WARCWriter(handle, gzip=False, warc_version="1.1")
        body = GOOD
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        for url in (EN_URL, EN_URL + "?2"):
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http
                )
            )
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))  # one gzip member for all records
    with Archive.open(tmp_path / "new.db") as fresh:
        assert import_warc(fresh, [plain]).articles_new == 2
        assert import_warc(fresh, [whole]).articles_unchanged == 2


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"hello this is a text file\nmore\n", ParseError, "not a WARC file"),
        (b"", ParseError, "empty file"),
        (gzip.compress(b"<html>not a warc</html>"), ParseError, "not a WARC file"),
        (b"\x1f\x8b\x08garbage", ParseError, "not a WARC file"),
        (None, ConfigError, "no such file"),
    ],
    ids=["text", "empty", "gzipped-html", "bad-gzip", "missing"],
)
def test_check_warc_rejects(
    tmp_path: Path, content: bytes | None, error: type[Exception], message: str
) -> None:
    path = tmp_path / "input.warc"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(error, match=message):
        check_warc(path)
    with Archive.open(tmp_path / "a.db") as archive:
        with pytest.raises(error, match=message):
            import_warc(archive, [path])
        assert archive.counts()["pages"] == 0


def test_check_warc_rejects_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="folder"):
        check_warc(tmp_path)


# -- CLI ------------------------------------------------------------------------------------


def invoke(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "markdown", "warc"])
def test_cli_export_each_format(db: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    result = invoke("export", "--format", fmt, "-o", str(out), "--db", str(db))
    assert result.exit_code == 0, result.output
    noun = "pages" if fmt == "warc" else "articles"
    assert result.stderr.strip() == f"{4 if fmt == 'warc' else 3} {noun} written to {out}"
    assert (len(list(out.iterdir())) == 3) if fmt == "markdown" else out.stat().st_size > 100


def test_cli_export_to_stdout_and_usage_errors(db: Path, tmp_path: Path) -> None:
    lines = invoke("export", "--format", "csv", "--db", str(db)).stdout.splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS) and len(lines) > 4
    assert invoke("export", "--format", "nope", "--db", str(db)).exit_code == 2
    for fmt in ("markdown", "warc"):
        result = invoke("export", "--format", fmt, "--db", str(db))
        assert result.exit_code == 2 and "needs -o" in result.stderr
    site = invoke("export", "--format", "warc", "-o", str(tmp_path / "x"), "--site", "s")
    assert site.exit_code == 2
    folder = tmp_path / "md"
    folder.mkdir()
    (folder / "planted.md").symlink_to(tmp_path / "victim")
    with Archive.open(db, readonly=True) as archive:
        first = next(archive.iter_articles())
    (folder / markdown_filename(first)).symlink_to(tmp_path / "victim")
    result = invoke("export", "--format", "markdown", "-o", str(folder), "--db", str(db))
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert not (tmp_path / "victim").exists()


def test_cli_help_has_examples() -> None:
    for command in ("export", "import-warc"):
        result = invoke(command, "--help")
        assert result.exit_code == 0 and "Example: portal-archive " + command in result.stdout


def test_cli_import_warc_of_a_text_file_is_a_usage_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello this is a text file\nmore\n")
    db = tmp_path / "new.db"
    result = invoke("import-warc", str(text), "--db", str(db))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "not a WARC" in result.stderr and "Traceback" not in result.output
    assert not db.exists()


def test_cli_import_warc_summary(db: Path, tmp_path: Path) -> None:
    warc = tmp_path / "a.warc.gz"
    assert invoke("export", "--format", "warc", "-o", str(warc), "--db", str(db)).exit_code == 0
    target = tmp_path / "imported.db"
    result = invoke("import-warc", str(warc), "--db", str(target))
    assert result.exit_code == 0, result.output
    assert "5 records in 1 files, 4 responses, 4 HTML pages: 3 new, 1 changed" in result.stdout
    assert result.stderr == ""
    as_json = json.loads(invoke("import-warc", str(warc), "--db", str(target), "--json").stdout)
    assert as_json["articles"] == {
        "new": 0,
        "unchanged": 3,
        "changed": 0,
        "failed": 0,
        "older": 1,
    }


def test_cli_import_warc_with_a_failed_record_exits_1(tmp_path: Path) -> None:
    warc = tmp_path / "bad.warc"
    html = [("Content-Type", "text/html")]
    write_warc(
        warc,
        [
            {"url": EN_URL, "status": "200 OK", "headers": html, "body": GOOD},
            {"url": EN_URL + "?e", "status": "200 OK", "headers": html, "body": EMPTY},
        ],
        gzipped=False,
    )
    result = invoke("import-warc", str(warc), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 1
    assert result.stdout == "" and "1 new" in result.stderr
    assert "failed [parse_error]" in result.stderr and "no article text" in result.stderr


def test_exchange_leaves_no_stray_files(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "x"
    out.mkdir()
    export_jsonl(archive, out / "a.jsonl")
    export_csv(archive, out / "a.csv")
    export_warc(archive, out / "a.warc.gz")
    assert sorted(os.listdir(out)) == ["a.csv", "a.jsonl", "a.warc.gz"]
