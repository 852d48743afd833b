"""Where the cue words of the context concepts start, found in ONE Aho-Corasick pass.

Scanning a 300-character message with a dozen case-insensitive alternations costs far more than the
rest of the detector; instead every cue word of every concept goes into one automaton over the
lower-cased text, and each concept's anchored pattern is tried only where one of its cues starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import ahocorasick

__all__ = ["Cues", "anchored", "find_cues"]

_CUE_WORDS: dict[str, tuple[str, ...]] = {
    "name": ("my name", "my full name", "name", "full name", "i am", "i'm", "call me", "jag heter",
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
}


def _build() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    words: dict[str, list[str]] = {}
    for concept, cue_words in _CUE_WORDS.items():
        for word in cue_words:
            words.setdefault(word, []).append(concept)
    for word, concepts in words.items():
        automaton.add_word(word, (len(word), tuple(concepts)))
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


def _lower_same_length(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def find_cues(text: str) -> Cues:
    low = _lower_same_length(text)
    starts: dict[str, list[int]] = {}
    for end, (length, concepts) in _AUTOMATON.iter(low):
        start = end - length + 1
        if start > 0 and (low[start - 1].isalnum() or low[start - 1] == "_"):
            continue
        for concept in concepts:
            starts.setdefault(concept, []).append(start)
    return Cues(low, {c: sorted(set(p)) for c, p in starts.items()})


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
