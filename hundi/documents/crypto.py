"""The document envelope: AES-256-GCM under a per-document key, wrapped with the operator key.

Layout of envelope version 1 (all integers big-endian, offsets in bytes)::

    0   4   magic        b"HDOC"
    4   1   version      1
    5   1   suite        1 = AES-256-GCM for the data, AES-256-GCM to wrap the data key
    6   8   key id       first 8 bytes of SHA-256(b"hundi/document-key-id/v1" || operator key)
    14  12  wrap nonce
    26  48  wrapped key  32-byte data key + 16-byte GCM tag, AAD = bytes 0..14 (magic..key id)
    74  12  data nonce
    86  ..  ciphertext   plaintext length + 16-byte GCM tag, AAD = bytes 0..86 (the whole header)

Why this shape:

* A fresh random 256-bit data key per document means a nonce can never repeat under a data key, and the
  operator key only ever encrypts 32 random bytes (random 96-bit nonces are safe far beyond any
  realistic document count, NIST SP 800-38D section 8.3).
* Every header byte is authenticated: changing the version, suite, key id or either nonce, or
  splicing a wrapped key from another envelope, makes decryption fail.
* The key id lets a reader say "this was sealed under a different operator key" instead of a bare
  authentication failure, without revealing anything about the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hundi.documents.errors import DecryptionFailed, DocumentKeyError

MAGIC = b"HDOC"
VERSION = 1
SUITE_AES256GCM_GCMWRAP = 1
KEY_BYTES = 32
_NONCE = 12
_TAG = 16
_KEY_ID = 8
_PREFIX = len(MAGIC) + 2 + _KEY_ID  # magic, version, suite, key id
HEADER_BYTES = _PREFIX + _NONCE + (KEY_BYTES + _TAG) + _NONCE
OVERHEAD = HEADER_BYTES + _TAG


def key_id(operator_key: bytes) -> bytes:
    """The 8-byte fingerprint of an operator key written into each envelope."""
    return hashlib.sha256(b"hundi/document-key-id/v1" + operator_key).digest()[:_KEY_ID]


def _check_key(operator_key: bytes) -> None:
    if len(operator_key) != KEY_BYTES:
        raise DocumentKeyError(f"the operator document key must be {KEY_BYTES} bytes, got {len(operator_key)}")


def seal(plaintext: bytes, operator_key: bytes) -> bytes:
    """Encrypt ``plaintext`` into a version 1 envelope under ``operator_key``."""
    _check_key(operator_key)
    data_key = AESGCM.generate_key(bit_length=256)
    prefix = MAGIC + bytes([VERSION, SUITE_AES256GCM_GCMWRAP]) + key_id(operator_key)
    wrap_nonce = os.urandom(_NONCE)
    wrapped = AESGCM(operator_key).encrypt(wrap_nonce, data_key, prefix)
    data_nonce = os.urandom(_NONCE)
    header = prefix + wrap_nonce + wrapped + data_nonce
    return header + AESGCM(data_key).encrypt(data_nonce, plaintext, header)


def open_envelope(envelope: bytes, operator_key: bytes) -> bytes:
    """Decrypt a version 1 envelope.

    Raises:
        DecryptionFailed: saying whether the format, the key or the bytes are at fault.
    """
    _check_key(operator_key)
    if len(envelope) < OVERHEAD:
        raise DecryptionFailed(f"not a Hundi document envelope: {len(envelope)} bytes is shorter than a header")
    if envelope[:4] != MAGIC:
        raise DecryptionFailed("not a Hundi document envelope (bad magic bytes)")
    version, suite = envelope[4], envelope[5]
    if version != VERSION:
        raise DecryptionFailed(f"unsupported envelope version {version}; this build reads version {VERSION}")
    if suite != SUITE_AES256GCM_GCMWRAP:
        raise DecryptionFailed(f"unsupported envelope cipher suite {suite}")
    prefix = envelope[:_PREFIX]
    stored_id = envelope[6:_PREFIX]
    if not secrets.compare_digest(stored_id, key_id(operator_key)):
        raise DecryptionFailed(
            f"the document was sealed under a different operator key (key id {stored_id.hex()}, "
            f"this node's key id {key_id(operator_key).hex()}); check HUNDI_DOCUMENT_KEY"
        )
    pos = _PREFIX
    wrap_nonce = envelope[pos : pos + _NONCE]
    pos += _NONCE
    wrapped = envelope[pos : pos + KEY_BYTES + _TAG]
    pos += KEY_BYTES + _TAG
    data_nonce = envelope[pos : pos + _NONCE]
    header = envelope[:HEADER_BYTES]
    try:
        data_key = AESGCM(operator_key).decrypt(wrap_nonce, wrapped, prefix)
    except InvalidTag as exc:
        raise DecryptionFailed("the envelope header or wrapped key was altered (authentication failed)") from exc
    try:
        return AESGCM(data_key).decrypt(data_nonce, envelope[HEADER_BYTES:], header)
    except InvalidTag as exc:
        raise DecryptionFailed("the document ciphertext was altered (authentication failed)") from exc


def generate_key() -> str:
    """A fresh operator key, hex encoded, for ``HUNDI_DOCUMENT_KEY``."""
    return secrets.token_bytes(KEY_BYTES).hex()


def decode_key(text: str) -> bytes:
    """Decode a 32-byte key written as hex (optionally ``0x``-prefixed) or base64 (standard or URL-safe).

    Raises:
        DocumentKeyError: when the text is neither, or does not decode to 32 bytes.
    """
    value = text.strip()
    hex_part = value[2:] if value[:2].lower() == "0x" else value
    if len(hex_part) == 2 * KEY_BYTES:
        try:
            return bytes.fromhex(hex_part)
        except ValueError:
            pass  # reported below with the expected formats
    b64 = value.replace("-", "+").replace("_", "/")
    try:
        decoded = base64.b64decode(b64 + "=" * (-len(b64) % 4), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) == KEY_BYTES:
        return decoded
    raise DocumentKeyError(
        "HUNDI_DOCUMENT_KEY must be 32 bytes written as 64 hex characters or 44 base64 characters; "
        "generate one with `hundi doc keygen`"
    )


def is_placeholder_key(key: bytes) -> bool:
    """True for keys nobody should use outside a local chain: every byte the same (all zeros, 0x11.., ...)."""
    return len(set(key)) <= 1
