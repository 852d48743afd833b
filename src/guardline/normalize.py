"""Text normalisation with an offset map back to the original text.

Detectors look at the normalised text; every span they report is mapped back through
``Normalized.span`` so that findings and redaction always refer to the ORIGINAL text.

Steps: zero-width, bidi and control characters (Unicode categories Cf and Cc, except tab and
newlines) are removed; each character cluster (a base character and its combining marks) is put in
NFKC (full-width digits and letters, ligatures, superscripts fold to ASCII); common Cyrillic and
Greek homoglyphs of Latin letters are folded to Latin.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Normalized", "fold_lookalikes", "normalize"]

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

# Characters the slow path would remove (categories Cc and Cf, but tab and newlines) or fold (the
# homoglyphs). The Cf ranges are those of Unicode 15; tests/core/test_normalize.py checks them against
# the running Python's unicodedata.
_CF_RANGES = ("\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
              "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
              "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
              "\U000e0020-\U000e007f")
_ASCII_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEEDS_SLOW_PATH = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + _CF_RANGES
    + "".join(re.escape(chr(c)) for c in _HOMOGLYPHS) + "]")


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


def fold_lookalikes(text: str) -> str:
    """Fold Cyrillic and Greek look-alikes of Latin letters (and dash and space variants); one
    character to one, so offsets do not move."""
    return text.translate(_HOMOGLYPHS)


def _needs_work(text: str) -> bool:
    """False when normalising would not change the text: no character to remove or fold, and
    already in NFKC (checked in C, no per-character Python loop)."""
    if text.isascii():
        return _ASCII_CONTROLS.search(text) is not None
    if _NEEDS_SLOW_PATH.search(text) is not None:
        return True
    return not unicodedata.is_normalized("NFKC", text)


# Runs of plain printable ASCII (and tab/newlines) need no per-character work: they are copied with
# an identity offset map in bulk. Everything else goes through the per-cluster loop.
_OTHER_RUN = re.compile("[^\t\n\r\x20-\x7e]+")


def _clusters(text: str, i: int, stop: int, out: list[str], starts: list[int], ends: list[int]) -> None:
    """Normalise ``text[i:stop]`` cluster by cluster (a character and the combining marks after it)."""
    category = unicodedata.category
    n = len(text)
    while i < stop:
        ch = text[i]
        cat = category(ch)
        if (cat == "Cf" or cat == "Cc") and ch not in _KEEP_CONTROLS:
            i += 1
            continue
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


def normalize(text: str) -> Normalized:
    """Normalise ``text`` and keep the offset map."""
    if not _needs_work(text):
        return Normalized(text, text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _OTHER_RUN.finditer(text):
        a, b = m.start(), m.end()
        if a < pos:  # already consumed as the tail of the previous cluster
            a = pos
            if a >= b:
                continue
        if a > pos and (unicodedata.category(text[a])[0] == "M" or unicodedata.category(text[a]) == "Cf"):
            a -= 1  # a combining mark (or an invisible character) belongs to the ASCII letter before it
        if a > pos:
            out.append(text[pos:a])
            starts.extend(range(pos, a))
            ends.extend(range(pos + 1, a + 1))
        _clusters(text, a, b, out, starts, ends)
        pos = max(b, len(starts) and ends[-1])
    if pos < len(text):
        out.append(text[pos:])
        starts.extend(range(pos, len(text)))
        ends.extend(range(pos + 1, len(text) + 1))
    result = "".join(out)
    if result == text and len(starts) == len(text):
        return Normalized(text, text)
    return Normalized(text, result, tuple(starts), tuple(ends))
