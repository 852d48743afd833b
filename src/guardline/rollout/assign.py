"""Sticky, uniform assignment of a conversation to a point in [0, 1): the same conversation always
lands on the same point, so it is always served by the same agent version (canary share, half-open
probe share). BLAKE2b of a salt and the conversation id; the first 8 bytes as a fraction."""

from __future__ import annotations

import hashlib

__all__ = ["share_point"]


def share_point(salt: str, key: str) -> float:
    """A uniform point in [0, 1) for ``key``; independent across different salts."""
    digest = hashlib.blake2b(f"{salt}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64
