"""Every error the gateway returns, rendered by ONE handler as ``{"error": {code, message, field}}``.

Status codes:

- 400 ``bad_request``: a body that is not JSON / not UTF-8 / not form data;
- 401 ``unauthorized``: no API key, or an unknown or revoked one;
- 403 ``forbidden``: the key's scope does not allow the endpoint, or it names another tenant;
- 404 ``not_found``; 405 ``method_not_allowed``;
- 413 ``body_too_large``: over ``GUARDLINE_MAX_BODY_BYTES`` (enforced before parsing);
- 422 ``invalid_input``: a malformed message; ``field`` is its path (``messages[2].text``);
- 502 ``upstream_error``: the upstream model, agent or provider failed;
- 503 ``unavailable``: a store is down, or a feature is not configured.

Anything else a handler raises is a bug: logged with its type, rendered as 500 ``internal`` without
details. Nothing a client sends reaches that branch: input errors are translated at the boundary.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import ConfigError, GuardlineError, IntegrityError, InvalidInput, StoreError

__all__ = ["ERROR_RESPONSES", "NOT_FOUND_RESPONSES", "ApiError", "ErrorBody", "install_error_handler", "render",
           "to_response"]

log = logging.getLogger("guardline.server")


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An error with its HTTP status; raised by routes and dependencies."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media_type",
          422: "invalid_input", 502: "upstream_error", 503: "unavailable"}


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def render(status: int, code: str, message: str, *, field: str | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}},
                        status_code=status, headers=headers)


def to_response(exc: Exception) -> JSONResponse:
    if isinstance(exc, ApiError):
        return render(exc.status, exc.code, exc.message, field=exc.field, headers=exc.headers)
    if isinstance(exc, InvalidInput):
        return render(422, "invalid_input", exc.detail, field=exc.field)
    if isinstance(exc, RequestValidationError):
        err = exc.errors()[0] if exc.errors() else {}
        loc = tuple(err.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:] if loc[0] == "body" else loc
        msg = "is required" if err.get("type") == "missing" else str(err.get("msg", "invalid"))
        return render(422, "invalid_input", msg, field=_path(loc) or None)
    if isinstance(exc, StarletteHTTPException):
        code = _CODES.get(exc.status_code, "error")
        return render(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))
    if isinstance(exc, StoreError):
        log.error("store unavailable: %s", exc)
        return render(503, "unavailable", "a store is unavailable; try again")
    if isinstance(exc, IntegrityError):
        return render(409, "integrity_error", str(exc))
    if isinstance(exc, ConfigError):
        log.error("configuration error: %s", exc)
        return render(503, "unavailable", "the gateway is misconfigured for this request")
    if isinstance(exc, GuardlineError):
        log.error("guardline error: %s", type(exc).__name__)
        return render(500, "internal", "internal error")
    log.exception("unhandled %s", type(exc).__name__)
    return render(500, "internal", "internal error")


async def _handler(request: Request, exc: Exception) -> JSONResponse:
    return to_response(exc)


def install_error_handler(app: FastAPI) -> None:
    """Register the one handler for every exception class the gateway can see."""
    for cls in (ApiError, GuardlineError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(cls, _handler)


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("Malformed body"),
    401: _doc("Missing, unknown or revoked API key"),
    403: _doc("Scope or tenant not allowed for this key"),
    413: _doc("Body over the size limit"),
    422: _doc("Invalid input; `field` names the offending field"),
    503: _doc("A store is unavailable or the feature is not configured"),
}
NOT_FOUND_RESPONSES: dict[int | str, dict[str, Any]] = {**ERROR_RESPONSES, 404: _doc("Not found")}
