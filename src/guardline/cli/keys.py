"""``guardline keys create --tenant T [--scope check|read|admin]``, ``keys list``, ``keys revoke``.

The key is printed once, on stdout alone (so ``KEY=$(guardline keys create ...)`` works); only its
SHA-256 is stored.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .tenants import database_url


def register(sub: Any) -> None:
    p = sub.add_parser("keys", help="manage API keys")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    c = actions.add_parser("create", help="create an API key (printed once)")
    c.add_argument("--tenant", required=True)
    c.add_argument("--scope", choices=("check", "read", "admin"), default="check",
                   help="check < read < admin (default check)")
    c.add_argument("--database", metavar="URL")
    c.set_defaults(func=create)
    ls = actions.add_parser("list", help="list a tenant's keys (ids and scopes, never the keys)")
    ls.add_argument("--tenant", required=True)
    ls.add_argument("--database", metavar="URL")
    ls.set_defaults(func=list_)
    r = actions.add_parser("revoke", help="revoke a key by its id")
    r.add_argument("--tenant", required=True)
    r.add_argument("key_id")
    r.add_argument("--database", metavar="URL")
    r.set_defaults(func=revoke)


def create(args: argparse.Namespace) -> int:
    from ..server.keystore import KeyStore

    store = KeyStore(database_url(args))
    try:
        key, record = store.create_key(args.tenant, args.scope)
    finally:
        store.close()
    print(key)
    print(f"key {record.id} ({record.scope}) for tenant {record.tenant!r}: shown once, store it now",
          file=sys.stderr)
    return 0


def list_(args: argparse.Namespace) -> int:
    from ..server.keystore import KeyStore

    store = KeyStore(database_url(args))
    try:
        for k in store.list_keys(args.tenant):
            print(f"{k.id}\t{k.scope}\t{k.created_at}\t{'revoked ' + k.revoked_at if k.revoked_at else 'active'}")
    finally:
        store.close()
    return 0


def revoke(args: argparse.Namespace) -> int:
    from ..server.keystore import KeyStore

    store = KeyStore(database_url(args))
    try:
        done = store.revoke_key(args.tenant, args.key_id)
    finally:
        store.close()
    print(f"key {args.key_id} {'revoked' if done else 'not found or already revoked'}")
    return 0 if done else 1
