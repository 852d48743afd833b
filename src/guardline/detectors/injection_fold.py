"""Length-preserving text folding for the injection matcher.

Matching is case- and diacritic-insensitive: ``fold`` lower-cases and strips accents from Latin
letters ONE character to ONE character, so an offset in the folded text is the same offset in the
normalised text (and maps to the original through ``Normalized.span``). Characters whose lower-case
form is longer than one character (rare: ``İ``) are left alone rather than shifting offsets.

The same module holds the other one-to-one rewritings the decoders use: rot13 and leetspeak.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "fold_term", "leet", "rot13", "words"]


# punctuation outside Latin-1 that words are often wrapped in: read as spaces
_SPACES = "\u201c\u201d\u201e\u2026\u2022\u2013\u2014\u2010\u2212\u2032\u2039\u203a"


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
    for ch in _SPACES:
        table[ord(ch)] = " "
    return table


_FOLD = _build_fold_table()


def fold(text: str) -> str:
    """Lower-case, strip Latin diacritics; the result has exactly ``len(text)`` characters."""
    if text.isascii():
        return text.lower()
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


_LOWER = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ROT13 = str.maketrans(_LOWER, "nopqrstuvwxyzabcdefghijklmNOPQRSTUVWXYZABCDEFGHIJKLM")
_ROT13_BYTES = bytes.maketrans(_LOWER.encode(), b"nopqrstuvwxyzabcdefghijklmNOPQRSTUVWXYZABCDEFGHIJKLM")


def _ascii_translate(text: str, table: bytes) -> str | None:
    if not text.isascii():
        return None
    return text.encode("ascii").translate(table).decode("ascii")


def rot13(text: str) -> str:
    out = _ascii_translate(text, _ROT13_BYTES)
    return out if out is not None else text.translate(_ROT13)


_LEET = str.maketrans({
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "l", "+": "t", "€": "e",
})


_LEET_BYTES = bytes.maketrans(b"0134578@$!|+", b"oieastbgaslt")


def leet(text: str) -> str:
    """Undo common leetspeak substitutions, one character to one character."""
    out = _ascii_translate(text, _LEET_BYTES)
    return out if out is not None else text.translate(_LEET)


# letters and digits stay, everything else becomes a space: a fast path for text that is Latin-1
# after folding (nearly all European text), a regex for the rest
_WORDS_BYTES = bytes(c if chr(c).isalnum() else 32 for c in range(256))
_NON_WORD = re.compile(r"[\W_]")


def words(folded: str) -> str:
    """``folded`` with every character that is not a letter or digit replaced by a space (1:1)."""
    try:
        return folded.encode("latin-1").translate(_WORDS_BYTES).decode("latin-1")
    except UnicodeEncodeError:
        return _NON_WORD.sub(" ", folded)
