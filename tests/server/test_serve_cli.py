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
def test_one_worker_runs_uvicorn_and_several_run_the_balanced_supervisor(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    import uvicorn

    from guardline.server import balance

    seen: dict[str, Any] = {}
    # serve.run writes these into os.environ; setenv first so that monkeypatch restores them afterwards
    # (delenv of an unset variable records nothing, and the secret file would leak into later tests)
    for name in ("GUARDLINE_DATABASE_URL", "GUARDLINE_STATE_URL", "GUARDLINE_SECRET_FILE", "GUARDLINE_POLICY"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)

    def fake_run(app: str, **kw: Any) -> None:
        seen.update(kw, runner="uvicorn", app=app)

    def fake_workers(config: uvicorn.Config, n: int) -> int:
        seen.update(runner="balanced", workers=n, config_workers=config.workers, app=config.app,
                    factory=config.factory)
        return 0

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setattr(balance, "serve_workers", fake_workers)
    assert serve.run(_args(tmp_path, workers)) == 0
    assert seen["app"] == "guardline.server.app:app_from_env"
    if workers == 1:
        assert seen["runner"] == "uvicorn" and seen["factory"] is True and "workers" not in seen
    else:
        assert seen == {**seen, "runner": "balanced", "workers": 2, "config_workers": 2, "factory": True}
