"""``/healthz`` (the process answers), ``/readyz`` (its stores answer) and ``/metrics``."""

from __future__ import annotations

import hmac
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .errors import ApiError
from .metrics import CONTENT_TYPE_LATEST

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _probe(gw: Any) -> dict[str, str]:
    checks: dict[str, str] = {}
    probes: list[tuple[str, Any]] = [("keys", gw.keys.ping), ("state", gw.guard.state.ping)]
    audit = gw.guard.audit
    if audit is not None and hasattr(audit, "store"):

        def audit_probe() -> None:
            with audit.store.read() as rx:
                rx.head("__readyz__")

        probes.append(("audit", audit_probe))
    for name, probe in probes:
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"unavailable: {type(exc).__name__}"
    return checks


@router.get("/readyz", summary="Readiness: the key store, state store and audit store answer",
            responses={503: {"description": "A store is unreachable"}})
async def readyz(request: Request) -> JSONResponse:
    checks = await anyio.to_thread.run_sync(_probe, request.app.state.gateway)
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                        status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, 401: {"description": "Bad token"}})
async def metrics(request: Request) -> Response:
    gw = request.app.state.gateway
    token = gw.settings.metrics_token
    if token:
        presented = request.headers.get("authorization", "")
        if not hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
            raise ApiError(401, "unauthorized", "metrics token required")
    return Response(gw.metrics.render(), media_type=CONTENT_TYPE_LATEST)
