"""``POST /v1/send``: check an agent's reply, then relay it to the provider's send API, but only when
the verdict is ``allow`` or ``redact`` (the redacted text is what is sent). A blocked or escalated
reply is not sent: the response says so and carries the verdict (with the fallback text the caller
may send instead, or hand to a human).

Providers (URLs and credentials from configuration):

- ``twilio``: form POST ``To``, ``From`` (or ``MessagingServiceSid`` for ``MG...``), ``Body`` to
  ``GUARDLINE_TWILIO_SEND_URL`` with HTTP basic auth (account SID, auth token);
- ``sinch``: JSON POST ``{app_id, recipient, message: {text_message: {text}}}`` to
  ``GUARDLINE_SINCH_SEND_URL`` with a bearer token; the recipient is ``contact_id`` when given, else
  the channel identity ``to`` on the message's channel.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..types import Action, Message
from ..validation import describe_validation_error
from .auth import Principal, require
from .body import json_body
from .errors import ERROR_RESPONSES, ApiError
from .gateway import Gateway
from .models import inline_schema

__all__ = ["router"]

router = APIRouter(tags=["send"])

_SINCH_CHANNELS = {"sms": "SMS", "whatsapp": "WHATSAPP", "rcs": "RCS", "messenger": "MESSENGER"}


class SendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: Literal["twilio", "sinch"]
    to: str | None = Field(default=None, min_length=1, max_length=256)
    sender: str | None = Field(default=None, alias="from", min_length=1, max_length=256)
    contact_id: str | None = Field(default=None, min_length=1, max_length=256)
    message: dict[str, Any]


@router.post("/v1/send", summary="Check an outbound reply and relay it to the provider if allowed",
             response_model=None,
             responses={**ERROR_RESPONSES, 502: ERROR_RESPONSES[503] | {"description": "Provider failed"}},
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": inline_schema(SendRequest) | {"properties": {
                     **inline_schema(SendRequest)["properties"],
                     "message": {"type": "object", "description": "A Message (direction is outbound)"}}}}}}})
async def send(request: Request, principal: Annotated[Principal, Depends(require("check"))]) -> JSONResponse:
    gw: Gateway = request.app.state.gateway
    try:
        req = SendRequest.model_validate(await json_body(request))
    except ValidationError as exc:
        field, problem = describe_validation_error(exc)
        raise ApiError(422, "invalid_input", problem, field=field) from None
    if req.provider == "twilio" and not (req.to and (req.sender or gw.settings.twilio_from)):
        raise ApiError(422, "invalid_input", "twilio needs `to` and `from` (or GUARDLINE_TWILIO_FROM)",
                       field="to" if not req.to else "from")
    if req.provider == "sinch" and not (req.to or req.contact_id):
        raise ApiError(422, "invalid_input", "sinch needs `contact_id` or `to`", field="to")
    _configured(gw, req.provider)
    direction = req.message.get("direction", "outbound")
    if direction != "outbound":
        raise ApiError(422, "invalid_input", "must be outbound", field="message.direction")
    message = gw.message({**req.message, "direction": "outbound"}, principal.tenant, field_prefix="message.")
    verdict = await gw.check(message)
    out: dict[str, Any] = {"sent": False, "verdict": verdict.to_dict(), "provider": req.provider}
    if verdict.action in (Action.ALLOW, Action.REDACT):
        out["provider_response"] = await _relay(gw, req, message, verdict.text)
        out["sent"] = True
    return JSONResponse(out)


def _configured(gw: Gateway, provider: str) -> None:
    s = gw.settings
    ok = (s.twilio_send_url and s.twilio_account_sid and s.twilio_auth_token) if provider == "twilio" \
        else (s.sinch_send_url and s.sinch_token)
    if not ok:
        raise ApiError(503, "unavailable", f"the {provider} send API is not configured")


async def _relay(gw: Gateway, req: SendRequest, message: Message, text: str) -> dict[str, Any]:
    s = gw.settings
    client = gw.client()
    try:
        if req.provider == "twilio":
            sender = req.sender or s.twilio_from or ""
            form = {"To": req.to or "", "Body": text}
            form["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
            resp = await client.post(s.twilio_send_url or "", data=form, timeout=s.upstream_timeout_s,
                                     auth=(s.twilio_account_sid or "", s.twilio_auth_token or ""))
        else:
            recipient: dict[str, Any] = {"contact_id": req.contact_id} if req.contact_id else {
                "identified_by": {"channel_identities": [
                    {"channel": _SINCH_CHANNELS.get(str(message.channel), "SMS"), "identity": req.to}]}}
            payload = {"app_id": s.sinch_app_id or "", "recipient": recipient,
                       "message": {"text_message": {"text": text}}}
            resp = await client.post(s.sinch_send_url or "", content=json.dumps(payload),
                                     timeout=s.upstream_timeout_s,
                                     headers={"authorization": f"Bearer {s.sinch_token}",
                                              "content-type": "application/json"})
    except httpx.HTTPError as exc:
        raise ApiError(502, "upstream_error", f"{req.provider} unreachable: {type(exc).__name__}") from None
    if resp.status_code >= 300:
        raise ApiError(502, "upstream_error", f"{req.provider} answered {resp.status_code}")
    try:
        body = resp.json()
    except ValueError:
        body = {}
    ident = body.get("sid") or body.get("message_id") if isinstance(body, dict) else None
    return {"status": resp.status_code, "id": ident}
