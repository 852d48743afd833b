"""``POST /v1/check``: one message, or ``{"messages": [...]}``, in; verdicts out.

The route below is what the OpenAPI document describes and what any request that the fast path
(``fastpath.CheckFastPath``) does not take runs through; both share ``handle_check``, so they answer
the same bytes for the same body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from .auth import Principal, require
from .body import json_body
from .errors import ERROR_RESPONSES, ApiError
from .models import BatchOut, VerdictOut, check_request_schema, inline_schema

if TYPE_CHECKING:
    from .gateway import Gateway

__all__ = ["dump_json", "handle_check", "router"]

router = APIRouter(tags=["check"])


def dump_json(obj: Any) -> bytes:
    """The bytes Starlette's ``JSONResponse`` would send for ``obj``."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()


async def handle_check(gw: Gateway, tenant: str, data: Any) -> bytes:
    """Validate ``data`` (a message or a batch), check it for ``tenant``, return the JSON response body.
    Raises ``ApiError``/``InvalidInput`` for a bad body."""
    if isinstance(data, Mapping) and "messages" in data and "text" not in data:
        if set(data) != {"messages"}:
            extra = sorted(set(data) - {"messages"})[0]
            raise ApiError(422, "invalid_input", "is not a known field", field=str(extra))
        items = data["messages"]
        if not isinstance(items, list) or not items:
            raise ApiError(422, "invalid_input", "must be a non-empty list", field="messages")
        if len(items) > gw.settings.max_batch:
            raise ApiError(422, "invalid_input", f"at most {gw.settings.max_batch} messages per batch",
                           field="messages")
        messages = [gw.message(item, tenant, field_prefix=f"messages[{i}].") for i, item in enumerate(items)]
        verdicts = [(await gw.check(m)).to_dict() for m in messages]
        return dump_json({"verdicts": verdicts})
    message = gw.message(data, tenant)
    verdict = await gw.check(message)
    return dump_json(verdict.to_dict())


def _schema(max_batch: int = 100) -> dict[str, Any]:
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": check_request_schema(max_batch)}}}}


@router.post(
    "/v1/check",
    summary="Check one message or a batch",
    description="Body: a `Message`, or `{\"messages\": [Message, ...]}`. The tenant is the API key's; "
                "a message naming another tenant is refused (403). Returns the verdict, or "
                "`{\"verdicts\": [...]}` in the batch's order.",
    response_model=None,
    responses={200: {"description": "The verdict, or the batch's verdicts",
                     "content": {"application/json": {"schema": {"oneOf": [
                         inline_schema(VerdictOut), inline_schema(BatchOut)]}}}},
               **ERROR_RESPONSES},
    openapi_extra=_schema(),
)
async def check(request: Request, principal: Annotated[Principal, Depends(require("check"))]) -> Response:
    body = await handle_check(request.app.state.gateway, principal.tenant, await json_body(request))
    return Response(body, media_type="application/json")
