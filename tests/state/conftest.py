"""Backends under test: every contract test runs against memory, SQLite (a real file) and Redis (the
real server on 127.0.0.1:6379, under a key prefix unique to this run, deleted afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from guardline.state import MemoryStore, StateStore
from guardline.state.sqlite import SqliteStore

StoreFactory = Callable[..., StateStore]


class FakeClock:
    """A clock the test moves by hand (wall-clock-like numbers, as SQLite and Redis expect)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def redis_keys(url: str, prefix: str) -> list[bytes]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return list(client.scan_iter(match=f"{prefix}:*".encode(), count=1000))
    finally:
        client.close()


def delete_prefix(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*".encode(), count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i:i + 500])
    finally:
        client.close()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[StoreFactory]:
    """Builds stores of one backend; stores built by one test share their data (same file / prefix)."""
    made: list[StateStore] = []
    prefix = f"gltest-{uuid.uuid4().hex[:12]}"
    redis_url = request.getfixturevalue("redis_url") if backend == "redis" else ""

    def factory(**kwargs: object) -> StateStore:
        store: StateStore
        if backend == "memory":
            if made:  # one process-local store: a "second instance" is the same object
                return made[0]
            store = MemoryStore(**kwargs)  # type: ignore[arg-type]
        elif backend == "sqlite":
            store = SqliteStore(str(tmp_path / "state.db"), **kwargs)  # type: ignore[arg-type]
        else:
            from guardline.state.redis import RedisStore

            store = RedisStore(redis_url, prefix=prefix, **kwargs)  # type: ignore[arg-type]
        made.append(store)
        return store

    yield factory
    for store in made:
        store.close()
    if backend == "redis":
        delete_prefix(redis_url, prefix)
