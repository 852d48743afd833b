from __future__ import annotations

import json

import pytest

from guardline.cli import main


def test_pipeline_bench_runs_without_shared_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "pipeline", "--runs", "2", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["checks"] == 8
    assert 0 < figures["cpu_p50_ms"] <= figures["max_ms"] * 10
    assert "pii" in figures["detectors"]
