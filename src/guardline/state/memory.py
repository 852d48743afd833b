"""In-process state store: the default for the library and ``guardline check``.

Fingerprints are held compactly so that a gateway can keep a million of them in well under 120 bytes
each (``guardline bench leakage`` measures it with tracemalloc):

- a fingerprint is reduced to its first 60 bits, as a Python int (60 bits fit the two-digit int object,
  32 bytes; 64 bits would need 48). With ``n`` fingerprints stored, the chance that one looked-up
  value falsely matches is about ``n / 2**60`` (about 1e-12 for n = 1e6), and the chance that any two
  stored values collide is about ``n**2 / 2**61`` (about 4e-7 for n = 1e6);
- each tenant has one ``dict[int, int]`` from fingerprint to an ownership word
  ``(expiry_s << 32) | customer_index``; all fingerprints added by one call share one word object, so
  a word costs nothing per fingerprint; a fingerprint with several owners holds a tuple of words;
- there is no per-customer reverse index (it would cost ~50 bytes per fingerprint): forgetting a
  customer scans the tenant's table, about 0.1 s per million fingerprints, which is fine for a rare
  erasure request.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence

__all__ = ["MemoryStore"]

_IDX_MASK = (1 << 32) - 1
_Owners = int | tuple[int, ...]


class _Vault:
    """One tenant's fingerprints."""

    __slots__ = ("customers", "fps", "index")

    def __init__(self) -> None:
        self.fps: dict[int, _Owners] = {}
        self.customers: list[str] = []
        self.index: dict[str, int] = {}

    def customer_index(self, customer: str) -> int:
        idx = self.index.get(customer)
        if idx is None:
            idx = len(self.customers)
            self.customers.append(customer)
            self.index[customer] = idx
        return idx


def _live(word: int, now_s: int) -> bool:
    expiry = word >> 32
    return expiry == 0 or expiry > now_s


