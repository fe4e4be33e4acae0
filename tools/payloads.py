"""How a passage is kept in a Qdrant payload: in the clear, or sealed with the data key.

A ``PayloadCodec`` turns a passage's fields (``Passage.model_dump(mode="json")``) into the
payload stored with its point and back, and says what a filter on a field compares with.

``PlainPayloads`` stores the fields as they are. ``SealedPayloads`` (the default of the local
Qdrant store, whose files sit in the data home) encrypts every field that holds document text
or names it, ``SEALED`` (the passage text, its section heading and its source's file name), as
one Fernet token under ``sealed``, with the key of the pseudonym vaults and checkpoints
(``HYBRIDGRAPH_VAULT_KEY`` or ``<home>/vault/key``). It keeps in the clear what a search filters
on and what holds no text: offsets, chunk number, sensitivity, document type and tenant. The
source stays filterable through a keyed digest (HMAC-SHA256 with a key derived from the data
key), so equal names match and the name cannot be read or guessed without the key.

The vectors stay as they are (a search needs them): the BM25 vector holds hashes of words and
their weights, the dense vector an embedding, from which an attacker with the embedding model can
recover an approximation of the text; that is why the local store's files are also owner-only.
The point id is a hash of the source, offsets and text: it confirms a guessed passage, no more.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from hybridgraph.errors import ConfigError, InputError, PrivacyError

__all__ = ["SEALED", "SEALED_FIELD", "PayloadCodec", "PlainPayloads", "SealedPayloads"]

#: The passage fields that hold document text or name the document.
SEALED = ("text", "section", "source")
#: The payload field that holds them, encrypted.
SEALED_FIELD = "sealed"
#: Sealed fields a filter may still name (matched through their keyed digest).
_DIGESTED = ("source",)


class PayloadCodec(ABC):
    """A passage's fields to a stored payload and back."""

    @abstractmethod
    def encode(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The payload to store for a passage's fields."""

    @abstractmethod
    def decode(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The passage's fields from a stored payload."""

    @abstractmethod
    def match(self, key: str, value: str | int) -> str | int:
        """What the payload holds under ``key`` for a passage whose field ``key`` is ``value``;
        ``InputError`` if the field cannot be filtered on."""

    @abstractmethod
    def check(self, collection: str, payload: Mapping[str, Any]) -> None:
        """``ConfigError`` with the fix if ``payload`` (one of the collection's) was stored another way."""


class PlainPayloads(PayloadCodec):
    """Fields stored as they are (the payloads of a Qdrant server, and of ``:memory:``)."""

    def encode(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The fields, unchanged."""
        return dict(fields)

    def decode(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The payload, unchanged."""
        return dict(payload)

    def match(self, key: str, value: str | int) -> str | int:
        """``value`` itself."""
        return value

    def check(self, collection: str, payload: Mapping[str, Any]) -> None:
        """Refuses a collection of sealed payloads, which only the local store can read."""
        if SEALED_FIELD in payload:
            raise ConfigError(
                f"collection '{collection}' holds encrypted passages (a local hybridgraph store wrote them)",
                fix="search it through the local store it was ingested into, or ingest the documents here again",
            )


class SealedPayloads(PayloadCodec):
    """The ``SEALED`` fields encrypted with the data key; ``key`` defaults to the vault key,
    read (or created) on first use."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key

    def encode(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The fields with ``SEALED`` replaced by one token, and the source by its keyed digest."""
        secret = {name: fields[name] for name in SEALED if name in fields}
        payload = {name: value for name, value in fields.items() if name not in SEALED}
        payload[SEALED_FIELD] = self._keys[0].encrypt(json.dumps(secret).encode("utf-8")).decode("ascii")
        payload.update({name: self._digest(secret[name]) for name in _DIGESTED if name in secret})
        return payload

    def decode(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The fields, decrypted; ``PrivacyError`` if the token was sealed with another key,
        ``ConfigError`` (ingest again) if the payload was stored in the clear."""
        from cryptography.fernet import InvalidToken

        if SEALED_FIELD not in payload:
            raise _in_the_clear("COLLECTION")
        fields = {name: value for name, value in payload.items() if name != SEALED_FIELD}
        try:
            fields.update(json.loads(self._keys[0].decrypt(str(payload[SEALED_FIELD]).encode("ascii"))))
        except InvalidToken:
            from hybridgraph.tools.pii.vault_store import KEY_ENV

            raise PrivacyError(
                "the knowledge store's passages cannot be decrypted with this key",
                fix=f"set {KEY_ENV} to the key they were ingested with, or ingest them again with --replace",
            ) from None
        return fields

    def match(self, key: str, value: str | int) -> str | int:
        """The keyed digest of a source; ``InputError`` for the text and the section."""
        if key in _DIGESTED:
            return self._digest(str(value))
        if key in SEALED:
            raise InputError(
                f"the field '{key}' is encrypted in the local knowledge store and cannot be filtered on",
                fix="filter on source, doc_type, tenant or chunk_id, or search for the words instead",
            )
        return value

    def check(self, collection: str, payload: Mapping[str, Any]) -> None:
        """Refuses a collection whose passages an earlier hybridgraph stored in the clear."""
        if SEALED_FIELD not in payload:
            raise _in_the_clear(collection)

    @functools.cached_property
    def _keys(self) -> tuple[Any, bytes]:
        """The Fernet that seals, and the key of the digests (derived: it never opens a token)."""
        from cryptography.fernet import Fernet

        from hybridgraph.tools.pii.vault_store import checked_key, data_key

        key = checked_key(self._key) if self._key else data_key()
        return Fernet(key), hashlib.sha256(b"hybridgraph payload index\x00" + key).digest()

    def _digest(self, value: str) -> str:
        return hmac.new(self._keys[1], value.encode("utf-8"), hashlib.sha256).hexdigest()


def _in_the_clear(collection: str) -> ConfigError:
    return ConfigError(
        f"collection '{collection}' holds its passages' text unencrypted (an earlier hybridgraph "
        "ingested it); the local store now keeps passage text encrypted",
        fix=f"ingest its documents again: hybridgraph ingest PATH... --collection {collection} --replace",
    )
