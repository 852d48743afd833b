"""The chain module on its own: canonical form, domain separation, and verify on hand-built rows."""

from __future__ import annotations

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from guardline.audit.chain import (
    GENESIS,
    Checkpoint,
    EventRow,
    ProblemKind,
    canonical,
    entry_bytes,
    leaf_hash,
    link_hash,
    verify_chain,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@given(body=st.dictionaries(st.text(max_size=10), json_values, max_size=6),
       key=st.none() | st.text(alphabet="0123456789abcdef", min_size=16, max_size=16),
       seq=st.integers(1, 10**9), tenant=st.from_regex(r"[A-Za-z0-9_.\-]{1,20}", fullmatch=True),
       ct=st.none() | st.binary(min_size=32, max_size=32))
def test_entry_bytes_is_the_canonical_form_and_round_trips(body: dict[str, object], key: str | None, seq: int,
                                                          tenant: str, ct: bytes | None) -> None:
    built = entry_bytes(canonical(body), ct_digest=ct, key_id=key, seq=seq, tenant=tenant)
    expected = canonical({"body": body, "ct": None if ct is None else ct.hex(), "key": key, "seq": seq,
                          "tenant": tenant, "v": 1})
    assert built == expected
    assert canonical(json.loads(built)) == built          # what an offline verifier recomputes


def test_hashes_are_domain_separated() -> None:
    entry = b'{"x":1}'
    assert leaf_hash(entry) == hashlib.sha256(b"\x00" + entry).digest()
    assert link_hash(GENESIS, leaf_hash(entry)) == hashlib.sha256(b"\x01" + GENESIS + leaf_hash(entry)).digest()
    # a leaf can never be mistaken for an interior node
    assert leaf_hash(GENESIS + leaf_hash(entry)) != link_hash(GENESIS, leaf_hash(entry))


def test_lone_surrogates_and_non_ascii_round_trip() -> None:
    body = {"text": "caf\u00e9 \ud800 \U0001f600 \u202e"}
    raw = canonical(body)
    assert raw.isascii()
    assert json.loads(raw) == body


def _chain(n: int, tenant: str = "t") -> list[EventRow]:
    rows: list[EventRow] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        entry = entry_bytes(canonical({"i": seq}), ct_digest=None, key_id=None, seq=seq, tenant=tenant)
        prev = link_hash(prev, leaf_hash(entry))
        rows.append((seq, entry, prev, None, None))
    return rows


def _ok(_: Checkpoint) -> bool:
    return True


def test_verify_chain_accepts_an_intact_chain_and_notes_unsigned_tail() -> None:
    rows = _chain(10)
    cp = Checkpoint("t", 6, rows[5][2], "now", b"sig")
    report = verify_chain("t", rows, [cp], signature_ok=_ok, head=(10, rows[-1][2]))
    assert report.ok and report.events == 10 and report.last_checkpoint == 6
    assert report.notes and "7..10" in report.notes[0]


def test_verify_chain_names_each_kind_of_damage() -> None:
    rows = _chain(10)
    cp = Checkpoint("t", 10, rows[-1][2], "now", b"sig")

    def first(bad: list[EventRow], head: tuple[int, bytes] | None = None) -> tuple[int, ProblemKind]:
        report = verify_chain("t", bad, [cp], signature_ok=_ok, head=head)
        assert report.problem is not None
        return report.problem.seq, report.problem.kind

    edited = list(rows)
    edited[3] = (4, edited[3][1].replace(b'"i":4', b'"i":5'), *edited[3][2:])
    assert first(edited) == (4, ProblemKind.EDITED)
    assert first(rows[:4] + rows[5:]) == (5, ProblemKind.DELETED)
    swapped = list(rows)
    swapped[3], swapped[4] = (4, *rows[4][1:]), (5, *rows[3][1:])
    assert first(swapped) == (4, ProblemKind.REORDERED)
    renumbered = rows[:4] + [(r[0] - 1, *r[1:]) for r in rows[5:]]
    assert first(renumbered) == (5, ProblemKind.DELETED)
    assert first(rows[:7]) == (8, ProblemKind.TRUNCATED)
    shifted = rows[:4] + [(5, rows[2][1], rows[2][2], None, None)] + [(r[0] + 1, *r[1:]) for r in rows[4:]]
    assert first(shifted)[1] == ProblemKind.INSERTED


def test_a_rehashed_chain_is_caught_by_the_signed_checkpoint() -> None:
    rows = _chain(8)
    cp = Checkpoint("t", 8, rows[-1][2], "now", b"sig")
    forged: list[EventRow] = []
    prev = GENESIS
    for seq, entry, *_ in rows:
        if seq == 3:
            entry = entry.replace(b'"i":3', b'"i":33')
        prev = link_hash(prev, leaf_hash(entry))
        forged.append((seq, entry, prev, None, None))
    report = verify_chain("t", forged, [cp], signature_ok=_ok)
    assert report.problem is not None and report.problem.kind == ProblemKind.FORGED and report.problem.seq == 8


def test_a_checkpoint_with_a_bad_signature_fails() -> None:
    rows = _chain(3)
    report = verify_chain("t", rows, [Checkpoint("t", 3, rows[-1][2], "now", b"x")],
                          signature_ok=lambda cp: False)
    assert report.problem is not None and report.problem.kind == ProblemKind.FORGED
