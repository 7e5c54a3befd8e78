"""The backend's domain exceptions: one base class, one subclass per way indexing can fail."""

from __future__ import annotations

from hundi.errors import HundiError


class BackendError(HundiError):
    """Base class of every backend error."""


class DatabaseError(BackendError):
    """The database is unreachable, misconfigured or at an unexpected schema."""


class IndexerError(BackendError):
    """Base class of indexer errors."""


class RpcError(IndexerError):
    """A JSON-RPC call failed: the node answered with an error object, or not at all."""

    def __init__(self, method: str, message: str, code: int | None = None) -> None:
        self.method = method
        self.code = code
        self.message = message
        super().__init__(f"{method}: {message}" + (f" (code {code})" if code is not None else ""))


class RpcUnavailable(RpcError):
    """The node could not be reached or did not answer in time."""


class RangeTooLarge(RpcError):
    """eth_getLogs refused the block range (too many results, response too big, or it timed out).

    Attributes:
        suggested: the block range the node proposed instead, when its message names one (Alchemy does).
    """

    def __init__(self, method: str, message: str, code: int | None = None, suggested: tuple[int, int] | None = None):
        super().__init__(method, message, code)
        self.suggested = suggested


class ChainChanged(IndexerError):
    """What the node returned no longer links to what is indexed: a reorg happened while a batch was fetched."""


class ReorgTooDeep(IndexerError):
    """The chain diverged below the oldest block hash the indexer keeps, so the common ancestor is unknown."""


class ChainMismatch(IndexerError):
    """The database holds another chain's data for this deployment (the node was reset or points elsewhere)."""


class CursorMoved(IndexerError):
    """Another indexer advanced the cursor while this one was writing the same batch; the batch was rolled back."""
