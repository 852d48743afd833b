"""``guardline customers register|forget``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from guardline.cli import main
from guardline.detectors.base import Context
from guardline.detectors.leakage import LeakageDetector
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.state import open_state
from guardline.types import Message

SECRET = "ab" * 32


def _types(url: str, text: str, customer: str = "Y") -> list[str]:
    store = open_state(url)
    try:
        msg = Message(direction="outbound", tenant="acme", customer_id=customer, text=text)  # type: ignore[arg-type]
        ctx = Context(norm=normalize(text), state=store, keys=KeyRing(bytes.fromhex(SECRET)), regions=("US",))
        return [f.type for f in LeakageDetector().detect(msg, ctx)]
    finally:
        store.close()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/state.db"
    monkeypatch.setenv("GUARDLINE_SECRET", SECRET)
    monkeypatch.setenv("GUARDLINE_STATE_URL", url)
    monkeypatch.delenv("GUARDLINE_POLICY", raising=False)
    return url


def test_register_then_forget(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["customers", "register", "--tenant", "acme", "--customer", "X",
                 "cminh730@email.com", "3348-9175-02"]) == 0
    out = capsys.readouterr().out
    assert "registered 2 value(s)" in out and "cminh730" not in out and "3348" not in out
    assert _types(env, "order 3348917502 for CMINH730@email.com") == ["leakage.cross_customer"] * 2
    assert _types(env, "order 3348917502", customer="X") == []
    assert main(["customers", "forget", "--tenant", "acme", "X"]) == 0
    assert "forgot" in capsys.readouterr().out
    assert _types(env, "order 3348917502") == []


def test_values_from_stdin_and_state_flag(env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    other = f"sqlite:///{tmp_path}/other.db"
    monkeypatch.setattr("sys.stdin", io.StringIO("5550001234567\n\nana@example.com\n"))
    assert main(["customers", "register", "--state", other, "--tenant", "acme", "--customer", "X",
                 "--region", "us", "--stdin"]) == 0
    assert "registered 2 value(s)" in capsys.readouterr().out
    assert _types(other, "ref 5550001234567") == ["leakage.cross_customer"]
    assert _types(env, "ref 5550001234567") == []  # the --state flag beats GUARDLINE_STATE_URL


def test_refuses_without_secret(env: str, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GUARDLINE_SECRET")
    assert main(["customers", "register", "--customer", "X", "a@b.example"]) == 2
    assert "GUARDLINE_SECRET" in capsys.readouterr().err


def test_refuses_memory_store_and_empty_values(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["customers", "register", "--state", "memory://", "--customer", "X", "a@b.example"]) == 2
    assert "memory://" in capsys.readouterr().err
    assert main(["customers", "register", "--customer", "X", " "]) == 2
    assert "no values" in capsys.readouterr().err
