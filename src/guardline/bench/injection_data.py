"""Evaluation items for ``guardline bench injection``, built from the shared data directory.

Every item is a text with a label (attack or not), a MODE (``direct``: a customer's message;
``indirect``: a document the agent reads) and a HALF (``tune`` or ``report``), decided by a hash of
a grouping key so that no attack string and no context is in both halves:

- jailbreak-in-the-wild (attacks, direct): both CSVs, de-duplicated; the key is the first 120
  letters/digits of the prompt, so the near-identical variants of one template share a half;
- BIPIA (indirect): each text attack string inserted into each clean email (and into three tables per
  table context) at the end, the start and the middle (at a sentence start chosen by hash), the way
  BIPIA's ``insert_end/start/middle`` do it (``"\\n".join``); an attacked item is in a half only when
  its attack string AND its context hash to that half (the mixed ones are dropped); the clean
  contexts are the matched negatives;
- negatives (direct): SGD user turns, ABCD customer turns, HaluEval general user queries;
- negatives (indirect): RAGTruth source documents (news articles, MS MARCO passages, Yelp JSON).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Item", "half_of", "load_all"]

csv.field_size_limit(10_000_000)


@dataclass(frozen=True, slots=True)
class Item:
    source: str  # jailbreak, sgd, abcd, halueval, ragtruth-<task>, bipia-email, bipia-table (+ -clean)
    text: str
    label: int  # 1 = attack
    mode: str  # direct | indirect
    half: str  # tune | report
    context: str = ""  # BIPIA: the context's key (matched pairs)
    position: str = ""  # BIPIA: end | start | middle


def _h(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


def half_of(key: str) -> str:
    """Deterministic half of a grouping key: ``tune`` or ``report``."""
    return "tune" if _h(key) % 2 == 0 else "report"


def _template_key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())[:120]


def jailbreaks(data: Path) -> Iterator[Item]:
    seen: set[str] = set()
    d = data / "jailbreak-in-the-wild"
    for name in ("jailbreak_prompts_2023_12_25.csv", "jailbreak_prompts_2023_05_07.csv"):
        with (d / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                text = row["prompt"].replace("\r\n", "\n").strip()
                if not text or text in seen:
                    continue
                seen.add(text)
                yield Item("jailbreak", text, 1, "direct", half_of("jb:" + _template_key(text)))


def _negatives(source: str, texts: Iterator[str], mode: str = "direct") -> Iterator[Item]:
    seen: set[str] = set()
    for text in texts:
        text = text.strip()
        if text and text not in seen:
            seen.add(text)
            yield Item(source, text, 0, mode, half_of(f"{source}:{text}"))


def _sgd(data: Path) -> Iterator[str]:
    for path in sorted((data / "sgd-test-subset").glob("dialogues_*.json")):
        for dialogue in json.loads(path.read_text(encoding="utf-8")):
            for turn in dialogue["turns"]:
                if turn["speaker"] == "USER":
                    yield turn["utterance"]


def _abcd(data: Path) -> Iterator[str]:
    for path in sorted((data / "abcd" / "sdp_transformers_copy").glob("*.json")):
        for text, _ in json.loads(path.read_text(encoding="utf-8")):
            for part in text.split("\n\n"):
                if part.startswith("USR:"):
                    yield part[4:]


def _halueval(data: Path) -> Iterator[str]:
    with (data / "halueval-general" / "general_data.json").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)["user_query"]


def ragtruth(data: Path) -> Iterator[Item]:
    docs: dict[str, tuple[str, str]] = {}
    for name in ("test_balanced.jsonl", "gpt_baseline_predictions.jsonl"):
        with (data / "ragtruth" / name).open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                ref = rec.get("reference")
                if isinstance(ref, dict):
                    ref = json.dumps(ref, ensure_ascii=False)
                if isinstance(ref, str) and ref.strip():
                    docs.setdefault(str(rec["source_id"]), (rec["task_type"], ref.strip()))
    for sid, (task, text) in sorted(docs.items()):
        yield Item(f"ragtruth-{task.lower()}", text, 0, "indirect", half_of(f"ragtruth:{sid}"))


def _sentence_starts(context: str) -> list[int]:
    return [m.end() for m in re.finditer(r"[.!?]\s+|\n+", context) if m.end() < len(context)] or [0]


def _insert(context: str, attack: str, position: str) -> str:
    if position == "end":
        return "\n".join([context, attack])
    if position == "start":
        return "\n".join([attack, context])
    starts = _sentence_starts(context)
    at = starts[_h(context + "\x00" + attack) % len(starts)]
    return "\n".join([context[:at], attack, context[at:]])


def bipia(data: Path, tables_per_context: int = 3) -> Iterator[Item]:
    d = data / "bipia"
    attacks: list[str] = []
    for name in ("text_attack_train.json", "text_attack_test.json"):
        for strings in json.loads((d / name).read_text(encoding="utf-8")).values():
            attacks.extend(s for s in strings if s not in attacks)
    for task in ("email", "table"):
        contexts: list[str] = []
        for split in ("train", "test"):
            with (d / f"{task}_{split}.jsonl").open(encoding="utf-8") as fh:
                for line in fh:
                    ctx = json.loads(line)["context"]
                    if ctx not in contexts:
                        contexts.append(ctx)
        for ctx in contexts:
            key = f"bipia-ctx:{_h(ctx):x}"
            half = half_of(key)
            yield Item(f"bipia-{task}-clean", ctx, 0, "indirect", half, context=key)
            same = [a for a in attacks if half_of("bipia-atk:" + a) == half]
            if task == "table":
                same = sorted(same, key=lambda a: _h(ctx + a))[:tables_per_context]
            for attack in same:
                for position in ("end", "start", "middle"):
                    yield Item(f"bipia-{task}", _insert(ctx, attack, position), 1, "indirect", half,
                               context=key, position=position)


def load_all(data: Path) -> list[Item]:
    """Every evaluation item; raises ``FileNotFoundError`` naming what is missing."""
    if not data.is_dir():
        raise FileNotFoundError(f"data directory {data} not found (pass --data)")
    items: list[Item] = []
    items.extend(jailbreaks(data))
    items.extend(bipia(data))
    items.extend(_negatives("sgd", _sgd(data)))
    items.extend(_negatives("abcd", _abcd(data)))
    items.extend(_negatives("halueval", _halueval(data)))
    items.extend(ragtruth(data))
    return items
