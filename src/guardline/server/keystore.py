"""Tenants and API keys, in two small tables of the audit database (SQLite or PostgreSQL).

A key is ``glk_<id>_<secret>``: ``id`` (12 hex digits) finds the row, ``secret`` is 32 random bytes
(URL-safe base64). Only ``SHA-256(key)`` is stored; a presented key is hashed and compared with
``hmac.compare_digest``. A high-entropy random key needs no slow password hash: nobody can brute-force
2^256 preimages. The full key is shown once, at creation.

Scopes: ``check`` (check messages, the proxy, send, register identifiers) < ``read`` (also read
conversations and audit) < ``admin`` (also forget customers, manage the tenant). Every key belongs to
exactly one tenant and sees only that tenant's data.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError, StoreError
from ..types import TENANT_RE

__all__ = ["SCOPES", "ApiKey", "KeyStore", "Principal", "open_keystore"]

SCOPES = ("check", "read", "admin")
_RANK = {s: i for i, s in enumerate(SCOPES)}
_KEY_RE = re.compile(r"^glk_([0-9a-f]{12})_([A-Za-z0-9_\-]{43})$")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS gl_tenants (name TEXT PRIMARY KEY, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS gl_api_keys (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, "
    "scope TEXT NOT NULL, key_hash TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)",
    "CREATE INDEX IF NOT EXISTS gl_api_keys_tenant ON gl_api_keys (tenant)",
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's tenant and scope."""

    tenant: str
    scope: str
    key_id: str

    def allows(self, scope: str) -> bool:
        return _RANK[self.scope] >= _RANK[scope]


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    tenant: str
    scope: str
    created_at: str
    revoked_at: str | None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class KeyStore:
    """Create and verify keys. Verified keys are cached for ``cache_ttl_s`` (revocation takes effect
    within that time in every replica)."""

    def __init__(self, url: str, *, cache_ttl_s: float = 5.0, cache_size: int = 10_000) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._ttl = cache_ttl_s
        self._cache_size = cache_size
        scheme = urlsplit(url).scheme.lower()
        self._pg = scheme in ("postgresql", "postgres")
        if scheme == "sqlite":
            self._conn: Any = self._sqlite(url)
        elif self._pg:
            self._conn = self._postgres(url)
        else:
            raise ConfigError(f"key store URL: unsupported scheme {scheme!r} (sqlite:/// or postgresql://)")
        with self._tx() as cur:
            for stmt in _SCHEMA:
                cur.execute(stmt)

    # -- connections ---------------------------------------------------------------------------------
    @staticmethod
    def _sqlite(url: str) -> sqlite3.Connection:
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url[len("sqlite://"):]
        try:
            conn = sqlite3.connect(path or ":memory:", timeout=30.0, isolation_level=None,
                                   check_same_thread=False)
            if path and path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise StoreError(f"key store: cannot open SQLite database: {exc}") from exc
        return conn

    @staticmethod
    def _postgres(url: str) -> Any:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - the postgres extra is absent
            raise ConfigError("key store: PostgreSQL needs the 'postgres' extra (psycopg)") from exc
        from ..audit.postgres import split_url  # the same URL rules as the audit store (?schema=)

        dsn, schema = split_url(url)
        try:
            conn = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
            if schema is not None:
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                conn.execute(f'SET search_path TO "{schema}"')
            return conn
        except psycopg.Error as exc:
            raise StoreError(f"key store: cannot connect to PostgreSQL at {urlsplit(url).hostname}") from exc

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        with self._lock:
            try:
                if self._pg:
                    with self._conn.transaction(), self._conn.cursor() as cur:
                        yield _PgCursor(cur)
                else:
                    cur = self._conn.cursor()
                    cur.execute("BEGIN IMMEDIATE")
                    try:
                        yield cur
                    except BaseException:
                        cur.execute("ROLLBACK")
                        raise
                    cur.execute("COMMIT")
            except (sqlite3.Error, _pg_errors()) as exc:
                raise StoreError(f"key store: {type(exc).__name__}") from exc

    # -- tenants -------------------------------------------------------------------------------------
    def create_tenant(self, name: str) -> bool:
        """Create a tenant; False if it already exists."""
        if not TENANT_RE.match(name):
            raise ConfigError("tenant name: 1-128 characters of A-Z a-z 0-9 _ . -")
        with self._tx() as cur:
            cur.execute("SELECT 1 FROM gl_tenants WHERE name = ?", (name,))
            if cur.fetchone():
                return False
            cur.execute("INSERT INTO gl_tenants (name, created_at) VALUES (?, ?)", (name, _now()))
            return True

    def tenants(self) -> list[str]:
        with self._tx() as cur:
            cur.execute("SELECT name FROM gl_tenants ORDER BY name")
            return [r[0] for r in cur.fetchall()]

    def has_keys(self) -> bool:
        with self._tx() as cur:
            cur.execute("SELECT 1 FROM gl_api_keys WHERE revoked_at IS NULL LIMIT 1")
            return cur.fetchone() is not None

    # -- keys ----------------------------------------------------------------------------------------
    def create_key(self, tenant: str, scope: str = "check") -> tuple[str, ApiKey]:
        """Returns (the full key, shown once; its record)."""
        if scope not in _RANK:
            raise ConfigError(f"scope must be one of {', '.join(SCOPES)}")
        key_id = secrets.token_hex(6)
        key = f"glk_{key_id}_{secrets.token_urlsafe(32)}"
        created = _now()
        with self._tx() as cur:
            cur.execute("SELECT 1 FROM gl_tenants WHERE name = ?", (tenant,))
            if not cur.fetchone():
                raise ConfigError(f"unknown tenant {tenant!r}; create it with `guardline tenants create`")
            cur.execute("INSERT INTO gl_api_keys (id, tenant, scope, key_hash, created_at) "
                        "VALUES (?, ?, ?, ?, ?)", (key_id, tenant, scope, _hash(key), created))
        return key, ApiKey(key_id, tenant, scope, created, None)

    def list_keys(self, tenant: str) -> list[ApiKey]:
        with self._tx() as cur:
            cur.execute("SELECT id, tenant, scope, created_at, revoked_at FROM gl_api_keys "
                        "WHERE tenant = ? ORDER BY created_at, id", (tenant,))
            return [ApiKey(*row) for row in cur.fetchall()]

    def revoke_key(self, tenant: str, key_id: str) -> bool:
        with self._tx() as cur:
            cur.execute("UPDATE gl_api_keys SET revoked_at = ? WHERE id = ? AND tenant = ? "
                        "AND revoked_at IS NULL", (_now(), key_id, tenant))
            done = bool(cur.rowcount)
        with self._lock:
            self._cache.clear()
        return done

    def verify(self, key: str) -> Principal | None:
        """The principal of a valid, unrevoked key; None otherwise."""
        digest = _hash(key)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[1] > now:
            return hit[0]
        m = _KEY_RE.match(key)
        if m is None:
            return None
        with self._tx() as cur:
            cur.execute("SELECT tenant, scope, key_hash, revoked_at FROM gl_api_keys WHERE id = ?",
                        (m.group(1),))
            row = cur.fetchone()
        if row is None or row[3] is not None or not hmac.compare_digest(row[2], digest):
            return None
        principal = Principal(tenant=row[0], scope=row[1], key_id=m.group(1))
        with self._lock:
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[digest] = (principal, now + self._ttl)
        return principal

    def ping(self) -> None:
        with self._tx() as cur:
            cur.execute("SELECT 1")

    def close(self) -> None:
        with self._lock:
            try:
                self._conn.close()
            except Exception:  # closing a broken connection must not mask the real error
                pass


class _PgCursor:
    """psycopg cursor with ``?`` placeholders, like sqlite3's."""

    def __init__(self, cur: Any) -> None:
        self._cur = cur

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._cur.execute(sql.replace("?", "%s"), params)

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> Any:
        return self._cur.fetchall()

    @property
    def rowcount(self) -> int:
        return int(self._cur.rowcount)


def _pg_errors() -> type[Exception]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        return sqlite3.Error
    return psycopg.Error


def open_keystore(url: str) -> KeyStore:
    return KeyStore(url)
