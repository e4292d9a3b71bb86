"""What a re-run costs: a second crawl over an unchanged mirror of 1,000 articles transfers
under 5% of the first run's body bytes, and adds nothing to the archive.

The site is synthetic and TRS-like (``/news/{YYYY}/{M}/{D}/{id}.shtml`` articles of ~8 KB,
``/news/index.shtml``, ``index_1.shtml`` … listing pages of 10 articles each, newest first,
with a TRS pager), written to ``tmp_path`` and served by the stdlib mirror server, which
answers ``If-Modified-Since`` with 304.
"""

from __future__ import annotations

import asyncio
import html
import random
from datetime import date, timedelta
from pathlib import Path

from portal_archive import Archive, CrawlReport, Fetcher, Settings, crawl, load_profile
from portal_archive.crawl import fetch_hosts
from portal_archive.mirror import MirrorHandler, serve_directory
from portal_archive.profiles import SiteProfile

N_ARTICLES = 1000
PER_PAGE = 10
SETTINGS = Settings(allow_private_networks=True, delay_s=0.0, jitter=0.0)


class KeepAliveHandler(MirrorHandler):
    """The mirror with keep-alive, as a portal serves: ~15% less CPU for the test than a
    connection per request (Nagle off, or keep-alive waits on delayed ACKs)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True


_VOCAB = (
    "province government development economic reform county city rural revitalization "
    "investment enterprises infrastructure ecological protection tourism culture industrial "
    "innovation technology service residents public health education transport railway "
    "highway project construction meeting provincial committee implementation policy "
    "measures promote high-quality coordinated green opening-up trade pilot zone agriculture "
    "modern energy hydropower panda heritage Chengdu Sichuan basin mountain river Yangtze "
    "cooperation international delegation exhibition forum digital manufacturing quality "
    "employment income poverty alleviation village township people's livelihood security"
)
_WORDS = _VOCAB.split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(12, 26))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{title} - Sichuan Provincial People's Government</title>
<meta name="SiteName" content="四川省人民政府">
<meta name="ColumnName" content="News">
{meta}<link rel="stylesheet" href="/images/en2019.css">
<style>
body{{margin:0;padding:0;font-family:Arial,"Microsoft YaHei",sans-serif;font-size:14px}}
.main-nav{{background:#0c5ea8;height:46px}}.main-nav li{{float:left;width:200px}}
.article{{width:1160px;margin:0 auto;padding:20px;border:1px solid #e5e5e5}}
.article-title{{font-size:26px;line-height:40px;text-align:center;color:#0c5ea8}}
.news-list li{{line-height:36px;border-bottom:1px dashed #ddd}}.page a{{padding:0 8px}}
.footer{{background:#f2f2f2;margin-top:30px;padding:20px 0;text-align:center;font-size:12px}}
</style>
</head>
<body>
<div class="top-bar"><a href="/about/zh.shtml">中文</a> <a href="/about/fanti.shtml">繁體</a></div>
<div class="main-nav"><ul>
  <li><a href="/about/government.shtml">Government</a></li>
  <li><a href="/news/index.shtml">News</a></li>
  <li><a href="/about/services.shtml">Services</a></li>
  <li><a href="/about/investment.shtml">Investment</a></li>
</ul></div>
<div class="breadcrumb"><a href="/about/home.shtml">Home</a> &gt;
  <a href="/news/index.shtml">News</a></div>
"""

_FOOTER = """<div class="footer">
  <div class="footer-links"><a href="/about/sitemap.shtml">Sitemap</a> |
    <a href="/about/contact.shtml">Contact Us</a></div>
  <p>Hosted by: General Office of the People's Government of Sichuan Province</p>
  <p>Website Identification Code: 5100000062 Sichuan ICP No. 13001288</p>
</div>
</body></html>
"""


def _article_page(rng: random.Random, title: str, day: date) -> str:
    paragraphs = "\n".join(
        f'    <p style="text-indent:2em;">{html.escape(_paragraph(rng))}</p>'
        for _ in range(rng.randint(5, 10))
    )
    meta = (
        f'<meta name="ArticleTitle" content="{html.escape(title)}">\n'
        f'<meta name="PubDate" content="{day.isoformat()} 10:00">\n'
    )
    body = f"""<div class="article">
  <h1 class="article-title">{html.escape(title)}</h1>
  <div class="article-date">Updated: {day.isoformat()}</div>
  <div class="article-content" id="articleContent">
{paragraphs}
  </div>
</div>
"""
    return _HEAD.format(title=html.escape(title), meta=meta) + body + _FOOTER


