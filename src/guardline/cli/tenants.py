"""``guardline tenants create NAME`` / ``guardline tenants list``."""

from __future__ import annotations

import argparse
from typing import Any

from ..config import load_settings


def register(sub: Any) -> None:
    p = sub.add_parser("tenants", help="manage tenants")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    c = actions.add_parser("create", help="create a tenant")
    c.add_argument("name")
    c.add_argument("--database", metavar="URL", help="database (default GUARDLINE_DATABASE_URL or "
                                                     "sqlite:///guardline.db)")
    c.set_defaults(func=create)
    ls = actions.add_parser("list", help="list tenants")
    ls.add_argument("--database", metavar="URL")
    ls.set_defaults(func=list_)


def database_url(args: argparse.Namespace) -> str:
    from ..server.app import DEFAULT_DATABASE

    return str(args.database or load_settings().database_url or DEFAULT_DATABASE)


def create(args: argparse.Namespace) -> int:
    from ..server.keystore import KeyStore

    store = KeyStore(database_url(args))
    try:
        created = store.create_tenant(args.name)
    finally:
        store.close()
    print(f"tenant {args.name!r} {'created' if created else 'already exists'}")
    return 0


def list_(args: argparse.Namespace) -> int:
    from ..server.keystore import KeyStore

    store = KeyStore(database_url(args))
    try:
        for name in store.tenants():
            print(name)
    finally:
        store.close()
    return 0
