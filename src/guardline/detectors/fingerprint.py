"""Canonical forms and keyed fingerprints of values and text, for the leakage detector.

A value's (VALUE) fingerprint is ``HMAC-SHA256(tenant_key, b"v\\x00" || canonical form)`` truncated to
16 bytes, ``tenant_key = keys.key("fingerprint", tenant)``. A SAID fingerprint (``said_fingerprints``)
records that a customer typed some words themselves (a name-like pair, an id): evidence that repeating
them to this customer is no leak, never evidence of ownership. Canonical forms are
case-folded, so ``ANA@X.COM`` and ``ana@x.com`` share a fingerprint. Only fingerprints are kept.

An 8-word shingle's fingerprint is keyed BLAKE2b-128 (personalised ``guardline-shngl``) over the
sequence of its words' 8-byte token hashes (unkeyed BLAKE2b-64 of each folded word, cached): each word
is hashed once per text however many windows hold it, and no window string is ever built. The key makes
the window fingerprint a PRF of the word sequence; token hashes are only an encoding of the words.

HMAC is computed from the SHA-256 states after the key's inner and outer pads, kept per key (the
standard precomputation of RFC 2104, section 4): the same bytes as ``hmac.digest``, three times
faster, which matters on the check path.

Where candidates come from, in a text (identifiers: ``fingerprint_ids``):

- PII matches (``detectors.pii``): their ``canonical`` forms (E.164 and national number for phones,
  compact cards, IBANs and ids, folded names), plus the compact form of the matched text;
- name-like word pairs and triples (``Crystal Minh``), folded, skipping common words;
- 8-word shingles of the text, folded.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from typing import NamedTuple

__all__ = [
    "FP_BYTES",
    "VALUE",
    "Candidate",
    "Words",
    "compact",
    "fingerprint",
    "fingerprints",
    "fold",
    "name_candidates",
    "name_form",
    "said_fingerprints",
    "shingle_fingerprints",
    "shingle_texts",
    "shingles",
    "unique_forms",
    "window_fingerprints",
]

FP_BYTES = 16
VALUE = b"v\x00"

_Pads = tuple["hashlib._Hash", "hashlib._Hash"]
_pads: dict[bytes, _Pads] = {}
_pads_lock = threading.Lock()


def _key_pads(key: bytes) -> _Pads:
    pads = _pads.get(key)
    if pads is None:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\x00")
        pads = (hashlib.sha256(bytes(b ^ 0x36 for b in block)), hashlib.sha256(bytes(b ^ 0x5C for b in block)))
        with _pads_lock:
            if len(_pads) > 4096:  # one entry per tenant key; bounded all the same
                _pads.clear()
            _pads[key] = pads
    return pads


def fingerprints(key: bytes, domain: bytes, canonicals: Iterable[str]) -> list[bytes]:
    """The keyed VALUE fingerprints of canonical forms (already folded), in order."""
    inner, outer = _key_pads(key)
    out: list[bytes] = []
    append = out.append
    for canonical in canonicals:
        i = inner.copy()
        i.update(domain + canonical.encode("utf-8", "surrogatepass"))
        o = outer.copy()
        o.update(i.digest())
        append(o.digest()[:FP_BYTES])
    return out


_said_bases: dict[bytes, hashlib.blake2b] = {}


def said_fingerprints(key: bytes, customer: str, canonicals: Iterable[str]) -> list[bytes]:
    """SAID fingerprints: keyed BLAKE2b-128 (personalised ``guardline-said``) over the customer id and
    a canonical form. Bound to one customer, so a phrase many customers typed is many fingerprints of
    one owner each (never one fingerprint with a long owner list), and only a check for that same
    customer can compute it."""
    base = _keyed_base(_said_bases, key, b"guardline-said")
    who = customer.encode("utf-8", "surrogatepass") + b"\x00"
    out: list[bytes] = []
    for canonical in canonicals:
        h = base.copy()
        h.update(who + canonical.encode("utf-8", "surrogatepass"))
        out.append(h.digest())
    return out


class _TokenCache(dict[str, bytes]):
    """Folded word -> 8-byte unkeyed BLAKE2b; bounded (cleared when full: words follow Zipf's law,
    the common ones come back at once)."""

    # ~2.7 MB when full; 1 << 17 (~22 MB) kept a gateway's RSS growing for 130,000 requests that each
    # brought a new order number
    limit = 1 << 14

    def __missing__(self, word: str) -> bytes:
        if len(self) >= self.limit:
            self.clear()
        h = self[word] = hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        return h


_tokens = _TokenCache()
_shingle_bases: dict[bytes, hashlib.blake2b] = {}


def _keyed_base(cache: dict[bytes, hashlib.blake2b], key: bytes, person: bytes) -> hashlib.blake2b:
    """A keyed, personalised BLAKE2b state per tenant key, built once and copied per use."""
    base = cache.get(key)
    if base is None:
        base = hashlib.blake2b(key=key, digest_size=FP_BYTES, person=person)
        with _pads_lock:
            if len(cache) > 4096:
                cache.clear()
            cache[key] = base
    return base


def _shingle_base(key: bytes) -> hashlib.blake2b:
    return _keyed_base(_shingle_bases, key, b"guardline-shngl")


def window_fingerprints(key: bytes, folded: Sequence[str], n: int = 8) -> list[bytes]:
    """The fingerprint of every run of ``n`` consecutive folded words (window ``i`` starts at word
    ``i``): keyed BLAKE2b-128 over the run's token hashes, each word hashed once."""
    count = len(folded) - n + 1
    if count <= 0:
        return []
    base = _shingle_base(key)
    seq = b"".join(map(_tokens.__getitem__, folded))
    width = 8 * n
    out: list[bytes] = []
    append = out.append
    for start in range(0, 8 * count, 8):
        h = base.copy()
        h.update(seq[start:start + width])
        append(h.digest())
    return out


