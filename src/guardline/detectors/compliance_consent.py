"""Opt-out state: what an inbound STOP/START records and what an outbound message may do after it.

One record per (tenant, customer, channel) in the state store, namespace ``optout``, key
``f"{customer}:{channel}"`` (``f"{customer}:*"`` for STOPALL and its equivalents, which cover every
channel). The value is JSON: ``{"at": ISO time, "keyword": folded keyword}``. The confirmation is
counted with ``incr`` in namespace ``optout.confirmations`` (same key), which is atomic in every
backend, so two gateway replicas cannot both let a "confirmation" through.

The single opt-out confirmation: after an opt-out, exactly ONE outbound message may still be sent on
that channel, the confirmation. It is recognised by ``metadata.optout_confirmation: true`` or by its
text (a confirmation phrase such as "you have been unsubscribed", "abgemeldet", "dado de baja", in a
message of at most ``confirmation_max_chars``). The first outbound that qualifies is let through and
is counted; every other outbound message (before or after it) is
``compliance.opted_out``. A later START / UNSTOP (or equivalent) deletes the record(s).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from ..state.base import StateStore
from .compliance_keywords import Keyword

__all__ = ["NAMESPACE", "OptOut", "lookup", "record_keyword", "take_confirmation"]

NAMESPACE = "optout"
CONFIRMATIONS = "optout.confirmations"


@dataclass(frozen=True, slots=True)
class OptOut:
    key: str
    at: str
    keyword: str


def record_keyword(state: StateStore, tenant: str, customer: str, channel: str, kw: Keyword,
                   when: datetime) -> None:
    """Apply an inbound consent keyword to the store."""
    if kw.kind == "optin":
        state.delete(tenant, NAMESPACE, f"{customer}:{channel}")
        state.delete(tenant, NAMESPACE, f"{customer}:*")
        state.delete(tenant, CONFIRMATIONS, f"{customer}:{channel}")
        state.delete(tenant, CONFIRMATIONS, f"{customer}:*")
    elif kw.kind in ("optout", "optout_all"):
        key = f"{customer}:*" if kw.kind == "optout_all" else f"{customer}:{channel}"
        value = {"at": when.isoformat(), "keyword": kw.keyword}
        state.set(tenant, NAMESPACE, key, json.dumps(value, sort_keys=True))
        state.delete(tenant, CONFIRMATIONS, key)  # each opt-out may be confirmed once


def lookup(state: StateStore, tenant: str, customer: str, channel: str) -> OptOut | None:
    """The opt-out that covers this customer on this channel (the channel's own record first)."""
    keys = (f"{customer}:{channel}", f"{customer}:*")
    for key, raw in zip(keys, state.get_many(tenant, [(NAMESPACE, k) for k in keys]), strict=True):
        if raw is None:
            continue
        try:
            data = json.loads(raw)
            return OptOut(key, str(data.get("at", "")), str(data.get("keyword", "")))
        except (ValueError, AttributeError):
            # an unreadable record still means the customer opted out: fail closed
            return OptOut(key, "", "")
    return None


def take_confirmation(state: StateStore, tenant: str, record: OptOut) -> bool:
    """True for the first confirmation after this opt-out (atomic), False for any later one."""
    return state.incr(tenant, CONFIRMATIONS, record.key) == 1
