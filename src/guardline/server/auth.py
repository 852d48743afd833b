"""API key authentication: ``Authorization: Bearer <key>`` (OpenAI clients send exactly this).

``require(scope)`` is a FastAPI dependency returning the caller's ``Principal``; every route takes the
tenant from it, never from the request, so a key can only ever touch its own tenant's data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .errors import ApiError
from .keystore import KeyStore, Principal

__all__ = ["Principal", "authenticate", "bearer", "bearer_token", "require"]

bearer = HTTPBearer(auto_error=False, description="A Guardline API key (`guardline keys create`)")

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    async def dependency(request: Request,
                         creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
        return authenticate(request.app.state.gateway.keys, creds.credentials if creds else None, scope)

    return dependency


def bearer_token(authorization: str | None) -> str | None:
    """The credentials of an ``Authorization`` header value, by ``HTTPBearer``'s rules (None when the
    header is missing, empty, or not ``Bearer``)."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    credentials = credentials.strip()
    if not scheme or not credentials or scheme.lower() != "bearer":
        return None
    return credentials


def authenticate(keys: KeyStore, credentials: str | None, scope: str) -> Principal:
    """The principal of ``credentials`` if it may use ``scope``; 401/403 ``ApiError`` otherwise."""
    if not credentials:
        raise ApiError(401, "unauthorized", "missing API key (Authorization: Bearer <key>)",
                       headers=_CHALLENGE)
    principal = keys.verify(credentials)
    if principal is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API key", headers=_CHALLENGE)
    if not principal.allows(scope):
        raise ApiError(403, "forbidden", f"this key's scope ({principal.scope}) does not allow "
                                         f"this endpoint (needs {scope})")
    return principal
