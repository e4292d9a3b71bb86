"""Profile files: shipped ones honour the contract; bad ones fail at load, naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal_archive import ConfigError, ProfileError, load_profile, load_profiles
from portal_archive.profiles import builtin_profile_ids

from .conftest import FIXTURES

VALID = """
id = "example"
name = "Example ministry"
base_url = "https://www.example.gov/"
start_urls = ["/news/index.html"]
[crawl]
follow = ['^/news/index(_\\d+)?\\.html$']
articles = ['^/news/\\d{4}/[\\w-]+\\.html$']
"""


def write(tmp_path: Path, text: str, name: str = "example.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize("pid", builtin_profile_ids())
def test_builtin_profile_contract(pid: str) -> None:
    profile = load_profile(pid)
    assert profile.id == pid
    assert all(profile.owns(url) for url in profile.start_urls)
    goldens = sorted((FIXTURES / "golden" / pid).glob("*.json"))
    assert goldens, f"profile {pid} has no golden fixtures"


def test_builtin_ids_are_unique() -> None:
    ids = [p.id for p in load_profiles()]
    assert len(ids) == len(set(ids))


def test_sichuan_rules_classify_real_url_shapes() -> None:
    profile = load_profile("sichuan-en")
    articles = [
        "https://www.sc.gov.cn/10462/10758/10760/10765/2017/12/28/10441831.shtml",
        "https://www.sc.gov.cn/10462/10758/10760/10765/2019/7/15/cbc10620f2984e39baa6265f33c51a95.shtml",
        "https://www.sc.gov.cn/10462/10758/10760/10765/201903/4a5916b8d2844e67aebc519659c96a9e.shtml",
        "https://www.sc.gov.cn/10462/newsdlb/2019/7/9/ee461491d7d44724b8d8240e4f4607ff.shtml",
    ]
    listings = [
        "https://www.sc.gov.cn/10462/10758/10760/10765/index.shtml",
        "https://www.sc.gov.cn/10462/10758/10760/10765/index_2.shtml",
        "https://www.sc.gov.cn/10462/10758/index.shtml",
    ]
    neither = ["https://www.sc.gov.cn/10462/10464/index.shtml", "https://www.sc.gov.cn/so4/s?x=1"]
    assert all(profile.is_article(u) and not profile.is_listing(u) for u in articles)
    assert all(profile.is_listing(u) and not profile.is_article(u) for u in listings)
    assert not any(profile.is_article(u) or profile.is_listing(u) for u in neither)
    assert profile.owns("http://sc.gov.cn/x") and not profile.owns("https://evil.example/x")


def test_profile_without_selectors_loads(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, VALID))
    assert profile.selectors.title == () and profile.hosts == ("www.example.gov",)
    assert profile.start_urls == ("https://www.example.gov/news/index.html",)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("colour = 1\n" + VALID, "colour"),
        (VALID.replace("[crawl]", "[crawl]\nfolow = ['x']"), "crawl.folow"),
        (VALID + "[selectors]\ntitel = ['h1']\n", "selectors.titel"),
        (VALID.replace("'^/news/\\d{4}/[\\w-]+\\.html$'", "'(unclosed'"), "crawl.articles"),
        (VALID + "[selectors]\ntitle = ['h1[']\n", "selectors.title"),
        (VALID.replace('id = "example"', 'id = "Example Id"'), "id"),
        (
            VALID.replace('base_url = "https://www.example.gov/"', 'base_url = "ftp://x"'),
            "base_url",
        ),
        (
            VALID.replace(
                'start_urls = ["/news/index.html"]', 'start_urls = ["https://other.example/"]'
            ),
            "start_urls",
        ),
        (VALID.replace('start_urls = ["/news/index.html"]', "start_urls = []"), "start_urls"),
        (VALID.replace('name = "Example ministry"', ""), "name"),
        (VALID + "[selectors]\nbody = 3\n", "selectors.body"),
        (VALID.replace("[crawl]", "[crawl]\ndelay_s = -1"), "crawl.delay_s"),
    ],
    ids=[
        "unknown-top",
        "unknown-crawl",
        "unknown-selector",
        "bad-regex",
        "bad-css",
        "bad-id",
        "bad-base-url",
        "offsite-start",
        "no-start",
        "no-name",
        "selector-type",
        "neg-delay",
    ],
)
def test_invalid_profile_names_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(path) in str(caught.value) and f": {key}" in str(caught.value)
    assert caught.value.key == key


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "id = [unterminated\n")
    with pytest.raises(ProfileError, match="invalid TOML"):
        load_profile(path)


def test_unknown_id_lists_known_ones() -> None:
    with pytest.raises(ConfigError, match="sichuan-en"):
        load_profile("atlantis")


def test_profile_dirs_are_searched(tmp_path: Path) -> None:
    write(tmp_path, VALID)
    assert load_profile("example", extra_dirs=[tmp_path]).name == "Example ministry"
    assert "example" in [p.id for p in load_profiles(extra_dirs=[tmp_path])]
