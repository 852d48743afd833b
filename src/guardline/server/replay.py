"""``POST /v1/replay``: the tenant's recorded traffic through a candidate policy, and what would change.

The HTTP face of ``guardline replay`` (see ``audit/replay.py``): an admin key sends a policy (YAML
text or a JSON object); its tenant's recorded messages, newest ``limit`` at most and optionally only
those since a time, are checked by a ``Guard`` built from it (in-memory state, no audit, in chain
order) and the answer counts newly blocked, newly allowed and otherwise changed messages, with
redacted examples. Nothing is written anywhere.

The replay reads the audit store through a connection of its own and runs in a thread, one per process
at a time (a second request gets 409), so checks keep flowing meanwhile. A policy sent over HTTP may
extend only the built-in default: ``extends`` with a path would read the server's files.
"""

from __future__ import annotations

import itertools
import threading
from contextlib import closing
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..audit.crypto import AuditCrypto
from ..audit.replay import parse_since, recorded_messages, replay
from ..audit.store import open_store
from ..errors import ConfigError, InvalidInput, PolicyError
from ..policy import Policy, load_policy
from .auth import Principal, require
from .errors import ERROR_RESPONSES, ApiError

__all__ = ["router"]

router = APIRouter(tags=["audit"])

MAX_LIMIT = 100_000
_running = threading.Lock()


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: str | dict[str, Any] = Field(description="the candidate policy: YAML text or a JSON object")
    since: str | None = Field(None, max_length=64,
                              description="only messages recorded since then: ISO date/time or 30m, 24h, 7d")
    limit: int = Field(10_000, ge=1, le=MAX_LIMIT, description="replay at most this many (oldest first)")
    examples: int = Field(3, ge=0, le=20, description="redacted examples per kind of change")


def _policy(raw: str | dict[str, Any]) -> Policy:
    if isinstance(raw, str):
        if not raw.strip():
            raise InvalidInput("the policy is empty", field="policy")
        if len(raw) > 1_000_000:
            raise InvalidInput("the policy is over 1,000,000 characters", field="policy")
        raw = raw if "\n" in raw else raw + "\n"  # a one-line YAML text, not a file path
    try:
        return load_policy(raw, files=False)
    except PolicyError as exc:
        where = f" (line {exc.line})" if exc.line else ""
        field = f"policy.{exc.field}" if exc.field else "policy"
        raise InvalidInput(f"{exc.args[0] if exc.args else exc}{where}", field=field) from None


def _database_url(request: Request) -> str:
    audit = request.app.state.gateway.guard.audit
    url = getattr(getattr(audit, "store", None), "url", None)
    if not url:
        raise ApiError(503, "unavailable", "no audit trail is configured")
    return str(url)


@router.post("/v1/replay", responses=ERROR_RESPONSES,
             summary="Replay the tenant's recorded traffic through a candidate policy (nothing is written)")
async def replay_policy(request: Request, body: ReplayIn,
                        who: Annotated[Principal, Depends(require("admin"))]) -> JSONResponse:
    from ..guard import Guard
    from ..state.memory import MemoryStore

    gateway = request.app.state.gateway
    url = _database_url(request)
    policy = _policy(body.policy)
    since = parse_since(body.since) if body.since else None
    if not _running.acquire(blocking=False):
        raise ApiError(409, "busy", "a replay is already running in this process; try again when it ends")

    def run() -> dict[str, Any]:
        try:
            guard = Guard(policy, state=MemoryStore(), keys=gateway.guard.keys, settings=gateway.guard.settings)
        except ConfigError as exc:  # e.g. a detector option the built detector refuses
            raise InvalidInput(str(exc), field="policy") from None
        store = open_store(url, create=False)
        try:
            gateway.guard.audit.flush()
            matching, recorded = recorded_messages(store, AuditCrypto(gateway.guard.keys), tenant=who.tenant,
                                                   since=since)
            with closing(recorded):  # ends its read of the store before the store closes
                report = replay(guard, itertools.islice(recorded, body.limit), examples=body.examples)
        finally:
            store.close()
            guard.close()
        # total: the messages replayed or skipped (at most ``limit``); matching: all recorded ones
        return {"tenant": who.tenant, "policy": policy.id, "matching": matching, "limit": body.limit,
                **report.to_dict()}

    try:
        out = await anyio.to_thread.run_sync(run)
    finally:
        _running.release()
    return JSONResponse(out)
