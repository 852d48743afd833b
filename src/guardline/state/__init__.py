"""State stores: memory (default), SQLite, Redis; chosen by URL with ``open_state``.

| URL | store |
|---|---|
| ``memory://`` (or none) | ``MemoryStore``: in-process, compact (about 80 bytes per fingerprint) |
| ``sqlite:///relative.db``, ``sqlite:////abs/path.db``, ``sqlite:///:memory:`` | ``SqliteStore`` |
| ``redis://host:port/db``, ``rediss://...``, ``unix:///path.sock`` | ``RedisStore`` (several replicas) |

Query parameters understood by every backend: ``ttl`` (default retention of fingerprints, seconds;
``0`` or absent = until forgotten). Redis also takes ``prefix`` (key prefix, default ``guardline``);
other Redis query parameters go to redis-py.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ConfigError
from .base import StateStore
from .memory import MemoryStore

__all__ = ["MemoryStore", "StateStore", "open_state"]


def _ttl(params: dict[str, str], url: str) -> float | None:
    raw = params.pop("ttl", None)
    if raw is None:
        return None
    try:
        ttl = float(raw)
    except ValueError:
        raise ConfigError(f"state URL {_safe(url)}: ttl must be a number of seconds, got {raw!r}") from None
    if ttl < 0:
        raise ConfigError(f"state URL {_safe(url)}: ttl must not be negative")
    return ttl or None


def _safe(url: str) -> str:
    """The URL without its password, for error messages."""
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def open_state(url: str | None) -> StateStore:
    """Open the state store named by ``url`` (``GUARDLINE_STATE_URL``); None means in-process memory."""
    if not url or url in ("memory://", "memory:"):
        return MemoryStore()
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    scheme = parts.scheme.lower()
    if scheme == "memory":
        return MemoryStore(default_ttl_s=_ttl(params, url))
    if scheme == "sqlite":
        ttl = _ttl(params, url)
        prefix = "sqlite:///"
        if not url.startswith(prefix):
            raise ConfigError(f"state URL {url!r}: expected sqlite:///relative.db or sqlite:////abs.db")
        path = url[len(prefix):].split("?", 1)[0]
        if not path:
            raise ConfigError(f"state URL {url!r}: no database path")
        from .sqlite import SqliteStore

        return SqliteStore(path, default_ttl_s=ttl)
    if scheme in ("redis", "rediss", "unix"):
        ttl = _ttl(params, url)
        key_prefix = params.pop("prefix", "guardline")
        try:
            from .redis import RedisStore
        except ImportError as exc:  # the optional dependency is missing
            raise ConfigError(f"state URL {_safe(url)}: install guardline[redis] ({exc})") from exc
        redis_url = urlunsplit(parts._replace(query=urlencode(params)))
        return RedisStore(redis_url, prefix=key_prefix, default_ttl_s=ttl)
    raise ConfigError(f"state URL {_safe(url)}: unknown scheme {parts.scheme!r} "
                      "(expected memory://, sqlite:///path.db or redis://host:port/db)")
