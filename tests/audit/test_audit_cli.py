"""``guardline audit ...`` and ``guardline replay``: exit status, messages, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import SECRET, Backend, fill

from guardline.cli import main
from guardline.cli.replay import parse_since


@pytest.fixture(autouse=True)
def _only_these_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build the real ``guardline`` parser with just the commands under test, so an unrelated
    subcommand that fails to import cannot break these tests."""
    monkeypatch.setattr("guardline.cli.COMMANDS", ("audit", "replay"))


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, sqlite_backend: Backend) -> Backend:
    monkeypatch.setenv("GUARDLINE_SECRET", SECRET.hex())
    monkeypatch.setenv("GUARDLINE_DATABASE_URL", sqlite_backend.url)
    with sqlite_backend.open(checkpoint_every=5) as log:
        fill(log, 12)
    return sqlite_backend


def test_verify_passes_then_fails_after_tampering(env: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify"]) == 0
    assert "OK    tenant acme: 12 events" in capsys.readouterr().out
    env.sql("DELETE FROM audit_events WHERE seq = 7", ())
    assert main(["audit", "verify", "--tenant", "acme"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  tenant acme: seq 7: deleted" in out
    assert main(["audit", "verify", "--json"]) == 1
    [report] = json.loads(capsys.readouterr().out)
    assert report["problem"]["kind"] == "deleted" and report["problem"]["seq"] == 7


def test_clear_errors_for_missing_secret_unknown_tenant_missing_db(env: Backend, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    assert main(["audit", "verify", "--tenant", "nobody"]) == 2
    assert "unknown tenant 'nobody'" in capsys.readouterr().err
    assert main(["audit", "verify", "--database", f"sqlite:///{tmp_path}/none.db"]) == 2
    assert "does not exist" in capsys.readouterr().err
    monkeypatch.delenv("GUARDLINE_SECRET")
    for argv in (["audit", "verify"], ["audit", "export", "--conversation", "conv1", "--tenant", "acme"],
                 ["audit", "forget", "--customer", "cust1", "--tenant", "acme"], ["audit", "pubkey"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "set GUARDLINE_SECRET" in err and "Traceback" not in err


def test_export_and_offline_bundle_verify(env: Backend, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    assert main(["audit", "export", "--conversation", "conv2", "--tenant", "acme", "--out", str(bundle)]) == 0
    assert main(["audit", "pubkey", "--tenant", "acme"]) == 0
    pub = capsys.readouterr().out.strip()
    monkeypatch.delenv("GUARDLINE_SECRET")                 # offline: only the public key
    monkeypatch.delenv("GUARDLINE_DATABASE_URL")
    assert main(["audit", "verify", "--bundle", str(bundle), "--pubkey", pub]) == 0
    assert "OK    bundle" in capsys.readouterr().out
    assert main(["audit", "verify", "--bundle", str(bundle), "--pubkey", "11" * 32]) == 1
    assert "signature does not verify" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text("{not json")
    assert main(["audit", "verify", "--bundle", str(tmp_path / "bad.json"), "--pubkey", pub]) == 2
    assert "not JSON" in capsys.readouterr().err
    assert main(["audit", "verify", "--bundle", str(bundle), "--pubkey", "xyz"]) == 2
    assert "pubkey" in capsys.readouterr().err


def test_forget_via_cli(env: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "forget", "--customer", "cust1", "--tenant", "acme"]) == 0
    assert "destroyed 1 data key" in capsys.readouterr().out
    assert main(["audit", "verify"]) == 0


def test_replay_shows_what_a_stricter_policy_changes(monkeypatch: pytest.MonkeyPatch, sqlite_backend: Backend,
                                                     capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from guardline import Guard
    from guardline.keys import KeyRing

    monkeypatch.setenv("GUARDLINE_SECRET", SECRET.hex())
    monkeypatch.setenv("GUARDLINE_DATABASE_URL", sqlite_backend.url)
    with Guard(keys=KeyRing(SECRET), audit=sqlite_backend.open()) as guard:
        for i, text in enumerate(["Write to bob.smith@example.com for help", "Your order ships today",
                                  "Contact alice.jones@example.net now"]):
            guard.check({"direction": "outbound", "text": text, "tenant": "acme", "conversation_id": f"c{i}",
                         "customer_id": f"u{i}"})
    strict = tmp_path / "strict.yaml"
    strict.write_text("extends: default\nactions:\n  - {category: pii, direction: outbound, action: block}\n")
    assert main(["replay", "--policy", str(strict), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"] == 3 and report["replayed"] == 3
    assert report["newly_blocked"] == 2 and report["unchanged"] == 1
    shown = json.dumps(report["examples"])
    assert "[EMAIL]" in shown and "bob.smith" not in shown and "alice.jones" not in shown
    assert main(["replay", "--policy", str(strict), "--tenant", "acme", "--since", "1h"]) == 0
    out = capsys.readouterr().out
    assert "newly blocked" in out and "bob.smith" not in out
    assert main(["replay", "--policy", str(strict), "--since", "yesterday-ish"]) == 2


def test_parse_since() -> None:
    assert parse_since("2h", now=10_000.0) == 10_000.0 - 7200
    assert parse_since("7d", now=10**6) == 10**6 - 7 * 86400
    assert parse_since("1970-01-02") == 86400.0
    assert parse_since("1970-01-01T01:00:00+01:00") == 0.0
