"""Crash safety: a writer killed with SIGKILL in the middle of a burst loses no event whose append
returned, and the chain still verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from audit_helpers import Backend

CHILD = textwrap.dedent("""
    import sys, threading
    from guardline.audit import open_audit
    from guardline.keys import KeyRing
    from guardline.types import Action, Message, Verdict

    log = open_audit(sys.argv[1], keys=KeyRing(bytes(range(32))), checkpoint_every=50)
    lock = threading.Lock()

    def work(k):
        i = 0
        while True:
            m = Message(tenant="crash", direction="outbound", text=f"burst {k} {i}", customer_id=f"c{k}")
            ref = log.append(m, Verdict(Action.ALLOW, m.text, (), "p", "h"))
            with lock:
                sys.stdout.write(f"{ref.seq}\\n")
                sys.stdout.flush()
            i += 1

    for k in range(4):
        threading.Thread(target=work, args=(k,), daemon=True).start()
    threading.Event().wait()
""")


def test_sigkill_mid_burst_loses_no_acknowledged_event(backend: Backend) -> None:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, backend.url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    acked: list[int] = []
    deadline = time.monotonic() + 60
    try:
        while len(acked) < 400 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked.append(int(line))
    finally:
        proc.send_signal(signal.SIGKILL)
        rest, err = proc.communicate(timeout=30)
    acked += [int(x) for x in rest.split()]
    assert len(acked) >= 400, err.decode()[-2000:]
    present = {r[0] for r in backend.sql("SELECT seq FROM audit_events WHERE tenant = 'crash'", ())}
    missing = set(acked) - present
    assert not missing, f"{len(missing)} acknowledged events lost"
    with backend.open() as log:
        [report] = log.verify(tenant="crash")
    assert report.ok, str(report.problem)
    assert report.events == len(present) >= len(acked)
