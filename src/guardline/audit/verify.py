"""Verification of a store, export of a conversation as an offline-verifiable bundle, and its check.

**Bundle** (``format: guardline-audit-bundle/1``)::

    {"format", "tenant", "conversation", "public_key": hex (informational; the verifier brings its own),
     "checkpoint": {"tenant", "seq", "head", "ts", "signature"},
     "proof": {"start_seq": a, "prev": chain hash of seq a-1 (hex; zeros when a = 1),
               "leaves": [leaf hash of every event a..checkpoint.seq, hex]},
     "events": [{"seq", "entry": the canonical entry as a JSON object}, ...]}

``a`` is the conversation's first event and the checkpoint is the first signed one at or after its
last event, so the proof holds the conversation's span plus at most ``checkpoint_every`` leaves. The
verifier re-serialises each entry canonically, checks that its leaf hash is the listed one at its
seq, folds the leaves from ``prev`` into the chain and compares the result with the signed head, then
checks the Ed25519 signature with the public key it was given. Events of other conversations stay
hidden: only their leaf hashes are shown. A bundle proves the events it holds; it cannot prove that
no event of the conversation was left out.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import IntegrityError, InvalidInput
from .chain import GENESIS, Checkpoint, VerifyReport, canonical, leaf_hash, link_hash, verify_chain
from .crypto import AuditCrypto, signature_ok
from .store import AuditStore
from .writer import sign_heads

__all__ = ["BUNDLE_FORMAT", "BundleReport", "export_bundle", "read_checkpoint_file", "verify_bundle",
           "verify_store"]

BUNDLE_FORMAT = "guardline-audit-bundle/1"


def verify_store(store: AuditStore, sig_ok: Callable[[Checkpoint], bool], *, tenant: str | None = None,
                 extra_checkpoints: Sequence[Checkpoint] = ()) -> list[VerifyReport]:
    """Verify every tenant's chain (or one). ``InvalidInput`` for a tenant the store has never seen."""
    reports: list[VerifyReport] = []
    with store.read() as rx:
        known = set(rx.tenants()) | {c.tenant for c in extra_checkpoints}
        if tenant is not None and tenant not in known:
            raise InvalidInput(f"unknown tenant {tenant!r}: the audit store has no events for it", field="tenant")
        for t in [tenant] if tenant is not None else sorted(known):
            cps = rx.checkpoints(t) + [c for c in extra_checkpoints if c.tenant == t]
            with closing(rx.events(t)) as rows:
                reports.append(verify_chain(t, rows, cps, signature_ok=sig_ok, head=rx.head(t)))
    return reports


def read_checkpoint_file(path: str | Path) -> list[Checkpoint]:
    """Checkpoints written outside the store (one JSON object per line)."""
    try:
        lines = Path(path).read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read checkpoint file {path}: {exc}", field="checkpoints") from None
    out: list[Checkpoint] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise InvalidInput(f"{path}:{n}: not JSON", field="checkpoints") from None
        out.append(Checkpoint.from_dict(obj, where=f"{path}:{n}"))
    return out


def export_bundle(store: AuditStore, crypto: AuditCrypto, *, tenant: str, conversation: str) -> dict[str, Any]:
    """The bundle for one conversation. Signs a fresh checkpoint when none covers its last event yet."""
    with store.read() as rx:
        if tenant not in rx.tenants():
            raise InvalidInput(f"unknown tenant {tenant!r}: the audit store has no events for it", field="tenant")
        seqs = rx.conversation_seqs(tenant, conversation)
        if not seqs:
            raise InvalidInput(f"no audit events for conversation {conversation!r} of tenant {tenant!r}",
                               field="conversation")
        cp = next((c for c in rx.checkpoints(tenant) if c.seq >= seqs[-1]), None)
    if cp is None:
        with store.write() as tx:
            sign_heads(tx, crypto, [tenant])
    with store.read() as rx:
        cp = next((c for c in rx.checkpoints(tenant) if c.seq >= seqs[-1]), None)
        if cp is None:
            raise IntegrityError(f"no checkpoint covers seq {seqs[-1]} of tenant {tenant!r}")
        if not crypto.signature_ok(cp):
            raise IntegrityError(f"checkpoint {cp.seq} of tenant {tenant!r} does not verify with this "
                                 "GUARDLINE_SECRET's public key")
        start = seqs[0]
        prev = GENESIS if start == 1 else rx.chain_hash(tenant, start - 1)
        if prev is None:
            raise IntegrityError(f"event {start - 1} of tenant {tenant!r} is missing; run guardline audit verify")
        wanted = set(seqs)
        leaves: list[str] = []
        events: list[dict[str, Any]] = []
        h, expected = prev, start
        with closing(rx.events(tenant, start, cp.seq)) as rows:
            for seq, entry, _, _, _ in rows:
                if seq != expected:
                    break
                leaf = leaf_hash(entry)
                h = link_hash(h, leaf)
                leaves.append(leaf.hex())
                if seq in wanted:
                    events.append({"seq": seq, "entry": json.loads(entry)})
                expected += 1
    if expected != cp.seq + 1 or not hmac.compare_digest(h, cp.head):
        raise IntegrityError(f"the stored chain of tenant {tenant!r} does not reach signed checkpoint {cp.seq}; "
                             "run guardline audit verify")
    return {"format": BUNDLE_FORMAT, "tenant": tenant, "conversation": conversation,
            "public_key": crypto.public_key(tenant).hex(), "checkpoint": cp.to_dict(),
            "proof": {"start_seq": start, "prev": prev.hex(), "leaves": leaves}, "events": events}


