"""Customers: register identifiers for leakage detection, forget them (and optionally their audit texts)."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request

from ..errors import ConfigError
from .auth import Principal, require
from .body import json_body
from .errors import ERROR_RESPONSES, ApiError
from .models import ForgetOut, IdentifiersIn, IdentifiersOut

__all__ = ["router"]

router = APIRouter(tags=["customers"])

CustomerId = Annotated[str, Path(min_length=1, max_length=256, description="The customer's id")]


@router.post("/v1/customers/{customer_id}/identifiers", response_model=IdentifiersOut,
             responses=ERROR_RESPONSES, summary="Register a customer's identifiers (leakage detection)",
             description="Values (phones, emails, account ids, names) are stored only as keyed "
                         "fingerprints, owned by this customer of the key's tenant.",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": IdentifiersIn.model_json_schema()}}}})
async def register(request: Request, customer_id: CustomerId,
                   principal: Annotated[Principal, Depends(require("check"))]) -> IdentifiersOut:
    gw = request.app.state.gateway
    body = IdentifiersIn.model_validate(await json_body(request))
    for i, value in enumerate(body.values):
        if len(value) > 1000:
            raise ApiError(422, "invalid_input", "is too long (limit 1000 characters)", field=f"values[{i}]")
    try:
        n = await anyio.to_thread.run_sync(gw.guard.register_identifiers, principal.tenant, customer_id,
                                           body.values)
    except ConfigError as exc:
        raise ApiError(422, "invalid_input", str(exc), field="customer_id") from None
    return IdentifiersOut(customer_id=customer_id, registered=n)


@router.delete("/v1/customers/{customer_id}/identifiers", response_model=ForgetOut,
               responses=ERROR_RESPONSES, summary="Forget a customer's identifiers",
               description="Removes every fingerprint the customer owns. With `erase_audit=true` the "
                           "customer's data keys in the audit trail are destroyed too (their original "
                           "texts become unrecoverable; the chain still verifies).")
async def forget(request: Request, customer_id: CustomerId,
                 principal: Annotated[Principal, Depends(require("admin"))],
                 erase_audit: Annotated[bool, Query()] = False) -> ForgetOut:
    gw = request.app.state.gateway
    removed = await anyio.to_thread.run_sync(gw.guard.state.forget_customer, principal.tenant, customer_id)
    if erase_audit:
        audit = gw.guard.audit
        if audit is None or not hasattr(audit, "forget"):
            raise ApiError(503, "unavailable", "no audit trail is configured")
        await anyio.to_thread.run_sync(audit.forget, principal.tenant, customer_id)
    return ForgetOut(customer_id=customer_id, fingerprints_removed=removed)
