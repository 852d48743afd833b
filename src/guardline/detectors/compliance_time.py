"""Quiet hours: is it night where the recipient is?

The recipient's time zone comes from ``metadata.timezone`` (an IANA name), else from the country of
``metadata.recipient_phone`` through phonenumbers' time-zone data. A number whose country spans
several zones (US, Canada, Brazil, Australia...) yields all of them, and the message is in quiet
hours when it is in ANY of them: proactive messages wait rather than wake someone. The clock is the
message's timestamp, never the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as pn_timezone

from ..errors import ConfigError, InvalidInput

__all__ = ["QuietHours", "recipient_zones"]


def _parse_hhmm(value: object, field: str) -> time:
    if not isinstance(value, str):
        raise ConfigError(f"detectors.compliance.quiet_hours.{field}: expected \"HH:MM\"")
    try:
        hh, mm = value.split(":")
        return time(int(hh), int(mm))
    except ValueError as exc:
        raise ConfigError(f"detectors.compliance.quiet_hours.{field}: expected \"HH:MM\", "
                          f"got {value!r}") from exc


def zone(name: str, field: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}", field=field) from exc


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time
    default_zone: ZoneInfo | None

    @classmethod
    def from_setting(cls, value: object) -> QuietHours | None:
        if value is None or value is False:
            return None
        if not isinstance(value, dict):
            raise ConfigError("detectors.compliance.quiet_hours: expected {start, end[, default_timezone]}")
        unknown = set(value) - {"start", "end", "default_timezone"}
        if unknown:
            raise ConfigError(f"detectors.compliance.quiet_hours: unknown keys {sorted(unknown)}")
        default = value.get("default_timezone")
        try:
            default_zone = ZoneInfo(default) if default else None
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"detectors.compliance.quiet_hours.default_timezone: unknown zone "
                              f"{default!r}") from exc
        return cls(_parse_hhmm(value.get("start", "21:00"), "start"),
                   _parse_hhmm(value.get("end", "08:00"), "end"), default_zone)

    def quiet(self, local: time) -> bool:
        if self.start <= self.end:  # e.g. 00:00-06:00
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # wraps midnight, e.g. 21:00-08:00

    def check(self, when: datetime, zones: list[ZoneInfo]) -> list[tuple[ZoneInfo, datetime]]:
        """The zones (with local time) in which ``when`` falls in quiet hours."""
        out = []
        for z in zones:
            local = when.astimezone(z)
            if self.quiet(local.time().replace(tzinfo=None)):
                out.append((z, local))
        return out


def recipient_zones(metadata: dict[str, object], regions: tuple[str, ...]) -> list[ZoneInfo]:
    """Candidate time zones of the recipient (empty: unknown)."""
    tz = metadata.get("timezone")
    if tz is not None:
        if not isinstance(tz, str):
            raise InvalidInput("must be an IANA time zone name", field="metadata.timezone")
        return [zone(tz, "metadata.timezone")]
    phone = metadata.get("recipient_phone")
    if phone is None:
        return []
    if not isinstance(phone, str):
        raise InvalidInput("must be a string", field="metadata.recipient_phone")
    try:
        number = phonenumbers.parse(phone, regions[0] if regions else None)
    except phonenumbers.NumberParseException:
        return []
    names = [n for n in pn_timezone.time_zones_for_number(number) if n != "Etc/Unknown"]
    zones = []
    for n in names:
        try:
            zones.append(ZoneInfo(n))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return zones
