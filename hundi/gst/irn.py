"""The e-invoice Invoice Reference Number (IRN) and the on-chain invoice and buyer keys.

NIC e-invoice API documentation ("IRN - Invoice Reference Number", einv-apisandbox.nic.in/irn.html):

* IRN is the SHA-256 hash of Supplier GSTIN + Financial Year + Document Type + Document Number, concatenated
  with no separator; e.g. the string hashed for GSTIN 01AAAAA9999A19N, invoice ABC01234 of 12.12.2019 is
  ``01AAAAA9999A19N2019-20INVABC01234``. It is written as 64 lower-case hex characters.
* The financial year runs 1 April - 31 March, written YYYY-YY (a document of 03.01.2020 is in 2019-20).
* Document types are INV (invoice), CRN (credit note) and DBN (debit note).
* A document number has at most 16 characters from A-Z, 0-9, ``/`` and ``-``; it may not start with ``0``,
  ``/`` or ``-``, and lower-case letters are rejected (schema pattern ``^([A-Z1-9]{1}[A-Z0-9/-]{0,15})$``).

CONTRACTS.md fixes ``invoiceKey`` as the IRN's 32 bytes and ``buyerId`` as keccak256 of the buyer's GSTIN.
"""

from __future__ import annotations

import hashlib
import re
import string
from datetime import date

from eth_utils.crypto import keccak

from hundi.gst.errors import InvalidDocument
from hundi.gst.gstin import require_valid_gstin

DOC_TYPES: dict[str, str] = {"INV": "invoice", "CRN": "credit note", "DBN": "debit note"}
DOC_NUMBER_MAX = 16
_DOC_CHARS = frozenset(string.ascii_uppercase + string.digits + "/-")
_DOC_NUMBER = re.compile(r"[A-Z1-9][A-Z0-9/-]{0,15}")
_FINANCIAL_YEAR = re.compile(r"(\d{4})-(\d{2})")


def financial_year_of(day: date) -> str:
    """The Indian financial year (April to March) containing ``day``, as ``YYYY-YY``."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def validate_financial_year(text: str) -> str:
    """Return ``text`` if it is a well-formed ``YYYY-YY`` year whose halves are consecutive."""
    match = _FINANCIAL_YEAR.fullmatch(text)
    if match is None:
        raise InvalidDocument(f"financial year {text!r} must look like 2024-25")
    start, end = int(match.group(1)), int(match.group(2))
    if (start + 1) % 100 != end:
        raise InvalidDocument(
            f"financial year {text!r} must span consecutive years, e.g. {start}-{(start + 1) % 100:02d}"
        )
    return text


def validate_doc_type(text: str) -> str:
    if text not in DOC_TYPES:
        raise InvalidDocument(f"document type {text!r} must be one of {', '.join(DOC_TYPES)}")
    return text


def document_number_problems(text: str) -> list[str]:
    """Every IRP rule the document number breaks (empty when it is acceptable)."""
    problems: list[str] = []
    if not text:
        return ["document number is empty"]
    if len(text) > DOC_NUMBER_MAX:
        problems.append(f"document number has {len(text)} characters; the IRP allows at most {DOC_NUMBER_MAX}")
    if any(c in string.ascii_lowercase for c in text):
        problems.append("document number has lower-case letters; the IRP rejects them (use upper case)")
    bad = sorted({c for c in text if c not in _DOC_CHARS and c not in string.ascii_lowercase})
    if bad:
        problems.append(f"document number may only contain A-Z, 0-9, '/' and '-', not {''.join(bad)!r}")
    if text[0] in "0/-":
        problems.append(f"document number may not start with {text[0]!r}")
    if not problems and not _DOC_NUMBER.fullmatch(text):  # belt and braces: the schema's own pattern
        problems.append("document number does not match the e-invoice schema pattern")
    return problems


def validate_doc_number(text: str) -> str:
    """Return ``text`` if the IRP would accept it as a document number, else raise with every reason."""
    problems = document_number_problems(text)
    if problems:
        raise InvalidDocument(f"document number {text!r}: " + "; ".join(problems))
    return text


def irn_payload(supplier_gstin: str, financial_year: str, doc_type: str, doc_number: str) -> str:
    """The exact string the IRP hashes, after validating each part."""
    gstin = require_valid_gstin(supplier_gstin)
    return (
        gstin + validate_financial_year(financial_year) + validate_doc_type(doc_type) + validate_doc_number(doc_number)
    )


def irn(supplier_gstin: str, financial_year: str, doc_type: str, doc_number: str) -> str:
    """The IRN as the Invoice Registration Portal computes it: 64 lower-case hex characters."""
    payload = irn_payload(supplier_gstin, financial_year, doc_type, doc_number)
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def invoice_key(supplier_gstin: str, financial_year: str, doc_type: str, doc_number: str) -> bytes:
    """The on-chain ``invoiceKey``: the IRN's 32 bytes."""
    return bytes.fromhex(irn(supplier_gstin, financial_year, doc_type, doc_number))


def invoice_key_for(supplier_gstin: str, issue_date: date, doc_number: str, doc_type: str = "INV") -> bytes:
    """``invoice_key`` with the financial year taken from the invoice date."""
    return invoice_key(supplier_gstin, financial_year_of(issue_date), doc_type, doc_number)


def buyer_id(gstin: str) -> bytes:
    """The on-chain ``buyerId``: keccak256 of the normalised GSTIN's ASCII bytes (upper case, no spaces)."""
    return keccak(require_valid_gstin(gstin).encode("ascii"))
