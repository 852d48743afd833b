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

The gateway (``guardline serve``) reads these too, into ``ServerSettings`` (secrets never shown by
``repr``):

| variable | meaning | default |
|---|---|---|
| ``GUARDLINE_MAX_BODY_BYTES`` | largest request body accepted (413 above it) | 1048576 |
| ``GUARDLINE_MAX_BATCH`` | most messages in one ``/v1/check`` batch | 100 |
| ``GUARDLINE_UPSTREAM_URL`` | OpenAI-compatible base URL for ``/v1/chat/completions`` (``.../v1``) | none |
| ``GUARDLINE_UPSTREAM_API_KEY`` | bearer token sent to the upstream | none |
| ``GUARDLINE_UPSTREAM_TIMEOUT_S`` | upstream and provider request timeout | 60 |
| ``GUARDLINE_AGENT_URL`` | where checked inbound webhook messages are forwarded (JSON POST) | none |
| ``GUARDLINE_WEBHOOK_TENANT`` | tenant of provider webhooks without ``?tenant=`` | ``default`` |
| ``GUARDLINE_PUBLIC_URL`` | external base URL (Twilio signs the URL it called) | the request's URL |
| ``GUARDLINE_TWILIO_AUTH_TOKEN`` | validates ``X-Twilio-Signature``; also the send API password | none (webhook refused) |
| ``GUARDLINE_TWILIO_ACCOUNT_SID`` | Twilio account (send API user) | none |
| ``GUARDLINE_TWILIO_SEND_URL`` | Twilio Messages API URL (``.../Accounts/{sid}/Messages.json``) | none |
| ``GUARDLINE_TWILIO_FROM`` | default sender number or ``MG...`` messaging service | none |
| ``GUARDLINE_SINCH_WEBHOOK_SECRET`` | validates ``x-sinch-webhook-signature`` | none (webhook refused) |
| ``GUARDLINE_SINCH_SEND_URL`` | Sinch ``.../v1/projects/{project}/messages:send`` URL | none |
| ``GUARDLINE_SINCH_TOKEN`` | bearer token for the Sinch send API | none |
| ``GUARDLINE_SINCH_APP_ID`` | Conversation API app id | none |
| ``GUARDLINE_METRICS_TOKEN`` | if set, ``/metrics`` requires ``Authorization: Bearer <token>`` | none (open) |
| ``GUARDLINE_INLINE_CHECKS`` | run checks on the event loop, awaiting only the audit commit (0: in a worker thread) | 1 |
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import ConfigError

__all__ = ["ServerSettings", "Settings", "load_server_settings", "load_settings", "parse_secret", "services_required"]


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
    max_text_chars = _positive_int(env, "GUARDLINE_MAX_TEXT_CHARS", 100_000)
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

_SECRET_FIELDS = {"upstream_api_key", "twilio_auth_token", "sinch_webhook_secret", "sinch_token",
                  "metrics_token"}


@dataclass(frozen=True, slots=True)
class ServerSettings:
    max_body_bytes: int = 1 << 20
    max_batch: int = 100
    upstream_url: str | None = None
    upstream_api_key: str | None = None
    upstream_timeout_s: float = 60.0
    agent_url: str | None = None
    webhook_tenant: str = "default"
    public_url: str | None = None
    twilio_auth_token: str | None = None
    twilio_account_sid: str | None = None
    twilio_send_url: str | None = None
    twilio_from: str | None = None
    sinch_webhook_secret: str | None = None
    sinch_send_url: str | None = None
    sinch_token: str | None = None
    sinch_app_id: str | None = None
    metrics_token: str | None = None
    inline_checks: bool = True

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_FIELDS:
                value = "set" if value else "unset"
            parts.append(f"{f.name}={value!r}")
        return f"ServerSettings({', '.join(parts)})"


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a positive integer, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name}: expected a positive integer, got {raw!r}")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a positive number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name}: expected a positive number, got {raw!r}")
    return value


def load_server_settings(environ: Mapping[str, str] | None = None) -> ServerSettings:
    env = os.environ if environ is None else environ

    def s(name: str) -> str | None:
        return env.get(name) or None

    return ServerSettings(
        max_body_bytes=_positive_int(env, "GUARDLINE_MAX_BODY_BYTES", 1 << 20),
        max_batch=_positive_int(env, "GUARDLINE_MAX_BATCH", 100),
        upstream_url=s("GUARDLINE_UPSTREAM_URL"),
        upstream_api_key=s("GUARDLINE_UPSTREAM_API_KEY"),
        upstream_timeout_s=_positive_float(env, "GUARDLINE_UPSTREAM_TIMEOUT_S", 60.0),
        agent_url=s("GUARDLINE_AGENT_URL"),
        webhook_tenant=s("GUARDLINE_WEBHOOK_TENANT") or "default",
        public_url=s("GUARDLINE_PUBLIC_URL"),
        twilio_auth_token=s("GUARDLINE_TWILIO_AUTH_TOKEN"),
        twilio_account_sid=s("GUARDLINE_TWILIO_ACCOUNT_SID"),
        twilio_send_url=s("GUARDLINE_TWILIO_SEND_URL"),
        twilio_from=s("GUARDLINE_TWILIO_FROM"),
        sinch_webhook_secret=s("GUARDLINE_SINCH_WEBHOOK_SECRET"),
        sinch_send_url=s("GUARDLINE_SINCH_SEND_URL"),
        sinch_token=s("GUARDLINE_SINCH_TOKEN"),
        sinch_app_id=s("GUARDLINE_SINCH_APP_ID"),
        metrics_token=s("GUARDLINE_METRICS_TOKEN"),
        inline_checks=env.get("GUARDLINE_INLINE_CHECKS", "1").strip().lower() not in ("0", "false", "no", "off"),
    )
