"""The exception hierarchy of portal-archive, and nothing else.

Every error the library raises on purpose derives from ``PortalArchiveError``::

    PortalArchiveError
    ├── ConfigError                  bad settings, unknown profile id
    │   └── ProfileError             invalid TOML, unknown key, bad regex or selector  (.path, .key)
    ├── FetchError                   a URL could not be fetched                       (.url, .kind)
    │   ├── BadStatusError           a final HTTP status such as 404 or 410               (.status)
    │   │   └── BlockedError         403, 429 after retries, 451: the site refuses us
    │   │       └── ChallengeError   an anti-bot challenge (412, 521, a script page)
    │   ├── RobotsDisallowedError    robots.txt forbids the URL; never retried
    │   ├── DisallowedURLError       host not in the profile, private address, bad scheme
    │   ├── TooManyRedirectsError    a redirect chain longer than the limit, or a loop
    │   ├── ResponseTooLargeError    body over the size cap, before or after decompression
    │   └── UnreachableError         DNS, connect, timeout, reset, truncated body; the cause is kept
    ├── ParseError                   a document that cannot be read as an article         (.url)
    └── ArchiveError                 the archive file cannot be used                      (.path)
        └── ArchiveLockedError       another process holds the archive or its crawl lock

``kind`` on a FetchError is a short stable word (``not_found``, ``robots``, ``blocked`` …) that
is stored with the failure in the archive and shown in run reports.

Every error pickles with its attributes (``url``, ``status``, ``page``, an instance's own
``kind`` …): the fetch process sends them to the crawl over a pipe.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for the annotation: models never imports errors
    from .models import Page

__all__ = [
    "ArchiveError",
    "ArchiveLockedError",
    "BadStatusError",
    "BlockedError",
    "ChallengeError",
    "ConfigError",
    "DisallowedURLError",
    "FetchError",
    "ParseError",
    "PortalArchiveError",
    "ProfileError",
    "ResponseTooLargeError",
    "RobotsDisallowedError",
    "TooManyRedirectsError",
    "UnreachableError",
]


class PortalArchiveError(Exception):
    """Base class of every error raised by portal-archive on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # The default rebuilds with ``cls(*args)``, which a keyword-only ``url=`` or
        # ``status=`` makes fail; this restores the same args and attributes without __init__.
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(
    cls: type[PortalArchiveError], args: tuple[Any, ...], state: dict[str, Any]
) -> PortalArchiveError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigError(PortalArchiveError):
    """A setting, option or profile id is not usable."""


class ProfileError(ConfigError):
    """A profile file is invalid. The message names the file and the key."""

    def __init__(self, message: str, *, path: Path | str | None = None, key: str | None = None):
        where = f"{path}" if path else "profile"
        if key:
            where += f": {key}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.key = key


class FetchError(PortalArchiveError):
    """A URL could not be fetched; raised once retries are exhausted.

    ``page`` holds the refusal itself (a challenge or block page) when the site sent one,
    so it can be kept as evidence.
    """

    kind = "fetch_error"

    def __init__(self, message: str, *, url: str):
        super().__init__(message)
        self.url = url
        self.page: Page | None = None
        self.response: tuple[str, int, tuple[tuple[str, str], ...], bytes] | None = None


class BadStatusError(FetchError):
    """The server answered with a status that ends the attempt (404, 410, 500 after retries)."""

    kind = "bad_status"

    def __init__(self, message: str, *, url: str, status: int):
        super().__init__(message, url=url)
        self.status = status
        if status in (404, 410):
            self.kind = "not_found"


class BlockedError(BadStatusError):
    """The site refused us (403, 451, or 429 after every retry)."""

    kind = "blocked"


class ChallengeError(BlockedError):
    """The site answered with an anti-bot challenge (a script to run, a CAPTCHA) instead of
    the page. portal-archive never solves one: the URL fails and the run says so."""

    kind = "challenge"


class RobotsDisallowedError(FetchError):
    """robots.txt forbids this URL, or robots.txt could not be read (RFC 9309: disallow all)."""

    kind = "robots"


class DisallowedURLError(FetchError):
    """The URL, or a redirect to it, leaves the profile's hosts or points at a private address."""

    kind = "disallowed"


class TooManyRedirectsError(FetchError):
    """A redirect chain longer than ``max_redirects`` (usually a loop). Final, never retried."""

    kind = "redirect_loop"


class ResponseTooLargeError(FetchError):
    """The body is larger than the cap, before or after decompression."""

    kind = "too_large"


class UnreachableError(FetchError):
    """Network failure: DNS, connect, timeout, reset or a truncated body. Transient."""

    kind = "unreachable"


class ParseError(PortalArchiveError):
    """A document cannot be read as an article (empty, binary, no title, no body)."""

    kind = "parse_error"

    def __init__(self, message: str, *, url: str | None = None):
        super().__init__(f"{message}" + (f" ({url})" if url else ""))
        self.url = url


class ArchiveError(PortalArchiveError):
    """The archive file cannot be opened, read or written."""

    def __init__(self, message: str, *, path: Path | str | None = None):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


class ArchiveLockedError(ArchiveError):
    """Another process is writing to the archive, or another crawl holds its lock."""
