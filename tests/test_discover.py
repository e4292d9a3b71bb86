"""Discovery documents → URLs: robots.txt, sitemaps, feeds, URL lists; and what is refused.

Every fixture is built here; nothing leaves the machine. The hostile cases (gzip bombs,
billion laughs, XXE, external DTDs) check the refusal and its cost: time, traced memory, no
file opened and no connection made.
"""

from __future__ import annotations

import gzip
import socket
import sys
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from portal_archive.discover import (
    DiscoveryError,
    FeedEntry,
    RejectedLine,
    Sitemap,
    SitemapEntry,
    parse_feed,
    parse_sitemap,
    read_url_list,
    sitemap_urls_from_robots,
)
from portal_archive.errors import PortalArchiveError

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
CST = timezone(timedelta(hours=8))
MiB = 1024 * 1024


def urlset(*entries: str, ns: str = NS) -> bytes:
    xmlns = f' xmlns="{ns}"' if ns else ""
    body = "".join(f"<url>{e}</url>" for e in entries)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset{xmlns}>{body}</urlset>'.encode()


def loc(url: str, lastmod: str | None = None) -> str:
    return f"<loc>{url}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")


# -- robots.txt ------------------------------------------------------------------------------

ROBOTS = """\ufeffUser-agent: *
Disallow: /admin/
Crawl-delay: 5
sitemap: https://www.sc.gov.cn/sitemap.xml
SITEMAP : https://www.sc.gov.cn/10462/sitemap_en.xml.gz   # English site
Sitemap: /relative-sitemap.xml
Sitemap: ftp://www.sc.gov.cn/sitemap.xml
Sitemap:
Sitemap: HTTPS://WWW.SC.GOV.CN:443/sitemap.xml#again
this line is junk
<html><body>junk</body></html>
"""


def test_robots_sitemap_lines() -> None:
    assert sitemap_urls_from_robots(ROBOTS) == [
        "https://www.sc.gov.cn/sitemap.xml",
        "https://www.sc.gov.cn/10462/sitemap_en.xml.gz",
    ]


@pytest.mark.parametrize(
    "robots",
    ["", "User-agent: *\nDisallow: /\n", "Sitemap: javascript:alert(1)", "Sitemaps: https://a/"],
    ids=["empty", "no-sitemap", "javascript", "wrong-key"],
)
def test_robots_without_sitemaps(robots: str) -> None:
    assert sitemap_urls_from_robots(robots) == []


# -- URL lists -------------------------------------------------------------------------------

A = "https://www.sc.gov.cn/10462/10758/10760/10765/2025/1/6/5c1d3f0e.shtml"


@pytest.mark.parametrize(
    ("text", "urls", "rejected"),
    [
        pytest.param(
            f"# articles to re-fetch\n\n  {A}  \n\t\nhttp://www.sc.gov.cn/a.shtml # note\n",
            [A, "http://www.sc.gov.cn/a.shtml"],
            [],
            id="comments-blanks-whitespace",
        ),
        pytest.param(
            f"{A}\n{A}#top\n{A}?utm_source=wechat&utm_medium=x\nHTTPS://WWW.SC.GOV.CN:443{A[21:]}\n",
            [A],
            [(2, "duplicate of line 1"), (3, "duplicate of line 1"), (4, "duplicate of line 1")],
            id="duplicates-by-fragment-utm-case-port",
        ),
        pytest.param(
            "/10462/10758/index.shtml\nwww.sc.gov.cn/a.shtml\njavascript:void(0)\n"
            "mailto:a@sc.gov.cn\nftp://sc.gov.cn/f\nhttp://\nhttps://sc.gov.cn:99999/\n"
            "https://sc.gov.cn/a b\n",
            [],
            [
                (1, "not an absolute URL"),
                (2, "not an absolute URL"),
                (3, "scheme 'javascript' is not http or https"),
                (4, "scheme 'mailto' is not http or https"),
                (5, "scheme 'ftp' is not http or https"),
                (6, "no host"),
                (7, "malformed URL"),
                (8, "contains whitespace"),
            ],
            id="relative-and-foreign-schemes",
        ),
        pytest.param(f"\ufeff{A}\r\n", [A], [], id="bom-crlf"),
        pytest.param("", [], [], id="empty"),
    ],
)
def test_read_url_list(text: str, urls: list[str], rejected: list[tuple[int, str]]) -> None:
    result = read_url_list(text)
    assert list(result.urls) == urls
    got = [(r.line, r.reason) for r in result.rejected]
    assert len(got) == len(rejected), got
    for (line, reason), (want_line, want) in zip(got, rejected, strict=True):
        assert (line, reason[: len(want)]) == (want_line, want)
    assert all(isinstance(r, RejectedLine) and r.text for r in result.rejected)


