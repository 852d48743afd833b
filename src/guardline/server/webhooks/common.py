"""What the provider adapters share: the tenant, pseudonymous customer ids, forwarding to the agent."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
from fastapi import Request

from ...types import TENANT_RE, Message, Verdict
from ..errors import ApiError
from ..gateway import Gateway

__all__ = ["customer_ref", "forward_to_agent", "webhook_tenant"]



def webhook_tenant(request: Request, gw: Gateway) -> str:
    tenant = request.query_params.get("tenant") or gw.settings.webhook_tenant
    if not TENANT_RE.match(tenant):
        raise ApiError(422, "invalid_input", "must be 1-128 letters, digits, '_', '.', '-'", field="tenant")
    return tenant


def customer_ref(gw: Gateway, tenant: str, provider: str, address: str) -> str:
    """A stable pseudonymous customer id for a phone number or channel address: the audit trail's
    clear-text index columns then never hold the number itself."""
    key = gw.guard.keys.key("webhook-customer", tenant)
    digest = hmac.new(key, f"{provider}\x00{address}".encode(), hashlib.sha256).hexdigest()[:24]
    return f"{provider}:{digest}"


async def forward_to_agent(gw: Gateway, provider: str, message: Message, verdict: Verdict,
                           reply_to: dict[str, Any]) -> None:
    """POST the checked message to ``GUARDLINE_AGENT_URL``. ``text`` is the verdict's text (original,
    redacted, or the inbound fallback when blocked); ``reply_to`` is what the agent needs to answer
    through ``POST /v1/send``."""
    url = gw.settings.agent_url
    if not url:
        raise ApiError(503, "unavailable", "no agent URL is configured (GUARDLINE_AGENT_URL)")
    payload = {
        "provider": provider, "tenant": message.tenant, "message_id": message.id,
        "conversation_id": message.conversation_id, "customer_id": message.customer_id,
        "channel": str(message.channel), "text": verdict.text, "action": str(verdict.action),
        "findings": [{"type": f.type, "severity": str(f.severity)} for f in verdict.findings],
        "audit": {"seq": verdict.audit.seq, "hash": verdict.audit.hash} if verdict.audit else None,
        "reply_to": reply_to,
    }
    try:
        resp = await gw.client().post(url, content=json.dumps(payload),
                                      headers={"content-type": "application/json"},
                                      timeout=gw.settings.upstream_timeout_s)
    except httpx.HTTPError as exc:
        raise ApiError(502, "upstream_error", f"agent unreachable: {type(exc).__name__}") from None
    if resp.status_code >= 300:
        raise ApiError(502, "upstream_error", f"the agent answered {resp.status_code}")
