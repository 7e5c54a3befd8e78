"""Errors of the ``hundi.documents`` package: one base class, one subclass per way a document can fail."""

from __future__ import annotations

from hundi.errors import HundiError


class DocumentError(HundiError):
    """Base class of every document storage, CID and encryption error."""


class InvalidCid(DocumentError):
    """A string is not a CIDv1 this store can address (bad multibase, varint, codec or multihash)."""


class DocumentNotFound(DocumentError):
    """No document is stored under the CID."""

    def __init__(self, cid: str, detail: str = "") -> None:
        self.cid = cid
        message = f"no document is stored under CID {cid}"
        super().__init__(f"{message}: {detail}" if detail else message)


class IntegrityError(DocumentError):
    """Bytes do not match the CID or digest they were stored or requested under."""


class DecryptionFailed(DocumentError):
    """An envelope could not be opened: wrong operator key, tampered bytes or an unknown format."""


class DocumentKeyError(DocumentError):
    """The operator document key is missing, malformed, or a placeholder where a real key is required."""


class StoreUnavailable(DocumentError):
    """The storage backend (for example the IPFS node) could not be reached or answered with an error."""
