"""``guardline customers register|forget``: manage which values belong to which customer.

The state store comes from ``--state URL``, else ``GUARDLINE_STATE_URL``, else the ``serve`` default
``sqlite:///guardline-state.db``. Fingerprints are keyed by ``GUARDLINE_SECRET``, which must be set
(and be the gateway's): a random per-process key would make them match nothing later. Values are never
printed; ``--stdin`` keeps them out of the shell history and the process list.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from ..config import Settings, load_settings
from ..errors import ConfigError
from ..keys import KeyRing
from ..state import open_state
from ..state.base import StateStore

__all__ = ["register"]

DEFAULT_STATE = "sqlite:///guardline-state.db"


def register(sub: Any) -> None:
    p = sub.add_parser("customers", help="register or forget the values a customer owns (leakage)")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    reg = actions.add_parser("register", help="record values (phones, emails, ids, names) as a customer's",
                             description="Fingerprints each VALUE under the tenant's key and records it "
                                         "as owned by the customer. Prints counts only.")
    _common(reg)
    reg.add_argument("--customer", required=True, help="customer id")
    reg.add_argument("--region", action="append", default=None, metavar="CC",
                     help="region hint for phone numbers without a country code (repeatable; "
                          "default: the policy's regions)")
    reg.add_argument("--policy", metavar="FILE", help="policy whose regions to use (default: GUARDLINE_POLICY)")
    reg.add_argument("--ttl-days", type=float, default=None, help="retention (default: the store's)")
    reg.add_argument("--stdin", action="store_true", help="read values from stdin, one per line")
    reg.add_argument("values", nargs="*", metavar="VALUE")
    reg.set_defaults(func=run_register)

    forget = actions.add_parser("forget", help="remove every fingerprint a customer owns")
    _common(forget)
    forget.add_argument("customer", metavar="ID", help="customer id")
    forget.set_defaults(func=run_forget)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tenant", default="default", help="tenant (default: default)")
    p.add_argument("--state", metavar="URL",
                   help=f"state store URL (default: GUARDLINE_STATE_URL, else {DEFAULT_STATE})")


def _store(args: argparse.Namespace, settings: Settings) -> StateStore:
    url = args.state or settings.state_url or DEFAULT_STATE
    if url.startswith("memory:"):
        raise ConfigError("customers: a memory:// state store would be lost when this command exits; "
                          "use --state sqlite:///... or redis://...")
    return open_state(url)


def run_register(args: argparse.Namespace, *, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 settings: Settings | None = None) -> int:
    from ..detectors.leakage import register_identifiers

    settings = settings or load_settings()
    stdout = stdout or sys.stdout
    if settings.secret is None:
        raise ConfigError("customers register: set GUARDLINE_SECRET (or GUARDLINE_SECRET_FILE) to the "
                          "gateway's secret; fingerprints under a random key would never match")
    values = list(args.values)
    if args.stdin:
        values.extend(line.rstrip("\r\n") for line in (stdin or sys.stdin))
    values = [v for v in values if v.strip()]
    if not values:
        raise ConfigError("customers register: no values given")
    regions = tuple(r.upper() for r in args.region) if args.region else _policy_regions(args, settings)
    ttl_s = args.ttl_days * 86400.0 if args.ttl_days is not None else None
    store = _store(args, settings)
    try:
        n = register_identifiers(store, KeyRing(settings.secret), args.tenant, args.customer, values,
                                 regions=regions, ttl_s=ttl_s)
    finally:
        store.close()
    stdout.write(f"registered {len(values)} value(s) as {n} fingerprint(s) for customer "
                 f"{args.customer!r} of tenant {args.tenant!r}\n")
    return 0


def run_forget(args: argparse.Namespace, *, stdout: TextIO | None = None,
               settings: Settings | None = None) -> int:
    settings = settings or load_settings()
    stdout = stdout or sys.stdout
    store = _store(args, settings)
    try:
        n = store.forget_customer(args.tenant, args.customer)
    finally:
        store.close()
    stdout.write(f"forgot {n} fingerprint(s) of customer {args.customer!r} of tenant {args.tenant!r}\n")
    return 0


def _policy_regions(args: argparse.Namespace, settings: Settings) -> tuple[str, ...]:
    from ..policy import load_policy

    return tuple(load_policy(args.policy or settings.policy).regions)
