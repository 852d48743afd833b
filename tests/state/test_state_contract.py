"""The StateStore contract, run against every backend (memory, SQLite, Redis)."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

import pytest

from guardline.state import StateStore


def fp(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()[:16]


def test_is_a_state_store(make_store: Any) -> None:
    assert isinstance(make_store(), StateStore)


def test_unknown_fingerprints_have_no_owner(make_store: Any) -> None:
    store = make_store()
    assert store.owners("t1", [fp("a"), fp("b")]) == {}
    assert store.owners("t1", []) == {}


def test_owners_of_added_fingerprints(make_store: Any) -> None:
    store = make_store()
    store.add_fingerprints("t1", "alice", [fp("a1"), fp("a2")])
    store.add_fingerprints("t1", "bob", [fp("b1"), fp("shared")])
    store.add_fingerprints("t1", "alice", [fp("shared"), fp("a1")])  # re-adding is idempotent
    got = store.owners("t1", [fp("a1"), fp("a2"), fp("b1"), fp("shared"), fp("none")])
    assert got == {
        fp("a1"): frozenset({"alice"}),
        fp("a2"): frozenset({"alice"}),
        fp("b1"): frozenset({"bob"}),
        fp("shared"): frozenset({"alice", "bob"}),
    }


def test_owners_keyed_by_the_fingerprints_passed(make_store: Any) -> None:
    store = make_store()
    store.add_fingerprints("t1", "c", [fp("x")])
    got = store.owners("t1", [fp("x"), fp("x")])
    assert list(got) == [fp("x")]


def test_tenants_are_isolated(make_store: Any) -> None:
    store = make_store()
    store.add_fingerprints("t1", "alice", [fp("a")])
    store.set("t1", "optout", "+15550100", "1")
    store.incr("t1", "count", "k", 5)
    assert store.owners("t2", [fp("a")]) == {}
    assert store.get("t2", "optout", "+15550100") is None
    assert store.incr("t2", "count", "k") == 1
    assert store.forget_customer("t2", "alice") == 0
    assert store.owners("t1", [fp("a")]) == {fp("a"): frozenset({"alice"})}


def test_forget_customer_removes_only_that_customer(make_store: Any) -> None:
    store = make_store()
    store.add_fingerprints("t1", "alice", [fp("a1"), fp("a2"), fp("shared")])
    store.add_fingerprints("t1", "bob", [fp("b1"), fp("shared")])
    assert store.forget_customer("t1", "alice") == 3
    got = store.owners("t1", [fp("a1"), fp("a2"), fp("b1"), fp("shared")])
    assert got == {fp("b1"): frozenset({"bob"}), fp("shared"): frozenset({"bob"})}
    assert store.forget_customer("t1", "alice") == 0
    store.add_fingerprints("t1", "alice", [fp("a3")])  # a forgotten customer may come back
    assert store.owners("t1", [fp("a3")]) == {fp("a3"): frozenset({"alice"})}


def test_many_fingerprints_in_one_call(make_store: Any) -> None:
    store = make_store()
    many = [fp(f"v{i}") for i in range(2500)]
    store.add_fingerprints("t1", "c", many)
    got = store.owners("t1", [*many, fp("missing")])
    assert len(got) == 2500 and all(v == frozenset({"c"}) for v in got.values())
    assert store.forget_customer("t1", "c") == 2500


def test_fingerprint_ttl_expires_and_refreshes(make_store: Any, clock: Any) -> None:
    store = make_store(clock=clock)
    store.add_fingerprints("t1", "alice", [fp("a")], ttl_s=100)
    store.add_fingerprints("t1", "bob", [fp("a"), fp("b")])  # no ttl: kept until forgotten
    clock.advance(60)
    store.add_fingerprints("t1", "carol", [fp("c")], ttl_s=100)
    assert store.owners("t1", [fp("a")]) == {fp("a"): frozenset({"alice", "bob"})}
    clock.advance(50)  # alice's ownership (t=100) is past, carol's (t=160) is not
    assert store.owners("t1", [fp("a"), fp("b"), fp("c")]) == {
        fp("a"): frozenset({"bob"}), fp("b"): frozenset({"bob"}), fp("c"): frozenset({"carol"})}
    store.add_fingerprints("t1", "carol", [fp("c")], ttl_s=100)  # refresh: now until t=210
    clock.advance(90)
    assert store.owners("t1", [fp("c")]) == {fp("c"): frozenset({"carol"})}
    clock.advance(20)
    assert store.owners("t1", [fp("c")]) == {}


def test_default_ttl_and_zero_means_forever(make_store: Any, clock: Any) -> None:
    store = make_store(clock=clock, default_ttl_s=10)
    store.add_fingerprints("t1", "a", [fp("x")])
    store.add_fingerprints("t1", "b", [fp("y")], ttl_s=0)
    clock.advance(11)
    assert store.owners("t1", [fp("x"), fp("y")]) == {fp("y"): frozenset({"b"})}


def test_purge_expired_drops_only_expired(make_store: Any, clock: Any) -> None:
    store = make_store(clock=clock)
    store.add_fingerprints("t1", "a", [fp("x"), fp("shared")], ttl_s=50)
    store.add_fingerprints("t1", "b", [fp("y"), fp("shared")])
    clock.advance(60)
    assert store.purge_expired() == 2
    assert store.purge_expired() == 0
    assert store.owners("t1", [fp("x"), fp("y"), fp("shared")]) == {
        fp("y"): frozenset({"b"}), fp("shared"): frozenset({"b"})}
    assert store.forget_customer("t1", "a") == 0
    assert store.forget_customer("t1", "b") == 2


def test_records_get_set_delete(make_store: Any) -> None:
    store = make_store()
    assert store.get("t1", "optout", "k") is None
    store.set("t1", "optout", "k", "v1")
    store.set("t1", "optout", "k", "v2")
    store.set("t1", "other", "k", "o")
    assert store.get("t1", "optout", "k") == "v2"
    assert store.get("t1", "other", "k") == "o"
    store.delete("t1", "optout", "k")
    store.delete("t1", "optout", "never-set")
    assert store.get("t1", "optout", "k") is None
    assert store.get("t1", "other", "k") == "o"


def test_namespace_and_key_do_not_alias(make_store: Any) -> None:
    store = make_store()
    store.set("t1", "a:b", "c", "1")
    store.set("t1", "a", "b:c", "2")
    assert store.get("t1", "a:b", "c") == "1"
    assert store.get("t1", "a", "b:c") == "2"


def test_incr(make_store: Any) -> None:
    store = make_store()
    assert store.incr("t1", "n", "k") == 1
    assert store.incr("t1", "n", "k", 4) == 5
    assert store.incr("t1", "n", "k", -2) == 3
    assert store.get("t1", "n", "k") == "3"


def test_incr_many(make_store: Any) -> None:
    store = make_store()
    store.incr("t1", "n", "a", 2)
    store.incr_many("t1", "n", [("a", 1), ("b", 5), ("a", 1)], ttl_s=60)
    store.incr_many("t1", "n", [])
    assert store.get("t1", "n", "a") == "4"
    assert store.get("t1", "n", "b") == "5"
    assert store.get("t2", "n", "b") is None


def test_incr_many_window_starts_at_the_first_increment(make_store: Any) -> None:
    store = make_store()  # real clock: Redis applies record TTLs itself
    store.incr_many("t1", "n", [("w", 1), ("v", 2)], ttl_s=0.5)
    time.sleep(0.3)
    store.incr_many("t1", "n", [("w", 1)], ttl_s=0.5)  # does not extend the window
    assert store.get("t1", "n", "w") == "2"
    time.sleep(0.35)
    assert store.get_many("t1", [("n", "w"), ("n", "v")]) == [None, None]
    store.incr_many("t1", "n", [("w", 1)])  # no TTL: kept
    assert store.get("t1", "n", "w") == "1"


def test_get_many(make_store: Any) -> None:
    store = make_store()
    store.set("t1", "a", "k", "1")
    store.set("t1", "b", "k", "2")
    store.set("t2", "a", "x", "other tenant")
    store.incr("t1", "n", "c", 3)
    assert store.get_many("t1", [("b", "k"), ("a", "k"), ("a", "missing"), ("a", "x"), ("n", "c")]) \
        == ["2", "1", None, None, "3"]
    assert store.get_many("t1", [("a", "k"), ("a", "k")]) == ["1", "1"]
    assert store.get_many("t1", []) == []
    store.delete("t1", "a", "k")
    assert store.get_many("t1", [("a", "k"), ("b", "k")]) == [None, "2"]
    for i in range(0, 500, 3):                   # more items than one SQL statement binds
        store.set("t1", "many", f"k{i}", str(i))
    keys = [("many", f"k{i}") for i in range(500)]
    assert store.get_many("t1", keys) == [str(i) if i % 3 == 0 else None for i in range(500)]


def test_get_many_ignores_expired_records(make_store: Any) -> None:
    store = make_store()  # real clock: Redis applies record TTLs itself
    store.set("t1", "s", "short", "v", ttl_s=0.3)
    store.set("t1", "s", "long", "w", ttl_s=60)
    assert store.get_many("t1", [("s", "short"), ("s", "long")]) == ["v", "w"]
    time.sleep(0.5)
    assert store.get_many("t1", [("s", "short"), ("s", "long")]) == [None, "w"]


def test_record_ttl(make_store: Any) -> None:
    store = make_store()  # real clock: Redis applies record TTLs itself
    store.set("t1", "s", "k", "v", ttl_s=0.3)
    assert store.incr("t1", "n", "k", ttl_s=0.3) == 1
    assert store.incr("t1", "n", "k", ttl_s=0.3) == 2
    assert store.get("t1", "s", "k") == "v"
    time.sleep(0.5)
    assert store.get("t1", "s", "k") is None
    assert store.incr("t1", "n", "k", ttl_s=0.3) == 1  # the window starts again


def test_second_instance_sees_the_same_state(make_store: Any) -> None:
    first = make_store()
    first.add_fingerprints("t1", "alice", [fp("a")])
    first.set("t1", "s", "k", "v")
    second = make_store()
    assert second.owners("t1", [fp("a")]) == {fp("a"): frozenset({"alice"})}
    assert second.get("t1", "s", "k") == "v"


def test_eight_threads_lose_nothing(make_store: Any) -> None:
    store = make_store()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for j in range(50):
                store.add_fingerprints("t1", f"c{n}", [fp(f"{n}-{j}"), fp("common")])
                store.incr("t1", "n", "hits")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    wanted = [fp(f"{n}-{j}") for n in range(8) for j in range(50)]
    got = store.owners("t1", [*wanted, fp("common")])
    assert all(got[fp(f"{n}-{j}")] == frozenset({f"c{n}"}) for n in range(8) for j in range(50))
    assert got[fp("common")] == frozenset(f"c{n}" for n in range(8))
    assert store.get("t1", "n", "hits") == "400"


def test_ping_and_close(make_store: Any) -> None:
    store = make_store()
    store.ping()
    store.close()


@pytest.mark.parametrize("customer", ["with:colon", "ünï", "a" * 200])
def test_odd_customer_ids(make_store: Any, customer: str) -> None:
    store = make_store()
    store.add_fingerprints("t1", customer, [fp("a")])
    assert store.owners("t1", [fp("a")]) == {fp("a"): frozenset({customer})}
    assert store.forget_customer("t1", customer) == 1


def test_record_and_lookup_adds_then_looks_up(make_store: Any) -> None:
    store = make_store()
    store.add_fingerprints("t1", "bob", [fp("shared")])
    got = store.record_and_lookup("t1", [("alice", [fp("a1"), fp("shared")]), ("carol", [fp("c1")]), ("dan", [])],
                                  [fp("a1"), fp("shared"), fp("c1"), fp("none"), fp("a1")])
    assert got == {fp("a1"): frozenset({"alice"}), fp("shared"): frozenset({"alice", "bob"}),
                   fp("c1"): frozenset({"carol"})}
    assert store.record_and_lookup("t1", [], []) == {}
    assert store.record_and_lookup("t1", [("erin", [fp("e1")])], []) == {}  # a write alone
    assert store.owners("t1", [fp("e1")]) == {fp("e1"): frozenset({"erin"})}
    assert store.record_and_lookup("t2", [], [fp("a1")]) == {}  # tenants stay apart
    assert store.forget_customer("t1", "alice") == 2


def test_record_and_lookup_honours_ttl(make_store: Any, clock: Any) -> None:
    store = make_store(clock=clock)
    store.record_and_lookup("t1", [("alice", [fp("a")])], [], ttl_s=60)
    clock.advance(30)
    assert store.owners("t1", [fp("a")]) == {fp("a"): frozenset({"alice"})}
    clock.advance(31)
    assert store.record_and_lookup("t1", [], [fp("a")]) == {}
