"""Gateway settings: where the upstream model, the agent and the providers' send APIs live.

Read once from ``GUARDLINE_*`` variables (injectable ``environ``; CLI flags override them). Secrets are
never printed by ``repr``.

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
| ``GUARDLINE_INLINE_CHECKS`` | run checks on the event loop instead of a worker thread | 0 |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from ..errors import ConfigError

__all__ = ["ServerSettings", "load_server_settings"]

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
    inline_checks: bool = False

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_FIELDS:
                value = "set" if value else "unset"
            parts.append(f"{f.name}={value!r}")
        return f"ServerSettings({', '.join(parts)})"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
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


def _float(env: Mapping[str, str], name: str, default: float) -> float:
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
        max_body_bytes=_int(env, "GUARDLINE_MAX_BODY_BYTES", 1 << 20),
        max_batch=_int(env, "GUARDLINE_MAX_BATCH", 100),
        upstream_url=s("GUARDLINE_UPSTREAM_URL"),
        upstream_api_key=s("GUARDLINE_UPSTREAM_API_KEY"),
        upstream_timeout_s=_float(env, "GUARDLINE_UPSTREAM_TIMEOUT_S", 60.0),
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
        inline_checks=env.get("GUARDLINE_INLINE_CHECKS", "") not in ("", "0", "false", "no"),
    )