@dataclass(frozen=True, slots=True)
class BundleReport:
    tenant: str
    conversation: str
    events: int
    checkpoint_seq: int
    checkpoint_ts: str


def _hex32(value: Any, where: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise InvalidInput("expected 64 hex digits", field=where)
    return raw


def verify_bundle(bundle: Any, public_key: bytes) -> BundleReport:
    """Check a bundle offline. ``InvalidInput`` when it is malformed; ``IntegrityError`` naming the first
    thing that does not verify (signature, proof, an altered or misplaced event)."""
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise InvalidInput(f"not a Guardline audit bundle (expected format {BUNDLE_FORMAT!r})", field="bundle")
    tenant, conversation = bundle.get("tenant"), bundle.get("conversation")
    if not isinstance(tenant, str) or not isinstance(conversation, str):
        raise InvalidInput("tenant and conversation must be strings", field="bundle")
    cp = Checkpoint.from_dict(bundle.get("checkpoint"), where="bundle.checkpoint")
    proof, events = bundle.get("proof"), bundle.get("events")
    if not isinstance(proof, dict) or not isinstance(events, list) or not events:
        raise InvalidInput("needs a proof object and a non-empty events list", field="bundle")
    start, raw_leaves = proof.get("start_seq"), proof.get("leaves")
    if type(start) is not int or start < 1 or not isinstance(raw_leaves, list):
        raise InvalidInput("start_seq must be a positive integer and leaves a list", field="bundle.proof")
    prev = _hex32(proof.get("prev"), "bundle.proof.prev")
    leaves = [_hex32(x, f"bundle.proof.leaves[{i}]") for i, x in enumerate(raw_leaves)]
    if cp.tenant != tenant:
        raise IntegrityError(f"the checkpoint is of tenant {cp.tenant!r}, the bundle of {tenant!r}")
    if not signature_ok(public_key, cp):
        raise IntegrityError(f"checkpoint {cp.seq}: the signature does not verify with public key "
                             f"{public_key.hex()[:16]}... (wrong key, or an altered checkpoint)")
    if start + len(leaves) - 1 != cp.seq:
        raise IntegrityError(f"the proof covers seqs {start}..{start + len(leaves) - 1}, the checkpoint {cp.seq}")
    if start == 1 and prev != GENESIS:
        raise IntegrityError("a proof from seq 1 must start at the genesis hash")
    h = prev
    for leaf in leaves:
        h = link_hash(h, leaf)
    if not hmac.compare_digest(h, cp.head):
        raise IntegrityError(f"the proof does not reach the head signed at checkpoint {cp.seq}")
    _check_events(events, leaves, start=start, tenant=tenant, conversation=conversation)
    return BundleReport(tenant, conversation, len(events), cp.seq, cp.ts)


def _check_events(events: Iterable[Any], leaves: Sequence[bytes], *, start: int, tenant: str,
                  conversation: str) -> None:
    for i, ev in enumerate(events):
        if not isinstance(ev, dict) or type(ev.get("seq")) is not int or not isinstance(ev.get("entry"), dict):
            raise InvalidInput("each event needs an integer seq and an entry object", field=f"bundle.events[{i}]")
        seq, entry = ev["seq"], ev["entry"]
        if not start <= seq < start + len(leaves):
            raise IntegrityError(f"event {seq} is outside the proven range")
        if entry.get("seq") != seq or entry.get("tenant") != tenant:
            raise IntegrityError(f"event {seq}: its entry says seq {entry.get('seq')!r} of tenant "
                                 f"{entry.get('tenant')!r}")
        if not hmac.compare_digest(leaf_hash(canonical(entry)), leaves[seq - start]):
            raise IntegrityError(f"event {seq}: the entry was altered (its hash is not the proven leaf)")
        body = entry.get("body")
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict) or message.get("conversation") != conversation:
            raise IntegrityError(f"event {seq} is not part of conversation {conversation!r}")
