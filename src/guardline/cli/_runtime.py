"""Shared CLI plumbing: build a Guard (policy, state, audit) from flags and settings."""

from __future__ import annotations

import argparse
from typing import Any

from ..config import Settings, load_settings
from ..errors import ConfigError
from ..guard import Guard
from ..keys import KeyRing
from ..state.base import StateStore


def add_common(p: argparse.ArgumentParser, *, audit: bool = True) -> None:
    p.add_argument("--policy", metavar="FILE", help="policy YAML (default: GUARDLINE_POLICY or the built-in default)")
    p.add_argument("--state", metavar="URL", help="state store URL (memory://, sqlite:///file.db, redis://...)")
    if audit:
        p.add_argument("--database", metavar="URL", help="audit store URL (sqlite:///file.db, postgresql://...)")


def open_state_url(url: str | None) -> StateStore:
    from ..state import open_state

    return open_state(url or "memory://")


def build_guard(args: argparse.Namespace, *, settings: Settings | None = None,
                default_database: str | None = None, default_state: str | None = None) -> Guard:
    settings = settings or load_settings()
    policy = getattr(args, "policy", None) or settings.policy
    state_url = getattr(args, "state", None) or settings.state_url or default_state
    database = getattr(args, "database", None) or settings.database_url or default_database
    keys = KeyRing(settings.secret)
    state = open_state_url(state_url)
    audit: Any = None
    if database:
        try:
            from ..audit import open_audit
        except ImportError as exc:  # pragma: no cover
            raise ConfigError(f"audit database {database!r}: audit backend not available") from exc
        guard_policy_durable = True
        audit = open_audit(database, keys=keys, durable=guard_policy_durable)
    return Guard(policy, state=state, keys=keys, audit=audit, settings=settings)
