"""The key store on real SQLite and real PostgreSQL: one contract for both."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from guardline.errors import ConfigError
from guardline.server import KeyStore


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyStore]:
    if request.param == "sqlite":
        ks = KeyStore(f"sqlite:///{tmp_path / 'keys.db'}")
        yield ks
        ks.close()
        return
    base = request.getfixturevalue("postgres_url")
    schema = "glkeys_" + uuid.uuid4().hex[:10]
    ks = KeyStore(f"{base}?schema={schema}")
    yield ks
    ks.close()
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_tenants_keys_scopes_and_revocation(store: KeyStore) -> None:
    assert store.create_tenant("acme") is True
    assert store.create_tenant("acme") is False
    assert store.tenants() == ["acme"]
    assert not store.has_keys()
    key, rec = store.create_key("acme", "read")
    assert key.startswith(f"glk_{rec.id}_") and len(key) == 4 + 12 + 1 + 43
    p = store.verify(key)
    assert p is not None and (p.tenant, p.scope) == ("acme", "read")
    assert p.allows("check") and p.allows("read") and not p.allows("admin")
    assert store.verify(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert store.verify("not a key") is None
    assert store.verify(f"glk_{rec.id}_" + "x" * 43) is None  # right id, wrong secret
    assert [k.id for k in store.list_keys("acme")] == [rec.id]
    assert store.revoke_key("acme", rec.id) is True
    assert store.verify(key) is None
    assert store.revoke_key("acme", rec.id) is False


def test_refuses_bad_names_scopes_and_unknown_tenants(store: KeyStore) -> None:
    with pytest.raises(ConfigError):
        store.create_tenant("no spaces please")
    with pytest.raises(ConfigError):
        store.create_key("ghost", "check")
    store.create_tenant("acme")
    with pytest.raises(ConfigError):
        store.create_key("acme", "root")


def test_only_the_hash_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "keys.db"
    store = KeyStore(f"sqlite:///{path}")
    store.create_tenant("acme")
    key, _ = store.create_key("acme", "admin")
    store.close()
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump())
    assert key not in dump and key.split("_", 2)[2] not in dump  # the secret may itself hold "_"
    assert hashlib.sha256(key.encode()).hexdigest() in dump
