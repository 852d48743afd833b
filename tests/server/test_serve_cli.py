"""``guardline serve`` hands uvicorn the right settings (uvicorn itself replaced by a recorder)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from guardline.cli import serve


def _args(tmp_path: Path, workers: int) -> argparse.Namespace:
    return argparse.Namespace(host="127.0.0.1", port=0, workers=workers, log_level="warning", policy=None,
                              database=f"sqlite:///{tmp_path / 'gl.db'}", state=f"sqlite:///{tmp_path / 's.db'}",
                              secret_file=str(tmp_path / "secret"))


@pytest.mark.parametrize("workers", [1, 2])
def test_several_workers_accept_one_connection_per_wake_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          workers: int) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    # serve.run writes these into os.environ; setenv first so that monkeypatch restores them afterwards
    # (delenv of an unset variable records nothing, and the secret file would leak into later tests)
    for name in ("UV_TCP_SINGLE_ACCEPT", "GUARDLINE_DATABASE_URL", "GUARDLINE_STATE_URL",
                 "GUARDLINE_SECRET_FILE", "GUARDLINE_POLICY"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)

    def fake_run(app: str, **kw: Any) -> None:
        import os

        seen.update(kw, single_accept=os.environ.get("UV_TCP_SINGLE_ACCEPT"))

    monkeypatch.setattr(uvicorn, "run", fake_run)
    assert serve.run(_args(tmp_path, workers)) == 0
    assert seen["workers"] == workers
    assert seen["single_accept"] == ("1" if workers > 1 else None)
