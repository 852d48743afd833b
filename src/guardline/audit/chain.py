"""The hash chain: what one audit entry is, how it is hashed, and how a chain is verified.

**One entry** is the canonical JSON of ``{"body": ..., "ct": ..., "key": ..., "seq": n, "tenant": t,
"v": 1}``: the decision (``body``: ids, redacted text, findings, action, policy hash, ...), the SHA-256
of the encrypted original text (``ct``, hex, or null) and the id of the customer data key that
encrypted it (``key``), at position ``seq`` of ``tenant``'s chain. The ciphertext itself is kept
OUTSIDE the entry; only its digest is hashed, so destroying the data key (crypto-shredding) leaves the
chain verifiable.

Canonical JSON: keys sorted, no whitespace, ASCII only (``\\uXXXX`` escapes, so any Python string,
lone surrogates included, round-trips byte for byte), no NaN or infinity.

Hashes are domain-separated, as in certificate transparency::

    leaf_n  = SHA-256(0x00 || entry_n)
    chain_n = SHA-256(0x01 || chain_{n-1} || leaf_n),   chain_0 = 32 zero bytes

A checkpoint is (tenant, seq, chain_seq, time), signed with Ed25519 (see ``crypto``). Everything here is
pure: backends hand rows in, this module says whether they verify and, if not, which event is the first
bad one and why (edited, deleted, inserted, reordered, truncated, forged).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import InvalidInput

__all__ = [
    "FORMAT_VERSION",
    "GENESIS",
    "Checkpoint",
    "EventRow",
    "Problem",
    "ProblemKind",
    "VerifyReport",
    "canonical",
    "entry_bytes",
    "leaf_hash",
    "link_hash",
    "verify_chain",
]

FORMAT_VERSION = 1
GENESIS = bytes(32)
_LEAF = b"\x00"
_NODE = b"\x01"
_CHECKPOINT_DOMAIN = b"guardline-checkpoint/v1\x00"

EventRow = tuple[int, bytes, bytes, "str | None", "bytes | None"]
"""A stored event as the backends yield it: (seq, entry bytes, stored chain hash, key id, ciphertext)."""


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes of ``obj``; ``InvalidInput`` when it holds something JSON cannot say."""
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                          allow_nan=False).encode("ascii")
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"not representable as canonical JSON: {exc}") from None


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(_LEAF + entry).digest()


def link_hash(prev: bytes, leaf: bytes) -> bytes:
    return hashlib.sha256(_NODE + prev + leaf).digest()


def _json_str(value: str) -> bytes:
    """``canonical(value)`` for a string, without json.dumps for the common plain-ASCII-word case."""
    if value.isascii() and value.replace("-", "").replace("_", "").replace(".", "").isalnum():
        return b'"' + value.encode("ascii") + b'"'
    return canonical(value)


def _tail(ct_digest: bytes | None, key_id: str | None, seq: int, tenant: str) -> bytes:
    ct = b"null" if ct_digest is None else b'"' + ct_digest.hex().encode() + b'"'
    key = b"null" if key_id is None else _json_str(key_id)
    return (b',"ct":' + ct + b',"key":' + key + b',"seq":' + str(seq).encode() + b',"tenant":'
            + _json_str(tenant) + b',"v":' + str(FORMAT_VERSION).encode() + b"}")


def entry_bytes(body: bytes, *, ct_digest: bytes | None, key_id: str | None, seq: int, tenant: str) -> bytes:
    """The canonical entry, built from an already canonical ``body`` without re-serialising it.

    Equal to ``canonical({"body": json.loads(body), "ct": ..., "key": ..., "seq": ..., "tenant": ...,
    "v": 1})`` because the top-level keys are in sorted order (a test checks this)."""
    return b'{"body":' + body + _tail(ct_digest, key_id, seq, tenant)


