"""The tamper suite: mutate the database with raw SQL in every way and expect verify to name the first
bad event and why, on every backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from audit_helpers import SECRET, Backend, fill

from guardline.audit import ProblemKind, read_checkpoint_file, verify_store
from guardline.audit.chain import GENESIS, leaf_hash, link_hash
from guardline.audit.crypto import AuditCrypto
from guardline.audit.store import open_store
from guardline.keys import KeyRing

N = 12          # events; checkpoints at 5, 10 and 12 (close)


def _move(b: Backend, mapping: dict[int, int]) -> None:
    """Renumber rows (old seq -> new seq) without tripping the primary key."""
    for old in mapping:
        b.sql("UPDATE audit_events SET seq = ? WHERE tenant = 'acme' AND seq = ?", (old + 100_000, old))
    for old, new in mapping.items():
        b.sql("UPDATE audit_events SET seq = ? WHERE tenant = 'acme' AND seq = ?", (new, old + 100_000))


def edit_text(b: Backend) -> None:
    b.sql("UPDATE audit_events SET entry = replace(entry, 'ships on Monday', 'ships on Friday') WHERE tenant = 'acme' AND seq = 4", ())


def edit_ciphertext(b: Backend) -> None:
    [(other,)] = b.sql("SELECT ciphertext FROM audit_events WHERE tenant = 'acme' AND seq = 2", ())
    b.sql("UPDATE audit_events SET ciphertext = ? WHERE tenant = 'acme' AND seq = 4", (other,))


def edit_action(b: Backend) -> None:
    b.sql("""UPDATE audit_events SET entry = replace(entry, '"action":"redact"', '"action":"allow"') WHERE tenant = 'acme' AND seq = 4""",
          ())


def delete_middle(b: Backend) -> None:
    b.sql("DELETE FROM audit_events WHERE tenant = 'acme' AND seq = 6", ())


def delete_and_renumber(b: Backend) -> None:
    b.sql("DELETE FROM audit_events WHERE tenant = 'acme' AND seq = 6", ())
    _move(b, {s: s - 1 for s in range(7, N + 1)})
    b.sql("UPDATE audit_heads SET seq = ? WHERE tenant = 'acme'", (N - 1,))


def insert_shifting(b: Backend) -> None:
    _move(b, {s: s + 1 for s in range(N, 5, -1)})
    b.sql("INSERT INTO audit_events SELECT tenant, 6, entry, hash, key_id, ciphertext, kind, conversation_id, "
          "customer_id, message_id, recorded_at FROM audit_events WHERE tenant = 'acme' AND seq = 3", ())


def insert_at_end(b: Backend) -> None:
    b.sql("INSERT INTO audit_events SELECT tenant, ?, entry, hash, key_id, ciphertext, kind, conversation_id, "
          "customer_id, message_id, recorded_at FROM audit_events WHERE tenant = 'acme' AND seq = 2", (N + 1,))


def reorder(b: Backend) -> None:
    _move(b, {7: 8, 8: 7})


def truncate_tail(b: Backend) -> None:
    b.sql("DELETE FROM audit_events WHERE tenant = 'acme' AND seq > 10", ())
    [(h,)] = b.sql("SELECT hash FROM audit_events WHERE tenant = 'acme' AND seq = 10", ())
    b.sql("UPDATE audit_heads SET seq = 10, hash = ? WHERE tenant = 'acme'", (h,))


def rehash_chain(b: Backend) -> None:
    """Edit an event and recompute every later hash and the head: only the signature can tell."""
    edit_text(b)
    prev = GENESIS
    for seq, entry in b.sql("SELECT seq, entry FROM audit_events WHERE tenant = 'acme' ORDER BY seq", ()):
        prev = link_hash(prev, leaf_hash(entry.encode()))
        b.sql("UPDATE audit_events SET hash = ? WHERE tenant = 'acme' AND seq = ?", (prev, seq))
    b.sql("UPDATE audit_heads SET hash = ? WHERE tenant = 'acme'", (prev,))


def forge_checkpoint(b: Backend) -> None:
    b.sql("UPDATE audit_checkpoints SET head = ? WHERE tenant = 'acme' AND seq = 10", (b"\x07" * 32,))


CASES: list[tuple[Callable[[Backend], None], int, ProblemKind]] = [
    (edit_text, 4, ProblemKind.EDITED),
    (edit_ciphertext, 4, ProblemKind.EDITED),
    (edit_action, 4, ProblemKind.EDITED),
    (delete_middle, 6, ProblemKind.DELETED),
    (delete_and_renumber, 6, ProblemKind.DELETED),
    (insert_shifting, 6, ProblemKind.INSERTED),
    (insert_at_end, N + 1, ProblemKind.INSERTED),
    (reorder, 7, ProblemKind.REORDERED),
    (truncate_tail, 11, ProblemKind.TRUNCATED),
    (rehash_chain, 5, ProblemKind.FORGED),
    (forge_checkpoint, 10, ProblemKind.FORGED),
]


@pytest.mark.parametrize(("tamper", "seq", "kind"), CASES, ids=[c[0].__name__ for c in CASES])
def test_verify_names_the_first_bad_event(backend: Backend, tamper: Callable[[Backend], None], seq: int,
                                          kind: ProblemKind) -> None:
    with backend.open(checkpoint_every=5) as log:
        fill(log, N)
        fill(log, 3, tenant="other")
        assert all(r.ok for r in log.verify())
    tamper(backend)
    with backend.open() as log:
        reports = {r.tenant: r for r in log.verify()}
    assert reports["other"].ok                         # the other tenant's chain is untouched
    problem = reports["acme"].problem
    assert problem is not None, "tampering went unnoticed"
    assert (problem.seq, problem.kind) == (seq, kind), str(problem)


def test_full_truncation_is_caught_by_the_checkpoint_file(backend: Backend, tmp_path: Path) -> None:
    cp_file = tmp_path / "cp.jsonl"
    with backend.open(checkpoint_every=5, checkpoint_file=str(cp_file)) as log:
        fill(log, N)
    # a careful attacker removes the tail, its checkpoints and fixes the head: the store alone agrees
    truncate_tail(backend)
    backend.sql("DELETE FROM audit_checkpoints WHERE tenant = 'acme' AND seq > 10", ())
    crypto = AuditCrypto(KeyRing(SECRET))
    store = open_store(backend.url)
    try:
        [alone] = verify_store(store, crypto.signature_ok)
        [with_file] = verify_store(store, crypto.signature_ok, extra_checkpoints=read_checkpoint_file(cp_file))
    finally:
        store.close()
    assert alone.ok
    assert with_file.problem is not None and with_file.problem.kind == ProblemKind.TRUNCATED
    assert with_file.problem.seq == 11


def test_a_wrong_secret_fails_verification(backend: Backend) -> None:
    with backend.open() as log:
        fill(log, 3)
    store = open_store(backend.url)
    try:
        [report] = verify_store(store, AuditCrypto(KeyRing(b"another secret, 32 bytes long!!")).signature_ok)
    finally:
        store.close()
    assert report.problem is not None and report.problem.kind == ProblemKind.FORGED
    assert "wrong GUARDLINE_SECRET" in report.problem.detail
