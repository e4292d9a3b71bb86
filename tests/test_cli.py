"""Every command through typer's CliRunner, end to end, with the exit codes the README promises."""

from __future__ import annotations

import fcntl
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portal_archive import Archive, Page, load_profile, parse_article
from portal_archive.cli import app
from portal_archive.mirror import MirrorHandler, serve_directory

from .conftest import SITE

SEED_URL = (
    "https://www.sc.gov.cn/10462/10758/10760/10765/2025/1/6/5c1d3f0e8a7b4b2c9e6f1a2b3c4d5e6f.shtml"
)


def crawl_args(db: Path, base_url: str, *extra: str) -> list[str]:
    """`crawl sichuan-en` against a local mirror, into ``db``, without politeness delays."""
    return [
        "crawl",
        "sichuan-en",
        "--db",
        str(db),
        "--base-url",
        base_url,
        "--allow-private-networks",
        "--delay",
        "0",
        *extra,
    ]


def cli(*args: str, env: dict[str, str] | None = None) -> object:
    result = CliRunner().invoke(app, list(args), env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory, mirror_url: str) -> Iterator[Path]:
    db = tmp_path_factory.mktemp("cli") / "archive.db"
    result = cli(*crawl_args(db, mirror_url))
    assert result.exit_code == 0, result.output
    yield db


def test_crawl_writes_report_and_second_run_adds_nothing(tmp_path: Path, mirror_url: str) -> None:
    db, report = tmp_path / "a.db", tmp_path / "run.json"
    args = crawl_args(db, mirror_url, "--report", str(report))
    first = cli(*args)
    assert first.exit_code == 0, first.output
    assert first.stdout == ""  # quiet on success when not on a terminal (cron)
    data = json.loads(report.read_text())
    assert data["articles"] == {
        "new": 28,
        "unchanged": 0,
        "changed": 0,
        "failed": 0,
        "gone": 0,
        "not_modified": 0,
    }
    assert data["listing_pages"] == 8 and data["bytes"] > 100_000 and data["duration_s"] >= 0
    second = cli(*args)
    assert second.exit_code == 0
    # The second run asks with If-Modified-Since: the mirror answers 304 and sends nothing.
    assert json.loads(report.read_text())["articles"]["not_modified"] == 28
    assert second.stdout == ""
    verbose = cli("-v", *args)
    assert "0 new" in verbose.stdout


def test_crawl_refuses_loopback_without_the_flag(tmp_path: Path, mirror_url: str) -> None:
    db = tmp_path / "a.db"
    result = cli("crawl", "sichuan-en", "--db", str(db), "--base-url", mirror_url)
    assert result.exit_code == 2
    assert "--allow-private-networks" in result.stderr
    assert not db.exists()


def test_search_finds_the_seed_article(crawled: Path) -> None:
    result = cli("search", "social work", "--db", str(crawled))
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert "The CPC Sichuan Provincial Committee Conference on Social Work" in first
    hits = json.loads(cli("search", "social work", "--db", str(crawled), "--json").stdout)
    assert hits[0]["url"] == SEED_URL and "[Social]" in hits[0]["snippet"]
    assert cli("search", "zzzzunfindable", "--db", str(crawled), "--json").stdout.strip() == "[]"


def test_search_survives_fts_syntax(crawled: Path) -> None:
    for query in ['"unbalanced', "AND OR NOT", "a*b(", "NEAR(x"]:
        assert cli("search", query, "--db", str(crawled)).exit_code == 0


def test_show_gives_every_field(crawled: Path) -> None:
    result = cli("show", SEED_URL, "--db", str(crawled))
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith(
        "The CPC Sichuan Provincial Committee Conference on Social Work Held in Chengdu"
    )
    assert "Updated: 2025-01-06" in out and f"Source:    {SEED_URL}" in out and "Fetched:" in out
    assert "Relevant provincial leaders, heads of pertinent" in out
    for value in (
        "General Office of the People's Government of Sichuan Province",
        "China Telecom Sichuan Branch",
        "5100000062",
        "Sichuan ICP No. 13001288",
        "51010402000507",
    ):
        assert value in out
    data = json.loads(
        cli("show", SEED_URL.replace("https://", "http://"), "--db", str(crawled), "--json").stdout
    )
    assert len(data["paragraphs"]) == 10 and data["capture"]["status"] == 200
    by_id = json.loads(cli("show", str(data["id"]), "--db", str(crawled), "--json").stdout)
    assert by_id == data


