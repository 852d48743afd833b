"""Decoders for payloads hidden from a plain reading: base64, hex, Morse, letters spelled out one by
one ("I g n o r e  a l l": segments of the text), and
rot13, leetspeak, reversed text (rewritings of the whole text).

Segment decoders return ``Decoded(kind, start, end, text)``: the span of the encoded segment in the
scanned text and what it decodes to; the caller scans the decoded text like any other. The whole-text
rewritings are one character to one character, so a hit in the rewritten text has the same offsets
as in the original (reversed: mirrored).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

__all__ = ["MAX_SEGMENTS", "Decoded", "decode_segments", "has_leet"]

MAX_SEGMENTS = 8
"""At most this many encoded segments are decoded per text (the longest first)."""

_MAX_SEGMENT_CHARS = 8_000

_B64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEX = re.compile(r"(?<![0-9A-Za-z])(?:(?:\\x|0x)?[0-9A-Fa-f]{2}[ :,]?){10,}")
_MORSE = re.compile(r"(?<![\w.\-])[.\-]{1,7}(?:(?: {1,3}| ?[/|] ?)[.\-]{1,7}){5,}(?![\w.\-])")
# letters spelled out one by one: "I g n o r e  a l l", "I-g-n-o-r-a  t-u-s" (each word a run of
# single letters joined by one separator; words apart by a wider gap or a slash)
_SPACED_WORD = r"[^\W_](?:[ .\-_*][^\W_])*(?![^\W_])"
_SPACED = re.compile(
    r"(?<![^\W_])[^\W_](?:[ .\-_*][^\W_]){3,}(?![^\W_])(?:(?:[ \t]{1,3}|[ ]?/[ ]?)" + _SPACED_WORD + r")*"
)
_LEET_TOKEN = re.compile(r"[a-zA-Z][0134578@$][a-zA-Z0-9]|[0134578@$][a-zA-Z]{2}")

_MORSE_TABLE = {
    ".-": "a", "-...": "b", "-.-.": "c", "-..": "d", ".": "e", "..-.": "f", "--.": "g", "....": "h",
    "..": "i", ".---": "j", "-.-": "k", ".-..": "l", "--": "m", "-.": "n", "---": "o", ".--.": "p",
    "--.-": "q", ".-.": "r", "...": "s", "-": "t", "..-": "u", "...-": "v", ".--": "w", "-..-": "x",
    "-.--": "y", "--..": "z", "-----": "0", ".----": "1", "..---": "2", "...--": "3", "....-": "4",
    ".....": "5", "-....": "6", "--...": "7", "---..": "8", "----.": "9", ".-.-.-": ".", "--..--": ",",
    "..--..": "?", "-.-.--": "!", ".----.": "'", "-..-.": "/", "---...": ":",
}


@dataclass(frozen=True, slots=True)
class Decoded:
    kind: str
    start: int
    end: int
    text: str


def _readable(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 6:
        return None
    printable = sum(1 for c in text if c.isprintable() or c in "\n\t\r")
    letters = sum(1 for c in text if c.isalpha())
    if printable < 0.95 * len(text) or letters < 0.5 * len(text) or " " not in text:
        return None
    return text


def _base64(segment: str) -> str | None:
    if segment.isalpha() and (segment.islower() or segment.isupper()):
        return None  # a long plain word, not an encoding
    body = segment.rstrip("=")
    padded = body + "=" * (-len(body) % 4)
    alt = b"-_" if ("-" in body or "_" in body) else None
    try:
        raw = base64.b64decode(padded, altchars=alt, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _readable(raw)


def _hex(segment: str) -> str | None:
    digits = re.sub(r"\\x|0x|[ :,]", "", segment)
    if len(digits) % 2:
        digits = digits[:-1]
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        return None
    return _readable(raw)


def _morse(segment: str) -> str | None:
    words = re.split(r" ?[/|] ?| {2,}", segment.strip())
    out: list[str] = []
    for word in words:
        letters = [_MORSE_TABLE.get(code) for code in word.split()]
        if any(ch is None for ch in letters):
            return None
        out.append("".join(ch for ch in letters if ch))
    text = " ".join(out)
    return text if len(text) >= 6 and " " in text else None


def _spaced(segment: str) -> str | None:
    sep = segment[1]
    if sep == " ":
        parts = re.split(r"[ \t]{2,}|[ ]?/[ ]?|\t", segment)
        words = [p.replace(" ", "") for p in parts]
    else:
        parts = re.split(r"[ \t]+|[ ]?/[ ]?", segment)
        words = [re.sub(r"[.\-_*]", "", p) for p in parts]
    text = " ".join(w for w in words if w)
    return text if len(text) >= 6 and " " in text else None


def decode_segments(text: str) -> list[Decoded]:
    """The encoded segments of ``text`` that decode to readable text."""
    found: list[Decoded] = []
    for kind, pattern, decoder in (
        ("base64", _B64, _base64), ("hex", _HEX, _hex), ("morse", _MORSE, _morse), ("spaced", _SPACED, _spaced),
    ):
        candidates = sorted(pattern.finditer(text), key=lambda m: m.end() - m.start(), reverse=True)
        for m in candidates[:MAX_SEGMENTS]:
            segment = m.group(0)[:_MAX_SEGMENT_CHARS]
            decoded = decoder(segment)
            if decoded is not None:
                found.append(Decoded(kind, m.start(), m.end(), decoded))
    return found[:MAX_SEGMENTS]


def has_leet(text: str) -> bool:
    """Whether ``text`` has tokens that mix letters with leetspeak digits or symbols (``1gn0r3``)."""
    return len(_LEET_TOKEN.findall(text)) >= 2
