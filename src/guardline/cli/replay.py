"""``guardline replay --policy NEW.yaml``: re-run recorded traffic through a new policy, show what changes.

Reads the audit store (``--database``, else ``GUARDLINE_DATABASE_URL``, else ``sqlite:///guardline.db``),
decrypts the original texts whose keys still exist (needs ``GUARDLINE_SECRET``), checks each with a
``Guard`` built from the new policy (no audit, fresh in-memory state, replayed in chain order) and
prints newly blocked, newly allowed and otherwise changed actions with counts and redacted examples.
Exit status 0; 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from ..audit.crypto import AuditCrypto
from ..audit.replay import ReplayReport, parse_since, recorded_messages, replay
from ..config import load_settings
from .audit import DEFAULT_DATABASE, _keys, _store

__all__ = ["parse_since", "register"]


def register(sub: Any) -> None:
    p = sub.add_parser("replay", help="re-run recorded traffic through a new policy and show what changes")
    p.add_argument("--policy", required=True, metavar="FILE", help="the new policy YAML")
    p.add_argument("--database", metavar="URL",
                   help=f"audit store URL (default: GUARDLINE_DATABASE_URL, else {DEFAULT_DATABASE})")
    p.add_argument("--since", metavar="WHEN",
                   help="only events recorded since then: an ISO date/time or a duration ago (30m, 24h, 7d)")
    p.add_argument("--tenant", help="only this tenant")
    p.add_argument("--examples", type=int, default=3, metavar="N", help="examples per kind of change")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..guard import Guard
    from ..state.memory import MemoryStore

    out = out if out is not None else sys.stdout
    since = parse_since(args.since) if args.since else None
    settings = load_settings()
    keys = _keys(settings)
    guard = Guard(args.policy, state=MemoryStore(), keys=keys, settings=settings)
    store = _store(args, settings)
    try:
        total, recorded = recorded_messages(store, AuditCrypto(keys), tenant=args.tenant, since=since)
        err = Console(file=sys.stderr)
        with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("replay", total=total)
            report = replay(guard, recorded, examples=args.examples, progress=lambda: bar.advance(task))
    finally:
        store.close()
        guard.close()
    if args.json:
        out.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        _print(report, guard.policy.id, out)
    return 0


def _print(report: ReplayReport, policy: str, out: TextIO) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=out, highlight=False, soft_wrap=True)
    console.print(f"replayed {report.replayed} of {report.total} recorded messages through policy "
                  f"[bold]{policy}[/] ({report.erased} erased, {report.failed} failed)")
    summary = Table(title="what changes")
    summary.add_column("change")
    summary.add_column("messages", justify="right")
    for label, key in (("newly blocked", "newly_blocked"), ("newly allowed", "newly_allowed"),
                       ("other change", "changed")):
        summary.add_row(label, str(report.count(key)))
    summary.add_row("unchanged", str(report.unchanged))
    console.print(summary)
    if any(a != b for a, b in report.transitions):
        moves = Table(title="transitions (recorded -> new)")
        moves.add_column("recorded")
        moves.add_column("new")
        moves.add_column("messages", justify="right")
        for (a, b), n in sorted(report.transitions.items(), key=lambda kv: -kv[1]):
            if a != b:
                moves.add_row(str(a), str(b), str(n))
        console.print(moves)
    for key, label in (("newly_blocked", "newly blocked"), ("newly_allowed", "newly allowed"),
                       ("changed", "other changes")):
        for c in report.examples.get(key, []):
            console.print(f"[bold]{label}[/] tenant {c.tenant} seq {c.seq}: {c.old} -> {c.new} "
                          f"{escape('[' + (', '.join(c.new_findings) or 'no findings') + ']')}", markup=True)
            console.print(f"    {c.text[:300]}", markup=False)
