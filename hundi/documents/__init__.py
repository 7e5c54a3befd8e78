"""Invoice documents: CIDs as ``ipfs add --cid-version=1`` gives them, encryption, and storage backends."""

from hundi.documents.cid import compute_cid, parse_cid
from hundi.documents.errors import (
    DecryptionFailed,
    DocumentError,
    DocumentKeyError,
    DocumentNotFound,
    IntegrityError,
    InvalidCid,
    StoreUnavailable,
)
from hundi.documents.store import DocumentStore, IpfsStore, LocalStore
from hundi.documents.vault import DocumentVault, StoredDocument, doc_digest

__all__ = [
    "DecryptionFailed",
    "DocumentError",
    "DocumentKeyError",
    "DocumentNotFound",
    "DocumentStore",
    "DocumentVault",
    "IntegrityError",
    "InvalidCid",
    "IpfsStore",
    "LocalStore",
    "StoreUnavailable",
    "StoredDocument",
    "compute_cid",
    "doc_digest",
    "parse_cid",
]
