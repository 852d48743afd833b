"""Sinch Conversation API callbacks at ``/v1/webhooks/sinch``.

A ``MESSAGE_INBOUND`` callback carries ``message`` with ``direction: TO_APP``, ``contact_message``
(``text_message.text`` for text), ``channel_identity`` (``channel``, ``identity``), ``contact_id`` and
``conversation_id``. Other triggers and non-text messages are acknowledged and ignored.

Signature (webhooks with a secret): ``x-sinch-webhook-signature`` is
``base64(HMAC-SHA256(secret, raw_body + "." + nonce + "." + timestamp))`` with the nonce and the
timestamp from ``x-sinch-webhook-signature-nonce`` / ``-timestamp``. Without
``GUARDLINE_SINCH_WEBHOOK_SECRET`` the endpoint refuses every callback (503): an unsigned webhook would
let anyone inject messages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from ...errors import InvalidInput
from ..errors import ERROR_RESPONSES, ApiError
from ..gateway import Gateway
from .common import customer_ref, forward_to_agent, webhook_tenant

__all__ = ["router", "sinch_signature", "sinch_to_message_data"]

router = APIRouter()

MAX_SKEW_S = 600.0

_CHANNELS = {"SMS": "sms", "MMS": "sms", "WHATSAPP": "whatsapp", "RCS": "rcs", "MESSENGER": "messenger",
             "INSTAGRAM": "messenger", "VIBER": "messenger", "VIBERBM": "messenger", "TELEGRAM": "messenger",
             "KAKAOTALK": "messenger", "KAKAOTALKCHAT": "messenger", "LINE": "messenger",
             "WECHAT": "messenger", "APPLEBC": "messenger", "SINCH_CHAT": "webchat"}


def sinch_signature(secret: str, body: bytes, nonce: str, timestamp: str) -> str:
    signed = body + b"." + nonce.encode() + b"." + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


def _verify(gw: Gateway, body: bytes, signature: str | None, nonce: str | None, timestamp: str | None,
            algorithm: str | None) -> None:
    secret = gw.settings.sinch_webhook_secret
    if not secret:
        raise ApiError(503, "unavailable", "Sinch webhooks are not configured (GUARDLINE_SINCH_WEBHOOK_SECRET)")
    if not signature or not nonce or not timestamp:
        raise ApiError(401, "unauthorized", "missing x-sinch-webhook-signature headers")
    if algorithm and algorithm != "HmacSHA256":
        raise ApiError(401, "unauthorized", "unsupported signature algorithm")
    try:
        skew = abs(time.time() - float(timestamp))
    except ValueError:
        raise ApiError(401, "unauthorized", "bad signature timestamp") from None
    if skew > MAX_SKEW_S:
        raise ApiError(401, "unauthorized", "signature timestamp too old or in the future")
    if not hmac.compare_digest(sinch_signature(secret, body, nonce, timestamp).encode(), signature.encode()):
        raise ApiError(403, "forbidden", "invalid Sinch signature")


def sinch_to_message_data(event: Any) -> dict[str, Any] | None:
    """The ``Message`` fields of an inbound text callback; None for anything else."""
    if not isinstance(event, dict):
        raise InvalidInput("expected a JSON object", field="body")
    message = event.get("message")
    if not isinstance(message, dict) or message.get("direction", "TO_APP") != "TO_APP":
        return None
    contact = message.get("contact_message")
    text_message = contact.get("text_message") if isinstance(contact, dict) else None
    text = text_message.get("text") if isinstance(text_message, dict) else None
    if not isinstance(text, str) or not text.strip():
        return None
    raw_identity = message.get("channel_identity")
    identity: dict[str, Any] = raw_identity if isinstance(raw_identity, dict) else {}
    channel = _CHANNELS.get(str(identity.get("channel", "")).upper(), "webchat")
    data: dict[str, Any] = {"direction": "inbound", "text": text, "channel": channel,
                            "metadata": {"provider": "sinch"}}
    for src, dst in (("id", "id"), ("conversation_id", "conversation_id"), ("contact_id", "customer_id")):
        value = message.get(src)
        if isinstance(value, str) and value:
            data[dst] = value
    if isinstance(event.get("app_id"), str):
        data["metadata"]["app_id"] = event["app_id"]
    data["_identity"] = {"channel": identity.get("channel"), "identity": identity.get("identity")}
    return data


@router.post("/v1/webhooks/sinch", summary="Sinch Conversation API callback (MESSAGE_INBOUND)",
             responses={**ERROR_RESPONSES, 502: ERROR_RESPONSES[503] | {"description": "Agent failed"}})
async def sinch_webhook(
        request: Request,
        x_sinch_webhook_signature: Annotated[str | None, Header()] = None,
        x_sinch_webhook_signature_nonce: Annotated[str | None, Header()] = None,
        x_sinch_webhook_signature_timestamp: Annotated[str | None, Header()] = None,
        x_sinch_webhook_signature_algorithm: Annotated[str | None, Header()] = None) -> JSONResponse:
    gw: Gateway = request.app.state.gateway
    body = await request.body()
    _verify(gw, body, x_sinch_webhook_signature, x_sinch_webhook_signature_nonce,
            x_sinch_webhook_signature_timestamp, x_sinch_webhook_signature_algorithm)
    tenant = webhook_tenant(request, gw)
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(400, "bad_request", "body is not JSON") from None
    data = sinch_to_message_data(event)
    if data is None:
        return JSONResponse({"status": "ignored"})
    reply_to = {"provider": "sinch", **data.pop("_identity"), "contact_id": data.get("customer_id")}
    if "customer_id" not in data and reply_to.get("identity"):
        data["customer_id"] = customer_ref(gw, tenant, "sinch", str(reply_to["identity"]))
    message = gw.message(data, tenant)
    verdict = await gw.check(message)
    await forward_to_agent(gw, "sinch", message, verdict, reply_to)
    return JSONResponse({"status": "forwarded", "action": str(verdict.action), "message_id": message.id})
