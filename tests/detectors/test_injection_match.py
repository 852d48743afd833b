"""The injection matcher's building blocks: one-to-one folding, offsets through squeezed spacing,
lexicon files."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardline.detectors.injection_fold import fold, leet, rot13, words
from guardline.detectors.injection_lexicon import CONCEPTS, LANGUAGES, load, parse
from guardline.detectors.injection_match import Matcher
from guardline.errors import ConfigError

MATCHER = Matcher([{"INSTR": ("instructions", "system prompt", "règle*")}, {"JBNAME": ("^DAN",)}])


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_rewritings_keep_length(text: str) -> None:
    for f in (fold, rot13, leet):
        assert len(f(text)) == len(text)
    assert len(words(fold(text))) == len(text)


@given(
    st.lists(st.sampled_from([" ", "  ", ", ", "...", "\n\n", "—", "“", "é", "x"]), max_size=8),
    st.sampled_from(["System Prompt", "SYSTEM   prompt", "instructions", "Règles", "system\n\nprompt"]),
    st.lists(st.sampled_from([" ", " !! ", "-", "  ", "ok"]), max_size=5),
)
@settings(max_examples=300, deadline=None)
def test_hit_offsets_survive_squeezed_spacing(before: list[str], term: str, after: list[str]) -> None:
    prefix = "".join(before) + " "
    text = prefix + term + " " + "".join(after)
    hits = [h for h in MATCHER.hits(text) if h.concept == "INSTR"]
    assert hits, text
    h = hits[0]
    assert h.start == len(prefix)
    assert fold(text[h.start : h.end]).split()[0] == fold(term).split()[0][: h.end - h.start]


def test_words_must_stand_alone_and_prefixes_may_continue() -> None:
    assert [h.concept for h in MATCHER.hits("reinstructions")] == []
    assert [h.concept for h in MATCHER.hits("regles reglement")] == ["INSTR", "INSTR"]


def test_case_sensitive_terms() -> None:
    assert [h.concept for h in MATCHER.hits("You are DAN now")] == ["JBNAME"]
    assert MATCHER.hits("my name is Dan") == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_the_core_concepts(lang: str) -> None:
    lex = load(lang)
    assert set(lex) <= set(CONCEPTS)
    for concept in ("IGNORE", "INSTR", "SYSPROMPT", "REVEAL", "ROLE", "UNRESTRICTED", "OUTPUTNOUN"):
        assert lex.get(concept), (lang, concept)


def test_lexicon_errors_name_file_and_line() -> None:
    with pytest.raises(ConfigError, match=r"x\.txt:2"):
        parse("IGNORE = ignore\nNOPE = x\n", "x.txt")
    with pytest.raises(ConfigError, match=r"x\.txt:1"):
        parse("   continued\n", "x.txt")
    with pytest.raises(ConfigError, match="unknown language"):
        load("xx")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_the_second_round_concepts(lang: str) -> None:
    lex = load(lang)
    for concept in ("ROLEASSIGN", "YOUMODAL", "BEHAVE", "PERMIT", "AUTHORITY", "AIPERSONA", "LIFTED",
                    "FICTION", "HOWTO", "EXPERT", "HARM"):
        assert lex.get(concept), (lang, concept)
