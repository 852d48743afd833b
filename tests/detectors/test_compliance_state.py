"""Opt-out state survives a restart (SQLite: two store instances on one file) and is shared by
processes (SQLite file, real Redis). No mocks: real backends through ``open_state``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime
from pathlib import Path

from guardline.detectors.base import Context
from guardline.detectors.compliance import ComplianceDetector
from guardline.keys import KeyRing
from guardline.normalize import normalize
from guardline.state import open_state
from guardline.state.base import StateStore
from guardline.types import Message

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def check(state: StateStore, text: str, direction: str, tenant: str = "acme") -> list[str]:
    msg = Message(direction=direction, text=text, channel="sms", customer_id="cust-1", tenant=tenant,
                  timestamp=T0)
    ctx = Context(norm=normalize(text), state=state, keys=KeyRing(b"x" * 32))
    return sorted(f.type for f in ComplianceDetector().detect(msg, ctx))


# a separate interpreter: records the opt-out (or opt-in) and exits
_CHILD = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime
    from guardline.detectors.base import Context
    from guardline.detectors.compliance import ComplianceDetector
    from guardline.normalize import normalize
    from guardline.state import open_state
    from guardline.types import Message
    url, tenant, text = sys.argv[1:4]
    state = open_state(url)
    msg = Message(direction="inbound", text=text, channel="sms", customer_id="cust-1", tenant=tenant,
                  timestamp=datetime(2025, 3, 3, 12, 0, tzinfo=UTC))
    print(",".join(f.type for f in ComplianceDetector().detect(msg, Context(norm=normalize(text), state=state))))
    state.close()
""")


def run_child(url: str, tenant: str, text: str) -> str:
    done = subprocess.run([sys.executable, "-c", _CHILD, url, tenant, text], capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip()


def test_opt_out_survives_restart_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first = open_state(url)
    assert check(first, "STOPP", "inbound") == ["compliance.opt_out"]
    first.close()
    second = open_state(url)  # "after a restart"
    try:
        assert check(second, "Our new offers!", "outbound") == ["compliance.opted_out"]
        assert check(second, "You have been unsubscribed.", "outbound") == ["compliance.optout_confirmation"]
        assert check(second, "You have been unsubscribed.", "outbound") == ["compliance.opted_out"]
    finally:
        second.close()
    third = open_state(url)
    try:  # the confirmation was counted durably too
        assert check(third, "You have been unsubscribed.", "outbound") == ["compliance.opted_out"]
    finally:
        third.close()


def test_two_live_sqlite_instances_share_opt_outs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    a, b = open_state(url), open_state(url)
    try:
        assert check(a, "BAJA", "inbound") == ["compliance.opt_out"]
        assert check(b, "Hola", "outbound") == ["compliance.opted_out"]
        assert check(b, "START", "inbound") == ["compliance.opt_in"]
        assert check(a, "Hola", "outbound") == []
    finally:
        a.close()
        b.close()


def test_opt_out_across_processes_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    assert run_child(url, "acme", "ARRÊT") == "compliance.opt_out"
    state = open_state(url)
    try:
        assert check(state, "Promo!", "outbound") == ["compliance.opted_out"]
    finally:
        state.close()


def test_opt_out_across_processes_redis(redis_url: str) -> None:
    url = f"{redis_url}?prefix=gltest-{uuid.uuid4().hex}"
    tenant = f"t{uuid.uuid4().hex[:12]}"
    state = open_state(url)
    try:
        assert run_child(url, tenant, "STOP") == "compliance.opt_out"
        assert check(state, "Promo!", "outbound", tenant) == ["compliance.opted_out"]
        assert check(state, "You will no longer receive messages.", "outbound", tenant) == \
            ["compliance.optout_confirmation"]
        assert run_child(url, tenant, "UNSTOP") == "compliance.opt_in"
        assert check(state, "Promo!", "outbound", tenant) == []
    finally:
        for ns in ("optout", "optout.confirmations"):
            state.delete(tenant, ns, "cust-1:sms")
        state.close()
