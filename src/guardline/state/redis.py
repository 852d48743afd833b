"""Redis state store: shared by several gateway replicas (``redis://host:port/db``).

Key layout (``P`` is the key prefix, default ``guardline``; tenant names cannot contain ``:``):

- ``P:{tenant}:f:{fingerprint bytes}``: hash ``customer -> expiry`` (unix seconds, ``0`` = never);
  the key itself expires with its longest-lived owner, so Redis reclaims the memory;
- ``P:{tenant}:c:{customer}``: set of the customer's fingerprints, for ``forget_customer``;
- ``P:{tenant}:r:{len(namespace)}:{namespace}:{key}``: small records and counters, with native TTLs.

Fingerprints are added (one call per 500 keys) and ``incr_many`` counters bumped by Lua scripts
(``EVALSHA``, each atomic); every method sends ONE pipeline or script call, so a call is one round
trip: ``record_and_lookup`` (the leakage detector's only call per check) queues the adds of every
customer and the lookups together. A server that lost a script (restart, ``SCRIPT FLUSH``) answers
``NOSCRIPT``; the store loads it and resends once. Every Redis exception becomes ``StoreError``; the
client reconnects on the next call once the server is back (one immediate retry, no backoff: a check
must not stall on a dead store).
Only single-node Redis is supported (a Lua call touches keys of several hash slots).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..errors import ConfigError, StoreError

__all__ = ["RedisStore"]

_BATCH = 500

# KEYS: fingerprint keys..., then the customer's index key. ARGV: customer, expiry ("0" = never),
# ttl seconds (0 = never), length of the fingerprint-key prefix.
_ADD = """
local customer, expiry, ttl, plen = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local function keep(k, existed)
  if ttl == 0 then
    redis.call('PERSIST', k)
  else
    local cur = redis.call('TTL', k)
    if existed == 0 or (cur >= 0 and cur < ttl) then redis.call('EXPIRE', k, ttl) end
  end
