"""Length-preserving text folding for the injection matcher.

Matching is case- and diacritic-insensitive: ``fold`` lower-cases and strips accents from Latin
letters ONE character to ONE character, so an offset in the folded text is the same offset in the
normalised text (and maps to the original through ``Normalized.span``). Characters whose lower-case
form is longer than one character (rare: ``İ``) are left alone rather than shifting offsets.

The same module holds the other one-to-one rewritings the decoders use: rot13 and leetspeak.
"""

from __future__ import annotations

import unicodedata

__all__ = ["fold", "fold_term", "leet", "rot13"]


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x41, 0x5B):  # A-Z
        table[cp] = chr(cp + 32)
    for cp in range(0xC0, 0x250):  # Latin-1 supplement, Latin Extended-A/B
        ch = chr(cp)
        low = ch.lower()
        if len(low) != 1:
            continue
        base = unicodedata.normalize("NFD", low)[0]
        if base.isascii() and base.isalpha():
            table[cp] = base
        elif low != ch:
            table[cp] = low
    table[ord("ß")] = "s"  # one-to-one: "ß" -> "s" keeps offsets ("gross" vs "groß" both fold near)
    table[ord("æ")] = "a"
    table[ord("ø")] = "o"
    table[ord("Æ")] = "a"
    table[ord("Ø")] = "o"
    table[ord("\u2019")] = "'"  # typographic apostrophe
    table[ord("\u2018")] = "'"
    return table


_FOLD = _build_fold_table()


def fold(text: str) -> str:
    """Lower-case, strip Latin diacritics; the result has exactly ``len(text)`` characters."""
    out = text.translate(_FOLD)
    if len(out) == len(text):
        out2 = out.lower()
        if len(out2) == len(out):
            return out2
        return "".join(c if len(c.lower()) != 1 else c.lower() for c in out)
    return "".join(c.translate(_FOLD) if len(c.translate(_FOLD)) == 1 else c for c in text).lower()


def fold_term(term: str) -> str:
    """Fold a lexicon term the way the text is folded (terms may use ``ß`` or accents freely)."""
    return fold(term)


_ROT13 = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "nopqrstuvwxyzabcdefghijklmNOPQRSTUVWXYZABCDEFGHIJKLM",
)


def rot13(text: str) -> str:
    return text.translate(_ROT13)


_LEET = str.maketrans({
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "l", "+": "t", "€": "e",
})


def leet(text: str) -> str:
    """Undo common leetspeak substitutions, one character to one character."""
    return text.translate(_LEET)
