"""``open_state``: one URL chooses the backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardline.errors import ConfigError
from guardline.state import MemoryStore, open_state
from guardline.state.sqlite import SqliteStore


@pytest.mark.parametrize("url", [None, "", "memory://", "memory:"])
def test_memory_by_default(url: str | None) -> None:
    assert isinstance(open_state(url), MemoryStore)


def test_memory_with_ttl() -> None:
    store = open_state("memory://?ttl=3600")
    assert isinstance(store, MemoryStore) and store.default_ttl_s == 3600


def test_sqlite_relative_and_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rel = open_state("sqlite:///rel.db?ttl=60")
    assert isinstance(rel, SqliteStore) and rel.path == "rel.db" and rel.default_ttl_s == 60
    rel.close()
    assert (tmp_path / "rel.db").exists()
    absolute = open_state(f"sqlite:///{tmp_path}/abs.db")
    assert isinstance(absolute, SqliteStore) and absolute.path == f"{tmp_path}/abs.db"
    absolute.close()
    mem = open_state("sqlite:///:memory:")
    mem.add_fingerprints("t", "c", [b"x" * 16])
    assert mem.owners("t", [b"x" * 16]) == {b"x" * 16: frozenset({"c"})}
    mem.close()


def test_redis_url_is_parsed_without_connecting() -> None:
    from guardline.state.redis import RedisStore

    store = open_state("redis://127.0.0.1:1/0?prefix=mine&ttl=5")
    assert isinstance(store, RedisStore) and store.prefix == "mine" and store.default_ttl_s == 5
    store.close()


@pytest.mark.parametrize("url", ["postgres://x/y", "sqlite://rel.db", "sqlite:///", "memory://?ttl=abc",
                                 "memory://?ttl=-1", "redis://h:1/0?prefix=a:b"])
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        open_state(url)


def test_error_hides_password() -> None:
    with pytest.raises(ConfigError) as err:
        open_state("ftp://user:s3cret@host/x")
    assert "s3cret" not in str(err.value)


def test_sqlite_unwritable_path_is_a_store_error(tmp_path: Path) -> None:
    from guardline.errors import StoreError

    with pytest.raises(StoreError):
        open_state(f"sqlite:///{tmp_path}/no/such/dir/x.db")
