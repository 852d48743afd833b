from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from guardline.cli import main

POLICY = "name: clitest\ndetectors: {}\n"


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(POLICY)
    return p


def run_cli(args: list[str], stdin: bytes) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "guardline.cli", *args], input=stdin,
                          capture_output=True, timeout=60)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def test_bad_lines_are_reported_in_place_and_run_goes_on(policy_file: Path) -> None:
    lines = [
        b'{"direction": "outbound", "text": "hello"}',
        b"not json",
        b'{"direction": "outbound", "text": "\xff\xfe"}',   # invalid UTF-8
        b'{"direction": "outbound", "text": ""}',
        b'{"direction": "outbound", "channel": "pigeon", "text": "x"}',
        b'{"text": "no direction"}',
        b"[1, 2]",
        b'{"direction": "outbound", "text": "still here"}',
    ]
    code, out, err = run_cli(["check", "--policy", str(policy_file), "--format", "json"],
                             b"\n".join(lines) + b"\n")
    assert code == 1
    assert "Traceback" not in err
    rows = [json.loads(x) for x in out.splitlines()]
    assert len(rows) == len(lines)
    assert rows[0]["action"] == "allow" and rows[-1]["text"] == "still here"
    errors = {r["line"]: r["error"] for r in rows if "error" in r}
    assert set(errors) == {2, 3, 4, 5, 6, 7}
    assert "invalid JSON" in errors[2]
    assert "UTF-8" in errors[3]
    assert errors[4].startswith("text:")
    assert errors[5].startswith("channel:")
    assert errors[6].startswith("direction:")
    assert "JSON object" in errors[7]


def test_one_mebibyte_text_is_a_clear_error(policy_file: Path) -> None:
    big = json.dumps({"direction": "outbound", "text": "a" * (1 << 20)}).encode()
    code, out, err = run_cli(["check", "--policy", str(policy_file)], big + b"\n")
    assert code == 1 and "Traceback" not in err
    row = json.loads(out)
    assert row["line"] == 1 and "too long" in row["error"]


def test_text_flag_and_table(policy_file: Path) -> None:
    out = io.StringIO()
    from guardline.cli import build_parser
    from guardline.cli.check import run

    args = build_parser().parse_args(["check", "--policy", str(policy_file), "--text", "hi", "--format", "table"])
    assert run(args, stdout=out) == 0
    assert "allow" in out.getvalue()


def test_bad_policy_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("detectors:\n  pii:\n    directions: [up]\n")
    code, _, err = run_cli(["check", "--policy", str(p), "--text", "x"], b"")
    assert code == 2
    assert f"{p}:3: detectors.pii.directions[0]" in err and "Traceback" not in err


def test_main_returns_status(policy_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--policy", str(policy_file), "--text", "hello", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "allow"
