"""The state store interface shared by every backend (memory, SQLite, Redis).

State is everything that must survive between checks and be shared by gateway replicas: leakage
fingerprints (never raw values), opt-outs, breaker and canary state, rolling counters. Every method
is scoped by tenant; backends translate their own exceptions into ``StoreError``.

Fingerprint semantics shared by every backend (the contract suite in ``tests/state`` checks them):

- a fingerprint is opaque bytes (``detectors/fingerprint.py`` makes 16-byte HMAC-SHA256 prefixes);
  the in-process store keeps only its first 60 bits, so callers must not rely on longer distinctions;
- ``ttl_s`` (or the store's ``default_ttl_s`` when None) is the retention of THIS customer's ownership:
  re-adding refreshes it; an ownership past its expiry is never returned by ``owners``;
  ``ttl_s=0`` or a store without a default means "keep until forgotten";
- tenants never see each other's fingerprints, records or counters.
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

    def record_and_lookup(self, tenant: str, records: Sequence[tuple[str, Sequence[bytes]]],
                          lookup: Sequence[bytes], *, ttl_s: float | None = None
                          ) -> dict[bytes, frozenset[str]]:
        """Add each ``(customer, fingerprints)`` of ``records`` (as ``add_fingerprints``), THEN return
        ``owners(tenant, lookup)``, which sees those additions: what one check needs, in one round trip
        on a networked backend (the leakage detector makes exactly one such call per check)."""
        ...

    def forget_customer(self, tenant: str, customer: str) -> int:
        """Remove every fingerprint owned by the customer; returns how many were removed."""
        ...

    # -- small key-value records: opt-outs, last-inbound times, breaker and canary state ------------
    def get(self, tenant: str, namespace: str, key: str) -> str | None: ...

    def get_many(self, tenant: str, items: Sequence[tuple[str, str]]) -> list[str | None]:
        """``get`` of each ``(namespace, key)`` of ``items``, in order, in one round trip on a
        networked backend (the rollout interceptor reads a reply's breaker and canary records so)."""
        ...

    def set(self, tenant: str, namespace: str, key: str, value: str, *,
            ttl_s: float | None = None) -> None: ...

    def delete(self, tenant: str, namespace: str, key: str) -> None: ...

    # -- counters for rolling windows ----------------------------------------------------------------
    def incr(self, tenant: str, namespace: str, key: str, amount: int = 1, *,
             ttl_s: float | None = None) -> int: ...

    def purge_expired(self) -> int:
        """Drop expired fingerprint ownerships and records now (reads already ignore them); returns
        how many fingerprint ownerships were dropped where the backend can tell, else 0."""
        ...

    def incr_many(self, tenant: str, namespace: str, items: Sequence[tuple[str, int]], *,
                  ttl_s: float | None = None) -> None:
        """Several ``incr`` in one transaction / round trip (rolling-window counters of one check)."""
        ...

    def ping(self) -> None:
        """Raise ``StoreError`` when the backend is unreachable."""
        ...

    def close(self) -> None: ...
