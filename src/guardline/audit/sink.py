"""``AuditLog``: the sink ``Guard`` calls after each verdict, and ``open_audit(url)``.

Each checked message becomes one event in its tenant's hash chain (see ``chain`` for what one entry
is). The entry holds the REDACTED text (every pii/secret/leakage finding span replaced by a typed
placeholder) and the decision; the original text, the grounding sources and the metadata are
encrypted under the customer's data key and kept next to the entry, outside the hashed bytes.

Concurrency: one writer thread per ``AuditLog`` does group commit (see ``writer``); several
processes may write the same database: SQLite serialises them with ``BEGIN IMMEDIATE``, PostgreSQL
with a row lock on the tenant's head (``SELECT ... FOR UPDATE``) taken inside the transaction that
reads the head and inserts, so each tenant's chain stays linear.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from ..errors import ConfigError, GuardlineError, InvalidInput
from ..keys import KeyRing
from ..redact import redact_findings
from ..types import TENANT_RE, AuditRef, Message, Verdict
from .chain import Checkpoint, VerifyReport, canonical
from .crypto import AuditCrypto
from .store import AuditStore, open_store
from .writer import Pending, Writer, notify, sign_heads

__all__ = ["AuditLog", "audit_options", "open_audit"]



def _iso(ts: float | datetime) -> str:
    dt = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts, UTC)
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


class AuditLog:
    """Appends audit events; see the module docstring. Use ``open_audit`` to build one."""

    def __init__(self, store: AuditStore, keys: KeyRing, *, durable: bool = True, checkpoint_every: int = 1000,
                 checkpoint_seconds: float = 60.0, checkpoint_file: str | None = None,
                 queue_size: int = 10_000, commit_delay_ms: float = 0.0) -> None:
        self.store = store
        self.crypto = AuditCrypto(keys)
        self.durable = durable
        self.checkpoint_file = checkpoint_file
        self._writer = Writer(store, self.crypto, durable=durable, checkpoint_every=checkpoint_every,
                              checkpoint_seconds=checkpoint_seconds, checkpoint_file=checkpoint_file,
                              queue_size=queue_size, commit_delay_s=commit_delay_ms / 1000)
        self._outbox: dict[asyncio.AbstractEventLoop, list[Pending]] = {}   # aappend, per event loop
        self._closed = False

    # -- the contract with Guard ------------------------------------------------------------------------
    def append(self, message: Message, verdict: Verdict) -> AuditRef:
        """Record one verdict. Durable: returns once committed (``AuditRef`` with seq and chain hash).
        Write-behind: returns at once with ``AuditRef(seq=0, hash="")``. Raises ``StoreError``."""
        return self._writer.submit(self._pending(message, verdict))

    async def aappend(self, message: Message, verdict: Verdict) -> AuditRef:
        """``append`` for an event loop: queues the event and awaits its commit without blocking the
        loop. The events appended during one turn of the loop go to the writer together (one wake-up,
        one transaction), so the checks in flight share a commit instead of each holding the loop
        through its own."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AuditRef] = loop.create_future()
        item = self._pending(message, verdict)

        def done(item: Pending) -> None:       # writer thread (durable) or the loop (write-behind)
            try:
                loop.call_soon_threadsafe(_settle, future, item)
            except RuntimeError:               # the loop has closed: nobody is waiting any more
                pass

        item.on_done = done
        outbox = self._outbox.get(loop)
        if outbox is None:
            outbox = self._outbox[loop] = []
            loop.call_soon(self._send_outbox, loop)
        outbox.append(item)
        return await future

    def _send_outbox(self, loop: asyncio.AbstractEventLoop) -> None:
        items = self._outbox.pop(loop, [])
        try:
            self._writer.submit_callbacks(items)
        except GuardlineError as exc:
            for item in items:     # every caller of this loop turn gets the error
                item.error = exc
                notify(item)

    def _pending(self, message: Message, verdict: Verdict) -> Pending:
        now = time.time()
        body = canonical({
            "kind": "verdict",
            "message": {
                "id": message.id, "conversation": message.conversation_id, "customer": message.customer_id,
                "channel": str(message.channel), "direction": str(message.direction),
                "agent": {"name": message.agent.name, "version": message.agent.version},
                "timestamp": _iso(message.timestamp),
            },
            "text": redact_findings(message.text, verdict.findings),
            "findings": [f.to_dict() for f in verdict.findings],
            "action": str(verdict.action),
            "policy": verdict.policy,
            "policy_hash": verdict.policy_hash,
            "detectors": dict(verdict.detectors),
            "latency_ms": round(verdict.latency_ms, 3),
            "recorded_at": _iso(now),
        })
        secret = message.model_dump(mode="json", include={"grounding", "metadata"})
        secret["text"] = message.text
        return Pending(tenant=message.tenant, body=body, plaintext=canonical(secret), kind="verdict",
                       conversation_id=message.conversation_id, customer_id=message.customer_id,
                       message_id=message.id, recorded_at=now)

    def append_operator_event(self, tenant: str, kind: str, payload: dict[str, Any]) -> AuditRef:
        """Record an operator action (kill switch, policy change, erasure). ``payload`` must be JSON and
        must not hold secrets or raw PII: it is stored in clear and can never be erased."""
        if not TENANT_RE.match(tenant):
            raise InvalidInput("must be 1-128 letters, digits, '_', '.', '-'", field="tenant")
        if not kind or len(kind) > 128:
            raise InvalidInput("must be 1-128 characters", field="kind")
        now = time.time()
        body = canonical({"kind": "operator", "op": kind, "payload": payload, "recorded_at": _iso(now)})
        return self._writer.submit(Pending(tenant=tenant, body=body, plaintext=None, kind="operator",
                                           recorded_at=now))

    def close(self) -> None:
        """Flush, write a final checkpoint of every chain this log wrote to, close the store."""
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        self.store.close()

    # -- operations used by the CLI ----------------------------------------------------------------------
    def flush(self) -> None:
        self._writer.flush()

    def checkpoint(self, tenant: str) -> list[Checkpoint]:
        """Sign the tenant's current head now (if it is past the last checkpoint)."""
        self.flush()
        with self.store.write() as tx:
            _, written = sign_heads(tx, self.crypto, [tenant])
        self._writer._append_file(written)
        return written

    def forget(self, tenant: str, customer: str) -> int:
        """Destroy the customer's data keys (their texts become unrecoverable), record the erasure as an
        operator event, and return how many keys were destroyed."""
        if not customer:
            raise InvalidInput("must not be empty", field="customer")
        self.flush()
        with self.store.read() as rx:
            if tenant not in rx.tenants():
                raise InvalidInput(f"unknown tenant {tenant!r}: the audit store has no events for it",
                                   field="tenant")
        n = self.store.shred_customer(tenant, customer, time.time())
        self._writer.forget_keys(tenant)
        self.append_operator_event(tenant, "customer.forget", {"customer": customer, "keys_destroyed": n})
        return n

    def verify(self, tenant: str | None = None, *, extra_checkpoints: tuple[Checkpoint, ...] = ()
               ) -> list[VerifyReport]:
        from .verify import verify_store

        self.flush()
        return verify_store(self.store, self.crypto.signature_ok, tenant=tenant,
                            extra_checkpoints=extra_checkpoints)

    def public_key(self, tenant: str) -> bytes:
        return self.crypto.public_key(tenant)

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _settle(future: asyncio.Future[AuditRef], item: Pending) -> None:
    if future.done():                          # the awaiting request was cancelled
        return
    if item.error is not None:
        future.set_exception(item.error)
    else:
        assert item.ref is not None
        future.set_result(item.ref)


