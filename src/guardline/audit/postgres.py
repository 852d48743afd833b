"""PostgreSQL audit store (psycopg 3).

Each write transaction first makes sure the touched tenants have a row in ``audit_heads`` and then
locks those rows with ``SELECT ... ORDER BY tenant FOR UPDATE`` before reading the heads and inserting:
two gateway replicas writing the same tenant are serialised on that row lock (in a fixed order, so
they cannot deadlock), and the primary key (tenant, seq) would reject a fork even if they were not.
Reads run in a ``REPEATABLE READ READ ONLY`` transaction, so verify sees one snapshot.

URL: ``postgresql://user@host:port/db``; an optional ``?schema=name`` puts the tables in that schema
(created if missing); other query parameters go to libpq unchanged.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.types.string import ByteaBinaryLoader

from ..errors import ConfigError, StoreError
from .chain import GENESIS, Checkpoint, EventRow
from .store import NewEvent, ReplayRow

__all__ = ["PostgresStore"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE audit_events (
            tenant text NOT NULL, seq bigint NOT NULL, entry text NOT NULL, hash bytea NOT NULL,
            key_id text, ciphertext bytea, kind text NOT NULL, conversation_id text NOT NULL,
            customer_id text NOT NULL, message_id text NOT NULL, recorded_at double precision NOT NULL,
            PRIMARY KEY (tenant, seq))""",
        "CREATE INDEX audit_events_conversation ON audit_events (tenant, conversation_id)",
        "CREATE INDEX audit_events_time ON audit_events (recorded_at)",
        "CREATE TABLE audit_heads (tenant text PRIMARY KEY, seq bigint NOT NULL, hash bytea NOT NULL)",
        """CREATE TABLE audit_checkpoints (tenant text NOT NULL, seq bigint NOT NULL, head bytea NOT NULL,
            ts text NOT NULL, signature bytea NOT NULL, PRIMARY KEY (tenant, seq))""",
        """CREATE TABLE audit_keys (tenant text NOT NULL, key_id text NOT NULL, customer_id text NOT NULL,
            wrapped bytea, created_at double precision NOT NULL, shredded_at double precision,
            PRIMARY KEY (tenant, key_id))""",
        "CREATE UNIQUE INDEX audit_keys_live ON audit_keys (tenant, customer_id) WHERE wrapped IS NOT NULL",
    ),
)
_MIGRATION_LOCK = 0x6775_6172_646C  # advisory lock id: "guardl"
_SCHEMA_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def split_url(url: str) -> tuple[str, str | None]:
    """(libpq URL without our ``schema`` parameter, schema or None)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    if schema is not None and not _SCHEMA_RE.match(schema):
        raise ConfigError(f"audit database URL: schema {schema!r} is not a plain identifier")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment)), schema


def _safe(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}{parts.path}"


class PostgresStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self._dsn, self.schema = split_url(url)
        self._where = _safe(url)
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        self._known: set[str] = set()
        with self._lock:
            self._migrate(self._connection())

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=10)
            if self.schema is not None:
                conn.execute(f'SET search_path TO "{self.schema}"')
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to audit database {self._where}: {type(exc).__name__}") from exc
        return conn

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = self._connect()
        return self._conn

    def _migrate(self, conn: psycopg.Connection[Any]) -> None:
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                if self.schema is not None:
                    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                conn.execute("CREATE TABLE IF NOT EXISTS audit_schema (version integer NOT NULL)")
                row = conn.execute("SELECT max(version) FROM audit_schema").fetchone()
                current = (row[0] if row else None) or 0
                for version, statements in enumerate(MIGRATIONS, start=1):
                    if version <= current:
                        continue
                    for stmt in statements:
                        conn.execute(stmt)
                    conn.execute("INSERT INTO audit_schema (version) VALUES (%s)", (version,))
        except psycopg.Error as exc:
            raise StoreError(f"audit database {self._where}: migration failed: {exc}") from exc

    @contextmanager
    def write(self) -> Iterator[_WriteTx]:
        with self._lock:
            conn = self._connection()
            try:
                with conn.transaction():
                    yield _WriteTx(conn, self._known)
            except psycopg.Error as exc:
                raise StoreError(f"audit database {self._where}: write failed: {type(exc).__name__}: "
                                 f"{exc.diag.message_primary or ''}") from exc

    @contextmanager
    def read(self) -> Iterator[_ReadTx]:
        conn = self._connect()
        try:
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                yield _ReadTx(conn)
        except psycopg.Error as exc:
            raise StoreError(f"audit database {self._where}: read failed: {type(exc).__name__}") from exc
        finally:
            conn.close()

    def shred_customer(self, tenant: str, customer: str, now: float) -> int:
        with self.write() as tx:
            cur = tx.conn.execute(
                "UPDATE audit_keys SET wrapped = NULL, shredded_at = %s "
                "WHERE tenant = %s AND customer_id = %s AND wrapped IS NOT NULL", (now, tenant, customer))
            n = cur.rowcount
        with self._lock:
            try:  # prune the dead row versions that still hold the wrapped key (best effort, see docs)
                self._connection().execute("VACUUM audit_keys")
            except psycopg.Error as exc:
                raise StoreError(f"audit database {self._where}: vacuum failed: {type(exc).__name__}") from exc
        return n

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class _WriteTx:
    def __init__(self, conn: psycopg.Connection[Any], known: set[str]) -> None:
        self.conn = conn
        self.known = known          # tenants whose head row is known to exist (one round trip saved)

    def lock_heads(self, tenants: Sequence[str]) -> dict[str, tuple[int, bytes]]:
        ordered = sorted(tenants)
        if not self.known.issuperset(ordered):
            self.conn.execute("INSERT INTO audit_heads (tenant, seq, hash) SELECT t, 0, %s FROM "
                              "unnest(%s::text[]) AS t ORDER BY t ON CONFLICT (tenant) DO NOTHING", (GENESIS, ordered))
        rows = self.conn.execute("SELECT tenant, seq, hash FROM audit_heads WHERE tenant = ANY(%s) "
                                 "ORDER BY tenant FOR UPDATE", (ordered,)).fetchall()
        if len(rows) != len(ordered):       # a cached "known" tenant whose row was rolled back
            self.known.difference_update(ordered)
            return self.lock_heads(ordered)
        self.known.update(ordered)
        return {t: (int(s), bytes(h)) for t, s, h in rows}

    def live_keys(self, tenant: str, customers: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        rows = self.conn.execute("SELECT customer_id, key_id, wrapped FROM audit_keys WHERE tenant = %s AND "
                                 "wrapped IS NOT NULL AND customer_id = ANY(%s)", (tenant, list(customers)))
        return {c: (k, bytes(w)) for c, k, w in rows}

    def insert_key(self, tenant: str, customer: str, key_id: str, wrapped: bytes, now: float) -> None:
        self.conn.execute("INSERT INTO audit_keys (tenant, key_id, customer_id, wrapped, created_at) "
                          "VALUES (%s, %s, %s, %s, %s)", (tenant, key_id, customer, wrapped, now))

    def insert_events(self, rows: Sequence[NewEvent]) -> None:
        with self.conn.cursor() as cur, cur.copy(
                "COPY audit_events (tenant, seq, entry, hash, key_id, ciphertext, kind, conversation_id, "
                "customer_id, message_id, recorded_at) FROM STDIN") as copy:
            for r in rows:
                copy.write_row((r.tenant, r.seq, r.entry.decode("ascii"), r.hash, r.key_id, r.ciphertext,
                                r.kind, r.conversation_id, r.customer_id, r.message_id, r.recorded_at))

    def set_heads(self, heads: dict[str, tuple[int, bytes]]) -> None:
        tenants = list(heads)
        self.conn.execute("UPDATE audit_heads AS h SET seq = v.seq, hash = v.hash FROM unnest(%s::text[], "
                          "%s::bigint[], %s::bytea[]) AS v(tenant, seq, hash) WHERE h.tenant = v.tenant",
                          (tenants, [heads[t][0] for t in tenants], [heads[t][1] for t in tenants]))

    def last_checkpoint(self, tenant: str) -> int:
        row = self.conn.execute("SELECT max(seq) FROM audit_checkpoints WHERE tenant = %s", (tenant,)).fetchone()
        return int(row[0] or 0) if row else 0

    def insert_checkpoint(self, cp: Checkpoint) -> None:
        self.conn.execute("INSERT INTO audit_checkpoints (tenant, seq, head, ts, signature) VALUES "
                          "(%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                          (cp.tenant, cp.seq, cp.head, cp.ts, cp.signature))


class _ReadTx:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def tenants(self) -> list[str]:
        rows = self.conn.execute("SELECT tenant FROM audit_heads UNION SELECT tenant FROM audit_checkpoints "
                                 "ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def head(self, tenant: str) -> tuple[int, bytes] | None:
        row = self.conn.execute("SELECT seq, hash FROM audit_heads WHERE tenant = %s", (tenant,)).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def checkpoints(self, tenant: str) -> list[Checkpoint]:
        rows = self.conn.execute("SELECT seq, head, ts, signature FROM audit_checkpoints WHERE tenant = %s "
                                 "ORDER BY seq", (tenant,)).fetchall()
        return [Checkpoint(tenant, int(s), bytes(h), ts, bytes(sig)) for s, h, ts, sig in rows]

    def events(self, tenant: str, start: int = 1, end: int | None = None) -> Generator[EventRow, None, None]:
        with self.conn.cursor(name="guardline_audit_events", binary=True) as cur:
            cur.adapters.register_loader("text", ByteaBinaryLoader)    # entries as raw bytes: no decode
            cur.execute("SELECT seq, entry, hash, key_id, ciphertext FROM audit_events WHERE tenant = %s AND "
                        "seq >= %s AND seq <= %s ORDER BY seq", (tenant, start, end if end is not None else 2 ** 62))
            while batch := cur.fetchmany(5000):
                for seq, entry, h, key_id, ct in batch:
                    yield seq, entry, h, None if key_id is None else key_id.decode("utf-8", "surrogateescape"), ct

    def conversation_seqs(self, tenant: str, conversation_id: str) -> list[int]:
        rows = self.conn.execute("SELECT seq FROM audit_events WHERE tenant = %s AND conversation_id = %s "
                                 "ORDER BY seq", (tenant, conversation_id)).fetchall()
        return [int(r[0]) for r in rows]

    def chain_hash(self, tenant: str, seq: int) -> bytes | None:
        row = self.conn.execute("SELECT hash FROM audit_events WHERE tenant = %s AND seq = %s",
                                (tenant, seq)).fetchone()
        return None if row is None else bytes(row[0])

    def wrapped_key(self, tenant: str, key_id: str) -> tuple[str, bytes] | None:
        row = self.conn.execute("SELECT customer_id, wrapped FROM audit_keys WHERE tenant = %s AND key_id = %s "
                                "AND wrapped IS NOT NULL", (tenant, key_id)).fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    def replay_rows(self, tenant: str | None, since: float | None) -> Generator[ReplayRow, None, None]:
        sql = ("SELECT tenant, seq, entry, key_id, ciphertext FROM audit_events WHERE kind = 'verdict' "
               "AND recorded_at >= %s")
        args: list[object] = [since if since is not None else float("-inf")]
        if tenant is not None:
            sql += " AND tenant = %s"
            args.append(tenant)
        with self.conn.cursor(name="guardline_audit_replay", binary=True) as cur:
            cur.itersize = 1000
            cur.execute(sql + " ORDER BY tenant, seq", args)
            for t, seq, entry, key_id, ct in cur:
                yield t, int(seq), entry.encode("utf-8", "surrogateescape"), key_id, \
                    None if ct is None else bytes(ct)

    def replay_count(self, tenant: str | None, since: float | None) -> int:
        sql = "SELECT count(*) FROM audit_events WHERE kind = 'verdict' AND recorded_at >= %s"
        args: list[object] = [since if since is not None else float("-inf")]
        if tenant is not None:
            sql += " AND tenant = %s"
            args.append(tenant)
        row = self.conn.execute(sql, args).fetchone()
        return int(row[0]) if row else 0
