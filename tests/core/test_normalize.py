from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardline.normalize import normalize


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("plain ascii", "plain ascii"),
        ("４１１１ １１１１", "4111 1111"),                 # full-width digits
        ("a\u200bb\u200dc\ufeffd", "abcd"),               # zero-width characters
        ("x\x00y\x07z", "xyz"),                           # control characters
        ("line\nnext\ttab", "line\nnext\ttab"),           # kept controls
        ("раураl", "paypal"),                             # Cyrillic homoglyphs
        ("ﬁle", "file"),                                  # ligature expands
        ("cafe\u0301", "café"),                           # combining mark composes
        ("0\u2013123\u00a0456", "0-123 456"),             # dashes and no-break spaces
    ],
)
def test_normalises(original: str, expected: str) -> None:
    assert normalize(original).text == expected


def test_span_maps_to_original() -> None:
    original = "card ４１１１\u200b１１１１ end"
    n = normalize(original)
    start = n.text.index("4111")
    end = start + len("41111111")
    s, e = n.span(start, end)
    assert original[s:e] == "４１１１\u200b１１１１"


def test_expanding_character_maps_whole() -> None:
    n = normalize("ﬁx")
    assert n.text == "fix"
    assert n.span(0, 1) == (0, 1)
    assert n.span(1, 2) == (0, 1)
    assert n.span(2, 3) == (1, 2)


def test_identity_fast_path() -> None:
    n = normalize("hello world")
    assert n.identity
    assert n.span(0, 5) == (0, 5)


@given(st.text(max_size=200))
def test_every_span_is_inside_original(text: str) -> None:
    n = normalize(text)
    for i in range(len(n.text)):
        s, e = n.span(i, i + 1)
        assert 0 <= s < e <= len(text)
    if n.text:
        s, e = n.span(0, len(n.text))
        assert 0 <= s <= e <= len(text)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=100))
def test_normalised_text_has_no_invisible_characters(text: str) -> None:
    import unicodedata

    out = normalize(text).text
    assert not any(unicodedata.category(c) == "Cf" for c in out)


def test_fast_path_table_covers_every_format_character() -> None:
    import sys
    import unicodedata

    from guardline.normalize import _NEEDS_SLOW_PATH

    missing = [hex(c) for c in range(sys.maxunicode + 1)
               if unicodedata.category(chr(c)) in ("Cf", "Cc") and chr(c) not in "\t\n\r"
               and not _NEEDS_SLOW_PATH.match(chr(c))]
    assert not missing


def test_non_ascii_nfkc_text_takes_the_fast_path() -> None:
    n = normalize("Grüße aus Malmö, 東京")
    assert n.identity and n.text == "Grüße aus Malmö, 東京"


@given(st.text(alphabet=st.sampled_from([*"ab 1\n\t", "\u0301", "\u200b", "ａ", "а", "ﬁ", "é", "\x07", "Ω"]),
               max_size=40))
def test_bulk_ascii_runs_match_the_cluster_by_cluster_result(text: str) -> None:
    from guardline.normalize import _clusters

    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    _clusters(text, 0, len(text), out, starts, ends)
    n = normalize(text)
    assert n.text == "".join(out)
    if not n.identity:
        assert list(n.starts or ()) == starts and list(n.ends or ()) == ends
