"""The audit store contract every backend (SQLite, PostgreSQL) implements.

A backend stores rows and guarantees ordering; it knows nothing about hashing, encryption or
signatures (``chain``, ``crypto`` and ``writer`` do that once for all backends). Tables:

- ``audit_events(tenant, seq, entry, hash, key_id, ciphertext, kind, conversation_id, customer_id,
  message_id, recorded_at)``, primary key (tenant, seq). ``entry`` is the hashed canonical JSON; the
  columns after ``ciphertext`` are unhashed copies used as indexes (export, replay ``--since``).
- ``audit_heads(tenant, seq, hash)``: the last written event of each chain. Writers lock this row
  (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: ``SELECT ... FOR UPDATE``) inside the transaction that reads
  the head and inserts, so each chain stays linear with several writer processes.
- ``audit_checkpoints(tenant, seq, head, ts, signature)``.
- ``audit_keys(tenant, key_id, customer_id, wrapped, created_at, shredded_at)``: wrapped data keys; at
  most one live (``wrapped`` not null) per customer. ``forget`` sets ``wrapped`` to null.
- ``audit_schema(version)``: applied migrations.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from ..errors import ConfigError
from .chain import Checkpoint, EventRow

__all__ = ["AuditStore", "NewEvent", "ReadTx", "ReplayRow", "WriteTx", "open_store"]


@dataclass(frozen=True, slots=True)
class NewEvent:
    tenant: str
    seq: int
    entry: bytes
    hash: bytes
    key_id: str | None
    ciphertext: bytes | None
    kind: str
    conversation_id: str
    customer_id: str
    message_id: str
    recorded_at: float


ReplayRow = tuple[str, int, bytes, "str | None", "bytes | None"]
"""(tenant, seq, entry, key id, ciphertext) of a verdict event, for replay."""


class WriteTx(Protocol):
    """One write transaction, holding the locks on the chains it touches until it ends."""

    def lock_heads(self, tenants: Sequence[str]) -> dict[str, tuple[int, bytes]]:
        """Lock and return the head (seq, hash) of each tenant's chain; (0, GENESIS) for a new one."""
        ...

    def live_keys(self, tenant: str, customers: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        """customer -> (key id, wrapped key) for the customers that have a live data key."""
        ...

    def insert_key(self, tenant: str, customer: str, key_id: str, wrapped: bytes, now: float) -> None: ...

    def insert_events(self, rows: Sequence[NewEvent]) -> None: ...

    def set_heads(self, heads: dict[str, tuple[int, bytes]]) -> None: ...

    def last_checkpoint(self, tenant: str) -> int: ...

    def insert_checkpoint(self, cp: Checkpoint) -> None: ...


class ReadTx(Protocol):
    """A consistent snapshot for reading."""

    def tenants(self) -> list[str]: ...

    def head(self, tenant: str) -> tuple[int, bytes] | None: ...

    def checkpoints(self, tenant: str) -> list[Checkpoint]: ...

    def events(self, tenant: str, start: int = 1, end: int | None = None) -> Generator[EventRow, None, None]: ...

    def conversation_seqs(self, tenant: str, conversation_id: str) -> list[int]: ...

    def chain_hash(self, tenant: str, seq: int) -> bytes | None: ...

    def wrapped_key(self, tenant: str, key_id: str) -> tuple[str, bytes] | None:
        """(customer, wrapped key) of a live data key; None when unknown or shredded."""
        ...

    def replay_rows(self, tenant: str | None, since: float | None) -> Generator[ReplayRow, None, None]: ...

    def replay_count(self, tenant: str | None, since: float | None) -> int: ...


class AuditStore(Protocol):
    url: str

    def write(self) -> AbstractContextManager[WriteTx]: ...

    def read(self) -> AbstractContextManager[ReadTx]: ...

    def shred_customer(self, tenant: str, customer: str, now: float) -> int:
        """Destroy every data key of the customer; returns how many were live."""
        ...

    def close(self) -> None: ...


def open_store(url: str, *, durable: bool = True, create: bool = True) -> AuditStore:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db``, ``sqlite://:memory:`` is refused (the
    writer and readers need one shared file); ``postgresql://user@host:port/db[?schema=name]``.
    ``create=False`` refuses a SQLite file that does not exist (for the read-only commands)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        from .sqlite import SQLiteStore

        return SQLiteStore(url, durable=durable, create=create)
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresStore

        return PostgresStore(url)
    raise ConfigError(f"audit database URL: unsupported scheme {scheme!r} (use sqlite:/// or postgresql://)")