# -- checkpoints --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement: ``tenant``'s chain had ``seq`` events and head hash ``head`` at ``ts``."""

    tenant: str
    seq: int
    head: bytes
    ts: str
    signature: bytes = b""

    def message(self) -> bytes:
        """The bytes that are signed."""
        return _CHECKPOINT_DOMAIN + canonical({"head": self.head.hex(), "seq": self.seq,
                                               "tenant": self.tenant, "ts": self.ts, "v": FORMAT_VERSION})

    def to_dict(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "seq": self.seq, "head": self.head.hex(), "ts": self.ts,
                "signature": self.signature.hex()}

    @classmethod
    def from_dict(cls, d: Any, *, where: str = "checkpoint") -> Checkpoint:
        if not isinstance(d, dict):
            raise InvalidInput("expected an object", field=where)
        try:
            tenant, seq, ts = d["tenant"], d["seq"], d["ts"]
            head, sig = bytes.fromhex(d["head"]), bytes.fromhex(d["signature"])
        except KeyError as exc:
            raise InvalidInput(f"missing field {exc.args[0]!r}", field=where) from None
        except (TypeError, ValueError):
            raise InvalidInput("head and signature must be hex strings", field=where) from None
        if not isinstance(tenant, str) or not isinstance(ts, str) or type(seq) is not int or seq < 1:
            raise InvalidInput("tenant and ts must be strings, seq a positive integer", field=where)
        if len(head) != 32:
            raise InvalidInput("head must be 32 bytes", field=where)
        return cls(tenant=tenant, seq=seq, head=head, ts=ts, signature=sig)


# -- verification -------------------------------------------------------------------------------------

class ProblemKind(StrEnum):
    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    FORGED = "forged"          # a checkpoint whose signature does not verify, or a re-hashed chain


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int
    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.kind}: {self.detail}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    tenant: str
    events: int                     # events checked (up to the first problem)
    head_seq: int
    head: bytes
    checkpoints: int                # signed checkpoints checked
    last_checkpoint: int            # highest checkpointed seq (0: none)
    problem: Problem | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.problem is None

    def to_dict(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "ok": self.ok, "events": self.events, "head_seq": self.head_seq,
                "head": self.head.hex(), "checkpoints": self.checkpoints,
                "last_checkpoint": self.last_checkpoint,
                "problem": None if self.problem is None else {
                    "seq": self.problem.seq, "kind": str(self.problem.kind), "detail": self.problem.detail},
                "notes": list(self.notes)}


def _claimed(entry: bytes) -> tuple[str | None, int | None]:
    """The (tenant, seq) an entry says it has, or (None, None) when it is not a well-formed entry."""
    try:
        obj = json.loads(entry)
    except ValueError:
        return None, None
    if not isinstance(obj, dict):
        return None, None
    tenant, seq = obj.get("tenant"), obj.get("seq")
    return (tenant if isinstance(tenant, str) else None, seq if type(seq) is int else None)


def _diagnose(tenant: str, row: EventRow, ahead: Iterator[EventRow], ct_ok: bool) -> Problem:
    """Say why the first bad row is bad. Reads a bounded number of following rows to tell a
    reordering from a deletion and an insertion from an edit."""
    seq, entry = row[0], row[1]
    claimed_tenant, claimed = _claimed(entry)
    window = [_claimed(r[1])[1] for _, r in zip(range(10_000), ahead, strict=False)]
    if claimed is None:
        return Problem(seq, ProblemKind.EDITED, "the stored entry is not a well-formed audit entry")
    if claimed_tenant != tenant:
        return Problem(seq, ProblemKind.INSERTED, "holds an entry of another chain")
    if claimed == seq:
        if not ct_ok:
            return Problem(seq, ProblemKind.EDITED, "the stored ciphertext does not match the entry's digest")
        if window and window[0] == seq:
            return Problem(seq, ProblemKind.INSERTED,
                           f"a foreign event sits at seq {seq}; the original event {seq} follows it")
        return Problem(seq, ProblemKind.EDITED,
                       "the entry (or its stored hash) does not match the chain: this event was edited "
                       "or the one before it was edited and re-hashed")
    if claimed > seq:
        if seq in window:
            return Problem(seq, ProblemKind.REORDERED, f"holds event {claimed}; event {seq} is stored later")
        return Problem(seq, ProblemKind.DELETED,
                       f"holds event {claimed}: event(s) {seq}..{claimed - 1} were deleted and the rest renumbered")
    return Problem(seq, ProblemKind.INSERTED,
                   f"holds event {claimed} again: an event was inserted at or before seq {seq}")