def _pager(page: int, pages: int) -> str:
    def name(n: int) -> str:
        return "index.shtml" if n == 0 else f"index_{n}.shtml"

    links = [f'<a href="{name(0)}">First</a>']
    if page > 0:
        links.append(f'<a href="{name(page - 1)}">Prev</a>')
    for n in range(max(0, page - 5), min(pages, page + 6)):
        current = ' class="current"' if n == page else ""
        links.append(f'<a href="{name(n)}"{current}>{n + 1}</a>')
    if page + 1 < pages:
        links.append(f'<a href="{name(page + 1)}">Next</a>')
    links.append(f'<a href="{name(pages - 1)}">Last</a>')
    return '<div class="page">' + " ".join(links) + "</div>"


def build_site(root: Path, n_articles: int = N_ARTICLES) -> list[str]:
    """Write the site under ``root``; return the article paths, newest first."""
    rng = random.Random(5)
    newest = date(2025, 6, 30)
    entries: list[tuple[str, str, date]] = []
    for i in range(n_articles):
        day = newest - timedelta(days=i // 3)
        title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 11))).title()
        path = f"/news/{day.year}/{day.month}/{day.day}/{rng.getrandbits(128):032x}.shtml"
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_article_page(rng, title, day), encoding="utf-8")
        entries.append((path, title, day))
    pages = -(-n_articles // PER_PAGE)
    for page in range(pages):
        items = "\n".join(
            f'  <li><a href="{path}" target="_blank">{html.escape(title)}</a>'
            f'<span class="date">{day.isoformat()}</span></li>'
            for path, title, day in entries[page * PER_PAGE : (page + 1) * PER_PAGE]
        )
        listing = (
            _HEAD.format(title="News", meta="")
            + f'<div class="list-box"><ul class="news-list">\n{items}\n</ul>\n'
            + _pager(page, pages)
            + "\n</div>\n"
            + _FOOTER
        )
        name = "index.shtml" if page == 0 else f"index_{page}.shtml"
        (root / "news" / name).write_text(listing, encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    return [path for path, _, _ in entries]


def write_profile(folder: Path, base_url: str) -> SiteProfile:
    path = folder / "synthetic-news.toml"
    path.write_text(
        f"""id = "synthetic-news"
name = "Synthetic TRS news column"
base_url = "{base_url}/"
hosts = ["127.0.0.1"]
language = "en"
start_urls = ["/news/index.shtml"]

[crawl]
follow = ['^/news/index(_\\d+)?\\.shtml$']
articles = ['^/news/\\d{{4}}/\\d{{1,2}}/\\d{{1,2}}/[0-9a-f]+\\.shtml$']

[selectors]
title = ["h1.article-title"]
date = [".article-date"]
body = ["#articleContent"]
footer = ["div.footer"]
remove = [".footer-links"]
""",
        encoding="utf-8",
    )
    return load_profile(path)


def run_crawl(profile: SiteProfile, archive: Archive) -> CrawlReport:
    async def main() -> CrawlReport:
        hosts = fetch_hosts(profile, None)
        async with Fetcher(SETTINGS, allowed_hosts=hosts) as fetcher:
            return await crawl(profile, fetcher=fetcher, archive=archive)

    return asyncio.run(main())


def test_rerun_over_an_unchanged_mirror_transfers_almost_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site"
    articles = build_site(site)
    assert len(articles) == N_ARTICLES
    sizes = [(site / p.lstrip("/")).stat().st_size for p in articles]
    assert 6_000 < sum(sizes) / len(sizes) < 10_000, "articles should be ~8 KB"

    with (
        serve_directory(site, handler=KeepAliveHandler) as base_url,
        Archive.open(tmp_path / "archive.db") as archive,
    ):
        profile = write_profile(tmp_path, base_url)

        first = run_crawl(profile, archive)
        assert not first.failures, first.failures[:5]
        assert first.articles_new == N_ARTICLES
        assert archive.count_articles(profile.id) == N_ARTICLES
        after_first = archive.counts()

        second = run_crawl(profile, archive)
        after_second = archive.counts()

    ratio = second.bytes_received / first.bytes_received
    assert ratio < 0.05, (
        f"the re-run transferred {second.bytes_received:,} body bytes, {ratio:.2%} of the "
        f"first run's {first.bytes_received:,} (limit 5%); {second.requests} requests"
    )
    assert not second.failures, second.failures[:5]
    assert second.articles_new == second.articles_changed == 0
    for table in ("pages", "articles", "article_versions", "attachments"):
        assert after_second[table] == after_first[table], (
            f"the re-run added {table} rows: {after_first[table]} → {after_second[table]}"
        )