def shingle_fingerprints(key: bytes, shingle_texts: Iterable[str]) -> list[bytes]:
    """Fingerprints of folded shingles given as text (words joined by one space): the same bytes as
    ``window_fingerprints`` gives for those words."""
    base = _shingle_base(key)
    out: list[bytes] = []
    for text in shingle_texts:
        h = base.copy()
        h.update(b"".join(map(_tokens.__getitem__, text.split(" "))))
        out.append(h.digest())
    return out


def fingerprint(key: bytes, domain: bytes, canonical: str) -> bytes:
    """The keyed fingerprint of one canonical form (already folded)."""
    return fingerprints(key, domain, (canonical,))[0]


def _strip_marks(value: str) -> str:
    if value.isascii():
        return value
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(value: str) -> str:
    """Case-fold, strip diacritics, collapse whitespace (names, emails, every canonical form)."""
    return " ".join(_strip_marks(value).casefold().split())


def compact(value: str) -> str:
    """Letters and digits only, folded: ``(977) 625-2661`` -> ``9776252661``, ``AB-12`` -> ``ab12``."""
    return "".join(c for c in _strip_marks(value).casefold() if c.isalnum())


def unique_forms(forms: Iterable[str]) -> list[str]:
    """Folded, non-empty, de-duplicated forms in their first order."""
    return list(dict.fromkeys(f for f in (fold(x) for x in forms) if f))


class Candidate(NamedTuple):
    """A piece of text that may be someone's value: NORMALISED offsets, its type and canonical forms."""

    start: int
    end: int
    type: str
    forms: tuple[str, ...]


_SPLIT = re.compile(r"(\w+)")


class Words:
    """The words of a text (runs of ``\\w``), folded: computed once per text, used for shingles and
    names. Offsets are computed only when a span is asked for (rarely: only for findings)."""

    __slots__ = ("_starts", "folded", "seps", "sizes", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        if text.isascii():  # casefold keeps offsets: split the folded text directly
            parts = _SPLIT.split(text.casefold())
            self.folded: list[str] = parts[1::2]
            self.sizes: list[int] | None = None
        else:
            parts = _SPLIT.split(text)
            originals = parts[1::2]
            self.folded = [_strip_marks(w).casefold() for w in originals]
            self.sizes = [len(w) for w in originals]
        self.seps: list[str] = parts[0::2]  # seps[i] comes before word i; one more at the end
        self._starts: list[int] | None = None

    def __len__(self) -> int:
        return len(self.folded)

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Offsets in ``text`` from the start of word ``i`` to the end of word ``j`` (inclusive)."""
        starts = self._starts
        if starts is None:
            starts = []
            pos = 0
            sizes = self.sizes if self.sizes is not None else [len(w) for w in self.folded]
            for sep, size in zip(self.seps, sizes, strict=False):
                pos += len(sep)
                starts.append(pos)
                pos += size
            self._starts = starts
        size_j = self.sizes[j] if self.sizes is not None else len(self.folded[j])
        return starts[i], starts[j] + size_j


def name_form(value: str) -> str:
    """A name as its folded words joined by single spaces: ``Jean-Luc  O'Neil`` -> ``jean luc o neil``."""
    return " ".join(Words(value).folded)


def shingle_texts(words: Words, n: int = 8) -> list[str]:
    """Every run of ``n`` consecutive words, folded, joined by one space (window ``i`` starts at word
    ``i``)."""
    folded = words.folded
    return [" ".join(folded[i:i + n]) for i in range(len(folded) - n + 1)]


def shingles(words: Words | str, n: int = 8) -> list[tuple[int, int, str]]:
    """Every run of ``n`` consecutive words: (start, end, folded words joined by one space)."""
    w = words if isinstance(words, Words) else Words(words)
    return [(*w.span(i, i + n - 1), sh) for i, sh in enumerate(shingle_texts(w, n))]


# words that are never part of a person's name in a reply (each pair left costs a fingerprint)
_COMMON = frozenset("""
a about after again all also am an and any are as at be been before but by can could did do does
for from get got had has have he her here hi his how i if in is it its just let may me more my no
not now of on one or our out please she so some sure than thank thanks that the their them then
there they this to today too up us was we well were what when where which who will with would yes
you your yours order account number email phone name address card help day dear s t m ll re ve d
""".split())
_NAME_GAP = frozenset({" ", "  ", "\t", "-", "'", "’", " - "})


def name_candidates(words: Words | str) -> list[tuple[int, int, str]]:
    """Pairs and triples of adjacent words (only spaces, a hyphen or an apostrophe between) that could
    be a person's name: (first word index, last word index, form as ``name_form``)."""
    w = words if isinstance(words, Words) else Words(words)
    folded, seps = w.folded, w.seps
    out: list[tuple[int, int, str]] = []
    rare = set(folded).difference(_COMMON)  # in C; most short texts stop here
    if not rare:
        return out
    ok = {i for i, f in enumerate(folded) if f in rare and len(f) > 1 and f.isalpha()}
    for i in sorted(ok):
        j = i + 1
        if j in ok and seps[j] in _NAME_GAP:
            out.append((i, j, f"{folded[i]} {folded[j]}"))
            k = j + 1
            if k in ok and seps[k] in _NAME_GAP:
                out.append((i, k, f"{folded[i]} {folded[j]} {folded[k]}"))
    return out
