"""The breaker as a pure state machine: table tests of transitions with explicit times."""

from __future__ import annotations

import pytest

from guardline.rollout import breaker as br
from guardline.rollout.breaker import BreakerConfig, BreakerMode, BreakerState

CFG = BreakerConfig(critical_findings=3, window_s=60, cooldown_s=100, probe_share=1.0, probe_messages=2)
C, O, H, K = BreakerMode.CLOSED, BreakerMode.OPEN, BreakerMode.HALF_OPEN, BreakerMode.KILLED  # noqa: E741

# (events, final mode, transitions as (from, to)). Event: (time, op, arg)
CASES = [
    ("two criticals stay closed", [(0, "rec", 1), (10, "rec", 1)], C, []),
    ("three criticals in window open", [(0, "rec", 1), (10, "rec", 1), (20, "rec", 1)], O, [(C, O)]),
    ("one reply with three criticals opens", [(5, "rec", 3)], O, [(C, O)]),
    ("criticals spread beyond the window stay closed",
     [(0, "rec", 1), (50, "rec", 1), (70, "rec", 1)], C, []),
    ("clean replies do not count", [(0, "rec", 0)] * 10, C, []),
    ("open stays open before cool-down", [(0, "rec", 3), (99, "tick", 0)], O, [(C, O)]),
    ("open -> half-open after cool-down", [(0, "rec", 3), (100, "tick", 0)], H, [(C, O), (O, H)]),
    ("half-open closes after clean probes",
     [(0, "rec", 3), (100, "probe", 0), (101, "probe", 0)], C, [(C, O), (O, H), (H, C)]),
    ("critical probe reopens", [(0, "rec", 3), (100, "probe", 0), (101, "probe", 1)], O,
     [(C, O), (O, H), (H, O)]),
    ("alert trip opens at once", [(0, "trip", 0)], O, [(C, O)]),
    ("trip on open does not restart cool-down", [(0, "trip", 0), (50, "trip", 0), (100, "tick", 0)], H,
     [(C, O), (O, H)]),
    ("kill from closed", [(0, "kill", 0)], K, [(C, K)]),
    ("kill is not undone by time", [(0, "kill", 0), (10_000, "tick", 0)], K, [(C, K)]),
    ("trip does not override kill", [(0, "kill", 0), (1, "trip", 0)], K, [(C, K)]),
    ("unkill closes", [(0, "kill", 0), (5, "unkill", 0)], C, [(C, K), (K, C)]),
    ("unkill of open closes", [(0, "rec", 3), (5, "unkill", 0)], C, [(C, O), (O, C)]),
    ("unkill of closed is a no-op", [(0, "unkill", 0)], C, []),
]


def run(events: list[tuple[float, str, int]]) -> tuple[BreakerState, list[br.Transition]]:
    state = BreakerState()
    log: list[br.Transition] = []
    for now, op, arg in events:
        if op == "rec":
            state, moved = br.record(state, CFG, now, critical=arg)
        elif op == "probe":
            state, moved = br.record(state, CFG, now, critical=arg, probe=True)
        elif op == "tick":
            state, moved = br.tick(state, CFG, now)
        elif op == "trip":
            state, moved = br.trip(state, CFG, now, "alert A1")
        elif op == "kill":
            state, moved = br.kill(state, now)
        else:
            state, moved = br.unkill(state, now)
        log += moved
    return state, log


@pytest.mark.parametrize(("name", "events", "final", "transitions"), CASES, ids=[c[0] for c in CASES])
def test_transitions(name: str, events: list[tuple[float, str, int]], final: BreakerMode,
                     transitions: list[tuple[BreakerMode, BreakerMode]]) -> None:
    state, log = run(events)
    assert state.mode is final
    assert [(t.before, t.after) for t in log] == transitions
    assert all(t.reason for t in log)


def test_transition_times_and_reasons() -> None:
    state, log = run([(0, "rec", 1), (10, "rec", 1), (20, "rec", 1), (120, "tick", 0)])
    assert [t.at for t in log] == [20, 120]
    assert "3 critical findings" in log[0].reason
    assert state.since == 120


def test_admits_by_mode() -> None:
    half = BreakerConfig(probe_share=0.3)
    assert br.admits(BreakerState(), half, "c1")
    assert not br.admits(BreakerState(mode=O), half, "c1")
    assert not br.admits(BreakerState(mode=K), half, "c1")
    served = sum(br.admits(BreakerState(mode=H), half, f"conv-{i}") for i in range(4000))
    assert 1000 < served < 1400  # about 30% of conversations probe the half-open version
    # sticky: the same conversation always gets the same answer
    assert {br.admits(BreakerState(mode=H), half, "conv-7") for _ in range(5)} == {
        br.admits(BreakerState(mode=H), half, "conv-7")}


def test_json_round_trip() -> None:
    state, _ = run([(0, "rec", 1), (3, "rec", 1)])
    assert BreakerState.from_json(state.to_json()) == state
    assert BreakerState.from_json(None) == BreakerState()


@pytest.mark.parametrize("bad", [{"critical_findings": 0}, {"window_s": 0}, {"probe_share": 1.5},
                                 {"probe_messages": 0}, {"cooldown_s": -1}])
def test_config_rejects(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BreakerConfig(**bad)  # type: ignore[arg-type]
