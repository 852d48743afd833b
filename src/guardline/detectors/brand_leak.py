"""System-prompt leakage: does a reply reproduce a long run of the agent's own system prompt?

Both texts are folded (case and accents ignored) and split into words. Every run of ``k`` consecutive
prompt words (a shingle) goes in a set; a reply word is *covered* when it is part of a reply shingle
found in that set. The longest stretch of covered reply words is the leak's length. A canary token
(a random string the caller planted in the prompt) is simpler: any occurrence is a leak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .brand_text import Folded

__all__ = ["LeakRun", "longest_run"]

_WORD = re.compile(r"\w+")
SHINGLE = 5


@dataclass(frozen=True, slots=True)
class LeakRun:
    words: int  # covered reply words in the longest run
    start: int  # folded offsets of the run in the reply
    end: int
    prompt_words: int


@lru_cache(maxsize=256)
def _prompt_shingles(folded_prompt: str) -> tuple[frozenset[tuple[str, ...]], int]:
    words = _WORD.findall(folded_prompt)
    k = min(SHINGLE, len(words))
    if k == 0:
        return frozenset(), 0
    return frozenset(tuple(words[i:i + k]) for i in range(len(words) - k + 1)), len(words)


def longest_run(reply: Folded, folded_prompt: str) -> LeakRun | None:
    """The longest stretch of the reply that reproduces the prompt, or None when nothing does."""
    shingles, n_prompt = _prompt_shingles(folded_prompt)
    if not shingles:
        return None
    k = min(SHINGLE, n_prompt)
    matches = list(_WORD.finditer(reply.text))
    words = [m.group() for m in matches]
    covered = [False] * len(words)
    for i in range(len(words) - k + 1):
        if tuple(words[i:i + k]) in shingles:
            for j in range(i, i + k):
                covered[j] = True
    best: tuple[int, int, int] | None = None  # (length, first, last)
    run_start = -1
    for i, c in enumerate([*covered, False]):
        if c and run_start < 0:
            run_start = i
        elif not c and run_start >= 0:
            length = i - run_start
            if best is None or length > best[0]:
                best = (length, run_start, i - 1)
            run_start = -1
    if best is None:
        return None
    length, first, last = best
    return LeakRun(length, matches[first].start(), matches[last].end(), n_prompt)
