"""Settings: the defaults, overlaid by PORTAL_ARCHIVE_* environment variables, then CLI flags.

Built once by the CLI and passed down; library code never reads the environment itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ConfigError

__all__ = ["DEFAULT_DB_PATH", "DEFAULT_USER_AGENT", "Settings"]

DEFAULT_DB_PATH = Path("data/archive.db")
# Names the tool; operators add their own contact with PORTAL_ARCHIVE_USER_AGENT.
DEFAULT_USER_AGENT = "portal-archive/0.1 (archiver of public government releases)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything a run can be tuned with. Profiles may only make politeness stricter."""

    db_path: Path = DEFAULT_DB_PATH
    user_agent: str = DEFAULT_USER_AGENT
    #: Seconds between two requests to the same host, randomised by ± ``jitter`` × delay.
    delay_s: float = 1.0
    jitter: float = 0.5
    #: robots.txt ``Crawl-delay`` is honoured up to this many seconds.
    max_crawl_delay_s: float = 60.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    #: httpx's read timeout is per chunk; this bounds a whole response (a drip-feeding server).
    total_timeout_s: float = 120.0
    #: Retries after the first attempt, for network errors, 408, 429 and 5xx only.
    max_retries: int = 3
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    #: A Retry-After above this is not waited for: the URL fails as rate-limited.
    max_retry_after_s: float = 300.0
    max_redirects: int = 10
    #: Cap on a body, both as sent and after gzip/deflate is undone.
    max_body_bytes: int = 10 * 1024 * 1024
    respect_robots: bool = True
    allow_private_networks: bool = False
    #: Hosts crawled at the same time (each host still gets one request at a time).
    max_hosts_in_flight: int = 8
    #: How long a writer waits for another writer before the archive counts as locked.
    busy_timeout_s: float = 10.0
    #: Send every request through this proxy (http://, https:// or socks5://). Never taken
    #: from the environment unless the user passes it.
    proxy: str | None = None
    #: Cap on a downloaded attachment (--download-attachments).
    max_attachment_bytes: int = 100 * 1024 * 1024
    profile_dirs: tuple[Path, ...] = field(default_factory=tuple)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults overlaid by ``PORTAL_ARCHIVE_DB``, ``_USER_AGENT``, ``_DELAY``,
        ``_BUSY_TIMEOUT`` (seconds) and ``_PROFILES`` (folders of profile files).

        Raises:
            ConfigError: a variable holds a value of the wrong type.
        """
        env = os.environ if environ is None else environ
        settings = cls()
        if value := env.get("PORTAL_ARCHIVE_DB"):
            settings = replace(settings, db_path=Path(value))
        if value := env.get("PORTAL_ARCHIVE_USER_AGENT"):
            settings = replace(settings, user_agent=value)
        if value := env.get("PORTAL_ARCHIVE_DELAY"):
            try:
                settings = replace(settings, delay_s=float(value))
            except ValueError as exc:
                raise ConfigError(f"PORTAL_ARCHIVE_DELAY={value!r} is not a number") from exc
        if value := env.get("PORTAL_ARCHIVE_BUSY_TIMEOUT"):
            try:
                settings = replace(settings, busy_timeout_s=float(value))
            except ValueError as exc:
                raise ConfigError(f"PORTAL_ARCHIVE_BUSY_TIMEOUT={value!r} is not a number") from exc
        if value := env.get("PORTAL_ARCHIVE_PROFILES"):
            dirs = tuple(Path(p) for p in value.split(os.pathsep) if p)
            settings = replace(settings, profile_dirs=dirs)
        return settings
