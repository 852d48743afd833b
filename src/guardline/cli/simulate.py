"""``guardline simulate``: replay ABCD traffic through the real pipeline, state store, monitor and
breaker with a scripted failure; print how fast Guardline noticed and what reached customers."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError


def _default_data() -> Path:
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / "data"


def _share(raw: str) -> float:
    value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("must be within (0, 1) or 0%..100%")
    return value


def register(sub: Any) -> None:
    p = sub.add_parser("simulate", help="replay realistic traffic with a scripted agent failure",
                       description=(__doc__ or "").strip())
    p.add_argument("--data", type=Path, default=_default_data(), help="evaluation data (default ../shared/data)")
    p.add_argument("--split", choices=("test", "dev"), default="test", help="ABCD split (default test)")
    p.add_argument("--scenario", choices=("leak", "hallucinate", "clean", "all"), default="all")
    p.add_argument("--replies", type=int, default=4000, help="agent replies per run (default 4000)")
    p.add_argument("--change-at", type=int, default=3000, help="reply from which version X fails")
    p.add_argument("--leak-rate", type=_share, default=0.05, help="share of X's replies that leak (5%%)")
    p.add_argument("--hallucination-rate", type=_share, default=0.10, help="X's rate after the change (10%%)")
    p.add_argument("--base-hallucination", type=_share, default=0.02, help="rate before the change (2%%)")
    p.add_argument("--clean-replies", type=int, default=20_000, help="replies of the clean run")
    p.add_argument("--canary", type=_share, default=None, metavar="SHARE",
                   help="run X as a canary with this share against stable 1.4")
    p.add_argument("--seeds", type=int, default=1, help="repeat each failure scenario with this many seeds")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from ..monitor.simulation import RunResult, Scenario, load_dialogues, run_scenario

    try:
        dialogues = load_dialogues(args.data, args.split)
    except OSError as exc:
        raise ConfigError(f"--data {args.data}: ABCD dialogues not found ({exc.strerror})") from exc
    names = ["leak", "hallucinate", "clean"] if args.scenario == "all" else [args.scenario]
    plan: list[Scenario] = []
    for name in names:
        seeds = 1 if name == "clean" else args.seeds
        for k in range(seeds):
            plan.append(Scenario(
                name=name, replies=args.clean_replies if name == "clean" else args.replies,
                change_at=args.change_at, leak_rate=args.leak_rate, hallucination_rate=args.hallucination_rate,
                base_hallucination=args.base_hallucination, canary_share=args.canary, seed=args.seed + k))
    err = Console(file=sys.stderr)
    results: list[RunResult] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[status]}"), console=err, disable=args.quiet, transient=False) as bar:
        for sc in plan:
            task = bar.add_task(f"{sc.name} (seed {sc.seed})", total=sc.replies, status="")

            def tick(done: int, r: RunResult, task: Any = task) -> None:
                if done % 50 == 0 or done == r.scenario.replies:
                    status = f"alert@{r.alert_after}" if r.alert_after is not None else ""
                    if r.breaker_after is not None:
                        status += f" breaker@{r.breaker_after}"
                    bar.update(task, completed=done, status=status)

            results.append(run_scenario(dialogues, sc, progress=tick))
            bar.update(task, completed=sc.replies)
    out = Console()
    table = Table(title=f"guardline simulate ({args.split} split, {len(dialogues)} dialogues)")
    for col in ("scenario", "seed", "replies", "alert after", "first alert", "breaker after",
                "criticals before breaker", "rollback after", "bad replies", "reached customer", "false alarms"):
        table.add_column(col)
    for r in results:
        d = r.to_dict()
        table.add_row(d["scenario"], str(r.scenario.seed), str(d["replies"]), str(d["replies_until_alert"]),
                      str(d["first_alert_rule"]), str(d["replies_until_breaker"]),
                      str(d["critical_findings_before_breaker"]), str(d["replies_until_rollback"]),
                      json.dumps(d["bad_replies"]), json.dumps(d["bad_replies_reached_customer"]),
                      f"{d['false_alarms']} {d['false_alarm_rules'] or ''}")
    out.print(table)
    summary = _summary(results)
    for line in summary["lines"]:
        out.print(line)
    if args.json is not None:
        args.json.write_text(json.dumps({"runs": [r.to_dict() for r in results], "summary": summary},
                                        indent=2))
    return 0


def _summary(results: list[Any]) -> dict[str, Any]:
    from ..monitor.simulation import SIM_POLICY

    lines: list[str] = []
    out: dict[str, Any] = {}
    for name in ("leak", "hallucinate"):
        rs = [r for r in results if r.scenario.name == name]
        delays = [r.alert_after for r in rs if r.alert_after is not None]
        if rs:
            out[name] = {"runs": len(rs), "detected": len(delays),
                         "alert_after_median": statistics.median(delays) if delays else None,
                         "alert_after_max": max(delays) if delays else None,
                         "reached": sum(sum(r.reached.values()) for r in rs)}
            lines.append(f"{name}: alert in {len(delays)}/{len(rs)} runs; replies of X after the change until "
                         f"the alert: median {out[name]['alert_after_median']}, max {out[name]['alert_after_max']}; "
                         f"bad replies that reached a customer: {out[name]['reached']}")
    clean = [r for r in results if r.scenario.name == "clean"]
    if clean:
        n = sum(r.replies for r in clean)
        fa = sum(len(r.false_alarms) for r in clean)
        out["clean"] = {"replies": n, "false_alarms": fa}
        lines.append(f"clean: {fa} false alarms over {n} replies")
    rule = next(a for a in SIM_POLICY["alerts"] if a["kind"] == "cusum")
    lines.append(f"CUSUM design: arl0 >= {rule['arl0']:g} replies between false alarms at the learnt baseline "
                 f"(see docs/benchmarks/monitoring.md)")
    out["lines"] = lines
    return out
