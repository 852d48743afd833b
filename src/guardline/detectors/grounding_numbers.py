"""Number normalisation for the grounding detector: digits in any of the usual European formats and
number words.

``parse_number`` reads ``1,299.00``, ``1.299,00``, ``1 299,00``, ``1'299.00`` and ``1299`` as the same
value. A single separator followed by exactly three digits is a thousands separator (``1.299`` is
1299, as prices are written in most of Europe); any other single separator is the decimal mark.
"""

from __future__ import annotations

import re

from .grounding_lexicon import NUMBER_WORDS

__all__ = ["NUMBER_RE", "number_word", "parse_number"]

# A number as written: groups of three with a separator, or plain digits, and an optional fraction.
NUMBER_RE = r"(?<![\w.,])\d{1,3}(?:(?:[.,'\u2019]|\s(?=\d{3}\b))\d{3})+(?:[.,]\d+)?(?![\w])|(?<![\w.,])\d+(?:[.,]\d+)?"

_SEPS = re.compile(r"[\s'\u2019\u00a0\u202f]")


def parse_number(token: str) -> float | None:
    """The value of a number written with digits, or None when it is not one."""
    s = _SEPS.sub("", token.strip())
    if not s or not (s[0].isdigit() or (s[0] in "+-" and len(s) > 1)):
        return None
    sign = -1.0 if s[0] == "-" else 1.0
    s = s.lstrip("+-")
    has_dot, has_comma = "." in s, "," in s
    if has_dot and has_comma:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        thou = "," if dec == "." else "."
        s = s.replace(thou, "").replace(dec, ".")
    elif has_dot or has_comma:
        sep = "." if has_dot else ","
        parts = s.split(sep)
        if len(parts) > 2 or (len(parts[1]) == 3 and parts[0] not in ("", "0")):
            s = "".join(parts)
        else:
            s = parts[0] + "." + parts[1]
    try:
        return sign * float(s)
    except ValueError:
        return None


def number_word(word: str) -> float | None:
    """The value of a number word (any supported language), or None."""
    w = word.lower()
    v = NUMBER_WORDS.get(w)
    if v is not None:
        return float(v)
    # English compounds: twenty-one, thirty five
    parts = re.split(r"[-\s]", w)
    if len(parts) == 2:
        a, b = NUMBER_WORDS.get(parts[0]), NUMBER_WORDS.get(parts[1])
        if a is not None and b is not None and a >= 20 and a % 10 == 0 and 1 <= b <= 9:
            return float(a + b)
    return None
