"""Encryption of original texts and signing of checkpoints.

Keys, all per tenant, all from the one master secret (``GUARDLINE_SECRET``) through ``KeyRing``:

- **data keys**: one random 256-bit AES-GCM key per customer (``key_id``: 16 random hex digits). The
  original text, grounding and metadata of each message are encrypted under it (fresh 96-bit nonce,
  associated data binds tenant, key id and seq). The data key is stored only WRAPPED (AES-GCM) under the
  tenant's wrapping key ``keys.key("audit-wrap", tenant)``, associated data binding tenant, customer
  and key id. ``forget`` deletes the wrapped key: every ciphertext of that customer becomes noise
  (crypto-shredding) while the chain, which hashes only the ciphertext's digest, still verifies.
- **checkpoint signing key**: Ed25519, deterministic, seed ``keys.key("audit-sign", tenant)``. Its
  public key (``public_key(tenant)``, 32 bytes, shown in hex by ``guardline audit pubkey``) is all
  an offline verifier needs. Rotating ``GUARDLINE_SECRET`` changes it: keep old public keys.
"""

from __future__ import annotations

import os
import threading

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ..errors import IntegrityError, InvalidInput
from ..keys import KeyRing
from .chain import Checkpoint

__all__ = ["AuditCrypto", "new_key_id", "parse_public_key", "signature_ok"]

_NONCE = 12


def new_key_id() -> str:
    return os.urandom(8).hex()


def _wrap_aad(tenant: str, customer: str, key_id: str) -> bytes:
    return b"guardline-dek/v1\x00" + tenant.encode() + b"\x00" + customer.encode("utf-8", "surrogatepass") \
        + b"\x00" + key_id.encode()


def _data_aad(tenant: str, key_id: str, seq: int) -> bytes:
    return b"guardline-text/v1\x00" + tenant.encode() + b"\x00" + key_id.encode() + b"\x00" + str(seq).encode()


class AuditCrypto:
    """Wraps and unwraps data keys, seals and opens texts, signs checkpoints. Thread-safe."""

    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys
        self._signers: dict[str, Ed25519PrivateKey] = {}
        self._lock = threading.Lock()

    # -- data keys ------------------------------------------------------------------------------------
    def new_data_key(self, tenant: str, customer: str, key_id: str) -> tuple[bytes, bytes]:
        """A fresh data key and its wrapped form (nonce || AES-GCM(wrap key, data key))."""
        dek = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE)
        wrapped = nonce + AESGCM(self.keys.key("audit-wrap", tenant)).encrypt(
            nonce, dek, _wrap_aad(tenant, customer, key_id))
        return dek, wrapped

    def unwrap(self, tenant: str, customer: str, key_id: str, wrapped: bytes) -> bytes:
        try:
            return AESGCM(self.keys.key("audit-wrap", tenant)).decrypt(
                wrapped[:_NONCE], wrapped[_NONCE:], _wrap_aad(tenant, customer, key_id))
        except (InvalidTag, ValueError):
            raise IntegrityError(f"data key {key_id} of tenant {tenant!r} does not unwrap: wrong "
                                 "GUARDLINE_SECRET, or the stored key was altered") from None

    # -- texts ------------------------------------------------------------------------------------------
    @staticmethod
    def seal(dek: bytes, plaintext: bytes, *, tenant: str, key_id: str, seq: int) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(dek).encrypt(nonce, plaintext, _data_aad(tenant, key_id, seq))

    @staticmethod
    def open(dek: bytes, blob: bytes, *, tenant: str, key_id: str, seq: int) -> bytes:
        try:
            return AESGCM(dek).decrypt(blob[:_NONCE], blob[_NONCE:], _data_aad(tenant, key_id, seq))
        except (InvalidTag, ValueError):
            raise IntegrityError(f"ciphertext of event {seq} of tenant {tenant!r} does not decrypt") from None

    # -- checkpoints ------------------------------------------------------------------------------------
    def _signer(self, tenant: str) -> Ed25519PrivateKey:
        signer = self._signers.get(tenant)
        if signer is None:
            signer = Ed25519PrivateKey.from_private_bytes(self.keys.key("audit-sign", tenant))
            with self._lock:
                self._signers[tenant] = signer
        return signer

    def public_key(self, tenant: str) -> bytes:
        return self._signer(tenant).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, cp: Checkpoint) -> Checkpoint:
        return Checkpoint(cp.tenant, cp.seq, cp.head, cp.ts, self._signer(cp.tenant).sign(cp.message()))

    def signature_ok(self, cp: Checkpoint) -> bool:
        return signature_ok(self.public_key(cp.tenant), cp)


def signature_ok(public_key: bytes, cp: Checkpoint) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(cp.signature, cp.message())
    except (InvalidSignature, ValueError):
        return False
    return True


def parse_public_key(text: str) -> bytes:
    """A public key as ``guardline audit pubkey`` prints it: 64 hex digits."""
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise InvalidInput("expected 64 hex digits (an Ed25519 public key)", field="pubkey")
    return raw
