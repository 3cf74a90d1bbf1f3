"""The tamper-evident audit log: a hash chain over canonical JSON with signed checkpoints.

``docs/audit.md`` describes the construction, what verification detects and what
it cannot.
"""

from typing import TYPE_CHECKING

from proctor._lazy import lazy_exports

if TYPE_CHECKING:
    from proctor.audit._backend import StoredRow
    from proctor.audit._canonical import canonical_json
    from proctor.audit._chain import GENESIS_HASH, AuditEntry, Checkpoint
    from proctor.audit._log import AuditLog, verify_log
    from proctor.audit._signer import (
        CheckpointSigner,
        SigningKeyError,
        load_public_keys,
        public_key_id,
    )
    from proctor.audit._verify import VerifyReport
    from proctor.audit._writer import AuditStats

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditLog",
    "AuditStats",
    "Checkpoint",
    "CheckpointSigner",
    "SigningKeyError",
    "StoredRow",
    "VerifyReport",
    "canonical_json",
    "load_public_keys",
    "public_key_id",
    "verify_log",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(
        __name__,
        {
            "_backend": ("StoredRow",),
            "_canonical": ("canonical_json",),
            "_chain": ("GENESIS_HASH", "AuditEntry", "Checkpoint"),
            "_log": ("AuditLog", "verify_log"),
            "_signer": ("CheckpointSigner", "SigningKeyError", "load_public_keys", "public_key_id"),
            "_verify": ("VerifyReport",),
            "_writer": ("AuditStats",),
        },
    )
