"""Site profiles: one TOML file per portal, loaded into frozen dataclasses and checked at load.

A profile says where a portal starts, which links are listing pages and which are articles,
and, optionally, CSS selectors for the article's parts. Built-in profiles live in
``portal_archive/portals/``; users pass a path to their own file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from .errors import ConfigError, ProfileError
from .urls import canonicalize_url, origin_of, path_and_query

__all__ = ["CrawlRules", "Selectors", "SiteProfile", "load_profile", "load_profiles"]

_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
_TOP_KEYS = {
    "id",
    "name",
    "description",
    "base_url",
    "hosts",
    "aliases",
    "start_urls",
    "language",
    "crawl",
    "selectors",
}
_CRAWL_KEYS = {"follow", "articles", "delay_s", "max_pages", "sitemaps", "feeds"}
_SELECTOR_KEYS = {"title", "date", "body", "footer", "remove"}


@dataclass(frozen=True, slots=True)
class CrawlRules:
    """Which links to follow as listing pages and which to archive as articles (regexes on
    path+query, matched with ``re.search``)."""

    follow: tuple[re.Pattern[str], ...]
    articles: tuple[re.Pattern[str], ...]
    delay_s: float | None = None
    max_pages: int | None = None
    #: Read the sitemaps robots.txt names (``Sitemap:`` lines), plus these sitemap URLs.
    sitemaps: bool = False
    sitemap_urls: tuple[str, ...] = ()
    #: RSS or Atom feeds whose items are articles.
    feeds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Selectors:
    """CSS selectors (Lexbor), each a list of fallbacks tried in order. ``css@attr`` reads an
    attribute instead of text. Empty lists leave the part to the generic rules."""

    title: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    footer: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteProfile:
    """A portal: its id, origin, hosts, start pages, crawl rules and selectors."""

    id: str
    name: str
    base_url: str
    hosts: tuple[str, ...]
    #: Host names that are another spelling of a host (``sc.gov.cn`` → ``www.sc.gov.cn``).
    aliases: Mapping[str, str] = field(default_factory=dict)
    start_urls: tuple[str, ...]
    crawl: CrawlRules
    selectors: Selectors = field(default_factory=Selectors)
    language: str | None = None
    description: str = ""
    source: str = ""

    @property
    def origin(self) -> str:
        return origin_of(self.base_url)

    def owns(self, url: str) -> bool:
        """True when the URL's host is one of the profile's hosts."""
        return (urlsplit(url).hostname or "").lower() in self.hosts

    def canonical_url(self, url: str) -> str | None:
        """The one spelling of a URL on this site: the base_url's scheme, aliases resolved,
        tracking parameters and fragment dropped. None for a URL off the profile's hosts."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host not in self.hosts:
            return None
        host = self.aliases.get(host, host)
        base = urlsplit(self.base_url)
        if host == base.hostname:
            netloc = base.netloc
        else:
            netloc = host + (f":{parts.port}" if parts.port else "")
        scheme = base.scheme
        return canonicalize_url(f"{scheme}://{netloc}{path_and_query(url)}")

    def is_article(self, url: str) -> bool:
        target = path_and_query(url)
        return any(p.search(target) for p in self.crawl.articles)

    def is_listing(self, url: str) -> bool:
        target = path_and_query(url)
        return any(p.search(target) for p in self.crawl.follow)

    def with_selectors(self, selectors: Selectors) -> SiteProfile:
        return replace(self, selectors=selectors)


def builtin_profile_ids() -> list[str]:
    """Ids of the profiles shipped with portal-archive."""
    folder = resources.files("portal_archive") / "portals"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_profile(name_or_path: str | Path, *, extra_dirs: Iterable[Path] = ()) -> SiteProfile:
    """Load a profile by built-in id, by id in ``extra_dirs``, or from a TOML file path.

    Raises:
        ConfigError: no profile of that id exists.
        ProfileError: the file is unreadable or invalid (the message names file and key).
    """
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise ConfigError(f"profile file not found: {candidate}")
        return _load_file(candidate)
    name = str(name_or_path)
    for folder in extra_dirs:
        path = Path(folder) / f"{name}.toml"
        if path.is_file():
            return _load_file(path)
    resource = resources.files("portal_archive") / "portals" / f"{name}.toml"
    if resource.is_file():
        return _parse(resource.read_bytes(), source=f"<built-in>/{name}.toml", stem=name)
    known = ", ".join(builtin_profile_ids())
    raise ConfigError(
        f"unknown profile {name!r} (built-in profiles: {known}; or give a .toml path)"
    )


def load_profiles(*, extra_dirs: Iterable[Path] = ()) -> list[SiteProfile]:
    """Every built-in profile and every ``*.toml`` in ``extra_dirs``, sorted by id."""
    found = {pid: load_profile(pid) for pid in builtin_profile_ids()}
    for folder in extra_dirs:
        for path in sorted(Path(folder).glob("*.toml")):
            profile = _load_file(path)
            found[profile.id] = profile
    return [found[k] for k in sorted(found)]


def _load_file(path: Path) -> SiteProfile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProfileError(f"cannot read: {exc.strerror}", path=path) from exc
    return _parse(data, source=str(path), stem=None)


