"""A small trained scorer beside the injection rules: logistic regression over hashed word n-grams.

The rules (``injection_rules``) score what an attack SAYS in words the lexicon knows. Persona
prompts that re-program the assistant in ordinary words ("Chatbot will be the Dungeon Master ...")
leave them nothing to find; this model reads the whole message instead. It was trained on the
tuning half of the evaluation data only (``benchmarks/injection_train/train.py`` writes the weights
file and names its exact command and inputs).

Features, the same at training and here (``vector``):

- every distinct word unigram and bigram of the folded text (lower case, no diacritics; a run of
  digits is one token ``0``), hashed with CRC-32 into ``2 ** BITS`` buckets, present or not
  (``1``), the vector divided by the square root of its number of n-grams so that a long text does
  not score higher by being long (L2 length normalisation).

Nothing else: a first version also took the rule features that fired as inputs and leaned on them
("an AI is mentioned" weighed +3.9, since no benign training text mentions one), so it flagged
customers' complaints about the company's chatbot; the n-grams alone did better out of fold too.
Messages under ``MIN_CHARS`` characters are left to the rules.

The score is ``sigmoid(bias + w . x - offset)``; ``offset`` was set at training time so that the
score crosses 0.5 where the model's cross-validated false-positive rate on every negative genre of
the tuning half is at most its limit (see the weights file's ``meta``). Inference is pure Python:
the weights (a gzipped JSON file, feature hash -> weight, shipped in ``guardline/data/injection/``)
are loaded once, on first use.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import zlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise

from ..errors import ConfigError

__all__ = ["BITS", "MIN_CHARS", "MODEL_FILE", "Model", "ModelScore", "load_model", "ngrams", "parse_model", "vector"]

BITS = 20
# the model abstains on shorter messages: there its decision rests on two or three words, and the
# words it learned most from are topics ("ChatGPT", "bot") that customers also write about
MIN_CHARS = 200
MODEL_FILE = "model.json.gz"
_MASK = (1 << BITS) - 1
_WORD = re.compile(r"[^\W\d_]+|\d+")


def _h(key: str) -> int:
    return zlib.crc32(key.encode("utf-8")) & _MASK


def ngrams(folded: str) -> dict[int, str]:
    """The distinct hashed unigrams and bigrams of ``folded`` text: hash -> n-gram."""
    words = ["0" if w[0].isdigit() else w for w in _WORD.findall(folded)]
    keys = set(words)
    keys.update(map(" ".join, pairwise(words)))
    crc, mask = zlib.crc32, _MASK
    return {crc(k.encode("utf-8")) & mask: k for k in keys}


def vector(folded: str) -> dict[int, float]:
    """The model's input: each distinct n-gram present, divided by the root of their number."""
    grams = ngrams(folded)
    return dict.fromkeys(grams, 1.0 / math.sqrt(len(grams))) if grams else {}


@dataclass(frozen=True, slots=True)
class ModelScore:
    score: float
    top: tuple[str, ...] = ()  # the n-grams that pushed the score up the most, heaviest first

    def span(self, folded: str) -> tuple[int, int] | None:
        """Where the ``top`` n-grams first occur in ``folded`` (the evidence of a flag): one pass over
        the tokens, comparing strings, that stops when all are found."""
        want = set(self.top)
        lo, hi = len(folded), -1
        prev, prev_start = "", 0
        for m in _WORD.finditer(folded):
            if not want:
                break
            w = m.group()
            if w[0].isdigit():
                w = "0"
            for gram, start in ((w, m.start()), (prev + " " + w, prev_start)):
                if gram in want:
                    want.discard(gram)
                    lo, hi = min(lo, start), max(hi, m.end())
            prev, prev_start = w, m.start()
        return (lo, hi) if hi >= 0 else None


class Model:
    """Weights of the trained scorer; ``score`` reads a folded text."""

    def __init__(self, weights: dict[int, float], bias: float, offset: float) -> None:
        self.weights = weights
        self.bias = bias
        self.offset = offset

    def score(self, folded: str) -> ModelScore:
        if len(folded) < MIN_CHARS:
            return ModelScore(0.0)
        grams = ngrams(folded)
        if not grams:
            return ModelScore(0.0)
        w = self.weights
        v = 1.0 / math.sqrt(len(grams))
        z = self.bias - self.offset
        top: list[tuple[float, str]] = []
        for h, gram in grams.items():
            c = w.get(h)
            if c is not None:
                z += c * v
                if c > 0:
                    top.append((c, gram))
        score = 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0
        top.sort(reverse=True)
        return ModelScore(score, tuple(g for _, g in top[:3]))


@cache
def load_model() -> Model:
    """The shipped weights, read once (no network, no third-party package)."""
    return Model(*read_weights(MODEL_FILE, "injection model"))


def parse_model(raw: bytes) -> Model:
    """A weights file (gzipped JSON: bits, bias, offset, weights {hash: weight}); ``ConfigError``
    naming the problem when it is not one."""
    return Model(*parse_weights(raw, MODEL_FILE, "injection model"))


def read_weights(name: str, what: str, bits: int = BITS) -> tuple[dict[int, float], float, float]:
    """(weights, bias, offset) of the shipped file ``guardline/data/injection/<name>``."""
    ref = resources.files("guardline.data").joinpath(f"injection/{name}")
    try:
        raw = ref.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {name}: {exc}") from exc
    return parse_weights(raw, name, what, bits)


def parse_weights(raw: bytes, name: str, what: str, bits: int = BITS) -> tuple[dict[int, float], float, float]:
    """(weights, bias, offset) of a weights file hashed for ``bits`` bits; ``ConfigError`` naming the
    problem (``what``: which model, ``name``: its file) when it is not one."""
    try:
        doc = json.loads(gzip.decompress(raw).decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("bits") != bits:
            found = doc.get("bits") if isinstance(doc, dict) else None
            raise ConfigError(f"{what}: hashed for {found} bits, this code uses {bits}")
        weights = {int(k): float(v) for k, v in doc["weights"].items()}
        return weights, float(doc["bias"]), float(doc["offset"])
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{what}: {name} is not a weights file: {exc}") from exc
