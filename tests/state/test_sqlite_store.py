"""SQLite specifics: WAL journal, several processes writing one file, errors become StoreError."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from guardline.errors import StoreError
from guardline.state.sqlite import SqliteStore

_WRITER = """
import hashlib, sys
from guardline.state.sqlite import SqliteStore
store = SqliteStore(sys.argv[1])
who = sys.argv[2]
for i in range(200):
    store.add_fingerprints("t", who, [hashlib.sha256(f"{who}-{i}".encode()).digest()[:16]])
    store.incr("t", "n", "writes")
store.close()
"""


def test_wal_journal(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"))
    store.close()
    conn = sqlite3.connect(tmp_path / "s.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_processes_share_one_file(tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    SqliteStore(path).close()  # create the schema once
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, path, f"p{n}"]) for n in range(3)]
    assert [p.wait(timeout=100) for p in procs] == [0, 0, 0]
    import hashlib

    store = SqliteStore(path)
    wanted = [hashlib.sha256(f"p{n}-{i}".encode()).digest()[:16] for n in range(3) for i in range(200)]
    assert len(store.owners("t", wanted)) == 600
    assert store.get("t", "n", "writes") == "600"
    store.close()


def test_closed_store_raises_store_error(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"))
    store.close()
    store.close()  # closing twice is harmless
    with pytest.raises(StoreError):
        store.owners("t", [b"x" * 16])


def test_corrupt_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        SqliteStore(str(path))