end
local ck = KEYS[#KEYS]
local cexisted = redis.call('EXISTS', ck)
for i = 1, #KEYS - 1 do
  local k = KEYS[i]
  local existed = redis.call('EXISTS', k)
  redis.call('HSET', k, customer, expiry)
  keep(k, existed)
  redis.call('SADD', ck, string.sub(k, plen + 1))
end
keep(ck, cexisted)
return #KEYS - 1
"""

# KEYS: the customer's index key. ARGV: customer, fingerprint-key prefix.
_FORGET = """
local fps = redis.call('SMEMBERS', KEYS[1])
local n = 0
for _, fp in ipairs(fps) do
  n = n + redis.call('HDEL', ARGV[2] .. fp, ARGV[1])
end
redis.call('DEL', KEYS[1])
return n
"""

# KEYS: counter keys. ARGV: TTL in milliseconds (0 = none), then one amount per key. The script
# replaces a MULTI/EXEC of INCRBY + PEXPIRE NX per key: as atomic, but ONE reply to parse instead of
# two per key, which was most of the client-side CPU of the monitor's per-check counters.
_INCR_MANY = """
local ms = tonumber(ARGV[1])
for i, k in ipairs(KEYS) do
  redis.call('INCRBY', k, ARGV[i + 1])
  if ms > 0 then redis.call('PEXPIRE', k, ms, 'NX') end
end
return #KEYS
"""


class RedisStore:
    """State in Redis, isolated per tenant and under ``prefix``."""

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, prefix: str = "guardline",
                 default_ttl_s: float | None = None, clock: Callable[[], float] = time.time,
                 socket_timeout_s: float = 2.0, client: redis.Redis | None = None) -> None:
        if ":" in prefix or not prefix:
            raise ConfigError("Redis key prefix must be non-empty and contain no ':'")
        self.prefix = prefix
        self.default_ttl_s = default_ttl_s
        self._clock = clock
        try:
            self._r = client if client is not None else redis.Redis.from_url(
                url, socket_timeout=socket_timeout_s, socket_connect_timeout=socket_timeout_s,
                retry=Retry(NoBackoff(), 1), health_check_interval=0)
        except (redis.RedisError, ValueError) as exc:
            raise ConfigError(f"Redis state store: bad URL or options: {exc}") from exc
        self._add = self._r.register_script(_ADD)
        self._forget = self._r.register_script(_FORGET)
        self._incr_many = self._r.register_script(_INCR_MANY)

    # -- plumbing ----------------------------------------------------------------------------------
    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as exc:
            raise StoreError(f"Redis state store: {type(exc).__name__}: {exc}") from exc

    def _fp_prefix(self, tenant: str) -> bytes:
        return f"{self.prefix}:{tenant}:f:".encode()

    def _customer_key(self, tenant: str, customer: str) -> bytes:
        return f"{self.prefix}:{tenant}:c:".encode() + customer.encode()

    def _record_key(self, tenant: str, namespace: str, key: str) -> bytes:
        return f"{self.prefix}:{tenant}:r:{len(namespace)}:{namespace}:{key}".encode()

    def _ttl(self, ttl_s: float | None) -> float | None:
        ttl = self.default_ttl_s if ttl_s is None else ttl_s
        return None if ttl is None or ttl <= 0 else ttl

    # -- fingerprints ------------------------------------------------------------------------------
    def _queue_adds(self, pipe: Any, tenant: str, customer: str, fingerprints: Iterable[bytes],
                    ttl_s: float | None) -> None:
        """Queue the add script (by SHA) for one customer's fingerprints, in batches of ``_BATCH``."""
        ttl = self._ttl(ttl_s)
        expiry = "0" if ttl is None else repr(self._clock() + ttl)
        ttl_arg = 0 if ttl is None else math.ceil(ttl)
        prefix = self._fp_prefix(tenant)
        ckey = self._customer_key(tenant, customer)
        keys = [prefix + bytes(fp) for fp in fingerprints]
        for i in range(0, len(keys), _BATCH):
            batch = [*keys[i:i + _BATCH], ckey]
            pipe.evalsha(self._add.sha, len(batch), *batch, customer, expiry, ttl_arg, len(prefix))

    def _run(self, build: Callable[[Any], None]) -> list[Any]:
        """Build one pipeline and send it: ONE round trip. If the server lost the add script (restart,
        SCRIPT FLUSH), load it and send again (adds are idempotent)."""
        for attempt in (0, 1):
            pipe = self._r.pipeline(transaction=False)
            build(pipe)
            results: list[Any] = pipe.execute(raise_on_error=False)
            if attempt == 0 and any(isinstance(r, redis.exceptions.NoScriptError) for r in results):
                self._r.script_load(_ADD)
                continue
            for r in results:
                if isinstance(r, Exception):
                    raise r
            return results
        raise AssertionError("unreachable")  # pragma: no cover

    def add_fingerprints(self, tenant: str, customer: str, fingerprints: Iterable[bytes], *,
                         ttl_s: float | None = None) -> None:
        fps = list(fingerprints)
        if not fps:
            return
        with self._guard():
            self._run(lambda pipe: self._queue_adds(pipe, tenant, customer, fps, ttl_s))

    def owners(self, tenant: str, fingerprints: Sequence[bytes]) -> dict[bytes, frozenset[str]]:
        return self.record_and_lookup(tenant, (), fingerprints)

    def record_and_lookup(self, tenant: str, records: Sequence[tuple[str, Sequence[bytes]]],
                          lookup: Sequence[bytes], *, ttl_s: float | None = None
                          ) -> dict[bytes, frozenset[str]]:
        fps = list(dict.fromkeys(lookup))
        adds = [(customer, batch) for customer, batch in records if batch]
        if not fps and not adds:
            return {}
        prefix = self._fp_prefix(tenant)

        def build(pipe: Any) -> None:
            for customer, batch in adds:
                self._queue_adds(pipe, tenant, customer, batch, ttl_s)
            for fp in fps:
                pipe.hgetall(prefix + bytes(fp))

        with self._guard():
            results = self._run(build)
        now = self._clock()
        out: dict[bytes, frozenset[str]] = {}
        for fp, fields in zip(fps, results[len(results) - len(fps):], strict=True):
            live = [c.decode() for c, exp in fields.items() if exp == b"0" or float(exp) > now]
            if live:
                out[fp] = frozenset(live)
        return out

    def forget_customer(self, tenant: str, customer: str) -> int:
        with self._guard():
            n = self._forget(keys=[self._customer_key(tenant, customer)],
                             args=[customer, self._fp_prefix(tenant)])
        return int(n)

    def purge_expired(self) -> int:
        """Drop expired owners of fingerprints that other owners keep alive (keys whose owners have
        all expired are reclaimed by Redis itself). Scans this prefix's fingerprint keys."""
        now = self._clock()
        removed = 0
        with self._guard():
            for key in self._r.scan_iter(match=f"{self.prefix}:*:f:*".encode(), count=1000):
                fields: dict[Any, Any] = self._r.hgetall(key)
                doomed = [c for c, exp in fields.items() if exp != b"0" and float(exp) <= now]
                if doomed:
                    removed += int(self._r.hdel(key, *doomed))
        return removed

    # -- small records -----------------------------------------------------------------------------
    def get(self, tenant: str, namespace: str, key: str) -> str | None:
        with self._guard():
            value: Any = self._r.get(self._record_key(tenant, namespace, key))
        return None if value is None else bytes(value).decode()

    def get_many(self, tenant: str, items: Sequence[tuple[str, str]]) -> list[str | None]:
        if not items:
            return []
        keys = [self._record_key(tenant, namespace, key) for namespace, key in items]
        with self._guard():
            values: list[Any] = self._r.mget(keys)  # one round trip
        return [None if v is None else bytes(v).decode() for v in values]

    def set(self, tenant: str, namespace: str, key: str, value: str, *,
            ttl_s: float | None = None) -> None:
        px = max(1, math.ceil(ttl_s * 1000)) if ttl_s is not None else None
        with self._guard():
            self._r.set(self._record_key(tenant, namespace, key), value.encode(), px=px)

    def delete(self, tenant: str, namespace: str, key: str) -> None:
        with self._guard():
            self._r.delete(self._record_key(tenant, namespace, key))

    def incr(self, tenant: str, namespace: str, key: str, amount: int = 1, *,
             ttl_s: float | None = None) -> int:
        k = self._record_key(tenant, namespace, key)
        with self._guard():
            pipe = self._r.pipeline(transaction=True)
            pipe.incrby(k, amount)
            if ttl_s is not None:
                pipe.pexpire(k, max(1, math.ceil(ttl_s * 1000)), nx=True)
            result: list[Any] = pipe.execute()
        return int(result[0])

    def incr_many(self, tenant: str, namespace: str, items: Sequence[tuple[str, int]], *,
                  ttl_s: float | None = None) -> None:
        if not items:
            return
        ms = max(1, math.ceil(ttl_s * 1000)) if ttl_s is not None else 0
        keys = [self._record_key(tenant, namespace, key) for key, _ in items]
        with self._guard():  # EVALSHA; redis-py loads the script and resends once on NOSCRIPT
            self._incr_many(keys=keys, args=[ms, *(int(amount) for _, amount in items)])

    def ping(self) -> None:
        with self._guard():
            self._r.ping()

    def close(self) -> None:
        try:
            self._r.close()
        except redis.RedisError:  # closing a client of a dead server is not an error
            pass