# -- sitemaps --------------------------------------------------------------------------------

INDEX = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="{NS}">
  <sitemap>
    <loc>https://www.sc.gov.cn/sitemap/articles-2025.xml.gz</loc>
    <lastmod>2025-01-06T10:49:00+08:00</lastmod>
  </sitemap>
  <sitemap><loc> https://www.sc.gov.cn/sitemap/articles-2024.xml </loc>
    <lastmod>2024-12-31</lastmod></sitemap>
  <sitemap><loc>https://www.sc.gov.cn/sitemap/columns.xml?page=2&amp;utm_source=x</loc></sitemap>
</sitemapindex>
""".encode()


def test_sitemap_index_of_three() -> None:
    assert parse_sitemap(INDEX) == Sitemap(
        "sitemapindex",
        (
            SitemapEntry(
                "https://www.sc.gov.cn/sitemap/articles-2025.xml.gz",
                datetime(2025, 1, 6, 10, 49, tzinfo=CST),
            ),
            SitemapEntry("https://www.sc.gov.cn/sitemap/articles-2024.xml", date(2024, 12, 31)),
            SitemapEntry("https://www.sc.gov.cn/sitemap/columns.xml?page=2", None),
        ),
        truncated=False,
    )


@pytest.mark.parametrize(
    ("lastmod", "expected"),
    [
        pytest.param("2025-01-06", date(2025, 1, 6), id="day"),
        pytest.param(
            "2025-01-06T10:49:00+08:00", datetime(2025, 1, 6, 10, 49, tzinfo=CST), id="s-offset"
        ),
        pytest.param("2025-01-06T02:49Z", datetime(2025, 1, 6, 2, 49, tzinfo=UTC), id="min-Z"),
        pytest.param(
            "2025-01-06T10:49+0800", datetime(2025, 1, 6, 10, 49, tzinfo=CST), id="offset-no-colon"
        ),
        pytest.param(
            "2025-01-06T02:49:00.25Z",
            datetime(2025, 1, 6, 2, 49, 0, 250000, tzinfo=UTC),
            id="fraction",
        ),
        pytest.param(
            "2025-01-05T21:49:00-05:00",
            datetime(2025, 1, 5, 21, 49, tzinfo=timezone(timedelta(hours=-5))),
            id="negative-offset",
        ),
        pytest.param("2025-01-06 10:49:00", date(2025, 1, 6), id="no-zone-gives-day"),
        pytest.param("  2025-01-06\n", date(2025, 1, 6), id="whitespace"),
        pytest.param("2025-01", None, id="year-month"),
        pytest.param("2025", None, id="year"),
        pytest.param("2025-02-30", None, id="invalid-day"),
        pytest.param("2025-01-06T25:00Z", None, id="invalid-hour"),
        pytest.param("20250106", None, id="basic-format"),
        pytest.param("yesterday", None, id="junk"),
    ],
)
def test_lastmod_forms(lastmod: str, expected: datetime | date | None) -> None:
    [entry] = parse_sitemap(urlset(loc("https://www.sc.gov.cn/a.shtml", lastmod))).urls
    assert entry.lastmod == expected
    assert type(entry.lastmod) is type(expected)


def test_lastmod_forms_name_one_instant() -> None:
    a, b = parse_sitemap(
        urlset(
            loc("https://www.sc.gov.cn/a.shtml", "2025-01-06T10:49:00+08:00"),
            loc("https://www.sc.gov.cn/b.shtml", "2025-01-06T02:49Z"),
        )
    ).urls
    assert a.lastmod == b.lastmod


PAGES = urlset(
    loc("https://www.sc.gov.cn/10462/10758/10760/10765/2025/1/6/5c1d3f0e.shtml", "2025-01-06"),
    loc("https://www.sc.gov.cn/10462/10758/10760/10765/2024/12/28/10441831.shtml"),
    loc("https://www.sc.gov.cn/10462/10758/10760/10765/2024/12/28/10441831.shtml#dup"),
    loc("/relative/is/not/allowed.shtml"),
    loc("javascript:alert(1)"),
    "<lastmod>2025-01-06</lastmod>",  # no loc
)
PAGES_EXPECTED = Sitemap(
    "urlset",
    (
        SitemapEntry(
            "https://www.sc.gov.cn/10462/10758/10760/10765/2025/1/6/5c1d3f0e.shtml",
            date(2025, 1, 6),
        ),
        SitemapEntry("https://www.sc.gov.cn/10462/10758/10760/10765/2024/12/28/10441831.shtml"),
    ),
)


def _gzip_members(data: bytes) -> bytes:
    half = len(data) // 2
    return gzip.compress(data[:half]) + gzip.compress(data[half:]) + b"\0" * 16


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda d: d, id="plain"),
        pytest.param(gzip.compress, id="gzip"),
        pytest.param(lambda d: gzip.compress(d, compresslevel=1, mtime=0), id="gzip-level1"),
        pytest.param(_gzip_members, id="gzip-two-members-and-padding"),
        pytest.param(lambda d: b"\xef\xbb\xbf\n\n  " + d, id="bom-and-leading-blank-lines"),
        pytest.param(lambda d: d.replace(f' xmlns="{NS}"'.encode(), b""), id="no-namespace"),
        pytest.param(lambda d: d.decode().replace("UTF-8", "UTF-16").encode("utf-16"), id="utf-16"),
    ],
)
def test_urlset_encodings(encode: Callable[[bytes], bytes]) -> None:
    assert parse_sitemap(encode(PAGES)) == PAGES_EXPECTED


def test_urlset_ignores_other_namespaces() -> None:
    data = (
        f'<urlset xmlns="{NS}" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">'
        "<url><loc>https://www.sc.gov.cn/a.shtml</loc><image:image><image:loc>"
        "https://www.sc.gov.cn/a.jpg</image:loc></image:image></url></urlset>"
    ).encode()
    assert [e.loc for e in parse_sitemap(data).urls] == ["https://www.sc.gov.cn/a.shtml"]


def test_text_sitemap() -> None:
    text = "https://www.sc.gov.cn/a.shtml\r\n\r\n  https://www.sc.gov.cn/b.shtml  \nnot a url\n"
    assert parse_sitemap(gzip.compress(text.encode())) == Sitemap(
        "urlset",
        (
            SitemapEntry("https://www.sc.gov.cn/a.shtml"),
            SitemapEntry("https://www.sc.gov.cn/b.shtml"),
        ),
    )


@pytest.mark.parametrize(
    ("make", "max_urls", "kept"),
    [
        pytest.param(
            lambda n: urlset(*(loc(f"https://www.sc.gov.cn/a/{i}.shtml") for i in range(n))),
            50_000,
            50_000,
            id="xml-60000",
        ),
        pytest.param(
            lambda n: gzip.compress(
                "\n".join(f"https://www.sc.gov.cn/a/{i}.shtml" for i in range(n)).encode()
            ),
            50_000,
            50_000,
            id="text-gzip-60000",
        ),
        pytest.param(
            lambda n: urlset(*(loc(f"https://www.sc.gov.cn/a/{i}.shtml") for i in range(n))),
            10,
            10,
            id="xml-cap-10",
        ),
    ],
)
def test_sitemap_url_cap(make: Callable[[int], bytes], max_urls: int, kept: int) -> None:
    sitemap = parse_sitemap(make(60_000), max_urls=max_urls)
    assert sitemap.truncated
    assert len(sitemap.urls) == kept
    assert sitemap.urls[0].loc == "https://www.sc.gov.cn/a/0.shtml"
    assert sitemap.urls[-1].loc == f"https://www.sc.gov.cn/a/{kept - 1}.shtml"


def test_sitemap_at_the_cap_is_not_truncated() -> None:
    sitemap = parse_sitemap(
        urlset(*(loc(f"https://www.sc.gov.cn/a/{i}.shtml") for i in range(10))), max_urls=10
    )
    assert len(sitemap.urls) == 10
    assert not sitemap.truncated


# -- size caps and gzip bombs ----------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """200 MiB of spaces, gzipped as one stream (about 0.9 MB)."""
    deflate = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * MiB
    return b"".join(deflate.compress(block) for _ in range(200)) + deflate.flush()


@pytest.mark.parametrize(
    ("parse", "prefix"),
    [
        pytest.param(parse_sitemap, b"", id="sitemap-spaces"),
        pytest.param(parse_sitemap, f'<urlset xmlns="{NS}">'.encode(), id="sitemap-in-urlset"),
        pytest.param(parse_sitemap, b"https://www.sc.gov.cn/a.shtml\n", id="sitemap-text"),
        pytest.param(parse_feed, b"", id="feed-spaces"),
        pytest.param(parse_feed, b"<rss><channel><item><title>", id="feed-in-title"),
    ],
)
def test_gzip_bomb_is_refused_cheaply(
    bomb: bytes, parse: Callable[..., object], prefix: bytes
) -> None:
    data = (gzip.compress(prefix) if prefix else b"") + bomb
    assert zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(bomb[:4096])  # a real stream
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(DiscoveryError, match="inflates past the 1048576-byte cap"):
            parse(data, max_bytes=MiB)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 8 * MiB


@pytest.mark.parametrize("parse", [parse_sitemap, parse_feed], ids=["sitemap", "feed"])
def test_plain_document_over_the_cap(parse: Callable[..., object]) -> None:
    with pytest.raises(DiscoveryError, match="over the 1024-byte cap"):
        parse(b"<rss>" + b" " * 1024 + b"</rss>", max_bytes=1024)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(gzip.compress(PAGES)[:-20], "truncated gzip", id="truncated"),
        pytest.param(gzip.compress(PAGES)[:12] + b"\xff" * 40, "corrupt gzip", id="corrupt"),
        pytest.param(b"\x1f\x8b", "truncated gzip", id="magic-only"),
    ],
)
def test_bad_gzip(data: bytes, message: str) -> None:
    with pytest.raises(DiscoveryError, match=message):
        parse_sitemap(data)


# -- hostile XML -----------------------------------------------------------------------------

_opened: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _opened is not None and event in ("open", "urllib.Request", "socket.connect"):
        _opened.append(f"{event} {args[0]!r}")


@pytest.fixture
def audit() -> Iterator[list[str]]:
    """Every file opened, URL requested and socket connected while the test runs."""
    global _opened
    if not getattr(sys, "_portal_archive_discover_audit", False):
        sys.addaudithook(_audit)  # hooks cannot be removed; this one is idle outside tests
        sys._portal_archive_discover_audit = True  # type: ignore[attr-defined]
    _opened = []
    try:
        yield _opened
    finally:
        _opened = None


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, str]]:
    """A loopback socket that would see any DTD or entity fetch: (socket, base URL)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    try:
        yield server, f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()


LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
HOSTILE = {
    "billion-laughs": '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY lol0 "lol">'
    + LAUGHS
    + f']><urlset xmlns="{NS}"><url><loc>&lol9;</loc></url></urlset>',
    "quadratic-blowup": f'<!DOCTYPE urlset [<!ENTITY a "{"x" * 50_000}">]><urlset><url><loc>'
    + "&a;" * 50_000
    + "</loc></url></urlset>",
    "xxe-etc-passwd": '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM '
    '"file:///etc/passwd">]><urlset><url><loc>https://a.test/&x;</loc></url></urlset>',
    "xxe-secret-file": '<!DOCTYPE urlset [<!ENTITY x SYSTEM "{secret}">]>'
    "<urlset><url><loc>https://a.test/&x;</loc></url></urlset>",
    "xxe-parameter-entity": '<!DOCTYPE urlset [<!ENTITY % p SYSTEM "{server}/p.dtd"> %p;]>'
    "<urlset/>",
    "xxe-http-entity": '<!DOCTYPE urlset [<!ENTITY x SYSTEM "{server}/x">]>'
    "<urlset><url><loc>https://a.test/&x;</loc></url></urlset>",
    "external-dtd": '<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "{server}/evil.dtd">'
    f'<urlset xmlns="{NS}"><url><loc>https://a.test/</loc></url></urlset>',
    "external-dtd-public": '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
    ' "{server}/rss-0.91.dtd"><rss/>',
}


