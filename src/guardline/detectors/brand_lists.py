"""Word lists behind the brand detector, loaded once per process.

- profanity: the glin-profanity package's dictionaries (MIT, maintained; one JSON list per language),
  minus ``data/brand/profanity_exclude.txt`` (entries that are ordinary words in one of the languages,
  see that file's header); ``profanity_accent_exact.txt`` lists terms that match only with their
  accents (``coño``, not ``cono``);
- insults: ``data/brand/insults.txt`` (curated here, ``language<TAB>term``);
- AI disclosure phrases: ``data/brand/disclosure.txt``;
- off-limits topics, advice/opinion cues and refusals: ``data/brand/topics.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from ..errors import ConfigError
from .brand_text import fold_term

__all__ = ["LANGUAGES", "TopicData", "accent_exact", "disclosure_phrases", "insults", "profanity", "topics"]

# ISO 639-1 code -> glin-profanity dictionary name
LANGUAGES: dict[str, str] = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "sv": "swedish", "nl": "dutch",
    "it": "italian", "pt": "portuguese", "da": "danish", "no": "norwegian", "fi": "finnish",
    "pl": "polish", "cs": "czech", "hu": "hungarian", "tr": "turkish",
}


def _data(name: str) -> str:
    return resources.files("guardline").joinpath("data", "brand", name).read_text(encoding="utf-8")


def _lines(name: str) -> list[str]:
    out = []
    for raw in _data(name).splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


@lru_cache(maxsize=1)
def _excluded() -> frozenset[str]:
    return frozenset(fold_term(t) for t in _lines("profanity_exclude.txt"))


@lru_cache(maxsize=32)
def profanity(language: str) -> tuple[str, ...]:
    """Profanity terms for one language (ISO code), exclusions removed, folded, deduplicated."""
    name = LANGUAGES.get(language)
    if name is None:
        raise ConfigError(f"profanity language {language!r} is not available; "
                          f"choose from {', '.join(sorted(LANGUAGES))}")
    try:
        ref = resources.files("glin_profanity.data").joinpath("dictionaries", f"{name}.json")
        raw: Any = json.loads(ref.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError, json.JSONDecodeError) as exc:
        raise ConfigError(f"profanity word list for {language!r} cannot be loaded "
                          f"(is glin-profanity installed?): {exc}") from exc
    words = raw.get("words", []) if isinstance(raw, dict) else raw
    excluded = _excluded()
    out: dict[str, None] = {}
    for w in words:
        if isinstance(w, str):
            t = fold_term(w)
            if t and t not in excluded:
                out[t] = None
    return tuple(out)


@lru_cache(maxsize=1)
def accent_exact() -> dict[str, frozenset[str]]:
    """Folded term -> the spellings (casefolded, accents kept) that count."""
    out: dict[str, set[str]] = {}
    for t in _lines("profanity_accent_exact.txt"):
        out.setdefault(fold_term(t), set()).add(" ".join(t.casefold().split()))
    return {k: frozenset(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def insults() -> tuple[tuple[str, str], ...]:
    """(language, term) pairs."""
    out = []
    for line in _lines("insults.txt"):
        lang, _, term = line.partition("\t")
        out.append((lang.strip(), term.strip()))
    return tuple(out)


@lru_cache(maxsize=1)
def disclosure_phrases() -> tuple[str, ...]:
    return tuple(_lines("disclosure.txt"))


@dataclass(frozen=True, slots=True)
class TopicData:
    phrases: dict[str, tuple[str, ...]]
    keywords: dict[str, tuple[str, ...]]
    cues: tuple[str, ...]
    refusals: tuple[str, ...]


@lru_cache(maxsize=1)
def topics() -> TopicData:
    raw = json.loads(_data("topics.json"))
    return TopicData(
        phrases={k: tuple(v.get("phrases", ())) for k, v in raw["topics"].items()},
        keywords={k: tuple(v.get("keywords", ())) for k, v in raw["topics"].items()},
        cues=tuple(raw["cues"]),
        refusals=tuple(raw["refusals"]),
    )
