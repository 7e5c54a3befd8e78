"""The oracle's exceptions: one base class, one subclass per way the relay can fail."""

from __future__ import annotations

from hundi.errors import HundiError


class OracleError(HundiError):
    """Base class of every oracle error."""


class ConfigError(OracleError):
    """The oracle is configured in a way it must not run with (a raw key on a public chain, a placeholder secret)."""


class KeyLoadError(OracleError):
    """A signing key could not be loaded (missing keystore, wrong passphrase, unknown alias)."""


class TransactionError(OracleError):
    """A transaction could not be built or sent."""


class Reverted(TransactionError):
    """A call or transaction reverted; `error` is the decoded custom error name (or the raw reason)."""

    def __init__(self, error: str, args: tuple[object, ...] = (), raw: str = "") -> None:
        super().__init__(f"{error}{args!r}" if args else error)
        self.error = error
        self.args_ = args
        self.raw = raw


class PeerRefused(OracleError):
    """A peer's signature was refused; carries the HTTP status and a machine code for the API."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
