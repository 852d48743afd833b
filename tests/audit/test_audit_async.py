"""``AuditLog.aappend`` (the gateway's path): the appends of one event-loop turn share a transaction,
each caller gets its own committed reference, failures reach the right callers, and the loop is never
blocked on a commit."""

from __future__ import annotations

import asyncio

import pytest
from audit_helpers import Backend, message, verdict

from guardline import Guard
from guardline.audit import AuditLog
from guardline.errors import StoreError
from guardline.keys import KeyRing


def count_commits(log: AuditLog) -> list[int]:
    """The size of every batch the log's writer commits from now on, in order."""
    commits: list[int] = []
    real = log._writer._commit

    def counting(batch):  # type: ignore[no-untyped-def]
        commits.append(len(batch))
        return real(batch)

    log._writer._commit = counting  # type: ignore[method-assign]
    return commits


def test_concurrent_appends_on_one_loop_are_committed_in_order_and_verify(backend: Backend) -> None:
    async def main() -> list[int]:
        with backend.open(checkpoint_every=5) as log:
            msgs = [message(i) for i in range(40)]
            refs = await asyncio.gather(*(log.aappend(m, verdict(m)) for m in msgs))
            [report] = log.verify()
        assert report.ok and report.events == 40
        assert len({r.hash for r in refs}) == 40
        return [r.seq for r in refs]

    assert asyncio.run(main()) == list(range(1, 41))   # gather keeps the callers' order


def test_one_loop_turn_is_one_transaction(sqlite_backend: Backend) -> None:
    async def main() -> None:
        with sqlite_backend.open() as log:
            commits = count_commits(log)
            msgs = [message(i) for i in range(30)]
            await asyncio.gather(*(log.aappend(m, verdict(m)) for m in msgs))
            assert commits == [30]

    asyncio.run(main())


def test_the_loop_keeps_running_while_a_commit_is_pending(sqlite_backend: Backend) -> None:
    async def main() -> None:
        with sqlite_backend.open() as log:
            gate = asyncio.Event()
            real = log._writer._commit
            loop = asyncio.get_running_loop()

            def slow(batch):  # type: ignore[no-untyped-def]
                asyncio.run_coroutine_threadsafe(gate.wait(), loop).result(timeout=10)
                return real(batch)

            log._writer._commit = slow  # type: ignore[method-assign]
            m = message(1)
            pending = asyncio.ensure_future(log.aappend(m, verdict(m)))
            await asyncio.sleep(0.01)
            assert not pending.done()          # waiting for the commit, and the loop still runs us
            gate.set()
            assert (await pending).seq == 1

    asyncio.run(main())


def test_a_closed_log_fails_every_caller_of_the_turn(sqlite_backend: Backend) -> None:
    async def main() -> None:
        log = sqlite_backend.open()
        log.close()
        msgs = [message(i) for i in range(3)]
        results = await asyncio.gather(*(log.aappend(m, verdict(m)) for m in msgs), return_exceptions=True)
        assert all(isinstance(r, StoreError) for r in results)

    asyncio.run(main())


def test_write_behind_answers_without_a_seq(sqlite_backend: Backend) -> None:
    async def main() -> None:
        with sqlite_backend.open(durable=False) as log:
            m = message(1)
            ref = await log.aappend(m, verdict(m))
            assert ref.seq == 0
            log.flush()
            [report] = log.verify()
            assert report.events == 1

    asyncio.run(main())


@pytest.mark.parametrize("n", [1, 12])
def test_guard_acheck_inline_matches_check_and_is_audited(sqlite_backend: Backend, n: int) -> None:
    async def main() -> None:
        log = sqlite_backend.open()
        guard = Guard(audit=log, keys=KeyRing(bytes(range(32))))
        msgs = [message(i, customer="") for i in range(n)]
        inline = await asyncio.gather(*(guard.acheck_inline(m) for m in msgs))
        sync = [guard.check(m) for m in msgs]
        for a, b in zip(inline, sync, strict=True):
            assert (a.action, a.text, [f.type for f in a.findings]) == (b.action, b.text, [f.type for f in b.findings])
        assert [v.audit.seq for v in inline if v.audit] == list(range(1, n + 1))
        [report] = log.verify()
        assert report.ok and report.events == 2 * n
        guard.close()

    asyncio.run(main())


def test_guard_acheck_inline_turns_a_failed_audit_into_a_finding(sqlite_backend: Backend) -> None:
    async def main() -> None:
        log = sqlite_backend.open()
        guard = Guard(audit=log, keys=KeyRing(bytes(range(32))))
        log.close()
        v = await guard.acheck_inline(message(1))
        assert "system.audit_unavailable" in [f.type for f in v.findings]
        assert v.audit is None

    asyncio.run(main())


def test_a_commit_delay_gathers_callers_that_come_apart_into_one_commit(sqlite_backend: Backend) -> None:
    import threading
    import time

    with sqlite_backend.open(commit_delay_ms=500) as log:  # a window far wider than the gaps below
        commits = count_commits(log)
        msgs = [message(i) for i in range(3)]
        threads = [threading.Thread(target=log.append, args=(m, verdict(m))) for m in msgs]
        for t in threads:
            t.start()
            time.sleep(0.005)
        for t in threads:
            t.join()
        assert commits == [3]
        [report] = log.verify()
        assert report.ok and report.events == 3


def test_begin_inline_decides_first_and_finishes_once_committed(sqlite_backend: Backend) -> None:
    async def main() -> None:
        log = sqlite_backend.open()
        guard = Guard(audit=log, keys=KeyRing(bytes(range(32))))
        pending = guard.begin_inline(message(1, customer=""))
        assert pending.decided.audit is None              # decided, not yet recorded
        await asyncio.sleep(0)                              # other work while the commit runs
        final = await pending.finish()
        assert final.audit is not None and final.audit.seq == 1
        assert (final.action, final.text) == (pending.decided.action, pending.decided.text)
        guard.close()

    asyncio.run(main())
