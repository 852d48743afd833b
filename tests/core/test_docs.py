"""The docs list every setting: each GUARDLINE_* variable the code reads is in the README."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_lists_every_environment_variable() -> None:
    names: set[str] = set()
    for path in (ROOT / "src" / "guardline").rglob("*.py"):
        names |= set(re.findall(r"\"(GUARDLINE_[A-Z_]+)\"", path.read_text(encoding="utf-8")))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = sorted(n for n in names if n not in readme)
    assert not missing, f"README.md does not document: {missing}"


def test_default_policy_is_the_shipped_one() -> None:
    link = ROOT / "policies" / "default.yaml"
    assert link.resolve() == (ROOT / "src" / "guardline" / "policies" / "default.yaml").resolve()
