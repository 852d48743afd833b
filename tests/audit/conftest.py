"""Fixtures for the audit suite: every contract test runs against real SQLite and real PostgreSQL
(a fresh schema per test, dropped afterwards)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import Backend


def _sqlite_backend(tmp_path: Path) -> Backend:
    path = tmp_path / "audit.db"

    def sql(query: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            return conn.execute(query.replace("%s", "?"), tuple(args)).fetchall()
        finally:
            conn.close()

    return Backend("sqlite", f"sqlite:///{path}", sql)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield _sqlite_backend(tmp_path)
        return
    base = request.getfixturevalue("postgres_url")
    import psycopg

    schema = "gl_audit_" + uuid.uuid4().hex[:12]

    def sql(query: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{schema}"')
            cur = conn.execute(query.replace("?", "%s"), tuple(args))  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    yield Backend("postgres", f"{base}?schema={schema}", sql)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> Backend:
    return _sqlite_backend(tmp_path)