@pytest.mark.parametrize("parse", [parse_sitemap, parse_feed], ids=["sitemap", "feed"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_xml_is_refused(
    name: str,
    parse: Callable[..., object],
    tmp_path: Path,
    audit: list[str],
    listener: tuple[socket.socket, str],
) -> None:
    server, base = listener
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a")
    data = HOSTILE[name].replace("{secret}", secret.as_uri()).replace("{server}", base).encode()
    audit.clear()
    started = time.perf_counter()
    with pytest.raises(DiscoveryError, match="refused") as caught:
        parse(data, url="https://www.sc.gov.cn/sitemap.xml")
    assert time.perf_counter() - started < 0.5
    message = str(caught.value)
    assert "root:" not in message and "TOP-SECRET" not in message
    assert caught.value.url == "https://www.sc.gov.cn/sitemap.xml"
    assert audit == []  # no file opened, no URL requested, no socket connected
    with pytest.raises(BlockingIOError):
        server.accept()  # nobody knocked


# -- feeds -----------------------------------------------------------------------------------

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Sichuan Provincial People's Government</title>
  <link>https://www.sc.gov.cn/10462/10758/index.shtml</link>
  <item>
    <title>
      Sichuan speeds up
      social work
    </title>
    <link>https://www.sc.gov.cn/10462/10758/10760/10765/2025/1/6/5c1d3f0e.shtml?utm_source=rss</link>
    <pubDate>Mon, 06 Jan 2025 10:49:00 +0800</pubDate>
  </item>
  <item>
    <title>Relative link</title>
    <link>10760/10765/2024/12/28/10441831.shtml</link>
    <pubDate>Sat, 28 Dec 2024 02:00:00 GMT</pubDate>
  </item>
  <item>
    <title>Permalink guid only</title>
    <guid>https://www.sc.gov.cn/guid.shtml</guid>
    <dc:date>2024-12-27T08:00:00+08:00</dc:date>
  </item>
  <item><title>Not a permalink</title><guid isPermaLink="false">tag:sc,1</guid></item>
  <item><title>Script</title><link>javascript:alert(1)</link></item>
  <item>
    <title>Duplicate</title>
    <link>https://www.sc.gov.cn/10462/10758/10760/10765/2025/1/6/5c1d3f0e.shtml#comments</link>
  </item>
  <item>
    <link>https://www.sc.gov.cn/undated.shtml</link>
    <pubDate>sometime last week</pubDate>
  </item>
</channel>
</rss>
"""
RSS_EXPECTED = [
    FeedEntry(
        "https://www.sc.gov.cn/10462/10758/10760/10765/2025/1/6/5c1d3f0e.shtml",
        "Sichuan speeds up social work",
        datetime(2025, 1, 6, 10, 49, tzinfo=CST),
    ),
    FeedEntry(
        "https://www.sc.gov.cn/10462/10758/10760/10765/2024/12/28/10441831.shtml",
        "Relative link",
        datetime(2024, 12, 28, 2, 0, tzinfo=UTC),
    ),
    FeedEntry(
        "https://www.sc.gov.cn/guid.shtml",
        "Permalink guid only",
        datetime(2024, 12, 27, 8, 0, tzinfo=CST),
    ),
    FeedEntry("https://www.sc.gov.cn/undated.shtml", None, None),
]

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://www.sc.gov.cn/10462/">
  <title>Sichuan news</title>
  <link rel="self" href="https://www.sc.gov.cn/feeds/atom.xml"/>
  <link href="/10462/10758/index.shtml"/>
  <updated>2025-01-06T02:49:00Z</updated>
  <entry>
    <title type="html">Free &lt;b&gt;trade&lt;/b&gt; zone &amp;amp; Chengdu</title>
    <link rel="self" href="https://www.sc.gov.cn/api/1.json"/>
    <link rel="alternate" type="text/html" href="10758/2025/1/6/a.shtml"/>
    <link rel="enclosure" href="a.mp4"/>
    <published>2025-01-06T10:49:00+08:00</published>
    <updated>2025-01-07T10:00:00+08:00</updated>
  </entry>
  <entry xml:base="10758/2024/">
    <title>Nested base, link without rel</title>
    <link href="12/28/b.shtml"/>
    <updated>2024-12-28T02:49Z</updated>
  </entry>
  <entry>
    <title>Absolute link</title>
    <link href="http://english.sc.gov.cn/c.shtml"/>
  </entry>
  <entry>
    <title>Only an enclosure</title>
    <link rel="enclosure" href="d.mp4"/>
  </entry>
</feed>
"""
ATOM_EXPECTED = [
    FeedEntry(
        "https://www.sc.gov.cn/10462/10758/2025/1/6/a.shtml",
        "Free trade zone & Chengdu",
        datetime(2025, 1, 6, 10, 49, tzinfo=CST),
    ),
    FeedEntry(
        "https://www.sc.gov.cn/10462/10758/2024/12/28/b.shtml",
        "Nested base, link without rel",
        datetime(2024, 12, 28, 2, 49, tzinfo=UTC),
    ),
    FeedEntry("http://english.sc.gov.cn/c.shtml", "Absolute link", None),
]

RDF = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://www.sc.gov.cn/rss.rdf">
    <title>Sichuan</title>
    <link>https://www.sc.gov.cn/10462/</link>
    <items><rdf:Seq><rdf:li resource="https://www.sc.gov.cn/10462/a.shtml"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://www.sc.gov.cn/10462/a.shtml">
    <title>RDF item</title>
    <link>https://www.sc.gov.cn/10462/a.shtml</link>
    <dc:date>2025-01-06T10:49:00+08:00</dc:date>
  </item>
  <item rdf:about="https://www.sc.gov.cn/10462/about-only.shtml">
    <title>About only</title>
  </item>
  <item rdf:about="x"><title>Relative</title><link>b.shtml</link></item>
</rdf:RDF>
"""
RDF_EXPECTED = [
    FeedEntry(
        "https://www.sc.gov.cn/10462/a.shtml", "RDF item", datetime(2025, 1, 6, 10, 49, tzinfo=CST)
    ),
    FeedEntry("https://www.sc.gov.cn/10462/about-only.shtml", "About only", None),
    FeedEntry("https://www.sc.gov.cn/10462/b.shtml", "Relative", None),
]

GB_RSS = (
    '<?xml version="1.0" encoding="gb2312"?><rss version="2.0"><channel>'
    "<link>https://www.sc.gov.cn/</link><item><title>四川省人民政府 今日四川</title>"
    "<link>/10462/c102257/2025/1/6/x.shtml</link></item></channel></rss>"
).encode("gb2312")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(RSS, RSS_EXPECTED, id="rss2"),
        pytest.param(gzip.compress(RSS), RSS_EXPECTED, id="rss2-gzip"),
        pytest.param(ATOM, ATOM_EXPECTED, id="atom-xml-base"),
        pytest.param(RDF, RDF_EXPECTED, id="rdf"),
        pytest.param(
            GB_RSS,
            [
                FeedEntry(
                    "https://www.sc.gov.cn/10462/c102257/2025/1/6/x.shtml",
                    "四川省人民政府 今日四川",
                    None,
                )
            ],
            id="rss-gb2312",
        ),
        pytest.param(
            b'<rss version="0.91"><channel><item><link>/a.shtml</link></item>'
            b"<item><link>https://www.sc.gov.cn/b.shtml</link></item></channel></rss>",
            [FeedEntry("https://www.sc.gov.cn/b.shtml", None, None)],
            id="relative-without-base-dropped",
        ),
        pytest.param(
            b"<rss><channel><item><link>a.shtml</link></item></channel><link>x</link></rss>",
            [],
            id="no-channel-link-dropped",
        ),
        pytest.param(b"<rss><channel/></rss>", [], id="empty-channel"),
    ],
)
def test_parse_feed(data: bytes, expected: list[FeedEntry]) -> None:
    assert parse_feed(data) == expected


def test_feed_url_is_the_last_base() -> None:
    data = b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><link href='a.shtml'/></entry></feed>"
    assert parse_feed(data) == []
    assert parse_feed(data, url="https://www.sc.gov.cn/feeds/atom.xml") == [
        FeedEntry("https://www.sc.gov.cn/feeds/a.shtml", None, None)
    ]


def test_feed_item_cap() -> None:
    items = "".join(f"<item><link>https://www.sc.gov.cn/{i}.shtml</link></item>" for i in range(50))
    entries = parse_feed(f"<rss><channel>{items}</channel></rss>".encode(), max_items=20)
    assert [e.url for e in entries] == [f"https://www.sc.gov.cn/{i}.shtml" for i in range(20)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Mon, 06 Jan 2025 10:49:00 +0800", datetime(2025, 1, 6, 10, 49, tzinfo=CST), id="rfc822"
        ),
        pytest.param(
            "06 Jan 2025 02:49 GMT", datetime(2025, 1, 6, 2, 49, tzinfo=UTC), id="no-weekday-gmt"
        ),
        pytest.param(
            "Mon, 06 Jan 2025 02:49:00 -0000",
            datetime(2025, 1, 6, 2, 49, tzinfo=UTC),
            id="minus-zero",
        ),
        pytest.param(
            "2025-01-06T02:49:00Z", datetime(2025, 1, 6, 2, 49, tzinfo=UTC), id="iso-in-pubdate"
        ),
        pytest.param("Mon, 06 Jan 2025 10:49:00", None, id="no-zone"),
        pytest.param("2025-01-06", None, id="day-only"),
        pytest.param("", None, id="empty"),
    ],
)
def test_pubdate_forms(text: str, expected: datetime | None) -> None:
    data = f"<rss><channel><item><link>https://a.test/</link><pubDate>{text}</pubDate></item></channel></rss>"
    [entry] = parse_feed(data.encode())
    assert entry.published == expected


# -- malformed and wrong documents -----------------------------------------------------------


@pytest.mark.parametrize(
    ("parse", "data", "message"),
    [
        pytest.param(
            parse_sitemap,
            b"<urlset><url><loc>x</loc></urlset>",
            "malformed XML",
            id="sitemap-mismatched",
        ),
        pytest.param(
            parse_sitemap,
            f'<urlset xmlns="{NS}"><url>'.encode(),
            "malformed XML",
            id="sitemap-unclosed",
        ),
        pytest.param(parse_sitemap, b"<urlset/><urlset/>", "malformed XML", id="sitemap-two-roots"),
        pytest.param(
            parse_feed,
            b"<rss><channel><title>a&nbsp;b</title></channel></rss>",
            "malformed XML",
            id="feed-undefined-entity",
        ),
        pytest.param(
            parse_feed,
            b"<rss><channel><item>\x00</item></channel></rss>",
            "malformed XML",
            id="feed-nul",
        ),
        pytest.param(
            parse_sitemap,
            b"<!DOCTYPE html><html><body>404</body></html>",
            "HTML page",
            id="sitemap-html-doctype",
        ),
        pytest.param(
            parse_feed, b"<html><body>Not found</body></html>", "HTML page", id="feed-html"
        ),
        pytest.param(
            parse_sitemap, RSS, "not a sitemap: the document is <rss>", id="sitemap-given-rss"
        ),
        pytest.param(
            parse_feed, PAGES, "not a feed: the document is <urlset>", id="feed-given-sitemap"
        ),
        pytest.param(
            parse_sitemap,
            b'<urlset xmlns="http://example.com/ns"/>',
            "not a sitemap",
            id="foreign-namespace",
        ),
        pytest.param(parse_sitemap, b"", "empty sitemap", id="empty"),
        pytest.param(parse_sitemap, b" \r\n\t ", "empty sitemap", id="whitespace"),
        pytest.param(parse_feed, gzip.compress(b""), "empty feed", id="feed-empty-gzip"),
        pytest.param(
            parse_sitemap, b"\x89PNG\r\n\x1a\n\x00\xff", "neither XML nor UTF-8", id="binary"
        ),
        pytest.param(
            parse_sitemap,
            b"User-agent: *\nDisallow: /\n",
            "neither XML nor a list",
            id="text-no-urls",
        ),
        pytest.param(
            parse_feed, b"https://www.sc.gov.cn/a.shtml\n", "not XML", id="feed-given-text"
        ),
        pytest.param(
            parse_feed,
            b'<?xml version="1.0" encoding="x-nope"?><rss/>',
            "unknown XML encoding",
            id="unknown-encoding",
        ),
    ],
)
def test_bad_documents(parse: Callable[..., object], data: bytes, message: str) -> None:
    with pytest.raises(DiscoveryError, match=message) as caught:
        parse(data)
    assert isinstance(caught.value, PortalArchiveError)
    assert caught.value.url is None


def test_the_tripwires_work(
    tmp_path: Path, audit: list[str], listener: tuple[socket.socket, str]
) -> None:
    """Control for test_hostile_xml_is_refused: a file read and a connection are both seen."""
    server, base = listener
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    audit.clear()
    secret.read_text()
    assert any(str(secret) in line for line in audit)
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        time.sleep(0.05)
        server.accept()[0].close()
