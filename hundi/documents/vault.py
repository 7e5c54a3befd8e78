"""The high-level document API: encrypt, store, fetch and check invoice documents."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from hundi.documents.crypto import open_envelope, seal
from hundi.documents.errors import IntegrityError
from hundi.documents.store import DocumentStore


@dataclass(frozen=True)
class StoredDocument:
    """What an upload returns and what goes on chain.

    Attributes:
        cid: CIDv1 of the stored (encrypted) envelope; the on-chain ``docCid``.
        doc_digest: SHA-256 of the plaintext; the on-chain ``docDigest`` (bytes32).
        size: plaintext length in bytes.
        stored_size: envelope length in bytes (plaintext + header + tag).
    """

    cid: str
    doc_digest: bytes
    size: int
    stored_size: int

    @property
    def doc_digest_hex(self) -> str:
        """The digest as ``0x``-prefixed hex, the form web3 tooling takes for bytes32."""
        return "0x" + self.doc_digest.hex()


def doc_digest(plaintext: bytes) -> bytes:
    """The on-chain ``docDigest``: SHA-256 of the plaintext, so any holder of the file can check it."""
    return hashlib.sha256(plaintext).digest()


def _digest_bytes(expected: bytes | str) -> bytes:
    if isinstance(expected, bytes):
        value = expected
    else:
        text = expected[2:] if expected[:2].lower() == "0x" else expected
        try:
            value = bytes.fromhex(text)
        except ValueError:
            raise IntegrityError(f"expected digest {expected!r} is not hex") from None
    if len(value) != 32:
        raise IntegrityError(f"expected digest must be 32 bytes, got {len(value)}")
    return value


class DocumentVault:
    """Encrypts documents before they reach a :class:`DocumentStore` and checks them on the way back."""

    def __init__(self, backend: DocumentStore, operator_key: bytes) -> None:
        self.backend = backend
        self._key = operator_key

    def store(self, plaintext: bytes) -> StoredDocument:
        """Seal ``plaintext``, store the envelope and return its CID and the plaintext digest."""
        envelope = seal(plaintext, self._key)
        cid = self.backend.put(envelope)
        return StoredDocument(cid, doc_digest(plaintext), len(plaintext), len(envelope))

    def load(self, cid: str, expected_digest: bytes | str | None = None) -> bytes:
        """Fetch, decrypt and (when ``expected_digest`` is given, e.g. the on-chain one) check a document.

        Raises:
            InvalidCid, DocumentNotFound: for a bad or unknown CID.
            DecryptionFailed: wrong operator key or altered envelope.
            IntegrityError: the plaintext does not match ``expected_digest``.
        """
        plaintext = open_envelope(self.backend.get(cid), self._key)
        if expected_digest is not None:
            want = _digest_bytes(expected_digest)
            got = doc_digest(plaintext)
            if not secrets.compare_digest(want, got):
                raise IntegrityError(
                    f"document {cid} decrypts to content with digest 0x{got.hex()}, expected 0x{want.hex()}"
                )
        return plaintext
