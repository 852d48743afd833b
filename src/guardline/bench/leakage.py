"""Cross-customer leakage on ABCD dialogues: recall on leaked values, false alarms on clean replies,
throughput with a million fingerprints loaded, bytes per fingerprint.

Scenarios (``leakage_data``): every dialogue of a split is one customer of one tenant. CLEAN: all
customer turns are checked inbound (recording ownership), then every agent reply is checked outbound
as it was written (the action-log lines before it are its ``tool`` grounding); a reply with any
``leakage.*`` finding is a false alarm. LEAK: each customer X's values are put, exactly and reformatted,
into a real agent reply of another customer Y's conversation; a ``leakage.cross_customer`` finding on
the value's span is a hit. A verbatim 8-12 word run of X's text is put into Y's reply the same way.

Two ownership routes: ``inbound`` (only what the customer typed and the PII detector recognised), and
``crm`` (plus the customer's record registered with ``Guard.register_identifiers``, as a CRM sync
does; ABCD has no record, so it is simulated as the values of the bench's own patterns anywhere in the
customer's dialogue, see ``leakage_data.Dialogue``).
Use ``--split dev`` to make decisions and ``--split test`` (default) to report.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..keys import KeyRing
from ..state.memory import MemoryStore
from ..types import Message, Source
from ._common import data_dir
from .leakage_data import FORMATS, Dialogue, leak_reply, load_dialogues
from .leakage_perf import bytes_per_fingerprint, throughput

TENANT = "bench"
KEYS = KeyRing(b"guardline-bench-leakage-key-0000")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help="ABCD folder, or the data folder holding abcd/ (default ../shared/data)")
    p.add_argument("--split", choices=("dev", "test"), default="test", help="dev to tune, test to report")
    p.add_argument("--route", choices=("inbound", "crm", "both"), default="both")
    p.add_argument("--limit", type=int, default=0, help="use only the first N dialogues (quick runs)")
    p.add_argument("--record-identifiers", action="store_true",
                   help="leakage setting record_identifiers: also record id-like tokens customers type")
    p.add_argument("--fingerprints", type=int, default=1_000_000, help="fingerprints preloaded for speed/memory")
    p.add_argument("--perf-messages", type=int, default=3000, help="messages per timed pass")
    p.add_argument("--perf-rounds", type=int, default=5, help="timed passes per configuration")
    p.add_argument("--skip-accuracy", action="store_true")
    p.add_argument("--skip-perf", action="store_true")
    p.add_argument("--examples", type=int, default=0, help="print up to N false alarms / misses (dev only!)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")


def _root(path: str | None) -> Path:
    if path and (Path(path) / "sdp_transformers_copy").is_dir():
        return Path(path)
    root = data_dir(path, needs="abcd") / "abcd"
    if not (root / "sdp_transformers_copy").is_dir():
        raise ConfigError(f"{root}: no sdp_transformers_copy/ folder (see abcd/SOURCE.md)")
    return root


def policy(*, leakage: bool = True, record_identifiers: bool = False) -> dict[str, Any]:
    """The default policy with only the PII detector (and the leakage detector) enabled."""
    from ..policy import load_policy

    detectors: dict[str, Any] = {d.name: {"enabled": False} for d in load_policy(None).detectors}
    detectors["pii"] = {"enabled": True, "directions": ["inbound", "outbound"]}
    if leakage:
        detectors["leakage"] = {"enabled": True, "directions": ["inbound", "outbound"], "budget_ms": 1000,
                                "record_identifiers": record_identifiers}
    detectors["pii"]["budget_ms"] = 1000  # the bench measures; budgets are not what it tests
    return {"extends": "default", "name": "bench-leakage", "detectors": detectors}


def messages(d: Dialogue) -> list[Message]:
    """The dialogue as checks: customer turns inbound, agent turns outbound with the action log so far
    as ``tool`` grounding."""
    out: list[Message] = []
    log: list[str] = []
    for speaker, text in d.turns:
        if speaker == "action":
            log.append(text)
        elif speaker == "customer":
            out.append(Message(tenant=TENANT, conversation_id=d.id, customer_id=d.id, direction="inbound",  # type: ignore[arg-type]
                               text=text))
        else:
            grounding = (Source(id="actions", kind="tool", text="\n".join(log)),) if log else ()
            out.append(Message(tenant=TENANT, conversation_id=d.id, customer_id=d.id, direction="outbound",  # type: ignore[arg-type]
                               text=text, grounding=grounding))
    return out


def findings(guard: Any, message: Message) -> list[Any]:
    """The detectors' findings for one message (``Guard.pipeline.run``: the policy decision and
    redaction are not what this bench measures)."""
    return list(guard.pipeline.run(message))


def accuracy(dialogues: list[Dialogue], route: str, *, record_identifiers: bool, examples: int) -> dict[str, Any]:
    from .. import Guard

    guard = Guard(policy(record_identifiers=record_identifiers), state=MemoryStore(), keys=KEYS)
    if route == "crm":
        for d in dialogues:
            guard.register_identifiers(TENANT, d.id, [v.text for v in d.record])
    convo = {d.id: messages(d) for d in dialogues}
    for d in dialogues:  # every customer has spoken before any reply is checked: the strictest order
        for m in convo[d.id]:
            if m.direction == "inbound":
                findings(guard, m)
    replies = 0
    alarms: Counter[str] = Counter()
    alarm_replies = 0
    shown: list[str] = []
    for d in dialogues:
        for m in convo[d.id]:
            if m.direction != "outbound":
                continue
            replies += 1
            found = [f for f in findings(guard, m) if f.type.startswith("leakage.")]
            if found:
                alarm_replies += 1
                alarms.update(f.type for f in found)
                if len(shown) < examples:
                    what = "; ".join(f"{f.type} {m.text[f.span[0]:f.span[1]]!r} ({f.evidence})"
                                     for f in found if f.span)
                    shown.append(f"{d.id}: {what}: {m.text[:120]!r}")
    hits: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    missed: list[str] = []
    rng = random.Random(20260101)
    n = len(dialogues)
    for i, y in enumerate(dialogues):
        own = {v.key for v in y.record}  # (record includes values)
        donor = next((dialogues[(i + k) % n] for k in range(1, n)
                      if any(v.key not in own for v in dialogues[(i + k) % n].values)), None)
        if donor is None:
            continue
        bases = y.agent_turns or [""]
        for v in donor.values:
            if v.key in own:
                continue
            for fmt, shown_value in [("exact", v.text), *FORMATS[v.type](v.text).items()]:
                text, span = leak_reply(rng, rng.choice(bases), shown_value)
                found = findings(guard, Message(tenant=TENANT, conversation_id=y.id, customer_id=y.id,
                                                direction="outbound", text=text))  # type: ignore[arg-type]
                hit = any(f.type == "leakage.cross_customer" and f.span and f.span[0] < span[1]
                          and span[0] < f.span[1] for f in found)
                cell = hits[(v.type, fmt)]
                cell[0 if hit else 1] += 1
                if not hit and len(missed) < examples:
                    missed.append(f"{v.type}/{fmt}: {shown_value!r}")
        text_hit = _text_leak(guard, rng, y, donor)
        if text_hit is not None:
            hits[("text_run", "verbatim")][0 if text_hit else 1] += 1
    return {"route": route, "dialogues": n, "clean_replies": replies, "clean_replies_with_finding": alarm_replies,
            "clean_false_alarm_rate": alarm_replies / replies if replies else float("nan"),
            "clean_findings_by_type": dict(alarms), "leak_hits": {f"{t}/{f}": c for (t, f), c in sorted(hits.items())},
            "examples_false_alarms": shown, "examples_misses": missed}


def _text_leak(guard: Any, rng: random.Random, y: Dialogue, x: Dialogue) -> bool | None:
    own = " ".join(t.casefold() for s, t in y.turns if s == "customer")
    for speaker, text in x.turns:
        words = text.split()
        if speaker != "customer" or len(words) < 10:
            continue
        size = rng.randint(8, min(12, len(words)))
        start = rng.randint(0, len(words) - size)
        run = " ".join(words[start:start + size])
        if run.casefold() in own:
            continue
        base = rng.choice(y.agent_turns or [""])
        reply = f"{base} As you said: {run}"
        s = len(reply) - len(run)
        found = findings(guard, Message(tenant=TENANT, conversation_id=y.id, customer_id=y.id,
                                        direction="outbound", text=reply))  # type: ignore[arg-type]
        return any(f.type == "leakage.cross_conversation_text" and f.span and f.span[0] < len(reply)
                   and s < f.span[1] for f in found)
    return None


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    exact = [0, 0]
    reformatted = [0, 0]
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, (hit, miss) in result["leak_hits"].items():
        vtype, fmt = key.split("/")
        if vtype == "text_run":
            continue
        bucket = exact if fmt == "exact" else reformatted
        bucket[0] += hit
        bucket[1] += miss
        by_type[vtype][0] += hit
        by_type[vtype][1] += miss

    def rate(c: list[int]) -> float:
        return c[0] / (c[0] + c[1]) if c[0] + c[1] else float("nan")

    text = result["leak_hits"].get("text_run/verbatim", [0, 0])
    return {"recall_exact": rate(exact), "n_exact": sum(exact), "recall_reformatted": rate(reformatted),
            "n_reformatted": sum(reformatted), "recall_by_type": {t: round(rate(c), 4) for t, c in by_type.items()},
            "recall_text_run": rate(text), "n_text_run": sum(text)}


def run(args: argparse.Namespace) -> int:
    root = _root(args.data)
    dialogues = load_dialogues(root, args.split)
    if args.limit:
        dialogues = dialogues[:args.limit]
    report: dict[str, Any] = {"split": args.split, "dialogues": len(dialogues),
                              "values": Counter(v.type for d in dialogues for v in d.values)}
    if not args.skip_accuracy:
        routes = ("inbound", "crm") if args.route == "both" else (args.route,)
        for route in routes:
            t0 = time.perf_counter()
            res = accuracy(dialogues, route, record_identifiers=args.record_identifiers, examples=args.examples)
            res["summary"] = summarise(res)
            res["seconds"] = round(time.perf_counter() - t0, 1)
            report[f"accuracy_{route}"] = res
    if not args.skip_perf:
        msgs = [m for d in dialogues for m in messages(d)][:args.perf_messages]
        configs = {"pii": policy(leakage=False), "pii+leakage": policy(leakage=True),
                   # the default policy enables leakage itself: the baseline turns it off
                   "default": {"extends": "default", "name": "bench-default",
                               "detectors": {"leakage": {"enabled": False}}},
                   "default+leakage": {"extends": "default", "name": "bench-default-leakage",
                                       "detectors": {"leakage": {"enabled": True,
                                                                 "directions": ["inbound", "outbound"]}}}}
        report["throughput"] = throughput(msgs, dialogues, configs=configs,
                                          pairs=[("pii", "pii+leakage"), ("default", "default+leakage")],
                                          fingerprints=args.fingerprints, rounds=args.perf_rounds,
                                          keys=KEYS, tenant=TENANT)
        report["memory"] = bytes_per_fingerprint(args.fingerprints)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        _print(report)
    return 0


def _print(report: dict[str, Any]) -> None:
    print(f"ABCD {report['split']}: {report['dialogues']} dialogues; values: {dict(report['values'])}")
    for route in ("inbound", "crm"):
        res = report.get(f"accuracy_{route}")
        if not res:
            continue
        s = res["summary"]
        print(f"\n[route {route}] ({res['seconds']} s)")
        print(f"  recall exact       {s['recall_exact']:.4f}  (n={s['n_exact']})")
        print(f"  recall reformatted {s['recall_reformatted']:.4f}  (n={s['n_reformatted']})")
        print(f"  recall by type     {s['recall_by_type']}")
        print(f"  recall text run    {s['recall_text_run']:.4f}  (n={s['n_text_run']})")
        print(f"  clean replies with a leakage finding: {res['clean_replies_with_finding']} / "
              f"{res['clean_replies']} = {res['clean_false_alarm_rate']:.4%}  {res['clean_findings_by_type']}")
        for line in res["examples_false_alarms"]:
            print("   alarm:", line)
        for line in res["examples_misses"]:
            print("   miss:", line)
    tp = report.get("throughput")
    if tp:
        print(f"\n[throughput] {tp['messages']} messages x {tp['rounds']} rounds, "
              f"{tp['fingerprints_loaded']:,} fingerprints loaded")
        for name in ("pii", "pii+leakage", "default", "default+leakage"):
            r = tp[name]
            print(f"  {name:16s} median {r['msgs_per_cpu_s_median']:6.0f} msg/CPU-s "
                  f"({r['msgs_per_wall_s_median']:6.0f} msg/wall-s); per message p50 {r['p50_ms']:.3f} ms, "
                  f"p99 {r['p99_ms']:.3f} ms")
        for pair, ratio in tp["ratios"].items():
            print(f"  throughput {pair} = {ratio:.3f}")
    mem = report.get("memory")
    if mem:
        print(f"\n[memory] {mem['fingerprints']:,} fingerprints: {mem['bytes_per_fp']:.1f} bytes each "
              f"(peak while loading {mem['peak_bytes_per_fp']:.1f}); one per call: {mem['bytes_per_fp_batch1']:.1f}")


__all__ = ["add_arguments", "run"]
