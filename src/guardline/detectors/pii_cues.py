"""Where the cue words of the context concepts start, found in ONE Aho-Corasick pass.

Scanning a 300-character message with a dozen case-insensitive alternations costs far more than the
rest of the detector; instead every cue word of every concept goes into one automaton over the
lower-cased text, and each concept's anchored pattern is tried only where one of its cues starts.

The keywords that qualify a digit run (phone, card, national-id and not-a-phone words, searched in a
window before it) are not listed twice: their cue words are the literal prefixes of the alternatives
of the patterns themselves (``literal_prefixes``), so a window with no cue start skips the pattern.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

import ahocorasick

from .pii_patterns import (
    CARD_WORDS,
    EU_STREET_SUFFIXES,
    GREETING_WORDS,
    ID_CONTEXT_KINDS,
    NOT_PHONE_WORDS,
    PHONE_WORDS,
    STREET_LEADS,
    STREET_ROMANCE_WORDS,
    STREET_SUFFIX_WORDS,
)

__all__ = ["Cues", "anchored", "find_cues", "literal_prefixes"]


def _split_top(alternation: str) -> list[str]:
    """The top-level alternatives of a regex source."""
    out: list[str] = []
    cur: list[str] = []
    depth, cls, esc = 0, False, False
    for c in alternation:
        if esc:
            esc = False
        elif c == "\\":
            esc = True
        elif cls:
            cls = c != "]"
        elif c == "[":
            cls = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append("".join(cur))
            cur = []
            continue
        cur.append(c)
    out.append("".join(cur))
    return out


def literal_prefixes(alternation: str) -> set[str]:
    """The lower-cased literal prefixes every match of each alternative starts with: literal letters up
    to the first construct that is not one (a quantified character, a group, an escape, a class of
    blanks); a class of letters (``t[ée]l``) branches into each spelling."""
    out: set[str] = set()
    for alt in _split_top(alternation):
        variants = [""]
        i = 0
        while i < len(alt):
            c = alt[i]
            if c == "[":
                j = alt.index("]", i)
                options = alt[i + 1:j]
                quantified = j + 1 < len(alt) and alt[j + 1] in "?*+{"
                if quantified or not all(o.isalnum() for o in options):
                    break
                variants = [v + o for v, o in itertools.product(variants, options)]
                i = j + 1
                continue
            if not (c.isalnum() or c in "-'.") or (i + 1 < len(alt) and alt[i + 1] in "?*+{"):
                break
            variants = [v + c for v in variants]
            i += 1
        out.update(v.lower() for v in variants)
    return out

_CUE_WORDS: dict[str, tuple[str, ...]] = {
    "name": ("my name", "my full name", "name", "full name", "i am", "i'm", "i’m", "call me", "jag heter",
             "ich hei", "je m'appelle", "me llamo", "mi chiamo", "ik heet"),
    "title": ("mr", "mrs", "ms", "miss", "mx", "dr", "herr", "frau", "fru", "mme", "mlle", "sr", "sra",
              "sig"),
    "signature": ("regards", "wishes", "thanks", "best", "thank you", "cheers", "sincerely", "yours", "mvh",
                  "hälsningar", "halsningar", "grüße", "grüsse", "grusse", "cordialement", "saludos"),
    "secret": ("pass", "pwd", "pin", "one-time", "one time", "otp", "verification", "security code", "auth",
               "2fa", "login", "log-in", "log in", "access", "sign-in", "sign in", "api", "secret", "bearer",
               "cvv", "cvc", "lösenord", "losenord", "passwort", "kennwort", "mot de passe", "contraseña",
               "contrasena"),
    "token": ("akia", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "xox", "sk_", "rk_", "sk-", "aiza", "eyj",
              "-----begin"),
    "dob": ("born", "date of birth", "birth", "dob", "d.o.b", "birthday", "geburtsdatum", "geboren",
            "födelsedatum", "fodelsedatum", "född", "fodd", "né", "née", "nee", "date de naissance",
            "fecha de nacimiento", "data di nascita", "nato", "nata"),
    "address": ("address", "adress", "adresse", "dirección", "indirizzo", "endereço"),
    # keywords looked for BEFORE a digit run (pii_digits): derived from the patterns themselves
    "phone": tuple(sorted(literal_prefixes(PHONE_WORDS))),
    "card": tuple(sorted(literal_prefixes(CARD_WORDS))),
    "not_phone": tuple(sorted(literal_prefixes(NOT_PHONE_WORDS))),
    "id": tuple(sorted(set().union(*(literal_prefixes(p) for p, _ in ID_CONTEXT_KINDS)))),
    # gates of whole-text scans: no greeting word, no greeting; no street word, no street line at a number
    "greeting": tuple(sorted(literal_prefixes(GREETING_WORDS))),
    "this_is": ("this",),
    "street": tuple(sorted(literal_prefixes(STREET_SUFFIX_WORDS) | literal_prefixes(STREET_ROMANCE_WORDS))),
    "street_lead": tuple(sorted({w.lower() for w in STREET_LEADS})),
    "street_suffix": tuple(sorted({w.lower() for w in EU_STREET_SUFFIXES})),
}
# concepts whose cue words are whole words in their patterns (a word character may not follow)
_WHOLE_WORD = frozenset({"greeting", "this_is", "street", "street_lead", "street_suffix"})
# concepts whose cue words END a word ("Storgatan"): no word boundary needed before them
_WORD_END = frozenset({"street_suffix"})


def _build() -> ahocorasick.Automaton:
    """Each word's value: its length and its concepts split by the boundaries they need: a word start
    only, a whole word, a word end only (street suffixes)."""
    automaton = ahocorasick.Automaton()
    words: dict[str, list[str]] = {}
    for concept, cue_words in _CUE_WORDS.items():
        for word in cue_words:
            words.setdefault(word, []).append(concept)
    for word, concepts in words.items():
        starts = tuple(c for c in concepts if c not in _WHOLE_WORD and c not in _WORD_END)
        whole = tuple(c for c in concepts if c in _WHOLE_WORD and c not in _WORD_END)
        ends = tuple(c for c in concepts if c in _WORD_END)
        automaton.add_word(word, (len(word), starts, whole, ends))
    automaton.make_automaton()
    return automaton


_AUTOMATON = _build()


@dataclass(frozen=True, slots=True)
class Cues:
    """The lower-cased text (same length as the text) and, per concept, the sorted start offsets of
    its cue words that begin at a word boundary."""

    lower: str
    starts: dict[str, list[int]]

    def at(self, concept: str) -> list[int]:
        return self.starts.get(concept, [])

    def within(self, concept: str, lo: int, hi: int) -> bool:
        """Does a cue word of ``concept`` start in ``[lo, hi)``?"""
        starts = self.starts.get(concept)
        if not starts:
            return False
        i = bisect_left(starts, lo)
        return i < len(starts) and starts[i] < hi


def _lower_same_length(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


def find_cues(text: str) -> Cues:
    low = _lower_same_length(text)
    starts: dict[str, list[int]] = {}
    last = len(low) - 1
    for end, (length, at_start, whole, ends) in _AUTOMATON.iter(low):
        start = end - length + 1
        if start and _is_word(low[start - 1]):  # inside a word: only word-end cues count
            if ends and (end == last or not _is_word(low[end + 1])):
                for concept in ends:
                    starts.setdefault(concept, []).append(start)
            continue
        for concept in at_start:
            starts.setdefault(concept, []).append(start)
        if (whole or ends) and (end == last or not _is_word(low[end + 1])):
            for concept in whole + ends:
                starts.setdefault(concept, []).append(start)
    return Cues(low, {c: sorted(set(p)) if len(p) > 1 else p for c, p in starts.items()})


def anchored(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """``pattern`` tried at each cue start (skipping starts inside the previous match)."""
    after = -1
    for pos in starts:
        if pos < after:
            continue
        m = pattern.match(text, pos)
        if m is not None:
            after = m.end()
            yield m
