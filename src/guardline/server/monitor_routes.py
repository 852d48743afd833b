"""Monitoring and rollout endpoints: rolling windows and alerts, routing, kill switch, canaries.

The app must carry a ``MonitoringSetup`` (``guardline.monitor.setup.build_monitoring``) in
``app.state.monitoring``, built on the same state store as the Guard, whose ``sinks`` and
``interceptors`` the Guard uses; without it these routes answer 503. Every route acts on the API
key's own tenant. Scopes: ``read`` for ``GET /v1/monitor``, ``GET /v1/agents`` and ``GET /v1/probes``
(the policy's probes and their last runs), ``check`` for ``GET /v1/route`` (the caller routing a
conversation), ``admin`` for kill, unkill and canaries.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from ..errors import InvalidInput
from .auth import Principal, require
from .errors import ERROR_RESPONSES, NOT_FOUND_RESPONSES, ApiError

__all__ = ["router"]

router = APIRouter(tags=["monitoring"])

Name = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.\-]+$")]
Version = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-+]+$")]


def _setup(request: Request) -> Any:
    setup = getattr(request.app.state, "monitoring", None)
    if setup is None:
        raise ApiError(503, "unavailable", "monitoring is not configured on this gateway")
    return setup


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=300)


class BreakerOut(BaseModel):
    agent: str
    version: str
    mode: str
    since: float
    reason: str


class CanaryIn(BaseModel):
    stable: str = Field(min_length=1, max_length=64)
    candidate: str = Field(min_length=1, max_length=64)
    share: float = Field(gt=0.0, lt=1.0, description="share of conversations for the candidate, e.g. 0.1")


class RouteOut(BaseModel):
    agent: str
    conversation_id: str
    version: str | None


@router.get("/v1/monitor", responses=ERROR_RESPONSES, summary="Rolling windows, alerts, breakers, canaries")
async def monitor(request: Request, who: Annotated[Principal, Depends(require("read"))]) -> dict[str, Any]:
    setup = _setup(request)
    snapshot: dict[str, Any] = await anyio.to_thread.run_sync(setup.monitor.snapshot, who.tenant)
    return snapshot


@router.get("/v1/route", response_model=RouteOut, responses=ERROR_RESPONSES,
            summary="Which agent version serves a conversation")
async def route(request: Request, who: Annotated[Principal, Depends(require("check"))],
                agent: Annotated[str, Query(min_length=1, max_length=128)],
                conversation_id: Annotated[str, Query(min_length=1, max_length=256)]) -> RouteOut:
    setup = _setup(request)
    version = await anyio.to_thread.run_sync(setup.rollout.route, who.tenant, agent, conversation_id)
    return RouteOut(agent=agent, conversation_id=conversation_id, version=version)


@router.get("/v1/agents", responses=ERROR_RESPONSES, summary="Breakers, canaries and stable versions")
async def agents(request: Request, who: Annotated[Principal, Depends(require("read"))]) -> dict[str, Any]:
    setup = _setup(request)
    status: dict[str, Any] = await anyio.to_thread.run_sync(setup.rollout.status, who.tenant)
    return status


def _breaker_out(agent: str, version: str, state: Any) -> BreakerOut:
    return BreakerOut(agent=agent, version=version, mode=str(state.mode), since=state.since, reason=state.reason)


@router.post("/v1/agents/{name}/versions/{version}/kill", response_model=BreakerOut, responses=ERROR_RESPONSES,
             summary="Kill switch: the version's replies get the fallback at once")
async def kill(request: Request, name: Name, version: Version, who: Annotated[Principal, Depends(require("admin"))],
               body: ReasonIn | None = None) -> BreakerOut:
    setup = _setup(request)
    reason = (body.reason if body and body.reason else "manual kill (API)")
    state = await anyio.to_thread.run_sync(
        lambda: setup.rollout.kill(who.tenant, name, version, reason, actor=f"api:{who.key_id}"))
    return _breaker_out(name, version, state)


@router.post("/v1/agents/{name}/versions/{version}/unkill", response_model=BreakerOut,
             responses=ERROR_RESPONSES, summary="Let a killed or open version serve again")
async def unkill(request: Request, name: Name, version: Version,
                 who: Annotated[Principal, Depends(require("admin"))], body: ReasonIn | None = None) -> BreakerOut:
    setup = _setup(request)
    reason = (body.reason if body and body.reason else "manual unkill (API)")
    state = await anyio.to_thread.run_sync(
        lambda: setup.rollout.unkill(who.tenant, name, version, reason, actor=f"api:{who.key_id}"))
    return _breaker_out(name, version, state)


@router.post("/v1/agents/{name}/canary", responses=ERROR_RESPONSES, summary="Start a canary")
async def start_canary(request: Request, name: Name, body: CanaryIn,
                       who: Annotated[Principal, Depends(require("admin"))]) -> dict[str, Any]:
    setup = _setup(request)

    def start() -> dict[str, Any]:
        try:
            state = setup.rollout.start_canary(who.tenant, name, body.stable, body.candidate, body.share,
                                               actor=f"api:{who.key_id}")
        except ValueError as exc:
            raise InvalidInput(str(exc), field="candidate") from None
        out: dict[str, Any] = state.to_dict()
        return out

    return await anyio.to_thread.run_sync(start)


@router.delete("/v1/agents/{name}/canary", responses=NOT_FOUND_RESPONSES, summary="Stop the canary")
async def stop_canary(request: Request, name: Name,
                      who: Annotated[Principal, Depends(require("admin"))]) -> dict[str, Any]:
    setup = _setup(request)
    state = await anyio.to_thread.run_sync(
        lambda: setup.rollout.stop_canary(who.tenant, name, actor=f"api:{who.key_id}"))
    if state is None:
        raise ApiError(404, "not_found", f"no canary for agent {name}")
    out: dict[str, Any] = state.to_dict()
    return out


@router.get("/v1/probes", responses=ERROR_RESPONSES, summary="The policy's probes and their last runs")
async def probes(request: Request, who: Annotated[Principal, Depends(require("read"))]) -> dict[str, Any]:
    """Each probe the policy configures for this tenant, with the outcome of its last run on any
    replica (``last``: null until one has run)."""
    setup = _setup(request)
    from ..rollout.probes import last_result

    def read() -> list[dict[str, Any]]:
        return [{"agent": p.agent, "version": p.version, "interval_s": p.interval_s, "facts": len(p.facts),
                 "last": last_result(setup.rollout.state, who.tenant, p.agent, p.version)}
                for p in setup.config.probes if p.tenant == who.tenant]

    return {"probes": await anyio.to_thread.run_sync(read)}
