"""SQLite state store: the default for ``guardline serve``; one file, no server.

WAL journal (readers never block the writer), one connection per store guarded by a lock (threads
share it safely), writes in ``BEGIN IMMEDIATE`` transactions with a busy timeout, so several processes
may share the file. Writers in several processes (``serve --workers 2``) also queue on an exclusive
``flock`` of ``<db>-writer.lock`` (:class:`~guardline.filelock.WriterLock`): they run on a worker's
event loop, where SQLite's busy handler would sleep 1 to 100 ms at a time whenever the other worker
holds the lock. Expiry times are wall-clock seconds (they must mean the same in every process).
Only fingerprints (keyed hashes) and customer ids are stored, never the values themselves.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from ..errors import StoreError
from ..filelock import WriterLock

__all__ = ["SqliteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gl_fingerprints (
    tenant TEXT NOT NULL, fp BLOB NOT NULL, customer TEXT NOT NULL, expires REAL,
    PRIMARY KEY (tenant, fp, customer)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS gl_fingerprints_customer ON gl_fingerprints (tenant, customer);
CREATE TABLE IF NOT EXISTS gl_records (
    tenant TEXT NOT NULL, namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, expires REAL,
    PRIMARY KEY (tenant, namespace, key)
) WITHOUT ROWID;
"""

_UPSERT = ("INSERT INTO gl_fingerprints (tenant, fp, customer, expires) VALUES (?, ?, ?, ?) "
           "ON CONFLICT (tenant, fp, customer) DO UPDATE SET expires = excluded.expires")

_CHUNK = 400  # bound parameters per IN (...) query, well under SQLite's limit

_INCR = """
INSERT INTO gl_records (tenant, namespace, key, value, expires) VALUES (:t, :ns, :k, :amount, :exp)
ON CONFLICT (tenant, namespace, key) DO UPDATE SET
    value = CASE WHEN expires IS NOT NULL AND expires <= :now THEN :amount
                 ELSE CAST(value AS INTEGER) + :amount END,
    expires = CASE WHEN expires IS NOT NULL AND expires <= :now THEN excluded.expires ELSE expires END
RETURNING value
"""


