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
    """A Guard from flags, then ``GUARDLINE_*`` settings, then the given defaults. An audit store is
    opened only when a database URL is named; with one, the master secret must be configured (the
    text is encrypted under keys derived from it, and a random secret would make it unreadable)."""
    from ..policy import load_policy

    settings = settings or load_settings()
    policy = load_policy(getattr(args, "policy", None) or settings.policy)
    state_url = getattr(args, "state", None) or settings.state_url or default_state
    database = getattr(args, "database", None) or settings.database_url or default_database
    keys = KeyRing(settings.secret)
    state = open_state_url(state_url)
    audit: Any = None
    if database:
        from ..audit import audit_options, open_audit

        if keys.ephemeral:
            raise ConfigError("an audit database needs GUARDLINE_SECRET (or GUARDLINE_SECRET_FILE): "
                              "without it the stored text could never be decrypted")
        audit = open_audit(database, keys=keys, **audit_options(policy))
    return Guard(policy, state=state, keys=keys, audit=audit, settings=settings)
