"""A lean ASGI path for ``POST /v1/check``, the gateway's hot endpoint.

Through FastAPI a check passes a dozen middleware and routing layers, dependency resolution for the
API key and a ``Request`` object; this path does the same work directly: authenticate the bearer
key, read the body (inside ``BodyLimit``, which wraps this), decode it once, validate and check it
(``check.handle_check``, shared with the FastAPI route), and send pre-serialised JSON. Errors are
rendered by the gateway's one error mapper (``errors.to_response``), so status codes and bodies are
those of the route. Every other request, and ``/v1/check`` with any other method, goes on to the app.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import authenticate, bearer_token
from .body import decode_json
from .check import handle_check
from .errors import to_response

__all__ = ["CHECK_PATH", "CheckFastPath"]

CHECK_PATH = "/v1/check"
_HEADERS = [(b"content-type", b"application/json")]


class _Disconnected(Exception):
    pass


class CheckFastPath:
    def __init__(self, app: ASGIApp, *, gateway: Any) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or _route_path(scope) != CHECK_PATH:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._answer(scope, receive)
        except _Disconnected:
            return
        except Exception as exc:  # the route's error handler does exactly this
            await to_response(exc)(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*_HEADERS, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope, receive: Receive) -> bytes:
        authorization: str | None = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
                break
        principal = authenticate(self.gateway.keys, bearer_token(authorization), "check")
        raw = await _read_body(receive)
        return await handle_check(self.gateway, principal.tenant, decode_json(raw))


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)

