"""Breaker and canary states kept in the shared state store, so that every gateway replica sees the
same ones; every transition goes to the audit log (operator events) and to the listeners.

Layout (namespaces of ``StateStore`` records, per tenant):

- ``breaker`` / ``{agent}\\x1f{version}``: ``BreakerState`` as JSON;
- ``canary`` / ``{agent}``: ``CanaryState`` as JSON; ``stable`` / ``{agent}``: the version to route to;
- ``canary-n`` / ``{epoch}\\x1f{version}[\\x1f{category}]``: counters of replies and events;
- ``rollout`` / ``index``: JSON list of known (agent, version) pairs, for status listings;
- ``lock`` / ...: short leases (``incr`` returning 1 wins) serialising read-modify-write of one record.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import Enum
from typing import Any, Final, Literal, Protocol

from ..errors import GuardlineError, StoreError
from ..state.base import StateStore
from . import breaker as br
from . import canary as cn
from .breaker import BreakerConfig, BreakerState, Transition
from .canary import CanaryConfig, CanaryCounts, CanaryState

__all__ = ["UNREAD", "OperatorAudit", "RolloutStore", "TransitionListener"]

log = logging.getLogger("guardline.rollout")

_SEP = "\x1f"
_LOCK_TTL_S = 2.0


class _Unread(Enum):
    UNREAD = "unread"


UNREAD: Final = _Unread.UNREAD
"""Default of the ``current=`` pre-read arguments: the method reads the record itself."""


class OperatorAudit(Protocol):
    """What rollout and monitoring need of the audit log (``guardline.audit``'s ``AuditLog``)."""

    def append_operator_event(self, tenant: str, kind: str, payload: dict[str, Any]) -> Any: ...


TransitionListener = Callable[[str, str, dict[str, Any]], None]
"""Called as ``listener(tenant, kind, payload)`` for each transition (notifiers, metrics)."""


class RolloutStore:
    """Breakers per (tenant, agent, version) and one canary per (tenant, agent)."""

    def __init__(self, state: StateStore, *, breaker: BreakerConfig | None = None,
                 canary: CanaryConfig | None = None, audit: OperatorAudit | None = None,
                 listeners: Sequence[TransitionListener] = (), clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.state = state
        self.breaker_config = breaker or BreakerConfig()
        self.canary_config = canary or CanaryConfig()
        self.audit = audit
        self.listeners = list(listeners)
        self.clock = clock
        self._sleep = sleep
        self._known: set[tuple[str, str, str]] = set()

    # -- plumbing ----------------------------------------------------------------------------------
    @contextmanager
    def _locked(self, tenant: str, key: str) -> Iterator[None]:
        for _ in range(500):
            if self.state.incr(tenant, "lock", key, ttl_s=_LOCK_TTL_S) == 1:
                break
            self._sleep(0.002)
        else:
            raise StoreError(f"rollout lock {key!r} stayed busy")
        try:
            yield
        finally:
            self.state.delete(tenant, "lock", key)

    def _emit(self, tenant: str, kind: str, payload: dict[str, Any]) -> None:
        if self.audit is not None:
            try:
                self.audit.append_operator_event(tenant, kind, payload)
            except GuardlineError as exc:  # the transition stands; the loss is logged loudly
                log.error("audit of %s failed: %s", kind, type(exc).__name__)
        for listener in self.listeners:
            try:
                listener(tenant, kind, payload)
            except Exception as exc:
                log.error("rollout listener failed: %s", type(exc).__name__)

    def _remember(self, tenant: str, agent: str, version: str) -> None:
        if (tenant, agent, version) in self._known:
            return
        with self._locked(tenant, "index"):
            entries = self._index(tenant)
            if [agent, version] not in entries:
                entries.append([agent, version])
                self.state.set(tenant, "rollout", "index", json.dumps(entries))
        self._known.add((tenant, agent, version))

    def _index(self, tenant: str) -> list[list[str]]:
        raw = self.state.get(tenant, "rollout", "index")
        return [list(e) for e in json.loads(raw)] if raw else []

    # -- breakers ----------------------------------------------------------------------------------
    def breaker(self, tenant: str, agent: str, version: str) -> BreakerState:
        """The breaker state as stored (a due half-open is applied by ``observe``/``tick``)."""
        return BreakerState.from_json(self.state.get(tenant, "breaker", agent + _SEP + version))

    def read_reply(self, tenant: str, agent: str, version: str) -> tuple[CanaryState | None, BreakerState]:
        """The agent's canary and this version's breaker, as stored, in ONE ``get_many`` round trip:
        what one outbound reply needs, to hand to ``observe_canary``/``observe`` as ``current=``."""
        canary_raw, breaker_raw = self.state.get_many(
            tenant, [("canary", agent), ("breaker", agent + _SEP + version)])
        return (CanaryState.from_json(canary_raw) if canary_raw else None,
                BreakerState.from_json(breaker_raw))

    def _update(self, tenant: str, agent: str, version: str,
                step: Callable[[BreakerState], tuple[BreakerState, list[Transition]]],
                actor: str = "guardline") -> BreakerState:
        key = agent + _SEP + version
        with self._locked(tenant, "breaker" + _SEP + key):
            old = BreakerState.from_json(self.state.get(tenant, "breaker", key))
            new, moved = step(old)
            if new != old:
                self.state.set(tenant, "breaker", key, new.to_json())
        if moved:
            self._remember(tenant, agent, version)
        for t in moved:
            self._emit(tenant, "breaker." + str(t.after),
                       {"agent": agent, "version": version, "actor": actor, **t.to_dict()})
        if any(t.after in (br.BreakerMode.OPEN, br.BreakerMode.KILLED) for t in moved):
            self._rollback_canary_of(tenant, agent, version, f"breaker of {version} opened")
        return new

    def observe(self, tenant: str, agent: str, version: str, conversation: str, *, critical: int,
                current: BreakerState | Literal[_Unread.UNREAD] = UNREAD) -> tuple[BreakerState, bool]:
        """One reply of this version was checked: returns the breaker state and whether this version
        may serve the conversation. Writes only when something changes (a critical finding, a probe
        reply, a due half-open). ``current``: the breaker as just read (``read_reply``), else it is
        read here; every change is still made under the lock on a fresh read."""
        cfg = self.breaker_config
        now = self.clock()
        state = self.breaker(tenant, agent, version) if current is UNREAD else current
        if state.mode is br.BreakerMode.OPEN and now - state.since >= cfg.cooldown_s:
            state = self._update(tenant, agent, version, lambda s: br.tick(s, cfg, now))
        admitted = br.admits(state, cfg, conversation, salt=agent + _SEP + version)
        probe = admitted and state.mode is br.BreakerMode.HALF_OPEN
        if critical > 0 or probe:
            state = self._update(tenant, agent, version,
                                 lambda s: br.record(s, cfg, now, critical=critical, probe=probe))
            admitted = br.admits(state, cfg, conversation, salt=agent + _SEP + version)
        return state, admitted

    def trip(self, tenant: str, agent: str, version: str, reason: str) -> BreakerState:
        now = self.clock()
        return self._update(tenant, agent, version, lambda s: br.trip(s, self.breaker_config, now, reason),
                            actor="alert")

    def kill(self, tenant: str, agent: str, version: str, reason: str = "manual kill",
             actor: str = "operator") -> BreakerState:
        now = self.clock()
        return self._update(tenant, agent, version, lambda s: br.kill(s, now, reason), actor=actor)

    def unkill(self, tenant: str, agent: str, version: str, reason: str = "manual unkill",
               actor: str = "operator") -> BreakerState:
        now = self.clock()
        return self._update(tenant, agent, version, lambda s: br.unkill(s, now, reason), actor=actor)

    def breakers(self, tenant: str) -> list[dict[str, Any]]:
        out = []
        for agent, version in self._index(tenant):
            s = self.breaker(tenant, agent, version)
            out.append({"agent": agent, "version": version, "mode": str(s.mode), "since": s.since,
                        "reason": s.reason, "trips": s.trips})
        return out

    # -- routing -----------------------------------------------------------------------------------
    def set_stable(self, tenant: str, agent: str, version: str) -> None:
        self.state.set(tenant, "stable", agent, version)

    def stable(self, tenant: str, agent: str) -> str | None:
        return self.state.get(tenant, "stable", agent)

    def route(self, tenant: str, agent: str, conversation: str) -> str | None:
        """The version that should serve ``conversation``: the canary's choice, then the stable
        version; None when nothing is known about the agent. A version whose breaker is open or
        killed is replaced by the stable version."""
        canary = self.canary(tenant, agent)
        version = cn.assign(canary, conversation) if canary is not None else self.stable(tenant, agent)
        if version is None:
            return None
        state = self.breaker(tenant, agent, version)
        if not br.admits(state, self.breaker_config, conversation, salt=agent + _SEP + version):
            fallback = canary.stable if canary is not None else self.stable(tenant, agent)
            return fallback if fallback is not None and fallback != version else None
        return version

    # -- canaries ----------------------------------------------------------------------------------
    def canary(self, tenant: str, agent: str) -> CanaryState | None:
        raw = self.state.get(tenant, "canary", agent)
        return CanaryState.from_json(raw) if raw else None

    def start_canary(self, tenant: str, agent: str, stable: str, candidate: str, share: float,
                     actor: str = "operator") -> CanaryState:
        now = self.clock()
        state = cn.start(agent, stable, candidate, share, now)
        with self._locked(tenant, "canary" + _SEP + agent):
            self.state.set(tenant, "canary", agent, state.to_json())
            self.set_stable(tenant, agent, stable)
        self._remember(tenant, agent, stable)
        self._remember(tenant, agent, candidate)
        self._emit(tenant, "canary.running", {"actor": actor, **state.to_dict()})
        return state

    def counts(self, tenant: str, state: CanaryState) -> CanaryCounts:
        def n(version: str, cat: str | None = None) -> int:
            key = state.epoch + _SEP + version + ("" if cat is None else _SEP + cat)
            raw = self.state.get(tenant, "canary-n", key)
            return int(raw) if raw else 0

        cats = self.canary_config.categories
        return CanaryCounts(stable_n=n(state.stable), candidate_n=n(state.candidate),
                            stable_events={c: n(state.stable, c) for c in cats},
                            candidate_events={c: n(state.candidate, c) for c in cats})

    def observe_canary(self, tenant: str, agent: str, version: str, categories: set[str], *,
                       current: CanaryState | Literal[_Unread.UNREAD] | None = UNREAD
                       ) -> CanaryState | None:
        """Count one reply of ``version`` under the running canary (``categories``: those with a
        finding) and evaluate the test when it can have changed its outcome. ``current``: the canary
        as just read (``read_reply``), else it is read here. Returns ``current`` itself (the same
        object) unless the test was evaluated, which may have moved breakers too."""
        state = self.canary(tenant, agent) if current is UNREAD else current
        if state is None or state.status is not cn.CanaryStatus.RUNNING:
            return state
        if version not in (state.stable, state.candidate):
            return state
        prefix = state.epoch + _SEP + version
        n = self.state.incr(tenant, "canary-n", prefix)
        watched = [c for c in categories if c in self.canary_config.categories]
        for cat in watched:
            self.state.incr(tenant, "canary-n", prefix + _SEP + cat)
        due = (version == state.candidate and (watched or n >= self.canary_config.promote_after))
        if not due:
            return state
        return self._evaluate(tenant, agent)

    def _evaluate(self, tenant: str, agent: str) -> CanaryState | None:
        now = self.clock()
        with self._locked(tenant, "canary" + _SEP + agent):
            state = self.canary(tenant, agent)
            if state is None:
                return None
            new, moved = cn.evaluate(state, self.canary_config, self.counts(tenant, state), now)
            if moved:
                self.state.set(tenant, "canary", agent, new.to_json())
                if new.status is cn.CanaryStatus.PROMOTED:
                    self.set_stable(tenant, agent, new.candidate)
        self._after_canary(tenant, new, moved)
        return new

    def _after_canary(self, tenant: str, state: CanaryState, moved: list[Transition]) -> None:
        for t in moved:
            self._emit(tenant, "canary." + str(t.after), {"actor": "guardline", **state.to_dict(),
                                                          "at": t.at, "reason": t.reason})
        if any(t.after == cn.CanaryStatus.ROLLED_BACK for t in moved):
            # the candidate stops serving: its breaker is killed until an operator unkills it
            self._update(tenant, state.agent, state.candidate,
                         lambda s: br.kill(s, self.clock(), "canary rolled back: " + state.reason))

    def _rollback_canary_of(self, tenant: str, agent: str, version: str, reason: str) -> None:
        state = self.canary(tenant, agent)
        if state is None or state.candidate != version or state.status is not cn.CanaryStatus.RUNNING:
            return
        now = self.clock()
        with self._locked(tenant, "canary" + _SEP + agent):
            current = self.canary(tenant, agent)
            if current is None:
                return
            new, moved = cn.rollback(current, now, reason)
            if moved:
                self.state.set(tenant, "canary", agent, new.to_json())
        for t in moved:
            self._emit(tenant, "canary." + str(t.after), {"actor": "guardline", **new.to_dict(),
                                                          "at": t.at, "reason": t.reason})

    def stop_canary(self, tenant: str, agent: str, actor: str = "operator") -> CanaryState | None:
        now = self.clock()
        with self._locked(tenant, "canary" + _SEP + agent):
            state = self.canary(tenant, agent)
            if state is None:
                return None
            new, moved = cn.stop(state, now)
            if moved:
                self.state.set(tenant, "canary", agent, new.to_json())
        for t in moved:
            self._emit(tenant, "canary." + str(t.after), {"actor": actor, **new.to_dict(), "at": t.at})
        return new

    def status(self, tenant: str, agents: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Everything an operator wants to see: breakers and canaries of the tenant."""
        breakers = self.breakers(tenant)
        names = sorted({b["agent"] for b in breakers} | set(agents or ()))
        canaries = {}
        for name in names:
            c = self.canary(tenant, name)
            if c is not None:
                counts = self.counts(tenant, c)
                canaries[name] = {**c.to_dict(), "stable_replies": counts.stable_n,
                                  "candidate_replies": counts.candidate_n,
                                  "llr": {cat: round(cn.llr(c.share, self.canary_config.ratio,
                                                            counts.candidate_events.get(cat, 0),
                                                            counts.stable_events.get(cat, 0)), 3)
                                          for cat in self.canary_config.categories}}
        return {"breakers": breakers, "canaries": canaries,
                "stable": {name: self.stable(tenant, name) for name in names}}
