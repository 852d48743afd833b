"""Canonical forms, candidates and fingerprints (detectors/fingerprint.py)."""

from __future__ import annotations

import hmac

import pytest

from guardline.detectors.fingerprint import (
    FP_BYTES,
    VALUE,
    Words,
    compact,
    fingerprint,
    fingerprints,
    fold,
    name_candidates,
    name_form,
    shingle_fingerprints,
    shingles,
)
from guardline.detectors.fingerprint_ids import identifier_candidates, is_date_like, record_identifier_forms

KEY = b"k" * 32


@pytest.mark.parametrize(("raw", "want"), [
    ("(977) 625-2661", "9776252661"),
    ("3348-9175-02", "3348917502"),
    ("AB 12 cd", "ab12cd"),
    ("Zoë-Ångström", "zoeangstrom"),
])
def test_compact(raw: str, want: str) -> None:
    assert compact(raw) == want


@pytest.mark.parametrize(("raw", "want"), [
    ("  Crystal   MINH ", "crystal minh"),
    ("José Álvarez", "jose alvarez"),
    ("CMINH730@EMAIL.COM", "cminh730@email.com"),
    ("Straße", "strasse"),
])
def test_fold(raw: str, want: str) -> None:
    assert fold(raw) == want


def test_fingerprint_is_hmac_sha256() -> None:
    for key in (KEY, b"short-key-16byte", b"L" * 100):
        assert fingerprint(key, VALUE, "abc") == hmac.digest(key, VALUE + b"abc", "sha256")[:FP_BYTES]
        assert fingerprints(key, VALUE, ["x", "ü"]) == [
            hmac.digest(key, VALUE + s.encode(), "sha256")[:FP_BYTES] for s in ("x", "ü")]


def test_fingerprints_are_keyed_and_domain_separated() -> None:
    a = fingerprint(KEY, VALUE, "9776252661")
    assert len(a) == FP_BYTES
    assert a == fingerprint(KEY, VALUE, "9776252661")
    assert a != fingerprint(b"j" * 32, VALUE, "9776252661")
    assert a not in shingle_fingerprints(KEY, ["9776252661"])
    assert shingle_fingerprints(KEY, ["a b"]) != shingle_fingerprints(b"j" * 32, ["a b"])
    assert len(shingle_fingerprints(KEY, ["a b"])[0]) == FP_BYTES
    assert b"9776252661" not in a


def _spans(text: str) -> dict[str, str]:
    return {text[c.start:c.end]: c.forms[0] for c in identifier_candidates(text)}


def test_identifier_tokens() -> None:
    got = _spans("Order ID: 3348917502, user cminh730, zip 75227, PIN 1234, ref AB-12-CD-9")
    assert got["3348917502"] == "3348917502"
    assert got["cminh730"] == "cminh730"
    assert got["75227"] == "75227"
    assert got["AB-12-CD-9"] == "ab12cd9"
    assert "1234" not in got  # too short to be an identifier


def test_digit_group_runs_are_joined() -> None:
    got = _spans("it is 3348 9175 02 and (977) 625-2661 or 977.625.2661")
    assert got["3348 9175 02"] == "3348917502"
    assert got["977) 625-2661"] == "9776252661"
    assert got["977.625.2661"] == "9776252661"
    # sub-runs too, so a value next to other numbers is still found
    assert _spans("codes 75227 3348917502")["3348917502"] == "3348917502"


def test_words_between_digit_groups_break_runs() -> None:
    got = _spans("order 334 and then 891 and 7502")
    assert not got


def test_record_forms_skip_dates_and_short_numbers() -> None:
    forms = record_identifier_forms("Order 3348917502 placed 2019-11-06, 11/06/2019, zip 75227, qty 3")
    assert forms == {"3348917502", "75227"}
    assert is_date_like("2019-11-06") and is_date_like("11/06/2019") and not is_date_like("3348-9175")


def test_name_form() -> None:
    assert name_form("Jean-Luc  O'Neil") == "jean luc o neil"
    assert name_form("José Álvarez") == "jose alvarez"


def _names(text: str) -> dict[str, str]:
    words = Words(text)
    out = {}
    for i, j, form in name_candidates(words):
        start, end = words.span(i, j)
        out[form] = text[start:end]
    return out


def test_name_candidates() -> None:
    got = _names("Thanks, Crystal Minh. I see Ana María López and Jean-Luc Picard here.")
    assert got["crystal minh"] == "Crystal Minh"
    assert got["ana maria"] == "Ana María" and got["ana maria lopez"] == "Ana María López"
    assert got["maria lopez"] == "María López"
    assert got["jean luc picard"] == "Jean-Luc Picard"
    assert not any("thanks" in g or "here" in g for g in got)
    # punctuation between words ends a name
    assert "minh i" not in got and "minh see" not in got


def test_shingles() -> None:
    text = "one two three four five six seven eight nine"
    got = shingles(text)
    assert [s for _, _, s in got] == ["one two three four five six seven eight",
                                      "two three four five six seven eight nine"]
    assert text[got[1][0]:got[1][1]] == "two three four five six seven eight nine"
    assert shingles("too short to shingle") == []
    assert shingles("ONE Two three four five six seven EIGHT")[0][2] == "one two three four five six seven eight"
    accented = "Zoë and Ærø went to the café by the fjord"
    (s, e, sh), *_ = shingles(accented)
    assert sh == "zoe and ærø went to the cafe by" and accented[s:e] == "Zoë and Ærø went to the café by"


def test_digit_tokens_are_exactly_the_tokens_that_hold_a_digit() -> None:
    """``digit_tokens`` works outwards from the digits; it must find what a scan of every token finds."""
    import random
    import re

    from guardline.detectors.fingerprint_ids import digit_tokens

    token = re.compile(r"[^\W_]+(?:[-_][^\W_]+)*")
    rng = random.Random(7)
    for alphabet in ("ab1_-. 9xZé0", "a-_1 ", "٣a_-b2 .", "1-_", "ab1-_-2c d/"):
        for _ in range(3000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
            want = [m.span() for m in token.finditer(text) if re.search(r"\d", m.group())]
            assert [m.span() for m in digit_tokens(text)] == want, text
