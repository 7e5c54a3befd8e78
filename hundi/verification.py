"""Invoice verification: does the uploaded document support what was minted on chain?

The chain stores only hashes of the identifying fields, so verification reads the document (OCR), recomputes
those hashes from what it read and compares them with the minted ``MintRequest``. The outcome is the
``checks`` bitmask the oracle signs into its EIP-712 ``Verification`` report (CONTRACTS.md, OracleHub):

====  =========================================================================================
bit   check
====  =========================================================================================
0     GSTIN checksums valid: the seller's and the buyer's GSTIN on the document both validate
1     seller registered and active in the GST registry
2     buyer registered and active in the GST registry
3     OCR fields match: total == faceValue, issue and due dates == the minted dates (in IST), and
      keccak256(buyer GSTIN) == buyerId (plus any declared off-chain fields)
4     IRN matches invoiceKey: SHA-256(seller GSTIN + financial year + "INV" + number) == invoiceKey
5     document digest matches: sha256(document) == docDigest
====  =========================================================================================

An invoice is approved only with all six bits set. Each bit is computed on its own, so a single
discrepancy clears only the bit it concerns and is named in ``mismatches``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import IntFlag

from eth_utils.crypto import keccak

from hundi.errors import HundiError
from hundi.gst.errors import GstError, InvalidGstin, RegistryError
from hundi.gst.gstin import validate_gstin
from hundi.gst.irn import buyer_id, financial_year_of, invoice_key
from hundi.gst.registry import GstRegistry, Taxpayer
from hundi.ocr import OcrError, OcrUnavailable, extract_document
from hundi.ocr.fields import ExtractionResult
from hundi.risk import BuyerHistory, RiskAssessment, RiskInput, RiskModel, SellerHistory

# Invoice dates are calendar days in India; the chain stores unix seconds (CONTRACTS.md, MintRequest).
IST = timezone(timedelta(hours=5, minutes=30), "IST")


class Check(IntFlag):
    """The bits of the OracleHub ``checks`` field (CONTRACTS.md)."""

    GSTIN_VALID = 1 << 0
    SELLER_ACTIVE = 1 << 1
    BUYER_ACTIVE = 1 << 2
    FIELDS_MATCH = 1 << 3
    IRN_MATCH = 1 << 4
    DIGEST_MATCH = 1 << 5


ALL_CHECKS = Check(0b111111)


class VerificationError(HundiError):
    """The declared invoice is malformed (not a document problem: the request itself is wrong)."""


@dataclass(frozen=True)
class DeclaredInvoice:
    """What the seller declared: the on-chain ``MintRequest`` fields, plus optional off-chain fields.

    Attributes:
        invoice_key: bytes32, the IRN's 32 bytes.
        buyer_id: bytes32, keccak256 of the buyer's GSTIN.
        face_value: the total in the settlement token's base units.
        issue_date, due_date: unix seconds (the IST calendar day is what is compared).
        doc_digest: bytes32, sha256 of the document.
        decimals: the settlement token's decimals (the rupee stablecoin has 6).
        seller_gstin, buyer_gstin, invoice_number: off-chain declarations (the upload form); when given they
            must match the document too.
    """

    invoice_key: bytes
    buyer_id: bytes
    face_value: int
    issue_date: int
    due_date: int
    doc_digest: bytes
    decimals: int = 6
    seller_gstin: str | None = None
    buyer_gstin: str | None = None
    invoice_number: str | None = None

    def __post_init__(self) -> None:
        for name in ("invoice_key", "buyer_id", "doc_digest"):
            if len(getattr(self, name)) != 32:
                raise VerificationError(f"{name} must be 32 bytes, got {len(getattr(self, name))}")
        if self.face_value <= 0:
            raise VerificationError(f"face_value must be positive, got {self.face_value}")
        if not 0 <= self.decimals <= 36:
            raise VerificationError(f"decimals must be 0..36, got {self.decimals}")

    @property
    def issue_day(self) -> date:
        """The issue date as an IST calendar day."""
        return ist_date(self.issue_date)

    @property
    def due_day(self) -> date:
        """The due date as an IST calendar day."""
        return ist_date(self.due_date)


@dataclass(frozen=True)
class Mismatch:
    """Why a check bit is clear."""

    check: Check
    message: str

    def __str__(self) -> str:
        return f"{self.check.name}: {self.message}"


@dataclass(frozen=True)
class VerificationResult:
    """The verdict on one invoice.

    ``checks`` is the uint16 bitmask for the report and ``approved`` is ``checks == ALL_CHECKS``.
    ``mismatches`` names every failed check (one entry per reason); ``warnings`` carries what OCR noticed
    without failing a check. ``risk_input`` is what the risk model needs (from the minted fields and the
    parties' histories); ``risk`` is its assessment when a model was given.
    """

    checks: int
    approved: bool
    mismatches: tuple[Mismatch, ...]
    warnings: tuple[str, ...]
    extraction: ExtractionResult | None
    seller: Taxpayer | None
    buyer: Taxpayer | None
    risk_input: RiskInput
    risk: RiskAssessment | None = None

    def failed(self) -> Check:
        """The bits that are clear."""
        return ALL_CHECKS & ~Check(self.checks)


def ist_date(unix_seconds: int) -> date:
    """The calendar day in India at ``unix_seconds``."""
    return datetime.fromtimestamp(unix_seconds, IST).date()


def to_base_units(rupees: Decimal, decimals: int) -> int | None:
    """``rupees`` in token base units, or None if it is not a whole number of them."""
    scaled = rupees.scaleb(decimals)
    return int(scaled) if scaled == scaled.to_integral_value() else None


@dataclass
class _Verdict:
    checks: Check = ALL_CHECKS
    mismatches: list[Mismatch] = field(default_factory=list)

    def fail(self, check: Check, message: str) -> None:
        self.checks &= ~check
        self.mismatches.append(Mismatch(check, message))


def verify_invoice(
    document: bytes,
    declared: DeclaredInvoice,
    registry: GstRegistry,
    *,
    seller_history: SellerHistory | None = None,
    buyer_history: BuyerHistory | None = None,
    risk_model: RiskModel | None = None,
    extract: Callable[[bytes], ExtractionResult] = extract_document,
) -> VerificationResult:
    """Verify ``document`` against the ``declared`` (minted) invoice and the GST ``registry``.

    Args:
        document: the invoice file as uploaded (its sha256 must be the minted docDigest).
        declared: the minted fields, plus any off-chain declarations.
        registry: where GSTIN registrations are looked up.
        seller_history, buyer_history: the parties' past outcomes, passed through to the risk input.
        risk_model: when given, ``risk`` holds its assessment.
        extract: the document reader (the sandboxed OCR by default).

    Raises:
        OcrUnavailable: Tesseract is not installed (an operator problem, not the invoice's).
        RegistryUnavailable: the GST registry cannot answer now; retry later rather than reject.
    """
    verdict = _Verdict()
    if hashlib.sha256(document).digest() != declared.doc_digest:
        verdict.fail(Check.DIGEST_MATCH, "sha256 of the document differs from the minted docDigest")

    extraction: ExtractionResult | None = None
    try:
        extraction = extract(document)
    except OcrUnavailable:
        raise
    except OcrError as exc:
        # An unreadable document cannot support any field: every document-derived check fails.
        reason = f"the document could not be read ({type(exc).__name__}: {exc})"
        for check in (Check.GSTIN_VALID, Check.SELLER_ACTIVE, Check.BUYER_ACTIVE, Check.FIELDS_MATCH, Check.IRN_MATCH):
            verdict.fail(check, reason)

    seller = buyer = None
    if extraction is not None:
        seller, buyer = _check_document(extraction, declared, registry, verdict)

    risk_input = RiskInput(
        face_value=declared.face_value,
        decimals=declared.decimals,
        issue_date=declared.issue_day,
        due_date=declared.due_day,
        seller=seller_history or SellerHistory(),
        buyer=buyer_history or BuyerHistory(),
    )
    return VerificationResult(
        checks=int(verdict.checks),
        approved=verdict.checks == ALL_CHECKS,
        mismatches=tuple(verdict.mismatches),
        warnings=tuple(extraction.warnings) if extraction else (),
        extraction=extraction,
        seller=seller,
        buyer=buyer,
        risk_input=risk_input,
        risk=risk_model.assess(risk_input) if risk_model is not None else None,
    )


def _check_document(
    extraction: ExtractionResult, declared: DeclaredInvoice, registry: GstRegistry, verdict: _Verdict
) -> tuple[Taxpayer | None, Taxpayer | None]:
    fields = extraction.fields
    seller_gstin = fields.seller_gstin.value if fields.seller_gstin else None
    buyer_gstin = fields.buyer_gstin.value if fields.buyer_gstin else None

    # Bit 0: both GSTINs printed and valid.
    for role, gstin in (("seller", seller_gstin), ("buyer", buyer_gstin)):
        if gstin is None:
            verdict.fail(Check.GSTIN_VALID, f"no {role} GSTIN found on the document")
        else:
            check = validate_gstin(gstin)
            if not check.valid:
                verdict.fail(Check.GSTIN_VALID, f"{role} GSTIN {gstin} is invalid: {'; '.join(check.reasons)}")

    # Bits 1 and 2: registered and active.
    seller = _registered(registry, seller_gstin, "seller", Check.SELLER_ACTIVE, verdict)
    buyer = _registered(registry, buyer_gstin, "buyer", Check.BUYER_ACTIVE, verdict)

    # Bit 3: the minted amount, dates and buyer hash match the document.
    total = fields.total.value if fields.total else None
    if total is None:
        verdict.fail(Check.FIELDS_MATCH, "no total found on the document")
    elif to_base_units(total, declared.decimals) != declared.face_value:
        minted = Decimal(declared.face_value).scaleb(-declared.decimals)
        verdict.fail(Check.FIELDS_MATCH, f"total on the document is {total}, minted faceValue is {minted}")
    if fields.currency is not None and fields.currency.value != "INR":
        verdict.fail(Check.FIELDS_MATCH, f"invoice currency is {fields.currency.value}, the token is rupees")
    for name, read, minted_day in (
        ("issue date", fields.issue_date, declared.issue_day),
        ("due date", fields.due_date, declared.due_day),
    ):
        if read is None:
            verdict.fail(Check.FIELDS_MATCH, f"no {name} found on the document")
        elif read.value != minted_day:
            verdict.fail(Check.FIELDS_MATCH, f"{name} on the document is {read.value}, minted {minted_day} (IST)")
    if buyer_gstin is not None:
        # An invalid GSTIN is hashed as printed, so that a bad check character is reported by bit 0 alone.
        computed = buyer_id(buyer_gstin) if validate_gstin(buyer_gstin).valid else keccak(buyer_gstin.encode())
        if computed != declared.buyer_id:
            verdict.fail(Check.FIELDS_MATCH, f"keccak256 of buyer GSTIN {buyer_gstin} differs from buyerId")
    else:
        verdict.fail(Check.FIELDS_MATCH, "buyerId cannot be checked without the buyer GSTIN")
    number = fields.invoice_number.value if fields.invoice_number else None
    for name, declared_value, read_value in (
        ("seller GSTIN", declared.seller_gstin, seller_gstin),
        ("buyer GSTIN", declared.buyer_gstin, buyer_gstin),
        ("invoice number", declared.invoice_number, number),
    ):
        if declared_value is not None and declared_value != read_value:
            verdict.fail(
                Check.FIELDS_MATCH, f"declared {name} {declared_value} differs from the document's {read_value}"
            )

    # Bit 4: the IRN recomputed from the document is the minted invoiceKey.
    issue = fields.issue_date.value if fields.issue_date else None
    if seller_gstin is None or number is None or issue is None:
        verdict.fail(Check.IRN_MATCH, "the IRN needs the seller GSTIN, invoice number and issue date")
    else:
        try:
            key = invoice_key(seller_gstin, financial_year_of(issue), "INV", number)
        except GstError as exc:
            verdict.fail(Check.IRN_MATCH, f"no IRN can be computed from the document: {exc}")
        else:
            if key != declared.invoice_key:
                verdict.fail(
                    Check.IRN_MATCH,
                    f"IRN of {seller_gstin}/{financial_year_of(issue)}/INV/{number} is "
                    f"{key.hex()}, minted invoiceKey is {declared.invoice_key.hex()}",
                )
    return seller, buyer


def _registered(
    registry: GstRegistry, gstin: str | None, role: str, check: Check, verdict: _Verdict
) -> Taxpayer | None:
    if gstin is None:
        verdict.fail(check, f"no {role} GSTIN to look up")
        return None
    try:
        taxpayer = registry.lookup(gstin)
    except InvalidGstin:
        verdict.fail(check, f"{role} GSTIN {gstin} is not a valid GSTIN, so it cannot be registered")
        return None
    except RegistryError:
        raise  # the registry could not answer; a retry may, so this is not a verdict on the invoice
    if taxpayer is None:
        verdict.fail(check, f"{role} GSTIN {gstin} is not registered")
    elif taxpayer.status != "Active":
        verdict.fail(check, f"{role} GSTIN {gstin} is {taxpayer.status}")
    return taxpayer
