"""Telling a refusal from a page: anti-bot challenges, login walls and soft 404s.

Private to the crawl stage. Government portals (and the WAFs in front of them) answer a
crawler with a JavaScript challenge served as 200, 202, 412 or 521, redirect it to a login
or CAPTCHA page, or serve "page not found" with status 200. None of these is an article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

from ._encoding import decode_html
from .models import Page

__all__ = ["Refusal", "detect_refusal"]

# Looked for in the lower-cased head of the page. Plain substrings are searched with
# ``bytes.__contains__`` (C, a few µs each over 32 KB); the two markers that need a pattern are
# matched only when their literal start is there. One regex alternation of all of them cost
# 0.42 ms on a 20 KB page (the engine tries every alternative at every position); with this,
# all of detect_refusal takes 0.18 ms there (bench_crawl.py stage costs).
_CHALLENGE_LITERALS: Final = (
    b"__jsl_clearance",
    b"_incapsula_resource",
    b"cf-browser-verification",
    b"challenge-platform",
    b"cf_chl_opt",
    b"/cdn-cgi/challenge",
    b"acw_sc__v2",
    b"waf_sc",
    b"yunsuo_session",
    b"please enable javascript and cookies",
    "请开启 javascript".encode(),
)
_CHALLENGE_PATTERNS: Final = (
    (b"$_ts", re.compile(rb"\$_ts\s*=")),
    (
        b"document.cookie",
        re.compile(rb"document\.cookie\s*=.{0,200}location\.(?:reload|href)", re.DOTALL),
    ),
)
_LOGIN_PATH: Final = re.compile(
    r"/(?:login|logon|signin|sign-in|passport|sso|cas/login|auth|captcha|verify|yzm)(?:[/._?]|$)",
    re.IGNORECASE,
)
_SOFT_404: Final = re.compile(
    r"<title>[^<]{0,80}(?:404|not\s+found|页面不存在|页面未找到|找不到|无法找到|已删除|不存在)"
    r"[^<]{0,80}</title>",
    re.IGNORECASE,
)
_SCRIPT: Final = re.compile(rb"<script", re.IGNORECASE)
_SMALL: Final = 16 * 1024


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a response is not the page that was asked for."""

    kind: Literal["challenge", "blocked", "not_found"]
    reason: str


def detect_refusal(page: Page) -> Refusal | None:
    """A challenge, login wall or soft 404 in a fetched page, or None for a real page."""
    body = page.body
    head = body[: _SMALL * 4]
    if page.status in (202, 412, 521) and _SCRIPT.search(head):
        return Refusal("challenge", f"HTTP {page.status} with a script: an anti-bot challenge")
    # Challenge pages are small; a long page with such a word in it is an article about them.
    if len(body) < 256 * 1024 and _has_challenge_marker(head[: _SMALL * 2].lower()):
        return Refusal("challenge", "the page is an anti-bot JavaScript challenge")
    requested, final = urlsplit(page.fetch_url), urlsplit(page.final_url)
    if final.path != requested.path and _LOGIN_PATH.search(final.path):
        return Refusal("blocked", f"redirected to a login or CAPTCHA page ({page.final_url})")
    text = decode_html(head, page.charset)[0]  # a GBK "页面不存在" must match too
    if _SOFT_404.search(text):
        return Refusal("not_found", "the page says it does not exist (a soft 404)")
    return None


def _has_challenge_marker(lowered: bytes) -> bool:
    if any(marker in lowered for marker in _CHALLENGE_LITERALS):
        return True
    return any(start in lowered and p.search(lowered) for start, p in _CHALLENGE_PATTERNS)
