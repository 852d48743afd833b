"""Configuration: the only module that reads the environment and configuration files.

Precedence: defaults < YAML policy < ``GUARDLINE_*`` environment < CLI flags. Every reader takes an
injectable ``environ`` so tests never touch the process environment.

| variable | meaning | default |
|---|---|---|
| ``GUARDLINE_POLICY`` | policy file | built-in ``default`` |
| ``GUARDLINE_DATABASE_URL`` | audit store (``sqlite:///file.db``, ``postgresql://...``) | none for ``check``; ``sqlite:///guardline.db`` for ``serve`` |
| ``GUARDLINE_STATE_URL`` | state store (``memory://``, ``sqlite:///file.db``, ``redis://host:port/db``) | ``memory://`` for ``check``; ``sqlite:///guardline-state.db`` for ``serve`` |
| ``GUARDLINE_SECRET`` | master secret (hex or base64, >= 16 bytes) from which per-tenant keys are derived | random per process (fingerprints and encrypted audit text do not survive a restart) |
| ``GUARDLINE_SECRET_FILE`` | file holding the master secret | none |
| ``GUARDLINE_MAX_TEXT_CHARS`` | longest message text accepted | 100000 |
| ``GUARDLINE_REQUIRE_SERVICES`` | tests of PostgreSQL/Redis fail instead of skipping | 0 |
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

__all__ = ["Settings", "load_settings", "parse_secret"]


@dataclass(frozen=True, slots=True)
class Settings:
    policy: str | None = None
    database_url: str | None = None
    state_url: str | None = None
    secret: bytes | None = None
    max_text_chars: int = 100_000

    def __repr__(self) -> str:  # never print the secret
        return (f"Settings(policy={self.policy!r}, database_url={self.database_url!r}, "
                f"state_url={self.state_url!r}, secret={'set' if self.secret else 'unset'}, "
                f"max_text_chars={self.max_text_chars})")


def parse_secret(raw: str, *, source: str) -> bytes:
    """Accept hex or base64; at least 16 bytes. The error never echoes the value."""
    raw = raw.strip()
    value: bytes | None = None
    try:
        value = bytes.fromhex(raw)
    except ValueError:
        try:
            value = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            value = None
    if value is None:
        raise ConfigError(f"{source}: not hex or base64")
    if len(value) < 16:
        raise ConfigError(f"{source}: too short ({len(value)} bytes; need at least 16)")
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    secret: bytes | None = None
    if env.get("GUARDLINE_SECRET"):
        secret = parse_secret(env["GUARDLINE_SECRET"], source="GUARDLINE_SECRET")
    elif env.get("GUARDLINE_SECRET_FILE"):
        path = Path(env["GUARDLINE_SECRET_FILE"])
        try:
            secret = parse_secret(path.read_text(), source=f"GUARDLINE_SECRET_FILE ({path})")
        except OSError as exc:
            raise ConfigError(f"GUARDLINE_SECRET_FILE: cannot read {path}: {exc.strerror}") from exc
    max_chars = env.get("GUARDLINE_MAX_TEXT_CHARS", "100000")
    try:
        max_text_chars = int(max_chars)
        if max_text_chars <= 0:
            raise ValueError
    except ValueError:
        raise ConfigError(f"GUARDLINE_MAX_TEXT_CHARS: expected a positive integer, got {max_chars!r}") from None
    return Settings(
        policy=env.get("GUARDLINE_POLICY") or None,
        database_url=env.get("GUARDLINE_DATABASE_URL") or None,
        state_url=env.get("GUARDLINE_STATE_URL") or None,
        secret=secret,
        max_text_chars=max_text_chars,
    )


def services_required(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get("GUARDLINE_REQUIRE_SERVICES", "") not in ("", "0", "false", "no")
