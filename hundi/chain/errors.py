"""Errors of the chain layer."""

from hundi.errors import HundiError


class ChainError(HundiError):
    """Base class of chain-layer errors."""


class ArtifactsMissing(ChainError):
    """The contracts have not been compiled (or a contract is missing from the compile output)."""


class DeploymentError(ChainError):
    """A deployment could not be made, written or loaded."""
