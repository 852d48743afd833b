"""Key material derived from one master secret: per-tenant keys for fingerprints, audit wrapping, etc.

The master secret comes from configuration (``GUARDLINE_SECRET``, see ``config``). Derived keys are
domain-separated by purpose and tenant with HKDF-SHA256, so one compromised purpose key says nothing
about another.
"""

from __future__ import annotations

import secrets
import threading

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["KeyRing"]


class KeyRing:
    """Derives 32-byte keys from the master secret; results are cached (thread-safe)."""

    def __init__(self, master: bytes | None = None) -> None:
        self.ephemeral = master is None
        self._master = master if master is not None else secrets.token_bytes(32)
        if len(self._master) < 16:
            raise ValueError("master secret must be at least 16 bytes")
        self._cache: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def key(self, purpose: str, tenant: str) -> bytes:
        """The key for ``purpose`` (e.g. ``"fingerprint"``, ``"audit-wrap"``) of ``tenant``."""
        k = (purpose, tenant)
        cached = self._cache.get(k)
        if cached is not None:
            return cached
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"guardline/v1",
                       info=f"{purpose}\x00{tenant}".encode()).derive(self._master)
        with self._lock:
            self._cache[k] = derived
        return derived

    def __repr__(self) -> str:  # never show key material
        return f"KeyRing(ephemeral={self.ephemeral})"
