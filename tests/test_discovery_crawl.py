"""Discovery beyond listing pages, end to end: robots.txt Sitemap lines, a sitemap index with a
gzipped sitemap, an RSS feed, and --urls. Off-profile entries are never requested."""

from __future__ import annotations

import asyncio
import gzip
import shutil
from pathlib import Path

from portal_archive import Archive, Fetcher, Settings, crawl, load_profile
from portal_archive.crawl import CrawlOptions, fetch_hosts
from portal_archive.mirror import serve_directory

from .conftest import SITE

ARTICLES = [
    "/10462/10758/10760/10765/2025/1/6/5c1d3f0e8a7b4b2c9e6f1a2b3c4d5e6f.shtml",
    "/10462/10758/10760/10765/2017/12/28/10441831.shtml",
    "/10462/10758/10760/10765/2018/7/9/10454731.shtml",
]
PROFILE_TEXT = """
id = "sc-discovery"
name = "Sichuan English portal, found through sitemaps and a feed"
base_url = "https://www.sc.gov.cn/"
hosts = ["www.sc.gov.cn"]
start_urls = ["/no-listing-here.shtml"]
[crawl]
articles = ['^/10462/10758/(\\d+/)+\\d{4}/\\d{1,2}/\\d{1,2}/[0-9a-f]+\\.shtml$']
sitemaps = true
feeds = ["/rss.xml"]
"""


def _urlset(paths: list[str]) -> bytes:
    entries = "".join(
        f"<url><loc>http://www.sc.gov.cn{p}</loc><lastmod>2025-01-06</lastmod></url>" for p in paths
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    ).encode()


def test_sitemaps_and_feeds_find_articles(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    (root / "robots.txt").write_text(
        "User-agent: *\nDisallow: /so4/\nSitemap: http://www.sc.gov.cn/sitemap_index.xml\n"
        "Sitemap: http://elsewhere.example/sitemap.xml\n"
    )
    (root / "sitemap_index.xml").write_bytes(
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>http://www.sc.gov.cn/sitemap1.xml.gz</loc></sitemap>"
        b"<sitemap><loc>http://evil.example/s.xml</loc></sitemap></sitemapindex>"
    )
    (root / "sitemap1.xml.gz").write_bytes(
        gzip.compress(_urlset(ARTICLES[:2] + ["/10462/10464/zh/1.shtml"]))
    )
    item = f"<item><title>x</title><link>http://www.sc.gov.cn{ARTICLES[2]}</link></item>"
    (root / "rss.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{item}</channel></rss>'
    )
    profile_path = tmp_path / "sc-discovery.toml"
    profile_path.write_text(PROFILE_TEXT)
    profile = load_profile(profile_path)
    settings = Settings(allow_private_networks=True, delay_s=0, jitter=0, max_retries=0)
    with serve_directory(root) as base_url, Archive.open(tmp_path / "a.db") as archive:

        async def main() -> None:
            async with Fetcher(settings, allowed_hosts=fetch_hosts(profile, base_url)) as fetcher:
                report = await crawl(
                    profile,
                    fetcher=fetcher,
                    archive=archive,
                    options=CrawlOptions(base_url=base_url),
                )
                # The start page does not exist: that is the one failure.
                assert [f.kind for f in report.failures] == ["not_found"]

        asyncio.run(main())
        archived = {r[0] for r in archive.conn.execute("SELECT url FROM articles")}
        assert {"https://www.sc.gov.cn" + p for p in ARTICLES} <= archived
        found_on = dict(archive.conn.execute("SELECT url, found_on FROM frontier").fetchall())
        # Each was found where it was listed (the articles link to more articles too).
        assert found_on["https://www.sc.gov.cn" + ARTICLES[0]].endswith("sitemap1.xml.gz")
        assert found_on["https://www.sc.gov.cn" + ARTICLES[2]].endswith("rss.xml")
        kinds = dict(archive.conn.execute("SELECT url, kind FROM frontier").fetchall())
        assert kinds["https://www.sc.gov.cn/sitemap1.xml.gz"] == "sitemap"
        assert not any("evil.example" in u or "elsewhere" in u for u in kinds)