def test_show_unknown_article(crawled: Path) -> None:
    result = cli("show", "https://www.sc.gov.cn/nope.shtml", "--db", str(crawled))
    assert result.exit_code == 2 and "no article" in result.stderr


def test_list_filters(crawled: Path) -> None:
    everything = json.loads(cli("list", "--db", str(crawled), "--json").stdout)
    assert len(everything) == 28
    dates = [a["published"] or a["updated"] for a in everything if a["published"] or a["updated"]]
    assert dates == sorted(dates, reverse=True)
    recent = json.loads(cli("list", "--db", str(crawled), "--json", "--since", "2022-01-01").stdout)
    assert {a["published"] for a in recent} == {
        "2025-01-06",
        "2023-11-30",
        "2022-06-08",
        "2022-04-06",
        "2022-01-04",
    }
    window = json.loads(
        cli(
            "list", "--db", str(crawled), "--json", "--since", "2018-01-01", "--until", "2018-01-31"
        ).stdout
    )
    assert {a["published"] for a in window} == {"2018-01-02", "2018-01-10", "2018-01-22"}
    assert json.loads(cli("list", "--db", str(crawled), "--json", "--site", "other").stdout) == []
    table = cli("list", "--db", str(crawled)).stdout.splitlines()
    assert table[0].split() == ["id", "date", "site", "title"] and len(table) == 30
    assert cli("list", "--db", str(crawled), "--since", "yesterday").exit_code == 2


def test_export_jsonl_round_trips(crawled: Path, tmp_path: Path) -> None:
    out = tmp_path / "export" / "articles.jsonl"
    result = cli("export", "--format", "jsonl", "-o", str(out), "--db", str(crawled))
    assert result.exit_code == 0
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(rows) == 28
    shown = json.loads(cli("show", str(rows[0]["id"]), "--db", str(crawled), "--json").stdout)
    assert rows[0] == shown
    stdout_rows = cli("export", "--db", str(crawled)).stdout.splitlines()
    assert [json.loads(line) for line in stdout_rows] == rows
    assert cli("export", "--format", "xml", "--db", str(crawled)).exit_code == 2


def test_sites_lists_builtin_profiles() -> None:
    assert "sichuan-en" in cli("sites").stdout
    profiles = {p["id"]: p for p in json.loads(cli("sites", "--json").stdout)}
    assert {"sichuan-en", "sichuan-zh", "gov-cn"} <= set(profiles)
    assert profiles["sichuan-en"]["base_url"] == "https://www.sc.gov.cn/"


def test_extract_file_prints_article_json() -> None:
    page = SITE / "10462/10758/10760/10765/2025/1/6/5c1d3f0e8a7b4b2c9e6f1a2b3c4d5e6f.shtml"
    result = cli("extract", str(page), "--url", SEED_URL)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["site"] == "sichuan-en" and data["updated"] == "2025-01-06"
    assert len(data["paragraphs"]) == 10


