"""Twilio Messaging webhooks at ``/v1/webhooks/twilio`` (form-encoded: ``MessageSid``, ``From``, ``To``,
``Body``, ``NumMedia``...; WhatsApp senders look like ``whatsapp:+14155550100``).

Signature: ``X-Twilio-Signature`` is ``base64(HMAC-SHA1(auth_token, url + k1 + v1 + k2 + v2 ...))``
over the full URL Twilio called (with its query string) followed by every POST parameter, sorted by
name (then value, for a repeated name), name and value concatenated without separators. Behind a proxy set ``GUARDLINE_PUBLIC_URL`` so
the URL is the one Twilio used. Without ``GUARDLINE_TWILIO_AUTH_TOKEN`` every webhook is refused.

The reply is empty TwiML: the agent answers later through ``POST /v1/send``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response

from ..errors import ERROR_RESPONSES, ApiError
from ..gateway import Gateway
from .common import customer_ref, forward_to_agent, webhook_tenant

__all__ = ["router", "twilio_signature"]

router = APIRouter()

_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twilio_signature(auth_token: str, url: str, params: Sequence[tuple[str, str]]) -> str:
    values: dict[str, set[str]] = {}
    for k, v in params:
        values.setdefault(k, set()).add(v)
    data = url + "".join(k + v for k in sorted(values) for v in sorted(values[k]))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def _url(request: Request, gw: Gateway) -> str:
    if gw.settings.public_url:
        url = gw.settings.public_url.rstrip("/") + request.url.path
        return url + (f"?{request.url.query}" if request.url.query else "")
    return str(request.url)


def _channel(address: str) -> tuple[str, str]:
    prefix, sep, rest = address.partition(":")
    if sep and prefix in ("whatsapp", "messenger", "rcs"):
        return prefix, rest
    return "sms", address


@router.post("/v1/webhooks/twilio", summary="Twilio Messaging webhook (incoming message)",
             response_class=Response,
             responses={**ERROR_RESPONSES, 200: {"content": {"text/xml": {}}, "description": "Empty TwiML"},
                        502: ERROR_RESPONSES[503] | {"description": "Agent failed"}})
async def twilio_webhook(request: Request,
                         x_twilio_signature: Annotated[str | None, Header()] = None) -> Response:
    gw: Gateway = request.app.state.gateway
    token = gw.settings.twilio_auth_token
    if not token:
        raise ApiError(503, "unavailable", "Twilio webhooks are not configured (GUARDLINE_TWILIO_AUTH_TOKEN)")
    raw = await request.body()
    try:
        params = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "bad_request", "body is not form-encoded") from None
    if not x_twilio_signature:
        raise ApiError(401, "unauthorized", "missing X-Twilio-Signature")
    expected = twilio_signature(token, _url(request, gw), params)
    if not hmac.compare_digest(expected.encode(), x_twilio_signature.encode()):
        raise ApiError(403, "forbidden", "invalid Twilio signature")
    tenant = webhook_tenant(request, gw)
    form = dict(params)
    text = form.get("Body", "")
    if not text.strip():
        return Response(_TWIML, media_type="text/xml")
    sender = form.get("From", "")
    if not sender:
        raise ApiError(422, "invalid_input", "is required", field="From")
    channel, address = _channel(sender)
    customer = customer_ref(gw, tenant, "twilio", address)
    data = {"direction": "inbound", "text": text, "channel": channel, "customer_id": customer,
            "conversation_id": customer, "metadata": {"provider": "twilio"}}
    if form.get("MessageSid"):
        data["id"] = form["MessageSid"]
    message = gw.message(data, tenant)
    verdict = await gw.check(message)
    await forward_to_agent(gw, "twilio", message, verdict,
                           {"provider": "twilio", "to": sender, "from": form.get("To", "")})
    return Response(_TWIML, media_type="text/xml")