class MemoryStore:
    """Thread-safe, in-process. TTLs are honoured on read; ``purge_expired`` reclaims the memory."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 default_ttl_s: float | None = None) -> None:
        self._clock = clock
        self.default_ttl_s = default_ttl_s
        self._lock = threading.Lock()
        self._vaults: dict[str, _Vault] = {}
        self._kv: dict[tuple[str, str, str], tuple[str, float | None]] = {}

    def _now(self) -> float:
        return self._clock()

    def _expiry_word(self, ttl_s: float | None) -> int:
        ttl = self.default_ttl_s if ttl_s is None else ttl_s
        if ttl is None or ttl <= 0:
            return 0
        return max(1, math.ceil(self._now() + ttl))

    # -- fingerprints ------------------------------------------------------------------------------
    def add_fingerprints(self, tenant: str, customer: str, fingerprints: Iterable[bytes], *,
                         ttl_s: float | None = None) -> None:
        expiry = self._expiry_word(ttl_s)
        keys = [int.from_bytes(fp[:8], "big") >> 4 for fp in fingerprints]  # first 60 bits
        if not keys:
            return
        with self._lock:
            vault = self._vaults.get(tenant)
            if vault is None:
                vault = self._vaults[tenant] = _Vault()
            idx = vault.customer_index(customer)
            word = (expiry << 32) | idx  # one object shared by every fingerprint of this call
            fps = vault.fps
            new: dict[int, _Owners] = dict.fromkeys(keys, word)
            for key in fps.keys() & new.keys():  # usually none: only those need a look
                old = fps[key]
                if isinstance(old, int):
                    if (old & _IDX_MASK) != idx:
                        new[key] = (old, word)
                else:
                    new[key] = (*(w for w in old if (w & _IDX_MASK) != idx), word)
            fps.update(new)

    def owners(self, tenant: str, fingerprints: Sequence[bytes]) -> dict[bytes, frozenset[str]]:
        out: dict[bytes, frozenset[str]] = {}
        keys = [int.from_bytes(fp[:8], "big") >> 4 for fp in fingerprints]  # first 60 bits
        now_s = math.floor(self._now())
        with self._lock:
            vault = self._vaults.get(tenant)
            if vault is None:
                return out
            fps, customers = vault.fps, vault.customers
            if fps.keys().isdisjoint(keys):  # the common case, decided in C
                return out
            for fp, key in zip(fingerprints, keys, strict=True):
                found = fps.get(key)
                if found is None:
                    continue
                if isinstance(found, int):
                    if _live(found, now_s):
                        out[fp] = frozenset((customers[found & _IDX_MASK],))
                    continue
                live = [customers[w & _IDX_MASK] for w in found if _live(w, now_s)]
                if live:
                    out[fp] = frozenset(live)
        return out

    def record_and_lookup(self, tenant: str, records: Sequence[tuple[str, Sequence[bytes]]],
                          lookup: Sequence[bytes], *, ttl_s: float | None = None
                          ) -> dict[bytes, frozenset[str]]:
        for customer, fps in records:
            if fps:
                self.add_fingerprints(tenant, customer, fps, ttl_s=ttl_s)
        return self.owners(tenant, lookup) if lookup else {}

    def forget_customer(self, tenant: str, customer: str) -> int:
        with self._lock:
            vault = self._vaults.get(tenant)
            if vault is None or customer not in vault.index:
                return 0
            idx = vault.index[customer]
            return _drop(vault, lambda w: (w & _IDX_MASK) == idx)

    def purge_expired(self) -> int:
        now_s = math.floor(self._now())
        removed = 0
        with self._lock:
            for vault in self._vaults.values():
                removed += _drop(vault, lambda w: not _live(w, now_s))
            for k, (_, expires) in list(self._kv.items()):
                if expires is not None and expires <= self._now():
                    del self._kv[k]
        return removed

    # -- small records -----------------------------------------------------------------------------
    def get(self, tenant: str, namespace: str, key: str) -> str | None:
        with self._lock:
            item = self._kv.get((tenant, namespace, key))
            if item is None:
                return None
            value, expires = item
            if expires is not None and expires <= self._now():
                del self._kv[(tenant, namespace, key)]
                return None
            return value

    def get_many(self, tenant: str, items: Sequence[tuple[str, str]]) -> list[str | None]:
        # in process there is no round trip to save: each read goes through ``get`` (and its expiry)
        return [self.get(tenant, namespace, key) for namespace, key in items]

    def set(self, tenant: str, namespace: str, key: str, value: str, *,
            ttl_s: float | None = None) -> None:
        expires = self._now() + ttl_s if ttl_s is not None else None
        with self._lock:
            self._kv[(tenant, namespace, key)] = (value, expires)

    def delete(self, tenant: str, namespace: str, key: str) -> None:
        with self._lock:
            self._kv.pop((tenant, namespace, key), None)

    def incr(self, tenant: str, namespace: str, key: str, amount: int = 1, *,
             ttl_s: float | None = None) -> int:
        with self._lock:
            item = self._kv.get((tenant, namespace, key))
            now = self._now()
            if item is None or (item[1] is not None and item[1] <= now):
                value, expires = 0, (now + ttl_s if ttl_s is not None else None)
            else:
                value, expires = int(item[0]), item[1]
            value += amount
            self._kv[(tenant, namespace, key)] = (str(value), expires)
            return value

    def incr_many(self, tenant: str, namespace: str, items: Sequence[tuple[str, int]], *,
                  ttl_s: float | None = None) -> None:
        for key, amount in items:
            self.incr(tenant, namespace, key, amount, ttl_s=ttl_s)

    def ping(self) -> None:
        return None

    def close(self) -> None:
        return None


def _drop(vault: _Vault, doomed: Callable[[int], bool]) -> int:
    """Remove every ownership word for which ``doomed`` is true; returns how many. Caller holds the lock."""
    fps = vault.fps
    removed = 0
    for key, found in list(fps.items()):
        if isinstance(found, int):
            if doomed(found):
                del fps[key]
                removed += 1
            continue
        keep = tuple(w for w in found if not doomed(w))
        removed += len(found) - len(keep)
        if not keep:
            del fps[key]
        elif len(keep) != len(found):
            fps[key] = keep[0] if len(keep) == 1 else keep
    return removed