def test_extract_url_fetches_it(mirror_url: str) -> None:
    result = cli(
        "extract",
        mirror_url + "/10462/10758/10760/10765/2017/12/28/10441831.shtml",
        "--allow-private-networks",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["encoding"] == "gb18030"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty document"), (b"\x00\x01\x02binary\xff" * 50, "binary")],
    ids=["empty", "binary"],
)
def test_extract_bad_file_is_one_clear_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(content)
    result = cli("extract", str(path))
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_extract_missing_file_and_unreachable_url() -> None:
    assert cli("extract", "/no/such/page.html").exit_code == 2
    # Port 9 on loopback: nothing listens, the connection is refused at once.
    result = cli("extract", "http://127.0.0.1:9/x.shtml", "--allow-private-networks")
    assert result.exit_code == 1
    assert "unreachable" in result.stderr.lower() or "connect" in result.stderr.lower()
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_and_malformed_profiles_exit_2(tmp_path: Path) -> None:
    result = cli("crawl", "no-such-portal", "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 2 and "unknown profile 'no-such-portal'" in result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "bad"\nname = "x"\nbase_url = "https://x.example/"\n'
        'start_urls = ["/"]\n[crawl]\narticles = ["("]\n'
    )
    result = cli("crawl", str(bad), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 2
    assert str(bad) in result.stderr and "crawl.articles" in result.stderr
    typo = tmp_path / "typo.toml"
    typo.write_text(
        'id = "typo"\nname = "x"\nbase_url = "https://x.example/"\n'
        'start_urls = ["/"]\n[crawl]\narticles = ["x"]\nfolow = ["y"]\n'
    )
    result = cli("crawl", str(typo), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 2 and "crawl.folow" in result.stderr
    assert not (tmp_path / "a.db").exists()


def test_corrupt_archive_is_left_as_it_was(tmp_path: Path, mirror_url: str) -> None:
    db = tmp_path / "archive.db"
    db.write_bytes(b"this is not a database" * 100)
    before = db.read_bytes()
    for args in (
        ["search", "x"],
        ["list"],
        ["crawl", "sichuan-en", "--base-url", mirror_url, "--allow-private-networks"],
    ):
        result = cli(*args, "--db", str(db))
        assert result.exit_code == 2, args
        assert "not a usable archive" in result.stderr or "not a" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == before


def test_missing_archive_for_queries(tmp_path: Path) -> None:
    result = cli("search", "x", "--db", str(tmp_path / "none.db"))
    assert result.exit_code == 2 and "no archive here yet" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_second_crawl_while_one_runs_exits_at_once(crawled: Path, mirror_url: str) -> None:
    with open(crawled.with_name(crawled.name + ".lock"), "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = cli(
            "crawl",
            "sichuan-en",
            "--db",
            str(crawled),
            "--base-url",
            mirror_url,
            "--allow-private-networks",
        )
    assert result.exit_code == 2 and "another crawl is running" in result.stderr


def test_archive_locked_by_a_writer(crawled: Path, mirror_url: str) -> None:
    other = sqlite3.connect(crawled, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        result = cli(
            "crawl",
            "sichuan-en",
            "--db",
            str(crawled),
            "--base-url",
            mirror_url,
            "--allow-private-networks",
            env={"PORTAL_ARCHIVE_BUSY_TIMEOUT": "0.2"},
        )
        # Readers are never blocked by the writer (WAL).
        assert cli("search", "social", "--db", str(crawled)).exit_code == 0
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 2 and "locked" in result.stderr


def test_blocked_crawl_exits_3(tmp_path: Path, site_copy: Path) -> None:
    class Refusing(MirrorHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/robots.txt":
                super().do_GET()
                return
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with serve_directory(site_copy, handler=Refusing) as url:
        result = cli(
            "crawl",
            "sichuan-en",
            "--db",
            str(tmp_path / "a.db"),
            "--base-url",
            url,
            "--allow-private-networks",
        )
    assert result.exit_code == 3
    assert "refused or rate-limited" in result.stderr


def test_demo_crawls_the_mirror(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = cli("demo", "--db", str(db), "--site-dir", str(SITE))
    assert result.exit_code == 0, result.output
    assert "28 new" in result.stdout and "Try next:" in result.stdout
    assert 'search "social work"' in result.stdout
    again = cli("demo", "--db", str(db), "--site-dir", str(SITE))
    assert again.exit_code == 0 and "28 not modified" in again.stdout


def test_no_arguments_shows_help() -> None:
    result = cli()
    assert "crawl" in result.output and "search" in result.output


def test_crawl_with_a_failed_url_exits_1(tmp_path: Path, site_copy: Path) -> None:
    (site_copy / "10462/10758/10760/10765/2018/7/9/10454731.shtml").unlink()
    with serve_directory(site_copy) as url:
        result = cli(*crawl_args(tmp_path / "a.db", url))
    assert result.exit_code == 1
    assert "27 new" in result.stderr and "failed [not_found] (HTTP 404)" in result.stderr
    assert "10454731.shtml" in result.stderr


def test_show_prints_date_origins_document_fields_and_attachments(tmp_path: Path) -> None:
    url = (
        "https://www.sc.gov.cn/10462/10464/10684/12419/2024/3/15/"
        "3b1f0c2a9d8e4f5a8b7c6d5e4f3a2b1c.shtml"
    )
    body = (SITE.parent / "site-zh" / url.split("www.sc.gov.cn/", 1)[1]).read_bytes()
    page = Page(
        url=url,
        fetch_url=url,
        final_url=url,
        status=200,
        headers=(("content-type", "text/html; charset=gbk"),),
        body=body,
        fetched_at=datetime(2024, 4, 1, tzinfo=UTC),
    )
    article = parse_article(page, load_profile("sichuan-zh"))  # as crawl and reparse do
    db = tmp_path / "a.db"
    with Archive.open(db) as archive:
        archive.save_article(page, article)
    out = cli("show", url, "--db", str(db)).stdout
    assert f"published from {article.published_source}" in out
    assert "Document:" in out and article.document["index_number"] in out
    assert "Attachments:" in out and "[ofd]" in out
