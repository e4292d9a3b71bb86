"""Fuzzing the extractor: whatever bytes come in, ``extract`` returns an Article or raises our
own error (``PortalArchiveError``), in bounded time. Never another exception, never a hang.

Inputs: fixture pages mutated at the byte level (flips, truncation, splices, inserted junk),
damaged in their encoding (re-encoded, lying labels, half-and-half), random tag soup, and
pathological markup built on purpose (10,000-deep nesting, huge attributes and text runs).
The default run stays under about a minute; ``-m slow`` runs many more examples.

Each Hypothesis example has a deadline; the pathological pages run in a forked child that is
killed if it overruns, so a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import gzip
import multiprocessing
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal_archive import Article, PortalArchiveError, extract

from .conftest import FIXTURES, SITE


def _seed_pages() -> list[tuple[str, bytes]]:
    pages = [
        (
            "site/seed",
            SITE / "10462/10758/10760/10765/2025/1/6/5c1d3f0e8a7b4b2c9e6f1a2b3c4d5e6f.shtml",
        ),
        ("site/gbk-2017", SITE / "10462/10758/10760/10765/2017/12/28/10441831.shtml"),
    ]
    pages += [(f"zh/{p.name}", p) for p in sorted((FIXTURES / "site-zh").rglob("*.shtml"))]
    pages += [(f"govcn/{p.name}", p) for p in sorted((FIXTURES / "site-govcn").rglob("*.htm"))]
    seeds = [(name, path.read_bytes()) for name, path in pages]
    # Two small real pages from the corpus fixtures: the GB2312 Wayback capture and a UTF-8 one.
    for rel in (
        "trafilatura_eval/he.xinhuanet.com-25340717.html.gz",
        "readability_testpages/qq.html.gz",
    ):
        path = FIXTURES / "corpus" / rel
        if path.exists():
            seeds.append((f"corpus/{path.name}", gzip.decompress(path.read_bytes())))
    return seeds


SEEDS = _seed_pages()
URLS = [
    None,
    "https://www.sc.gov.cn/10462/10758/10760/10765/2025/1/6/5c1d3f0e8a7b4b2c9e6f1a2b3c4d5e6f.shtml",
    "https://www.sc.gov.cn/10462/10464/10797/2025/1/6/7d3e2f1a0b9c4d8e9f1a2b3c4d5e6f70.shtml",
    "https://www.gov.cn/zhengce/content/202501/content_6996002.htm",
    "https://example.org/news/article.html",
]
CHARSETS = [None, "utf-8", "gbk", "gb2312", "iso-8859-1", "big5", "utf-16", "x-no-such-charset"]


def check(data: bytes | str, url: str | None = None, charset: str | None = None) -> None:
    """The property: an Article, or our own error. Anything else propagates and fails."""
    try:
        article = extract(data, url, charset=charset)
    except PortalArchiveError:
        return
    assert isinstance(article, Article)
    article.to_dict()  # every field serialisable
    # Text, or a titled notice that is only its attached file (see extract's docstring).
    assert article.paragraphs or (article.attachments and article.title)


# --- byte-level mutations of real pages ----------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    _, page = draw(st.sampled_from(SEEDS))
    data = bytearray(page)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "splice", "nul"]))
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 4096))]
        elif op == "splice":
            _, other = draw(st.sampled_from(SEEDS))
            start = draw(st.integers(0, len(other) - 1))
            data[at:at] = other[start : start + draw(st.integers(1, 8192))]
        else:
            data[at:at] = b"\x00" * draw(st.integers(1, 8))
    return bytes(data)


# --- encoding damage --------------------------------------------------------------------------


@st.composite
def misencoded(draw: st.DrawFn) -> bytes:
    _, page = draw(st.sampled_from(SEEDS))
    text = page.decode("utf-8", errors="ignore") or page.decode("gb18030", errors="ignore")
    how = draw(st.sampled_from(["reencode", "relabel", "halves", "bom", "gbk-junk"]))
    if how == "reencode":
        codec = draw(st.sampled_from(["gbk", "gb18030", "big5", "utf-16-le", "cp1252", "latin-1"]))
        return text.encode(codec, errors="replace")
    if how == "relabel":
        label = draw(st.sampled_from([b"utf-8", b"gb2312", b"big5", b"iso-8859-1", b"x\x00y"]))
        head = b'<meta charset="' + label + b'">'
        return head + text.encode(draw(st.sampled_from(["utf-8", "gbk"])), errors="replace")
    if how == "halves":
        cut = draw(st.integers(0, len(text)))
        return text[:cut].encode("utf-8") + text[cut:].encode("gbk", errors="replace")
    if how == "bom":
        bom = draw(
            st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00"])
        )
        return bom + text.encode("utf-8")
    # Lone GBK lead bytes and broken UTF-8 sequences sprinkled through the page.
    data = bytearray(text.encode("gbk", errors="replace"))
    for _ in range(draw(st.integers(1, 20))):
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(
            st.sampled_from([b"\x81", b"\xfe", b"\xe4\xb8", b"\xc3", b"\xa1\xa1\xff"])
        )
    return bytes(data)


# --- tag soup -------------------------------------------------------------------------------

_TOKENS = [
    "<div>",
    "</div>",
    "<p>",
    "</p>",
    "<br>",
    "<table>",
    "<tr>",
    "<td>",
    "</td>",
    "</table>",
    "<a href='/x.pdf'>",
    "<a href='javascript:0'>",
    "</a>",
    "<h1>",
    "</h1>",
    "<span>",
    "<b>",
    "<li>",
    "<ul>",
    "<footer>",
    "<div class='footer'>",
    "<script>",
    "</script>",
    "<style>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<meta charset=gbk>",
    "<meta name='PubDate' content='2025-01-06'>",
    "<img src='a.jpg' alt='图'>",
    "<figure>",
    "<figcaption>",
    "<title>",
    "</title>",
    "<svg>",
    "<template>",
    "<noscript>",
    "<iframe>",
    "<select><option>",
    "<base href='::'>",
    "<a href='//[::1'>",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "&nbsp;",
    "\u3000",
    "\x00",
    "\r\n",
    "主办：",
    "网站标识码：",
    "蜀ICP备13001288号",
    "发布时间：2025-01-06",
    "成文日期：2099年13月40日",
    "Updated:2025.01.06",
    "来源：",
    "Hosted by:",
    "Copyright ©",
    "索引号：",
    "附件：",
]


@st.composite
def tag_soup(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(
            st.one_of(st.sampled_from(_TOKENS), st.text(max_size=80)), min_size=1, max_size=300
        )
    )
    return "".join(parts)


_FUZZ = settings(
    # A page takes milliseconds; charset detection on a misencoded 200 kB page can take a
    # second, and a loaded 2-core CI machine triples that. 15 s still catches a hang.
    deadline=timedelta(seconds=15),
    database=None,  # several engineers share this checkout: no .hypothesis/ directory
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(_FUZZ, max_examples=150)
@given(data=mutated(), url=st.sampled_from(URLS), charset=st.sampled_from(CHARSETS))
def test_mutated_pages(data: bytes, url: str | None, charset: str | None) -> None:
    check(data, url, charset)


@settings(_FUZZ, max_examples=100)
@given(data=misencoded(), url=st.sampled_from(URLS), charset=st.sampled_from(CHARSETS))
def test_encoding_damage(data: bytes, url: str | None, charset: str | None) -> None:
    check(data, url, charset)


@settings(_FUZZ, max_examples=200)
@given(soup=tag_soup(), url=st.sampled_from(URLS), as_bytes=st.booleans())
def test_tag_soup(soup: str, url: str | None, as_bytes: bool) -> None:
    check(soup.encode("utf-8", errors="surrogatepass") if as_bytes else soup, url)


@settings(_FUZZ, max_examples=100)
@given(data=st.binary(max_size=4096), url=st.sampled_from(URLS))
def test_random_bytes(data: bytes, url: str | None) -> None:
    check(data, url)


@pytest.mark.slow
@settings(_FUZZ, max_examples=3000)
@given(
    data=st.one_of(mutated(), misencoded(), tag_soup().map(str.encode)),
    url=st.sampled_from(URLS),
    charset=st.sampled_from(CHARSETS),
)
def test_long_fuzz(data: bytes, url: str | None, charset: str | None) -> None:
    check(data, url, charset)


# --- pathological markup, each in a child process with a hard time limit -------------------

_LIMIT_S = 30.0  # generous: a 2-core machine shared by several test runs
_BODY = "<p>" + "Body text of the article, long enough to be a paragraph. " * 3 + "</p>"


def _nest(open_tag: str, close_tag: str, depth: int = 10_000) -> str:
    return f"<html><body>{open_tag * depth}{_BODY}{close_tag * depth}</body></html>"


PATHOLOGICAL: dict[str, Callable[[], bytes | str]] = {
    "div-10000-deep": lambda: _nest("<div>", "</div>"),
    "span-10000-deep": lambda: _nest("<span>", "</span>"),
    "a-10000-deep": lambda: _nest("<a href='/x'>", "</a>"),
    "b-10000-deep-with-text": lambda: _nest("<b>字", "</b>"),
    "table-10000-deep": lambda: _nest("<table><tr><td>", "</td></tr></table>"),
    "li-10000-deep": lambda: _nest("<ul><li>", "</li></ul>"),
    "unclosed-div-10000": lambda: "<div>" * 10_000 + _BODY,
    "unclosed-font-10000": lambda: "<font>" * 10_000 + _BODY,
    "p-with-10000-nested-divs-in-footer": lambda: (
        _BODY + "<div class='footer'>" + "<div>主办：" * 10_000 + "</div>" * 10_001
    ),
    "attribute-8mb": lambda: f"<div title='{'x' * 8_000_000}'>{_BODY}</div>",
    "attribute-href-2mb": lambda: f"<a href='/{'a' * 2_000_000}.pdf'>x</a>{_BODY}",
    "text-run-8mb-no-spaces": lambda: f"<p>{'字' * 4_000_000}</p>",
    "text-run-8mb-ascii": lambda: f"<p>{'a' * 8_000_000}</p>",
    "100000-paragraphs": lambda: (
        "<div>" + "<p>Short paragraph text number.</p>" * 100_000 + "</div>"
    ),
    "100000-br": lambda: "<div>" + "line of text<br>" * 100_000 + "</div>",
    "50000-meta-tags": lambda: (
        "<head>" + "<meta name='PubDate' content='x'>" * 50_000 + "</head>" + _BODY
    ),
    "50000-footer-lines": lambda: (
        _BODY + "<div class='footer'>" + "主办：甲 承办：乙<br>" * 50_000 + "</div>"
    ),
    "comment-unterminated": lambda: _BODY + "<!--" + "x" * 1_000_000,
    "date-line-flood": lambda: "<div>" + "<p>发布时间：2025-01-06</p>" * 50_000 + "</div>" + _BODY,
}


def _child(make: Callable[[], bytes | str], conn: Any) -> None:
    try:
        check(make())
        conn.send(None)
    except BaseException:  # report any failure, with its traceback, to the parent
        conn.send(traceback.format_exc())


def run_bounded(make: Callable[[], bytes | str], limit_s: float = _LIMIT_S) -> None:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(make, sender))
    child.start()
    sender.close()  # so that a child that dies without a word shows as EOF, not as a hang
    try:
        if not receiver.poll(limit_s):
            pytest.fail(f"extract did not finish within {limit_s:.0f} s (hang or runaway)")
        try:
            failure = receiver.recv()
        except EOFError:
            child.join()
            pytest.fail(f"the extracting process died (exit code {child.exitcode})")
    finally:
        if child.is_alive():
            child.kill()
        child.join()
    if failure is None:
        return
    pytest.fail(f"extract raised something other than PortalArchiveError:\n{failure}")


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_markup(name: str) -> None:
    run_bounded(PATHOLOGICAL[name])


def test_bounded_runner_catches_a_hang() -> None:
    """The harness itself: a child that never returns is reported, not waited for."""

    def hang() -> str:
        while True:
            pass

    with pytest.raises(pytest.fail.Exception, match="did not finish"):
        run_bounded(hang, limit_s=1.0)


def test_bounded_runner_reports_a_foreign_exception() -> None:
    def boom() -> str:
        raise RecursionError("from the extractor")

    with pytest.raises(pytest.fail.Exception, match="RecursionError"):
        run_bounded(boom, limit_s=10.0)
