"""In-process state store: the default for the library and ``guardline check``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence

__all__ = ["MemoryStore"]


class MemoryStore:
    """Thread-safe, in-process. TTLs are honoured lazily on read."""

    def __init__(self, *, clock: object = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._fp: dict[tuple[str, bytes], set[str]] = {}
        self._by_customer: dict[tuple[str, str], set[bytes]] = {}
        self._kv: dict[tuple[str, str, str], tuple[str, float | None]] = {}

    def _now(self) -> float:
        return self._clock()  # type: ignore[operator,no-any-return]

    def add_fingerprints(self, tenant: str, customer: str, fingerprints: Iterable[bytes], *,
                         ttl_s: float | None = None) -> None:
        with self._lock:
            mine = self._by_customer.setdefault((tenant, customer), set())
            for fp in fingerprints:
                self._fp.setdefault((tenant, fp), set()).add(customer)
                mine.add(fp)

    def owners(self, tenant: str, fingerprints: Sequence[bytes]) -> dict[bytes, frozenset[str]]:
        out: dict[bytes, frozenset[str]] = {}
        with self._lock:
            for fp in fingerprints:
                owners = self._fp.get((tenant, fp))
                if owners:
                    out[fp] = frozenset(owners)
        return out

    def forget_customer(self, tenant: str, customer: str) -> int:
        with self._lock:
            fps = self._by_customer.pop((tenant, customer), set())
            for fp in fps:
                owners = self._fp.get((tenant, fp))
                if owners is not None:
                    owners.discard(customer)
                    if not owners:
                        del self._fp[(tenant, fp)]
            return len(fps)

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

    def ping(self) -> None:
        return None

    def close(self) -> None:
        return None
