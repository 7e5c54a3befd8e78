"""GST rules Hundi relies on: GSTIN validation, the e-invoice IRN, and registration lookups."""

from hundi.gst.errors import GstError, InvalidDocument, InvalidGstin, RegistryError, RegistryUnavailable
from hundi.gst.gstin import GstinCheck, compute_check_char, require_valid_gstin, validate_gstin
from hundi.gst.irn import buyer_id, financial_year_of, invoice_key, irn
from hundi.gst.registry import GstRegistry, HttpGstRegistry, SandboxGstRegistry, Taxpayer

__all__ = [
    "GstError",
    "GstRegistry",
    "GstinCheck",
    "HttpGstRegistry",
    "InvalidDocument",
    "InvalidGstin",
    "RegistryError",
    "RegistryUnavailable",
    "SandboxGstRegistry",
    "Taxpayer",
    "buyer_id",
    "compute_check_char",
    "financial_year_of",
    "invoice_key",
    "irn",
    "require_valid_gstin",
    "validate_gstin",
]
