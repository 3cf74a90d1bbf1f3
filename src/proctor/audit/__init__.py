"""The tamper-evident audit log: a hash chain over canonical JSON with signed checkpoints.

``docs/audit.md`` describes the construction, what verification detects and what
it cannot.
"""

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
