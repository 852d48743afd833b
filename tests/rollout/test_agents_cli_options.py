"""``guardline agents`` takes its common options before or after the operation."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardline.cli import main


def test_options_before_or_after_the_operation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = f"sqlite:///{tmp_path / 'st.db'}"
    assert main(["agents", "kill", "bot", "1.5", "--tenant", "acme", "--state", state]) == 0
    assert main(["agents", "--tenant", "acme", "--state", state, "kill", "bot", "1.6"]) == 0
    capsys.readouterr()
    assert main(["agents", "--state", state, "status", "--json", "--tenant", "acme"]) == 0
    out = capsys.readouterr().out
    assert '"1.5"' in out and '"1.6"' in out
    assert main(["agents", "--state", state, "status", "--json"]) == 0  # tenant "default": nothing killed
    assert '"1.5"' not in capsys.readouterr().out
