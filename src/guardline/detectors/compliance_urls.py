"""Links in outbound messages: extraction, host parsing and the allow-list.

URLs are found in the ORIGINAL text (not the normalised one): a homoglyph or an invisible character
in a host is exactly what an allow-list must not fold away, so such a host never equals an allowed
domain. Found: ``scheme://...``, ``www....`` and bare ``domain.tld/...`` for common top-level domains
(bare words like ``file.txt`` are not links). The host is what a browser would open: userinfo
(``https://allowed.com@evil.example``) and port are removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Link", "find_links", "host_allowed", "shorteners"]

_TLDS = ("com|net|org|info|biz|io|co|ly|me|gl|gd|to|app|ai|dev|link|page|site|online|shop|store|"
         "de|fr|es|it|nl|se|pt|be|ch|at|dk|no|fi|pl|cz|ie|uk|eu|us|ca|au|nz|br|mx|ar|in|jp|cn|ru|"
         "cc|tv|id|ae|gy|st|im|xyz|club|one")
# (?<![a-z]): a scheme never starts mid-word (the word's start would match first), so the engine need
# not try every letter; the atomic label (?>...) has one way to match, so no backtracking within it
_SCHEME = r"(?<![a-z])[a-z][a-z0-9+.\-]*://[^\s<>\"'`]+"
_WWW = r"www\.[^\s<>\"'`]+"
_BARE = rf"(?<![\w@.\-])(?:(?>[a-z0-9]+(?:-+[a-z0-9]+)*)\.)+(?:{_TLDS})(?![\w\-])(?:[/?#][^\s<>\"'`]*)?"
_LINK = re.compile(f"{_SCHEME}|{_WWW}|{_BARE}", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"»"


@dataclass(frozen=True, slots=True)
class Link:
    start: int
    end: int
    host: str  # lower-cased; may hold non-ASCII or invisible characters (never allowed then)


def _host(url: str) -> str:
    rest = url.split("://", 1)[1] if "://" in url else url
    authority = re.split(r"[/?#\\]", rest, maxsplit=1)[0]
    authority = authority.rsplit("@", 1)[-1]
    if authority.startswith("["):  # IPv6 literal
        return authority.split("]", 1)[0] + "]"
    return authority.split(":", 1)[0].lower().rstrip(".")


def find_links(text: str) -> Iterator[Link]:
    for m in _LINK.finditer(text):
        start, end = m.start(), m.end()
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        host = _host(text[start:end])
        if host:
            yield Link(start, end, host)


def host_allowed(host: str, domains: Iterable[str]) -> bool:
    """``host`` is one of ``domains`` (lower-case ASCII) or a subdomain of one."""
    return any(host == d or host.endswith("." + d) for d in domains)


@lru_cache(maxsize=1)
def shorteners() -> frozenset[str]:
    text = resources.files("guardline").joinpath("data", "compliance", "shorteners.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))
