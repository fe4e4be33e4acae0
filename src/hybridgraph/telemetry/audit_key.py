"""The audit log's key, its MACs, and the strict JSON its lines are read with.

Entries are chained with HMAC-SHA256, so rewriting the chain needs the key, which is never kept
beside the log. The key is, in this order:

1. ``HYBRIDGRAPH_AUDIT_KEY``: a dedicated secret of at least 32 characters, used as it is. Set it
   where the log is verified by someone who must not hold the vault key (an auditor), or to keep
   the log's key apart from the data key's rotation.
2. Otherwise it is derived, with HKDF-SHA256 and a fixed label, from the data key that encrypts
   vaults and checkpoints (``HYBRIDGRAPH_VAULT_KEY``, else ``<home>/vault/key``, 0600). One secret
   then protects both, with no new file to lose. The derivation is one-way, so the audit key does
   not reveal the vault key. Rotating the vault key changes the audit key: set aside the log first
   (``hybridgraph audit rotate``) and keep the old key to verify it.

Each entry also carries ``key_id``, a MAC of a fixed label, so verification under another key
says so instead of calling every entry edited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from hybridgraph.errors import ConfigError

__all__ = ["AUDIT_KEY_ENV", "DuplicateKeyError", "audit_key", "key_id", "sign", "strict_json"]

AUDIT_KEY_ENV = "HYBRIDGRAPH_AUDIT_KEY"
_MIN_SECRET = 32
_HKDF_INFO = b"hybridgraph audit log HMAC-SHA256 v1"


def audit_key() -> bytes:
    """The audit MAC key: ``HYBRIDGRAPH_AUDIT_KEY``, else derived from the data key (see the module)."""
    configured = os.environ.get(AUDIT_KEY_ENV)
    if configured is not None:
        if len(configured.strip()) < _MIN_SECRET:
            raise ConfigError(
                f"{AUDIT_KEY_ENV} is shorter than {_MIN_SECRET} characters",
                fix="set it to the output of: python -c 'import secrets; print(secrets.token_hex(32))', "
                "or unset it to derive the audit key from the vault key",
            )
        return configured.strip().encode("utf-8")
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from hybridgraph.tools.pii.vault_store import data_key

    secret = base64.urlsafe_b64decode(data_key())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret)


def sign(key: bytes, body: dict[str, Any]) -> str:
    """The HMAC-SHA256 (hex) of ``body`` as canonical JSON (sorted keys, no spaces)."""
    message = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A short public name of ``key`` (a MAC of a fixed label): equal ids mean the same key."""
    return hmac.new(key, b"hybridgraph audit key id", hashlib.sha256).hexdigest()[:16]


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice (``json`` would keep the last one silently)."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"duplicate key {key!r}")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for name, value in pairs:
        if name in seen:
            raise DuplicateKeyError(name)
        seen[name] = value
    return seen


def strict_json(raw: bytes | str) -> Any:
    """``json.loads`` that raises ``DuplicateKeyError`` (a ``ValueError``) on a repeated key."""
    return json.loads(raw, object_pairs_hook=_unique)
