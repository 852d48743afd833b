"""Export of a conversation and its offline verification with only the public key."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from audit_helpers import SECRET, Backend, fill

from guardline.audit import export_bundle, verify_bundle
from guardline.audit.crypto import AuditCrypto
from guardline.audit.store import open_store
from guardline.errors import IntegrityError, InvalidInput
from guardline.keys import KeyRing

CRYPTO = AuditCrypto(KeyRing(SECRET))
PUB = CRYPTO.public_key("acme")


def _bundle(backend: Backend, conversation: str = "conv1", n: int = 30, every: int = 10) -> dict[str, Any]:
    with backend.open(checkpoint_every=every) as log:
        fill(log, n)
    store = open_store(backend.url)
    try:
        return export_bundle(store, CRYPTO, tenant="acme", conversation=conversation)
    finally:
        store.close()


def test_bundle_verifies_offline_and_proves_only_a_short_span(backend: Backend) -> None:
    bundle = json.loads(json.dumps(_bundle(backend)))       # through a file, as a verifier gets it
    report = verify_bundle(bundle, PUB)
    assert report.events == 10 and report.conversation == "conv1"
    seqs = [e["seq"] for e in bundle["events"]]
    assert seqs == list(range(2, 31, 3))
    assert bundle["proof"]["start_seq"] == 2 and bundle["checkpoint"]["seq"] == 30
    assert all(e["entry"]["body"]["message"]["conversation"] == "conv1" for e in bundle["events"])
    assert "@x.io" not in json.dumps(bundle["events"])          # redacted entries only


def test_export_signs_a_checkpoint_when_none_covers_the_conversation(backend: Backend) -> None:
    bundle = _bundle(backend, n=14, every=1000)
    assert bundle["checkpoint"]["seq"] == 14
    verify_bundle(bundle, PUB)


def _mutations() -> list[tuple[str, Any]]:
    def edit_text(b: dict[str, Any]) -> None:
        b["events"][1]["entry"]["body"]["text"] = "all good"

    def edit_action(b: dict[str, Any]) -> None:
        b["events"][0]["entry"]["body"]["action"] = "allow"

    def move_event(b: dict[str, Any]) -> None:
        b["events"][0]["seq"] += 1

    def drop_leaf(b: dict[str, Any]) -> None:
        del b["proof"]["leaves"][3]

    def swap_leaves(b: dict[str, Any]) -> None:
        leaves = b["proof"]["leaves"]
        leaves[0], leaves[1] = leaves[1], leaves[0]

    def forge_head(b: dict[str, Any]) -> None:
        b["checkpoint"]["head"] = "00" * 32

    def other_conversation(b: dict[str, Any]) -> None:
        b["conversation"] = "conv2"

    return [(f.__name__, f) for f in (edit_text, edit_action, move_event, drop_leaf, swap_leaves, forge_head,
                                      other_conversation)]


@pytest.mark.parametrize(("name", "mutate"), _mutations(), ids=[n for n, _ in _mutations()])
def test_an_altered_bundle_fails(sqlite_backend: Backend, name: str, mutate: Any) -> None:
    bundle = _bundle(sqlite_backend)
    bad = copy.deepcopy(bundle)
    mutate(bad)
    with pytest.raises(IntegrityError):
        verify_bundle(bad, PUB)


def test_a_wrong_public_key_fails(sqlite_backend: Backend) -> None:
    bundle = _bundle(sqlite_backend)
    with pytest.raises(IntegrityError, match="signature"):
        verify_bundle(bundle, CRYPTO.public_key("another-tenant"))
    with pytest.raises(IntegrityError, match="signature"):
        verify_bundle(bundle, AuditCrypto(KeyRing(b"z" * 32)).public_key("acme"))


@pytest.mark.parametrize("corrupt", [
    None, [], "text", {"format": "something else"},
    {"format": "guardline-audit-bundle/1"},
    {"format": "guardline-audit-bundle/1", "tenant": "acme", "conversation": "c", "checkpoint": {"seq": 1}},
])
def test_a_corrupt_bundle_is_invalid_input(corrupt: Any) -> None:
    with pytest.raises(InvalidInput):
        verify_bundle(corrupt, PUB)


def test_corrupt_fields_inside_a_good_bundle(sqlite_backend: Backend) -> None:
    bundle = _bundle(sqlite_backend)
    for path, value in ((("proof", "prev"), "zz"), (("proof", "leaves"), "nope"), (("checkpoint", "head"), 5),
                        (("events",), [{"seq": "x"}])):
        bad = copy.deepcopy(bundle)
        target = bad
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(InvalidInput):
            verify_bundle(bad, PUB)


def test_export_of_unknown_tenant_or_conversation(sqlite_backend: Backend) -> None:
    _bundle(sqlite_backend)
    store = open_store(sqlite_backend.url)
    try:
        with pytest.raises(InvalidInput, match="unknown tenant"):
            export_bundle(store, CRYPTO, tenant="nobody", conversation="conv1")
        with pytest.raises(InvalidInput, match="no audit events"):
            export_bundle(store, CRYPTO, tenant="acme", conversation="nope")
    finally:
        store.close()
