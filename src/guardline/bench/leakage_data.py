"""ABCD dialogues as leakage scenarios: turns, each customer's values, and value reformatting.

The values a customer disclosed are taken from the dialogue by the benchmark's OWN patterns (not the
detector's): e-mails, US-style phones, 10-digit order ids, 5-digit zip codes, 10-character account ids
and usernames from the customer's turns, and the name from the action log line "Account has been
pulled up for NAME." ABCD's PII is fictional (many phone area codes do not exist), typed by crowd
workers into real-time chats.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FORMATS", "Dialogue", "Value", "load_dialogues"]

SPLITS = {"dev": "abcd_classification_original_valid.json", "test": "abcd_classification_original_test.json"}

_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    "phone": re.compile(r"\(\d{3}\) ?\d{3}-\d{4}|(?<!\d)\d{3}[-.]\d{3}[-.]\d{4}(?!\d)"),
    "order_id": re.compile(r"(?<![\w-])\d{10}(?![\w-])"),
    "zip": re.compile(r"(?<![\w$.,-])\d{5}(?!\w)(?![.,-]\d)"),
    "account_id": re.compile(r"(?<!\w)(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{10}(?!\w)"),
    "username": re.compile(r"(?<![@\w.])[A-Za-z]{3,}\d{1,4}(?![\w@])"),
}
_NAME = re.compile(r"(?i)Account has been pulled up for ([a-z][\w'-]+(?: [a-z][\w'-]+)+)\.")


@dataclass(frozen=True, slots=True)
class Value:
    type: str
    text: str

    @property
    def key(self) -> str:
        """Identity for "the same value" (two customers sharing one zip code own it both)."""
        return re.sub(r"[^0-9a-z@]", "", self.text.casefold())


@dataclass(slots=True)
class Dialogue:
    """One customer's conversation. ``values``: what the customer disclosed (customer turns, and the
    name in the action log); ``record``: what the company's CRM holds about the customer, simulated as
    every value of the same patterns in the whole dialogue (the agent reads the record aloud in
    places: "Your username on file is dwilliams1")."""

    id: str
    turns: list[tuple[str, str]]  # (speaker in agent|customer|action, text)
    values: list[Value] = field(default_factory=list)
    record: list[Value] = field(default_factory=list)

    @property
    def agent_turns(self) -> list[str]:
        return [t for s, t in self.turns if s == "agent"]


def _extract(turns: list[tuple[str, str]], names: frozenset[str],
             speakers: tuple[str, ...] = ("customer",)) -> list[Value]:
    """Values in the turns of ``speakers``, and the name in the action log. ``names``: every name the
    split's action logs know (ABCD reuses a few personas), found case-insensitively in those turns."""
    seen: dict[str, Value] = {}
    for speaker, text in turns:
        if speaker in speakers:
            low = text.casefold()
            for name in names:
                if name in low:
                    i = low.index(name)
                    v = Value("name", text[i:i + len(name)])
                    seen.setdefault(v.key, v)
            for kind, pattern in _PATTERNS.items():
                for m in pattern.finditer(text):
                    v = Value(kind, m.group())
                    seen.setdefault(v.key, v)
        if speaker == "action":
            for m in _NAME.finditer(text):
                v = Value("name", m.group(1))
                seen.setdefault(v.key, v)
    return list(seen.values())


def load_dialogues(root: Path, split: str) -> list[Dialogue]:
    path = root / "sdp_transformers_copy" / SPLITS[split]
    records = json.loads(path.read_text(encoding="utf-8"))
    speakers = {"SYS:": "agent", "USR:": "customer", "ACT:": "action"}
    parsed: list[list[tuple[str, str]]] = []
    for text, _subflow in records:
        turns: list[tuple[str, str]] = []
        for chunk in text.split("\n\n"):
            chunk = chunk.strip()
            if len(chunk) > 4 and chunk[:4] in speakers and chunk[4:].strip():
                turns.append((speakers[chunk[:4]], chunk[4:].strip()))
        parsed.append(turns)
    names = frozenset(m.group(1).casefold() for turns in parsed for s, t in turns if s == "action"
                      for m in _NAME.finditer(t))
    return [Dialogue(f"{split}-{i:04d}", turns, _extract(turns, names),
                     _extract(turns, names, ("customer", "agent", "action")))
            for i, turns in enumerate(parsed)]


# -- formats a leaking agent might write a value in -------------------------------------------------

def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _phone_formats(v: str) -> dict[str, str]:
    d = _digits(v)
    a, b, c = d[:3], d[3:6], d[6:]
    return {"dashes": f"{a}-{b}-{c}", "dots": f"{a}.{b}.{c}", "bare": d, "e164": f"+1{d}",
            "intl_spaced": f"+1 {a} {b} {c}", "intl_paren": f"+1 ({a}) {b}-{c}", "spaces": f"{a} {b} {c}"}


def _group(s: str, size: int, sep: str) -> str:
    return sep.join(s[i:i + size] for i in range(0, len(s), size))


FORMATS: dict[str, Callable[[str], dict[str, str]]] = {
    "email": lambda v: {"upper": v.upper(), "capitalised": v[:1].upper() + v[1:],
                        "mixed": "".join(c.upper() if i % 2 else c for i, c in enumerate(v))},
    "phone": _phone_formats,
    "order_id": lambda v: {"grouped_spaces": _group(v, 4, " "), "grouped_dashes": _group(v, 4, "-"),
                           "hash": f"#{v}"},
    "zip": lambda v: {},  # a 5-digit zip code has no other common spelling
    "account_id": lambda v: {"lower": v.lower(), "grouped": _group(v, 5, "-")},
    "username": lambda v: {"upper": v.upper(), "capitalised": v.capitalize()},
    "name": lambda v: {"upper": v.upper(), "lower": v.lower(), "double_space": v.replace(" ", "  ")},
}

TEMPLATES = (
    "I have {v} on file for this account.",
    "Just to confirm, is it {v}?",
    "I've sent the details to {v}, please check.",
    "The record shows {v} - does that look right?",
    "{v} is what I see here.",
)


def leak_reply(rng: random.Random, base: str, value: str) -> tuple[str, tuple[int, int]]:
    """A real agent reply with a sentence carrying ``value`` appended; returns text and value span."""
    tpl = rng.choice(TEMPLATES)
    sentence = tpl.replace("{v}", "\x00")
    prefix = base.rstrip() + " " if base else ""
    start = len(prefix) + sentence.index("\x00")
    return prefix + sentence.replace("\x00", value), (start, start + len(value))
