"""Reading the audit trail: a conversation's events (redacted), chain verification, export bundles.

Every read is scoped to the key's tenant: another tenant's conversation id simply does not exist.
"""

from __future__ import annotations

import json
from contextlib import closing
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from ..errors import InvalidInput
from .auth import Principal, require
from .errors import ERROR_RESPONSES, NOT_FOUND_RESPONSES, ApiError

__all__ = ["router"]

router = APIRouter(tags=["audit"])

_RESPONSES = NOT_FOUND_RESPONSES
ConversationId = Annotated[str, Path(min_length=1, max_length=256)]


def _audit(request: Request) -> Any:
    audit = request.app.state.gateway.guard.audit
    if audit is None or not hasattr(audit, "store"):
        raise ApiError(503, "unavailable", "no audit trail is configured")
    return audit


def _events(audit: Any, tenant: str, conversation: str) -> list[dict[str, Any]]:
    audit.flush()
    with audit.store.read() as rx:
        seqs = rx.conversation_seqs(tenant, conversation)
        if not seqs:
            return []
        wanted = set(seqs)
        out: list[dict[str, Any]] = []
        with closing(rx.events(tenant, seqs[0], seqs[-1])) as rows:
            for seq, entry, chain_hash, _key_id, _ct in rows:
                if seq in wanted:
                    doc = json.loads(entry)
                    out.append({"seq": seq, "hash": chain_hash.hex(), "event": doc.get("body", doc),
                                "original_encrypted": doc.get("ct") is not None})
        return out


@router.get("/v1/conversations/{conversation_id}", responses=_RESPONSES,
            summary="A conversation's audit events (redacted texts, findings, decisions)")
async def conversation(request: Request, conversation_id: ConversationId,
                       principal: Annotated[Principal, Depends(require("read"))]) -> JSONResponse:
    audit = _audit(request)
    events = await anyio.to_thread.run_sync(_events, audit, principal.tenant, conversation_id)
    if not events:
        raise ApiError(404, "not_found", "no audit events for this conversation")
    return JSONResponse({"tenant": principal.tenant, "conversation_id": conversation_id, "events": events})


@router.get("/v1/audit/verify", responses=ERROR_RESPONSES, summary="Verify the tenant's audit chain")
async def verify(request: Request, principal: Annotated[Principal, Depends(require("read"))]) -> JSONResponse:
    audit = _audit(request)

    def run() -> list[Any]:
        try:
            return list(audit.verify(principal.tenant))
        except InvalidInput as exc:
            if exc.field == "tenant":  # no events yet: an empty chain verifies
                return []
            raise

    reports = await anyio.to_thread.run_sync(run)
    return JSONResponse({"tenant": principal.tenant, "ok": all(r.ok for r in reports),
                         "events": sum(r.events for r in reports), "reports": [r.to_dict() for r in reports]})


@router.get("/v1/audit/export", responses=_RESPONSES,
            summary="An offline-verifiable bundle of one conversation (events, proof, signed checkpoint)")
async def export(request: Request, principal: Annotated[Principal, Depends(require("read"))],
                 conversation: Annotated[str, Query(min_length=1, max_length=256)]) -> JSONResponse:
    from ..audit import export_bundle

    audit = _audit(request)

    def run() -> dict[str, Any]:
        audit.flush()
        return export_bundle(audit.store, audit.crypto, tenant=principal.tenant, conversation=conversation)

    try:
        bundle = await anyio.to_thread.run_sync(run)
    except InvalidInput as exc:
        if exc.field in ("tenant", "conversation"):
            raise ApiError(404, "not_found", "no audit events for this conversation") from None
        raise
    return JSONResponse(bundle)
