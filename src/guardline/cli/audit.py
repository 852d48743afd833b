"""``guardline audit verify|export|forget|pubkey``: check, export and erase the audit trail.

The store is ``--database URL``, else ``GUARDLINE_DATABASE_URL``, else ``sqlite:///guardline.db`` (what
``serve`` writes by default). Everything but ``verify --bundle --pubkey`` needs ``GUARDLINE_SECRET``.
Exit status: 0 pass, 1 the trail or bundle does not verify, 2 bad input or configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from ..audit.chain import Checkpoint, VerifyReport
from ..audit.crypto import AuditCrypto, parse_public_key, signature_ok
from ..audit.store import AuditStore, open_store
from ..audit.verify import export_bundle, read_checkpoint_file, verify_bundle, verify_store
from ..config import Settings, load_settings
from ..errors import ConfigError, IntegrityError, InvalidInput
from ..keys import KeyRing

__all__ = ["DEFAULT_DATABASE", "register"]

DEFAULT_DATABASE = "sqlite:///guardline.db"


def register(sub: Any) -> None:
    p = sub.add_parser("audit", help="verify, export and erase the audit trail")
    cmds = p.add_subparsers(dest="audit_command", metavar="ACTION")
    cmds.required = True

    v = cmds.add_parser("verify", help="verify the hash chains and signed checkpoints (exit 1 on failure)")
    _database(v)
    v.add_argument("--tenant", help="only this tenant (default: every tenant in the store)")
    v.add_argument("--bundle", metavar="FILE", help="verify an exported bundle offline instead of the store")
    v.add_argument("--pubkey", metavar="HEX|FILE",
                   help="the tenant's public key (from `guardline audit pubkey`); default: derived from "
                        "GUARDLINE_SECRET")
    v.add_argument("--checkpoints", metavar="FILE",
                   help="checkpoints kept outside the store (JSON Lines) to check the store against")
    v.add_argument("--json", action="store_true", help="print the reports as JSON")
    v.set_defaults(func=run_verify)

    e = cmds.add_parser("export", help="export a conversation as a bundle that verifies offline")
    _database(e)
    e.add_argument("--conversation", required=True, metavar="ID")
    e.add_argument("--tenant", default="default")
    e.add_argument("--out", metavar="FILE", help="write the bundle here (default: stdout)")
    e.set_defaults(func=run_export)

    f = cmds.add_parser("forget", help="destroy a customer's data key: their texts become unrecoverable")
    _database(f)
    f.add_argument("--customer", required=True, metavar="ID")
    f.add_argument("--tenant", default="default")
    f.set_defaults(func=run_forget)

    k = cmds.add_parser("pubkey", help="print a tenant's checkpoint public key (hex)")
    k.add_argument("--tenant", default="default")
    k.set_defaults(func=run_pubkey)


def _database(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database", metavar="URL",
                   help=f"audit store URL (default: GUARDLINE_DATABASE_URL, else {DEFAULT_DATABASE})")


def _keys(settings: Settings) -> KeyRing:
    if settings.secret is None:
        raise ConfigError("set GUARDLINE_SECRET (or GUARDLINE_SECRET_FILE) to the master secret the audit "
                          "trail was written with")
    return KeyRing(settings.secret)


def _store(args: argparse.Namespace, settings: Settings) -> AuditStore:
    url = getattr(args, "database", None) or settings.database_url or DEFAULT_DATABASE
    return open_store(url, create=False)


def _pubkey(arg: str) -> bytes:
    path = Path(arg)
    if len(arg) != 64 and path.is_file():
        try:
            arg = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {arg}: {exc}", field="pubkey") from None
    return parse_public_key(arg)


def run_verify(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    settings = load_settings()
    if args.bundle:
        return _verify_bundle(args, settings, out)
    if args.pubkey:
        if not args.tenant:
            raise InvalidInput("--pubkey checks one tenant: add --tenant", field="pubkey")
        key = _pubkey(args.pubkey)

        def sig_ok(cp: Checkpoint) -> bool:
            return signature_ok(key, cp)
    else:
        sig_ok = AuditCrypto(_keys(settings)).signature_ok
    extra = tuple(read_checkpoint_file(args.checkpoints)) if args.checkpoints else ()
    store = _store(args, settings)
    try:
        reports = verify_store(store, sig_ok, tenant=args.tenant, extra_checkpoints=extra)
    finally:
        store.close()
    if not reports:
        raise InvalidInput("the audit store holds no events")
    _print_reports(reports, out, as_json=args.json)
    return 0 if all(r.ok for r in reports) else 1


def _print_reports(reports: list[VerifyReport], out: TextIO, *, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps([r.to_dict() for r in reports], indent=2) + "\n")
        return
    for r in reports:
        if r.ok:
            out.write(f"OK    tenant {r.tenant}: {r.events} events, head {r.head_seq} {r.head.hex()[:16]}..., "
                      f"{r.checkpoints} signed checkpoints (last at {r.last_checkpoint})\n")
            for note in r.notes:
                out.write(f"      note: {note}\n")
        else:
            out.write(f"FAIL  tenant {r.tenant}: {r.problem}\n")
            out.write(f"      {r.events} events verified before it\n")


def _verify_bundle(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    try:
        bundle = json.loads(Path(args.bundle).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {args.bundle}: {exc.strerror}", field="bundle") from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{args.bundle} is not JSON", field="bundle") from None
    if args.pubkey:
        key = _pubkey(args.pubkey)
    else:
        tenant = bundle.get("tenant") if isinstance(bundle, dict) else None
        if not isinstance(tenant, str):
            raise InvalidInput("the bundle names no tenant", field="bundle")
        key = AuditCrypto(_keys(settings)).public_key(tenant)
    try:
        report = verify_bundle(bundle, key)
    except IntegrityError as exc:
        out.write(f"FAIL  bundle {args.bundle}: {exc}\n")
        return 1
    out.write(f"OK    bundle {args.bundle}: {report.events} events of conversation {report.conversation!r} "
              f"(tenant {report.tenant}) are in the chain signed at checkpoint {report.checkpoint_seq} "
              f"({report.checkpoint_ts})\n")
    return 0


def run_export(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    settings = load_settings()
    crypto = AuditCrypto(_keys(settings))
    store = _store(args, settings)
    try:
        bundle = export_bundle(store, crypto, tenant=args.tenant, conversation=args.conversation)
    finally:
        store.close()
    text = json.dumps(bundle, indent=1) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="ascii")
        print(f"wrote {len(bundle['events'])} events, proof of {len(bundle['proof']['leaves'])} leaves, "
              f"checkpoint {bundle['checkpoint']['seq']} to {args.out}", file=sys.stderr)
    else:
        out.write(text)
    return 0


def run_forget(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from ..audit.sink import AuditLog

    out = out if out is not None else sys.stdout
    settings = load_settings()
    keys = _keys(settings)
    log = AuditLog(_store(args, settings), keys)
    try:
        n = log.forget(args.tenant, args.customer)
    finally:
        log.close()
    out.write(f"destroyed {n} data key(s) of customer {args.customer!r} (tenant {args.tenant}); their texts "
              "can no longer be decrypted; the erasure is recorded in the audit trail\n")
    return 0


def run_pubkey(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    out.write(AuditCrypto(_keys(load_settings())).public_key(args.tenant).hex() + "\n")
    return 0
