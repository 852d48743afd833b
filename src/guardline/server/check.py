"""``POST /v1/check``: one message, or ``{"messages": [...]}``, in; verdicts out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from .auth import Principal, require
from .body import json_body
from .errors import ERROR_RESPONSES, ApiError
from .models import BatchOut, VerdictOut, check_request_schema, inline_schema

__all__ = ["router"]

router = APIRouter(tags=["check"])


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
async def check(request: Request, principal: Annotated[Principal, Depends(require("check"))]) -> JSONResponse:
    gw = request.app.state.gateway
    data = await json_body(request)
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
        messages = [gw.message(item, principal.tenant, field_prefix=f"messages[{i}].")
                    for i, item in enumerate(items)]
        verdicts = [(await gw.check(m)).to_dict() for m in messages]
        return JSONResponse({"verdicts": verdicts})
    message = gw.message(data, principal.tenant)
    verdict = await gw.check(message)
    return JSONResponse(verdict.to_dict())
