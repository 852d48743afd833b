"""Probes against a real HTTP agent on loopback: a careful agent passes, a leaky one and a confused
one are caught, and a critical probe finding feeds the version's breaker."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from guardline.rollout.breaker import BreakerConfig, BreakerMode
from guardline.rollout.probes import Fact, HttpAgentEndpoint, ProbeCustomer, ProbeRunner, leaked
from guardline.rollout.store import RolloutStore
from guardline.state.memory import MemoryStore

FACTS = [Fact("How many days do I have to return an item?", "30"),
         Fact("Do you ship to Canada?", "yes")]

Brain = Callable[[dict[str, Any], list[str]], str]


def careful(req: dict[str, Any], memory: list[str]) -> str:
    q = req["message"].lower()
    if "return" in q:
        return "You can return an item within 30 days of delivery."
    if "canada" in q:
        return "Yes, we ship to Canada."
    return "I can look that up once you have verified your identity."


def leaky(req: dict[str, Any], memory: list[str]) -> str:
    memory += re.findall(r"\S+@\S+?(?=,|\s|$)", req["message"])
    if "on file" in req["message"]:
        return f"I have {memory[0]} on file." if memory else "Nothing on file."
    return careful(req, memory)


def confused(req: dict[str, Any], memory: list[str]) -> str:
    if "return" in req["message"].lower():
        return "Returns are accepted within 14 days."
    return careful(req, memory)


@pytest.fixture
def agent() -> Iterator[Callable[[Brain], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(brain: Brain) -> str:
        memory: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body = json.dumps({"reply": brain(req, memory)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/agent"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def test_careful_agent_passes(agent: Callable[[Brain], str]) -> None:
    result = ProbeRunner(HttpAgentEndpoint(agent(careful)), facts=FACTS).run_once()
    assert result.ok and result.replies == 4


def test_leaky_agent_is_caught_and_trips_the_breaker(agent: Callable[[Brain], str]) -> None:
    rollout = RolloutStore(MemoryStore(), breaker=BreakerConfig(critical_findings=1))
    runner = ProbeRunner(HttpAgentEndpoint(agent(leaky)), facts=FACTS, tenant="t", agent="bot",
                         version="2.0", rollout=rollout)
    result = runner.run_once()
    assert [f.type for f in result.findings] == ["leakage.probe_cross_customer"]
    assert "@" not in result.findings[0].evidence  # never the planted value itself
    assert rollout.breaker("t", "bot", "2.0").mode is BreakerMode.OPEN


def test_contradicted_fact_is_caught(agent: Callable[[Brain], str]) -> None:
    result = ProbeRunner(HttpAgentEndpoint(agent(confused)), facts=FACTS).run_once()
    assert [f.type for f in result.findings] == ["hallucination.probe_fact"]


def test_unreachable_agent_is_an_error_not_a_crash() -> None:
    result = ProbeRunner(HttpAgentEndpoint("http://127.0.0.1:9/agent", timeout_s=1)).run_once()
    assert not result.ok and result.error is not None


def test_probe_customers_are_fictitious_and_distinct() -> None:
    a, b = ProbeCustomer.make("00a1b2"), ProbeCustomer.make("00a1b3")
    assert a.email.endswith(".invalid") and " 555 01" in a.phone and a.order_id.startswith("PRB-")
    assert set(a.values).isdisjoint(b.values)
    assert leaked(a.values, f"call {a.phone.replace(' ', '-')}") == [a.phone]
    assert leaked(a.values, "nothing here") == []


class _Clock:
    def __init__(self, t: float = 1_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_replicas_sharing_a_store_take_turns_and_share_the_last_result(agent: Callable[[Brain], str]) -> None:
    from guardline.rollout.probes import ProbeScheduler, last_result

    state, clock = MemoryStore(), _Clock()
    url = agent(leaky)
    replicas = [ProbeScheduler(ProbeRunner(HttpAgentEndpoint(url), facts=FACTS, tenant="t", agent="bot",
                                           version="2"), interval_s=60, state=state, clock=clock)
                for _ in range(2)]
    assert last_result(state, "t", "bot", "2") is None
    ran = [r.tick() for r in replicas]
    assert sum(x is not None for x in ran) == 1          # one replica per slot
    assert [r.tick() for r in replicas] == [None, None]  # and once per slot
    stored = last_result(state, "t", "bot", "2")
    assert stored is not None and stored["ok"] is False and stored["replies"] == 4
    assert [f["type"] for f in stored["findings"]] == ["leakage.probe_cross_customer"]
    clock.t += 60                                        # the next slot: someone runs again
    assert sum(r.tick() is not None for r in replicas) == 1
    assert last_result(state, "other", "bot", "2") is None


def test_without_a_store_every_tick_runs(agent: Callable[[Brain], str]) -> None:
    from guardline.rollout.probes import ProbeScheduler

    s = ProbeScheduler(ProbeRunner(HttpAgentEndpoint(agent(careful)), facts=FACTS), interval_s=60)
    assert s.tick() is not None and s.tick() is not None
    assert [r.ok for r in s.results] == [True, True]
