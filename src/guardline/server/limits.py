"""Request body limit, enforced before anything parses the body.

A declared ``Content-Length`` over the limit is refused at once; a chunked body is counted as it
arrives and refused when it crosses the limit (the route never sees a partial body).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError, render

__all__ = ["BodyLimit", "BodyTooLarge"]


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "body_too_large", f"request body over the {limit}-byte limit")


class BodyLimit:
    """Pure ASGI middleware (no per-request task overhead, unlike ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await render(400, "bad_request", "invalid Content-Length")(scope, receive, send)
                    return
                if declared > limit:
                    await render(413, "body_too_large",
                                 f"request body over the {limit}-byte limit")(scope, receive, send)
                    return
                break
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)
