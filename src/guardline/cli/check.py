"""``guardline check``: JSON Lines of messages on stdin (or ``--text``) -> one verdict per line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, BinaryIO, TextIO

from ..errors import InvalidInput
from ..types import Verdict
from ..validation import parse_message_json
from ._runtime import add_common, build_guard


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="check messages (JSON Lines on stdin, or --text)",
                       description="Reads messages as JSON Lines on stdin and writes one verdict per "
                                   "line, in the same order. A bad line gets {\"error\", \"line\"} in "
                                   "its place and the run goes on; the exit status is 1 if any was bad.")
    add_common(p)
    p.add_argument("--text", help="check this one outbound message instead of reading stdin")
    p.add_argument("--channel", default="webchat", help="channel for --text (default webchat)")
    p.add_argument("--tenant", default="default", help="tenant for --text")
    p.add_argument("--format", choices=("json", "table"), default=None,
                   help="output format (default: table on a terminal, else json)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, stdin: BinaryIO | None = None, stdout: TextIO | None = None) -> int:
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout
    fmt = args.format or ("table" if stdout.isatty() else "json")
    guard = build_guard(args)
    results: list[tuple[int, Verdict | dict[str, Any]]] = []
    bad = 0
    try:
        if args.text is not None:
            lines: Any = [json.dumps({"direction": "outbound", "text": args.text, "channel": args.channel,
                                      "tenant": args.tenant}).encode()]
        else:
            lines = stdin
        for n, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                message = parse_message_json(raw.rstrip(b"\r\n"), max_text_chars=guard.settings.max_text_chars)
                out: Verdict | dict[str, Any] = guard.check(message)
            except InvalidInput as exc:
                bad += 1
                out = {"error": str(exc), "line": n}
            if fmt == "json":
                stdout.write(json.dumps(out.to_dict() if isinstance(out, Verdict) else out,
                                        ensure_ascii=False) + "\n")
                stdout.flush()
            else:
                results.append((n, out))
    finally:
        guard.close()
    if fmt == "table":
        _table(results, stdout)
    return 1 if bad else 0


def _table(results: list[tuple[int, Verdict | dict[str, Any]]], stdout: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    colours = {"allow": "green", "redact": "yellow", "escalate": "magenta", "block": "red"}
    table = Table(show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("action", no_wrap=True, min_width=8)
    table.add_column("findings", no_wrap=True, overflow="ellipsis", max_width=44)
    table.add_column("text sent", overflow="fold", min_width=24, ratio=1)
    table.add_column("ms", justify="right")
    for n, v in results:
        if isinstance(v, Verdict):
            counts: dict[str, int] = {}
            for f in v.findings:
                key = f"{f.type} ({f.severity})"
                counts[key] = counts.get(key, 0) + 1
            findings = "\n".join(k if n == 1 else f"{k} x{n}" for k, n in counts.items()) or "-"
            a = str(v.action)
            table.add_row(str(n), f"[{colours[a]}]{a}[/]", findings, v.text, f"{v.latency_ms:.2f}")
        else:
            table.add_row(str(n), "[red]error[/]", str(v["error"]), "", "")
    Console(file=stdout).print(table)
