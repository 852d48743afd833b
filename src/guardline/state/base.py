"""The state store interface shared by every backend (memory, SQLite, Redis).

State is everything that must survive between checks and be shared by gateway replicas: leakage
fingerprints (never raw values), opt-outs, breaker and canary state, rolling counters. Every method
is scoped by tenant; backends translate their own exceptions into ``StoreError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

__all__ = ["StateStore"]


@runtime_checkable
class StateStore(Protocol):
    # -- fingerprints: keyed hashes of PII values or text shingles, owned by a customer --------------
    def add_fingerprints(self, tenant: str, customer: str, fingerprints: Iterable[bytes], *,
                         ttl_s: float | None = None) -> None: ...

    def owners(self, tenant: str, fingerprints: Sequence[bytes]) -> dict[bytes, frozenset[str]]:
        """For each fingerprint that has owners, the set of customer ids owning it."""
        ...

    def forget_customer(self, tenant: str, customer: str) -> int:
        """Remove every fingerprint owned by the customer; returns how many were removed."""
        ...

    # -- small key-value records: opt-outs, last-inbound times, breaker and canary state ------------
    def get(self, tenant: str, namespace: str, key: str) -> str | None: ...

    def set(self, tenant: str, namespace: str, key: str, value: str, *,
            ttl_s: float | None = None) -> None: ...

    def delete(self, tenant: str, namespace: str, key: str) -> None: ...

    # -- counters for rolling windows ----------------------------------------------------------------
    def incr(self, tenant: str, namespace: str, key: str, amount: int = 1, *,
             ttl_s: float | None = None) -> int: ...

    def ping(self) -> None:
        """Raise ``StoreError`` when the backend is unreachable."""
        ...

    def close(self) -> None: ...
