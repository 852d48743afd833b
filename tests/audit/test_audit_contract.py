"""The same contract against every backend: appends, chains per tenant, checkpoints, durability modes."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from audit_helpers import SECRET, Backend, fill, message, verdict

from guardline.audit import open_audit, read_checkpoint_file
from guardline.audit.crypto import AuditCrypto
from guardline.errors import ConfigError, InvalidInput
from guardline.keys import KeyRing


def test_appends_are_numbered_and_verify(backend: Backend) -> None:
    with backend.open(checkpoint_every=4) as log:
        refs = [log.append(m, verdict(m)) for m in (message(i) for i in range(10))]
        assert [r.seq for r in refs] == list(range(1, 11))
        assert len({r.hash for r in refs}) == 10
        [report] = log.verify()
    assert report.ok and report.events == 10 and report.tenant == "acme"
    cps = [r[0] for r in backend.sql("SELECT seq FROM audit_checkpoints ORDER BY seq", ())]
    assert cps == [4, 8, 10]                       # every 4 events, and one at close


def test_chains_are_per_tenant(backend: Backend) -> None:
    with backend.open() as log:
        a = fill(log, 3, tenant="a")
        b = fill(log, 2, tenant="b")
        op = log.append_operator_event("a", "agent.kill", {"agent": "bot", "version": "2", "by": "ops"})
        reports = {r.tenant: r for r in log.verify()}
    assert a == [1, 2, 3] and b == [1, 2] and op.seq == 4
    assert reports["a"].ok and reports["a"].events == 4
    assert reports["b"].ok and reports["b"].events == 2


def test_entry_holds_redacted_text_and_the_original_only_encrypted(backend: Backend) -> None:
    with backend.open() as log:
        m = message(7, text="Reach me at jane.doe@example.com today")
        log.append(m, verdict(m))
    [(entry, ct)] = backend.sql("SELECT entry, ciphertext FROM audit_events", ())
    body = json.loads(entry)["body"]
    assert body["text"] == "Reach me at [EMAIL] today"
    assert "jane.doe" not in entry
    assert b"jane.doe" not in bytes(ct)
    assert body["action"] == "redact" and body["policy_hash"] == "ab" * 32
    assert body["message"]["agent"] == {"name": "agent", "version": "0"}
    assert body["findings"][0]["type"] == "pii.email"


def test_concurrent_writers_keep_each_chain_linear(backend: Backend) -> None:
    logs = [backend.open(), backend.open()]           # two writers, as two gateway replicas would be

    def work(k: int) -> None:
        log = logs[k % 2]
        for i in range(25):
            m = message(k * 100 + i, tenant=f"t{i % 2}")
            log.append(m, verdict(m))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reports = logs[0].verify()
    for log in logs:
        log.close()
    assert sorted((r.tenant, r.events) for r in reports) == [("t0", 78), ("t1", 72)]
    assert all(r.ok for r in reports)


def test_write_behind_returns_at_once_and_flushes(backend: Backend) -> None:
    log = backend.open(durable=False)
    refs = fill(log, 50)
    assert refs == [0] * 50                            # no seq yet: the event is still queued
    log.flush()
    assert backend.sql("SELECT count(*) FROM audit_events", ())[0][0] == 50
    log.close()
    [report] = backend.open().verify()
    assert report.ok and report.events == 50


def test_checkpoints_go_to_a_file_outside_the_store(backend: Backend, tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.jsonl"
    with backend.open(checkpoint_every=5, checkpoint_file=str(path)) as log:
        fill(log, 12)
    cps = read_checkpoint_file(path)
    assert [c.seq for c in cps] == [5, 10, 12]
    crypto = AuditCrypto(KeyRing(SECRET))
    assert all(crypto.signature_ok(c) for c in cps)


def test_time_based_checkpoint(backend: Backend) -> None:
    import time

    with backend.open(checkpoint_every=10_000, checkpoint_seconds=0.2) as log:
        fill(log, 3)
        deadline = time.monotonic() + 10
        while not backend.sql("SELECT seq FROM audit_checkpoints", ()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert backend.sql("SELECT seq FROM audit_checkpoints", ()) == [(3,)]


def test_reopening_continues_the_chain(backend: Backend) -> None:
    with backend.open() as log:
        fill(log, 3)
    with backend.open() as log:
        assert fill(log, 2, start=3) == [4, 5]
        [report] = log.verify()
    assert report.ok and report.events == 5


def test_ephemeral_keys_and_bad_urls_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GUARDLINE_SECRET"):
        open_audit(f"sqlite:///{tmp_path}/x.db", keys=KeyRing())
    with pytest.raises(ConfigError, match="scheme"):
        open_audit("mysql://x/y", keys=KeyRing(SECRET))
    with pytest.raises(ConfigError):
        open_audit("sqlite://:memory:", keys=KeyRing(SECRET))


def test_operator_event_input_is_validated(backend: Backend) -> None:
    with backend.open() as log:
        with pytest.raises(InvalidInput, match="tenant"):
            log.append_operator_event("bad tenant!", "x", {})
        with pytest.raises(InvalidInput):
            log.append_operator_event("acme", "x", {"value": float("nan")})
