"""URL rules: canonical form, mapping between a profile's origin and a mirror, address policy.

Pure functions, no I/O.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

__all__ = [
    "canonicalize_url",
    "is_public_address",
    "origin_of",
    "path_and_query",
    "rebase_url",
    "resolve_link",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Parameters that track the reader, not the document; two URLs differing only by them are one page.
_TRACKING = re.compile(r"^(utm_\w+|spm|from|isappinstalled|fbclid|gclid|share_token|_hsenc|_hsmi)$")


# A site's navigation links repeat on every page it serves: canonicalize each spelling once.
@functools.lru_cache(maxsize=16_384)
def canonicalize_url(url: str) -> str:
    """The one spelling of a URL that identifies a document.

    Lower-cased scheme and host, no default port, no fragment, no tracking parameters, an
    empty path written as ``/``. The path itself is kept as the site spells it.

    >>> canonicalize_url("HTTPS://WWW.SC.gov.cn:443/a/b.shtml?utm_source=x#top")
    'https://www.sc.gov.cn/a/b.shtml'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    netloc = f"[{host}]" if ":" in host else host
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{parts.port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query, doseq=True), ""))


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, canonicalised."""
    parts = urlsplit(canonicalize_url(url))
    return f"{parts.scheme}://{parts.netloc}"


def path_and_query(url: str) -> str:
    """The part of a URL that profile rules match: path, plus ``?query`` when there is one."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def rebase_url(url: str, origin: str) -> str:
    """The same path and query on another origin (a mirror, or back to the real site)."""
    return origin.rstrip("/") + path_and_query(url)


def resolve_link(href: str, page_url: str) -> str | None:
    """An absolute http(s) URL for a link found on ``page_url``; None for other schemes and for
    malformed links."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        absolute = urljoin(page_url, href)
        if urlsplit(absolute).scheme not in _DEFAULT_PORTS:
            return None
        return canonicalize_url(absolute)
    except ValueError:  # a bad port or IPv6 literal: a broken link, not a broken page
        return None


def is_public_address(address: str) -> bool:
    """True for a globally routable IP address; False for loopback, private, link-local, etc.

    IPv4-mapped IPv6 addresses are judged by the IPv4 address they carry.
    """
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
