"""Provider adapters: inbound webhooks normalised into ``Message``, checked, forwarded to the agent."""

from fastapi import APIRouter

from . import sinch, twilio

__all__ = ["router"]

router = APIRouter(tags=["webhooks"])
router.include_router(sinch.router)
router.include_router(twilio.router)