def _parse(data: bytes, *, source: str, stem: str | None) -> SiteProfile:
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProfileError("not UTF-8 text", path=source) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"invalid TOML: {exc}", path=source) from exc

    _reject_unknown(raw, _TOP_KEYS, source, prefix="")
    pid = _required_str(raw, "id", source)
    if not _ID.match(pid):
        raise ProfileError("must match [a-z][a-z0-9_-]* (lower case)", path=source, key="id")
    if stem is not None and stem != pid:
        raise ProfileError(f"must equal the file name {stem!r}", path=source, key="id")
    name = _required_str(raw, "name", source)
    base_url = _required_str(raw, "base_url", source)
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProfileError("must be an absolute http(s) URL", path=source, key="base_url")
    base_url = canonicalize_url(base_url)

    hosts = tuple(h.lower() for h in _str_list(raw, "hosts", source)) or (parts.hostname.lower(),)
    if parts.hostname.lower() not in hosts:
        raise ProfileError(
            f"must include the base_url host {parts.hostname!r}", path=source, key="hosts"
        )
    aliases_raw = raw.get("aliases", {})
    if not isinstance(aliases_raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in aliases_raw.items()
    ):
        raise ProfileError("must be a table of host = host", path=source, key="aliases")
    aliases = {k.lower(): v.lower() for k, v in aliases_raw.items()}
    for alias, target in aliases.items():
        if alias not in hosts or target not in hosts:
            raise ProfileError(
                f"{alias!r} = {target!r}: both must be in hosts", path=source, key="aliases"
            )
    starts = _str_list(raw, "start_urls", source)
    if not starts:
        raise ProfileError("needs at least one URL", path=source, key="start_urls")
    start_urls = []
    for url in starts:
        absolute = canonicalize_url(base_url.rstrip("/") + url if url.startswith("/") else url)
        if (urlsplit(absolute).hostname or "") not in hosts:
            raise ProfileError(
                f"{url!r} is not on the profile's hosts", path=source, key="start_urls"
            )
        start_urls.append(absolute)

    crawl_raw = _table(raw, "crawl", source)
    _reject_unknown(crawl_raw, _CRAWL_KEYS, source, prefix="crawl.")
    follow = _regexes(crawl_raw, "follow", source)
    articles = _regexes(crawl_raw, "articles", source)
    if not articles:
        raise ProfileError("needs at least one regex", path=source, key="crawl.articles")
    delay = crawl_raw.get("delay_s")
    if delay is not None and (not isinstance(delay, int | float) or delay < 0):
        raise ProfileError("must be a number ≥ 0", path=source, key="crawl.delay_s")
    max_pages = crawl_raw.get("max_pages")
    if max_pages is not None and (not isinstance(max_pages, int) or max_pages < 1):
        raise ProfileError("must be a whole number ≥ 1", path=source, key="crawl.max_pages")

    sitemaps_raw = crawl_raw.get("sitemaps", False)
    if isinstance(sitemaps_raw, bool):
        use_sitemaps, sitemap_urls = sitemaps_raw, []
    else:
        use_sitemaps, sitemap_urls = True, _str_list(crawl_raw, "sitemaps", source, "crawl.")
    feeds = _str_list(crawl_raw, "feeds", source, "crawl.")

    def to_absolute(url: str) -> str:
        return canonicalize_url(base_url.rstrip("/") + url if url.startswith("/") else url)

    sel_raw = _table(raw, "selectors", source)
    _reject_unknown(sel_raw, _SELECTOR_KEYS, source, prefix="selectors.")
    selectors = Selectors(**{k: _selectors(sel_raw, k, source) for k in _SELECTOR_KEYS})

    language = raw.get("language")
    if language is not None and not isinstance(language, str):
        raise ProfileError("must be a string", path=source, key="language")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise ProfileError("must be a string", path=source, key="description")
    return SiteProfile(
        id=pid,
        name=name,
        base_url=base_url,
        hosts=hosts,
        aliases=aliases,
        start_urls=tuple(start_urls),
        crawl=CrawlRules(
            follow=follow,
            articles=articles,
            delay_s=float(delay) if delay is not None else None,
            max_pages=max_pages,
            sitemaps=use_sitemaps,
            sitemap_urls=tuple(to_absolute(u) for u in sitemap_urls),
            feeds=tuple(to_absolute(u) for u in feeds),
        ),
        selectors=selectors,
        language=language,
        description=description,
        source=source,
    )


def _reject_unknown(table: Mapping[str, Any], allowed: set[str], source: str, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise ProfileError(
                f"unknown key (known keys: {known})", path=source, key=f"{prefix}{key}"
            )


def _required_str(raw: Mapping[str, Any], key: str, source: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProfileError("is required and must be a non-empty string", path=source, key=key)
    return value.strip()


def _table(raw: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ProfileError("must be a table", path=source, key=key)
    return value


def _str_list(raw: Mapping[str, Any], key: str, source: str, prefix: str = "") -> list[str]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ProfileError(
            "must be a string or a list of non-empty strings", path=source, key=prefix + key
        )
    return list(value)


def _regexes(raw: Mapping[str, Any], key: str, source: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in _str_list(raw, key, source, prefix="crawl."):
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise ProfileError(
                f"bad regex {pattern!r}: {exc}", path=source, key=f"crawl.{key}"
            ) from exc
    return tuple(compiled)


_EMPTY_DOC = LexborHTMLParser("<html><body></body></html>")


def _selectors(raw: Mapping[str, Any], key: str, source: str) -> tuple[str, ...]:
    selectors = _str_list(raw, key, source, prefix="selectors.")
    for selector in selectors:
        css, _, _attr = selector.partition("@")
        try:
            _EMPTY_DOC.css(css)
        except Exception as exc:  # selectolax raises ValueError / SelectolaxError variants
            raise ProfileError(
                f"bad CSS selector {selector!r}: {exc}", path=source, key=f"selectors.{key}"
            ) from exc
    return tuple(selectors)
