"""The writer thread: group commit, encryption, chaining and checkpoints, written once for every backend.

Callers hand in ``Pending`` events. One thread takes whatever has queued up (up to ``max_batch``) and
writes it in ONE transaction: lock the heads of the tenants involved, look up (or create) each
customer's data key, encrypt the original texts, assign seqs, hash the entries into the chains,
insert, move the heads, add a signed checkpoint where one is due, commit. While one transaction
commits the next batch queues up, so the fsync cost is shared by every caller waiting on it.

Durable mode: the caller waits until its batch has committed. ``commit_delay_s`` (the policy's
``audit.commit_delay_ms``, default 0) makes the writer wait that long after the first event of a
batch for more, like PostgreSQL's ``commit_delay``: fewer commits and fsyncs under load, that much
more latency. Write-behind mode: the caller returns at once; the queue is bounded and a full queue
blocks the caller (back-pressure) for up to ``put_timeout`` seconds, then raises ``StoreError``. A failed write-behind batch is retried with
back-off; while the store is failing, new appends raise ``StoreError`` rather than queue silently.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..errors import GuardlineError, StoreError
from ..types import AuditRef
from .chain import Checkpoint, entry_bytes, leaf_hash, link_hash
from .crypto import AuditCrypto, new_key_id
from .store import AuditStore, NewEvent, WriteTx

__all__ = ["Pending", "Writer", "notify", "sign_heads"]

log = logging.getLogger("guardline.audit")


@dataclass(slots=True)
class Pending:
    tenant: str
    body: bytes                      # canonical JSON of the entry's body
    plaintext: bytes | None          # what gets encrypted under the customer's data key
    kind: str
    conversation_id: str = ""
    customer_id: str = ""
    message_id: str = ""
    recorded_at: float = field(default_factory=time.time)
    done: threading.Event | None = None
    on_done: Callable[[Pending], None] | None = None    # called in the writer thread instead of ``done``
    ref: AuditRef | None = None
    error: GuardlineError | None = None


_STOP = object()


class Writer:
    def __init__(self, store: AuditStore, crypto: AuditCrypto, *, durable: bool, checkpoint_every: int,
                 checkpoint_seconds: float, checkpoint_file: str | None, max_batch: int = 1000,
                 queue_size: int = 10_000, put_timeout: float = 5.0, commit_delay_s: float = 0.0) -> None:
        self.store = store
        self.crypto = crypto
        self.durable = durable
        self.checkpoint_every = max(1, checkpoint_every)
        self.checkpoint_seconds = checkpoint_seconds
        self.checkpoint_file = checkpoint_file
        self.max_batch = max_batch
        self.put_timeout = put_timeout
        self.commit_delay_s = max(0.0, commit_delay_s)
        # entries: one Pending, a list of them (``submit_callbacks``), or _STOP
        self._queue: queue.Queue[Pending | list[Pending] | object] = queue.Queue(
            maxsize=0 if durable else queue_size)
        self._deks: dict[tuple[str, str], bytes] = {}          # (tenant, key id) -> data key
        self._last_cp: dict[str, tuple[int, float]] = {}       # tenant -> (seq, monotonic time)
        self._dirty: dict[str, tuple[int, bytes]] = {}         # tenants written since their last checkpoint
        self._state = threading.Lock()                         # guards _last_cp and _dirty
        self._failing: GuardlineError | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="guardline-audit-writer", daemon=True)
        self._thread.start()

    # -- caller side ------------------------------------------------------------------------------------
    def submit(self, item: Pending) -> AuditRef:
        if self.durable:
            item.done = threading.Event()
        self._put(item)
        if item.done is None:
            return AuditRef(seq=0, hash="")
        item.done.wait()
        if item.error is not None:
            raise item.error
        assert item.ref is not None
        return item.ref

    def submit_callbacks(self, items: Sequence[Pending]) -> None:
        """Queue ``items`` (each with ``on_done`` set) as one queue entry, without waiting: each
        ``on_done(item)`` runs once its item is committed (``item.ref``) or has failed (``item.error``).
        Durable mode calls them from the writer thread after the commit, so a caller that must not
        block (an event loop) hands the result over itself; write-behind mode calls them at once, with
        ``AuditRef(seq=0, hash="")``. Raises ``StoreError`` like ``submit`` (no callback is called).
        One entry for many items wakes the writer once and lands them in one transaction."""
        self._put(list(items))
        if not self.durable:
            for item in items:
                item.ref = AuditRef(seq=0, hash="")
                notify(item)

    def _put(self, entry: Pending | list[Pending]) -> None:
        """Queue one entry: durable, at once (the caller waits for the commit anyway); write-behind,
        refused while the store is failing, and blocking at most ``put_timeout`` on a full queue."""
        if self._closed:
            raise StoreError("audit log is closed")
        if self.durable:
            self._queue.put(entry)
            return
        if self._failing is not None:
            raise StoreError(f"audit store is failing; event not queued: {self._failing}")
        try:
            self._queue.put(entry, timeout=self.put_timeout)
        except queue.Full:
            raise StoreError(f"audit write-behind queue full for {self.put_timeout:.0f} s") from None

    def flush(self) -> None:
        """Wait until every queued event is committed (or has failed)."""
        self._queue.join()

    def forget_keys(self, tenant: str) -> None:
        """Drop cached data keys of ``tenant`` (after a customer's keys were destroyed)."""
        with self._state:
            for k in [k for k in list(self._deks) if k[0] == tenant]:
                self._deks.pop(k, None)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()

    # -- writer thread ----------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            timeout = self._next_checkpoint_in()
            try:
                first = self._queue.get(timeout=timeout)
            except queue.Empty:
                self._safe(force=False)
                continue
            batch: list[Pending] = []
            entries = 1
            stop = first is _STOP
            if not stop:
                _take(batch, first)
            # take what has queued; with a commit delay, wait up to that long for more (one commit,
            # and one fsync, for all of them: less CPU per event at the price of that much latency)
            deadline = time.monotonic() + self.commit_delay_s
            while not stop and len(batch) < self.max_batch:
                try:
                    remaining = deadline - time.monotonic()
                    nxt = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                entries += 1
                if nxt is _STOP:
                    stop = True
                else:
                    _take(batch, nxt)
            if batch:
                self._write(batch)
            for _ in range(entries):
                self._queue.task_done()
            if stop:
                self._safe(force=True)
                return

    def _safe(self, *, force: bool) -> None:
        try:
            self._timed_checkpoints(force=force)
        except GuardlineError as exc:
            log.error("audit checkpoint failed: %s", exc)

    def _write(self, batch: list[Pending]) -> None:
        delay = 0.05
        while True:
            try:
                try:
                    refs = self._commit(batch)
                except GuardlineError:
                    raise
                except Exception as exc:  # a bug must not leave callers waiting forever
                    raise StoreError(f"audit writer failed: {type(exc).__name__}: {exc}") from exc
            except GuardlineError as exc:
                if self.durable:
                    for item in batch:
                        item.error = exc
                        notify(item)
                    return
                self._failing = exc
                if self._closed and delay > 2.0:
                    log.error("audit store failing at shutdown; %d events lost: %s", len(batch), exc)
                    return
                log.error("audit write failed, retrying in %.2f s: %s", delay, exc)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._failing = None
            for item, ref in zip(batch, refs, strict=True):
                item.ref = ref
                notify(item)
            return

    def _commit(self, batch: Sequence[Pending]) -> list[AuditRef]:
        now = time.time()
        tenants = sorted({p.tenant for p in batch})
        written: list[Checkpoint] = []
        refs: list[AuditRef] = []
        with self.store.write() as tx:
            heads = tx.lock_heads(tenants)
            keys: dict[tuple[str, str], tuple[str, bytes]] = {}
            for tenant in tenants:
                customers = sorted({p.customer_id for p in batch if p.tenant == tenant and p.plaintext is not None})
                if not customers:
                    continue
                live = tx.live_keys(tenant, customers)
                for customer in customers:
                    found = live.get(customer)
                    if found is not None:
                        key_id, wrapped = found
                        dek = self._deks.get((tenant, key_id))
                        if dek is None:
                            dek = self.crypto.unwrap(tenant, customer, key_id, wrapped)
                    else:
                        key_id = new_key_id()
                        dek, wrapped = self.crypto.new_data_key(tenant, customer, key_id)
                        tx.insert_key(tenant, customer, key_id, wrapped, now)
                    self._deks[(tenant, key_id)] = dek
                    keys[(tenant, customer)] = (key_id, dek)
            rows: list[NewEvent] = []
            for p in batch:
                if not self.durable:
                    time.sleep(0)    # let request threads have the GIL between events (p99 of checks)
                seq, prev = heads[p.tenant]
                seq += 1
                kid: str | None = None
                ct: bytes | None = None
                digest: bytes | None = None
                if p.plaintext is not None:
                    kid, dek = keys[(p.tenant, p.customer_id)]
                    ct = self.crypto.seal(dek, p.plaintext, tenant=p.tenant, key_id=kid, seq=seq)
                    digest = hashlib.sha256(ct).digest()
                entry = entry_bytes(p.body, ct_digest=digest, key_id=kid, seq=seq, tenant=p.tenant)
                h = link_hash(prev, leaf_hash(entry))
                heads[p.tenant] = (seq, h)
                rows.append(NewEvent(p.tenant, seq, entry, h, kid, ct, p.kind, p.conversation_id,
                                     p.customer_id, p.message_id, p.recorded_at))
                refs.append(AuditRef(seq=seq, hash=h.hex()))
            tx.insert_events(rows)
            tx.set_heads(heads)
            mono = time.monotonic()
            for tenant in tenants:
                with self._state:
                    known = self._last_cp.get(tenant)
                if known is None:
                    known = (tx.last_checkpoint(tenant), mono)
                    with self._state:
                        self._last_cp[tenant] = known
                seq, h = heads[tenant]
                last_seq, last_t = known
                if seq - last_seq >= self.checkpoint_every or mono - last_t >= self.checkpoint_seconds:
                    cp = self.crypto.sign(Checkpoint(tenant, seq, h, _now_iso()))
                    tx.insert_checkpoint(cp)
                    written.append(cp)
        mono = time.monotonic()
        with self._state:
            for tenant in tenants:
                self._dirty[tenant] = heads[tenant]
            for cp in written:
                self._last_cp[cp.tenant] = (cp.seq, mono)
                self._dirty.pop(cp.tenant, None)
        self._append_file(written)
        return refs

    def _next_checkpoint_in(self) -> float | None:
        mono = time.monotonic()
        with self._state:
            if not self._dirty:
                return None
            due = min(self._last_cp.get(t, (0, mono))[1] + self.checkpoint_seconds for t in self._dirty)
        return max(0.01, due - mono)

    def _timed_checkpoints(self, *, force: bool) -> None:
        mono = time.monotonic()
        with self._state:
            due = [t for t in self._dirty
                   if force or mono - self._last_cp.get(t, (0, 0.0))[1] >= self.checkpoint_seconds]
        if due:
            self.checkpoint(due)

    def checkpoint(self, tenants: Sequence[str]) -> list[Checkpoint]:
        """Sign the current heads of ``tenants`` (those with events after their last checkpoint).
        Runs in the writer thread (``_timed_checkpoints``) or after ``close``."""
        with self.store.write() as tx:
            heads, written = sign_heads(tx, self.crypto, tenants)
        mono = time.monotonic()
        with self._state:
            for tenant in tenants:
                self._dirty.pop(tenant, None)
                seq = heads.get(tenant, (0, b""))[0]
                self._last_cp[tenant] = (max(seq, self._last_cp.get(tenant, (0, 0.0))[0]), mono)
        self._append_file(written)
        return written

    def _append_file(self, cps: Sequence[Checkpoint]) -> None:
        if not cps or not self.checkpoint_file:
            return
        lines = "".join(json.dumps(cp.to_dict(), sort_keys=True) + "\n" for cp in cps)
        try:
            with open(self.checkpoint_file, "a", encoding="ascii") as fh:
                fh.write(lines)
                fh.flush()
        except OSError as exc:
            log.error("cannot append to checkpoint file %s: %s", self.checkpoint_file, exc.strerror)


def _take(batch: list[Pending], entry: object) -> None:
    if isinstance(entry, list):
        batch.extend(entry)
    else:
        assert isinstance(entry, Pending)
        batch.append(entry)


def notify(item: Pending) -> None:
    """Wake whoever waits for ``item``; a failing callback must not stop the writer thread."""
    if item.done is not None:
        item.done.set()
    if item.on_done is not None:
        try:
            item.on_done(item)
        except Exception:
            log.exception("audit completion callback failed")


def sign_heads(tx: WriteTx, crypto: AuditCrypto, tenants: Sequence[str]
               ) -> tuple[dict[str, tuple[int, bytes]], list[Checkpoint]]:
    """Inside a write transaction: sign and store a checkpoint of each tenant's head that is past its
    last checkpoint. Returns the heads and the new checkpoints."""
    heads = tx.lock_heads(sorted(tenants))
    written: list[Checkpoint] = []
    for tenant, (seq, h) in heads.items():
        if seq > 0 and seq > tx.last_checkpoint(tenant):
            cp = crypto.sign(Checkpoint(tenant, seq, h, _now_iso()))
            tx.insert_checkpoint(cp)
            written.append(cp)
    return heads, written


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