def verify_chain(tenant: str, rows: Iterable[EventRow], checkpoints: Sequence[Checkpoint], *,
                 signature_ok: Callable[[Checkpoint], bool],
                 head: tuple[int, bytes] | None = None) -> VerifyReport:
    """Verify ``tenant``'s chain from seq 1.

    ``rows`` in ascending seq order; ``checkpoints`` from the store and any kept outside it;
    ``signature_ok`` checks one checkpoint's signature; ``head`` is the store's own record of its head
    (unsigned, but it catches a naive truncation or append). Stops at the first problem.
    """
    cps = sorted({(c.seq, c.head, c.signature): c for c in checkpoints}.values(), key=lambda c: c.seq)
    for cp in cps:
        if cp.tenant != tenant or not signature_ok(cp):
            return VerifyReport(tenant, 0, 0, GENESIS, 0, 0, Problem(
                cp.seq, ProblemKind.FORGED, "checkpoint signature does not verify with this tenant's public "
                "key (wrong GUARDLINE_SECRET or public key, or a forged checkpoint)"))
    signed: dict[int, list[bytes]] = {}
    for cp in cps:
        signed.setdefault(cp.seq, []).append(cp.head)
    last_cp = cps[-1].seq if cps else 0
    sha256, compare = hashlib.sha256, hmac.compare_digest
    tb = canonical(tenant)
    tail_end = b',"tenant":' + tb + b',"v":' + str(FORMAT_VERSION).encode() + b"}"

    prev, expected, n = GENESIS, 1, 0
    key_cache: dict[str, bytes] = {}
    it = iter(rows)

    def report(problem: Problem | None, notes: tuple[str, ...] = ()) -> VerifyReport:
        return VerifyReport(tenant, n, expected - 1, prev, len(cps), last_cp, problem, notes)

    for row in it:
        seq, entry, stored, key_id, ct = row
        if seq != expected:
            if seq > expected:
                return report(Problem(expected, ProblemKind.DELETED,
                                      f"event(s) {expected}..{seq - 1} are missing"))
            return report(Problem(seq, ProblemKind.INSERTED, "a second event with this seq"))
        digest = None if ct is None else sha256(ct).digest()
        ct_part = b"null" if digest is None else b'"' + digest.hex().encode() + b'"'
        key_part = b"null" if key_id is None else key_cache.get(key_id) or key_cache.setdefault(
            key_id, _json_str(key_id))
        tail = b',"ct":' + ct_part + b',"key":' + key_part + b',"seq":' + str(seq).encode() + tail_end
        h = sha256(_NODE + prev + sha256(_LEAF + entry).digest()).digest()
        if not entry.endswith(tail) or not compare(h, stored):
            _, claimed = _claimed(entry)
            ct_ok = claimed != seq or _ct_matches(entry, digest)
            return report(_diagnose(tenant, row, it, ct_ok))
        heads = signed.get(seq)
        if heads is not None and not all(compare(h, x) for x in heads):
            return report(Problem(seq, ProblemKind.FORGED,
                                  f"the chain does not reach the head signed at checkpoint {seq}: an event at "
                                  "or before it was changed and the chain re-hashed"))
        prev, expected, n = h, expected + 1, n + 1
    last = expected - 1
    if last_cp > last:
        return report(Problem(last + 1, ProblemKind.TRUNCATED,
                              f"the log ends at seq {last} but checkpoint {last_cp} is signed: the tail was "
                              "truncated"))
    if head is not None:
        hseq, hhash = head
        if hseq > last:
            return report(Problem(last + 1, ProblemKind.TRUNCATED,
                                  f"the log ends at seq {last} but the store's head is {hseq}"))
        if hseq < last:
            return report(Problem(hseq + 1, ProblemKind.INSERTED,
                                  f"events after the store's recorded head ({hseq})"))
        if last and not compare(hhash, prev):
            return report(Problem(last, ProblemKind.EDITED, "the head hash does not match the last event"))
    notes: tuple[str, ...] = ()
    if last > last_cp:
        notes = (f"events {last_cp + 1}..{last} are after the last signed checkpoint",)
    return report(None, notes)


def _ct_matches(entry: bytes, digest: bytes | None) -> bool:
    try:
        obj = json.loads(entry)
    except ValueError:
        return False
    want = None if digest is None else digest.hex()
    return isinstance(obj, dict) and obj.get("ct") == want
