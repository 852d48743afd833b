"""The window counters are buffered in-process and flushed in one ``incr_many`` per tenant."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from mon_helpers import Clock

from guardline.errors import StoreError
from guardline.monitor.config import parse_monitoring
from guardline.monitor.engine import Monitor
from guardline.monitor.windows import Series, Windows
from guardline.state.memory import MemoryStore
from guardline.types import Action, Agent, Channel, Direction, Message, Verdict

S = Series("bot", "1.5", "sms")


class CountingStore(MemoryStore):
    """A real in-process store that counts ``incr_many`` calls and can be made to fail."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock=clock)
        self.batches: list[tuple[str, int]] = []
        self.down = False

    def incr_many(self, tenant: str, namespace: str, items: Sequence[tuple[str, int]], *,
                  ttl_s: float | None = None) -> None:
        if self.down:
            raise StoreError("down")
        self.batches.append((tenant, len(items)))
        super().incr_many(tenant, namespace, items, ttl_s=ttl_s)


def msg(tenant: str = "t1") -> Message:
    return Message(direction=Direction.OUTBOUND, text="hi", channel=Channel.SMS,
                   agent=Agent(name="bot", version="1.5"), tenant=tenant, conversation_id="c1")


ALLOW = Verdict(action=Action.ALLOW, text="hi", findings=(), policy="p", policy_hash="h")


def raw(store: MemoryStore, tenant: str, w: Windows, metric: str = "n") -> int:
    v = store.get(tenant, "mon", f"{S.key}\x1f{w.bucket()}\x1f{metric}")
    return int(v) if v else 0


def test_record_buffers_until_flush_s_then_one_batch_per_tenant(clock: Clock) -> None:
    store = CountingStore(clock)
    w = Windows(store, bucket_s=10, clock=clock, flush_s=0.1)
    for _ in range(5):
        w.record(msg("t1"), ALLOW)
        w.record(msg("t2"), ALLOW)
    assert store.batches == [] and raw(store, "t1", w) == 0  # nothing written on the check path yet
    clock.advance(0.11)
    w.record(msg("t1"), ALLOW)  # the buffer is now flush_s old: this record flushes it
    # one incr_many per tenant, amounts summed per counter (n and action:allow)
    assert sorted(store.batches) == [("t1", 2), ("t2", 2)]
    assert raw(store, "t1", w) == 6 and raw(store, "t2", w) == 5
    assert raw(store, "t1", w, "action:allow") == 6


def test_reads_flush_first(clock: Clock) -> None:
    store = CountingStore(clock)
    w = Windows(store, bucket_s=10, clock=clock, flush_s=0.1)
    for _ in range(3):
        w.record(msg(), ALLOW)
    assert w.window("t1", [S], ["n"], 60) == {"n": 3}
    assert len(store.batches) == 1


def test_flush_s_zero_writes_through(clock: Clock) -> None:
    store = CountingStore(clock)
    w = Windows(store, bucket_s=10, clock=clock, flush_s=0)
    w.record(msg(), ALLOW)
    w.record(msg(), ALLOW)
    assert len(store.batches) == 2 and raw(store, "t1", w) == 2


def test_failed_flush_keeps_the_counts(clock: Clock) -> None:
    store = CountingStore(clock)
    w = Windows(store, bucket_s=10, clock=clock, flush_s=0.1)
    w.record(msg(), ALLOW)
    store.down = True
    with pytest.raises(StoreError):
        w.flush()
    w.record(msg(), ALLOW)
    store.down = False
    w.flush()
    assert raw(store, "t1", w) == 2


def test_monitor_close_flushes(clock: Clock) -> None:
    store = CountingStore(clock)
    m = Monitor(store, parse_monitoring({"monitor": {"flush_s": 0.5}}), clock=clock)
    m.record(msg(), ALLOW)
    assert raw(store, "t1", m.windows) == 0
    m.close()
    assert raw(store, "t1", m.windows) == 1


def test_background_thread_flushes(clock: Clock) -> None:
    import time

    store = CountingStore(clock)
    m = Monitor(store, parse_monitoring({"monitor": {"flush_s": 0.05}}), clock=clock)
    m.start()
    try:
        m.record(msg(), ALLOW)
        clock.advance(0.06)  # the buffer is due; the thread (not a check) writes it
        deadline = time.monotonic() + 10
        while not store.batches and time.monotonic() < deadline:
            time.sleep(0.01)
        assert raw(store, "t1", m.windows) == 1
    finally:
        m.close()


def test_flush_s_setting() -> None:
    from guardline.errors import PolicyError

    assert parse_monitoring({}).monitor.flush_s == 0.1
    assert parse_monitoring({"monitor": {"bucket_s": 0.05}}).monitor.flush_s == 0.05  # capped to bucket_s
    assert parse_monitoring({"monitor": {"flush_s": 0}}).monitor.flush_s == 0.0
    with pytest.raises(PolicyError) as err:
        parse_monitoring({"monitor": {"bucket_s": 1, "flush_s": 2}})
    assert "monitor.flush_s" in str(err.value)
