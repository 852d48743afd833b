"""``POST /v1/chat/completions``: an OpenAI-compatible proxy that guards both directions.

1. The newest user message, when it is new this turn (no assistant message after it), is checked as
   INBOUND; the upstream receives the verdict's text (original, redacted or the inbound fallback).
2. The request goes to ``GUARDLINE_UPSTREAM_URL`` + ``/chat/completions`` with ``stream`` off, through
   the gateway's keep-alive ``UpstreamClient`` (``upstream.py``; httpx only when an ``HTTP(S)_PROXY``
   from the environment applies to that URL).
3. Every choice's text is checked as OUTBOUND, grounded on the system and tool messages (and on the
   extension field ``guardline.grounding``); the reply carries the verdict's text (original, redacted
   or the policy's fallback) and a ``guardline`` field with the verdicts.

``stream: true`` is accepted, but nothing is streamed until the whole completion is checked: messaging
channels cannot unsend, so no unchecked token ever leaves. The checked text is then sent as SSE
``chat.completion.chunk`` events ending with ``data: [DONE]``.

Customer, conversation, channel and agent come from ``X-Guardline-Customer``,
``X-Guardline-Conversation``, ``X-Guardline-Channel``, ``X-Guardline-Agent`` and
``X-Guardline-Agent-Version``; ``X-Guardline-Language`` picks the fallback's language.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InvalidInput
from ..types import ACTION_ORDER, Action, Channel, Message, Source, Verdict
from ..validation import describe_validation_error
from .auth import Principal, require
from .body import json_body
from .errors import ERROR_RESPONSES, ApiError
from .gateway import Gateway
from .models import inline_schema
from .upstream import UpstreamClient, UpstreamError

__all__ = ["router"]

router = APIRouter(tags=["proxy"])


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str = Field(min_length=1, max_length=64)
    content: str | list[dict[str, Any]] | None = None


class GuardlineExtension(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grounding: list[Source] = Field(default_factory=list, max_length=100)


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1, max_length=256)
    messages: list[ChatMessage] = Field(min_length=1, max_length=1000)
    stream: bool = False
    guardline: GuardlineExtension | None = None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content
                         if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _headers(request: Request) -> dict[str, Any]:
    h = request.headers
    out: dict[str, Any] = {"customer_id": h.get("x-guardline-customer", ""),
                           "conversation_id": h.get("x-guardline-conversation", "")}
    channel = h.get("x-guardline-channel", "webchat")
    if channel not in {c.value for c in Channel}:
        raise ApiError(422, "invalid_input", f"must be one of {', '.join(c.value for c in Channel)}",
                       field="X-Guardline-Channel")
    out["channel"] = channel
    out["agent"] = {"name": h.get("x-guardline-agent", "agent") or "agent",
                    "version": h.get("x-guardline-agent-version", "0") or "0"}
    language = h.get("x-guardline-language")
    out["metadata"] = {"language": language} if language else {}
    return out


def _message(gw: Gateway, tenant: str, base: dict[str, Any], direction: str, text: str,
             grounding: list[Source], *, field: str, **extra: Any) -> Message:
    data = {**base, **extra, "tenant": tenant, "direction": direction, "text": text, "grounding": grounding}
    try:
        return gw.message(data, tenant)
    except InvalidInput as exc:
        where = exc.field or ""
        if where in ("customer_id", "conversation_id", "agent.name", "agent.version"):
            header = {"customer_id": "X-Guardline-Customer", "conversation_id": "X-Guardline-Conversation",
                      "agent.name": "X-Guardline-Agent", "agent.version": "X-Guardline-Agent-Version"}[where]
            raise ApiError(422, "invalid_input", exc.detail, field=header) from None
        raise ApiError(422, "invalid_input", exc.detail, field=field if where == "text" else where) from None


@router.post(
    "/v1/chat/completions", summary="OpenAI-compatible chat completions, guarded both ways",
    response_model=None,
    responses={**ERROR_RESPONSES,
               200: {"description": "The completion (JSON), or SSE chunks when `stream` is true",
                     "content": {"application/json": {"schema": {"type": "object"}},
                                 "text/event-stream": {"schema": {
                                     "type": "object", "description": "one SSE event",
                                     "properties": {"data": {"type": "string"}}}}}},
               502: ERROR_RESPONSES[503] | {"description": "The upstream failed"}},
    openapi_extra={"requestBody": {"required": True,
                                   "content": {"application/json": {"schema": inline_schema(ChatRequest)}}}},
)
async def chat_completions(request: Request,
                           principal: Annotated[Principal, Depends(require("check"))]) -> Response:
    gw: Gateway = request.app.state.gateway
    if not gw.settings.upstream_url:
        raise ApiError(503, "unavailable", "no upstream model is configured (GUARDLINE_UPSTREAM_URL)")
    raw = await json_body(request)
    try:
        chat = ChatRequest.model_validate(raw)
    except ValidationError as exc:
        field, problem = describe_validation_error(exc)
        raise ApiError(422, "invalid_input", problem, field=field) from None
    base = _headers(request)
    tenant = principal.tenant
    grounding = [Source(kind="kb" if m.role in ("system", "developer") else "tool", text=_text(m.content),
                        id=f"messages[{i}]")
                 for i, m in enumerate(chat.messages) if m.role in ("system", "developer", "tool")
                 and _text(m.content).strip()]
    if chat.guardline is not None:
        grounding.extend(chat.guardline.grounding)

    body: dict[str, Any] = dict(raw)
    body.pop("guardline", None)
    body["stream"] = False
    body.pop("stream_options", None)
    inbound: Verdict | None = None
    last_user = max((i for i, m in enumerate(chat.messages) if m.role == "user"), default=None)
    after = [m.role for m in chat.messages[last_user + 1:]] if last_user is not None else []
    if last_user is not None and "assistant" not in after and _text(chat.messages[last_user].content).strip():
        msg = _message(gw, tenant, base, "inbound", _text(chat.messages[last_user].content), [],
                       field=f"messages[{last_user}].content")
        # inline mode: the inbound audit commit runs while the model answers (the decision, and so
        # the text the model gets, is known before the commit; the final inbound verdict after it)
        pending = gw.begin_check(msg)
        decided = pending.decided if pending is not None else await gw.check(msg)
        if decided.text != msg.text:
            messages = list(body["messages"])
            messages[last_user] = {**messages[last_user], "content": decided.text}
            body["messages"] = messages
        inbound = decided
    else:
        pending = None

    try:
        upstream = await _call_upstream(request, gw, body)
    finally:
        if pending is not None:
            inbound = await gw.finish_check(pending)
    choices = upstream.get("choices")
    if not isinstance(choices, list):
        raise ApiError(502, "upstream_error", "the upstream reply has no choices")
    outbound: list[dict[str, Any]] = []
    strongest = Action.ALLOW
    for n, choice in enumerate(choices):
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict) or not isinstance(message.get("content"), str) \
                or not message["content"].strip():
            continue
        msg = _message(gw, tenant, base, "outbound", message["content"], grounding,
                       field=f"choices[{n}].message.content",
                       id=f"{upstream.get('id') or 'chatcmpl'}-{n}"[:256])
        verdict = await gw.check(msg)
        message["content"] = verdict.text
        outbound.append(verdict.to_dict())
        if ACTION_ORDER[verdict.action] > ACTION_ORDER[strongest]:
            strongest = verdict.action
    upstream["guardline"] = {"inbound": inbound.to_dict() if inbound else None, "outbound": outbound}
    headers = {"X-Guardline-Action": str(strongest)}
    if inbound is not None:
        headers["X-Guardline-Inbound-Action"] = str(inbound.action)
    if chat.stream:
        return StreamingResponse(_sse(upstream), media_type="text/event-stream", headers=headers)
    return JSONResponse(upstream, headers=headers)


async def _call_upstream(request: Request, gw: Gateway, body: dict[str, Any]) -> dict[str, Any]:
    url = gw.settings.upstream_url.rstrip("/") + "/chat/completions"  # type: ignore[union-attr]
    headers = {"content-type": "application/json"}
    if gw.settings.upstream_api_key:
        headers["authorization"] = f"Bearer {gw.settings.upstream_api_key}"
    content = json.dumps(body).encode()
    client: UpstreamClient | None = getattr(request.app.state, "upstream", None)
    if client is None:  # an HTTP(S)_PROXY from the environment applies: httpx knows how to use it
        try:
            resp = await gw.client().post(url, content=content, headers=headers,
                                          timeout=gw.settings.upstream_timeout_s)
        except httpx.HTTPError as exc:
            raise ApiError(502, "upstream_error", f"upstream unreachable: {type(exc).__name__}") from None
        status, raw = resp.status_code, resp.content
    else:
        try:
            reply = await client.request("POST", url, content=content, headers=headers,
                                         timeout=gw.settings.upstream_timeout_s)
        except UpstreamError as exc:
            raise ApiError(502, "upstream_error", f"upstream unreachable: {type(exc).__name__}") from None
        status, raw = reply.status, reply.content
    if status >= 400:
        if status in (400, 413, 422):  # the client's request was wrong: say so
            raise ApiError(status, "upstream_rejected",
                           f"the upstream refused the request ({status}): "
                           f"{raw[:1200].decode('utf-8', errors='replace')[:300]}")
        raise ApiError(502, "upstream_error", f"the upstream answered {status}")
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(502, "upstream_error", "the upstream reply is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(502, "upstream_error", "the upstream reply is not a JSON object")
    return data


def _pieces(text: str, size: int = 48) -> list[str]:
    """Split on whitespace into pieces of about ``size`` characters (concatenation == text)."""
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start + 1, end)
            end = space + 1 if space > start else end
        out.append(text[start:end])
        start = end
    return out


async def _sse(completion: dict[str, Any]) -> AsyncIterator[bytes]:
    base = {"id": completion.get("id", ""), "object": "chat.completion.chunk",
            "created": completion.get("created", int(time.time())), "model": completion.get("model", "")}

    def event(obj: dict[str, Any]) -> bytes:
        return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"

    for choice in completion.get("choices", []):
        index = choice.get("index", 0)
        message = choice.get("message") or {}
        yield event({**base, "choices": [{"index": index, "delta": {"role": message.get("role", "assistant"),
                                                                      "content": ""}, "finish_reason": None}]})
        content = message.get("content")
        if isinstance(content, str):
            for piece in _pieces(content):
                yield event({**base, "choices": [{"index": index, "delta": {"content": piece},
                                                  "finish_reason": None}]})
        if message.get("tool_calls"):
            yield event({**base, "choices": [{"index": index, "delta": {"tool_calls": message["tool_calls"]},
                                              "finish_reason": None}]})
        yield event({**base, "choices": [{"index": index, "delta": {},
                                          "finish_reason": choice.get("finish_reason", "stop")}]})
    yield event({**base, "choices": [], "guardline": completion.get("guardline")})
    yield b"data: [DONE]\n\n"

