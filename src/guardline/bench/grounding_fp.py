"""False positives of the grounding detector on ordinary customer service: benign agent replies from
ABCD (human agents, retail) and SGD (crowd-paraphrased assistant turns: restaurants, travel, banks...),
checked with the DEFAULT settings, without grounding and with the grounding the agent had.

Usage: ``guardline bench grounding --fp --data ../shared/data [--split dev|test] [--show N]``.

What counts: a reply with a hallucination claim finding of severity medium or above (what the policy
escalates). Every reply is presumed benign, so every flag is a false alarm unless a look at it shows
otherwise (``--show`` prints them).

Grounding, "with":
- ABCD: the dialogue so far (customer turns, the ``ACT:`` action log that restates verified values,
  earlier agent turns) as a ``history`` source, and the agent guideline of the dialogue's flow
  (``abcd/guidelines.json``, rendered as text) as a ``kb`` source.
- SGD: a JSON ``tool`` source per service frame of the turn: the latest service call's parameters and
  results in the dialogue (carried forward, as the agent still has them) and the slot values the user
  gave so far (canonical forms); a turn with none of these has no grounding.

Splits: ABCD dev for tuning, test for reporting. SGD has only this test subset: dialogues whose id
number is even are the tuning half, odd the reporting half (the RAGTruth convention). Message
timestamps: ABCD 2024-01-01 (the data has no dates), SGD 2019-03-01 (the day SGD's canonical
"today" resolves to).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..detectors.base import Context
from ..detectors.grounding import GroundingDetector
from ..keys import KeyRing
from ..normalize import normalize
from ..types import SEVERITY_ORDER, Direction, Finding, Message, Severity, Source

__all__ = ["Reply", "abcd_replies", "add_fp_arguments", "flagged_types", "run_fp", "sgd_replies"]

_ABCD_FILES = {"dev": "abcd_classification_original_valid.json", "test": "abcd_classification_original_test.json"}
_ABCD_TIME = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
_SGD_TIME = datetime(2019, 3, 1, 10, 0, tzinfo=UTC)
_INFO_PREFIX = "hallucination.grounding_"


@dataclass(frozen=True, slots=True)
class Reply:
    """One benign agent reply and the grounding the agent had."""

    corpus: str
    dialogue: str
    text: str
    grounding: tuple[Source, ...]
    timestamp: datetime


def _guideline_texts(root: Path) -> dict[str, str]:
    """Flow id (``product_defect``) -> the flow's agent guideline as plain text."""
    raw = json.loads((root / "abcd" / "guidelines.json").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for flow, body in raw.items():
        lines = [str(body.get("description", ""))]
        for name, sub in body.get("subflows", {}).items():
            lines.append(f"{name}: {sub.get('instructions', '')}".strip())
            for act in sub.get("actions", []):
                lines.append(str(act.get("text", "")))
                lines.extend(str(s) for s in act.get("subtext", []))
        out[flow.lower().replace("-", "_").replace(" ", "_")] = "\n".join(x for x in lines if x.strip())
    return out


def _flow_of(subflow: str, flows: dict[str, list[str]]) -> str | None:
    head = subflow.split("_")[0]
    for flow, subs in flows.items():
        if subflow in subs or head in subs:
            return flow
    return None


def abcd_replies(root: Path, split: str) -> Iterator[Reply]:
    """Every agent (``SYS``) turn of the ABCD split, with the dialogue so far and its flow's guideline."""
    dialogues = json.loads((root / "abcd" / "sdp_transformers_copy" / _ABCD_FILES[split]).read_text(encoding="utf-8"))
    flows = json.loads((root / "abcd" / "ontology.json").read_text(encoding="utf-8"))["intents"]["subflows"]
    guides = _guideline_texts(root)
    for n, (text, subflow) in enumerate(dialogues):
        flow = _flow_of(subflow, flows)
        kb = Source(id=f"guideline:{flow}", kind="kb", text=guides.get(flow or "", ""))
        history: list[str] = []
        for part in text.split("\n\n"):
            speaker, _, body = part.partition(":")
            body = body.strip()
            if speaker not in ("USR", "SYS", "ACT") or not body:
                continue
            if speaker == "SYS":
                hist = Source(id="history", kind="history", text="\n".join(history))
                yield Reply("abcd", f"{split}-{n}", body, (hist, kb), _ABCD_TIME)
            history.append(f"{speaker}: {body}")


def _sgd_half(dialogue_id: str) -> int:
    return int(dialogue_id.rsplit("_", 1)[-1]) % 2


def sgd_replies(root: Path, split: str) -> Iterator[Reply]:
    """Every SYSTEM turn of the SGD subset's half (``dev``: even dialogue numbers, ``test``: odd), with a
    JSON tool source per service frame built from the latest service call/results and the user's slots."""
    want = 0 if split == "dev" else 1
    for path in sorted((root / "sgd-test-subset").glob("dialogues_*.json")):
        for dlg in json.loads(path.read_text(encoding="utf-8")):
            if _sgd_half(dlg["dialogue_id"]) != want:
                continue
            calls: dict[str, dict[str, Any]] = {}
            slots: dict[str, dict[str, list[str]]] = {}
            for turn in dlg["turns"]:
                for fr in turn["frames"]:
                    service = fr["service"]
                    if turn["speaker"] == "USER":
                        given = slots.setdefault(service, {})
                        for act in fr.get("actions", []):
                            if act.get("act") == "INFORM" and act.get("slot"):
                                vals = given.setdefault(act["slot"], [])
                                vals.extend(v for v in act.get("canonical_values", []) + act.get("values", [])
                                            if v not in vals)
                    elif "service_call" in fr:
                        calls[service] = {"call": fr["service_call"],
                                          "results": fr.get("service_results", [])}
                if turn["speaker"] != "SYSTEM" or not turn["utterance"].strip():
                    continue
                sources = []
                for fr in turn["frames"]:
                    service = fr["service"]
                    record: dict[str, Any] = {"service": service}
                    if service in calls:
                        record.update(calls[service])
                    if slots.get(service):
                        record["user_request"] = slots[service]
                    if len(record) > 1:
                        sources.append(Source(id=f"sgd:{service}", kind="tool", text=json.dumps(record)))
                yield Reply("sgd", dlg["dialogue_id"], turn["utterance"], tuple(sources), _SGD_TIME)


def _claim_findings(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.type.startswith("hallucination.") and not f.type.startswith(_INFO_PREFIX)
            and SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[Severity.MEDIUM]]


def flagged_types(det: GroundingDetector, reply: Reply, grounded: bool, keys: KeyRing) -> list[Finding]:
    """The medium-or-above claim findings on one reply, with or without its grounding."""
    msg = Message(direction=Direction.OUTBOUND, text=reply.text, timestamp=reply.timestamp,
                  grounding=reply.grounding if grounded else ())
    ctx = Context(norm=normalize(reply.text), keys=keys, regions=("US",))
    return _claim_findings(list(det.detect(msg, ctx)))


def _report(name: str, replies: Sequence[Reply], results: Sequence[list[Finding]], grounded: bool,
            show: int) -> None:
    by_type: Counter[str] = Counter()
    flagged = 0
    examples: list[str] = []
    with_sources = sum(1 for r in replies if r.grounding)
    for r, found in zip(replies, results, strict=True):
        if not found:
            continue
        flagged += 1
        for t in {f.type for f in found}:
            by_type[t] += 1
        if len(examples) < show:
            spans = "; ".join(f"{f.type.removeprefix('hallucination.')} {r.text[f.span[0]:f.span[1]]!r}"
                              for f in found if f.span)
            examples.append(f"    {r.dialogue}: {r.text[:160]!r}\n       -> {spans}")
    n = len(replies)
    mode = f"grounded ({with_sources} of {n} replies have a source)" if grounded else "ungrounded"
    share = flagged / n if n else 0.0
    print(f"{name:<7} {mode}: {flagged} of {n} replies flagged = {share:.2%}")
    for t, k in by_type.most_common():
        print(f"    {t:<42} {k:>5}  {k / n:.2%}")
    for e in examples:
        print(e)


def add_fp_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--split", choices=("dev", "test"), default="dev",
                        help="--fp: ABCD dev / SGD even dialogues (tuning) or ABCD test / SGD odd (reporting)")


def run_fp(args: argparse.Namespace) -> int:
    root = Path(args.data)
    det = GroundingDetector()
    corpora = {"ABCD": list(abcd_replies(root, args.split)), "SGD": list(sgd_replies(root, args.split))}
    print(f"benign agent replies, {args.split} split, detector {det.name} {det.version} with default settings; "
          "flagged = a hallucination finding of severity >= medium")
    keys = KeyRing(b"x" * 32)
    for grounded in (False, True):
        print()
        pooled: list[tuple[Reply, list[Finding]]] = []
        for name, replies in corpora.items():
            results = [flagged_types(det, r, grounded, keys) for r in replies]
            _report(name, replies, results, grounded, args.show)
            pooled.extend(zip(replies, results, strict=True))
        _report("pooled", [r for r, _ in pooled], [f for _, f in pooled], grounded, 0)
    return 0
