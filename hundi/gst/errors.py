"""Errors of the ``hundi.gst`` package."""

from __future__ import annotations

from hundi.errors import HundiError


class GstError(HundiError):
    """Base class of every GST validation and registry error."""


class InvalidGstin(GstError):
    """A GSTIN failed validation where a valid one is required; ``reasons`` says why."""

    def __init__(self, gstin: str, reasons: list[str]) -> None:
        self.gstin = gstin
        self.reasons = reasons
        super().__init__(f"invalid GSTIN {gstin!r}: " + "; ".join(reasons))


class InvalidDocument(GstError):
    """An e-invoice field (financial year, document type or number) breaks the IRP rules."""


class RegistryError(GstError):
    """The GST registry answered, but not with a usable taxpayer record (e.g. 401, 400, malformed JSON)."""


class RegistryUnavailable(RegistryError):
    """The GST registry could not be reached, kept failing, or its circuit breaker is open."""
