"""Text normalisation with an offset map back to the original text.

Detectors look at the normalised text; every span they report is mapped back through
``Normalized.span`` so that findings and redaction always refer to the ORIGINAL text.

Steps: zero-width, bidi and control characters (Unicode categories Cf and Cc, except tab and
newlines) are removed; each character cluster (a base character and its combining marks) is put in
NFKC (full-width digits and letters, ligatures, superscripts fold to ASCII); common Cyrillic and
Greek homoglyphs of Latin letters are folded to Latin.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["Normalized", "normalize"]

# Cyrillic and Greek letters that render like Latin ones (one character to one character).
_HOMOGLYPHS = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v", "ι": "i",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u202f": " ", "\u2007": " ",
})

_KEEP_CONTROLS = frozenset("\t\n\r")


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text plus, for each of its characters, the original span it came from.

    ``starts``/``ends`` are None when the text needed no change (the identity map).
    """

    original: str
    text: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    @property
    def identity(self) -> bool:
        return self.starts is None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text to the ORIGINAL text."""
        if self.starts is None or self.ends is None:
            return (start, end)
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return (pos, pos)
        return (self.starts[start], self.ends[end - 1])

    def original_text(self, start: int, end: int) -> str:
        s, e = self.span(start, end)
        return self.original[s:e]


def _needs_work(text: str) -> bool:
    if text.isascii():
        # ASCII: only control characters need removal.
        return any(c < " " and c not in _KEEP_CONTROLS for c in text) or "\x7f" in text
    return True


def normalize(text: str) -> Normalized:
    """Normalise ``text`` and keep the offset map."""
    if not _needs_work(text):
        return Normalized(text, text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    n = len(text)
    i = 0
    category = unicodedata.category
    while i < n:
        ch = text[i]
        cat = category(ch)
        if (cat == "Cf" or cat == "Cc") and ch not in _KEEP_CONTROLS:
            i += 1
            continue
        # a cluster: this character and any combining marks that follow (skipping invisible ones)
        j = i + 1
        while j < n and (category(text[j]).startswith("M") or category(text[j]) == "Cf"):
            j += 1
        cluster = "".join(c for c in text[i:j] if category(c) != "Cf")
        folded = unicodedata.normalize("NFKC", cluster).translate(_HOMOGLYPHS)
        for c in folded:
            out.append(c)
            starts.append(i)
            ends.append(j)
        i = j
    result = "".join(out)
    if result == text and len(starts) == n:
        return Normalized(text, text)
    return Normalized(text, result, tuple(starts), tuple(ends))
