"""One writer at a time across processes for a SQLite file, without SQLite's sleeping busy handler.

SQLite serialises writers itself, but a writer that finds the lock taken polls with sleeps of 1 to
100 ms (its default busy handler), and with two gateway workers writing the same file many times a
second those sleeps add up: on the audit trail they showed as a p99 of hundreds of ms. A process that
waits on an exclusive ``flock`` of a sidecar file (``<db>-writer.lock``) instead wakes the moment the
other releases it. SQLite's own locking stays in force underneath for writers that do not take it.
Where the platform has no ``flock``, or the sidecar cannot be created (a read-only folder), the lock is
a no-op.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["WriterLock"]


class WriterLock:
    """``with lock():`` holds the exclusive lock of ``<path>-writer.lock`` (re-entrant it is not)."""

    def __init__(self, path: str) -> None:
        self.path = path + "-writer.lock"
        self._fd: int | None = None
        if fcntl is not None and path != ":memory:":
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:
                self._fd = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        fd = self._fd
        if fd is None:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