def open_audit(url: str, *, keys: KeyRing, durable: bool = True, checkpoint_every: int = 1000,
               checkpoint_seconds: float = 60.0, checkpoint_file: str | None = None,
               commit_delay_ms: float = 0.0, allow_ephemeral: bool = False) -> AuditLog:
    """Open (and migrate) the audit store at ``url`` (``sqlite:///path`` or ``postgresql://...``).

    An ephemeral key ring (no ``GUARDLINE_SECRET``) is refused: its texts could never be decrypted
    and its checkpoints never verified after a restart (``allow_ephemeral=True`` for throw-away logs).
    """
    if keys.ephemeral and not allow_ephemeral:
        raise ConfigError("the audit log needs a stable master secret: set GUARDLINE_SECRET (or "
                          "GUARDLINE_SECRET_FILE), e.g. to the output of `python -c \"import secrets; "
                          "print(secrets.token_hex(32))\"`")
    store = open_store(url, durable=durable)
    return AuditLog(store, keys, durable=durable, checkpoint_every=checkpoint_every,
                    checkpoint_seconds=checkpoint_seconds, checkpoint_file=checkpoint_file,
                    commit_delay_ms=commit_delay_ms)


def audit_options(policy: Any) -> dict[str, Any]:
    """``open_audit`` keyword arguments from the policy's ``audit:`` section."""
    a = policy.audit
    return {"durable": bool(a.get("durable", True)),
            "checkpoint_every": int(a.get("checkpoint_every", 1000)),
            "checkpoint_seconds": float(a.get("checkpoint_seconds", 60.0)),
            "checkpoint_file": a.get("checkpoint_file"),
            "commit_delay_ms": float(a.get("commit_delay_ms", 0.0))}