class SqliteStore:
    """State in one SQLite file (``path``), or in memory for ``":memory:"``."""

    def __init__(self, path: str, *, default_ttl_s: float | None = None,
                 clock: Callable[[], float] = time.time, busy_timeout_s: float = 30.0) -> None:
        self.path = path
        self.default_ttl_s = default_ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._writer_lock = WriterLock(path)
        try:
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
            if path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite state store {path!r}: {exc}") from exc
        try:
            with self._write() as conn:
                for statement in _statements(_SCHEMA):
                    conn.execute(statement)
        except StoreError:
            self.close()
            raise

    # -- plumbing ----------------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("SQLite state store is closed")
        return self._conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite state store: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._writer_lock():
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite state store: {exc}") from exc

    def _expires(self, ttl_s: float | None) -> float | None:
        ttl = self.default_ttl_s if ttl_s is None else ttl_s
        return None if ttl is None or ttl <= 0 else self._clock() + ttl

    # -- fingerprints ------------------------------------------------------------------------------
    def add_fingerprints(self, tenant: str, customer: str, fingerprints: Iterable[bytes], *,
                         ttl_s: float | None = None) -> None:
        expires = self._expires(ttl_s)
        rows = [(tenant, bytes(fp), customer, expires) for fp in fingerprints]
        if not rows:
            return
        with self._write() as conn:
            conn.executemany(_UPSERT, rows)

    def owners(self, tenant: str, fingerprints: Sequence[bytes]) -> dict[bytes, frozenset[str]]:
        wanted = {bytes(fp): fp for fp in fingerprints}
        found: dict[bytes, set[str]] = {}
        keys = list(wanted)
        now = self._clock()
        with self._read() as conn:
            for i in range(0, len(keys), _CHUNK):
                chunk = keys[i:i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT fp, customer FROM gl_fingerprints WHERE tenant = ? AND fp IN ({marks}) "
                    "AND (expires IS NULL OR expires > ?)", (tenant, *chunk, now))
                for fp, customer in rows:
                    found.setdefault(bytes(fp), set()).add(customer)
        return {wanted[fp]: frozenset(c) for fp, c in found.items()}

    def record_and_lookup(self, tenant: str, records: Sequence[tuple[str, Sequence[bytes]]],
                          lookup: Sequence[bytes], *, ttl_s: float | None = None
                          ) -> dict[bytes, frozenset[str]]:
        expires = self._expires(ttl_s)
        rows = [(tenant, bytes(fp), customer, expires) for customer, fps in records for fp in fps]
        if rows:
            with self._write() as conn:
                conn.executemany(_UPSERT, rows)
        return self.owners(tenant, lookup) if lookup else {}

    def forget_customer(self, tenant: str, customer: str) -> int:
        with self._write() as conn:
            cur = conn.execute("DELETE FROM gl_fingerprints WHERE tenant = ? AND customer = ?",
                               (tenant, customer))
            return cur.rowcount

    def purge_expired(self) -> int:
        now = self._clock()
        with self._write() as conn:
            cur = conn.execute("DELETE FROM gl_fingerprints WHERE expires IS NOT NULL AND expires <= ?",
                               (now,))
            conn.execute("DELETE FROM gl_records WHERE expires IS NOT NULL AND expires <= ?", (now,))
            return cur.rowcount

    # -- small records -----------------------------------------------------------------------------
    def get(self, tenant: str, namespace: str, key: str) -> str | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT value FROM gl_records WHERE tenant = ? AND namespace = ? AND key = ? "
                "AND (expires IS NULL OR expires > ?)", (tenant, namespace, key, self._clock())).fetchone()
        return None if row is None else str(row[0])

    def get_many(self, tenant: str, items: Sequence[tuple[str, str]]) -> list[str | None]:
        if not items:
            return []
        now = self._clock()
        found: dict[tuple[str, str], str] = {}
        wanted = list(dict.fromkeys(items))
        with self._read() as conn:  # one statement per chunk: a consistent snapshot of the records read
            for i in range(0, len(wanted), _CHUNK // 2):
                chunk = wanted[i:i + _CHUNK // 2]
                pairs = ",".join("(?, ?)" for _ in chunk)
                rows = conn.execute(
                    f"SELECT namespace, key, value FROM gl_records WHERE tenant = ? AND (namespace, key) IN "
                    f"(VALUES {pairs}) AND (expires IS NULL OR expires > ?)",
                    (tenant, *(x for pair in chunk for x in pair), now))
                for namespace, key, value in rows:
                    found[(namespace, key)] = str(value)
        return [found.get((namespace, key)) for namespace, key in items]

    def set(self, tenant: str, namespace: str, key: str, value: str, *,
            ttl_s: float | None = None) -> None:
        expires = self._clock() + ttl_s if ttl_s is not None else None
        with self._write() as conn:
            conn.execute(
                "INSERT INTO gl_records (tenant, namespace, key, value, expires) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (tenant, namespace, key) DO UPDATE SET value = excluded.value, "
                "expires = excluded.expires", (tenant, namespace, key, value, expires))

    def delete(self, tenant: str, namespace: str, key: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM gl_records WHERE tenant = ? AND namespace = ? AND key = ?",
                         (tenant, namespace, key))

    def incr(self, tenant: str, namespace: str, key: str, amount: int = 1, *,
             ttl_s: float | None = None) -> int:
        now = self._clock()
        params = {"t": tenant, "ns": namespace, "k": key, "amount": int(amount), "now": now,
                  "exp": now + ttl_s if ttl_s is not None else None}
        with self._write() as conn:
            row = conn.execute(_INCR, params).fetchone()
        return int(row[0])

    def incr_many(self, tenant: str, namespace: str, items: Sequence[tuple[str, int]], *,
                  ttl_s: float | None = None) -> None:
        if not items:
            return
        now = self._clock()
        exp = now + ttl_s if ttl_s is not None else None
        with self._write() as conn:
            for key, amount in items:
                conn.execute(_INCR, {"t": tenant, "ns": namespace, "k": key, "amount": int(amount),
                                     "now": now, "exp": exp}).fetchone()

    def ping(self) -> None:
        with self._read() as conn:
            conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._writer_lock.close()


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
