"""Right to erasure: after forget, no stored byte decrypts to the original text; the chain verifies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import SECRET, Backend, message, verdict

from guardline.audit.crypto import AuditCrypto
from guardline.audit.replay import recorded_messages
from guardline.errors import IntegrityError, InvalidInput
from guardline.keys import KeyRing

SECRET_TEXT = "Please write to victim.secret@example.org about my claim"
VALUE = b"victim.secret@example.org"


def _write(backend: Backend) -> None:
    with backend.open() as log:
        for i in range(6):
            m = message(i, customer="victim" if i % 2 == 0 else "bystander", text=f"{SECRET_TEXT} #{i}")
            log.append(m, verdict(m))


def _try_decrypt_everything(backend: Backend) -> list[str]:
    """Every ciphertext against every data key the store still holds."""
    crypto = AuditCrypto(KeyRing(SECRET))
    keys = backend.sql("SELECT tenant, customer_id, key_id, wrapped FROM audit_keys WHERE wrapped IS NOT NULL", ())
    deks = [(k, crypto.unwrap(t, c, k, bytes(w))) for t, c, k, w in keys]
    out = []
    for tenant, seq, ct in backend.sql("SELECT tenant, seq, ciphertext FROM audit_events "
                                       "WHERE ciphertext IS NOT NULL", ()):
        for key_id, dek in deks:
            try:
                out.append(json.loads(crypto.open(dek, bytes(ct), tenant=tenant, key_id=key_id, seq=seq))["text"])
            except IntegrityError:
                pass
    return out


def test_forget_makes_the_text_unrecoverable_and_verify_still_passes(backend: Backend) -> None:
    _write(backend)
    assert len(_try_decrypt_everything(backend)) == 6
    [(wrapped,)] = backend.sql("SELECT wrapped FROM audit_keys WHERE customer_id = 'victim'", ())
    with backend.open() as log:
        assert log.forget("acme", "victim") == 1
        [report] = log.verify()
    assert report.ok, str(report.problem)
    readable = _try_decrypt_everything(backend)
    assert len(readable) == 3 and all(t.endswith(("#1", "#3", "#5")) for t in readable)
    assert backend.sql("SELECT count(*) FROM audit_keys WHERE customer_id = 'victim' AND wrapped IS NOT NULL",
                       ()) == [(0,)]
    # the erasure itself is an event of the chain
    ops = backend.sql("SELECT entry FROM audit_events WHERE kind = 'operator'", ())
    assert '"op":"customer.forget"' in ops[0][0]
    if backend.name == "sqlite":     # the destroyed key's bytes are gone from the files, not just unlinked
        db = Path(backend.url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
        assert bytes(wrapped) not in raw
        assert VALUE not in raw                   # the redacted entry holds [EMAIL], the rest is sealed


def test_a_customer_who_comes_back_gets_a_new_key(backend: Backend) -> None:
    _write(backend)
    with backend.open() as log:
        log.forget("acme", "victim")
        m = message(99, customer="victim", text="new text after erasure")
        log.append(m, verdict(m))
        [report] = log.verify()
    assert report.ok
    rows = backend.sql("SELECT key_id, wrapped IS NULL FROM audit_keys WHERE customer_id = 'victim' ORDER BY created_at",
                       ())
    assert len(rows) == 2 and rows[0][1] and not rows[1][1]
    assert "new text after erasure" in _try_decrypt_everything(backend)


def test_replay_skips_erased_texts(backend: Backend) -> None:
    _write(backend)
    with backend.open() as log:
        log.forget("acme", "victim")
    from guardline.audit.store import open_store

    store = open_store(backend.url)
    try:
        total, rows = recorded_messages(store, AuditCrypto(KeyRing(SECRET)))
        recs = list(rows)
    finally:
        store.close()
    assert total == 6 == len(recs)
    assert sum(r.message is None for r in recs) == 3
    kept = [r.message for r in recs if r.message is not None]
    assert all(m.customer_id == "bystander" and m.text.startswith(SECRET_TEXT) for m in kept)
    assert kept[0].grounding[0].text.startswith("customer email") and kept[0].metadata["region"] == "US"


def test_forget_rejects_unknown_tenant_and_empty_customer(backend: Backend) -> None:
    _write(backend)
    with backend.open() as log:
        with pytest.raises(InvalidInput, match="unknown tenant"):
            log.forget("nobody", "victim")
        with pytest.raises(InvalidInput, match="customer"):
            log.forget("acme", "")
