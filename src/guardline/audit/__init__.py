"""The tamper-evident audit trail: hash-chained events per tenant, signed checkpoints, encrypted
original texts with per-customer keys (crypto-shredding), offline-verifiable exports and replay.

Modules: ``chain`` (what an entry is, hashing, verification: written once), ``crypto`` (data keys,
checkpoint signatures), ``store`` (the backend contract), ``sqlite`` and ``postgres`` (backends),
``writer`` (group commit), ``sink`` (``AuditLog``, ``open_audit``), ``verify`` (store verification,
bundles), ``replay`` (recorded traffic through a new policy).
"""

from .chain import Checkpoint, Problem, ProblemKind, VerifyReport
from .sink import AuditLog, audit_options, open_audit
from .verify import BundleReport, export_bundle, read_checkpoint_file, verify_bundle, verify_store

__all__ = [
    "AuditLog",
    "BundleReport",
    "Checkpoint",
    "Problem",
    "ProblemKind",
    "VerifyReport",
    "audit_options",
    "export_bundle",
    "open_audit",
    "read_checkpoint_file",
    "verify_bundle",
    "verify_store",
]
