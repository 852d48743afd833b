"""What every route shares: the Guard, the key store, settings, metrics, the outbound HTTP client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
import httpx

from ..config import ServerSettings
from ..errors import InvalidInput
from ..guard import Guard, PendingCheck
from ..types import Message, Verdict
from ..validation import parse_message
from .errors import ApiError
from .keystore import KeyStore
from .metrics import MetricsSink
from .otel import check_span

__all__ = ["Gateway"]


@dataclass
class Gateway:
    guard: Guard
    keys: KeyStore
    settings: ServerSettings
    metrics: MetricsSink
    http: httpx.AsyncClient | None = None
    owned: list[Any] = field(default_factory=list)

    def client(self) -> httpx.AsyncClient:
        if self.http is None:
            raise ApiError(503, "unavailable", "the gateway is not started")
        return self.http

    def message(self, data: Any, tenant: str, *, field_prefix: str = "") -> Message:
        """Validate a client's message and pin it to the caller's tenant (403 for another one)."""
        if isinstance(data, Mapping):
            claimed = data.get("tenant")
            if claimed is not None and claimed != tenant:
                raise ApiError(403, "forbidden", "this key may only check its own tenant's messages",
                               field=f"{field_prefix}tenant")
            if claimed is None:
                data = {**data, "tenant": tenant}
        try:
            return parse_message(data, max_text_chars=self.guard.settings.max_text_chars)
        except InvalidInput as exc:
            if not field_prefix:
                raise
            where = f"{field_prefix}{exc.field}" if exc.field else field_prefix.rstrip(".")
            raise InvalidInput(exc.detail, field=where) from None

    def begin_check(self, message: Message) -> PendingCheck | None:
        """Inline mode: decide ``message`` now and start its audit append (``Guard.begin_inline``);
        ``finish_check`` gives the final verdict. None in thread mode (use ``check``)."""
        return self.guard.begin_inline(message) if self.settings.inline_checks else None

    async def finish_check(self, pending: PendingCheck) -> Verdict:
        with check_span(pending.message) as record:
            verdict = await pending.finish()
            record(verdict)
        return verdict

    async def check(self, message: Message) -> Verdict:
        with check_span(message) as record:
            if self.settings.inline_checks:
                verdict = await self.guard.acheck_inline(message)
            else:
                verdict = await anyio.to_thread.run_sync(self.guard.check, message)
            record(verdict)
        return verdict

