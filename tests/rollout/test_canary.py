"""The canary as a pure state machine: assignment, the SPRT rollback test, promotion."""

from __future__ import annotations

import math
import random

import pytest

from guardline.rollout import canary as cn
from guardline.rollout.canary import CanaryConfig, CanaryCounts, CanaryStatus

CFG = CanaryConfig(promote_after=1000, alpha=0.001, ratio=2.0, categories=("leakage", "hallucination"))


def test_assignment_is_sticky_and_near_share() -> None:
    state = cn.start("bot", "1.4", "1.5", 0.1, now=0)
    picks = [cn.assign(state, f"conv-{i}") for i in range(10_000)]
    share = picks.count("1.5") / len(picks)
    assert 0.09 < share < 0.11
    assert all(cn.assign(state, f"conv-{i}") == picks[i] for i in range(100))


@pytest.mark.parametrize(("status", "expected"), [(CanaryStatus.PROMOTED, "1.5"),
                                                  (CanaryStatus.ROLLED_BACK, "1.4"),
                                                  (CanaryStatus.STOPPED, "1.4")])
def test_assignment_after_the_end(status: CanaryStatus, expected: str) -> None:
    state = cn.start("bot", "1.4", "1.5", 0.5, now=0)
    from dataclasses import replace
    ended = replace(state, status=status)
    assert {cn.assign(ended, f"c{i}") for i in range(50)} == {expected}


# (counts, expected status after evaluate)
TABLE = [
    ("no data", CanaryCounts(), CanaryStatus.RUNNING),
    ("equal rates stay running",
     CanaryCounts(900, 100, {"hallucination": 18}, {"hallucination": 2}), CanaryStatus.RUNNING),
    ("candidate much worse rolls back",
     CanaryCounts(900, 100, {"hallucination": 18}, {"hallucination": 15}), CanaryStatus.ROLLED_BACK),
    ("leakage alone decides",
     CanaryCounts(900, 100, {"leakage": 0}, {"leakage": 12}), CanaryStatus.ROLLED_BACK),
    ("promotion after M replies",
     CanaryCounts(9000, 1000, {"hallucination": 180}, {"hallucination": 20}), CanaryStatus.PROMOTED),
    ("worse candidate is not promoted",
     CanaryCounts(9000, 1000, {"hallucination": 180}, {"hallucination": 60}), CanaryStatus.ROLLED_BACK),
    ("an unwatched category is ignored",
     CanaryCounts(900, 100, {}, {"brand": 50}), CanaryStatus.RUNNING),
]


@pytest.mark.parametrize(("name", "counts", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_evaluate(name: str, counts: CanaryCounts, expected: CanaryStatus) -> None:
    state = cn.start("bot", "1.4", "1.5", 0.1, now=10)
    new, moved = cn.evaluate(state, CFG, counts, now=20)
    assert new.status is expected
    if expected is CanaryStatus.RUNNING:
        assert moved == []
    else:
        assert [(t.before, t.after, t.at) for t in moved] == [(CanaryStatus.RUNNING, expected, 20)]
        assert new.ended == 20 and new.reason
    # a finished canary never moves again
    again, moved2 = cn.evaluate(new, CFG, counts, now=30)
    if expected is not CanaryStatus.RUNNING:
        assert again == new and moved2 == []


def test_rollback_and_stop() -> None:
    state = cn.start("bot", "1.4", "1.5", 0.1, now=0)
    rolled, moved = cn.rollback(state, 5, "breaker opened")
    assert rolled.status is CanaryStatus.ROLLED_BACK and len(moved) == 1
    assert cn.rollback(rolled, 6, "again") == (rolled, [])
    stopped, _ = cn.stop(state, 7)
    assert stopped.status is CanaryStatus.STOPPED
    assert cn.CanaryState.from_json(stopped.to_json()) == stopped


def test_llr_formula() -> None:
    s, r = 0.1, 2.0
    mix = r * s + 1 - s
    assert cn.llr(s, r, 3, 7) == pytest.approx(3 * math.log(r / mix) - 7 * math.log(mix))


def test_false_rollback_rate_under_h0_is_below_alpha() -> None:
    """Simulate equal rates: each event is the candidate's with probability s. The fraction of runs
    whose LLR ever crosses ln(1/alpha) must stay below alpha (Ville); use a loose alpha to see it."""
    rng = random.Random(7)
    cfg = CanaryConfig(alpha=0.05, ratio=2.0)
    crossed = 0
    runs = 400
    for _ in range(runs):
        xc = xs = 0
        for _ in range(300):
            if rng.random() < 0.1:
                xc += 1
            else:
                xs += 1
            if cn.llr(0.1, cfg.ratio, xc, xs) >= cfg.boundary:
                crossed += 1
                break
    assert crossed / runs <= 0.05


@pytest.mark.parametrize("kwargs", [{"promote_after": 0}, {"alpha": 0.0}, {"alpha": 1.0}, {"ratio": 1.0}])
def test_config_rejects(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CanaryConfig(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("share", "stable", "candidate"), [(0.0, "1", "2"), (1.0, "1", "2"), (0.1, "1", "1")])
def test_start_rejects(share: float, stable: str, candidate: str) -> None:
    with pytest.raises(ValueError):
        cn.start("bot", stable, candidate, share, now=0)
