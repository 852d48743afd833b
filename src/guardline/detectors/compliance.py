"""Messaging compliance: consent keywords and opt-outs, quiet hours, SMS length and encoding, the URL
allow-list, and WhatsApp's 24-hour customer-service window.

Inbound messages are only recorded and audited (opt-out, opt-in, help, last inbound time); rules
bite on outbound messages. The clock is always ``message.timestamp``.

Finding types (default severity):

================================  ========  ==================================================
``compliance.opt_out``            info      inbound STOP & co. (recorded in the state store)
``compliance.opt_in``             info      inbound START / UNSTOP & co.
``compliance.help_requested``     info      inbound HELP & co.: the agent owes a help reply
``compliance.opted_out``          critical  outbound to an opted-out customer on that channel
``compliance.optout_confirmation`` info     the one confirmation let through after an opt-out
``compliance.quiet_hours``        high      proactive outbound in the recipient's quiet hours
``compliance.timezone_unknown``   low       proactive outbound, recipient's time zone unknown
``compliance.sms_segments``       medium    SMS longer than ``max_sms_segments``
``compliance.url_not_allowed``    medium    link outside ``allowed_domains`` or a shortener
``compliance.whatsapp_window``    high      free-form WhatsApp outbound > 24 h after last inbound
``compliance.state_unavailable``  low       a rule needs the state store or a customer id
================================  ========  ==================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import ClassVar

from ..errors import ConfigError
from ..types import Category, Channel, Direction, Finding, Message, Severity
from .base import BaseDetector, Context
from .brand_text import fold, fold_term
from .compliance_consent import lookup, record_keyword, take_confirmation
from .compliance_keywords import KINDS, Keyword, classify, confirmation_matcher
from .compliance_sms import sms_info
from .compliance_time import QuietHours, recipient_zones
from .compliance_urls import find_links, host_allowed, shorteners

__all__ = ["ComplianceDetector"]

_LAST_INBOUND = "wa.last_inbound"
_DEFAULT_QUIET = {"start": "21:00", "end": "08:00"}


def _domains(values: Sequence[str], field: str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise ConfigError(f"detectors.compliance.{field}: expected a list of domains")
    out = []
    for v in values:
        if not isinstance(v, str) or not v.strip() or "/" in v:
            raise ConfigError(f"detectors.compliance.{field}: {v!r} is not a domain name")
        out.append(v.strip().lower().lstrip("*.").rstrip("."))
    return tuple(out)


class ComplianceDetector(BaseDetector):
    name: ClassVar[str] = "compliance"
    version: ClassVar[str] = "1"
    category: ClassVar[Category] = Category.COMPLIANCE
    directions: ClassVar[frozenset[Direction]] = frozenset(Direction)

    def __init__(self, *, opt_out: bool = True, extra_keywords: Mapping[str, Sequence[str]] | None = None,
                 confirmation_max_chars: int = 320,
                 quiet_hours: Mapping[str, str] | None = _DEFAULT_QUIET,
                 sms_channels: Sequence[str] = ("sms",), max_sms_segments: int | None = 3,
                 allowed_domains: Sequence[str] | None = None, block_shorteners: bool = True,
                 shortener_domains: Sequence[str] = (), whatsapp_window_h: float | None = 24.0) -> None:
        self.opt_out = opt_out
        self.extra_keywords: dict[str, Keyword] = {}
        for kind, words in (extra_keywords or {}).items():
            if kind not in KINDS or isinstance(words, str):
                raise ConfigError(f"detectors.compliance.extra_keywords: expected {{{'|'.join(KINDS)}: "
                                  f"[keywords]}}, got key {kind!r}")
            for w in words:
                self.extra_keywords[fold_term(str(w))] = Keyword(kind, "custom", fold_term(str(w)))
        self.confirmation_max_chars = int(confirmation_max_chars)
        self.quiet_hours = QuietHours.from_setting(dict(quiet_hours) if quiet_hours is not None else None)
        try:
            self.sms_channels = frozenset(Channel(c) for c in sms_channels)
        except ValueError as exc:
            raise ConfigError(f"detectors.compliance.sms_channels: {exc}") from exc
        if max_sms_segments is not None and (not isinstance(max_sms_segments, int) or max_sms_segments < 1):
            raise ConfigError("detectors.compliance.max_sms_segments: must be a positive integer or null")
        self.max_sms_segments = max_sms_segments
        self.allowed_domains = None if allowed_domains is None else _domains(allowed_domains,
                                                                              "allowed_domains")
        self.shorteners = (shorteners() | set(_domains(shortener_domains, "shortener_domains"))
                           if block_shorteners else frozenset())
        if whatsapp_window_h is not None and whatsapp_window_h <= 0:
            raise ConfigError("detectors.compliance.whatsapp_window_h: must be positive or null")
        self.whatsapp_window = timedelta(hours=whatsapp_window_h) if whatsapp_window_h else None

    def detect(self, message: Message, ctx: Context) -> list[Finding]:
        if message.direction is Direction.INBOUND:
            return self._inbound(message, ctx)
        out = self._opted_out(message, ctx)
        out += self._quiet(message, ctx)
        if message.channel in self.sms_channels and self.max_sms_segments is not None:
            info = sms_info(message.text)
            if info.segments > self.max_sms_segments:
                out.append(Finding(self.name, self.category, "compliance.sms_segments", Severity.MEDIUM, None,
                                   1.0, f"{info.encoding}, {info.units} units: {info.segments} segments > "
                                        f"limit {self.max_sms_segments}"
                                   + (f"; UCS-2 forced by the character at offset {info.first_non_gsm}"
                                      if info.first_non_gsm is not None else "")))
        out += self._links(message)
        out += self._whatsapp(message, ctx)
        return out

    # -- inbound ------------------------------------------------------------------------------------
    def _inbound(self, message: Message, ctx: Context) -> list[Finding]:
        out: list[Finding] = []
        customer = message.customer_id or message.conversation_id
        if (ctx.state is not None and customer and message.channel is Channel.WHATSAPP
                and self.whatsapp_window is not None):
            ctx.state.set(message.tenant, _LAST_INBOUND, customer, message.timestamp.isoformat(),
                          ttl_s=self.whatsapp_window.total_seconds() * 2)
        if not self.opt_out:
            return out
        kw = classify(ctx.text, self.extra_keywords)
        if kw is None:
            return out
        type_ = {"optout": "compliance.opt_out", "optout_all": "compliance.opt_out",
                 "optin": "compliance.opt_in", "help": "compliance.help_requested"}[kw.kind]
        scope = "every channel" if kw.kind == "optout_all" else str(message.channel)
        evidence = f"keyword {kw.keyword!r} ({kw.language}), {scope}"
        if kw.kind != "help":
            if ctx.state is None or not message.customer_id:
                evidence += "; NOT recorded: " + ("no state store" if ctx.state is None else "no customer_id")
                out.append(self._state_unavailable("consent keyword not recorded"))
            else:
                record_keyword(ctx.state, message.tenant, message.customer_id, str(message.channel), kw,
                               message.timestamp)
        out.insert(0, self.finding(ctx, type_, Severity.INFO, 0, len(ctx.text), evidence=evidence))
        return out

    def _state_unavailable(self, why: str) -> Finding:
        return Finding(self.name, self.category, "compliance.state_unavailable", Severity.LOW, None, 1.0, why)

    # -- outbound rules -----------------------------------------------------------------------------
    def _opted_out(self, message: Message, ctx: Context) -> list[Finding]:
        if not self.opt_out:
            return []
        if ctx.state is None:
            return [self._state_unavailable("opt-out status unknown: no state store")]
        if not message.customer_id:
            return []  # an anonymous conversation: nobody to have opted out
        record = lookup(ctx.state, message.tenant, message.customer_id, str(message.channel))
        if record is None:
            return []
        if self._is_confirmation(message, ctx) and take_confirmation(ctx.state, message.tenant, record):
            return [Finding(self.name, self.category, "compliance.optout_confirmation", Severity.INFO, None,
                            1.0, f"opt-out confirmation let through (opted out at {record.at})")]
        return [Finding(self.name, self.category, "compliance.opted_out", Severity.CRITICAL, None, 1.0,
                        f"customer opted out on {record.key.rsplit(':', 1)[1]} at {record.at} "
                        f"with {record.keyword!r}")]

    def _is_confirmation(self, message: Message, ctx: Context) -> bool:
        flag = message.metadata.get("optout_confirmation")
        if isinstance(flag, bool):
            return flag
        if len(message.text) > self.confirmation_max_chars:
            return False
        return next(iter(confirmation_matcher().scan(fold(ctx.text).text)), None) is not None

    def _quiet(self, message: Message, ctx: Context) -> list[Finding]:
        if self.quiet_hours is None or message.metadata.get("proactive") is not True:
            return []
        zones = recipient_zones(message.metadata, ctx.regions)
        if not zones and self.quiet_hours.default_zone is not None:
            zones = [self.quiet_hours.default_zone]
        if not zones:
            return [Finding(self.name, self.category, "compliance.timezone_unknown", Severity.LOW, None, 1.0,
                            "proactive message: recipient time zone unknown (no metadata.timezone, no "
                            "usable metadata.recipient_phone)")]
        hits = self.quiet_hours.check(message.timestamp, zones)
        if not hits:
            return []
        z, local = hits[0]
        window = f"{self.quiet_hours.start:%H:%M}-{self.quiet_hours.end:%H:%M}"
        return [Finding(self.name, self.category, "compliance.quiet_hours", Severity.HIGH, None, 1.0,
                        f"recipient local time {local:%H:%M} ({z.key}) is within quiet hours {window}"
                        + (f"; {len(hits)} of {len(zones)} candidate zones" if len(zones) > 1 else ""))]

    def _links(self, message: Message) -> list[Finding]:
        out = []
        for link in find_links(message.text):
            allowed = self.allowed_domains
            if allowed is not None and host_allowed(link.host, allowed):
                continue
            if host_allowed(link.host, self.shorteners):
                why = "link shortener"
            elif allowed is not None:
                why = "domain not in allowed_domains"
            else:
                continue
            host = link.host if link.host.isascii() and link.host.isprintable() else ascii(link.host)
            out.append(Finding(self.name, self.category, "compliance.url_not_allowed", Severity.MEDIUM,
                               (link.start, link.end), 1.0, f"{why}: {host}"))
        return out

    def _whatsapp(self, message: Message, ctx: Context) -> list[Finding]:
        if message.channel is not Channel.WHATSAPP or self.whatsapp_window is None:
            return []
        if message.metadata.get("template") is True:
            return []
        customer = message.customer_id or message.conversation_id
        if ctx.state is None or not customer:
            return [self._state_unavailable("WhatsApp window unknown: "
                                            + ("no state store" if ctx.state is None else "no customer id"))]
        raw = ctx.state.get(message.tenant, _LAST_INBOUND, customer)
        if raw is None:
            return [self._window("no inbound message from the customer on record")]
        last = datetime.fromisoformat(raw)
        elapsed = message.timestamp - last
        if elapsed > self.whatsapp_window:
            hours = elapsed.total_seconds() / 3600
            return [self._window(f"last inbound message {hours:.1f} h ago "
                                 f"(window {self.whatsapp_window.total_seconds() / 3600:g} h)")]
        return []

    def _window(self, why: str) -> Finding:
        return Finding(self.name, self.category, "compliance.whatsapp_window", Severity.HIGH, None, 1.0,
                       f"free-form message outside the customer-service window: {why}; send a template")
