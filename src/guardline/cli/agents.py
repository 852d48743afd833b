"""``guardline agents``: the kill switch and canaries of agent versions, from the command line.

    guardline agents kill NAME VERSION [--reason TEXT]
    guardline agents unkill NAME VERSION
    guardline agents canary NAME --stable 1.4 --candidate 1.5 --share 10%
    guardline agents canary NAME --stop
    guardline agents status [--json]

State is the shared state store (``--state`` or ``GUARDLINE_STATE_URL``; a gateway's replicas read the
same one, so a kill takes effect on the next reply). With ``--database`` (or
``GUARDLINE_DATABASE_URL``) every transition is also an audit event.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import UTC, datetime
from typing import Any

from ..config import load_settings
from ..errors import ConfigError
from ..keys import KeyRing
from ..policy import load_policy
from ..rollout.store import OperatorAudit, RolloutStore
from ._runtime import open_state_url


def _share(raw: str) -> float:
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a share (e.g. 10% or 0.1)") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("must be between 0% and 100% (exclusive)")
    return value


def _when(ts: float) -> str:
    """A transition time for people: UTC ISO 8601 to the second; '-' for never."""
    if not ts:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _common(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options every operation takes; accepted before the operation and (``suppress``: without
    overriding what was given before it) after it."""
    unset = argparse.SUPPRESS
    parser.add_argument("--state", metavar="URL", default=unset if suppress else None,
                        help="state store URL (default GUARDLINE_STATE_URL)")
    parser.add_argument("--database", metavar="URL", default=unset if suppress else None,
                        help="audit store for the transitions (default GUARDLINE_DATABASE_URL)")
    parser.add_argument("--policy", metavar="FILE", default=unset if suppress else None,
                        help="policy with breaker/canary settings")
    parser.add_argument("--tenant", default=unset if suppress else "default")


def register(sub: Any) -> None:
    p = sub.add_parser("agents", help="kill switch and canaries of agent versions",
                       description=(__doc__ or "").strip(), formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(p, suppress=False)
    ops = p.add_subparsers(dest="op", metavar="OP")
    ops.required = True
    for name, text in (("kill", "stop a version at once: its replies get the fallback"),
                       ("unkill", "let a killed or open version serve again")):
        k = ops.add_parser(name, help=text)
        _common(k, suppress=True)
        k.add_argument("name")
        k.add_argument("version")
        k.add_argument("--reason", default=f"manual {name}")
    c = ops.add_parser("canary", help="start or stop a canary")
    _common(c, suppress=True)
    c.add_argument("name")
    c.add_argument("--stable")
    c.add_argument("--candidate")
    c.add_argument("--share", type=_share, default=0.1, help="share of conversations for the candidate (10%%)")
    c.add_argument("--stop", action="store_true", help="stop the running canary (everyone gets stable)")
    s = ops.add_parser("status", help="breakers, canaries and stable versions")
    _common(s, suppress=True)
    s.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _rollout(args: argparse.Namespace) -> tuple[RolloutStore, Any]:
    settings = load_settings()
    url = args.state or settings.state_url
    if not url:
        raise ConfigError("no state store: pass --state URL or set GUARDLINE_STATE_URL (the gateway's store)")
    state = open_state_url(url)
    audit: Any = None
    database = args.database or settings.database_url
    if database:
        from ..audit import open_audit

        audit = open_audit(database, keys=KeyRing(settings.secret))
    from ..monitor.config import load_monitoring

    cfg = load_monitoring(load_policy(args.policy or settings.policy))
    ops_audit: OperatorAudit | None = audit
    return RolloutStore(state, breaker=cfg.breaker, canary=cfg.canary, audit=ops_audit), audit


def run(args: argparse.Namespace) -> int:
    rollout, audit = _rollout(args)
    actor = f"cli:{getpass.getuser()}"
    try:
        if args.op == "kill":
            st = rollout.kill(args.tenant, args.name, args.version, args.reason, actor=actor)
            print(f"{args.name} {args.version}: {st.mode} ({st.reason})")
        elif args.op == "unkill":
            st = rollout.unkill(args.tenant, args.name, args.version, args.reason, actor=actor)
            print(f"{args.name} {args.version}: {st.mode}")
        elif args.op == "canary":
            if args.stop:
                c = rollout.stop_canary(args.tenant, args.name, actor=actor)
                print(f"{args.name}: {'no canary' if c is None else c.status}")
            else:
                if not args.stable or not args.candidate:
                    raise ConfigError("canary needs --stable and --candidate (or --stop)")
                try:
                    c = rollout.start_canary(args.tenant, args.name, args.stable, args.candidate, args.share,
                                             actor=actor)
                except ValueError as exc:
                    raise ConfigError(f"canary: {exc}") from None
                print(f"{args.name}: canary {c.candidate} on {c.share:.0%} of conversations, stable {c.stable}")
        else:
            status = rollout.status(args.tenant)
            if args.json:
                json.dump(status, sys.stdout, indent=2)
                print()
            else:
                _print_status(status)
    finally:
        if audit is not None:
            audit.close()
        rollout.state.close()
    return 0


def _print_status(status: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="breakers")
    for col in ("agent", "version", "mode", "since", "reason"):
        table.add_column(col)
    colours = {"closed": "green", "half_open": "yellow", "open": "red", "killed": "red"}
    for b in status["breakers"]:
        table.add_row(b["agent"], b["version"], f"[{colours.get(b['mode'], 'white')}]{b['mode']}[/]",
                      _when(b["since"]), b["reason"])
    console = Console()
    console.print(table)
    for name, c in status["canaries"].items():
        console.print(f"canary {name}: {c['status']} {c['candidate']} on {c['share']:.0%} vs {c['stable']} "
                      f"({c['candidate_replies']} vs {c['stable_replies']} replies) {c['reason']}")
    for name, v in status["stable"].items():
        console.print(f"stable {name}: {v}")
