"""A second trained scorer for SHORT customer messages (under ``injection_model.MIN_CHARS``).

The long scorer (``injection_model``) abstains under 200 characters; there the rules and word lists
decide alone, and blind batches showed word lists do not carry over to unseen wording. This scorer
reads a short message's character n-grams, which survive inflection, compounds and spelling
variants across the eight languages, plus its word unigrams and bigrams. Trained on the tuning half
only (``benchmarks/injection_train/train_short.py`` writes the weights file and names its inputs).

Features, the same at training and here (``vector``):

- character 3- to 5-grams of the folded text with runs of white space collapsed, padded with one
  space at each end (keys ``c:<gram>``);
- word unigrams and bigrams as in ``injection_model`` (keys ``w:<gram>``);

each distinct key hashed with CRC-32 into ``2 ** BITS`` buckets, present or not, the vector divided
by the square root of its number of keys (L2 length normalisation). The score is
``sigmoid(bias + w . x - offset)``; ``offset`` was set at training time from out-of-fold scores so
that the score crosses 0.5 within the false-positive limit on tuning-half chat turns (the weights
file's ``meta``). Pure Python; the weights are loaded once, on first use.
"""

from __future__ import annotations

import math
import re
import zlib
from functools import cache
from itertools import pairwise

from .injection_model import MIN_CHARS, ModelScore, parse_weights, read_weights

__all__ = ["BITS", "MAX_CHARS", "SHORT_FILE", "ShortModel", "keys", "load_short", "parse_short", "vector"]

BITS = 20
MAX_CHARS = MIN_CHARS  # this scorer reads messages shorter than this; the long scorer the rest
SHORT_FILE = "short.json.gz"
_MASK = (1 << BITS) - 1
_WORD = re.compile(r"[^\W\d_]+|\d+")
_SPACE = re.compile(r"\s+")


def keys(folded: str) -> set[str]:
    """The distinct feature keys of ``folded`` text (character 3-5-grams, word 1-2-grams)."""
    flat = " " + _SPACE.sub(" ", folded).strip() + " "
    out: set[str] = set()
    n = len(flat)
    for size in (3, 4, 5):
        out.update("c:" + flat[i:i + size] for i in range(n - size + 1))
    words = ["0" if w[0].isdigit() else w for w in _WORD.findall(folded)]
    out.update("w:" + w for w in words)
    out.update("w:" + a + " " + b for a, b in pairwise(words))
    return out


def vector(folded: str) -> dict[int, float]:
    """The scorer's input: each distinct hashed key present, divided by the root of their number."""
    crc, mask = zlib.crc32, _MASK
    hashed = {crc(k.encode("utf-8")) & mask for k in keys(folded)}
    return dict.fromkeys(hashed, 1.0 / math.sqrt(len(hashed))) if hashed else {}


class ShortModel:
    """Weights of the short-message scorer; ``score`` reads a folded text."""

    def __init__(self, weights: dict[int, float], bias: float, offset: float) -> None:
        self.weights = weights
        self.bias = bias
        self.offset = offset

    def score(self, folded: str) -> ModelScore:
        if len(folded) >= MAX_CHARS or not folded.strip():
            return ModelScore(0.0)
        x = vector(folded)
        w = self.weights
        z = self.bias - self.offset
        for h, v in x.items():
            c = w.get(h)
            if c is not None:
                z += c * v
        return ModelScore(1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0)


@cache
def load_short() -> ShortModel:
    """The shipped weights, read once (no network, no third-party package)."""
    return ShortModel(*read_weights(SHORT_FILE, "injection short model", BITS))


def parse_short(raw: bytes) -> ShortModel:
    """A weights file (gzipped JSON: bits, bias, offset, weights {hash: weight}); ``ConfigError``
    naming the problem when it is not one."""
    return ShortModel(*parse_weights(raw, SHORT_FILE, "injection short model", BITS))
